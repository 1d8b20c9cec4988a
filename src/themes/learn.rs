//! Themes learnt from coded verbatims: one-vs-rest logistic regressions on the
//! standardised embedding and its cosine with each theme's prototype, trained jointly by
//! deterministic full-batch gradient descent, averaged with one-vs-rest logistic
//! regressions on the words of the text (TF-IDF of words, bigrams and character n-grams,
//! `crate::lexical`); a threshold per theme chosen by cross-validation to maximise its F1.

use serde::{Deserialize, Serialize};

use super::{theme_metrics, ThemeInfo, ThemeMetrics};
use crate::lexical::{SparseLogistic, Vectorizer};
use crate::sentiment::train::fold_of;

pub const FORMAT: &str = "verbatim-themes-model/2";

/// A trained multi-label theme classifier (model.json of a themes model directory).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThemeModel {
    pub format: String,
    pub encoder: String,
    pub themes: Vec<ThemeInfo>,
    /// One prototype per theme (unit vector): taxonomy texts and positive examples.
    pub prototypes: Vec<Vec<f32>>,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
    pub thresholds: Vec<f32>,
    /// The word model averaged with the embedding model (absent in format 1 models and
    /// when trained with `lexical_weight` 0).
    #[serde(default)]
    pub lexical: Option<LexicalPart>,
}

