//! Label-wise attention over the encoder's token states: each theme learns which tokens
//! to look at.
//!
//! A sentence embedding averages every token, so "the waiter was rude but the pasta was
//! great" is one vector halfway between service and food. Here each theme `k` has a query
//! `q_k` that weighs the clause's tokens (`softmax_t(x_t . q_k)`), an output vector `o_k`
//! read from the weighted tokens, and a linear term `w_k` on the mean of the tokens:
//!
//! `score_k = o_k . sum_t softmax_t(x_t . q_k) x_t + w_k . mean_t x_t + b_k`
//!
//! trained by minibatch AdamW on the binary cross-entropy of every (clause, theme). The
//! encoder stays frozen: training costs a few seconds on 2,000 clauses.
//!
//! Deterministic: examples are put in a canonical order (by a hash of their states and
//! targets) before a seeded shuffle, parameters start at zero, and a minibatch's gradient
//! is summed in example order whatever the thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::linalg::dot_lanes as dot;

/// Training settings (AdamW with a linear decay of the step to zero).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct AttentionOptions {
    pub epochs: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub batch: usize,
}

impl Default for AttentionOptions {
    fn default() -> Self {
        AttentionOptions { epochs: 15, learning_rate: 3e-3, weight_decay: 0.01, batch: 16 }
    }
}

/// One attention head per theme, on token states of width `dim`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenAttention {
    pub dim: usize,
    pub query: Vec<Vec<f32>>,
    pub output: Vec<Vec<f32>>,
    pub mean_weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

