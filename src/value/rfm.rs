//! RFM segments (docs/METRICS.md "RFM segments"): recency, frequency and monetary value,
//! each scored 1-5 by quintile, and a named segment from the three scores.
//!
//! **Scores.** Among the respondents that have all three values (n of them), a respondent's
//! score on one measure is `1 + floor(5 x b / n)`, where b counts the respondents strictly
//! *worse* on that measure: fewer orders (F), less value (M), *more* days since the last
//! purchase (R). Ties get the same score whatever the input order, the best get 5 and the
//! worst 1.
//!
//! **Segments** (first rule that matches):
//!
//! | segment | rule |
//! |---|---|
//! | champions | R >= 4, F >= 4, M >= 4 |
//! | loyal | R >= 3, F >= 3 |
//! | new | R >= 4, F <= 2 |
//! | at risk | R <= 2, F >= 3 |
//! | hibernating | R <= 2, F <= 2 |
//! | need attention | the rest (R = 3, F <= 2) |

/// Name of the segment column an RFM run adds (nps.parquet's `segment`, responses.parquet).
pub const SEGMENT_COLUMN: &str = "RFM segment";
/// Value of respondents missing one of the three values.
pub const NO_DATA: &str = "(no RFM data)";

/// The named segments, best first.
pub const SEGMENTS: [&str; 6] = ["champions", "loyal", "new", "need attention", "at risk", "hibernating"];

/// Quintile scores 1-5 of `values` (None stays None). `higher_is_better`: true for
/// frequency and value, false for recency in days.
pub fn quintile_scores(values: &[Option<f64>], higher_is_better: bool) -> Vec<Option<u8>> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            let below = if higher_is_better {
                sorted.partition_point(|x| *x < v)
            } else {
                n - sorted.partition_point(|x| *x <= v)
            };
            Some(1 + (5 * below / n) as u8)
        })
        .collect()
}

/// The named segment of scores (r, f, m), by the rule table of the module documentation.
pub fn segment(r: u8, f: u8, m: u8) -> &'static str {
    if r >= 4 && f >= 4 && m >= 4 {
        "champions"
    } else if r >= 3 && f >= 3 {
        "loyal"
    } else if r >= 4 {
        "new"
    } else if r <= 2 && f >= 3 {
        "at risk"
    } else if r <= 2 {
        "hibernating"
    } else {
        "need attention"
    }
}

/// R, F and M scores of each respondent; None unless all three values are present (only
/// those respondents are ranked).
pub fn scores(
    recency_days: &[Option<f64>],
    frequency: &[Option<f64>],
    monetary: &[Option<f64>],
) -> Vec<Option<[u8; 3]>> {
    let complete = |i: usize| recency_days[i].is_some() && frequency[i].is_some() && monetary[i].is_some();
    let only = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        v.iter().enumerate().map(|(i, x)| if complete(i) { *x } else { None }).collect()
    };
    let r = quintile_scores(&only(recency_days), false);
    let f = quintile_scores(&only(frequency), true);
    let m = quintile_scores(&only(monetary), true);
    (0..r.len()).map(|i| Some([r[i]?, f[i]?, m[i]?])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/METRICS.md "RFM segments", worked example: ten customers.
    #[test]
    fn metrics_md_worked_example_rfm() {
        let days = [5.0, 12.0, 12.0, 30.0, 45.0, 60.0, 90.0, 120.0, 200.0, 300.0].map(Some);
        let orders = [12.0, 2.0, 9.0, 8.0, 1.0, 7.0, 10.0, 3.0, 1.0, 6.0].map(Some);
        let spend = [2500.0, 300.0, 900.0, 1800.0, 80.0, 1200.0, 2100.0, 150.0, 60.0, 700.0].map(Some);
        let s: Vec<[u8; 3]> = scores(&days, &orders, &spend).into_iter().map(Option::unwrap).collect();
        // R: 5 days is best (9 worse) -> 5; the two 12-day customers tie (7 worse) -> 4.
        assert_eq!(s.iter().map(|x| x[0]).collect::<Vec<_>>(), [5, 4, 4, 4, 3, 3, 2, 2, 1, 1]);
        // F: 1 order twice (none worse) -> 1; 12 orders (9 worse) -> 5.
        assert_eq!(s.iter().map(|x| x[1]).collect::<Vec<_>>(), [5, 2, 4, 4, 1, 3, 5, 2, 1, 3]);
        assert_eq!(s.iter().map(|x| x[2]).collect::<Vec<_>>(), [5, 2, 3, 4, 1, 4, 5, 2, 1, 3]);
        let names: Vec<&str> = s.iter().map(|x| segment(x[0], x[1], x[2])).collect();
        assert_eq!(
            names,
            [
                "champions",
                "new",
                "loyal",
                "champions",
                "need attention",
                "loyal",
                "at risk",
                "hibernating",
                "hibernating",
                "at risk"
            ]
        );
    }

    #[test]
    fn ties_and_order_do_not_matter() {
        let v = [Some(3.0), None, Some(3.0), Some(1.0), Some(9.0)];
        let s = quintile_scores(&v, true);
        assert_eq!(s, [Some(2), None, Some(2), Some(1), Some(4)]);
        let mut rev = v;
        rev.reverse();
        let mut back = quintile_scores(&rev, true);
        back.reverse();
        assert_eq!(s, back);
        // All equal: everyone 1 (nobody is worse).
        assert_eq!(quintile_scores(&[Some(2.0); 4], true), [Some(1); 4]);
        // Recency: fewer days is better.
        assert_eq!(quintile_scores(&[Some(1.0), Some(100.0)], false), [Some(3), Some(1)]);
    }

    #[test]
    fn every_score_combination_has_a_segment() {
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert!(SEGMENTS.contains(&segment(r, f, m)));
                }
            }
        }
        // Incomplete respondents are not scored and do not shift the others.
        let s = scores(&[Some(1.0), None], &[Some(1.0), Some(2.0)], &[Some(1.0), Some(2.0)]);
        assert_eq!(s, [Some([1, 1, 1]), None]);
    }
}
