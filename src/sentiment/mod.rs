//! Sentiment on top of the encoder: a multinomial logistic head on the clause embedding
//! and its similarity to multilingual class prototypes, calibrated by temperature scaling.
//! Clause probabilities aggregate to a comment label (negative / neutral / positive /
//! mixed) and a score in -1..1 (P(positive) - P(negative)).
//!
//! Training is deterministic: full-batch gradient descent in a fixed order, f64 sums, one
//! thread; folds are assigned by a hash of the text.

pub mod fit;
pub mod train;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::derived::Derived;
use crate::lexical::WordModel;
use crate::linalg::dot_lanes;

/// Class order everywhere (weights, probabilities, confusion matrices).
pub const CLASSES: [&str; 3] = ["negative", "neutral", "positive"];
pub const MIXED: &str = "mixed";
pub const FORMAT: &str = "verbatim-sentiment-head/1";

/// Texts whose embeddings are the class prototypes (e5 "query: " convention, like every
/// clause). Two languages, several phrasings: the prototypes carry the classes across
/// languages where training data is thin.
pub const PROTOTYPES: [&[&str]; 3] = [
    &[
        "Très mauvaise expérience, je suis mécontent.",
        "C'est nul, je suis déçu et en colère.",
        "Bad experience, I am unhappy and disappointed.",
        "Terrible, it does not work and I am angry.",
    ],
    &[
        "Je donne une information factuelle, sans avis.",
        "C'est correct, sans plus.",
        "A factual statement with no opinion.",
        "It is okay, nothing special.",
    ],
    &[
        "Très bonne expérience, je suis satisfait.",
        "C'est excellent, je suis ravi, merci.",
        "Great experience, I am happy and satisfied.",
        "Excellent, it works perfectly, thank you.",
    ],
];

/// A trained sentiment head (head.json in a sentiment model directory).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Head {
    pub format: String,
    /// Cache key of the encoder whose embeddings the head was trained on.
    pub encoder: String,
    /// Per-dimension mean and standard deviation of the training features.
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    /// Class prototypes (unit vectors), in CLASSES order.
    pub prototypes: Vec<Vec<f32>>,
    /// `weights[c]` over the standardised features (embedding, then prototype cosines).
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
    /// Temperature dividing the logits (calibration).
    pub temperature: f32,
    /// Added to the neutral logit: a prior shift for feedback, where clear opinions are the
    /// rule (0 for heads trained on the user's own labels, whose classes set the prior).
    #[serde(default)]
    pub neutral_bias: f32,
    /// Short labelled expressions of the training data ("pas mal", "could be better",
    /// "RAS"): idioms whose words mislead a linear head. A clause whose embedding is
    /// nearly identical (cosine >= MEMORY_COSINE) to one of them takes its label.
    #[serde(default)]
    pub memory: Vec<Memory>,
    /// A word model averaged with the head's probabilities (heads calibrated on the user's
    /// own labels, whose words carry their domain; absent from the default head).
    #[serde(default)]
    pub lexical: Option<WordModel>,
}

/// Dimensions per step of [`Head::recall`]'s screen.
const SCREEN_STEP: usize = 64;

/// The norm of `v` from each multiple of [`SCREEN_STEP`] to its end.
fn tail_norms(v: &[f32]) -> Vec<f32> {
    (0..v.len().div_ceil(SCREEN_STEP)).map(|k| v[k * SCREEN_STEP..].iter().map(|x| x * x).sum::<f32>().sqrt()).collect()
}

/// `head` and the word model's class probabilities (its one-vs-rest scores, normalised),
/// averaged by the word model's weight.
pub fn mix_words(words: &WordModel, head: [f32; 3], text: &str) -> [f32; 3] {
    let s = words.scores(text);
    let total: f32 = s.iter().sum::<f32>().max(1e-12);
    let l = [s[0] / total, s[1] / total, s[2] / total];
    let w = words.weight;
    [(1.0 - w) * head[0] + w * l[0], (1.0 - w) * head[1] + w * l[1], (1.0 - w) * head[2] + w * l[2]]
}

