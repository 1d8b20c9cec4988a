//! Drivers of detraction: themes joined with scores. Per theme (and parent theme), overall,
//! per period and per segment value: how many responses mention it, their NPS against the
//! others', the impact on NPS, the detractor lift with a two-proportion z-test, the
//! Benjamini-Hochberg q-value over the themes of one table, the share of negative mentions
//! and the change of impact since the previous period. docs/METRICS.md defines each.

pub mod analysis;
pub mod keydriver;

use crate::nps::stats::{points, two_sided_p, Tally};
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
    /// 95 % margin of error of `impact` (delta method; None when every response mentions
    /// the theme or the group is empty).
    pub impact_moe95: Option<f64>,
    pub detractor_rate_with: Option<f64>,
    pub detractor_rate_without: Option<f64>,
    pub lift: Option<f64>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub negative_share: Option<f64>,
    pub ranked: bool,
    /// Ranked leaf themes: their tier within the group (`tiers`; one tier, too close to
    /// rank apart). None for parent themes and themes not ranked.
    pub tier: Option<u64>,
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

/// The order of a driver ranking: most costly first (lowest impact; none reads as 0),
/// ties by theme id. The report, summary.json, the console and the tiers all rank with it.
pub fn by_impact(x: &DriverRow, y: &DriverRow) -> std::cmp::Ordering {
    x.impact.unwrap_or(0.0).total_cmp(&y.impact.unwrap_or(0.0)).then(x.theme.cmp(&y.theme))
}

/// Sum over the responses of a tally of (a x points + b)².
fn sum_sq(t: &Tally, a: f64, b: f64) -> f64 {
    [(t.promoters, 100.0), (t.passives, 0.0), (t.detractors, -100.0)]
        .iter()
        .map(|&(count, v)| count as f64 * (a * v + b).powi(2))
        .sum()
}

/// 95 % margin of error of a theme's impact, NPS(all) - NPS(without), from the tallies of
/// the responses mentioning it (`with`) and not (`without`); docs/METRICS.md derives it.
/// Delta method: the influence of response i is (v_i - NPS) - [i not mentioning] x (n / n0)
/// x (v_i - NPS(without)), and the variance is the sum of their squares over n². None when
/// every response mentions the theme (impact 0 by definition) or there is no response.
pub fn impact_moe95(with: &Tally, without: &Tally) -> Option<f64> {
    let rest = without.nps()?;
    let total = Tally {
        n: with.n + without.n,
        promoters: with.promoters + without.promoters,
        passives: with.passives + without.passives,
        detractors: with.detractors + without.detractors,
    };
    let (mu, n) = (total.nps()?, total.n as f64);
    let r = n / without.n as f64;
    // Mentioning: v - NPS. Not mentioning: (1 - r) v - NPS + r x NPS(without).
    let ss = sum_sq(with, 1.0, -mu) + sum_sq(without, 1.0 - r, r * rest - mu);
    Some(1.96 * ss.sqrt() / n)
}

/// Two themes' impacts compared on the same responses: (impact of `a` - impact of `b`, its
/// 95 % margin of error). The two impacts share NPS(all), so the difference is NPS(without
/// b) - NPS(without a), and its influences are those of the two NPS(without): a response
/// mentioning both themes, or neither, counts in both. `a[i]` / `b[i]`: response i mentions
/// the theme. None when either theme is mentioned by every response.
pub fn impact_difference(scores: &[u8], a: &[bool], b: &[bool]) -> Option<(f64, f64)> {
    let without = |m: &[bool]| -> Option<(f64, f64)> {
        let rest: Vec<f64> = scores.iter().zip(m).filter(|(_, m)| !**m).map(|(s, _)| points(*s)).collect();
        (!rest.is_empty())
            .then(|| (rest.iter().sum::<f64>() / rest.len() as f64, scores.len() as f64 / rest.len() as f64))
    };
    let ((mean_a, ra), (mean_b, rb)) = (without(a)?, without(b)?);
    let ss: f64 = scores
        .iter()
        .zip(a.iter().zip(b))
        .map(|(s, (ma, mb))| {
            let v = points(*s);
            let inf_b = if *mb { 0.0 } else { rb * (v - mean_b) };
            let inf_a = if *ma { 0.0 } else { ra * (v - mean_a) };
            (inf_b - inf_a).powi(2)
        })
        .sum();
    Some((mean_b - mean_a, 1.96 * ss.sqrt() / scores.len() as f64))
}

