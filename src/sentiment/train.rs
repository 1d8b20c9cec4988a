//! Training a sentiment head: multinomial logistic regression on standardised features,
//! full-batch gradient descent with Nesterov momentum (deterministic), class-balanced
//! sample weights, temperature scaling fitted on out-of-fold logits.

use super::{metrics, softmax, Head, Metrics, FORMAT};
use crate::lexical::WordModel;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct TrainOptions {
    /// L2 penalty on the weights (not the bias).
    pub l2: f64,
    pub iterations: usize,
    /// Fraction of the safe step 1/L (L: curvature bound of the loss).
    pub learning_rate: f64,
    /// Weight classes inversely to their frequency (neutral is rare in feedback).
    pub balance: bool,
    /// Share of a word model trained on the evaluated (the user's) rows in the
    /// probabilities; 0: none.
    pub lexical_weight: f64,
    /// Inverse regularisation of the word model, scikit-learn's `C`.
    pub lexical_c: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            l2: 0.3,
            iterations: 600,
            learning_rate: 1.0,
            balance: false,
            lexical_weight: 0.0,
            lexical_c: 10.0,
        }
    }
}

/// Word model on the given rows (None when `lexical_weight` is 0 or no row is given).
fn fit_lexical(texts: &[String], y: &[usize], rows: &[usize], opts: &TrainOptions) -> Option<WordModel> {
    if opts.lexical_weight <= 0.0 || rows.is_empty() {
        return None;
    }
    let t: Vec<String> = rows.iter().map(|&i| texts[i].clone()).collect();
    let targets: Vec<Vec<Option<bool>>> = rows.iter().map(|&i| (0..3).map(|c| Some(y[i] == c)).collect()).collect();
    let (vectorizer, model) = crate::lexical::fit_word_model(&t, &targets, 3, opts.lexical_c, 2, 30_000, 300);
    Some(WordModel { weight: opts.lexical_weight.min(1.0) as f32, vectorizer, model })
}

/// Fold of a text in k-fold cross-validation: a hash of the text, so that duplicates stay
/// together and folds do not depend on row order.
pub fn fold_of(text: &str, k: usize) -> usize {
    use sha2::Digest;
    let h = sha2::Sha256::digest(text.as_bytes());
    (u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) % k as u64) as usize
}

struct Fitted {
    mean: Vec<f32>,
    std: Vec<f32>,
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

fn fit(x: &[Vec<f32>], y: &[usize], sample_w: &[f64], opts: &TrainOptions) -> Fitted {
    let st = crate::linalg::standardize(x);
    let (n, d) = (st.n, st.d);

    // Class-balanced sample weights, normalised to sum to 1.
    let mut counts = [0f64; 3];
    for (c, w) in y.iter().zip(sample_w) {
        counts[*c] += w;
    }
    let present = counts.iter().filter(|c| **c > 0.0).count().max(1) as f64;
    let total: f64 = counts.iter().sum();
    let mut w: Vec<f64> = y
        .iter()
        .zip(sample_w)
        .map(|(c, sw)| if opts.balance && counts[*c] > 0.0 { sw * total / (present * counts[*c]) } else { *sw })
        .collect();
    let wsum: f64 = w.iter().sum::<f64>().max(1e-12);
    w.iter_mut().for_each(|v| *v /= wsum);

    // Step size 1/L: the softmax Hessian is at most 1/2 x the weighted second moment of
    // the features, plus the L2 term.
    let lambda = crate::linalg::second_moment_bound(&st, &w);
    let step = opts.learning_rate / (0.5 * lambda + opts.l2);
    let z = &st.z;

    let mut theta = vec![0f64; 3 * (d + 1)]; // per class: d weights then bias
    let mut velocity = vec![0f64; theta.len()];
    let mut grad = vec![0f64; theta.len()];
    for _ in 0..opts.iterations {
        // Nesterov: gradient at the look-ahead point.
        let look: Vec<f64> = theta.iter().zip(&velocity).map(|(t, v)| t + 0.9 * v).collect();
        grad.iter_mut().for_each(|g| *g = 0.0);
        for i in 0..n {
            let row = &z[i * d..(i + 1) * d];
            let mut logits = [0f64; 3];
            for (c, l) in logits.iter_mut().enumerate() {
                let wc = &look[c * (d + 1)..(c + 1) * (d + 1)];
                *l = wc[d] + crate::linalg::dot_lanes_f64(row, &wc[..d]);
            }
            let p = softmax(logits, 1.0);
            for c in 0..3 {
                let err = (p[c] as f64 - if y[i] == c { 1.0 } else { 0.0 }) * w[i];
                let g = &mut grad[c * (d + 1)..(c + 1) * (d + 1)];
                for (gj, a) in g[..d].iter_mut().zip(row) {
                    *gj += err * *a as f64;
                }
                g[d] += err;
            }
        }
        for c in 0..3 {
            for j in 0..d {
                grad[c * (d + 1) + j] += opts.l2 * look[c * (d + 1) + j];
            }
        }
        for ((t, v), g) in theta.iter_mut().zip(velocity.iter_mut()).zip(&grad) {
            *v = 0.9 * *v - step * g;
            *t += *v;
        }
    }
    Fitted {
        mean: st.mean.iter().map(|v| *v as f32).collect(),
        std: st.std.iter().map(|v| *v as f32).collect(),
        weights: (0..3).map(|c| theta[c * (d + 1)..c * (d + 1) + d].iter().map(|v| *v as f32).collect()).collect(),
        bias: (0..3).map(|c| theta[c * (d + 1) + d] as f32).collect(),
    }
}

fn head_from(f: Fitted, prototypes: &[Vec<f32>], encoder: &str, temperature: f32) -> Head {
    Head {
        format: FORMAT.to_string(),
        encoder: encoder.to_string(),
        mean: f.mean,
        std: f.std,
        prototypes: prototypes.to_vec(),
        weights: f.weights,
        bias: f.bias,
        temperature,
        neutral_bias: 0.0,
        memory: Vec::new(),
        lexical: None,
    }
}

/// Temperature minimising the negative log-likelihood of out-of-fold logits (golden-section
/// search over 0.25..8).
pub fn fit_temperature(logits: &[[f64; 3]], y: &[usize]) -> f32 {
    let nll = |t: f64| -> f64 {
        logits.iter().zip(y).map(|(z, c)| -(softmax(*z, t)[*c] as f64).max(1e-12).ln()).sum::<f64>()
    };
    let (mut a, mut b) = (0.25f64, 8.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if nll(c) < nll(d) {
            b = d;
        } else {
            a = c;
        }
    }
    ((a + b) / 2.0) as f32
}

/// Labelled training data: embeddings, classes, sample weights, and which rows are
/// held out in cross-validation (the user's own; base corpora always stay in training).
pub struct TrainSet<'a> {
    pub texts: &'a [String],
    pub embeddings: &'a [Vec<f32>],
    pub y: &'a [usize],
    pub sample_w: &'a [f64],
    pub evaluated: &'a [bool],
}

