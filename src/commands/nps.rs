//! `verbatim nps`: NPS tables only (no models). Prints the table; with --out writes
//! nps.parquet, rejects.csv and run.json.

use std::time::Instant;

use serde_json::json;

use crate::cli::args::NpsArgs;
use crate::cli::resolve;
use crate::console::Console;
use crate::output::set::OutputSet;
use crate::output::{csv_out, record, Stage};
use crate::pipeline::{self, Timings};
use crate::{nps as nps_stage, Result};

pub fn nps(a: &NpsArgs, console: &Console) -> Result<u8> {
    super::set_threads(None);
    let cfg = resolve::nps_config(a);
    let mut timings = Timings::default();
    let input = pipeline::load(&cfg.input, console, &mut timings)?;
    let rows = timings.time("nps", || Ok(pipeline::nps_rows(&input.responses)?))?;
    print!("{}", nps_stage::render_table(&rows));
    if let Some(line) = super::value_note(&rows) {
        console.note(line);
    }
    console.note(super::reconciliation(&input.counts));
    if let Some(out) = &cfg.out {
        let t = Instant::now();
        let mut staged = OutputSet::open(out)?;
        staged.stage_parquet("nps.parquet", &mut nps_stage::nps_frame(&rows)?)?;
        staged.stage_bytes("rejects.csv", &csv_out::rejects_csv(&input.rejects))?;
        timings.push("write", t);
        staged.commit(Some(record::run_json("nps", &input, &cfg.input, &cfg.options, &timings, json!({}))))?;
        console.note(format!("wrote nps.parquet, rejects.csv, run.json to {}", out.display()));
    }
    Ok(super::exit_code(&cfg.input, &input.counts))
}
