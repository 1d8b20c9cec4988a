//! Themes: the user's taxonomy (zero-shot, from prototypes and keywords), a classifier
//! learnt from coded verbatims, and discovery of what no theme covers.
//!
//! Every assigner maps a clause (its text and embedding) to zero, one or several themes
//! with a confidence. Themes with children are never assigned directly: their children
//! are, and reports roll them up.

pub mod assign;
pub mod attention;
pub mod discovery;
pub mod emerging;
pub mod fit;
pub mod keywords;
pub mod learn;
pub mod taxonomy;

use serde::{Deserialize, Serialize};

pub use keywords::Keyword;
pub use taxonomy::Taxonomy;

/// Identity of a theme in outputs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThemeInfo {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// The parent's label (drivers roll themes up to their parent under this name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_label: Option<String>,
}

/// How zero-shot assignment decides. A clause gets a theme when one of the theme's
/// keywords occurs in it, or when its cosine with one of the theme's prototypes is at least
/// `min_similarity` and within `margin` of its best theme.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct ZeroShotSettings {
    pub min_similarity: f32,
    pub margin: f32,
    /// Least lead of the theme's similarity over the clause's mean similarity to all
    /// themes: a generic clause ("je ne recommande pas") is about as close to every theme
    /// and gets none.
    #[serde(default = "default_distinct")]
    pub distinctiveness: f32,
}

fn default_distinct() -> f32 {
    0.03
}

impl Default for ZeroShotSettings {
    fn default() -> Self {
        ZeroShotSettings { min_similarity: 0.88, margin: 0.01, distinctiveness: 0.03 }
    }
}

/// Zero-shot assigner built from a taxonomy and the embeddings of its prototype texts.
pub struct ZeroShot {
    pub themes: Vec<ThemeInfo>,
    /// Per leaf theme, the embeddings of its prototype texts.
    pub prototypes: Vec<Vec<Vec<f32>>>,
    pub keywords: Vec<Vec<Keyword>>,
    pub settings: ZeroShotSettings,
    /// The learnt classifier trained on the taxonomy's own texts
    /// ([`Taxonomy::coded_texts`]): the themes it finds in a comment are added to those
    /// of the keywords and prototypes (`assign::zero_shot_learnt`). None: keywords and
    /// prototypes alone.
    pub learnt: Option<Box<learn::ThemeModel>>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl ZeroShot {
    /// `embed` embeds prototype texts (with the run's encoder and prefix).
    pub fn new<E>(
        taxonomy: &Taxonomy,
        settings: ZeroShotSettings,
        embed: impl FnOnce(&[String]) -> Result<Vec<Vec<f32>>, E>,
    ) -> Result<ZeroShot, E> {
        let leaves = taxonomy.leaves();
        let texts: Vec<Vec<String>> = leaves.iter().map(|t| t.prototype_texts()).collect();
        let flat: Vec<String> = texts.iter().flatten().cloned().collect();
        let emb = embed(&flat)?;
        let mut k = 0;
        let prototypes = texts
            .iter()
            .map(|ts| {
                let v = emb[k..k + ts.len()].to_vec();
                k += ts.len();
                v
            })
            .collect();
        Ok(ZeroShot {
            themes: leaves
                .iter()
                .map(|t| ThemeInfo {
                    id: t.id.clone(),
                    label: t.label.clone(),
                    parent: t.parent.clone(),
                    parent_label: t.parent.as_deref().and_then(|p| taxonomy.get(p)).map(|p| p.label.clone()),
                })
                .collect(),
            prototypes,
            keywords: leaves.iter().map(|t| t.keywords().map(Keyword::new).collect()).collect(),
            settings,
            learnt: None,
        })
    }

    /// Best cosine of `e` with each theme's prototypes.
    pub fn similarities(&self, e: &[f32]) -> Vec<f32> {
        self.prototypes.iter().map(|ps| ps.iter().map(|p| dot(p, e)).fold(f32::MIN, f32::max)).collect()
    }

    /// Themes of one clause: (theme index, confidence in 0..1). Keyword evidence decides
    /// when there is any (every theme with a keyword in the clause); otherwise the most
    /// similar theme(s), when similar enough.
    pub fn assign(&self, text: &str, e: &[f32]) -> Vec<(usize, f32)> {
        let words = keywords::words(text);
        let sims = self.similarities(e);
        let best = sims.iter().cloned().fold(f32::MIN, f32::max);
        let s = &self.settings;
        // Confidence: similarity mapped onto 0..1 around the threshold.
        let from_sim = |t: usize| ((sims[t] - s.min_similarity + 0.1) / 0.2).clamp(0.0, 1.0);
        let by_keyword: Vec<(usize, f32)> = (0..self.themes.len())
            .filter(|&t| self.keywords[t].iter().any(|k| k.matches(&words)))
            .map(|t| (t, from_sim(t).max(0.8)))
            .collect();
        if !by_keyword.is_empty() {
            return by_keyword;
        }
        let mean = sims.iter().sum::<f32>() / sims.len().max(1) as f32;
        (0..self.themes.len())
            .filter(|&t| {
                sims[t] >= s.min_similarity && sims[t] >= best - s.margin && sims[t] - mean >= s.distinctiveness
            })
            .map(|t| (t, from_sim(t).max(0.5)))
            .collect()
    }
}

/// Precision, recall, F1 per theme and micro / macro averages of a multi-label assignment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThemeMetrics {
    pub n: usize,
    pub micro_precision: f64,
    pub micro_recall: f64,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// (theme, precision, recall, f1, support)
    pub per_theme: Vec<(String, f64, f64, f64, usize)>,
}