/// One remembered short expression.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Memory {
    pub text: String,
    pub label: usize,
    pub embedding: Vec<f32>,
    /// The norms of the embedding from each multiple of 64 dimensions to its end, for
    /// [`Head::recall`]'s screen.
    #[serde(skip)]
    pub tails: Derived<Vec<f32>>,
}

/// Similarity above which a clause counts as the remembered expression itself (e5
/// embeddings of the same words with other case or punctuation score above 0.97).
pub const MEMORY_COSINE: f32 = 0.97;

/// How far below [`MEMORY_COSINE`] the fast dot product may fall and the memory still be
/// checked exactly: far above the rounding difference of two summation orders.
const RECALL_MARGIN: f32 = 1e-3;

/// Expressions of at most this many words are remembered.
pub const MEMORY_MAX_WORDS: usize = 4;

impl Head {
    /// Raw features: the embedding followed by its cosine with each prototype.
    pub fn raw_features(prototypes: &[Vec<f32>], e: &[f32]) -> Vec<f32> {
        let mut f = e.to_vec();
        for p in prototypes {
            f.push(p.iter().zip(e).map(|(a, b)| a * b).sum());
        }
        f
    }

    /// Logits (before temperature) of one embedding.
    pub fn logits(&self, e: &[f32]) -> [f64; 3] {
        let f = Self::raw_features(&self.prototypes, e);
        let mut out = [0f64; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let mut z = self.bias[c] as f64;
            for (j, x) in f.iter().enumerate() {
                z += self.weights[c][j] as f64 * ((*x - self.mean[j]) / self.std[j]) as f64;
            }
            *o = z;
        }
        out[1] += self.neutral_bias as f64;
        out
    }

    /// Calibrated probabilities in CLASSES order of a text and its embedding.
    pub fn predict(&self, text: &str, e: &[f32]) -> [f32; 3] {
        if let Some(m) = self.recall(e) {
            let mut p = [0.05f32; 3];
            p[m.label] = 0.9;
            return p;
        }
        let p = softmax(self.logits(e), self.temperature as f64);
        match &self.lexical {
            Some(l) => mix_words(l, p, text),
            None => p,
        }
    }

    /// The remembered expression this embedding is (nearly) identical to, if any: the most
    /// similar one, the first in training order on ties.
    pub fn recall(&self, e: &[f32]) -> Option<&Memory> {
        let e_tails = tail_norms(e);
        let floor = MEMORY_COSINE - RECALL_MARGIN;
        let mut best: Option<(&Memory, f32)> = None;
        'memories: for m in &self.memory {
            let m_tails = m.tails.get_or_init(|| tail_norms(&m.embedding));
            // A screen rules out all but near-duplicates fast: the dot product so far plus
            // the most the remaining dimensions can add (the product of their norms,
            // Cauchy-Schwarz) must stay above the threshold; most memories drop out after
            // the first steps. Partial sums in lanes differ from the sequential sum by less
            // than 1e-4 on unit vectors, far under the margin; the sequential sum decides,
            // so the result is the same as comparing every memory that way.
            let mut so_far = 0f32;
            for (k, (a, b)) in m.embedding.chunks(SCREEN_STEP).zip(e.chunks(SCREEN_STEP)).enumerate() {
                so_far += dot_lanes(a, b);
                let rest = m_tails.get(k + 1).zip(e_tails.get(k + 1)).map_or(0.0, |(x, y)| x * y);
                if so_far + rest < floor {
                    continue 'memories;
                }
            }
            let c: f32 = m.embedding.iter().zip(e).map(|(a, b)| a * b).sum();
            if c >= MEMORY_COSINE && best.is_none_or(|(_, b)| c > b) {
                best = Some((m, c));
            }
        }
        best.map(|(m, _)| m)
    }

    pub fn load(dir: &Path) -> Result<Head, String> {
        let path = dir.join("head.json");
        let bytes = std::fs::read(&path).map_err(|e| {
            format!("{}: {e}. Run the setup command (scripts/setup.sh) or `verbatim sentiment train`", path.display())
        })?;
        let head: Head =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a sentiment head: {e}", path.display()))?;
        if head.format != FORMAT {
            return Err(format!("{}: format '{}', expected '{FORMAT}'", path.display(), head.format));
        }
        Ok(head)
    }
}

