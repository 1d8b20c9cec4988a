//! Themes learnt from coded verbatims, three models averaged:
//! - one-vs-rest logistic regressions on the standardised embedding and its cosine with
//!   each theme's prototype, trained jointly by deterministic full-batch gradient descent;
//! - label-wise attention over the encoder's token states (`super::attention`): each
//!   theme weighs the tokens that speak of it;
//! - one-vs-rest logistic regressions on the words of the text (TF-IDF of words, bigrams
//!   and character n-grams, `crate::lexical`);
//!
//! then a threshold per theme chosen by cross-validation to maximise its F1, shrunk
//! halfway towards the one threshold that is best for all themes together.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::attention::{AttentionOptions, TokenAttention};
use super::{theme_metrics, ThemeInfo, ThemeMetrics};
use crate::lexical::WordModel;
use crate::sentiment::train::fold_of;

pub const FORMAT: &str = "verbatim-themes-model/3";
/// Formats this version reads (the parts a format lacks are absent and score as before).
pub const KNOWN_FORMATS: [&str; 3] = ["verbatim-themes-model/1", "verbatim-themes-model/2", FORMAT];

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
    pub lexical: Option<WordModel>,
    /// Label-wise attention over token states (absent before format 3 and when trained
    /// with `attention_weight` 0).
    #[serde(default)]
    pub attention: Option<AttentionPart>,
}

/// Attention over the clause's token states, and its share of the final score.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttentionPart {
    pub weight: f32,
    pub head: TokenAttention,
}

