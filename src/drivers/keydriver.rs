//! The second view of drivers, for themes that appear together: a key-driver model of
//! detraction. A logistic regression of "detractor" on the theme indicators gives each
//! theme's odds ratio with the others held fixed; the Shapley decomposition of the R² of
//! the linear probability model on the same indicators (Lindeman, Merenda and Gold) says
//! which share of the explained variance of detraction each theme carries.

/// Odds ratio and share of explained variance of each theme (input order), and the R².
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyDrivers {
    pub r2: f64,
    pub odds_ratio: Vec<f64>,
    /// Shapley shares of R²; they sum to `r2`.
    pub relative_importance: Vec<f64>,
}

// Index loops below mirror the linear algebra (rows, columns, cross products).
#[allow(clippy::needless_range_loop)]
/// Solve `a x = b` (small, symmetric positive semi-definite) by Gaussian elimination with
/// partial pivoting and a tiny ridge.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += 1e-9;
    }
    for c in 0..n {
        let p = (c..n).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs())).expect("non-empty");
        a.swap(c, p);
        b.swap(c, p);
        let d = a[c][c];
        if d.abs() < 1e-15 {
            continue;
        }
        for r in (c + 1)..n {
            let f = a[r][c] / d;
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = ((c + 1)..n).map(|k| a[c][k] * x[k]).sum();
        x[c] = if a[c][c].abs() < 1e-15 { 0.0 } else { (b[c] - s) / a[c][c] };
    }
    x
}

/// At most this many themes enter the Shapley decomposition (2^k subset regressions).
pub const MAX_THEMES: usize = 14;

