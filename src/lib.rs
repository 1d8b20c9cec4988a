//! verbatim: NPS survey exports in, driver analyses out.
//!
//! ```text
//! exports (csv / xlsx / parquet / ndjson)
//!   -> ingest     read + sniff (encoding, delimiter, vendor header rows)      ingest/
//!   -> schema     detect the score / comment / id / date / segment columns   schema/
//!   -> validate   scores 0..=10, ids unique, dates parse; rejects kept        validate.rs
//!   -> nps        NPS with margins by period and segment (Polars lazy)         nps/
//!   -> text       normalise, language, clauses, dedupe                        text/
//!   -> encode     one encoder pass per unique clause (batched, cached)        encode/ + infer/
//!   -> sentiment  head on clause embeddings -> comment sentiment              sentiment/
//!   -> outputs    Parquet tables, rejects.csv, run.json (atomic writes)       output/
//! ```
//!
//! `pipeline` is the only module that calls every stage, in that order. `infer` is the
//! inference seam: it imports nothing from the rest of the crate.

pub mod cli;
pub mod drivers;
pub mod encode;
pub mod error;
pub mod infer;
pub mod ingest;
pub mod lexical;
pub mod linalg;
pub mod models;
pub mod nps;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod schema;
pub mod sentiment;
pub mod text;
pub mod themes;
pub mod validate;

pub use error::{Error, Result};
