//! Lexical features for the learnt classifiers: TF-IDF over folded words, word bigrams and
//! character n-grams (2 to 5 characters inside word boundaries), and a sparse one-vs-rest
//! logistic regression over them.
//!
//! Sentence embeddings blur the words that decide a theme ("prix" vs "qualité" in a clause
//! about the food); coded verbatims carry those words. A model of each kind, averaged,
//! beats either alone (docs/QUALITY.md). Deterministic: vocabulary ordered by term,
//! fixed summation order, each class trained independently.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::derived::Derived;
use crate::schema::mapping::fold;

/// Sparse row: (feature index, value), indices increasing.
pub type Sparse = Vec<(u32, f32)>;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

const CHAR: &str = "c:";
const WORD: &str = "w:";

/// Terms of a text: `c:` character n-grams of each folded word padded with spaces, then
/// `w:` words and word bigrams.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_string()));
    out
}

/// Calls `f` with each term of [`terms`], in the same order, built in one reused buffer (a
/// run looks up every n-gram of every comment: no allocation per term).
fn for_each_term(text: &str, mut f: impl FnMut(&str)) {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut term = String::new();
    let mut padded: Vec<char> = Vec::new();
    for w in &words {
        padded.clear();
        padded.push(' ');
        padded.extend(w.chars());
        padded.push(' ');
        for n in 2..=5 {
            for g in padded.windows(n) {
                term.clear();
                term.push_str(CHAR);
                term.extend(g);
                f(&term);
            }
        }
    }
    for w in &words {
        term.clear();
        term.push_str(WORD);
        term.push_str(w);
        f(&term);
    }
    for p in words.windows(2) {
        term.clear();
        term.push_str(WORD);
        term.push_str(p[0]);
        term.push(' ');
        term.push_str(p[1]);
        f(&term);
    }
}

/// Vocabulary and inverse document frequencies, learnt from training texts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Vectorizer {
    /// Sorted terms: character n-grams (`c:`) first, then words and bigrams (`w:`).
    pub terms: Vec<String>,
    pub idf: Vec<f32>,
    /// Each term's index by name, and where the word terms start (from `terms`).
    #[serde(skip)]
    index: Derived<(HashMap<Box<str>, u32>, u32)>,
}

