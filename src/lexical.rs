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
    ///
    /// The classes are fitted in groups (one per thread, at most six classes each), each
    /// group in one pass over the rows per iteration, with its classes' weights side by side
    /// per term and the terms renumbered most frequent first, so that a row's weights are
    /// few cache lines. Every class's arithmetic is the one of a fit on its own (rows in
    /// order, each row's terms in order), so the model does not depend on the thread count
    /// or on the grouping: the weights are those of 0.7.2's fit, one class at a time, to the
    /// bit (a test keeps that fit as the reference).
    pub fn fit(
        x: &[Sparse],
        dim: usize,
        targets: &[Vec<Option<bool>>],
        classes: usize,
        l2: f64,
        iterations: usize,
    ) -> Self {
        let fitted = fit_classes(x, dim, targets, classes, l2, iterations, rayon::current_num_threads());
        SparseLogistic {
            weights: fitted.iter().map(|(w, _)| w.iter().map(|v| *v as f32).collect()).collect(),
            bias: fitted.iter().map(|(_, b)| *b as f32).collect(),
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

/// Each class's weights and bias in f64, fitted in at least `groups` groups of classes (see
/// [`SparseLogistic::fit`]).
fn fit_classes(
    x: &[Sparse],
    dim: usize,
    targets: &[Vec<Option<bool>>],
    classes: usize,
    l2: f64,
    iterations: usize,
    groups: usize,
) -> Vec<(Vec<f64>, f64)> {
    // Contiguous groups of classes (at least `groups`, at most GROUP classes each), sizes
    // differing by at most one.
    let groups = groups.max(classes.div_ceil(GROUP)).clamp(1, classes.max(1));
    let bounds: Vec<(usize, usize)> =
        (0..groups).map(|g| (g * classes / groups, (g + 1) * classes / groups)).filter(|(a, b)| a < b).collect();
    // Terms renumbered by frequency, most frequent first, so that the weights most rows
    // touch share a few cache lines; each row keeps its terms in their first order (so
    // every sum runs in the same order) and the weights go back to the first numbering.
    let mut count = vec![0usize; dim];
    x.iter().flatten().for_each(|(i, _)| count[*i as usize] += 1);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(count[i]), i));
    let mut position = vec![0u32; dim];
    order.iter().enumerate().for_each(|(p, &i)| position[i] = p as u32);
    let renumbered: Vec<Sparse> =
        x.iter().map(|row| row.iter().map(|(i, v)| (position[*i as usize], *v)).collect()).collect();
    let fit = Fit { x: &renumbered, dim, targets, l2, iterations, schedule: Schedule::of(x, dim, l2) };
    let fitted: Vec<Vec<(Vec<f64>, f64)>> = bounds.into_par_iter().map(|(lo, hi)| fit.group(lo..hi)).collect();
    fitted.into_iter().flatten().map(|(w, b)| (position.iter().map(|&p| w[p as usize]).collect(), b)).collect()
}

/// The most classes a group fits at once (its sums stay in registers).
const GROUP: usize = 6;

/// The constants of a fit by Nesterov's accelerated gradient: the number of rows (the loss
/// is their mean), the step 1/L from a power-iteration bound on the curvature, and the
/// momentum of a strongly convex problem.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    n: f64,
    step: f64,
    momentum: f64,
}

impl Schedule {
    fn of(x: &[Sparse], dim: usize, l2: f64) -> Schedule {
        let lipschitz = 0.25 * second_moment_bound(x, dim) + l2;
        let q = (l2 / lipschitz).sqrt();
        Schedule { n: x.len().max(1) as f64, step: 1.0 / lipschitz, momentum: (1.0 - q) / (1.0 + q) }
    }
}

/// What every group's fit shares.
struct Fit<'a> {
    x: &'a [Sparse],
    dim: usize,
    targets: &'a [Vec<Option<bool>>],
    l2: f64,
    iterations: usize,
    schedule: Schedule,
}