/// Per theme: attention weights over the tokens, and the logit.
struct Forward {
    /// `tokens x themes`, row-major.
    attention: Vec<f32>,
    /// What each token says to each theme, `o_k . x_t`: `tokens x themes`, row-major.
    readout: Vec<f32>,
    /// Mean of the token states.
    mean: Vec<f32>,
    logits: Vec<f64>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl TokenAttention {
    fn zeros(dim: usize, themes: usize) -> Self {
        TokenAttention {
            dim,
            query: vec![vec![0.0; dim]; themes],
            output: vec![vec![0.0; dim]; themes],
            mean_weights: vec![vec![0.0; dim]; themes],
            bias: vec![0.0; themes],
        }
    }

    pub fn themes(&self) -> usize {
        self.bias.len()
    }

    /// `states`: the clause's token states, `tokens x dim`, row-major (attended tokens only).
    fn forward(&self, states: &[f32]) -> Forward {
        let (d, k_n) = (self.dim, self.themes());
        let t_n = states.len() / d;
        let mut mean = vec![0f32; d];
        for x in states.chunks_exact(d) {
            mean.iter_mut().zip(x).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= t_n.max(1) as f32);
        let mut attention = vec![0f32; t_n * k_n];
        let mut readout = vec![0f32; t_n * k_n];
        let mut logits = vec![0f64; k_n];
        for k in 0..k_n {
            let a: Vec<f32> = states.chunks_exact(d).map(|x| dot(x, &self.query[k])).collect();
            let top = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f64> = a.iter().map(|v| ((v - top) as f64).exp()).collect();
            let total: f64 = e.iter().sum();
            let mut s = self.bias[k] as f64 + dot(&self.mean_weights[k], &mean) as f64;
            for (t, x) in states.chunks_exact(d).enumerate() {
                let p = e[t] / total;
                let c = dot(x, &self.output[k]);
                attention[t * k_n + k] = p as f32;
                readout[t * k_n + k] = c;
                s += p * c as f64;
            }
            logits[k] = s;
        }
        Forward { attention, readout, mean, logits }
    }

    /// Probability of each theme for one clause.
    pub fn scores(&self, states: &[f32]) -> Vec<f32> {
        if states.len() < self.dim {
            return vec![0.0; self.themes()];
        }
        self.forward(states).logits.into_iter().map(|z| sigmoid(z) as f32).collect()
    }

    /// Gradient of the summed binary cross-entropy of one example, times `scale`, in the
    /// layout of [`Self::flat`]; a theme whose target is `None` adds nothing.
    fn gradient(&self, states: &[f32], target: &[Option<bool>], scale: f64) -> Vec<f32> {
        let (d, k_n) = (self.dim, self.themes());
        let f = self.forward(states);
        let mut g = vec![0f32; 3 * k_n * d + k_n];
        let (gq, rest) = g.split_at_mut(k_n * d);
        let (go, rest) = rest.split_at_mut(k_n * d);
        let (gw, gb) = rest.split_at_mut(k_n * d);
        for k in 0..k_n {
            let Some(y) = target[k] else { continue };
            let err = ((sigmoid(f.logits[k]) - if y { 1.0 } else { 0.0 }) * scale) as f32;
            gb[k] = err;
            gw[k * d..(k + 1) * d].iter_mut().zip(&f.mean).for_each(|(a, m)| *a = err * m);
            // d score / d attention_t = o_k . x_t; through the softmax:
            // d a_t = p_t (c_t - sum_u p_u c_u).
            let t_n = states.len() / d;
            let c: Vec<f32> = (0..t_n).map(|t| f.readout[t * k_n + k]).collect();
            let p: Vec<f32> = (0..t_n).map(|t| f.attention[t * k_n + k]).collect();
            let mean_c: f32 = p.iter().zip(&c).map(|(a, b)| a * b).sum();
            let (qk, ok) = (&mut gq[k * d..(k + 1) * d], &mut go[k * d..(k + 1) * d]);
            for (t, x) in states.chunks_exact(d).enumerate() {
                let da = err * p[t] * (c[t] - mean_c);
                let dv = err * p[t];
                qk.iter_mut().zip(x).for_each(|(a, v)| *a += da * v);
                ok.iter_mut().zip(x).for_each(|(a, v)| *a += dv * v);
            }
        }
        g
    }

    /// Parameters in one vector: queries, outputs, mean weights, biases.
    fn flat(&self) -> Vec<f32> {
        let mut v: Vec<f32> = self.query.iter().flatten().copied().collect();
        v.extend(self.output.iter().flatten());
        v.extend(self.mean_weights.iter().flatten());
        v.extend(&self.bias);
        v
    }

    fn from_flat(dim: usize, themes: usize, v: &[f32]) -> Self {
        let block = |b: usize| -> Vec<Vec<f32>> {
            (0..themes).map(|k| v[(b * themes + k) * dim..(b * themes + k + 1) * dim].to_vec()).collect()
        };
        TokenAttention {
            dim,
            query: block(0),
            output: block(1),
            mean_weights: block(2),
            bias: v[3 * themes * dim..].to_vec(),
        }
    }

    /// Train on clauses' token states (each `tokens x dim`) and their themes.
    pub fn fit(
        states: &[&[f32]],
        targets: &[Vec<Option<bool>>],
        dim: usize,
        themes: usize,
        opts: &AttentionOptions,
    ) -> Self {
        let mut model = TokenAttention::zeros(dim, themes);
        let mut order: Vec<usize> = (0..states.len()).filter(|&i| states[i].len() >= dim).collect();
        if order.is_empty() || themes == 0 {
            return model;
        }
        // Canonical order: the result does not depend on the order of the examples.
        let keys: Vec<[u8; 32]> = states.iter().zip(targets).map(|(s, t)| example_key(s, t)).collect();
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        let batch = opts.batch.max(1);
        let steps = opts.epochs * order.len().div_ceil(batch);
        let mut theta = model.flat();
        let (mut m1, mut m2) = (vec![0f64; theta.len()], vec![0f64; theta.len()]);
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
        let mut rng = SplitMix(0x5eed_7e4e5);
        let mut step = 0usize;
        for _ in 0..opts.epochs {
            rng.shuffle(&mut order);
            for members in order.chunks(batch) {
                let scale = 1.0 / (members.len() * themes) as f64;
                let grads: Vec<Vec<f32>> =
                    members.par_iter().map(|&i| model.gradient(states[i], &targets[i], scale)).collect();
                step += 1;
                let lr = opts.learning_rate * (1.0 - (step - 1) as f64 / steps as f64);
                let (c1, c2) = (1.0 - b1.powi(step as i32), 1.0 - b2.powi(step as i32));
                for j in 0..theta.len() {
                    let g: f64 = grads.iter().map(|g| g[j] as f64).sum();
                    m1[j] = b1 * m1[j] + (1.0 - b1) * g;
                    m2[j] = b2 * m2[j] + (1.0 - b2) * g * g;
                    let p = theta[j] as f64 * (1.0 - lr * opts.weight_decay);
                    theta[j] = (p - lr * (m1[j] / c1) / ((m2[j] / c2).sqrt() + eps)) as f32;
                }
                model = TokenAttention::from_flat(dim, themes, &theta);
            }
        }
        model
    }
}

fn example_key(states: &[f32], target: &[Option<bool>]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for v in states {
        h.update(v.to_le_bytes());
    }
    // 0 / 1 as when every target was known, 2 for an unknown one.
    h.update(target.iter().map(|&b| b.map_or(2, u8::from)).collect::<Vec<u8>>());
    h.finalize().into()
}

/// A small seeded generator for the shuffles (splitmix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Toy clauses: noise tokens, plus for theme k a marker token at a random position.
    fn toy(n: usize, dim: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<Vec<Option<bool>>>) {
        let mut rng = SplitMix(seed);
        let mut unit = || (rng.next() % 2001) as f32 / 1000.0 - 1.0;
        let mut states = Vec::new();
        let mut targets = Vec::new();
        for i in 0..n {
            let tokens = 6 + i % 5;
            let mut s: Vec<f32> = (0..tokens * dim).map(|_| 0.3 * unit()).collect();
            let target = vec![i % 3 == 0, i % 3 == 1 || i % 5 == 0];
            for (k, &on) in target.iter().enumerate() {
                if on {
                    let t = (i * 7 + k) % tokens;
                    s[t * dim + k] += 3.0;
                }
            }
            states.push(s);
            targets.push(target.into_iter().map(Some).collect());
        }
        (states, targets)
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let dim = 4;
        let (states, targets) = toy(3, dim, 1);
        let mut m = TokenAttention::zeros(dim, 2);
        let mut v = m.flat();
        v.iter_mut().enumerate().for_each(|(j, x)| *x = ((j * 37 % 11) as f32 - 5.0) * 0.07);
        m = TokenAttention::from_flat(dim, 2, &v);
        let loss = |m: &TokenAttention| -> f64 {
            let f = m.forward(&states[1]);
            f.logits
                .iter()
                .zip(&targets[1])
                .map(|(z, y)| {
                    let p = sigmoid(*z);
                    -(if y.unwrap() { p.ln() } else { (1.0 - p).ln() })
                })
                .sum()
        };
        let g = m.gradient(&states[1], &targets[1], 1.0);
        for j in 0..v.len() {
            let h = 1e-2f32;
            let (mut up, mut down) = (v.clone(), v.clone());
            up[j] += h;
            down[j] -= h;
            let num = (loss(&TokenAttention::from_flat(dim, 2, &up)) - loss(&TokenAttention::from_flat(dim, 2, &down)))
                / (2.0 * h as f64);
            assert!(
                (num - g[j] as f64).abs() < 2e-3 * (1.0 + num.abs()),
                "parameter {j}: numeric {num}, analytic {}",
                g[j]
            );
        }
    }

