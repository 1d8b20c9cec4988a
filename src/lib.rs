//! verbatim: NPS survey exports in, driver analyses out.
//!
//! The weekly run is one library call, [`pipeline::analyze`], which runs the stages in
//! order and returns an [`pipeline::Analysis`]; the outputs are functions of it.
//!
//! ```text
//! exports (csv / xlsx / parquet / ndjson)
//!   -> ingest     read + sniff (encoding, delimiter, vendor header rows)      ingest/
//!   -> schema     detect the score / comment / id / date / segment columns   schema/
//!   -> validate   scores 0..=10, ids unique, dates parse; rejects kept        validate.rs
//!   -> value      customer value: RFM scores and segment (when the columns exist) value/
//!   -> nps        NPS with margins by period and segment (Polars lazy), value-weighted NPS,
//!                 gaps to targets                                              nps/
//!   -> text       normalise, language, clauses, dedupe                        text/
//!   -> encode     one encoder pass per unique clause (batched, cached)        encode/ + infer/
//!   -> sentiment  head on clause embeddings -> comment sentiment              sentiment/
//!   -> themes     taxonomy zero-shot or learnt model -> clause themes         themes/
//!   -> discovery  clusters of what no theme covers -> proposed themes         themes/emerging.rs
//!   -> drivers    themes x scores: impact, lift, significance, trend          drivers/
//! = Analysis (pipeline.rs), then, written from it:
//!   -> output     Parquet tables, rejects.csv, run.json (staged, committed)   output/
//!   -> report     report.md / .html, summary.json, followup.csv               report/
//! ```
//!
//! The per-comment half (text -> encode -> sentiment -> themes) is also a long-lived object,
//! [`annotate::Annotator`]: the map a distributed engine runs on its workers (the Python
//! package in `python/`). A run given annotated data takes the clauses' vectors from it
//! instead of the encoder ([`ingest::annotations`]).
//!
//! `pipeline` is the only module that calls every stage, in that order; no stage imports
//! `pipeline`, `commands` or `cli`. `commands` holds one module per subcommand, each a thin
//! translation of its arguments into these calls; `cli` parses and resolves arguments into
//! a [`config::RunConfig`]; `console` prints notes and progress for all of them. `infer` is
//! the inference seam: it imports nothing from the rest of the crate.
//!
//! Calling the weekly run from a program:
//!
//! ```no_run
//! # fn main() -> verbatim::Result<()> {
//! use verbatim::{cli, config, console::Console, pipeline};
//! # let cfg: config::RunConfig = unimplemented!();
//! // Build a RunConfig (cli::resolve::run_config does it from arguments), then:
//! let analysis = pipeline::analyze(&cfg, &Console::plain())?;
//! let overall = analysis.nps.iter().find(|r| r.period == "all" && r.segment == "all");
//! println!("NPS {:?} over {} responses", overall.and_then(|r| r.nps), analysis.input.counts.accepted);
//! # let _ = cli::resolve::default_cache_dir();
//! # Ok(())
//! # }
//! ```

pub mod annotate;
pub mod cli;
pub mod coded;
pub mod commands;
pub mod config;
pub mod console;
pub mod derived;
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
pub mod value;

pub use error::{Error, Result};