/// One-vs-rest logistic regressions on the TF-IDF of the text, and their share of the
/// final score.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LexicalPart {
    pub weight: f32,
    pub vectorizer: Vectorizer,
    pub model: SparseLogistic,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LearnOptions {
    pub l2: f64,
    pub iterations: usize,
    /// Folds of the inner cross-validation that chooses thresholds.
    pub threshold_folds: usize,
    /// Share of the word model in a theme's score (0: embeddings only, 1: words only).
    pub lexical_weight: f64,
    /// Inverse regularisation of the word model, scikit-learn's `C` (L2 penalty 1 / (C n)).
    pub lexical_c: f64,
    pub lexical_iterations: usize,
    /// Terms seen in fewer examples are ignored; at most `lexical_max_terms` of each kind.
    pub lexical_min_df: usize,
    pub lexical_max_terms: usize,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            l2: 0.05,
            iterations: 250,
            threshold_folds: 3,
            lexical_weight: 0.5,
            lexical_c: 10.0,
            lexical_iterations: 300,
            lexical_min_df: 2,
            lexical_max_terms: 30_000,
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn features(prototypes: &[Vec<f32>], e: &[f32]) -> Vec<f32> {
    let mut f = e.to_vec();
    f.extend(prototypes.iter().map(|p| p.iter().zip(e).map(|(a, b)| a * b).sum::<f32>()));
    f
}

fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Prototype of each theme: mean of the given taxonomy prototype (if any) and of the
/// embeddings of its positive examples, normalised.
fn prototypes(n_themes: usize, emb: &[Vec<f32>], y: &[Vec<usize>], taxonomy: &[Option<Vec<f32>>]) -> Vec<Vec<f32>> {
    let d = emb.first().map_or(0, Vec::len);
    (0..n_themes)
        .map(|t| {
            let mut m = vec![0f32; d];
            let mut k = 0f32;
            for (e, labels) in emb.iter().zip(y) {
                if labels.contains(&t) {
                    m.iter_mut().zip(e).for_each(|(a, b)| *a += b);
                    k += 1.0;
                }
            }
            if k > 0.0 {
                m.iter_mut().for_each(|a| *a /= k);
            }
            if let Some(Some(p)) = taxonomy.get(t) {
                m.iter_mut().zip(p).for_each(|(a, b)| *a += b);
            }
            normalize(m)
        })
        .collect()
}

impl ThemeModel {
    /// Score of each theme in 0..1: the embedding model's probability, averaged with the
    /// word model's when there is one.
    pub fn scores(&self, text: &str, e: &[f32]) -> Vec<f32> {
        let s = self.embedding_scores(e);
        match &self.lexical {
            None => s,
            Some(l) => {
                let x = l.vectorizer.transform(text);
                l.mix(&s, &l.model.scores(&x))
            }
        }
    }

    fn embedding_scores(&self, e: &[f32]) -> Vec<f32> {
        let f = features(&self.prototypes, e);
        (0..self.themes.len())
            .map(|t| {
                let mut z = self.bias[t] as f64;
                for (j, x) in f.iter().enumerate() {
                    z += self.weights[t][j] as f64 * ((x - self.mean[j]) / self.std[j]) as f64;
                }
                sigmoid(z) as f32
            })
            .collect()
    }

    /// Themes of one text: (theme index, score) above each theme's threshold.
    pub fn assign(&self, text: &str, e: &[f32]) -> Vec<(usize, f32)> {
        self.scores(text, e).into_iter().enumerate().filter(|(t, p)| *p >= self.thresholds[*t]).collect()
    }
}

impl LexicalPart {
    fn mix(&self, emb: &[f32], lex: &[f32]) -> Vec<f32> {
        emb.iter().zip(lex).map(|(a, b)| (1.0 - self.weight) * a + self.weight * b).collect()
    }
}

/// The word model, trained on all themes at once.
fn fit_lexical(texts: &[String], y: &[Vec<usize>], n_themes: usize, opts: &LearnOptions) -> Option<LexicalPart> {
    if opts.lexical_weight <= 0.0 {
        return None;
    }
    let targets: Vec<Vec<bool>> = y.iter().map(|l| (0..n_themes).map(|t| l.contains(&t)).collect()).collect();
    let (vectorizer, model) = crate::lexical::fit_word_model(
        texts,
        &targets,
        n_themes,
        opts.lexical_c,
        opts.lexical_min_df,
        opts.lexical_max_terms,
        opts.lexical_iterations,
    );
    Some(LexicalPart { weight: opts.lexical_weight.min(1.0) as f32, vectorizer, model })
}

/// Both models (thresholds left at 0.5).
fn fit(
    texts: &[String],
    emb: &[Vec<f32>],
    y: &[Vec<usize>],
    themes: &[ThemeInfo],
    taxonomy: &[Option<Vec<f32>>],
    opts: &LearnOptions,
) -> ThemeModel {
    let lexical = fit_lexical(texts, y, themes.len(), opts);
    ThemeModel { lexical, ..fit_embedding(emb, y, themes, taxonomy, opts) }
}

/// Joint training of the per-theme logistic regressions on embeddings.
fn fit_embedding(
    emb: &[Vec<f32>],
    y: &[Vec<usize>],
    themes: &[ThemeInfo],
    taxonomy: &[Option<Vec<f32>>],
    opts: &LearnOptions,
) -> ThemeModel {
    let t_n = themes.len();
    let protos = prototypes(t_n, emb, y, taxonomy);
    let x: Vec<Vec<f32>> = emb.iter().map(|e| features(&protos, e)).collect();
    let st = crate::linalg::standardize(&x);
    let (n, d, z) = (st.n, st.d, &st.z);
    // Step 1/L: the logistic Hessian is at most 1/4 of the feature second moment.
    let lambda = crate::linalg::second_moment_bound(&st, &vec![1.0 / n.max(1) as f64; n]);
    let step = 1.0 / (0.25 * lambda + opts.l2);
    let mut theta = vec![0f64; t_n * (d + 1)];
    let mut vel = vec![0f64; theta.len()];
    let mut grad = vec![0f64; theta.len()];
    let targets: Vec<Vec<bool>> = y.iter().map(|l| (0..t_n).map(|t| l.contains(&t)).collect()).collect();
    for _ in 0..opts.iterations {
        let look: Vec<f64> = theta.iter().zip(&vel).map(|(a, b)| a + 0.9 * b).collect();
        grad.iter_mut().for_each(|g| *g = 0.0);
        for i in 0..n {
            let row = &z[i * d..(i + 1) * d];
            for t in 0..t_n {
                let w = &look[t * (d + 1)..(t + 1) * (d + 1)];
                let zt = w[d] + row.iter().zip(&w[..d]).map(|(a, b)| *a as f64 * b).sum::<f64>();
                let err = (sigmoid(zt) - if targets[i][t] { 1.0 } else { 0.0 }) / n as f64;
                let g = &mut grad[t * (d + 1)..(t + 1) * (d + 1)];
                g[..d].iter_mut().zip(row).for_each(|(gj, a)| *gj += err * *a as f64);
                g[d] += err;
            }
        }
        for t in 0..t_n {
            for j in 0..d {
                grad[t * (d + 1) + j] += opts.l2 * look[t * (d + 1) + j];
            }
        }
        for ((th, ve), g) in theta.iter_mut().zip(vel.iter_mut()).zip(&grad) {
            *ve = 0.9 * *ve - step * g;
            *th += *ve;
        }
    }
    ThemeModel {
        format: FORMAT.into(),
        encoder: String::new(),
        themes: themes.to_vec(),
        prototypes: protos,
        mean: st.mean.iter().map(|v| *v as f32).collect(),
        std: st.std.iter().map(|v| *v as f32).collect(),
        weights: (0..t_n).map(|t| theta[t * (d + 1)..t * (d + 1) + d].iter().map(|v| *v as f32).collect()).collect(),
        bias: (0..t_n).map(|t| theta[t * (d + 1) + d] as f32).collect(),
        thresholds: vec![0.5; t_n],
        lexical: None,
    }
}

/// Threshold maximising F1 of one theme over out-of-fold scores (grid 0.05..0.95).
fn best_threshold(scores: &[f32], truth: &[bool]) -> f32 {
    let mut best = (0.5f32, -1.0f64);
    for k in 1..=19 {
        let th = k as f32 * 0.05;
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (s, t) in scores.iter().zip(truth) {
            match (*s >= th, *t) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                _ => {}
            }
        }
        let f1 = if tp == 0 { 0.0 } else { 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64 };
        if f1 > best.1 + 1e-12 {
            best = (th, f1);
        }
    }
    best.0
}

/// The elements of `v` at `idx`.
fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
    idx.iter().map(|&i| v[i].clone()).collect()
}