/// What a clause offers a theme model: its text, its sentence embedding and, when the
/// model has an attention part, that part's scores (`ThemeModel::attention_scores` of the
/// clause's token states).
#[derive(Debug, Clone, Copy)]
pub struct Clause<'a> {
    pub text: &'a str,
    pub embedding: &'a [f32],
    pub attention: Option<&'a [f32]>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LearnOptions {
    pub l2: f64,
    pub iterations: usize,
    /// Folds of the inner cross-validation that chooses thresholds.
    pub threshold_folds: usize,
    /// How far each theme's threshold moves from its own F1 optimum towards the shared
    /// optimum of all themes (0: per theme, 1: one threshold for all).
    pub threshold_shrinkage: f64,
    /// Share of the word model in a theme's score.
    pub lexical_weight: f64,
    /// Share of the token-attention model; the embedding model has the rest
    /// (1 - lexical - attention).
    pub attention_weight: f64,
    pub attention: AttentionOptions,
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
            threshold_shrinkage: 0.5,
            lexical_weight: 1.0 / 3.0,
            attention_weight: 1.0 / 3.0,
            attention: AttentionOptions::default(),
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
    /// A short hash of the whole model: the key of its cached attention scores.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(self).expect("a themes model serialises");
        sha2::Sha256::digest(&json)[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The attention part's scores for a clause's token states (`tokens x hidden`); `None`
    /// when the model has no attention part.
    pub fn attention_scores(&self, states: &[f32]) -> Option<Vec<f32>> {
        self.attention.as_ref().map(|a| a.head.scores(states))
    }

    /// Score of each theme in 0..1: the weighted mean of the parts' probabilities.
    ///
    /// Panics when the model has an attention part and `clause.attention` is `None`: the
    /// caller encodes with token states for such a model.
    pub fn scores(&self, clause: Clause) -> Vec<f32> {
        let attention = self.attention.as_ref().map(|a| {
            let part =
                clause.attention.expect("a themes model with token attention needs the clause's attention scores");
            (a.weight, part)
        });
        self.mixed(clause.text, clause.embedding, attention)
    }

    /// The scores of [`Self::scores`] without the attention part (its weight left out, not
    /// given to the others): what tells the clauses of one comment apart, read in context
    /// (a comment's attention scores are the whole comment's).
    pub fn scores_without_attention(&self, text: &str, embedding: &[f32]) -> Vec<f32> {
        self.mixed(text, embedding, self.attention.as_ref().map(|a| (a.weight, &[][..])))
    }

    /// Whether `scores` of [`Self::scores_without_attention`], put back on the scale of the
    /// parts they hold (the attention part's weight left out), reach a theme's threshold.
    pub fn reaches_threshold_without_attention(&self, scores: &[f32]) -> bool {
        let held = 1.0 - self.attention.as_ref().map_or(0.0, |a| a.weight);
        held > 0.0 && scores.iter().zip(&self.thresholds).any(|(s, th)| s / held >= *th)
    }

    /// The weighted parts: lexical, attention (weight and scores; empty scores count zero),
    /// and the embedding part with the weight the others leave.
    fn mixed(&self, text: &str, embedding: &[f32], attention: Option<(f32, &[f32])>) -> Vec<f32> {
        let mut parts: Vec<(f32, Vec<f32>)> = Vec::new();
        if let Some(l) = &self.lexical {
            parts.push((l.weight, l.scores(text)));
        }
        if let Some((w, part)) = attention {
            parts.push((w, part.to_vec()));
        }
        let mut others = vec![0f32; self.themes.len()];
        for (w, p) in &parts {
            others.iter_mut().zip(p).for_each(|(a, b)| *a += w * b);
        }
        let rest = (1.0 - parts.iter().map(|p| p.0).sum::<f32>()).max(0.0);
        self.embedding_scores(embedding).iter().zip(&others).map(|(e, o)| rest * e + o).collect()
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

    /// Themes of one clause: (theme index, score) above each theme's threshold.
    pub fn assign(&self, clause: Clause) -> Vec<(usize, f32)> {
        self.decide(&self.scores(clause))
    }

    /// The themes that `scores` (of `Self::scores`) give: those reaching their threshold.
    pub fn decide(&self, scores: &[f32]) -> Vec<(usize, f32)> {
        scores.iter().copied().enumerate().filter(|(t, p)| *p >= self.thresholds[*t]).collect()
    }
}

/// Each example's target per theme: whether it has the theme, or `None` where it was not
/// judged on it (it then teaches that theme nothing).
fn targets(ex: &Examples, n_themes: usize) -> Vec<Vec<Option<bool>>> {
    ex.themes
        .iter()
        .zip(ex.judged)
        .map(|(l, j)| {
            (0..n_themes).map(|t| j.as_ref().is_none_or(|j| j.contains(&t)).then(|| l.contains(&t))).collect()
        })
        .collect()
}

/// The word model, trained on all themes at once.
fn fit_lexical(
    texts: &[String],
    targets: &[Vec<Option<bool>>],
    n_themes: usize,
    opts: &LearnOptions,
) -> Option<WordModel> {
    if opts.lexical_weight <= 0.0 {
        return None;
    }
    let (vectorizer, model) = crate::lexical::fit_word_model(
        texts,
        targets,
        n_themes,
        opts.lexical_c,
        opts.lexical_min_df,
        opts.lexical_max_terms,
        opts.lexical_iterations,
    );
    Some(WordModel { weight: opts.lexical_weight.min(1.0) as f32, vectorizer, model })
}

/// The attention model, on each example's token states (`tokens x hidden`).
fn fit_attention(
    ex: &Examples,
    targets: &[Vec<Option<bool>>],
    n_themes: usize,
    opts: &LearnOptions,
) -> Option<AttentionPart> {
    if opts.attention_weight <= 0.0 {
        return None;
    }
    assert_eq!(ex.states.len(), ex.len(), "an attention model needs the examples' token states");
    let refs: Vec<&[f32]> = ex.states.iter().map(Vec::as_slice).collect();
    let dim = ex.embeddings.first().map_or(0, Vec::len);
    let head = TokenAttention::fit(&refs, targets, dim, n_themes, &opts.attention);
    Some(AttentionPart { weight: opts.attention_weight as f32, head })
}

/// Coded examples: texts, embeddings, token states (empty without an attention part),
/// theme indices and the themes each was judged on (`None`: all; see
/// [`crate::coded::Coded::judged`]).
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    pub texts: &'a [String],
    pub embeddings: &'a [Vec<f32>],
    pub states: &'a [Vec<f32>],
    pub themes: &'a [Vec<usize>],
    pub judged: &'a [Option<Vec<usize>>],
}

