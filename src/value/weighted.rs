//! Value-weighted NPS (docs/METRICS.md "Value-weighted NPS"): each response weighs its
//! customer's value. Only responses with a value take part; a group's sums are mergeable
//! (plain sums), so Polars computes them in its group-bys and this module does the
//! arithmetic.
//!
//! With x = +1 (promoter), 0 (passive), -1 (detractor) and w the value:
//!
//! ```text
//! NPS_w   = 100 x sum(w x) / sum(w)
//! V       = n / (n - 1) x sum(w^2 (x - R)^2) / sum(w)^2        (R = NPS_w / 100)
//! moe95_w = 1.96 x sqrt(V) x 100
//! n_eff   = sum(w)^2 / sum(w^2)                                  (Kish)
//! ```
//!
//! V is the linearised (Taylor) variance of a ratio estimator, with the n / (n - 1) small
//! sample factor. It needs no random draws, so it is the same whatever the thread count.

/// The sums of one group of responses with a value, enough for every weighted figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct WeightedSums {
    /// Responses with a value.
    pub n: u64,
    /// sum(w): the group's total value.
    pub w: f64,
    /// sum(w x).
    pub wx: f64,
    /// sum(w^2).
    pub w2: f64,
    /// sum(w^2 x).
    pub w2x: f64,
    /// sum(w^2 x^2) (= the sum of w^2 over promoters and detractors).
    pub w2x2: f64,
}

/// +1 promoter, 0 passive, -1 detractor.
pub fn contribution(score: u8) -> f64 {
    match score {
        9..=10 => 1.0,
        7..=8 => 0.0,
        _ => -1.0,
    }
}

impl WeightedSums {
    /// Add one response of `score` and value `w`.
    pub fn add(&mut self, score: u8, w: f64) {
        let x = contribution(score);
        self.n += 1;
        self.w += w;
        self.wx += w * x;
        self.w2 += w * w;
        self.w2x += w * w * x;
        self.w2x2 += w * w * x * x;
    }

    /// The sums of some (score, value) pairs; pairs without a value are left out.
    pub fn of(pairs: impl IntoIterator<Item = (u8, Option<f64>)>) -> WeightedSums {
        let mut s = WeightedSums::default();
        for (score, w) in pairs {
            if let Some(w) = w {
                s.add(score, w);
            }
        }
        s
    }

    /// 100 x sum(w x) / sum(w); None when the total value is 0.
    pub fn nps(&self) -> Option<f64> {
        (self.w > 0.0).then(|| 100.0 * self.wx / self.w)
    }

    /// Linearised variance of the ratio NPS_w / 100; None under 2 responses or no value.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 || self.w <= 0.0 {
            return None;
        }
        let r = self.wx / self.w;
        let ss = (self.w2x2 - 2.0 * r * self.w2x + r * r * self.w2).max(0.0);
        let n = self.n as f64;
        Some(n / (n - 1.0) * ss / (self.w * self.w))
    }

    /// 95 % margin of NPS_w, in points.
    pub fn moe95(&self) -> Option<f64> {
        self.variance().map(|v| 1.96 * v.sqrt() * 100.0)
    }

    /// Kish's effective sample size: sum(w)^2 / sum(w^2); None when every value is 0.
    pub fn n_effective(&self) -> Option<f64> {
        (self.w2 > 0.0).then(|| self.w * self.w / self.w2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nps::stats::Tally;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// docs/METRICS.md "Value-weighted NPS", worked example: a promoter worth 3,000, a
    /// promoter worth 600, a passive worth 1,200 and a detractor worth 1,200.
    #[test]
    fn metrics_md_worked_example_weighted_nps() {
        let s = WeightedSums::of([(10, Some(3000.0)), (9, Some(600.0)), (8, Some(1200.0)), (3, Some(1200.0))]);
        assert_eq!(s.w, 6000.0);
        assert!(close(s.nps().unwrap(), 40.0, 1e-9));
        assert_eq!(Tally::from_scores([10, 9, 8, 3]).nps(), Some(25.0));
        assert!(close(s.n_effective().unwrap(), 2.941_176, 1e-6), "{:?}", s.n_effective());
        // sum w^2 (x - R)^2 = 6,422,400; x 4/3 / 6000^2 = 0.237867; sqrt x 196 = 95.59.
        assert!(close(s.variance().unwrap(), 0.237_866_67, 1e-7), "{:?}", s.variance());
        assert!(close(s.moe95().unwrap(), 95.593, 1e-3), "{:?}", s.moe95());
    }

    /// Equal values: the weighted NPS is the plain NPS, n_eff = n.
    #[test]
    fn equal_values_give_the_plain_nps() {
        let scores: Vec<u8> = (0..200).map(|i| [10, 9, 8, 7, 6, 2, 10, 9, 0, 5, 9][i % 11]).collect();
        let s = WeightedSums::of(scores.iter().map(|&x| (x, Some(42.0))));
        let t = Tally::from_scores(scores.iter().copied());
        assert!(close(s.nps().unwrap(), t.nps().unwrap(), 1e-9));
        assert!(close(s.n_effective().unwrap(), 200.0, 1e-9));
        // The variance is then V / (n - 1), V = p + d - (p - d)^2 (docs/METRICS.md).
        let (p, d) = (t.promoters as f64 / 200.0, t.detractors as f64 / 200.0);
        assert!(close(s.variance().unwrap(), (p + d - (p - d).powi(2)) / 199.0, 1e-12));
    }

    /// Doubling every value (or expressing it in cents) changes nothing.
    #[test]
    fn scaling_every_value_changes_nothing() {
        let pairs: Vec<(u8, Option<f64>)> =
            (0..97).map(|i| ([10, 3, 8, 9, 6, 0][i % 6], Some(10.0 + (i * 37 % 101) as f64))).collect();
        let a = WeightedSums::of(pairs.iter().copied());
        for k in [2.0, 100.0] {
            let b = WeightedSums::of(pairs.iter().map(|&(s, w)| (s, w.map(|w| w * k))));
            assert!(close(a.nps().unwrap(), b.nps().unwrap(), 1e-9));
            assert!(close(a.moe95().unwrap(), b.moe95().unwrap(), 1e-9));
            assert!(close(a.n_effective().unwrap(), b.n_effective().unwrap(), 1e-9));
        }
    }

    #[test]
    fn degenerate_groups() {
        assert_eq!(WeightedSums::default().nps(), None);
        let one = WeightedSums::of([(10, Some(5.0))]);
        assert_eq!(one.nps(), Some(100.0));
        assert_eq!(one.moe95(), None);
        let zero = WeightedSums::of([(10, Some(0.0)), (0, Some(0.0))]);
        assert_eq!((zero.nps(), zero.n_effective()), (None, None));
        // Responses without a value are left out.
        assert_eq!(WeightedSums::of([(10, None), (0, Some(1.0))]).nps(), Some(-100.0));
    }
}
