//! Drivers of detraction: themes joined with scores. Per theme (and parent theme), overall,
//! per period and per segment value: how many responses mention it, their NPS against the
//! others', the impact on NPS, the detractor lift with a two-proportion z-test, the
//! Benjamini-Hochberg q-value over the themes of one table, the share of negative mentions
//! and the change of impact since the previous period. docs/METRICS.md defines each.

pub mod analysis;
pub mod keydriver;

use crate::nps::stats::{two_sided_p, Tally};
use crate::value::weighted::WeightedSums;

/// Themes with fewer mentioning responses are listed but never ranked.
pub const MIN_MENTIONS: u64 = 10;

/// What the drivers need of one response.
#[derive(Debug, Clone)]
pub struct ResponseThemes {
    pub score: u8,
    /// Indices into the theme list (leaves and their parents), deduplicated.
    pub themes: Vec<usize>,
    /// Per theme in `themes`: (mentions, negative mentions) of this response.
    pub mentions: Vec<(u32, u32)>,
    /// The customer's monetary value (None: no value column, or no valid value).
    pub value: Option<f64>,
}

/// One row of drivers.parquet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DriverRow {
    pub period: String,
    pub segment: String,
    pub value: String,
    pub theme: String,
    pub label: String,
    /// Responses in the group.
    pub n: u64,
    /// Responses mentioning the theme.
    pub n_mentions: u64,
    pub share: f64,
    pub nps_with: Option<f64>,
    pub nps_without: Option<f64>,
    pub moe95_with: f64,
    pub impact: Option<f64>,
    pub detractor_rate_with: Option<f64>,
    pub detractor_rate_without: Option<f64>,
    pub lift: Option<f64>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub negative_share: Option<f64>,
    pub ranked: bool,
    pub delta_impact_vs_previous: Option<f64>,
    /// Value of the detractors mentioning the theme (None without a monetary column).
    pub revenue_at_risk: Option<f64>,
    /// Value of the passives mentioning the theme.
    pub revenue_at_risk_passives: Option<f64>,
    /// revenue_at_risk / the value of all the group's detractors.
    pub revenue_at_risk_share: Option<f64>,
    /// NPS_w(group) - NPS_w(responses not mentioning the theme): the value-weighted impact.
    pub impact_weighted: Option<f64>,
}

fn tally_of(scores: impl Iterator<Item = u8>) -> Tally {
    Tally::from_scores(scores)
}

/// Two-proportion z-test (pooled), two-sided p-value; None when undefined.
pub fn two_proportion_p(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let p = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return None;
    }
    let z = (x1 as f64 / n1 as f64 - x2 as f64 / n2 as f64) / se;
    Some(two_sided_p(z))
}

/// Benjamini-Hochberg adjusted p-values (q-values), in input order; None stays None.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].unwrap().total_cmp(&p[b].unwrap()).then(a.cmp(&b)));
    let mut q = vec![None; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        let v = (p[i].unwrap() * m / (rank + 1) as f64).min(1.0);
        running = running.min(v);
        q[i] = Some(running);
    }
    q
}