impl Vectorizer {
    /// Terms found in at least `min_df` texts; at most `max_terms` per kind (most frequent
    /// first, ties by term).
    pub fn fit(texts: &[String], min_df: usize, max_terms: usize) -> Vectorizer {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for t in texts {
            let mut ts = terms(t);
            ts.sort();
            ts.dedup();
            for term in ts {
                *df.entry(term).or_default() += 1;
            }
        }
        let n = texts.len() as f64;
        let mut kept: Vec<(String, usize)> = Vec::new();
        for prefix in [CHAR, WORD] {
            let mut kind: Vec<(&String, &usize)> =
                df.iter().filter(|(t, d)| t.starts_with(prefix) && **d >= min_df).collect();
            kind.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            kind.truncate(max_terms);
            kept.extend(kind.into_iter().map(|(t, d)| (t.clone(), *d)));
        }
        kept.sort();
        Vectorizer {
            idf: kept.iter().map(|(_, d)| (((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0) as f32).collect(),
            terms: kept.into_iter().map(|(t, _)| t).collect(),
            index: Derived::default(),
        }
    }

    pub fn dim(&self) -> usize {
        self.terms.len()
    }

    fn index(&self) -> &(HashMap<Box<str>, u32>, u32) {
        self.index.get_or_init(|| {
            let names = self.terms.iter().enumerate().map(|(i, t)| (t.as_str().into(), i as u32)).collect();
            (names, self.terms.partition_point(|t| t.starts_with(CHAR)) as u32)
        })
    }

    /// Sublinear TF-IDF of a text, each kind (characters, words) scaled to unit length.
    pub fn transform(&self, text: &str) -> Sparse {
        let (names, split) = self.index();
        let mut counts: BTreeMap<u32, f32> = BTreeMap::new();
        for_each_term(text, |t| {
            if let Some(&i) = names.get(t) {
                *counts.entry(i).or_default() += 1.0;
            }
        });
        let mut row: Sparse = counts.into_iter().map(|(i, c)| (i, (1.0 + c.ln()) * self.idf[i as usize])).collect();
        for (lo, hi) in [(0, *split), (*split, u32::MAX)] {
            let norm = row.iter().filter(|(i, _)| *i >= lo && *i < hi).map(|(_, v)| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().filter(|(i, _)| *i >= lo && *i < hi).for_each(|(_, v)| *v /= norm);
            }
        }
        row
    }
}

/// One logistic regression per class over sparse rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SparseLogistic {
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn dot(w: &[f64], x: &Sparse) -> f64 {
    x.iter().map(|(i, v)| w[*i as usize] * *v as f64).sum()
}

impl SparseLogistic {
    /// Fits class `c` on `targets[i][c]` by minimising the mean log-loss plus `l2 / 2 |w|²`
    /// (bias unpenalised) with Nesterov's accelerated gradient, step 1/L from a power
    /// iteration bound on the curvature. A `None` target leaves row `i` out of class `c`'s
    /// loss.
    pub fn fit(
        x: &[Sparse],
        dim: usize,
        targets: &[Vec<Option<bool>>],
        classes: usize,
        l2: f64,
        iterations: usize,
    ) -> Self {
        let n = x.len().max(1) as f64;
        let lipschitz = 0.25 * second_moment_bound(x, dim) + l2;
        let step = 1.0 / lipschitz;
        let q = (l2 / lipschitz).sqrt();
        let momentum = (1.0 - q) / (1.0 + q);
        let fitted: Vec<(Vec<f32>, f32)> = (0..classes)
            .into_par_iter()
            .map(|c| {
                let y: Vec<Option<f64>> = targets.iter().map(|t| t[c].map(|y| if y { 1.0 } else { 0.0 })).collect();
                let mut theta = vec![0f64; dim + 1];
                let mut prev = theta.clone();
                let mut grad = vec![0f64; dim + 1];
                for _ in 0..iterations {
                    let look: Vec<f64> = theta.iter().zip(&prev).map(|(a, b)| a + momentum * (a - b)).collect();
                    grad.iter_mut().for_each(|g| *g = 0.0);
                    for (row, yi) in x.iter().zip(&y) {
                        let Some(yi) = yi else { continue };
                        let err = (sigmoid(dot(&look, row) + look[dim]) - yi) / n;
                        for (i, v) in row {
                            grad[*i as usize] += err * *v as f64;
                        }
                        grad[dim] += err;
                    }
                    for (g, w) in grad[..dim].iter_mut().zip(&look) {
                        *g += l2 * w;
                    }
                    prev = std::mem::replace(&mut theta, look.iter().zip(&grad).map(|(w, g)| w - step * g).collect());
                }
                (theta[..dim].iter().map(|v| *v as f32).collect(), theta[dim] as f32)
            })
            .collect();
        SparseLogistic {
            weights: fitted.iter().map(|(w, _)| w.clone()).collect(),
            bias: fitted.iter().map(|(_, b)| *b).collect(),
        }
    }

    /// Probability of each class.
    pub fn scores(&self, x: &Sparse) -> Vec<f32> {
        self.weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| {
                sigmoid(*b as f64 + x.iter().map(|(i, v)| w[*i as usize] as f64 * *v as f64).sum::<f64>()) as f32
            })
            .collect()
    }
}

/// A word model as a part of a larger classifier: one-vs-rest logistic regressions on the
/// TF-IDF of the text, and their share of the final probabilities (themes models and
/// calibrated sentiment heads).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WordModel {
    pub weight: f32,
    pub vectorizer: Vectorizer,
    pub model: SparseLogistic,
}

impl WordModel {
    /// One-vs-rest probability of each class for `text`.
    pub fn scores(&self, text: &str) -> Vec<f32> {
        self.model.scores(&self.vectorizer.transform(text))
    }
}

/// A vocabulary learnt from `texts` and one logistic regression per class on their TF-IDF
/// (`targets[i][c]`: whether text i is in class c, `None` where unknown), L2 penalty
/// 1 / (`c` n) as scikit-learn's `C`.
pub fn fit_word_model(
    texts: &[String],
    targets: &[Vec<Option<bool>>],
    classes: usize,
    c: f64,
    min_df: usize,
    max_terms: usize,
    iterations: usize,
) -> (Vectorizer, SparseLogistic) {
    let vectorizer = Vectorizer::fit(texts, min_df, max_terms);
    let x: Vec<Sparse> = texts.iter().map(|t| vectorizer.transform(t)).collect();
    let l2 = 1.0 / (c * texts.len().max(1) as f64);
    let model = SparseLogistic::fit(&x, vectorizer.dim(), targets, classes, l2, iterations);
    (vectorizer, model)
}

