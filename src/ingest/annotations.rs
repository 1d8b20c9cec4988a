//! Annotation columns: what `verbatim.annotate` (the Python package, on one machine or as
//! the map of a Spark or Ray job) adds to each row, read back when `verbatim run` is given
//! annotated data, so that the run finishes the job without encoding again.
//!
//! Per row, beside the export's own columns:
//!
//! | column | type | |
//! |---|---|---|
//! | `verbatim_language` | string | language of the comment (`fr`, `en`, ...) |
//! | `verbatim_sentiment` | string | negative / neutral / positive / mixed |
//! | `verbatim_sentiment_score` | float | -1..1 |
//! | `verbatim_themes` | list of string | theme ids the comment mentions |
//! | `verbatim_text` | string | the comment as the models read it (normalised, @mentions left out) |
//! | `verbatim_clauses` | list of string | its clauses |
//! | `verbatim_clause_sentiment` | list of float | each clause's score, -1..1 |
//! | `verbatim_clause_themes` | list of list of string | each clause's theme ids |
//! | `verbatim_embedding` | list of float | the comment's embedding |
//! | `verbatim_embeddings` | list of list of float | each clause's embedding, read in the comment |
//! | `verbatim_attention` | list of float | the comment's token-attention scores, when the themes model reads token states (null otherwise) |
//! | `verbatim_model` | string | fingerprint of the models ([`fingerprint`]) |
//!
//! A run reads `verbatim_text`, `verbatim_clauses`, `verbatim_embedding`,
//! `verbatim_embeddings`, `verbatim_attention` and `verbatim_model` ([`read`]); the other
//! annotation columns are for people and engines and
//! are left out of the table (they are not segments). Sentiment and themes are computed
//! again from the embeddings by the run's own heads, which costs milliseconds and gives
//! exactly what a direct run gives.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::{Error, Result};

pub const PREFIX: &str = "verbatim_";
pub const LANGUAGE: &str = "verbatim_language";
pub const SENTIMENT: &str = "verbatim_sentiment";
pub const SENTIMENT_SCORE: &str = "verbatim_sentiment_score";
pub const THEMES: &str = "verbatim_themes";
pub const TEXT: &str = "verbatim_text";
pub const CLAUSES: &str = "verbatim_clauses";
pub const CLAUSE_SENTIMENT: &str = "verbatim_clause_sentiment";
pub const CLAUSE_THEMES: &str = "verbatim_clause_themes";
pub const EMBEDDING: &str = "verbatim_embedding";
pub const EMBEDDINGS: &str = "verbatim_embeddings";
pub const ATTENTION: &str = "verbatim_attention";
pub const MODEL: &str = "verbatim_model";

/// Every annotation column, in the order the annotator adds them.
pub const COLUMNS: [&str; 12] = [
    LANGUAGE,
    SENTIMENT,
    SENTIMENT_SCORE,
    THEMES,
    TEXT,
    CLAUSES,
    CLAUSE_SENTIMENT,
    CLAUSE_THEMES,
    EMBEDDING,
    EMBEDDINGS,
    ATTENTION,
    MODEL,
];

/// The fingerprint of the models behind embeddings and attention: the encoder's cache key
/// (ONNX graph, tokenizer, prefix, token limit) and, when the themes model reads token
/// states, that model's fingerprint (`-` otherwise).
pub fn fingerprint(encoder_key: &str, attention_key: Option<&str>) -> String {
    format!("encoder={encoder_key} attention={}", attention_key.unwrap_or("-"))
}

/// The two parts of a fingerprint: (encoder key, attention key if any). None if `s` is not
/// a fingerprint.
pub fn parse_fingerprint(s: &str) -> Option<(&str, Option<&str>)> {
    let (enc, att) = s.strip_prefix("encoder=")?.split_once(" attention=")?;
    Some((enc, (att != "-").then_some(att)))
}

