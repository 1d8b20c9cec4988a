//! Assigning themes to clauses: the assigner a run uses (zero-shot from a taxonomy, or a
//! learnt model), built from where the run's themes come from.

use std::path::Path;

use crate::config::{EncoderConfig, ThemeSource};
use crate::console::Console;
use crate::encode::{cache::Cache, embed_texts, ModelInfo};
use crate::{Error, Result};

/// Assigns themes to clauses.
pub enum Assigner {
    ZeroShot(super::ZeroShot),
    Learnt(Box<super::learn::ThemeModel>),
}

impl Assigner {
    pub fn themes(&self) -> &[super::ThemeInfo] {
        match self {
            Assigner::ZeroShot(z) => &z.themes,
            Assigner::Learnt(m) => &m.themes,
        }
    }

    /// The learnt model when it reads token states (attention), which the encode stage
    /// must then provide.
    pub fn token_model(&self) -> Option<&super::learn::ThemeModel> {
        match self {
            Assigner::Learnt(m) if m.attention.is_some() => Some(&**m),
            _ => None,
        }
    }

    /// Themes of a clause; `attention`: the learnt model's attention scores of the clause
    /// (see [`Self::token_model`]).
    pub fn assign(&self, text: &str, e: &[f32], attention: Option<&[f32]>) -> Vec<(usize, f32)> {
        match self {
            Assigner::ZeroShot(z) => z.assign(text, e),
            Assigner::Learnt(m) => m.assign(super::learn::Clause { text, embedding: e, attention }),
        }
    }

    /// Themes of every clause of `text` (indices into `Prepared::unique`). A learnt model
    /// gives each unique comment the themes of its whole text ([`Self::assign`] on the
    /// comment's embedding and attention scores, what the model is trained on) and
    /// attributes each to the clause that says it most (the highest score of the model's
    /// word and embedding parts on the clause read in context), with the comment's
    /// confidence: a comment's clauses hold its themes, each once. Zero-shot assigns each
    /// clause read in context on its own (keywords decide clause by clause). Parallel over
    /// comments; the result does not depend on threads.
    pub fn assign_prepared(&self, text: &crate::text::Prepared, encoded: &crate::encode::Encoded) -> Vec<ClauseThemes> {
        self.assign_covering(text, encoded).themes
    }

    /// [`Self::assign_prepared`], and which clauses a theme covers (what discovery leaves
    /// out). A clause is covered when a theme is attributed to it or, for a learnt model,
    /// when its own scores (word and embedding parts, read in context, on the scale of
    /// the parts' weights) reach a theme's threshold: the clause says a known theme even
    /// though its comment's theme went to another clause.
    pub fn assign_covering(&self, text: &crate::text::Prepared, encoded: &crate::encode::Encoded) -> Assigned {
        use rayon::prelude::*;
        let per_pass: Vec<Vec<(ClauseThemes, bool)>> = text
            .passes
            .par_iter()
            .enumerate()
            .map(|(k, pass)| {
                let units: Vec<usize> = pass.units.clone().collect();
                let m = match self {
                    Assigner::ZeroShot(z) => {
                        return units
                            .iter()
                            .map(|&u| z.assign(&text.unique[u], &encoded.clauses[u]))
                            .map(|t| {
                                let covered = !t.is_empty();
                                (t, covered)
                            })
                            .collect();
                    }
                    Assigner::Learnt(m) => m,
                };
                let found = self.assign(&pass.text, &encoded.comments[k], encoded.attention[k].as_deref());
                if units.len() == 1 {
                    let covered = !found.is_empty();
                    return vec![(found, covered)];
                }
                let scores: Vec<Vec<f32>> =
                    units.iter().map(|&u| m.scores_without_attention(&text.unique[u], &encoded.clauses[u])).collect();
                let mut out = vec![Vec::new(); units.len()];
                for (t, confidence) in found {
                    // The first clause of the highest score (ties keep the earlier clause).
                    let best = (1..units.len()).fold(0, |b, j| if scores[j][t] > scores[b][t] { j } else { b });
                    out[best].push((t, confidence));
                }
                out.into_iter()
                    .zip(&scores)
                    .map(|(t, s)| {
                        let covered = !t.is_empty() || m.reaches_threshold_without_attention(s);
                        (t, covered)
                    })
                    .collect()
            })
            .collect();
        let (themes, covered) = per_pass.into_iter().flatten().unzip();
        Assigned { themes, covered }
    }
}

