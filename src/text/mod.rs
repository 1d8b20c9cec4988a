//! Text preparation: normalise, detect the language, split into clauses, and dedupe
//! identical comments so that each unique comment is encoded once (NPS comments repeat a
//! lot: "RAS", "Très bien", "ok", "Good service"). A comment is read in one encoder pass;
//! its clauses are spans of that pass (read in their context), not texts of their own.

pub mod clauses;
pub mod lang;
pub mod normalize;

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

/// Text facts of one response.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentText {
    /// Normalised comment ("" when there is none).
    pub normalized: String,
    pub language: Option<lang::Language>,
    /// Its pass (index into [`Prepared::passes`]); None when the models read nothing.
    pub pass: Option<usize>,
    /// Indices into [`Prepared::unique`], one per clause, in order.
    pub clauses: Vec<usize>,
}

/// One unique comment as the models read it: one encoder pass over `text`, each clause a
/// byte span of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// The normalised comment, @mentions left out.
    pub text: String,
    /// Byte range of each clause in `text`, in order.
    pub spans: Vec<(usize, usize)>,
    /// The clauses' indices into [`Prepared::unique`] (one per span).
    pub units: Range<usize>,
}

/// Every comment prepared: the unique comments to encode and their clauses.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub comments: Vec<CommentText>,
    /// Unique comments (one encoder pass each), in order of first appearance.
    pub passes: Vec<Pass>,
    /// The clause texts of every pass, pass after pass (a clause said in two different
    /// comments is two clauses: it is read in each comment's context).
    pub unique: Vec<String>,
    /// Language of the first comment each pass was seen in, per clause.
    pub unique_language: Vec<&'static str>,
    /// How many clauses there were before dedupe.
    pub total_clauses: usize,
}

/// The text the models read of a normalised comment (@mentions left out) and its clauses'
/// byte spans in it.
pub fn model_text(normalized: &str) -> (String, Vec<(usize, usize)>) {
    let text = normalize::without_mentions(normalized).trim().to_string();
    // The clauses are slices of `text`: their offsets in it are their spans.
    let base = text.as_ptr() as usize;
    let spans = clauses::split(&text)
        .iter()
        .map(|c| (c.as_ptr() as usize - base, c.as_ptr() as usize - base + c.len()))
        .collect();
    (text, spans)
}

/// Prepare comments (parallel over comments; the result does not depend on thread count).
pub fn prepare(comments: &crate::ingest::TextColumn) -> Prepared {
    // Per comment: normalised, language, the text the models read, its clauses' spans.
    type Read = (String, Option<lang::Language>, String, Vec<(usize, usize)>);
    let per: Vec<Read> = (0..comments.len())
        .into_par_iter()
        .map(|i| {
            let normalized = normalize::normalize(comments.get(i));
            if normalized.is_empty() {
                return (normalized, None, String::new(), Vec::new());
            }
            let language = lang::detect(&normalized);
            let (text, spans) = model_text(&normalized);
            (normalized, Some(language), text, spans)
        })
        .collect();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out = Prepared::default();
    for (normalized, language, text, spans) in per {
        out.total_clauses += spans.len();
        if spans.is_empty() {
            out.comments.push(CommentText { normalized, language, pass: None, clauses: Vec::new() });
            continue;
        }
        let next = out.passes.len();
        let id = *index.entry(text.clone()).or_insert(next);
        if id == next {
            let first = out.unique.len();
            for &(a, b) in &spans {
                out.unique.push(text[a..b].to_string());
                out.unique_language.push(language.as_ref().map_or("und", |l| l.code));
            }
            out.passes.push(Pass { text, units: first..first + spans.len(), spans });
        }
        let clauses = out.passes[id].units.clone().collect();
        out.comments.push(CommentText { normalized, language, pass: Some(id), clauses });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupes_identical_comments_and_reads_clauses_as_spans() {
        let comments: crate::ingest::TextColumn =
            ["Très bien", "  Très bien ", "", "Prix trop élevé mais très bien", "-", "@operateur Très bien"]
                .into_iter()
                .collect();
        let p = prepare(&comments);
        assert_eq!(p.passes.len(), 2);
        assert_eq!(p.unique, ["Très bien", "Prix trop élevé", "mais très bien"]);
        assert_eq!((p.passes[0].units.clone(), p.passes[1].units.clone()), (0..1, 1..3));
        assert_eq!(p.comments[0].clauses, [0]);
        assert_eq!(p.comments[1].clauses, [0]);
        assert!(p.comments[2].clauses.is_empty() && p.comments[2].language.is_none() && p.comments[2].pass.is_none());
        assert_eq!(p.comments[3].clauses, [1, 2]);
        assert_eq!(p.comments[3].pass, Some(1));
        let pass = &p.passes[1];
        assert_eq!(pass.text, "Prix trop élevé mais très bien");
        let read: Vec<&str> = pass.spans.iter().map(|&(a, b)| &pass.text[a..b]).collect();
        assert_eq!(read, ["Prix trop élevé", "mais très bien"]);
        assert!(p.comments[4].normalized.is_empty());
        // A mention is left out of what the models read: the same pass as "Très bien".
        assert_eq!(p.comments[5].pass, Some(0));
        assert_eq!(p.total_clauses, 5);
    }
}