/// Driver rows of one group of responses (one table: BH runs over its themes). `valued`:
/// the input has a monetary value column, so the revenue columns are filled.
pub fn driver_table(
    (period, segment, value): (&str, &str, &str),
    responses: &[&ResponseThemes],
    themes: &[(String, String)],
    valued: bool,
) -> Vec<DriverRow> {
    let all = tally_of(responses.iter().map(|r| r.score));
    let weighted_all = WeightedSums::of(responses.iter().map(|r| (r.score, r.value)));
    let detractors_value: f64 = responses.iter().filter(|r| r.score <= 6).filter_map(|r| r.value).sum();
    let mut rows: Vec<DriverRow> = themes
        .iter()
        .enumerate()
        .map(|(t, (id, label))| {
            let with = tally_of(responses.iter().filter(|r| r.themes.contains(&t)).map(|r| r.score));
            let without = tally_of(responses.iter().filter(|r| !r.themes.contains(&t)).map(|r| r.score));
            let (mut mentions, mut negative) = (0u64, 0u64);
            for r in responses {
                if let Some(k) = r.themes.iter().position(|x| *x == t) {
                    mentions += r.mentions[k].0 as u64;
                    negative += r.mentions[k].1 as u64;
                }
            }
            let rate = |t: &Tally| (t.n > 0).then(|| t.detractors as f64 / t.n as f64);
            let value_of = |lo: u8, hi: u8| -> f64 {
                responses
                    .iter()
                    .filter(|r| (lo..=hi).contains(&r.score) && r.themes.contains(&t))
                    .filter_map(|r| r.value)
                    .sum()
            };
            let at_risk = valued.then(|| value_of(0, 6));
            let without_w =
                WeightedSums::of(responses.iter().filter(|r| !r.themes.contains(&t)).map(|r| (r.score, r.value)));
            let (dw, dwo) = (rate(&with), rate(&without));
            DriverRow {
                period: period.into(),
                segment: segment.into(),
                value: value.into(),
                theme: id.clone(),
                label: label.clone(),
                n: all.n,
                n_mentions: with.n,
                share: if all.n > 0 { with.n as f64 / all.n as f64 } else { 0.0 },
                nps_with: with.nps(),
                nps_without: without.nps(),
                moe95_with: with.moe95(),
                // A theme every response mentions cannot move NPS by its absence: impact 0.
                impact: if without.n == 0 && with.n > 0 {
                    Some(0.0)
                } else {
                    all.nps().zip(without.nps()).map(|(a, b)| a - b)
                },
                detractor_rate_with: dw,
                detractor_rate_without: dwo,
                lift: match (dw, dwo) {
                    (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                    _ => None,
                },
                p_value: two_proportion_p(with.detractors, with.n, without.detractors, without.n),
                q_value: None,
                negative_share: (mentions > 0).then(|| negative as f64 / mentions as f64),
                ranked: with.n >= MIN_MENTIONS,
                delta_impact_vs_previous: None,
                revenue_at_risk: at_risk,
                revenue_at_risk_passives: valued.then(|| value_of(7, 8)),
                revenue_at_risk_share: at_risk.filter(|_| detractors_value > 0.0).map(|v| v / detractors_value),
                // As `impact`: a theme every valued response mentions moves nothing.
                impact_weighted: if !valued {
                    None
                } else if without_w.n == 0 && with.n > 0 {
                    Some(0.0)
                } else {
                    weighted_all.nps().zip(without_w.nps()).map(|(a, b)| a - b)
                },
            }
        })
        .collect();
    let q = benjamini_hochberg(&rows.iter().map(|r| r.p_value).collect::<Vec<_>>());
    for (r, q) in rows.iter_mut().zip(q) {
        r.q_value = q;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(score: u8, themes: &[usize]) -> ResponseThemes {
        ResponseThemes {
            score,
            themes: themes.to_vec(),
            mentions: themes.iter().map(|_| (1, u32::from(score <= 6))).collect(),
            value: None,
        }
    }

    fn themes() -> Vec<(String, String)> {
        vec![("price".into(), "Price".into()), ("everywhere".into(), "Everywhere".into())]
    }

    fn data() -> Vec<ResponseThemes> {
        let mut v = Vec::new();
        for i in 0..40 {
            // Price comes with detractors; "everywhere" is in every response.
            let price = i % 3 == 0;
            let score = if price { [2, 5, 9][i % 3 + (i / 3) % 2] } else { [10, 9, 8, 4][i % 4] };
            v.push(resp(score, if price { &[0, 1] } else { &[1] }));
        }
        v
    }

    /// docs/METRICS.md "Drivers" worked example: impact and lift by hand.
    #[test]
    fn impact_lift_and_significance_by_hand() {
        let d = data();
        let refs: Vec<&ResponseThemes> = d.iter().collect();
        let rows = driver_table(("all", "all", "all"), &refs, &themes(), false);
        let all = tally_of(d.iter().map(|r| r.score));
        let without = tally_of(d.iter().filter(|r| !r.themes.contains(&0)).map(|r| r.score));
        assert_eq!(rows[0].impact, Some(all.nps().unwrap() - without.nps().unwrap()));
        assert!(rows[0].impact.unwrap() < 0.0, "price costs points");
        assert!(rows[0].lift.unwrap() > 1.0);
        assert_eq!(rows[0].n_mentions, 14);
        assert!(rows[0].ranked);
        // docs/METRICS.md worked example: impact -44.42 points, lift 4.33.
        assert!((rows[0].impact.unwrap() - -44.423_076_923).abs() < 1e-6);
        assert!((rows[0].lift.unwrap() - 4.333_333_333).abs() < 1e-6);
        // A theme in every response: impact 0, no test, never significant.
        assert_eq!(rows[1].impact, Some(0.0));
        assert_eq!(rows[1].p_value, None);
        assert_eq!(rows[1].q_value, None);
    }

    /// Duplicating the data leaves NPS and impact unchanged and shrinks p-values.
    #[test]
    fn duplicating_the_data_keeps_impact_and_shrinks_p() {
        let d = data();
        let twice: Vec<&ResponseThemes> = d.iter().chain(d.iter()).collect();
        let once: Vec<&ResponseThemes> = d.iter().collect();
        let a = driver_table(("all", "all", "all"), &once, &themes(), false);
        let b = driver_table(("all", "all", "all"), &twice, &themes(), false);
        assert!((a[0].impact.unwrap() - b[0].impact.unwrap()).abs() < 1e-9);
        assert_eq!(a[0].nps_with, b[0].nps_with);
        assert!(b[0].p_value.unwrap() < a[0].p_value.unwrap());
    }

    /// docs/METRICS.md "Revenue at risk" worked example: five customers, "price" mentioned
    /// by two detractors (2,000 and 300) and a passive (800).
    #[test]
    fn metrics_md_worked_example_revenue_at_risk() {
        let r = |score: u8, themes: &[usize], value: f64| ResponseThemes { value: Some(value), ..resp(score, themes) };
        let d = [r(2, &[0], 2000.0), r(5, &[0, 1], 300.0), r(7, &[0], 800.0), r(10, &[], 1500.0), r(4, &[1], 500.0)];
        let refs: Vec<&ResponseThemes> = d.iter().collect();
        let themes = vec![("price".to_string(), "Price".to_string()), ("billing".to_string(), "Billing".to_string())];
        let rows = driver_table(("all", "all", "all"), &refs, &themes, true);
        let price = &rows[0];
        assert_eq!(price.revenue_at_risk, Some(2300.0));
        assert_eq!(price.revenue_at_risk_passives, Some(800.0));
        assert!((price.revenue_at_risk_share.unwrap() - 2300.0 / 2800.0).abs() < 1e-12);
        // NPS_w(all) = 100 x (1500 - 2800) / 5100 = -25.49; without price (1500 x 1, 500 x -1)
        // = +50; weighted impact -75.49. The plain impact: -40 - 0 = -40.
        assert!((price.impact_weighted.unwrap() - (-1300.0 / 51.0 - 50.0)).abs() < 1e-9);
        assert!((price.impact.unwrap() - -40.0).abs() < 1e-9);
        // Without a value column the revenue columns are empty, not 0.
        let plain = driver_table(("all", "all", "all"), &refs, &themes, false);
        assert_eq!((plain[0].revenue_at_risk, plain[0].impact_weighted), (None, None));
    }

    #[test]
    fn bh_by_hand() {
        let q = benjamini_hochberg(&[Some(0.01), Some(0.04), None, Some(0.03)]);
        // sorted 0.01, 0.03, 0.04 (m = 3): 0.03, 0.045, 0.04 -> monotone: 0.03, 0.04, 0.04
        assert!((q[0].unwrap() - 0.03).abs() < 1e-12);
        assert!((q[3].unwrap() - 0.04).abs() < 1e-12);
        assert!((q[1].unwrap() - 0.04).abs() < 1e-12);
        assert_eq!(q[2], None);
        assert!((two_proportion_p(30, 100, 30, 100).unwrap() - 1.0).abs() < 1e-9);
    }
}