impl Examples<'_> {
    fn len(&self) -> usize {
        self.texts.len()
    }

    fn subset(&self, idx: &[usize]) -> OwnedExamples {
        OwnedExamples {
            texts: pick(self.texts, idx),
            embeddings: pick(self.embeddings, idx),
            states: if self.states.is_empty() { Vec::new() } else { pick(self.states, idx) },
            themes: pick(self.themes, idx),
            judged: pick(self.judged, idx),
        }
    }

    /// `f` applied to example `i` as a clause for `model` (attention scores computed from
    /// its token states when the model has an attention part).
    fn with_clause<R>(&self, model: &ThemeModel, i: usize, f: impl FnOnce(Clause) -> R) -> R {
        let attention = self.states.get(i).and_then(|s| model.attention_scores(s));
        f(Clause { text: &self.texts[i], embedding: &self.embeddings[i], attention: attention.as_deref() })
    }
}

struct OwnedExamples {
    texts: Vec<String>,
    embeddings: Vec<Vec<f32>>,
    states: Vec<Vec<f32>>,
    themes: Vec<Vec<usize>>,
    judged: Vec<Option<Vec<usize>>>,
}

impl OwnedExamples {
    fn view(&self) -> Examples<'_> {
        Examples {
            texts: &self.texts,
            embeddings: &self.embeddings,
            states: &self.states,
            themes: &self.themes,
            judged: &self.judged,
        }
    }
}

/// The three models (thresholds left at 0.5).
fn fit(ex: Examples, themes: &[ThemeInfo], taxonomy: &[Option<Vec<f32>>], opts: &LearnOptions) -> ThemeModel {
    let targets = targets(&ex, themes.len());
    let lexical = fit_lexical(ex.texts, &targets, themes.len(), opts);
    let attention = fit_attention(&ex, &targets, themes.len(), opts);
    ThemeModel { lexical, attention, ..fit_embedding(ex.embeddings, ex.themes, &targets, themes, taxonomy, opts) }
}

/// Joint training of the per-theme logistic regressions on embeddings.
fn fit_embedding(
    emb: &[Vec<f32>],
    y: &[Vec<usize>],
    targets: &[Vec<Option<bool>>],
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
    for _ in 0..opts.iterations {
        let look: Vec<f64> = theta.iter().zip(&vel).map(|(a, b)| a + 0.9 * b).collect();
        // Themes in parallel, rows in order within each: the sums, and so the model, do not
        // depend on the thread count.
        grad.par_chunks_mut(d + 1).enumerate().for_each(|(t, g)| {
            g.iter_mut().for_each(|x| *x = 0.0);
            let w = &look[t * (d + 1)..(t + 1) * (d + 1)];
            for i in 0..n {
                let row = &z[i * d..(i + 1) * d];
                let zt = w[d] + crate::linalg::dot_lanes_f64(row, &w[..d]);
                let Some(y) = targets[i][t] else { continue };
                let err = (sigmoid(zt) - if y { 1.0 } else { 0.0 }) / n as f64;
                g[..d].iter_mut().zip(row).for_each(|(gj, a)| *gj += err * *a as f64);
                g[d] += err;
            }
        });
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
        attention: None,
    }
}

