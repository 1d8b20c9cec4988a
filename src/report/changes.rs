//! What changed and what differs, for the report's first screen: the latest *complete*
//! period against the one before and against the whole range, the themes whose impact
//! moved most since the previous period, and the segment values whose NPS differs
//! significantly from the rest of the responses, with the themes behind the difference.
//! Pure functions of an [`Analysis`].

use serde::Serialize;

use crate::drivers::{benjamini_hochberg, two_proportion_p, DriverRow};
use crate::nps::{stats, NpsRow, Tally, LOW_N};
use crate::pipeline::Analysis;
use crate::schema::{columns as c, dates};

/// The headline period and how it compares.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub period: String,
    /// A later period left out because the data stop before its end (label, last date).
    pub in_progress: Option<(String, String)>,
    pub nps: Option<f64>,
    pub moe95: f64,
    pub n: u64,
    /// The period before: (label, nps, moe95).
    pub previous: Option<(String, Option<f64>, f64)>,
    pub delta: Option<f64>,
    pub p_value: Option<f64>,
    /// The whole range: (first period, nps, moe95).
    pub range: (String, Option<f64>, f64),
    pub movers: Vec<Mover>,
}

/// A theme whose impact moved since the previous period.
#[derive(Debug, Clone, Serialize)]
pub struct Mover {
    pub label: String,
    pub impact: f64,
    /// Impact now minus impact in the previous period (negative: it costs more points).
    pub delta: f64,
    /// Share of responses mentioning it, now and before, and the two-proportion p-value.
    pub share_now: f64,
    pub share_before: f64,
    pub p_value: Option<f64>,
    /// NPS of the responses mentioning it, now and before, and the p-value of that change.
    pub nps_with_now: Option<f64>,
    pub nps_with_before: Option<f64>,
    pub p_value_nps_with: Option<f64>,
}

/// Promoters, passives and detractors among the responses mentioning a theme, from its
/// driver row (NPS and detractor rate of those responses).
fn tally_with(d: &DriverRow) -> Option<Tally> {
    let n = d.n_mentions;
    let detractors = (d.detractor_rate_with? * n as f64).round() as u64;
    let promoters = (d.nps_with? / 100.0 * n as f64 + detractors as f64).round().max(0.0) as u64;
    Some(Tally { n, promoters, passives: n.saturating_sub(promoters + detractors), detractors })
}

/// One segment value against the rest of the responses.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentLine {
    pub segment: String,
    pub value: String,
    pub n: u64,
    pub nps: Option<f64>,
    pub moe95: f64,
    pub rest_nps: Option<f64>,
    /// Benjamini-Hochberg q-value of the difference with the rest (over every value).
    pub q_value: Option<f64>,
    /// q < 0.05 and both groups of at least [`LOW_N`] responses.
    pub stands_out: bool,
    /// Themes behind the difference: (label, impact here, impact overall).
    pub why: Vec<(String, f64, f64)>,
    /// Value-weighted NPS of the segment value (None without a monetary column).
    #[serde(default)]
    pub nps_weighted: Option<f64>,
}

/// The rows of every dated period over all responses, in period order.
pub(super) fn period_rows(a: &Analysis) -> Vec<&NpsRow> {
    a.nps.iter().filter(|x| x.segment == c::ALL && x.period != c::ALL && x.period != c::UNDATED).collect()
}

/// The row of all responses over the whole range.
pub(super) fn overall(a: &Analysis) -> Option<&NpsRow> {
    a.nps.iter().find(|x| x.period == c::ALL && x.segment == c::ALL)
}

/// The latest complete period (the last one whose end the data reach; the last one
/// anyway when it is the only one) against the previous period and the whole range.
pub fn headline(a: &Analysis) -> Option<Headline> {
    let rows = period_rows(a);
    let last_date = a.input.responses.date.iter().flatten().max().copied();
    let mut k = rows.len().checked_sub(1)?;
    let mut in_progress = None;
    if let (Some(end), Some(last)) = (dates::period_end(&rows[k].period), last_date) {
        if end > last && k > 0 {
            in_progress = Some((rows[k].period.clone(), last.to_string()));
            k -= 1;
        }
    }
    let now = rows[k];
    let previous = k.checked_sub(1).map(|j| rows[j]);
    let (delta, p_value) = match previous {
        Some(before) => stats::change(&now.tally, &before.tally).map_or((None, None), |(d, p)| (Some(d), p)),
        None => (None, None),
    };
    let all = overall(a)?;
    Some(Headline {
        period: now.period.clone(),
        in_progress,
        nps: now.nps,
        moe95: now.moe95,
        n: now.tally.n,
        previous: previous.map(|b| (b.period.clone(), b.nps, b.moe95)),
        delta,
        p_value,
        range: (rows[0].period.clone(), all.nps, all.moe95),
        movers: previous.map(|b| movers(a, &now.period, &b.period)).unwrap_or_default(),
    })
}

