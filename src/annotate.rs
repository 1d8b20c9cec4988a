//! The per-comment half of the weekly run as a long-lived object: comments in, their
//! language, sentiment, themes and what a run needs to finish without encoding again (the
//! comment's embedding and attention scores, its clauses' embeddings). This is the map a distributed engine runs on every
//! worker (the Python package's `verbatim.annotate`, `verbatim.spark`, `verbatim.ray`);
//! everything after it is sums of counts, done by `verbatim run` on the annotated data
//! ([`crate::ingest::annotations`] reads it back, [`crate::pipeline::annotated_inputs`]
//! checks it).
//!
//! The models load once, when the annotator is made; every call reuses them. A comment's
//! annotation depends on that comment alone (batch-invariant encoder, per-comment heads), so
//! annotating a table in any number of pieces gives the same values.

use crate::config::{EncoderConfig, RunConfig};
use crate::console::Console;
use crate::encode::{EncodeReport, EncoderSlot, ModelInfo};
use crate::ingest::{annotations, TextColumn};
use crate::themes::assign::Assigner;
use crate::{pipeline, sentiment, text, themes, Error, Result};

/// Models loaded once (encoder, sentiment head, themes), reused by every call.
pub struct Annotator {
    enc: EncoderConfig,
    model: ModelInfo,
    head: sentiment::Head,
    assigner: Assigner,
    encoder: EncoderSlot,
    fingerprint: String,
}

/// The annotations of a batch of comments. Rows follow the comments given; pass indices
/// point into `passes` (a comment said twice in the batch is encoded once), clause indices
/// into `unique`.
#[derive(Debug, Clone, Default)]
pub struct Annotated {
    /// Per row: the comment's language code (None without comment).
    pub language: Vec<Option<&'static str>>,
    /// Per row: negative / neutral / positive / mixed and the score in -1..1.
    pub sentiment: Vec<Option<(&'static str, f32)>>,
    /// Per row: the theme ids the comment mentions, sorted by theme order.
    pub themes: Vec<Vec<String>>,
    /// Per row: its comment as the models read it, as an index into `passes` (None without).
    pub pass: Vec<Option<usize>>,
    /// Per row: its clauses, as indices into `unique`, in order.
    pub clauses: Vec<Vec<usize>>,
    /// The unique comments as the models read them (normalised, @mentions left out).
    pub passes: Vec<String>,
    /// Per unique comment: its embedding.
    pub pass_embeddings: Vec<Vec<f32>>,
    /// Per unique comment: token-attention scores, when the themes model reads token states.
    pub attention: Vec<Option<Vec<f32>>>,
    /// The clause texts of the unique comments, comment after comment.
    pub unique: Vec<String>,
    /// Per clause: its sentiment score, -1..1.
    pub clause_score: Vec<f32>,
    /// Per clause: the theme ids assigned.
    pub clause_themes: Vec<Vec<String>>,
    /// Per clause: its embedding, read in its comment.
    pub embeddings: Vec<Vec<f32>>,
    /// What the encoder did for this batch.
    pub encode: EncodeReport,
}

impl Annotator {
    /// Load the models of a run configuration (its encoder, sentiment head and themes; the
    /// inputs and outputs are not used). Fails as `verbatim run` would on a bad model.
    pub fn new(cfg: &RunConfig, console: &Console) -> Result<Annotator> {
        let head = sentiment::Head::load(&cfg.sentiment_model).map_err(Error::Usage)?;
        let model = ModelInfo::of(&cfg.encoder)?;
        let assigner = themes::assign::build_assigner(&cfg.themes, cfg.zero_shot, &cfg.encoder, &model, console)?;
        let token = assigner.token_model().map(|m| m.fingerprint());
        let fingerprint = annotations::fingerprint(&model.cache_key(), token.as_deref());
        Ok(Annotator { enc: cfg.encoder.clone(), model, head, assigner, encoder: EncoderSlot::default(), fingerprint })
    }

    /// The fingerprint of the models (`verbatim_model`): a run accepts annotations only
    /// from the same encoder (and themes model, when it reads token states).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The theme ids this annotator assigns, in order.
    pub fn theme_ids(&self) -> Vec<String> {
        self.assigner.themes().iter().map(|t| t.id.clone()).collect()
    }

    /// Annotate a batch of comments ("" for a row without comment).
    pub fn annotate(&mut self, comments: &TextColumn, console: &Console) -> Result<Annotated> {
        let text = text::prepare(comments);
        let token_model = self.assigner.token_model();
        let (encoded, encode) =
            pipeline::encode_comments(&self.enc, &self.model, token_model, &text, &[], &mut self.encoder, console)?;
        let (clause_sentiment, sentiment) =
            sentiment::score_comments(&self.head, &self.model, &text, &encoded.clauses)?;
        let clause_themes = self.assigner.assign_prepared(&text, &encoded);
        let ids = self.theme_ids();
        let themes = pipeline::response_themes(&text, &clause_themes)
            .into_iter()
            .map(|t| t.into_iter().map(|i| ids[i].clone()).collect())
            .collect();
        Ok(Annotated {
            language: text.comments.iter().map(|c| c.language.as_ref().map(|l| l.code)).collect(),
            sentiment,
            themes,
            pass: text.comments.iter().map(|c| c.pass).collect(),
            clauses: text.comments.iter().map(|c| c.clauses.clone()).collect(),
            passes: text.passes.into_iter().map(|p| p.text).collect(),
            pass_embeddings: encoded.comments,
            attention: encoded.attention,
            clause_score: clause_sentiment.iter().map(|p| sentiment::clause_label(p).1).collect(),
            clause_themes: clause_themes.iter().map(|t| t.iter().map(|&(i, _)| ids[i].clone()).collect()).collect(),
            unique: text.unique,
            embeddings: encoded.clauses,
            encode,
        })
    }
}
