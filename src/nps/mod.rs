//! NPS by period and segment: promoters / passives / detractors, NPS, adjusted-Wald
//! margin, change vs the previous period with its Wald z-test p-value.
//!
//! Counting is done by Polars (lazy group-bys over the responses frame); the arithmetic on
//! the counts lives in [`stats`], where it is unit-tested against docs/METRICS.md.

pub mod stats;
pub mod targets;

use polars::prelude::*;

use crate::schema::columns as c;
use crate::value::weighted::WeightedSums;
pub use stats::{group, Tally};

/// Groups smaller than this are flagged (`low_n`): their NPS moves a lot by chance.
pub const LOW_N: u64 = 30;

/// One row of nps.parquet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NpsRow {
    pub period: String,
    pub segment: String,
    pub value: String,
    pub tally: Tally,
    pub nps: Option<f64>,
    pub moe95: f64,
    pub delta_vs_previous: Option<f64>,
    pub p_value_change: Option<f64>,
    /// Value-weighted sums of the group's responses with a value (None without a monetary
    /// column; docs/METRICS.md "Value-weighted NPS").
    pub weighted: Option<WeightedSums>,
}

impl NpsRow {
    fn new(period: &str, segment: &str, value: &str, tally: Tally) -> Self {
        NpsRow {
            period: period.to_string(),
            segment: segment.to_string(),
            value: value.to_string(),
            nps: tally.nps(),
            moe95: tally.moe95(),
            tally,
            delta_vs_previous: None,
            p_value_change: None,
            weighted: None,
        }
    }

    pub fn low_n(&self) -> bool {
        self.tally.n < LOW_N
    }
}

/// A grouping column: a code per response and the labels the codes stand for, sorted so
/// that sorting codes sorts labels (see `validate::Interned`).
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub name: &'a str,
    pub codes: &'a [u32],
    pub labels: &'a [String],
}

/// Count promoters / passives / detractors of `frame` grouped by the code columns `by`
/// (frame column name, labels of its codes); no grouping when empty. Group keys come back
/// as labels.
fn tallies(frame: &DataFrame, by: &[(&str, &[String])]) -> PolarsResult<Vec<(Vec<String>, Tally)>> {
    let score = col(c::SCORE);
    let aggs = [
        len().cast(DataType::UInt64).alias(c::N),
        score.clone().gt_eq(lit(9)).cast(DataType::UInt64).sum().alias(c::PROMOTERS),
        score.clone().lt_eq(lit(6)).cast(DataType::UInt64).sum().alias(c::DETRACTORS),
    ];
    let lf = frame.clone().lazy();
    let names: Vec<&str> = by.iter().map(|k| k.0).collect();
    let out = if by.is_empty() {
        lf.select(aggs).collect()?
    } else {
        let keys: Vec<Expr> = names.iter().map(|k| col(*k)).collect();
        lf.group_by(keys).agg(aggs).sort(names.clone(), Default::default()).collect()?
    };
    let n = out.column(c::N)?.u64()?.clone();
    let p = out.column(c::PROMOTERS)?.u64()?.clone();
    let d = out.column(c::DETRACTORS)?.u64()?.clone();
    let key_cols: Vec<UInt32Chunked> =
        names.iter().map(|k| Ok(out.column(k)?.u32()?.clone())).collect::<PolarsResult<_>>()?;
    Ok((0..out.height())
        .map(|i| {
            let keys = key_cols
                .iter()
                .zip(by)
                .map(|(k, (_, labels))| labels[k.get(i).expect("group keys are not null") as usize].clone())
                .collect();
            let (n, p, d) = (n.get(i).unwrap_or(0), p.get(i).unwrap_or(0), d.get(i).unwrap_or(0));
            (keys, Tally { n, promoters: p, passives: n - p - d, detractors: d })
        })
        .collect())
}

