//! NPS arithmetic (docs/METRICS.md defines every number here, with worked examples that
//! the tests below check).

/// promoter (9-10), passive (7-8) or detractor (0-6).
pub fn group(score: u8) -> &'static str {
    match score {
        9..=10 => "promoter",
        7..=8 => "passive",
        _ => "detractor",
    }
}

/// A response's NPS points: +100 a promoter, 0 a passive, -100 a detractor (NPS is their
/// mean).
pub fn points(score: u8) -> f64 {
    match group(score) {
        "promoter" => 100.0,
        "passive" => 0.0,
        _ => -100.0,
    }
}

/// NPS = 100 x (promoters - detractors) / n, in -100..=100. None when n = 0.
pub fn nps(promoters: u64, detractors: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / n as f64)
}

/// 95 % margin of error, adjusted Wald: add 3/4 to the promoter and detractor counts and 3
/// to n, then 1.96 x sqrt((p + d - (p - d)^2) / n) x 100. Defined for n = 0 too (wide).
pub fn moe95(promoters: u64, detractors: u64, n: u64) -> f64 {
    let n_adj = n as f64 + 3.0;
    let p = (promoters as f64 + 0.75) / n_adj;
    let d = (detractors as f64 + 0.75) / n_adj;
    1.96 * ((p + d - (p - d).powi(2)) / n_adj).sqrt() * 100.0
}

/// Variance of one response's NPS contribution (+1 / 0 / -1): p + d - (p - d)^2.
fn variance(promoters: u64, detractors: u64, n: u64) -> f64 {
    let p = promoters as f64 / n as f64;
    let d = detractors as f64 / n as f64;
    p + d - (p - d).powi(2)
}

/// Counts of one group of responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Tally {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

impl Tally {
    /// Count the groups of some scores.
    pub fn from_scores(scores: impl IntoIterator<Item = u8>) -> Tally {
        let mut t = Tally::default();
        for s in scores {
            t.n += 1;
            match s {
                9..=10 => t.promoters += 1,
                7..=8 => t.passives += 1,
                _ => t.detractors += 1,
            }
        }
        t
    }

    pub fn nps(&self) -> Option<f64> {
        nps(self.promoters, self.detractors, self.n)
    }

    pub fn moe95(&self) -> f64 {
        moe95(self.promoters, self.detractors, self.n)
    }
}

/// Change between two periods: (NPS of `now` - NPS of `before`, two-sided p-value of the
/// Wald z-test z = (NPS1 - NPS2) / sqrt(V1/n1 + V2/n2)). The p-value is None when either
/// group is empty or both variances are zero (every response the same group).
pub fn change(now: &Tally, before: &Tally) -> Option<(f64, Option<f64>)> {
    let (a, b) = (now.nps()?, before.nps()?);
    let se = (variance(now.promoters, now.detractors, now.n) / now.n as f64
        + variance(before.promoters, before.detractors, before.n) / before.n as f64)
        .sqrt();
    let p = (se > 0.0).then(|| {
        let z = (a - b) / 100.0 / se;
        two_sided_p(z)
    });
    Some((a - b, p))
}

/// One-sided test of an NPS against a target T (docs/METRICS.md "Gap to a target"):
/// z = (NPS - T) / 100 / sqrt(V / n), V = p + d - (p - d)^2, and the p-value of "the NPS is
/// below T", P(Z <= z) = erfc(-z / sqrt 2) / 2. None when n = 0 or V = 0 (every response in
/// the same group: no spread to test with).
pub fn below_target(t: &Tally, target: f64) -> Option<(f64, f64)> {
    let nps = t.nps()?;
    let v = variance(t.promoters, t.detractors, t.n);
    if v <= 0.0 {
        return None;
    }
    let z = (nps - target) / 100.0 / (v / t.n as f64).sqrt();
    Some((z, (erfc(-z / std::f64::consts::SQRT_2) / 2.0).clamp(0.0, 1.0)))
}