/// A clause's themes: (theme index, confidence).
pub type ClauseThemes = Vec<(usize, f32)>;

/// Themes of each clause ([`Assigner::assign_prepared`]) and whether a theme covers it.
pub struct Assigned {
    pub themes: Vec<ClauseThemes>,
    pub covered: Vec<bool>,
}

/// Read a taxonomy; its problems are usage errors.
pub fn load_taxonomy(path: &Path) -> Result<super::Taxonomy> {
    super::Taxonomy::load(path).map_err(Error::Usage)
}

/// A zero-shot assigner: the taxonomy's prototype texts embedded by the encoder.
pub fn zero_shot(
    taxonomy: &super::Taxonomy,
    settings: super::ZeroShotSettings,
    enc: &EncoderConfig,
    console: &Console,
) -> Result<super::ZeroShot> {
    super::ZeroShot::new(taxonomy, settings, |texts| {
        embed_texts(enc, texts, console, "theme prototypes").map(|(e, _, _)| e)
    })
}

/// The assigner of a run: zero-shot from a taxonomy, learnt from examples at the start of
/// the run, or a model made by `verbatim themes train` (checked against the encoder).
pub fn build_assigner(
    source: &ThemeSource,
    settings: super::ZeroShotSettings,
    enc: &EncoderConfig,
    model: &ModelInfo,
    console: &Console,
) -> Result<Assigner> {
    Ok(match source {
        ThemeSource::Taxonomy(p) => Assigner::ZeroShot(zero_shot(&load_taxonomy(p)?, settings, enc, console)?),
        ThemeSource::Examples { examples, taxonomy } => {
            let tax = taxonomy.as_deref().map(load_taxonomy).transpose()?;
            let coded = crate::coded::read_examples(examples)?;
            let (m, _) = super::fit::train_themes(&coded, tax.as_ref(), enc, &Default::default(), console, None)?;
            Assigner::Learnt(Box::new(m.expect("training without folds returns a model")))
        }
        ThemeSource::Model(dir) => Assigner::Learnt(Box::new(load_model(dir, model)?)),
    })
}

/// A model made by `verbatim themes train`, refused when its format is unknown or it was
/// trained on another encoder than `model`.
pub fn load_model(dir: &Path, model: &ModelInfo) -> Result<super::learn::ThemeModel> {
    let path = dir.join("model.json");
    let bytes = std::fs::read(&path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let m: super::learn::ThemeModel = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Usage(format!("{}: not a themes model: {e}", path.display())))?;
    if !super::learn::KNOWN_FORMATS.contains(&m.format.as_str()) {
        return Err(Error::Usage(format!(
            "{}: format '{}' is not one this verbatim reads ({}): upgrade verbatim or retrain the model",
            path.display(),
            m.format,
            super::learn::KNOWN_FORMATS.join(", ")
        )));
    }
    if !model.accepts(&m.encoder) {
        return Err(Error::Usage(format!(
            "{} was trained on another encoder: retrain it with `verbatim themes train`",
            path.display()
        )));
    }
    Ok(m)
}

/// The cache of a learnt themes model's attention scores, under the encoder's key and the
/// model's fingerprint; `None` without a cache directory or when it cannot be opened.
pub fn attention_cache(cache_dir: Option<&Path>, model: &ModelInfo, m: &super::learn::ThemeModel) -> Option<Cache> {
    let dir = cache_dir?;
    let key = format!("{}-{}", model.cache_key(), m.fingerprint());
    Cache::open_kind(dir, "attention", &key, m.themes.len())
        .map_err(|e| tracing::warn!("attention cache {} unusable: {e}; encoding every clause", dir.display()))
        .ok()
}
