//! One integration-test binary (as ripgrep and xsv do), made of modules:
//!
//! - `commit`: one whole set of outputs after a crash at any step or a SIGKILL.
//! - `fuzz`: hostile inputs for every reader, sniffer and detector (smoke; scripts/fuzz.sh for
//!   the long campaign).
//! - `ingest`: every input format of DESIGN.md "Inputs" and broken inputs, through the binary.
//! - `nps`: NPS on the bundled sample, golden counts, and order / split invariance.
//! - `encoder`: the real default model: reference vectors, batch and thread invariance.
//! - `pipeline`: `pipeline::analyze` called as a library on the bundled sample.
//! - `run`: `verbatim run` end to end on the bundled sample.
//! - `config`: `--config FILE` (paths relative to the file, the command line wins, errors).
//! - `value`: customer value (issue 19): weighted NPS, bad value cells, RFM, revenue at risk,
//!   targets.

mod commit;
mod config;
mod encoder;
mod fuzz;
mod ingest;
mod nps;
mod pipeline;
mod run;
mod sentiment;
mod themes;
mod util;
mod value;