/// Threshold maximising F1 over out-of-fold (score, truth) pairs (grid 0.05..0.95).
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
pub fn train(ex: Examples, themes: &[ThemeInfo], taxonomy: &[Option<Vec<f32>>], opts: &LearnOptions) -> ThemeModel {
    let k = opts.threshold_folds.max(2);
    let fold: Vec<usize> = ex.texts.iter().map(|t| fold_of(&format!("threshold:{t}"), k)).collect();
    // The fold models (one after the other, so that one training subset is copied at a time)
    // and the final model are independent fits: run side by side, so that the serial parts
    // of one overlap the parallel parts of the other. Each fit is deterministic whatever the
    // threads, so the result is the one of running them in turn.
    let (oof, mut model) = rayon::join(
        || {
            let mut oof = vec![vec![0f32; themes.len()]; ex.len()];
            for f in 0..k {
                let tr: Vec<usize> = (0..ex.len()).filter(|&i| fold[i] != f).collect();
                if tr.is_empty() || tr.len() == ex.len() {
                    continue;
                }
                let m = fit(ex.subset(&tr).view(), themes, taxonomy, opts);
                for i in (0..ex.len()).filter(|&i| fold[i] == f) {
                    oof[i] = ex.with_clause(&m, i, |c| m.scores(c));
                }
            }
            oof
        },
        || fit(ex, themes, taxonomy, opts),
    );
    // The (score, truth) pairs of the examples judged on a theme.
    let targets = targets(&ex, themes.len());
    let judged = |t: usize| oof.iter().zip(&targets).filter_map(move |(o, y)| y[t].map(|y| (o[t], y)));
    model.thresholds = (0..themes.len())
        .map(|t| {
            let (s, truth): (Vec<f32>, Vec<bool>) = judged(t).unzip();
            best_threshold(&s, &truth)
        })
        .collect();
    // Shrink each theme's threshold towards the one shared threshold that maximises F1 over
    // all (example, theme) pairs: a rare theme's own optimum rests on a handful of examples.
    let (all, truth): (Vec<f32>, Vec<bool>) = (0..themes.len()).flat_map(judged).unzip();
    let shared = best_threshold(&all, &truth);
    let w = opts.threshold_shrinkage.clamp(0.0, 1.0) as f32;
    model.thresholds.iter_mut().for_each(|x| *x = (1.0 - w) * *x + w * shared);
    model
}

/// What a cross-validation measured, and each scored example's out-of-fold scores and
/// themes (by the model that did not see it).
#[derive(Debug, Clone)]
pub struct CrossValidation {
    pub metrics: ThemeMetrics,
    pub scores: Vec<Vec<f32>>,
    pub predicted: Vec<Vec<usize>>,
}

/// Each example's fold, `0..folds` for the first `scored`, by its key in `keys` (its text
/// where `keys` has none). The other examples get `folds`, a fold never tested, unless a
/// scored example has the same text: then they share its fold, so that no tested text is
/// trained on. The first scored example of a text decides for all its copies.
fn fold_assignment(texts: &[String], scored: usize, keys: &[&str], folds: usize) -> Vec<usize> {
    let mut of_text: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, t) in texts[..scored].iter().enumerate() {
        let key = keys.get(i).copied().unwrap_or(t.as_str());
        of_text.entry(t.as_str()).or_insert_with(|| fold_of(key, folds));
    }
    texts.iter().map(|t| of_text.get(t.as_str()).copied().unwrap_or(folds)).collect()
}

