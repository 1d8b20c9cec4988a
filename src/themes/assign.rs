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
        self.comment_model().filter(|m| m.attention.is_some())
    }

    /// The learnt model that reads whole comments: a learnt assigner's, or the one a
    /// zero-shot assigner trained on its taxonomy's texts.
    fn comment_model(&self) -> Option<&super::learn::ThemeModel> {
        match self {
            Assigner::Learnt(m) => Some(&**m),
            Assigner::ZeroShot(z) => z.learnt.as_deref(),
        }
    }

    /// Themes of every clause of `text` (indices into `Prepared::unique`). A learnt model
    /// gives each unique comment the themes of its whole text ([`super::learn::ThemeModel::assign`] on the
    /// comment's embedding and attention scores, what the model is trained on) and
    /// attributes each to the clause that says it most (the highest score of the model's
    /// word and embedding parts on the clause read in context), with the comment's
    /// confidence: a comment's clauses hold its themes, each once. Zero-shot assigns each
    /// clause read in context on its own (keywords decide clause by clause), then adds the
    /// themes its taxonomy-trained model finds in the whole comment that no clause has yet,
    /// attributed the same way. Parallel over comments; the result does not depend on
    /// threads.
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
                // Zero-shot's themes clause by clause; a learnt model's come from the comment.
                let mut out: Vec<ClauseThemes> = match self {
                    Assigner::ZeroShot(z) => {
                        units.iter().map(|&u| z.assign(&text.unique[u], &encoded.clauses[u])).collect()
                    }
                    Assigner::Learnt(_) => vec![Vec::new(); units.len()],
                };
                let Some(m) = self.comment_model() else {
                    return out
                        .into_iter()
                        .map(|t| {
                            let covered = !t.is_empty();
                            (t, covered)
                        })
                        .collect();
                };
                let clause = super::learn::Clause {
                    text: &pass.text,
                    embedding: &encoded.comments[k],
                    attention: encoded.attention[k].as_deref(),
                };
                let found: Vec<(usize, f32)> = m
                    .assign(clause)
                    .into_iter()
                    .filter(|(t, _)| !out.iter().flatten().any(|(had, _)| had == t))
                    .collect();
                if units.len() == 1 {
                    out[0].extend(found);
                    let covered = !out[0].is_empty();
                    return vec![(std::mem::take(&mut out[0]), covered)];
                }
                let scores: Vec<Vec<f32>> =
                    units.iter().map(|&u| m.scores_without_attention(&text.unique[u], &encoded.clauses[u])).collect();
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

/// How many examples of other leaves each example of the taxonomy is joined with, as the
/// two-subject texts the taxonomy's classifier also learns from
/// ([`super::Taxonomy::joined_examples`]; 1-6 were measured on the corpus, 3 best).
const JOINED_PARTNERS: usize = 3;

/// A zero-shot assigner with a learnt part: the classifier of `verbatim themes train`
/// trained on the taxonomy's own texts (descriptions, examples and keywords of each leaf,
/// negatives of the other leaves; counter-examples, negatives of their own leaf alone;
/// examples of two leaves joined, coded with both), deterministically, in a few seconds.
/// Its themes are added to the keywords' and prototypes'. A taxonomy of one leaf has no
/// negatives to learn from and keeps keywords and prototypes alone.
pub fn zero_shot_learnt(
    taxonomy: &super::Taxonomy,
    settings: super::ZeroShotSettings,
    enc: &EncoderConfig,
    console: &Console,
) -> Result<super::ZeroShot> {
    let mut z = zero_shot(taxonomy, settings, enc, console)?;
    if z.themes.len() < 2 {
        return Ok(z);
    }
    let opts = super::learn::LearnOptions::default();
    // Trained once per taxonomy, encoder, training texts and version: next week's run
    // reads it back.
    let key = serde_json::to_vec(&(
        env!("CARGO_PKG_VERSION"),
        super::learn::FORMAT,
        ModelInfo::of(enc)?.cache_key(),
        &opts,
        JOINED_PARTNERS,
        taxonomy,
    ))
    .expect("the key serialises");
    let cached = enc
        .cache_dir
        .as_ref()
        .map(|d| d.join("zero-shot").join(format!("{}.json", &crate::ingest::sha256_hex(&key)[..24])));
    let read = cached.as_ref().and_then(|p| std::fs::read(p).ok()).and_then(|b| serde_json::from_slice(&b).ok());
    let m: super::learn::ThemeModel = match read {
        Some(m) => m,
        None => {
            let mut coded = taxonomy.coded_texts();
            coded.extend(taxonomy.joined_examples(JOINED_PARTNERS));
            let (m, _) = super::fit::train_themes_with(&coded, Some(&z), enc, &opts, console, None)?;
            let m = m.expect("training without folds returns a model");
            if let Some(path) = &cached {
                if let Err(e) = keep(path, &serde_json::to_vec(&m).expect("a themes model serialises")) {
                    tracing::warn!("{}: {e}; the taxonomy's classifier is trained again next run", path.display());
                }
            }
            m
        }
    };
    // Both list the taxonomy's leaves in order (the examples name no other theme).
    debug_assert!(m.themes.iter().map(|t| &t.id).eq(z.themes.iter().map(|t| &t.id)));
    z.learnt = Some(Box::new(m));
    Ok(z)
}

/// `bytes` written to `path` as the run's outputs are ([`crate::output::Staged`]: a
/// temporary file, synced, renamed into place): a reader finds the whole file or none.
fn keep(path: &Path, bytes: &[u8]) -> Result<()> {
    use crate::output::Stage;
    let (dir, name) = (path.parent().unwrap_or(Path::new(".")), path.file_name().and_then(|n| n.to_str()));
    let mut staged = crate::output::Staged::new(dir)?;
    staged.stage_bytes(name.expect("a cache file name"), bytes)?;
    staged.commit().map(|_| ())
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
        ThemeSource::Taxonomy(p) => Assigner::ZeroShot(zero_shot_learnt(&load_taxonomy(p)?, settings, enc, console)?),
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