/// What a comment's annotation gives a run: what one encoder pass over it gave.
#[derive(Debug, Clone, PartialEq)]
pub struct PassVectors {
    /// The whole comment's embedding.
    pub embedding: Vec<f32>,
    /// Token-attention scores of the comment, when the annotator's themes model reads
    /// token states.
    pub attention: Option<Vec<f32>>,
    /// Each clause's embedding, read in the comment.
    pub clauses: Vec<Vec<f32>>,
}

/// The annotations of a table, by comment: what the run needs instead of the encoder.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    /// The models' fingerprint ([`fingerprint`]), the same on every row.
    pub model: String,
    /// Per comment as the models read it (its sha256, as the embedding cache keys it).
    pub passes: HashMap<[u8; 32], PassVectors>,
}

impl Annotations {
    /// Add another table's annotations (a part file of the same dataset).
    pub fn merge(&mut self, other: Annotations, path: &Path) -> Result<()> {
        if self.model.is_empty() {
            // A part with no rows (Spark writes them for empty partitions) names no model.
            self.model = other.model.clone();
        }
        if !other.model.is_empty() && self.model != other.model {
            return Err(Error::input(
                path,
                format!(
                    "was annotated with other models ({}) than the files before it ({}): annotate the whole \
                     dataset with one models directory",
                    other.model, self.model
                ),
            ));
        }
        self.passes.extend(other.passes);
        Ok(())
    }
}

/// True when `name` is one of the annotation columns.
pub fn is_annotation(name: &str) -> bool {
    COLUMNS.contains(&name)
}

/// The annotations of a table read from Parquet, if it has the columns a run needs (None
/// when it has no annotation column at all). A table with some but not all of them, rows
/// whose lists disagree in length, or rows from different models are errors naming the row.
pub fn read(df: &DataFrame, path: &Path) -> Result<Option<Annotations>> {
    let present: Vec<&str> = COLUMNS.iter().copied().filter(|c| df.column(c).is_ok()).collect();
    if present.is_empty() {
        return Ok(None);
    }
    let missing: Vec<&str> =
        [TEXT, CLAUSES, EMBEDDING, EMBEDDINGS, MODEL].into_iter().filter(|c| !present.contains(c)).collect();
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "has annotation columns ({}) but not {}: a run needs them all to use the annotations. Keep every \
                 verbatim_ column when you select columns, or drop them all to have the run encode the comments \
                 (annotations made by verbatim before 0.6 lack verbatim_text and verbatim_embedding: annotate \
                 the data again)",
                present.join(", "),
                missing.join(", ")
            ),
        ));
    }
    let bad = |row: usize, why: String| {
        Error::input(path, format!("row {}: {why}. Annotate the data again with verbatim.annotate", row + 1))
    };
    let err = |e: PolarsError| Error::input(path, format!("cannot read the annotation columns: {e}"));
    let series = |name: &str| df.column(name).map(|c| c.as_materialized_series().clone()).map_err(err);
    let list_of = |s: &Series, what: &str| -> Result<ListChunked> {
        s.list().cloned().map_err(|_| Error::input(path, format!("column {} is {}, not {what}", s.name(), s.dtype())))
    };
    let passes = df.column(TEXT).map_err(err)?.cast(&DataType::String).map_err(err)?;
    let passes = passes.str().map_err(err)?;
    let texts = list_of(&series(CLAUSES)?, "a list of strings")?;
    let embedding = list_of(&series(EMBEDDING)?, "a list of floats")?;
    let embeddings = list_of(&series(EMBEDDINGS)?, "a list of lists of floats")?;
    let attention = match df.column(ATTENTION).ok().map(|c| c.as_materialized_series().clone()) {
        Some(s) if !matches!(s.dtype(), DataType::Null) => Some(list_of(&s, "a list of floats")?),
        _ => None,
    };
    let model_col = df.column(MODEL).map_err(err)?.cast(&DataType::String).map_err(err)?;
    let models = model_col.str().map_err(err)?;
    let mut out = Annotations::default();
    let mut dim = None;
    for row in 0..df.height() {
        let m = models.get(row).unwrap_or("");
        if parse_fingerprint(m).is_none() {
            return Err(bad(row, format!("{MODEL} is '{m}', not a model fingerprint")));
        }
        if out.model.is_empty() {
            out.model = m.to_string();
        } else if out.model != m {
            return Err(bad(row, format!("annotated with other models ({m}) than row 1 ({})", out.model)));
        }
        let clauses: Vec<String> = match texts.get_as_series(row) {
            Some(s) => s.str().map_err(err)?.iter().map(|v| v.unwrap_or("").to_string()).collect(),
            None => Vec::new(),
        };
        let Some(text) = passes.get(row).filter(|t| !t.is_empty()) else {
            if !clauses.is_empty() {
                return Err(bad(row, format!("{} clauses but no {TEXT}", clauses.len())));
            }
            continue;
        };
        let vectors = float_lists(embeddings.get_as_series(row).as_ref()).map_err(err)?;
        if vectors.len() != clauses.len() {
            return Err(bad(row, format!("{} clauses but {} embeddings", clauses.len(), vectors.len())));
        }
        let whole = float_list(embedding.get_as_series(row).as_ref()).map_err(err)?;
        let attention = float_list(attention.as_ref().and_then(|a| a.get_as_series(row)).as_ref()).map_err(err)?;
        let d = *dim.get_or_insert(whole.len());
        for v in std::iter::once(&whole).chain(&vectors) {
            if v.len() != d || d == 0 {
                return Err(bad(row, format!("an embedding of {} values where the others have {d}", v.len())));
            }
        }
        let attention = Some(attention).filter(|a| !a.is_empty());
        let vectors = PassVectors { embedding: whole, attention, clauses: vectors };
        out.passes.insert(crate::encode::cache::text_hash(text), vectors);
    }
    Ok(Some(out))
}