/// Tiers of drivers listed by impact (most costly first; `mentions[k][i]`: response i
/// mentions the k-th): a driver joins the tier of the one before it unless its impact is
/// told apart from that tier's first driver's (their difference outside its 95 % margin).
/// Drivers of one tier are too close to rank with these responses.
pub fn tiers(scores: &[u8], mentions: &[Vec<bool>]) -> Vec<usize> {
    let mut tier = Vec::with_capacity(mentions.len());
    let mut first = 0;
    for k in 0..mentions.len() {
        let apart =
            k == 0 || impact_difference(scores, &mentions[k], &mentions[first]).is_none_or(|(d, moe)| d.abs() > moe);
        if apart && k > 0 {
            first = k;
        }
        tier.push(if k == 0 {
            0
        } else if apart {
            tier[k - 1] + 1
        } else {
            tier[k - 1]
        });
    }
    tier
}

/// Fill `tier` in one group's rows (`rows[t]`: theme t of the list `driver_table` was
/// given, whose first `leaves` themes are leaves): the ranked leaf themes, most costly first
/// (ties by theme id), fall into tiers (`tiers`).
pub fn assign_tiers(rows: &mut [DriverRow], responses: &[&ResponseThemes], leaves: usize) {
    let mut ranked: Vec<usize> = (0..leaves.min(rows.len())).filter(|&t| rows[t].ranked).collect();
    ranked.sort_by(|&x, &y| by_impact(&rows[x], &rows[y]));
    let scores: Vec<u8> = responses.iter().map(|r| r.score).collect();
    let mentions: Vec<Vec<bool>> =
        ranked.iter().map(|t| responses.iter().map(|r| r.themes.contains(t)).collect()).collect();
    for (t, tier) in ranked.iter().zip(tiers(&scores, &mentions)) {
        rows[*t].tier = Some(tier as u64);
    }
}