/// The three leaf themes whose impact moved most between `before` and `now` (by at least
/// half a point), with the change in how many responses mention them.
fn movers(a: &Analysis, now: &str, before: &str) -> Vec<Mover> {
    let leaves = a.theme_ids();
    let row = |period: &str, theme: &str| {
        a.drivers.iter().find(|d| d.period == period && d.segment == c::ALL && d.theme == theme)
    };
    let mut out: Vec<Mover> = a
        .drivers
        .iter()
        .filter(|d| d.period == now && d.segment == c::ALL && leaves.contains(&d.theme.as_str()))
        .filter_map(|d| {
            let (impact, delta, b) = (d.impact?, d.delta_impact_vs_previous?, row(before, &d.theme)?);
            let share = |r: &DriverRow| if r.n > 0 { r.n_mentions as f64 / r.n as f64 } else { 0.0 };
            Some(Mover {
                label: a.theme_label(&d.theme),
                impact,
                delta,
                share_now: share(d),
                share_before: share(b),
                p_value: two_proportion_p(d.n_mentions, d.n, b.n_mentions, b.n),
                nps_with_now: d.nps_with,
                nps_with_before: b.nps_with,
                p_value_nps_with: tally_with(d)
                    .zip(tally_with(b))
                    .and_then(|(x, y)| stats::change(&x, &y))
                    .and_then(|(_, p)| p),
            })
        })
        .filter(|m| m.delta.abs() >= 0.5)
        .collect();
    out.sort_by(|x, y| y.delta.abs().total_cmp(&x.delta.abs()).then(x.label.cmp(&y.label)));
    out.truncate(3);
    out
}

/// Every segment value against the rest of the responses (whole range), with the
/// themes that explain the values that stand out.
pub fn segments(a: &Analysis) -> Vec<SegmentLine> {
    let Some(all) = overall(a) else { return Vec::new() };
    let rows: Vec<&NpsRow> = a.nps.iter().filter(|x| x.period == c::ALL && x.segment != c::ALL).collect();
    let rest_of = |t: &Tally| Tally {
        n: all.tally.n - t.n,
        promoters: all.tally.promoters - t.promoters,
        passives: all.tally.passives - t.passives,
        detractors: all.tally.detractors - t.detractors,
    };
    let tests: Vec<(Option<f64>, Option<f64>)> = rows
        .iter()
        .map(|r| {
            let rest = rest_of(&r.tally);
            (rest.nps(), stats::change(&r.tally, &rest).and_then(|(_, p)| p))
        })
        .collect();
    let q = benjamini_hochberg(&tests.iter().map(|t| t.1).collect::<Vec<_>>());
    rows.iter()
        .zip(tests)
        .zip(q)
        .map(|((r, (rest_nps, _)), q_value)| {
            let rest_n = all.tally.n - r.tally.n;
            let stands_out = q_value.is_some_and(|q| q < 0.05) && r.tally.n >= LOW_N && rest_n >= LOW_N;
            let worse = r.nps.zip(rest_nps).is_some_and(|(x, y)| x < y);
            SegmentLine {
                segment: r.segment.clone(),
                value: r.value.clone(),
                n: r.tally.n,
                nps: r.nps,
                moe95: r.moe95,
                rest_nps,
                q_value,
                stands_out,
                why: if stands_out { why(a, &r.segment, &r.value, worse) } else { Vec::new() },
                nps_weighted: r.weighted.and_then(|w| w.nps()),
            }
        })
        .collect()
}

/// The two leaf themes whose impact within the segment value departs most from their
/// impact overall, in the direction of the segment's difference (by at least a point).
fn why(a: &Analysis, segment: &str, value: &str, worse: bool) -> Vec<(String, f64, f64)> {
    let leaves = a.theme_ids();
    let overall_impact = |theme: &str| {
        a.drivers.iter().find(|d| d.period == c::ALL && d.segment == c::ALL && d.theme == theme).and_then(|d| d.impact)
    };
    let mut gaps: Vec<(String, f64, f64)> = a
        .drivers
        .iter()
        .filter(|d| d.period == c::ALL && d.segment == segment && d.value == value)
        .filter(|d| leaves.contains(&d.theme.as_str()))
        .filter_map(|d| Some((a.theme_label(&d.theme), d.impact?, overall_impact(&d.theme)?)))
        .filter(|(_, here, all)| if worse { here - all <= -1.0 } else { here - all >= 1.0 })
        .collect();
    gaps.sort_by(|x, y| {
        let (gx, gy) = (x.1 - x.2, y.1 - y.2);
        (if worse { gx.total_cmp(&gy) } else { gy.total_cmp(&gx) }).then(x.0.cmp(&y.0))
    });
    gaps.truncate(2);
    gaps
}