#[allow(clippy::needless_range_loop)]
pub fn key_drivers(x: &[Vec<bool>], y: &[bool]) -> Option<KeyDrivers> {
    let n = y.len();
    let k = x.first().map_or(0, Vec::len);
    if n < 10 || k == 0 || k > MAX_THEMES {
        return None;
    }
    // The indicators take at most 2^k patterns: each pattern's count of others and of
    // detractors (in pattern order) is all the models below need, and makes them
    // independent of row order. `pcol(p, a)`: column `a` of pattern `p`, 0 the intercept.
    let mut patterns: std::collections::BTreeMap<u32, [f64; 2]> = std::collections::BTreeMap::new();
    for i in 0..n {
        let p = (0..k).filter(|&j| x[i][j]).fold(0u32, |m, j| m | 1 << j);
        patterns.entry(p).or_insert([0.0; 2])[usize::from(y[i])] += 1.0;
    }
    let pcol = |p: u32, a: usize| if a == 0 { 1.0 } else { f64::from(p >> (a - 1) & 1) };
    // Cross products (sums of counts of 0/1 products: exact in f64).
    let mut g = vec![vec![0.0; k + 1]; k + 1];
    let mut xy = vec![0.0; k + 1];
    for (&p, &[others, detractors]) in &patterns {
        for a in 0..=k {
            let va = pcol(p, a);
            xy[a] += va * detractors;
            for b in 0..=k {
                g[a][b] += va * pcol(p, b) * (others + detractors);
            }
        }
    }
    let ybar = xy[0] / n as f64;
    let sst = xy[0] - n as f64 * ybar * ybar;
    if sst <= 0.0 {
        return None;
    }
    let r2_of = |mask: usize| -> f64 {
        let idx: Vec<usize> = std::iter::once(0).chain((0..k).filter(|j| mask >> j & 1 == 1).map(|j| j + 1)).collect();
        let a: Vec<Vec<f64>> = idx.iter().map(|&r| idx.iter().map(|&c| g[r][c]).collect()).collect();
        let b: Vec<f64> = idx.iter().map(|&r| xy[r]).collect();
        let beta = solve(a, b.clone());
        let explained: f64 = beta.iter().zip(&b).map(|(p, q)| p * q).sum::<f64>() - n as f64 * ybar * ybar;
        (explained / sst).clamp(0.0, 1.0)
    };
    let r2: Vec<f64> = (0..1usize << k).map(r2_of).collect();
    let fact = |m: usize| (1..=m).map(|v| v as f64).product::<f64>();
    let mut shapley = vec![0.0; k];
    for (j, s) in shapley.iter_mut().enumerate() {
        for mask in 0..1usize << k {
            if mask >> j & 1 == 1 {
                continue;
            }
            let size = mask.count_ones() as usize;
            let w = fact(size) * fact(k - size - 1) / fact(k);
            *s += w * (r2[mask | 1 << j] - r2[mask]);
        }
    }
    // Logistic regression (Newton-free: gradient descent, deterministic), odds ratios; each
    // step sums over the patterns, so it costs the number of patterns, not of responses.
    let mut beta = vec![0.0; k + 1];
    let step = 4.0 / (k as f64 + 1.0);
    for _ in 0..2000 {
        let mut grad = vec![0.0; k + 1];
        for (&p, &[others, detractors]) in &patterns {
            let z: f64 = (0..=k).map(|a| beta[a] * pcol(p, a)).sum();
            let prob = 1.0 / (1.0 + (-z).exp());
            // Sum over the pattern's rows of (prob - y): detractors give prob - 1, others prob.
            let err = (others + detractors) * prob - detractors;
            for (a, g) in grad.iter_mut().enumerate() {
                *g += err * pcol(p, a) / n as f64;
            }
        }
        for a in 0..=k {
            beta[a] -= step * (grad[a] + if a > 0 { 1e-3 * beta[a] } else { 0.0 });
        }
    }
    Some(KeyDrivers {
        r2: r2[(1 << k) - 1],
        odds_ratio: beta[1..].iter().map(|b| b.exp()).collect(),
        relative_importance: shapley,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapley_shares_sum_to_r2_and_rank_the_real_driver() {
        // Theme 0 drives detraction; theme 1 is noise; theme 2 co-occurs with theme 0.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400u32 {
            let t0 = i % 3 == 0;
            let t1 = i % 5 == 0;
            let t2 = t0 && i % 2 == 0;
            x.push(vec![t0, t1, t2]);
            y.push(if t0 { i % 10 != 0 } else { i % 7 == 0 });
        }
        let kd = key_drivers(&x, &y).unwrap();
        let sum: f64 = kd.relative_importance.iter().sum();
        assert!((sum - kd.r2).abs() < 1e-9, "{kd:?}");
        assert!(
            kd.relative_importance[0] > kd.relative_importance[1]
                && kd.relative_importance[0] > kd.relative_importance[2]
        );
        assert!(kd.odds_ratio[0] > 3.0, "{kd:?}");
        assert_eq!(key_drivers(&x, &y), Some(kd.clone()), "deterministic");

        // The same responses in another order: the same model, to the bit.
        let order: Vec<usize> = (0..x.len()).rev().step_by(2).chain((0..x.len()).step_by(2)).collect();
        let xs: Vec<Vec<bool>> = order.iter().map(|&i| x[i].clone()).collect();
        let ys: Vec<bool> = order.iter().map(|&i| y[i]).collect();
        let shuffled = key_drivers(&xs, &ys).unwrap();
        assert_eq!(shuffled.odds_ratio, kd.odds_ratio);

        // Odds ratios as a logistic regression fitted response by response gives them.
        let (k, n) = (3, x.len() as f64);
        let mut beta = vec![0.0; k + 1];
        for _ in 0..2000 {
            let mut grad = vec![0.0; k + 1];
            for (xi, &yi) in x.iter().zip(&y) {
                let row: Vec<f64> = std::iter::once(1.0).chain(xi.iter().map(|&v| f64::from(u8::from(v)))).collect();
                let z: f64 = row.iter().zip(&beta).map(|(v, b)| v * b).sum();
                let err = 1.0 / (1.0 + (-z).exp()) - f64::from(u8::from(yi));
                grad.iter_mut().zip(&row).for_each(|(g, v)| *g += err * v / n);
            }
            for a in 0..=k {
                beta[a] -= 4.0 / (k as f64 + 1.0) * (grad[a] + if a > 0 { 1e-3 * beta[a] } else { 0.0 });
            }
        }
        for (got, want) in kd.odds_ratio.iter().zip(beta[1..].iter().map(|b| b.exp())) {
            assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        }
    }
}