/// Largest eigenvalue of the mean second moment of the rows with a constant feature
/// appended, by power iteration.
fn second_moment_bound(x: &[Sparse], dim: usize) -> f64 {
    let n = x.len().max(1) as f64;
    crate::linalg::largest_eigenvalue(dim + 1, |v, next| {
        for row in x {
            let d = (dot(v, row) + v[dim]) / n;
            for (i, val) in row {
                next[*i as usize] += d * *val as f64;
            }
            next[dim] += d;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_fold_accents_and_cut_ngrams_inside_words() {
        let t = terms("Prix élevé");
        assert!(t.contains(&"w:prix".to_string()));
        assert!(t.contains(&"w:prix eleve".to_string()));
        assert!(t.contains(&"c: pri".to_string()));
        assert!(t.contains(&"c:eve ".to_string()));
        // No n-gram spans two words.
        assert!(!t.iter().any(|x| x.starts_with(CHAR) && x[2..].trim().contains(' ')));
    }

    #[test]
    fn the_term_index_finds_what_a_search_of_the_sorted_terms_finds() {
        let texts: Vec<String> =
            ["Le prix a encore augmenté", "prix trop élevé, service lent", "the price went up again"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let v = Vectorizer::fit(&texts, 1, 1000);
        for text in ["Prix élevé et service LENT", "price up, prix monte", "", "???"] {
            let by_search: Vec<u32> =
                terms(text).iter().filter_map(|t| v.terms.binary_search(t).ok()).map(|i| i as u32).collect();
            let mut expected = by_search.clone();
            expected.sort();
            expected.dedup();
            let row: Vec<u32> = v.transform(text).iter().map(|(i, _)| *i).collect();
            assert_eq!(row, expected, "{text}");
        }
        // A copy (its index built afresh) and a deserialised vectorizer read the same.
        let back: Vectorizer = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back.transform("le prix"), v.clone().transform("le prix"));
        assert_eq!(back, v);
    }

    #[test]
    fn tfidf_rows_have_unit_blocks_and_rare_terms_weigh_more() {
        let texts: Vec<String> =
            ["le prix", "le prix monte", "le service", "le service lent"].iter().map(|s| s.to_string()).collect();
        let v = Vectorizer::fit(&texts, 2, 1000);
        assert!(v.terms.windows(2).all(|p| p[0] < p[1]));
        assert!(!v.terms.contains(&"w:monte".to_string()), "df 1 < min_df 2");
        let row = v.transform("le prix");
        let split = v.terms.partition_point(|t| t.starts_with(CHAR)) as u32;
        let norm = |f: &dyn Fn(u32) -> bool| row.iter().filter(|(i, _)| f(*i)).map(|(_, x)| x * x).sum::<f32>();
        assert!((norm(&|i| i < split) - 1.0).abs() < 1e-5);
        assert!((norm(&|i| i >= split) - 1.0).abs() < 1e-5);
        let w = |t: &str| row.iter().find(|(i, _)| v.terms[*i as usize] == t).unwrap().1;
        assert!(w("w:prix") > w("w:le"));
    }

    #[test]
    fn sparse_logistic_separates_and_is_deterministic() {
        let texts: Vec<String> = (0..40)
            .map(|i| if i % 2 == 0 { format!("prix trop cher {i}") } else { format!("service lent {i}") })
            .collect();
        let v = Vectorizer::fit(&texts, 2, 1000);
        let x: Vec<Sparse> = texts.iter().map(|t| v.transform(t)).collect();
        let y: Vec<Vec<Option<bool>>> = (0..40).map(|i| vec![Some(i % 2 == 0), Some(i % 2 == 1)]).collect();
        let m = SparseLogistic::fit(&x, v.dim(), &y, 2, 1e-3, 200);
        assert_eq!(m, SparseLogistic::fit(&x, v.dim(), &y, 2, 1e-3, 200));
        let s = m.scores(&v.transform("le prix est cher"));
        assert!(s[0] > 0.7 && s[1] < 0.3, "{s:?}");
    }
}
