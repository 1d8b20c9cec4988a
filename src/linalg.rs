//! Small numeric helpers shared by the linear models of `sentiment` and `themes`
//! (standardisation, a curvature bound for the gradient-descent step, a dot product that
//! vectorises). Deterministic: fixed summation order.

/// Row-major standardised features.
pub struct Standardized {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    /// `n x d`, row-major.
    pub z: Vec<f32>,
    pub n: usize,
    pub d: usize,
}

/// Per-column mean and standard deviation (floored at 1e-6), and the standardised rows.
pub fn standardize(x: &[Vec<f32>]) -> Standardized {
    let n = x.len();
    let d = x.first().map_or(0, Vec::len);
    let mut mean = vec![0f64; d];
    for row in x {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let mut var = vec![0f64; d];
    for row in x {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (*v as f64 - m).powi(2);
        }
    }
    let std: Vec<f64> = var.iter().map(|s| (s / n.max(1) as f64).sqrt().max(1e-6)).collect();
    let z: Vec<f32> = x
        .iter()
        .flat_map(|row| row.iter().zip(&mean).zip(&std).map(|((v, m), s)| ((*v as f64 - m) / s) as f32))
        .collect();
    Standardized { mean, std, z, n, d }
}

/// Largest eigenvalue of the weighted second moment of the rows with a constant column
/// appended (Σ w_i [z_i, 1][z_i, 1]ᵀ), by 30 power iterations. Multiplied by the bound on a
/// link's second derivative (1/2 softmax, 1/4 sigmoid), it bounds the curvature of a
/// logistic loss, and 1/L is a safe gradient step.
#[allow(clippy::needless_range_loop)] // rows of a flat matrix, by index
pub fn second_moment_bound(s: &Standardized, w: &[f64]) -> f64 {
    let (n, d) = (s.n, s.d);
    largest_eigenvalue(d + 1, |v, next| {
        for i in 0..n {
            let row = &s.z[i * d..(i + 1) * d];
            let dot = dot_lanes_f64(row, &v[..d]) + v[d];
            for (nj, a) in next[..d].iter_mut().zip(row) {
                *nj += w[i] * dot * *a as f64;
            }
            next[d] += w[i] * dot;
        }
    })
}

/// Largest eigenvalue of a positive semi-definite `dim x dim` operator by 30 power
/// iterations from the uniform unit vector; `apply(v, out)` adds the operator times `v` to
/// the zeroed `out`.
pub fn largest_eigenvalue(dim: usize, apply: impl Fn(&[f64], &mut [f64])) -> f64 {
    let mut v = vec![1.0f64 / (dim as f64).sqrt(); dim];
    let mut lambda = 1.0;
    for _ in 0..30 {
        let mut next = vec![0f64; dim];
        apply(&v, &mut next);
        lambda = next.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
        v = next.iter().map(|x| x / lambda).collect();
    }
    lambda
}

/// Dot product with eight running sums, added in a fixed order: it vectorises, and its
/// rounding, though not a sequential sum's, is the same on every run and thread count.
pub fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `a . b` for f32 features and f64 weights, in eight running f64 sums added in a fixed
/// order ([`dot_lanes`]'s reason: it vectorises, and is the same on every run).
pub fn dot_lanes_f64(a: &[f32], b: &[f64]) -> f64 {
    let mut acc = [0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| *x as f64 * y).sum();
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            acc[j] += x[j] as f64 * y[j];
        }
    }
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_in_lanes_is_the_dot_product() {
        let a: Vec<f32> = (0..395).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
        let b: Vec<f64> = (0..395).map(|i| ((i * 13) % 7) as f64 * 0.25 - 0.5).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * y).sum();
        assert!((dot_lanes_f64(&a, &b) - plain).abs() < 1e-9);
        assert_eq!(dot_lanes_f64(&a[..5], &b[..5]), a[..5].iter().zip(&b).map(|(x, y)| *x as f64 * y).sum::<f64>());
    }

    #[test]
    fn standardizes_and_bounds() {
        let x = vec![vec![1.0, 10.0], vec![3.0, 10.0]];
        let s = standardize(&x);
        assert_eq!(s.mean, vec![2.0, 10.0]);
        assert_eq!(s.z[0], -1.0);
        assert_eq!(s.z[2], 1.0);
        // Constant column: std floored, z = 0. Second moment of [±1, 0, 1] rows, weights 1/2:
        // [[1,0,0],[0,0,0],[0,0,1]] -> largest eigenvalue 1.
        assert!((second_moment_bound(&s, &[0.5, 0.5]) - 1.0).abs() < 1e-9);
    }
}