/// All rows of nps.parquet: overall; per period; per segment value; per period x segment
/// value. Counting is a Polars lazy group-by over the scores and the key codes.
pub fn nps_table(scores: &[u8], period: Key, segments: &[Key]) -> PolarsResult<Vec<NpsRow>> {
    // Frame columns get internal names, so that no segment name can collide with them.
    let seg_cols: Vec<String> = (0..segments.len()).map(|i| format!("__segment_{i}")).collect();
    let mut cols = vec![
        Column::new(c::SCORE.into(), scores.iter().map(|&s| s as i32).collect::<Vec<_>>()),
        Column::new("__period".into(), period.codes),
    ];
    for (name, k) in seg_cols.iter().zip(segments) {
        cols.push(Column::new(name.as_str().into(), k.codes));
    }
    let frame = DataFrame::new(scores.len(), cols)?;
    let p = ("__period", period.labels);
    let mut rows = Vec::new();
    for (_, t) in tallies(&frame, &[])? {
        rows.push(NpsRow::new(c::ALL, c::ALL, c::ALL, t));
    }
    let mut by_period: Vec<NpsRow> =
        tallies(&frame, &[p])?.into_iter().map(|(k, t)| NpsRow::new(&k[0], c::ALL, c::ALL, t)).collect();
    add_changes(&mut by_period);
    rows.extend(by_period);
    for (name, k) in seg_cols.iter().zip(segments) {
        for (key, t) in tallies(&frame, &[(name, k.labels)])? {
            rows.push(NpsRow::new(c::ALL, k.name, &key[0], t));
        }
    }
    for (name, k) in seg_cols.iter().zip(segments) {
        let mut cross: Vec<NpsRow> = tallies(&frame, &[(name, k.labels), p])?
            .into_iter()
            .map(|(key, t)| NpsRow::new(&key[1], k.name, &key[0], t))
            .collect();
        add_changes(&mut cross);
        rows.extend(cross);
    }
    Ok(rows)
}

/// Fill `weighted` of every row with the value-weighted sums of its group. Sums run over the
/// responses in input order, one pass, so they do not depend on the thread count.
pub fn add_weighted(rows: &mut [NpsRow], scores: &[u8], weights: &[Option<f64>], period: Key, segments: &[Key]) {
    let np = period.labels.len();
    let mut overall = WeightedSums::default();
    let mut by_period = vec![WeightedSums::default(); np];
    let mut by_value: Vec<Vec<WeightedSums>> =
        segments.iter().map(|k| vec![WeightedSums::default(); k.labels.len()]).collect();
    let mut by_cross: Vec<Vec<WeightedSums>> =
        segments.iter().map(|k| vec![WeightedSums::default(); k.labels.len() * np]).collect();
    for (i, (&score, w)) in scores.iter().zip(weights).enumerate() {
        let Some(w) = *w else { continue };
        let p = period.codes[i] as usize;
        overall.add(score, w);
        by_period[p].add(score, w);
        for (k, key) in segments.iter().enumerate() {
            let v = key.codes[i] as usize;
            by_value[k][v].add(score, w);
            by_cross[k][v * np + p].add(score, w);
        }
    }
    let code = |labels: &[String], l: &str| labels.iter().position(|x| x == l);
    for row in rows.iter_mut() {
        let p = code(period.labels, &row.period);
        row.weighted = if row.segment == c::ALL {
            if row.period == c::ALL {
                Some(overall)
            } else {
                p.map(|p| by_period[p])
            }
        } else {
            segments.iter().position(|k| k.name == row.segment).and_then(|k| {
                let v = code(segments[k].labels, &row.value)?;
                if row.period == c::ALL {
                    Some(by_value[k][v])
                } else {
                    p.map(|p| by_cross[k][v * np + p])
                }
            })
        };
    }
}

/// Change vs the previous dated period of the same (segment, value). Rows must be sorted by
/// (segment, value, period); "undated" never takes part.
fn add_changes(rows: &mut [NpsRow]) {
    for i in 1..rows.len() {
        let (prev, cur) = (&rows[i - 1], &rows[i]);
        if prev.segment != cur.segment
            || prev.value != cur.value
            || prev.period == c::UNDATED
            || cur.period == c::UNDATED
        {
            continue;
        }
        if let Some((delta, p)) = stats::change(&cur.tally, &prev.tally) {
            rows[i].delta_vs_previous = Some(delta);
            rows[i].p_value_change = p;
        }
    }
}

