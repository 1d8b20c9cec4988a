//! Text preparation: normalise, detect the language, split into clauses, and dedupe
//! identical clauses so that each unique text is encoded once (NPS comments repeat a lot:
//! "RAS", "Très bien", "ok", "Good service").

pub mod clauses;
pub mod lang;
pub mod normalize;

use std::collections::HashMap;

use rayon::prelude::*;

/// Text facts of one response.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentText {
    /// Normalised comment ("" when there is none).
    pub normalized: String,
    pub language: Option<lang::Language>,
    /// Indices into [`Prepared::unique`], one per clause, in order.
    pub clauses: Vec<usize>,
}

/// Every comment prepared, and the table of unique clause texts to encode.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub comments: Vec<CommentText>,
    /// Unique clause texts, in order of first appearance.
    pub unique: Vec<String>,
    /// Language of the first comment each unique clause was seen in.
    pub unique_language: Vec<&'static str>,
    /// How many clauses there were before dedupe.
    pub total_clauses: usize,
}

/// The clauses the models read of a normalised comment: @mentions left out, then split.
pub fn model_clauses(normalized: &str) -> Vec<String> {
    clauses::split(&normalize::without_mentions(normalized)).into_iter().map(str::to_string).collect()
}

/// A normalised comment as the models read it, whole: @mentions left out, not split
/// (`verbatim themes evaluate --whole-comments`).
pub fn model_whole(normalized: &str) -> Vec<String> {
    let text = normalize::without_mentions(normalized).trim().to_string();
    if text.is_empty() {
        Vec::new()
    } else {
        vec![text]
    }
}

/// Prepare comments (parallel over comments; the result does not depend on thread count).
pub fn prepare(comments: &crate::ingest::TextColumn) -> Prepared {
    prepare_with(comments, model_clauses)
}

/// [`prepare`] with another split of a normalised comment into the texts the models read.
pub fn prepare_with(comments: &crate::ingest::TextColumn, split: impl Fn(&str) -> Vec<String> + Sync) -> Prepared {
    let per: Vec<(String, Option<lang::Language>, Vec<String>)> = (0..comments.len())
        .into_par_iter()
        .map(|i| {
            let raw = comments.get(i);
            let normalized = normalize::normalize(raw);
            if normalized.is_empty() {
                return (normalized, None, Vec::new());
            }
            let language = lang::detect(&normalized);
            let parts = split(&normalized);
            (normalized, Some(language), parts)
        })
        .collect();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out = Prepared::default();
    for (normalized, language, parts) in per {
        let mut ids = Vec::with_capacity(parts.len());
        for p in parts {
            out.total_clauses += 1;
            let next = out.unique.len();
            let id = *index.entry(p.clone()).or_insert(next);
            if id == next {
                out.unique.push(p);
                out.unique_language.push(language.as_ref().map_or("und", |l| l.code));
            }
            ids.push(id);
        }
        out.comments.push(CommentText { normalized, language, clauses: ids });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupes_identical_clauses() {
        let comments: crate::ingest::TextColumn =
            ["Très bien", "  Très bien ", "", "Prix trop élevé mais très bien", "-"].into_iter().collect();
        let p = prepare(&comments);
        assert_eq!(p.unique, ["Très bien", "Prix trop élevé", "mais très bien"]);
        assert_eq!(p.comments[0].clauses, [0]);
        assert_eq!(p.comments[1].clauses, [0]);
        assert!(p.comments[2].clauses.is_empty() && p.comments[2].language.is_none());
        assert_eq!(p.comments[3].clauses, [1, 2]);
        assert!(p.comments[4].normalized.is_empty());
        assert_eq!(p.total_clauses, 4);
    }

    #[test]
    fn whole_comments_are_one_text_without_mentions() {
        let comments: crate::ingest::TextColumn =
            ["@operateur Prix trop élevé mais très bien", "", "@operateur"].into_iter().collect();
        let p = prepare_with(&comments, model_whole);
        assert_eq!(p.unique, ["Prix trop élevé mais très bien"]);
        assert_eq!(p.comments[0].clauses, [0]);
        assert!(p.comments[1].clauses.is_empty() && p.comments[2].clauses.is_empty());
    }
}