/// K-fold cross-validation of `train` (thresholds chosen inside each training part) on the
/// first `scored` examples; the rest are in every training part and never scored. A
/// scored example's fold follows its key in `keys` (its group: the examples of one group
/// are tested together), or its text where `keys` has none.
pub fn cross_validate(
    ex: Examples,
    scored: usize,
    themes: &[ThemeInfo],
    taxonomy: &[Option<Vec<f32>>],
    opts: &LearnOptions,
    folds: usize,
    keys: &[&str],
) -> CrossValidation {
    let scored = scored.min(ex.len());
    let fold = fold_assignment(ex.texts, scored, keys, folds);
    let mut pred = vec![Vec::new(); scored];
    let mut scores = vec![Vec::new(); scored];
    for f in 0..folds {
        let tr: Vec<usize> = (0..ex.len()).filter(|&i| fold[i] != f).collect();
        let m = train(ex.subset(&tr).view(), themes, taxonomy, opts);
        for i in (0..scored).filter(|&i| fold[i] == f) {
            scores[i] = ex.with_clause(&m, i, |c| m.scores(c));
            pred[i] = m.decide(&scores[i]).into_iter().map(|(t, _)| t).collect();
        }
    }
    let ids: Vec<String> = themes.iter().map(|t| t.id.clone()).collect();
    CrossValidation { metrics: theme_metrics(&ids, &ex.themes[..scored], &pred), scores, predicted: pred }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_follow_groups_and_never_split_a_text() {
        let texts: Vec<String> = (0..40).map(|i| format!("text {i}")).collect();
        // No keys: by text, as before groups existed; extras never tested.
        let by_text = fold_assignment(&texts, 35, &[], 3);
        let expected: Vec<usize> = (0..40).map(|i| if i < 35 { fold_of(&texts[i], 3) } else { 3 }).collect();
        assert_eq!(by_text, expected);
        // Groups: the members of a group share a fold, and every fold is tested.
        let groups: Vec<String> = (0..40).map(|i| format!("g{}", i % 7)).collect();
        let keys: Vec<&str> = groups.iter().map(String::as_str).collect();
        let f = fold_assignment(&texts, 35, &keys, 3);
        for i in 0..35 {
            assert_eq!(f[i], fold_of(keys[i], 3));
        }
        assert!((0..3).all(|k| f[..35].contains(&k)) && f[35..].iter().all(|&k| k == 3));
        // A text is on one side of a fold only: its later copies, scored or extra, take the
        // fold of its first scored copy, whatever their own group.
        let texts: Vec<String> = ["a", "b", "a", "c", "b"].map(String::from).to_vec();
        let f = fold_assignment(&texts, 3, &["g1", "g2", "g3"], 3);
        assert_eq!(f, [fold_of("g1", 3), fold_of("g2", 3), fold_of("g1", 3), 3, fold_of("g2", 3)]);
    }

    #[test]
    fn learns_separable_themes_deterministically() {
        let themes: Vec<ThemeInfo> = ["a", "b"]
            .iter()
            .map(|id| ThemeInfo { id: id.to_string(), label: id.to_string(), parent: None, parent_label: None })
            .collect();
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
        // One token per text: its embedding.
        let judged = vec![None; y.len()];
        let ex = Examples { texts: &texts, embeddings: &emb, states: &emb, themes: &y, judged: &judged };
        let m1 = train(ex, &themes, &[], &opts);
        let m2 = train(ex, &themes, &[], &opts);
        assert_eq!(m1, m2);
        // The fold fits and the final fit run side by side: the same model on 1 or 3 threads.
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            assert_eq!(pool.install(|| train(ex, &themes, &[], &opts)), m1, "{threads} threads");
        }
        assert!(m1.attention.is_some() && m1.lexical.is_some());
        // A clause read without the attention part is judged on the scale of the parts left.
        let held = 1.0 - m1.attention.as_ref().unwrap().weight;
        for (text, e) in [("t0", &emb[0]), ("t1", &emb[1]), ("x", &normalize(vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]))] {
            let s = m1.scores_without_attention(text, e);
            let rescaled: Vec<f32> = s.iter().map(|x| x / held).collect();
            assert_eq!(m1.reaches_threshold_without_attention(&s), !m1.decide(&rescaled).is_empty(), "{text}");
        }
        assert!(m1.reaches_threshold_without_attention(&m1.scores_without_attention("t0", &emb[0])));
        let cv = cross_validate(ex, ex.len(), &themes, &[], &opts, 3, &[]).metrics;
        assert!(cv.micro_f1 > 0.95, "{cv:?}");
        // Only the first 24 are scored; the other 36 only train.
        let part = cross_validate(ex, 24, &themes, &[], &opts, 3, &[]).metrics;
        assert_eq!(part.n, 24);
        assert_eq!(part.per_theme.iter().map(|t| t.4).sum::<usize>(), y[..24].iter().map(Vec::len).sum::<usize>());
        assert!(part.micro_f1 > 0.95, "{part:?}");
    }

    #[test]
    fn words_decide_when_embeddings_cannot() {
        let themes: Vec<ThemeInfo> = ["price", "support"]
            .iter()
            .map(|id| ThemeInfo { id: id.to_string(), label: id.to_string(), parent: None, parent_label: None })
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
        let judged = vec![None; y.len()];
        let ex = Examples { texts: &texts, embeddings: &emb, states: &[], themes: &y, judged: &judged };
        let words = LearnOptions { lexical_weight: 0.5, attention_weight: 0.0, ..Default::default() };
        let with = cross_validate(ex, ex.len(), &themes, &[], &words, 3, &[]).metrics;
        let without =
            cross_validate(ex, ex.len(), &themes, &[], &LearnOptions { lexical_weight: 0.0, ..words }, 3, &[]).metrics;
        assert!(with.micro_f1 > 0.95, "{with:?}");
        assert!(without.micro_f1 < 0.7, "{without:?}");
        let m = train(ex, &themes, &[], &words);
        let clause = Clause { text: "les prix !", embedding: &emb[0], attention: None };
        assert_eq!(m.assign(clause).iter().map(|x| x.0).collect::<Vec<_>>(), vec![0]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<ThemeModel>(&json).unwrap(), m);
    }

    #[test]
    fn token_attention_decides_when_the_sentence_embedding_cannot() {
        let themes: Vec<ThemeInfo> = ["a", "b"]
            .iter()
            .map(|id| ThemeInfo { id: id.to_string(), label: id.to_string(), parent: None, parent_label: None })
            .collect();
        let dim = 4;
        let texts: Vec<String> = (0..90).map(|i| format!("clause {i}")).collect();
        let y: Vec<Vec<usize>> = (0..90).map(|i| if i % 3 == 2 { vec![] } else { vec![i % 3] }).collect();
        // Same embedding everywhere; theme a's clauses have a token pointing one way, theme
        // b's the opposite way, among neutral tokens: their means are alike.
        let emb = vec![normalize(vec![1.0, 0.5, 0.2, 0.1]); 90];
        let states: Vec<Vec<f32>> = (0..90)
            .map(|i| {
                let mut s = vec![0.1f32; 5 * dim];
                let t = i % 5;
                match i % 3 {
                    0 => s[t * dim..(t + 1) * dim].copy_from_slice(&[2.0, 0.0, 0.0, 2.0]),
                    1 => s[t * dim..(t + 1) * dim].copy_from_slice(&[0.0, 2.0, 2.0, 0.0]),
                    _ => s[t * dim..(t + 1) * dim].copy_from_slice(&[1.0, 1.0, 1.0, 1.0]),
                }
                s
            })
            .collect();
        let judged = vec![None; y.len()];
        let ex = Examples { texts: &texts, embeddings: &emb, states: &states, themes: &y, judged: &judged };
        let opts = LearnOptions {
            attention_weight: 0.8,
            lexical_weight: 0.0,
            attention: AttentionOptions { learning_rate: 0.05, epochs: 40, ..Default::default() },
            ..Default::default()
        };
        let with = cross_validate(ex, ex.len(), &themes, &[], &opts, 3, &[]).metrics;
        let without =
            cross_validate(ex, ex.len(), &themes, &[], &LearnOptions { attention_weight: 0.0, ..opts }, 3, &[]).metrics;
        assert!(with.micro_f1 > 0.95, "{with:?}");
        assert!(without.micro_f1 < 0.7, "{without:?}");
        assert_eq!(train(ex, &themes, &[], &opts), train(ex, &themes, &[], &opts));
    }
}