/// nps.parquet as a frame, with the columns of DESIGN.md (plus `low_n`).
pub fn nps_frame(rows: &[NpsRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&NpsRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let u = |f: fn(&Tally) -> u64| rows.iter().map(|r| f(&r.tally)).collect::<Vec<u64>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new(c::PERIOD.into(), s(|r| &r.period)),
            Column::new(c::SEGMENT.into(), s(|r| &r.segment)),
            Column::new(c::VALUE.into(), s(|r| &r.value)),
            Column::new(c::N.into(), u(|t| t.n)),
            Column::new(c::PROMOTERS.into(), u(|t| t.promoters)),
            Column::new(c::PASSIVES.into(), u(|t| t.passives)),
            Column::new(c::DETRACTORS.into(), u(|t| t.detractors)),
            Column::new(c::NPS.into(), rows.iter().map(|r| r.nps).collect::<Vec<_>>()),
            Column::new(c::MOE95.into(), rows.iter().map(|r| r.moe95).collect::<Vec<_>>()),
            Column::new(c::DELTA_VS_PREVIOUS.into(), rows.iter().map(|r| r.delta_vs_previous).collect::<Vec<_>>()),
            Column::new(c::P_VALUE_CHANGE.into(), rows.iter().map(|r| r.p_value_change).collect::<Vec<_>>()),
            Column::new(c::LOW_N.into(), rows.iter().map(NpsRow::low_n).collect::<Vec<_>>()),
        ],
    )
    .and_then(|mut frame| {
        // Value-weighted columns only when the input has a monetary column.
        if rows.iter().any(|r| r.weighted.is_some()) {
            let w = |f: fn(&WeightedSums) -> Option<f64>| {
                rows.iter().map(|r| r.weighted.as_ref().and_then(f)).collect::<Vec<_>>()
            };
            for col in [
                Column::new(c::N_VALUED.into(), rows.iter().map(|r| r.weighted.map(|w| w.n)).collect::<Vec<_>>()),
                Column::new(c::VALUE_TOTAL.into(), w(|s| Some(s.w))),
                Column::new(c::NPS_WEIGHTED.into(), w(WeightedSums::nps)),
                Column::new(c::MOE95_WEIGHTED.into(), w(WeightedSums::moe95)),
                Column::new(c::N_EFFECTIVE.into(), w(WeightedSums::n_effective)),
            ] {
                frame.with_column(col)?;
            }
        }
        Ok(frame)
    })
}

/// The readable terminal table: overall, periods, then segment values (all periods).
pub fn render_table(rows: &[NpsRow]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<14} {:<18} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7} {:>8} {:>7}",
        "period", "segment", "value", "n", "prom", "pass", "detr", "NPS", "±moe95", "change", "p"
    );
    let fmt_opt = |v: Option<f64>, signed: bool| match v {
        Some(x) if signed => format!("{x:+.1}"),
        Some(x) => format!("{x:.1}"),
        None => "-".into(),
    };
    for r in rows.iter().filter(|r| r.period == c::ALL || r.segment == c::ALL) {
        let warn = if r.low_n() { " ⚠ n<30" } else { "" };
        let _ = writeln!(
            out,
            "{:<12} {:<14} {:<18} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7} {:>8} {:>7}{warn}",
            truncate(&r.period, 12),
            truncate(&r.segment, 14),
            truncate(&r.value, 18),
            r.tally.n,
            r.tally.promoters,
            r.tally.passives,
            r.tally.detractors,
            fmt_opt(r.nps, true),
            format!("{:.1}", r.moe95),
            fmt_opt(r.delta_vs_previous, true),
            r.p_value_change.map_or("-".into(), |p| format!("{p:.3}")),
        );
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