pub fn softmax(z: [f64; 3], t: f64) -> [f32; 3] {
    let m = z.iter().cloned().fold(f64::MIN, f64::max);
    let e: Vec<f64> = z.iter().map(|v| ((v - m) / t).exp()).collect();
    let s: f64 = e.iter().sum();
    [(e[0] / s) as f32, (e[1] / s) as f32, (e[2] / s) as f32]
}

/// Label and score of one clause.
pub fn clause_label(p: &[f32; 3]) -> (&'static str, f32) {
    let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a))).expect("three classes");
    (CLASSES[best], p[2] - p[0])
}

/// How sure a clause must be of its class to count as a clear statement.
pub const CLEAR_STATEMENT: f32 = 0.6;
/// A comment is mixed only when both its clearly positive and its clearly negative clauses
/// weigh at least this share of its text: a short "mais le conseiller était gentil" inside
/// a long complaint, or a contrast word alone, does not make it mixed.
pub const MIXED_MIN_SHARE: f32 = 0.25;

/// A comment's label and score from its clauses (probabilities, character weight): the
/// class of the weighted mean, or `mixed` when it holds a clear positive statement and a
/// clear negative one that both weigh ([`MIXED_MIN_SHARE`]) in the comment
/// ("produit très bien mais prix trop élevé").
pub fn aggregate(clauses: &[([f32; 3], f32)]) -> Option<(&'static str, f32)> {
    if clauses.is_empty() {
        return None;
    }
    let total: f32 = clauses.iter().map(|(_, w)| w.max(1e-6)).sum();
    let share = |c: usize| -> f32 {
        clauses
            .iter()
            .filter(|(p, _)| clause_label(p).0 == CLASSES[c] && p[c] >= CLEAR_STATEMENT)
            .map(|(_, w)| w.max(1e-6))
            .sum::<f32>()
            / total
    };
    let mut mean = [0f32; 3];
    for (p, w) in clauses {
        for c in 0..3 {
            mean[c] += p[c] * w.max(1e-6) / total;
        }
    }
    let score = mean[2] - mean[0];
    if share(0) >= MIXED_MIN_SHARE && share(2) >= MIXED_MIN_SHARE {
        return Some((MIXED, score));
    }
    Some((clause_label(&mean).0, score))
}

/// Accuracy, macro-F1, per-class precision / recall and the confusion matrix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// (class, precision, recall, f1, support)
    pub per_class: Vec<(String, f64, f64, f64, usize)>,
    /// `confusion[gold][predicted]`, CLASSES order.
    pub confusion: [[usize; 3]; 3],
}

pub fn metrics(gold: &[usize], pred: &[usize]) -> Metrics {
    let mut confusion = [[0usize; 3]; 3];
    for (g, p) in gold.iter().zip(pred) {
        confusion[*g][*p] += 1;
    }
    let (accuracy, macro_f1, per_class) = class_figures(&CLASSES, &confusion, gold.len());
    Metrics { n: gold.len(), accuracy, macro_f1, per_class, confusion }
}

/// Accuracy, macro-F1 and (class, precision, recall, F1, support) per class.
type ClassFigures = (f64, f64, Vec<(String, f64, f64, f64, usize)>);