/// Train a head. With `folds >= 2`, k-fold cross-validation over the evaluated rows gives
/// out-of-fold metrics and the calibration temperature; the returned head is then trained
/// on everything (its word model, if any, on the evaluated rows).
pub fn train_head(
    set: &TrainSet,
    prototypes: &[Vec<f32>],
    encoder: &str,
    opts: &TrainOptions,
    folds: usize,
) -> (Head, Option<Metrics>) {
    let TrainSet { texts, embeddings, y, sample_w, evaluated } = *set;
    let x: Vec<Vec<f32>> = embeddings.iter().map(|e| Head::raw_features(prototypes, e)).collect();
    let mut temperature = 1.0;
    let mut cv = None;
    if folds >= 2 && evaluated.iter().any(|e| *e) {
        let fold: Vec<usize> =
            texts.iter().zip(evaluated).map(|(t, e)| if *e { fold_of(t, folds) } else { usize::MAX }).collect();
        let mut oof = vec![[0f64; 3]; x.len()];
        let mut oof_lex: Vec<Option<WordModel>> = vec![None; folds];
        #[allow(clippy::needless_range_loop)] // k is the fold number, not only an index
        for k in 0..folds {
            let train: Vec<usize> = (0..x.len()).filter(|&i| fold[i] != k).collect();
            if train.is_empty() || train.len() == x.len() {
                continue;
            }
            let f = fit(
                &train.iter().map(|&i| x[i].clone()).collect::<Vec<_>>(),
                &train.iter().map(|&i| y[i]).collect::<Vec<_>>(),
                &train.iter().map(|&i| sample_w[i]).collect::<Vec<_>>(),
                opts,
            );
            let h = head_from(f, prototypes, encoder, 1.0);
            for i in (0..x.len()).filter(|&i| fold[i] == k) {
                oof[i] = h.logits(&embeddings[i]);
            }
            let lex_rows: Vec<usize> = train.iter().copied().filter(|&i| evaluated[i]).collect();
            oof_lex[k] = fit_lexical(texts, y, &lex_rows, opts);
        }
        let held: Vec<usize> = (0..x.len()).filter(|&i| evaluated[i]).collect();
        let oof_held: Vec<[f64; 3]> = held.iter().map(|&i| oof[i]).collect();
        let y_held: Vec<usize> = held.iter().map(|&i| y[i]).collect();
        temperature = fit_temperature(&oof_held, &y_held);
        let pred: Vec<usize> = held
            .iter()
            .map(|&i| {
                let p = softmax(oof[i], temperature as f64);
                let p = oof_lex[fold[i]].as_ref().map_or(p, |l| super::mix_words(l, p, &texts[i]));
                argmax(&[p[0] as f64, p[1] as f64, p[2] as f64])
            })
            .collect();
        cv = Some(metrics(&y_held, &pred));
    }
    // The head and the word model are independent fits: side by side (each is deterministic
    // whatever the threads).
    let lex_rows: Vec<usize> = (0..x.len()).filter(|&i| evaluated[i]).collect();
    let (fitted, lexical) = rayon::join(|| fit(&x, y, sample_w, opts), || fit_lexical(texts, y, &lex_rows, opts));
    let mut head = head_from(fitted, prototypes, encoder, temperature);
    head.memory = memory(texts, embeddings, y);
    head.lexical = lexical;
    (head, cv)
}