/// Train with thresholds chosen by inner cross-validation.
pub fn train(
    texts: &[String],
    emb: &[Vec<f32>],
    y: &[Vec<usize>],
    themes: &[ThemeInfo],
    taxonomy: &[Option<Vec<f32>>],
    opts: &LearnOptions,
) -> ThemeModel {
    let k = opts.threshold_folds.max(2);
    let fold: Vec<usize> = texts.iter().map(|t| fold_of(&format!("threshold:{t}"), k)).collect();
    let mut oof = vec![vec![0f32; themes.len()]; emb.len()];
    for f in 0..k {
        let tr: Vec<usize> = (0..emb.len()).filter(|&i| fold[i] != f).collect();
        if tr.is_empty() || tr.len() == emb.len() {
            continue;
        }
        let m = fit(&pick(texts, &tr), &pick(emb, &tr), &pick(y, &tr), themes, taxonomy, opts);
        for i in (0..emb.len()).filter(|&i| fold[i] == f) {
            oof[i] = m.scores(&texts[i], &emb[i]);
        }
    }
    let mut model = fit(texts, emb, y, themes, taxonomy, opts);
    model.thresholds = (0..themes.len())
        .map(|t| {
            let s: Vec<f32> = oof.iter().map(|o| o[t]).collect();
            let truth: Vec<bool> = y.iter().map(|l| l.contains(&t)).collect();
            best_threshold(&s, &truth)
        })
        .collect();
    model
}

/// K-fold cross-validation of `train` (thresholds chosen inside each training part).
pub fn cross_validate(
    texts: &[String],
    emb: &[Vec<f32>],
    y: &[Vec<usize>],
    themes: &[ThemeInfo],
    taxonomy: &[Option<Vec<f32>>],
    opts: &LearnOptions,
    folds: usize,
) -> ThemeMetrics {
    let fold: Vec<usize> = texts.iter().map(|t| fold_of(t, folds)).collect();
    let mut pred = vec![Vec::new(); emb.len()];
    for f in 0..folds {
        let tr: Vec<usize> = (0..emb.len()).filter(|&i| fold[i] != f).collect();
        let m = train(&pick(texts, &tr), &pick(emb, &tr), &pick(y, &tr), themes, taxonomy, opts);
        for i in (0..emb.len()).filter(|&i| fold[i] == f) {
            pred[i] = m.assign(&texts[i], &emb[i]).into_iter().map(|(t, _)| t).collect();
        }
    }
    let ids: Vec<String> = themes.iter().map(|t| t.id.clone()).collect();
    theme_metrics(&ids, y, &pred)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_separable_themes_deterministically() {
        let themes: Vec<ThemeInfo> =
            ["a", "b"].iter().map(|id| ThemeInfo { id: id.to_string(), label: id.to_string(), parent: None }).collect();
        let mut texts = Vec::new();
        let mut emb = Vec::new();
        let mut y = Vec::new();
        for i in 0..60 {
            let labels: Vec<usize> = match i % 3 {
                0 => vec![0],
                1 => vec![1],
                _ => vec![0, 1],
            };
            let mut e = vec![0.02 * (i % 5) as f32; 6];
            for &l in &labels {
                e[l] = 1.0;
            }
            texts.push(format!("t{i}"));
            emb.push(normalize(e));
            y.push(labels);
        }
        let opts = LearnOptions::default();
        let m1 = train(&texts, &emb, &y, &themes, &[], &opts);
        let m2 = train(&texts, &emb, &y, &themes, &[], &opts);
        assert_eq!(m1, m2);
        let cv = cross_validate(&texts, &emb, &y, &themes, &[], &opts, 3);
        assert!(cv.micro_f1 > 0.95, "{cv:?}");
    }

    #[test]
    fn words_decide_when_embeddings_cannot() {
        let themes: Vec<ThemeInfo> = ["price", "support"]
            .iter()
            .map(|id| ThemeInfo { id: id.to_string(), label: id.to_string(), parent: None })
            .collect();
        let texts: Vec<String> = (0..60)
            .map(|i| match i % 3 {
                0 => format!("le prix augmente encore {i}"),
                1 => format!("the support never answers {i}"),
                _ => format!("rien à signaler {i}"),
            })
            .collect();
        let y: Vec<Vec<usize>> = (0..60).map(|i| if i % 3 == 2 { vec![] } else { vec![i % 3] }).collect();
        // The same embedding for every text: only the word model can tell them apart.
        let emb = vec![normalize(vec![1.0, 0.5, 0.2]); 60];
        let with = cross_validate(&texts, &emb, &y, &themes, &[], &LearnOptions::default(), 3);
        let without = cross_validate(
            &texts,
            &emb,
            &y,
            &themes,
            &[],
            &LearnOptions { lexical_weight: 0.0, ..Default::default() },
            3,
        );
        assert!(with.micro_f1 > 0.95, "{with:?}");
        assert!(without.micro_f1 < 0.7, "{without:?}");
        let m = train(&texts, &emb, &y, &themes, &[], &LearnOptions::default());
        assert_eq!(m.assign("les prix !", &emb[0]).iter().map(|x| x.0).collect::<Vec<_>>(), vec![0]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<ThemeModel>(&json).unwrap(), m);
    }
}