/// Two-sided p-value of a standard normal statistic: erfc(|z| / sqrt 2).
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// Complementary error function (Chebyshev fit, fractional error below 1.2e-7; Press et al.,
/// Numerical Recipes, `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NPS is the mean of the responses' points, for every score.
    #[test]
    fn nps_is_the_mean_of_points() {
        assert_eq!((0..=10).map(points).collect::<Vec<_>>(), [[-100.0; 7].as_slice(), &[0.0; 2], &[100.0; 2]].concat());
        let scores = [0u8, 3, 6, 7, 8, 9, 10, 10, 10, 5];
        let mean = scores.iter().map(|&s| points(s)).sum::<f64>() / scores.len() as f64;
        assert!(close(mean, Tally::from_scores(scores).nps().unwrap(), 1e-12));
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn groups() {
        assert_eq!(group(0), "detractor");
        assert_eq!(group(6), "detractor");
        assert_eq!(group(7), "passive");
        assert_eq!(group(8), "passive");
        assert_eq!(group(9), "promoter");
        assert_eq!(group(10), "promoter");
    }

    /// docs/METRICS.md, "Worked example": 200 responses, 90 promoters, 60 passives, 50 detractors.
    #[test]
    fn metrics_md_worked_example_nps_and_margin() {
        let t = Tally { n: 200, promoters: 90, passives: 60, detractors: 50 };
        assert_eq!(t.nps(), Some(20.0));
        assert!(close(t.moe95(), 11.1607, 1e-4), "{}", t.moe95());
        // DOMAIN.md: 33 % promoters - 8 % detractors = +25.
        assert_eq!(nps(33, 8, 100), Some(25.0));
        assert_eq!(nps(0, 0, 0), None);
        // Small samples: 10 responses, 5 promoters, 1 detractor: NPS 40 +/- 37.75.
        assert!(close(moe95(5, 1, 10), 37.7503, 1e-4));
    }

    /// docs/METRICS.md, "Change between periods": week 2 (150 responses, 60 P, 45 D, NPS 10)
    /// against week 1 (the example above, NPS 20): -10 points, z = -1.1251, p = 0.2606.
    #[test]
    fn metrics_md_worked_example_change() {
        let w1 = Tally { n: 200, promoters: 90, passives: 60, detractors: 50 };
        let w2 = Tally { n: 150, promoters: 60, passives: 45, detractors: 45 };
        let (delta, p) = change(&w2, &w1).unwrap();
        assert!(close(delta, -10.0, 1e-9));
        assert!(close(p.unwrap(), 0.26055, 1e-4), "{p:?}");
        // Symmetric.
        let (d2, p2) = change(&w1, &w2).unwrap();
        assert!(close(d2, 10.0, 1e-9) && close(p2.unwrap(), p.unwrap(), 1e-12));
    }

    /// docs/METRICS.md "Gap to a target": the 200 responses (NPS +20) against a target of
    /// +30: z = -1.7408, p = 0.0409, significantly below; against +25 it is not.
    #[test]
    fn metrics_md_worked_example_target() {
        let t = Tally { n: 200, promoters: 90, passives: 60, detractors: 50 };
        let (z, p) = below_target(&t, 30.0).unwrap();
        assert!(close(z, -1.740777, 1e-5), "{z}");
        assert!(close(p, 0.04086, 1e-4), "{p}");
        let (z, p) = below_target(&t, 25.0).unwrap();
        assert!(close(z, -0.870388, 1e-5) && p > 0.05, "{z} {p}");
        // Above the target: p above one half.
        assert!(below_target(&t, 0.0).unwrap().1 > 0.5);
        let all_p = Tally { n: 10, promoters: 10, passives: 0, detractors: 0 };
        assert_eq!(below_target(&all_p, 30.0), None);
    }

    #[test]
    fn change_degenerate_cases() {
        let all_p = Tally { n: 10, promoters: 10, passives: 0, detractors: 0 };
        assert_eq!(change(&all_p, &all_p), Some((0.0, None)));
        assert_eq!(change(&all_p, &Tally::default()), None);
    }

    #[test]
    fn erfc_reference_values() {
        assert!(close(erfc(0.0), 1.0, 2e-7));
        assert!(close(two_sided_p(1.959_963_985), 0.05, 1e-6));
        assert!(close(two_sided_p(2.575_829_3), 0.01, 1e-6));
        assert!(close(erfc(-1.0), 1.842_700_79, 1e-6));
    }
}