/// Short expressions to remember: at most MEMORY_MAX_WORDS words, first occurrence of
/// each text, and only when every occurrence of the text has the same label.
fn memory(texts: &[String], embeddings: &[Vec<f32>], y: &[usize]) -> Vec<super::Memory> {
    let mut labels: std::collections::HashMap<String, Option<usize>> = std::collections::HashMap::new();
    for (t, c) in texts.iter().zip(y) {
        let key = t.to_lowercase();
        let e = labels.entry(key).or_insert(Some(*c));
        if *e != Some(*c) {
            *e = None;
        }
    }
    let mut seen = std::collections::HashSet::new();
    texts
        .iter()
        .zip(embeddings)
        .filter(|(t, _)| t.split_whitespace().count() <= super::MEMORY_MAX_WORDS)
        .filter_map(|(t, e)| {
            let key = t.to_lowercase();
            let label = labels[&key]?;
            seen.insert(key).then(|| super::Memory {
                text: t.clone(),
                label,
                embedding: e.clone(),
                tails: Default::default(),
            })
        })
        .collect()
}

pub fn argmax(z: &[f64; 3]) -> usize {
    (0..3).max_by(|&a, &b| z[a].total_cmp(&z[b]).then(b.cmp(&a))).expect("three classes")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Separable toy data: the head learns it, twice identically.
    #[test]
    fn learns_and_is_deterministic() {
        let mut texts = Vec::new();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..90 {
            let c = i % 3;
            let mut e = vec![0.01 * (i as f32 % 7.0); 8];
            e[c] = 1.0;
            texts.push(format!("t{i}"));
            x.push(e);
            y.push(c);
        }
        let w = vec![1.0; x.len()];
        let evaluated = vec![true; x.len()];
        let set = TrainSet { texts: &texts, embeddings: &x, y: &y, sample_w: &w, evaluated: &evaluated };
        let (h1, cv) = train_head(&set, &[], "k", &TrainOptions::default(), 3);
        let (h2, _) = train_head(&set, &[], "k", &TrainOptions::default(), 3);
        assert_eq!(h1, h2);
        assert!(cv.unwrap().accuracy > 0.95);
        for (e, c) in x.iter().zip(&y) {
            assert_eq!(argmax(&h1.logits(e)), *c);
        }
    }

    /// With embeddings that say nothing, the word model trained on the labels decides;
    /// cross-validation measures it on held-out rows.
    #[test]
    fn word_model_learns_what_embeddings_miss() {
        let words = ["nul", "bof", "super"];
        let texts: Vec<String> = (0..90).map(|i| format!("{} {i}", words[i % 3])).collect();
        let y: Vec<usize> = (0..90).map(|i| i % 3).collect();
        let x = vec![vec![0.5f32; 4]; 90];
        let w = vec![1.0; 90];
        let evaluated = vec![true; 90];
        let set = TrainSet { texts: &texts, embeddings: &x, y: &y, sample_w: &w, evaluated: &evaluated };
        let with = TrainOptions { lexical_weight: 0.5, ..Default::default() };
        let (head, cv) = train_head(&set, &[], "k", &with, 3);
        assert!(cv.unwrap().accuracy > 0.95);
        let (_, cv0) = train_head(&set, &[], "k", &TrainOptions::default(), 3);
        assert!(cv0.unwrap().accuracy < 0.5);
        // An embedding unlike the training rows' (no remembered expression applies).
        let p = head.predict("vraiment super", &[0.0; 4]);
        assert!(p[2] > p[0] && p[2] > p[1], "{p:?}");
        assert_eq!(train_head(&set, &[], "k", &with, 3).0, head);
    }

    #[test]
    fn temperature_softens_overconfident_logits() {
        // Always predicts class 0 with a huge margin, but is right only 2 times in 3.
        let logits = vec![[10.0, 0.0, 0.0]; 3];
        let t = fit_temperature(&logits, &[0, 0, 1]);
        assert!(t > 2.0, "{t}");
    }
}
