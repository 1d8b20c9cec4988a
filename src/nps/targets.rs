//! The NPS against what the user reads it against (issue 19): a target overall, targets of
//! segment values, an external benchmark. For each: the gap in points and a one-sided test
//! of "the NPS is below it" ([`super::stats::below_target`]; docs/METRICS.md "Gap to a
//! target"), with the NPS's margin.

use super::NpsRow;
use crate::config::Targets;
use crate::schema::columns as c;

/// Below this one-sided p-value the NPS is called significantly below its target.
pub const ALPHA: f64 = 0.05;

/// One target (or the benchmark) against the NPS of its group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TargetGap {
    /// `target` or `benchmark`.
    pub kind: &'static str,
    /// `all` for the overall NPS, else the segment column.
    pub segment: String,
    /// `all`, or the segment value.
    pub value: String,
    pub target: f64,
    /// Where a benchmark comes from (None for targets).
    pub source: Option<String>,
    /// Responses of the group (0 when the segment value has none).
    pub n: u64,
    pub nps: Option<f64>,
    pub moe95: f64,
    /// NPS - target (negative: below).
    pub gap: Option<f64>,
    pub z: Option<f64>,
    /// One-sided p-value of "the NPS is below the target".
    pub p_value_below: Option<f64>,
    /// p_value_below < 0.05.
    pub significantly_below: bool,
}

/// The gaps of every target and of the benchmark, in the order given (overall first); a
/// segment value the data does not have gives n = 0 and no NPS. Targets are read against
/// all periods together (`period` = `all`).
pub fn gaps(rows: &[NpsRow], targets: &Targets) -> Vec<TargetGap> {
    let row = |segment: &str, value: &str| {
        rows.iter().find(|r| r.period == c::ALL && r.segment == segment && r.value == value)
    };
    let gap = |kind: &'static str, segment: &str, value: &str, target: f64, source: Option<String>| {
        let r = row(segment, value);
        let test = r.and_then(|r| super::stats::below_target(&r.tally, target));
        TargetGap {
            kind,
            segment: segment.to_string(),
            value: value.to_string(),
            target,
            source,
            n: r.map_or(0, |r| r.tally.n),
            nps: r.and_then(|r| r.nps),
            moe95: r.map_or(0.0, |r| r.moe95),
            gap: r.and_then(|r| r.nps).map(|n| n - target),
            z: test.map(|t| t.0),
            p_value_below: test.map(|t| t.1),
            significantly_below: test.is_some_and(|t| t.1 < ALPHA),
        }
    };
    let mut out = Vec::new();
    if let Some(t) = targets.overall {
        out.push(gap("target", c::ALL, c::ALL, t, None));
    }
    for t in &targets.segments {
        out.push(gap("target", &t.segment, &t.value, t.target, None));
    }
    if let Some(b) = &targets.benchmark {
        out.push(gap("benchmark", c::ALL, c::ALL, b.nps, b.source.clone()));
    }
    out
}

/// Targets whose segment value has no responses, as warnings naming what the data has.
pub fn unknown(rows: &[NpsRow], gaps: &[TargetGap]) -> Vec<String> {
    gaps.iter()
        .filter(|g| g.n == 0)
        .map(|g| {
            let values: Vec<&str> = rows
                .iter()
                .filter(|r| r.period == c::ALL && r.segment == g.segment)
                .map(|r| r.value.as_str())
                .collect();
            if values.is_empty() {
                let segments: std::collections::BTreeSet<&str> =
                    rows.iter().filter(|r| r.segment != c::ALL).map(|r| r.segment.as_str()).collect();
                format!(
                    "target for {}:{}: '{}' is not a segment of this run (segments: {}); check the name in \
                     --segment-target or [targets.{}]",
                    g.segment,
                    g.value,
                    g.segment,
                    segments.into_iter().collect::<Vec<_>>().join(", "),
                    g.segment
                )
            } else {
                format!(
                    "target for {}:{}: no response has the value '{}' (values: {})",
                    g.segment,
                    g.value,
                    g.value,
                    values.join(", ")
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Benchmark, SegmentTarget};
    use crate::nps::Tally;

    fn rows() -> Vec<NpsRow> {
        let t = |n, p, d| Tally { n, promoters: p, passives: n - p - d, detractors: d };
        vec![NpsRow::new("all", "all", "all", t(200, 90, 50)), NpsRow::new("all", "Channel", "Store", t(100, 60, 10))]
    }

    #[test]
    fn gaps_overall_segment_and_benchmark() {
        let targets = Targets {
            overall: Some(30.0),
            segments: vec![
                SegmentTarget { segment: "Channel".into(), value: "Store".into(), target: 40.0 },
                SegmentTarget { segment: "Channel".into(), value: "Shop".into(), target: 40.0 },
            ],
            benchmark: Some(Benchmark { nps: 32.0, source: Some("industry study".into()) }),
        };
        let g = gaps(&rows(), &targets);
        assert_eq!(g.len(), 4);
        assert_eq!((g[0].gap, g[0].significantly_below), (Some(-10.0), true));
        // Store: NPS +50 against 40: above, not below.
        assert_eq!(g[1].gap, Some(10.0));
        assert!(!g[1].significantly_below && g[1].p_value_below.unwrap() > 0.5);
        assert_eq!((g[2].n, g[2].nps), (0, None));
        assert_eq!(g[3].kind, "benchmark");
        assert_eq!(g[3].source.as_deref(), Some("industry study"));
        let w = unknown(&rows(), &g);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("'Shop'") && w[0].contains("Store"), "{w:?}");
    }
}