pub fn theme_metrics(ids: &[String], gold: &[Vec<usize>], pred: &[Vec<usize>]) -> ThemeMetrics {
    let t = ids.len();
    let (mut tp, mut fp, mut fn_) = (vec![0usize; t], vec![0usize; t], vec![0usize; t]);
    for (g, p) in gold.iter().zip(pred) {
        for &x in p {
            if g.contains(&x) {
                tp[x] += 1;
            } else {
                fp[x] += 1;
            }
        }
        for &x in g {
            if !p.contains(&x) {
                fn_[x] += 1;
            }
        }
    }
    let prf = |tp: usize, fp: usize, fn_: usize| {
        let p = if tp + fp > 0 { tp as f64 / (tp + fp) as f64 } else { 0.0 };
        let r = if tp + fn_ > 0 { tp as f64 / (tp + fn_) as f64 } else { 0.0 };
        let f = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        (p, r, f)
    };
    let (mp, mr, mf) = prf(tp.iter().sum(), fp.iter().sum(), fn_.iter().sum());
    let per_theme: Vec<_> = (0..t)
        .map(|i| {
            let (p, r, f) = prf(tp[i], fp[i], fn_[i]);
            (ids[i].clone(), p, r, f, tp[i] + fn_[i])
        })
        .collect();
    let supported: Vec<f64> = per_theme.iter().filter(|x| x.4 > 0).map(|x| x.3).collect();
    ThemeMetrics {
        n: gold.len(),
        micro_precision: mp,
        micro_recall: mr,
        micro_f1: mf,
        macro_f1: if supported.is_empty() { 0.0 } else { supported.iter().sum::<f64>() / supported.len() as f64 },
        per_theme,
    }
}

impl ThemeMetrics {
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "n {}  micro P {:.3} R {:.3} F1 {:.3}  macro-F1 {:.3}",
            self.n, self.micro_precision, self.micro_recall, self.micro_f1, self.macro_f1
        );
        let _ = writeln!(s, "{:<28} {:>9} {:>7} {:>6} {:>8}", "theme", "precision", "recall", "F1", "support");
        for (t, p, r, f, n) in &self.per_theme {
            let _ = writeln!(s, "{t:<28} {p:>9.3} {r:>7.3} {f:>6.3} {n:>8}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_and_macro_by_hand() {
        let ids = vec!["a".to_string(), "b".to_string()];
        // gold: {a}, {a,b}, {}; pred: {a}, {b}, {b}
        let m = theme_metrics(&ids, &[vec![0], vec![0, 1], vec![]], &[vec![0], vec![1], vec![1]]);
        // tp 2 (a, b), fp 1 (b), fn 1 (a): P 2/3 R 2/3
        assert!((m.micro_f1 - 2.0 / 3.0).abs() < 1e-12);
        // a: P 1 R .5 F .667; b: P .5 R 1 F .667
        assert!((m.macro_f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn keyword_or_similarity_assigns() {
        let z = ZeroShot {
            themes: vec![
                ThemeInfo { id: "price".into(), label: "Price".into(), parent: None, parent_label: None },
                ThemeInfo { id: "app".into(), label: "App".into(), parent: None, parent_label: None },
            ],
            prototypes: vec![vec![vec![1.0, 0.0]], vec![vec![0.0, 1.0]]],
            keywords: vec![vec![Keyword::new("prix")], vec![Keyword::new("appli")]],
            settings: ZeroShotSettings { min_similarity: 0.9, margin: 0.02, distinctiveness: 0.0 },
            learnt: None,
        };
        // Keyword evidence wins over similarity.
        assert_eq!(z.assign("les prix montent", &[0.0, 1.0]).iter().map(|x| x.0).collect::<Vec<_>>(), vec![0]);
        assert_eq!(z.assign("prix de l'appli", &[0.0, 1.0]).iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(z.assign("rien", &[0.0, 1.0]).iter().map(|x| x.0).collect::<Vec<_>>(), vec![1]);
        assert_eq!(z.assign("rien", &[0.95, 0.31]).iter().map(|x| x.0).collect::<Vec<_>>(), vec![0]);
        assert!(z.assign("rien", &[0.6, 0.6]).is_empty());
    }
}