/// Of drivers listed by impact (most costly first) as (impact, tier): the costing ones
/// (impact < 0) too close to rank apart from one of the first three costing drivers, as
/// indices into `listed`, one group per tier that holds several costing drivers.
pub fn too_close_to_rank(listed: &[(f64, usize)]) -> Vec<Vec<usize>> {
    let costing: Vec<usize> = (0..listed.len()).filter(|&i| listed[i].0 < 0.0).collect();
    let mut tiers: Vec<usize> = costing.iter().take(3).map(|&i| listed[i].1).collect();
    tiers.dedup();
    tiers
        .into_iter()
        .map(|t| costing.iter().copied().filter(|&i| listed[i].1 == t).collect::<Vec<_>>())
        .filter(|group| group.len() > 1)
        .collect()
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
                impact_moe95: impact_moe95(&with, &without),
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
                tier: None,
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

    /// Tiers go to the ranked leaf themes only, most costly first.
    #[test]
    fn tiers_are_given_to_ranked_leaves() {
        let d = data();
        let refs: Vec<&ResponseThemes> = d.iter().collect();
        let mut rows = driver_table(("all", "all", "all"), &refs, &themes(), false);
        assign_tiers(&mut rows, &refs, 2);
        // "everywhere" is in every response: no difference to test, so a tier of its own.
        assert_eq!((rows[0].tier, rows[1].tier), (Some(0), Some(1)));
        // As a parent theme (only the first theme a leaf), it gets none.
        let mut rows = driver_table(("all", "all", "all"), &refs, &themes(), false);
        assign_tiers(&mut rows, &refs, 1);
        assert_eq!((rows[0].tier, rows[1].tier), (Some(0), None));
        // Nor does a theme with too few mentions to be ranked.
        let few: Vec<&ResponseThemes> = refs[..12].to_vec();
        let mut rows = driver_table(("all", "all", "all"), &few, &themes(), false);
        assign_tiers(&mut rows, &few, 2);
        assert!(!rows[0].ranked);
        assert_eq!((rows[0].tier, rows[1].tier), (None, Some(0)));
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

    /// A small deterministic generator for the tests below (64-bit LCG, high bits).
    fn lcg(state: &mut u64) -> u64 {
        *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        *state >> 33
    }

    /// Scores and two themes' mentions: `a` comes with detractors, `b` less so, and they
    /// overlap.
    fn planted(n: usize, seed: u64) -> (Vec<u8>, Vec<bool>, Vec<bool>) {
        let mut st = seed;
        let (mut scores, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let ma = lcg(&mut st).is_multiple_of(4);
            let mb = lcg(&mut st).is_multiple_of(3);
            let bad = if ma {
                60
            } else if mb {
                40
            } else {
                20
            };
            let r = lcg(&mut st) % 100;
            scores.push(if r < bad {
                (lcg(&mut st) % 7) as u8
            } else if r < bad + 25 {
                7
            } else {
                10
            });
            a.push(ma);
            b.push(mb);
        }
        (scores, a, b)
    }

    fn impact_of(scores: &[u8], m: &[bool]) -> f64 {
        let all = tally_of(scores.iter().copied());
        let rest = tally_of(scores.iter().zip(m).filter(|(_, m)| !**m).map(|(s, _)| *s));
        all.nps().unwrap() - rest.nps().unwrap()
    }

    fn tallies(scores: &[u8], m: &[bool]) -> (Tally, Tally) {
        let with = tally_of(scores.iter().zip(m).filter(|(_, m)| **m).map(|(s, _)| *s));
        let without = tally_of(scores.iter().zip(m).filter(|(_, m)| !**m).map(|(s, _)| *s));
        (with, without)
    }

    /// The margin again by another route: the multinomial delta method over the six cells
    /// (mentioning or not x promoter, passive, detractor), with the gradient of the impact
    /// with respect to the cells' proportions.
    #[test]
    fn impact_margin_is_the_multinomial_delta_method() {
        let (scores, a, _) = planted(500, 7);
        let (with, without) = tallies(&scores, &a);
        let n = scores.len() as f64;
        let cells = |t: &Tally| {
            [(t.promoters as f64 / n, 100.0), (t.passives as f64 / n, 0.0), (t.detractors as f64 / n, -100.0)]
        };
        let q: f64 = cells(&without).iter().map(|c| c.0).sum();
        let mu0: f64 = cells(&without).iter().map(|(p, v)| p * v).sum::<f64>() / q;
        // d impact / d p: v for a mentioning cell; v - (v - NPS(without)) / q for the others.
        let grads: Vec<(f64, f64)> = cells(&with)
            .iter()
            .map(|&(p, v)| (p, v))
            .chain(cells(&without).iter().map(|&(p, v)| (p, v - (v - mu0) / q)))
            .collect();
        let mean: f64 = grads.iter().map(|(p, g)| p * g).sum();
        let var = (grads.iter().map(|(p, g)| p * g * g).sum::<f64>() - mean * mean) / n;
        let moe = impact_moe95(&with, &without).unwrap();
        assert!((moe - 1.96 * var.sqrt()).abs() < 1e-9, "{moe} against {}", 1.96 * var.sqrt());
    }

    /// The margin is what resampling the responses shows: the bootstrap's standard
    /// deviation of the impact, and of the difference of two impacts, within 10 % of the
    /// delta method's.
    #[test]
    fn impact_margins_agree_with_a_bootstrap() {
        let (scores, a, b) = planted(400, 3);
        let (with, without) = tallies(&scores, &a);
        let (d, d_moe) = impact_difference(&scores, &a, &b).unwrap();
        assert!((d - (impact_of(&scores, &a) - impact_of(&scores, &b))).abs() < 1e-9);
        let mut st = 11u64;
        let (mut single, mut diff) = (Vec::new(), Vec::new());
        for _ in 0..2000 {
            let idx: Vec<usize> = (0..scores.len()).map(|_| lcg(&mut st) as usize % scores.len()).collect();
            let s: Vec<u8> = idx.iter().map(|&i| scores[i]).collect();
            let (ma, mb): (Vec<bool>, Vec<bool>) = idx.iter().map(|&i| (a[i], b[i])).unzip();
            single.push(impact_of(&s, &ma));
            diff.push(impact_of(&s, &ma) - impact_of(&s, &mb));
        }
        let sd = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
        };
        for (delta, boot) in [(impact_moe95(&with, &without).unwrap() / 1.96, sd(&single)), (d_moe / 1.96, sd(&diff))] {
            assert!((delta / boot - 1.0).abs() < 0.1, "delta method {delta}, bootstrap {boot}");
        }
        // A theme against itself: no difference, no margin.
        assert_eq!(impact_difference(&scores, &a, &a), Some((0.0, 0.0)));
        // A theme every response mentions has no margin (its impact is 0 by definition).
        let every = vec![true; scores.len()];
        assert_eq!(impact_moe95(&tally_of(scores.iter().copied()), &Tally::default()), None);
        assert_eq!(impact_difference(&scores, &every, &a), None);
    }

    /// Tiers: a planted first driver stands apart; two drivers with the same detractors
    /// share a tier; a driver that costs nothing comes after them.
    #[test]
    fn close_drivers_share_a_tier() {
        let mut st = 5u64;
        let n = 2000;
        let (mut scores, mut m) = (Vec::new(), vec![Vec::new(); 4]);
        for _ in 0..n {
            let which: Vec<bool> = (0..4).map(|_| lcg(&mut st).is_multiple_of(5)).collect();
            let bad = if which[0] {
                90
            } else if which[1] || which[2] {
                55
            } else {
                25
            };
            scores.push(if (lcg(&mut st) % 100) < bad { 3 } else { 10 });
            which.iter().zip(m.iter_mut()).for_each(|(w, v)| v.push(*w));
        }
        let impacts: Vec<f64> = m.iter().map(|x| impact_of(&scores, x)).collect();
        assert!(impacts[0] < impacts[1] && impacts[1].min(impacts[2]) < impacts[3], "{impacts:?}");
        let mut order: Vec<usize> = (0..4).collect();
        order.sort_by(|&x, &y| impacts[x].total_cmp(&impacts[y]));
        let listed: Vec<Vec<bool>> = order.iter().map(|&k| m[k].clone()).collect();
        assert_eq!(tiers(&scores, &listed), vec![0, 1, 1, 2], "{impacts:?}");
        // With a tenth of the responses, nothing but the first is told apart.
        let few: Vec<Vec<bool>> = listed.iter().map(|x| x[..200].to_vec()).collect();
        let t = tiers(&scores[..200], &few);
        assert_eq!((t[0], t[1] == t[2]), (0, true), "{t:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Margins and tiers do not depend on the order of the responses.
        #[test]
        fn margins_and_tiers_ignore_the_order_of_responses(
            rows in proptest::collection::vec((0u8..=10, proptest::collection::vec(proptest::bool::weighted(0.3), 4)), 12..200),
            seed in 0u64..1000,
        ) {
            let scores: Vec<u8> = rows.iter().map(|r| r.0).collect();
            let masks: Vec<Vec<bool>> = (0..4).map(|k| rows.iter().map(|r| r.1[k]).collect()).collect();
            // The same responses in another order.
            let mut st = seed;
            let mut order: Vec<usize> = (0..rows.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, lcg(&mut st) as usize % (i + 1));
            }
            let scores2: Vec<u8> = order.iter().map(|&i| scores[i]).collect();
            let masks2: Vec<Vec<bool>> = masks.iter().map(|m| order.iter().map(|&i| m[i]).collect()).collect();
            proptest::prop_assert_eq!(tiers(&scores, &masks), tiers(&scores2, &masks2));
            for (m, m2) in masks.iter().zip(&masks2) {
                let (w, wo) = tallies(&scores, m);
                let (w2, wo2) = tallies(&scores2, m2);
                proptest::prop_assert_eq!(impact_moe95(&w, &wo), impact_moe95(&w2, &wo2));
                let (d, d2) = (impact_difference(&scores, m, &masks[0]), impact_difference(&scores2, m2, &masks2[0]));
                proptest::prop_assert_eq!(d.is_some(), d2.is_some());
                if let (Some(a), Some(b)) = (d, d2) {
                    proptest::prop_assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9, "{:?} {:?}", a, b);
                }
            }
        }
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