    #[test]
    fn an_unknown_target_teaches_its_theme_nothing() {
        let dim = 4;
        let (states, mut targets) = toy(3, dim, 1);
        let mut v = TokenAttention::zeros(dim, 2).flat();
        v.iter_mut().enumerate().for_each(|(j, x)| *x = ((j * 37 % 11) as f32 - 5.0) * 0.07);
        let m = TokenAttention::from_flat(dim, 2, &v);
        let known = m.gradient(&states[1], &targets[1], 1.0);
        targets[1][0] = None;
        let g = TokenAttention::from_flat(dim, 2, &m.gradient(&states[1], &targets[1], 1.0));
        let k = TokenAttention::from_flat(dim, 2, &known);
        // Theme 0's query, output, mean weights and bias get nothing; theme 1's are unchanged.
        assert!(g.query[0].iter().chain(&g.output[0]).chain(&g.mean_weights[0]).all(|x| *x == 0.0));
        assert_eq!(g.bias[0], 0.0);
        assert_eq!(
            (&g.query[1], &g.output[1], &g.mean_weights[1], g.bias[1]),
            (&k.query[1], &k.output[1], &k.mean_weights[1], k.bias[1])
        );
        assert_ne!(k.bias[0], 0.0);
    }

    #[test]
    fn finds_the_marker_token_whatever_the_order_and_threads() {
        let dim = 8;
        let (states, targets) = toy(120, dim, 2);
        let refs: Vec<&[f32]> = states.iter().map(Vec::as_slice).collect();
        let opts = AttentionOptions { epochs: 30, learning_rate: 0.03, ..Default::default() };
        let fit = |threads: usize, refs: &[&[f32]], targets: &[Vec<Option<bool>>]| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| TokenAttention::fit(refs, targets, dim, 2, &opts))
        };
        let m1 = fit(1, &refs, &targets);
        assert_eq!(m1, fit(3, &refs, &targets));
        let mut rev_refs = refs.clone();
        rev_refs.reverse();
        let mut rev_targets = targets.clone();
        rev_targets.reverse();
        assert_eq!(m1, fit(2, &rev_refs, &rev_targets));
        let (test, truth) = toy(60, dim, 3);
        let mut right = 0;
        for (s, t) in test.iter().zip(&truth) {
            let p = m1.scores(s);
            right += p.iter().zip(t).filter(|(p, y)| Some(**p >= 0.5) == **y).count();
        }
        assert!(right as f64 / 120.0 > 0.95, "{right} / 120 right");
        let json = serde_json::to_string(&m1).unwrap();
        assert_eq!(serde_json::from_str::<TokenAttention>(&json).unwrap(), m1);
    }
}