/// The figures of a confusion matrix (`confusion[gold][predicted]`, in `classes` order) over
/// `n` examples: accuracy, macro-F1 (the mean F1 of the classes that occur in gold or
/// predictions) and per-class precision, recall, F1 and support.
fn class_figures<R: AsRef<[usize]>>(classes: &[&str], confusion: &[R], n: usize) -> ClassFigures {
    let row = |g: usize| confusion[g].as_ref();
    let mut per_class = Vec::new();
    let mut f1s = Vec::new();
    for (c, class) in classes.iter().enumerate() {
        let tp = row(c)[c] as f64;
        let predicted: usize = (0..classes.len()).map(|g| row(g)[c]).sum();
        let support: usize = row(c).iter().sum();
        let precision = if predicted > 0 { tp / predicted as f64 } else { 0.0 };
        let recall = if support > 0 { tp / support as f64 } else { 0.0 };
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        if support > 0 || predicted > 0 {
            f1s.push(f1);
        }
        per_class.push((class.to_string(), precision, recall, f1, support));
    }
    let correct: usize = (0..classes.len()).map(|c| row(c)[c]).sum();
    let accuracy = if n > 0 { correct as f64 / n as f64 } else { 0.0 };
    let macro_f1 = if f1s.is_empty() { 0.0 } else { f1s.iter().sum::<f64>() / f1s.len() as f64 };
    (accuracy, macro_f1, per_class)
}

/// The figures' table, up to the confusion matrix's heading (shared by both renderings).
fn render_figures(n: usize, accuracy: f64, macro_f1: f64, per_class: &[(String, f64, f64, f64, usize)]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "n {n}  accuracy {accuracy:.3}  macro-F1 {macro_f1:.3}");
    let _ = writeln!(s, "{:<10} {:>9} {:>7} {:>6} {:>8}", "class", "precision", "recall", "F1", "support");
    for (c, p, r, f, n) in per_class {
        let _ = writeln!(s, "{c:<10} {p:>9.3} {r:>7.3} {f:>6.3} {n:>8}");
    }
    let _ = writeln!(s, "confusion (rows: gold, columns: predicted)");
    s
}

impl Metrics {
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = render_figures(self.n, self.accuracy, self.macro_f1, &self.per_class);
        let _ = writeln!(s, "{:<10} {:>9} {:>8} {:>9}", "", "negative", "neutral", "positive");
        for (c, row) in self.confusion.iter().enumerate() {
            let _ = writeln!(s, "{:<10} {:>9} {:>8} {:>9}", CLASSES[c], row[0], row[1], row[2]);
        }
        s
    }
}

/// The labels of a whole comment, as a run gives them.
pub const COMMENT_CLASSES: [&str; 4] = ["negative", "neutral", "positive", MIXED];

/// Accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix of comment
/// labels ([`COMMENT_CLASSES`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommentMetrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// (class, precision, recall, f1, support)
    pub per_class: Vec<(String, f64, f64, f64, usize)>,
    /// `confusion[gold][predicted]`, [`COMMENT_CLASSES`] order.
    pub confusion: Vec<Vec<usize>>,
}

/// Metrics of predicted comment labels against gold ones (indices into [`COMMENT_CLASSES`]).
pub fn comment_metrics(gold: &[usize], pred: &[usize]) -> CommentMetrics {
    let k = COMMENT_CLASSES.len();
    let mut confusion = vec![vec![0usize; k]; k];
    gold.iter().zip(pred).for_each(|(g, p)| confusion[*g][*p] += 1);
    let (accuracy, macro_f1, per_class) = class_figures(&COMMENT_CLASSES, &confusion, gold.len());
    CommentMetrics { n: gold.len(), accuracy, macro_f1, per_class, confusion }
}

impl CommentMetrics {
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = render_figures(self.n, self.accuracy, self.macro_f1, &self.per_class);
        let _ = write!(s, "{:<10}", "");
        for c in COMMENT_CLASSES {
            let _ = write!(s, " {c:>9}");
        }
        let _ = writeln!(s);
        for (c, row) in self.confusion.iter().enumerate() {
            let _ = write!(s, "{:<10}", COMMENT_CLASSES[c]);
            for v in row {
                let _ = write!(s, " {v:>9}");
            }
            let _ = writeln!(s);
        }
        s
    }
}

