//! The files of `verbatim run` and `verbatim themes discover`, built from an [`Analysis`].
//! A run's files are one set swapped in whole ([`OutputSet`]); discover's two files are
//! renamed into place together ([`Staged`]).

use std::path::PathBuf;
use std::time::Instant;

use super::set::OutputSet;
use super::{csv_out, record, tables, Stage, Staged};
use crate::config::RunConfig;
use crate::pipeline::Analysis;
use crate::report::{followup, render, summary, view};
use crate::themes::{discovery, emerging};
use crate::Result;

/// Stage the proposed themes (parquet and the taxonomy snippet).
fn stage_proposals(staged: &mut impl Stage, a: &Analysis) -> Result<()> {
    staged.stage_parquet(emerging::PROPOSALS_FILE, &mut tables::proposals(&a.proposals)?)?;
    let proposals: Vec<_> = a.proposals.iter().map(|p| p.0.clone()).collect();
    staged.stage_bytes("proposed_themes.toml", discovery::toml_snippet(&proposals).as_bytes())
}

/// `verbatim themes discover`: proposed_themes.parquet and proposed_themes.toml only.
pub fn write_proposals(a: &Analysis, cfg: &RunConfig) -> Result<Vec<PathBuf>> {
    let mut staged = Staged::new(&cfg.out)?;
    stage_proposals(&mut staged, a)?;
    staged.commit()
}

/// Every output of `verbatim run`, swapped into `cfg.out` as one set; returns their paths.
/// run.json, written last, lists the others with their sha256 and records the analysis's
/// timings plus the time spent writing.
pub fn write_run(a: &Analysis, cfg: &RunConfig) -> Result<Vec<PathBuf>> {
    let t = Instant::now();
    let mut staged = OutputSet::open(&cfg.out)?;
    stage_proposals(&mut staged, a)?;
    staged.stage_parquet("drivers.parquet", &mut tables::drivers(&a.drivers)?)?;
    let opts = followup::FollowupOptions { since: cfg.since, new_only: cfg.new_only, mask: cfg.mask };
    let (csv, state) = followup::followup(a, opts, followup::listed_before(&cfg.out));
    staged.stage_bytes("followup.csv", &csv)?;
    staged.stage_json(followup::STATE_FILE, &state)?;
    let report = view::report(a, view::ViewOptions { mask: cfg.mask, lang: cfg.report_lang.as_deref() });
    staged.stage_bytes("report.md", render::markdown(&report).as_bytes())?;
    staged.stage_bytes("report.html", render::html(&report).as_bytes())?;
    staged.stage_json("summary.json", &summary::summary(a, report.key_drivers.as_ref()))?;
    staged.stage_parquet("responses.parquet", &mut tables::responses(a)?)?;
    staged.stage_parquet("mentions.parquet", &mut tables::mentions(a)?)?;
    staged.stage_parquet("nps.parquet", &mut tables::nps_table(a)?)?;
    staged.stage_bytes("rejects.csv", &csv_out::rejects_csv(&a.input.rejects))?;
    if cfg.write_embeddings {
        staged.stage_parquet("embeddings.parquet", &mut tables::embeddings(a)?)?;
    }
    let mut timings = a.timings.clone();
    timings.push("write", t);
    staged.commit(Some(record::run_json(
        "run",
        &a.input,
        &cfg.input,
        &cfg.options,
        &timings,
        record::run_extra(a, cfg),
    )))
}