/// The floats of a list cell (empty for a null cell).
fn float_list(cell: Option<&Series>) -> PolarsResult<Vec<f32>> {
    match cell {
        Some(v) if !matches!(v.dtype(), DataType::Null) => {
            Ok(v.cast(&DataType::Float32)?.f32()?.iter().map(|x| x.unwrap_or(f32::NAN)).collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// The float lists of a list-of-lists cell (empty for a null cell).
fn float_lists(cell: Option<&Series>) -> PolarsResult<Vec<Vec<f32>>> {
    let Some(cell) = cell else { return Ok(Vec::new()) };
    if matches!(cell.dtype(), DataType::Null) {
        return Ok(Vec::new());
    }
    let lists = cell.list()?;
    let mut out = Vec::with_capacity(cell.len());
    for j in 0..lists.len() {
        out.push(float_list(lists.get_as_series(j).as_ref())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of_lists(rows: Vec<Vec<Vec<f32>>>) -> Series {
        let outer: Vec<Series> = rows
            .into_iter()
            .map(|r| {
                let inner: Vec<Series> = r.into_iter().map(|v| Series::new("".into(), v)).collect();
                Series::new("".into(), inner)
            })
            .collect();
        Series::new(EMBEDDINGS.into(), outer)
    }

    fn table(model: &[&str]) -> DataFrame {
        let clauses: Vec<Series> = vec![
            Series::new("".into(), vec!["Le prix a augmenté,", "service top"]),
            Series::new("".into(), Vec::<&str>::new()),
        ];
        let whole: Vec<Series> =
            vec![Series::new("".into(), vec![0.8f32, 0.6]), Series::new("".into(), Vec::<f32>::new())];
        let emb = list_of_lists(vec![vec![vec![1.0, 0.0], vec![0.6, 0.8]], vec![]]);
        DataFrame::new(
            2,
            vec![
                Series::new("comment".into(), vec!["Le prix a augmenté, service top", ""]).into(),
                Series::new(TEXT.into(), vec![Some("Le prix a augmenté, service top"), None]).into(),
                Series::new(CLAUSES.into(), clauses).into(),
                Series::new(EMBEDDING.into(), whole).into(),
                emb.into(),
                Series::new(MODEL.into(), model.to_vec()).into(),
            ],
        )
        .unwrap()
    }

    #[test]
    fn reads_vectors_by_comment() {
        let fp = fingerprint("abc", None);
        let a = read(&table(&[&fp, &fp]), Path::new("x.parquet")).unwrap().unwrap();
        assert_eq!(a.model, fp);
        assert_eq!(a.passes.len(), 1);
        let v = &a.passes[&crate::encode::cache::text_hash("Le prix a augmenté, service top")];
        assert_eq!(v.embedding, vec![0.8, 0.6]);
        assert_eq!(v.clauses, vec![vec![1.0, 0.0], vec![0.6, 0.8]]);
        assert_eq!(v.attention, None);
    }

    #[test]
    fn refuses_mixed_models_and_partial_columns() {
        let (a, b) = (fingerprint("abc", None), fingerprint("def", Some("t1")));
        let e = read(&table(&[&a, &b]), Path::new("x.parquet")).unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("other models"), "{e}");
        let mut df = table(&[&a, &a]);
        df = df.drop(EMBEDDINGS).unwrap();
        let e = read(&df, Path::new("x.parquet")).unwrap_err().to_string();
        assert!(e.contains("but not verbatim_embeddings"), "{e}");
        let plain = df.drop_many(COLUMNS);
        assert!(read(&plain, Path::new("x.parquet")).unwrap().is_none());
    }

    fn write(df: &mut DataFrame, path: &Path) {
        let f = std::fs::File::create(path).unwrap();
        ParquetWriter::new(f).finish(df).unwrap();
    }

    #[test]
    fn a_directory_of_parts_is_one_table_in_part_order() {
        let fp = fingerprint("abc", None);
        let dir = tempfile::tempdir().unwrap();
        let mut a = table(&[&fp, &fp]);
        let mut b = table(&[&fp, &fp]);
        write(&mut b, &dir.path().join("part-00001-x.snappy.parquet"));
        write(&mut a, &dir.path().join("part-00000-x.snappy.parquet"));
        std::fs::write(dir.path().join("_SUCCESS"), b"").unwrap();
        std::fs::write(dir.path().join(".part-00000-x.snappy.parquet.crc"), b"crc").unwrap();
        let t = crate::ingest::read_input(dir.path(), &Default::default()).unwrap();
        // The annotation columns are not survey columns.
        assert_eq!(t.headers, ["comment"]);
        assert_eq!(t.row_numbers, [1, 2, 3, 4]);
        assert_eq!(t.columns[0].get(2), "Le prix a augmenté, service top");
        let notes = t.annotations.unwrap();
        assert_eq!(notes.passes.len(), 1);

        // A part without the annotations, or with other columns, is named.
        let mut plain = a.drop_many(COLUMNS);
        write(&mut plain, &dir.path().join("part-00002-x.snappy.parquet"));
        let e = crate::ingest::read_input(dir.path(), &Default::default()).unwrap_err().to_string();
        assert!(e.contains("part-00002") && e.contains("is not annotated"), "{e}");
        let mut other = plain.rename("comment", "texte".into()).unwrap().clone();
        write(&mut other, &dir.path().join("part-00002-x.snappy.parquet"));
        let e = crate::ingest::read_input(dir.path(), &Default::default()).unwrap_err().to_string();
        assert!(e.contains("part-00002") && e.contains("other columns"), "{e}");

        let empty = tempfile::tempdir().unwrap();
        let e = crate::ingest::read_input(empty.path(), &Default::default()).unwrap_err().to_string();
        assert!(e.contains("no .parquet part files"), "{e}");
    }

    #[test]
    fn fingerprints_round_trip() {
        assert_eq!(parse_fingerprint(&fingerprint("k1", None)), Some(("k1", None)));
        assert_eq!(parse_fingerprint(&fingerprint("k1", Some("t2"))), Some(("k1", Some("t2"))));
        assert_eq!(parse_fingerprint("something else"), None);
    }
}