impl Fit<'_> {
    /// The classes `range` (at most [`GROUP`]) fitted together.
    fn group(&self, range: std::ops::Range<usize>) -> Vec<(Vec<f64>, f64)> {
        match range.len() {
            1 => self.lanes::<1>(range.start),
            2 => self.lanes::<2>(range.start),
            3 => self.lanes::<3>(range.start),
            4 => self.lanes::<4>(range.start),
            5 => self.lanes::<5>(range.start),
            6 => self.lanes::<6>(range.start),
            k => unreachable!("a group of {k} classes"),
        }
    }

    /// Nesterov's accelerated gradient for the `K` classes from `first` at once. Weights
    /// are stored term-major (`w[term][class]`, the bias at term `dim`); for each class
    /// the sums run in the order of a fit of that class alone (rows in order, each row's
    /// terms in order), so its weights are the same to the bit.
    fn lanes<const K: usize>(&self, first: usize) -> Vec<(Vec<f64>, f64)> {
        let (dim, l2, Schedule { n, step, momentum }) = (self.dim, self.l2, self.schedule);
        let y: Vec<[Option<f64>; K]> = self
            .targets
            .iter()
            .map(|t| std::array::from_fn(|c| t[first + c].map(|y| if y { 1.0 } else { 0.0 })))
            .collect();
        let mut theta = vec![[0f64; K]; dim + 1];
        let mut prev = theta.clone();
        let mut look = theta.clone();
        let mut grad = theta.clone();
        for _ in 0..self.iterations {
            for ((l, a), b) in look.iter_mut().zip(&theta).zip(&prev) {
                *l = std::array::from_fn(|c| a[c] + momentum * (a[c] - b[c]));
            }
            grad.iter_mut().for_each(|g| *g = [0.0; K]);
            for (row, yr) in self.x.iter().zip(&y) {
                if yr.iter().all(Option::is_none) {
                    continue;
                }
                let mut z = [0f64; K];
                for (i, v) in row {
                    let (v, w) = (*v as f64, &look[*i as usize]);
                    (0..K).for_each(|c| z[c] += w[c] * v);
                }
                // A class that does not judge this row adds +0.0 to its sums, which changes
                // none of them: they start at +0.0 and no term added is -0.0 (an error is
                // never -0.0), so none is ever -0.0.
                let err: [f64; K] =
                    std::array::from_fn(|c| yr[c].map_or(0.0, |yi| (sigmoid(z[c] + look[dim][c]) - yi) / n));
                for (i, v) in row {
                    let (v, g) = (*v as f64, &mut grad[*i as usize]);
                    (0..K).for_each(|c| g[c] += err[c] * v);
                }
                (0..K).for_each(|c| grad[dim][c] += err[c]);
            }
            for (g, w) in grad[..dim].iter_mut().zip(&look) {
                (0..K).for_each(|c| g[c] += l2 * w[c]);
            }
            for ((t, p), (l, g)) in theta.iter_mut().zip(prev.iter_mut()).zip(look.iter().zip(&grad)) {
                *p = *t;
                *t = std::array::from_fn(|c| l[c] - step * g[c]);
            }
        }
        (0..K).map(|c| (theta[..dim].iter().map(|w| w[c]).collect(), theta[dim][c])).collect()
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

    /// One class at a time, each in its own pass over the rows: the fit before classes were
    /// grouped (0.7.2), kept as the reference the grouped fit must equal to the bit.
    fn fit_one_class_at_a_time(
        x: &[Sparse],
        dim: usize,
        targets: &[Vec<Option<bool>>],
        classes: usize,
        l2: f64,
        iterations: usize,
    ) -> Vec<(Vec<f64>, f64)> {
        let Schedule { n, step, momentum } = Schedule::of(x, dim, l2);
        (0..classes)
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
                (theta[..dim].to_vec(), theta[dim])
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Grouping the classes (one group per thread) changes no weight, whatever the
        /// groups, the rows (empty ones included) and the targets left unknown.
        #[test]
        fn grouped_fit_equals_one_class_at_a_time(
            rows in proptest::collection::vec(
                (proptest::collection::btree_map(0u32..40, 0.05f32..2.0, 0..8),
                 proptest::collection::vec(proptest::option::weighted(0.8, proptest::bool::ANY), 14)),
                1..30),
            classes in 1usize..15,
            groups in 1usize..5,
        ) {
            let x: Vec<Sparse> = rows.iter().map(|(r, _)| r.iter().map(|(i, v)| (*i, *v)).collect()).collect();
            let y: Vec<Vec<Option<bool>>> = rows.iter().map(|(_, t)| t[..classes].to_vec()).collect();
            let reference = fit_one_class_at_a_time(&x, 40, &y, classes, 1e-2, 40);
            let grouped = fit_classes(&x, 40, &y, classes, 1e-2, 40, groups);
            let bits = |m: &[(Vec<f64>, f64)]| -> Vec<u64> {
                m.iter().flat_map(|(w, b)| w.iter().chain([b])).map(|v| v.to_bits()).collect()
            };
            proptest::prop_assert_eq!(bits(&grouped), bits(&reference));
        }
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