/// Parse a comment label of coded.csv: a sentence label ([`parse_label`]) or mixed
/// ("mixed", "mixte"); an index into [`COMMENT_CLASSES`].
pub fn parse_comment_label(s: &str) -> Option<usize> {
    match crate::schema::mapping::fold(s.trim()).as_str() {
        "mixed" | "mixte" | "mitige" => Some(3),
        other => parse_label(other),
    }
}

/// Parse a label of coded.csv ("negative", "neg", "-1", "négatif", ...).
pub fn parse_label(s: &str) -> Option<usize> {
    match crate::schema::mapping::fold(s.trim()).as_str() {
        "negative" | "neg" | "-1" | "negatif" | "-" => Some(0),
        "neutral" | "neu" | "0" | "neutre" => Some(1),
        "positive" | "pos" | "1" | "+1" | "positif" | "+" => Some(2),
        _ => None,
    }
}

/// The sentiment stage: each unique clause's probabilities, and each comment's label and
/// score from its clauses (None for empty comments). The head must come from this encoder.
#[allow(clippy::type_complexity)]
pub fn score_comments(
    head: &Head,
    model: &crate::encode::ModelInfo,
    prepared: &crate::text::Prepared,
    embeddings: &[Vec<f32>],
) -> crate::Result<(Vec<[f32; 3]>, Vec<Option<(&'static str, f32)>>)> {
    if !model.accepts(&head.encoder) {
        return Err(crate::Error::Usage(format!(
            "the sentiment head was trained on another encoder (key {}, this one is {}): retrain it with \
             `verbatim sentiment train --model {}`",
            head.encoder,
            model.cache_key(),
            model.name
        )));
    }
    use rayon::prelude::*;
    let probs: Vec<[f32; 3]> = prepared.unique.par_iter().zip(embeddings).map(|(t, e)| head.predict(t, e)).collect();
    let comments = prepared
        .comments
        .iter()
        .map(|c| {
            let clauses: Vec<([f32; 3], f32)> =
                c.clauses.iter().map(|&u| (probs[u], prepared.unique[u].chars().count() as f32)).collect();
            aggregate(&clauses)
        })
        .collect();
    Ok((probs, comments))
}

#[cfg(test)]
mod tests {
    /// Numbers in -0.5..0.5 from a xorshift generator seeded with `seed`.
    fn uniform(mut seed: u64) -> impl FnMut() -> f32 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        }
    }

    /// `v` scaled to unit length.
    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    /// The fast filter of `recall` never rules out a memory the exact sum would take: on
    /// unit vectors at cosines around the threshold, the two sums stay within 1e-4.
    #[test]
    fn recall_filter_keeps_every_near_duplicate() {
        let mut next = uniform(0x9e37_79b9_7f4a_7c15);
        for k in 0..2000 {
            let a = unit((0..384).map(|_| next()).collect());
            let noise: Vec<f32> = (0..384).map(|_| next()).collect();
            // b = a + t * noise: cosines from about 0.9 to 1 as t varies.
            let t = 0.002 * (k % 100) as f32;
            let b = unit(a.iter().zip(&noise).map(|(x, n)| x + t * n).collect());
            let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let fast = dot_lanes(&a, &b);
            assert!((exact - fast).abs() < 1e-4, "{exact} vs {fast}");
            if exact >= MEMORY_COSINE {
                assert!(fast >= MEMORY_COSINE - RECALL_MARGIN);
            }
        }
    }

    /// The screen of `recall` (partial sums and the norms of what is left) takes the
    /// memory that comparing every memory with the sequential sum takes.
    #[test]
    fn recall_takes_the_memory_an_exhaustive_comparison_takes() {
        let mut next = uniform(0x2545_f491_4f6c_dd1d);
        // 383 dimensions: the last step of the screen is a partial one.
        let memory: Vec<Memory> = (0..60)
            .map(|k| Memory {
                text: format!("m{k}"),
                label: k % 3,
                embedding: unit((0..383).map(|_| next()).collect()),
                tails: Derived::default(),
            })
            .collect();
        let mut head: Head = serde_json::from_value(serde_json::json!({
            "format": FORMAT, "encoder": "test", "mean": [], "std": [], "prototypes": [],
            "weights": [[], [], []], "bias": [0.0, 0.0, 0.0], "temperature": 1.0
        }))
        .unwrap();
        head.memory = memory.clone();
        let mut hits = 0;
        for k in 0..600 {
            let base = &memory[k % memory.len()].embedding;
            // Cosines to the nearest memory from 1 down to about 0.9, across the threshold.
            let t = 0.0016 * (k % 60) as f32;
            let e = unit(base.iter().map(|x| x + t * next()).collect());
            let exhaustive = memory
                .iter()
                .map(|m| (m, m.embedding.iter().zip(&e).map(|(a, b)| a * b).sum::<f32>()))
                .filter(|(_, c)| *c >= MEMORY_COSINE)
                .fold(
                    None::<(&Memory, f32)>,
                    |best, (m, c)| if best.is_none_or(|(_, b)| c > b) { Some((m, c)) } else { best },
                );
            assert_eq!(head.recall(&e).map(|m| &m.text), exhaustive.map(|(m, _)| &m.text), "query {k}");
            hits += usize::from(exhaustive.is_some());
        }
        assert!(hits > 100 && hits < 500, "{hits} of 600 queries recall a memory");
    }

    use super::*;

    #[test]
    fn aggregation_and_mixed() {
        let pos = ([0.05, 0.1, 0.85], 3.0);
        let neg = ([0.8, 0.15, 0.05], 3.0);
        let neu = ([0.2, 0.6, 0.2], 1.0);
        assert_eq!(aggregate(&[pos, neg]).unwrap().0, MIXED);
        // A long complaint with a short courteous clause ("however the agent was nice") is a
        // complaint: the positive clause weighs under MIXED_MIN_SHARE of the text.
        let long_neg = ([0.85, 0.1, 0.05], 90.0);
        let short_pos = ([0.1, 0.2, 0.7], 20.0);
        assert_eq!(aggregate(&[long_neg, short_pos]).unwrap().0, "negative");
        // Two clear statements of similar weight are mixed.
        assert_eq!(aggregate(&[long_neg, ([0.05, 0.1, 0.85], 60.0)]).unwrap().0, MIXED);
        assert_eq!(aggregate(&[pos, neu]).unwrap().0, "positive");
        assert_eq!(aggregate(&[neg]).unwrap().0, "negative");
        let (_, s) = aggregate(&[neg]).unwrap();
        assert!((s - -0.75).abs() < 1e-6);
        assert!(aggregate(&[]).is_none());
    }

    #[test]
    fn metrics_by_hand() {
        // gold: neg neg pos pos neu; pred: neg pos pos pos neg
        let m = metrics(&[0, 0, 2, 2, 1], &[0, 2, 2, 2, 0]);
        assert_eq!(m.n, 5);
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        assert_eq!(m.confusion, [[1, 0, 1], [1, 0, 0], [0, 0, 2]]);
        // negative: P 1/2 R 1/2 F1 .5; neutral: 0; positive: P 2/3 R 1 F1 .8
        assert!((m.macro_f1 - (0.5 + 0.0 + 0.8) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn labels() {
        assert_eq!(parse_label("Négatif"), Some(0));
        assert_eq!(parse_label(" positive "), Some(2));
        assert_eq!(parse_label("neutral"), Some(1));
        assert_eq!(parse_label("mixed"), None);
    }
}
