//! `pipeline::analyze` as a library call: the whole analysis of the bundled sample in
//! memory, no file written, and the same figures as the command line's outputs.

use clap::Parser;
use polars::prelude::*;
use verbatim::cli::args::{Args, Command};
use verbatim::console::Console;

use crate::util::*;

#[test]
fn analyze_the_sample_as_a_library_call_matches_the_command_line() {
    let dir = Dir::new();
    let sample = repo().join("data/sample_export.csv").display().to_string();
    let model = model_dir().display().to_string();
    let cache = dir.path("cache").display().to_string();
    let lib_out = dir.path("lib_out").display().to_string();
    let argv = ["verbatim", "run", &sample, "--out", &lib_out, "--model", &model, "--cache-dir", &cache];
    let Command::Run(run_args) = Args::try_parse_from(argv).expect("valid arguments").command else {
        panic!("not run")
    };
    let cfg = verbatim::cli::resolve::run_config(&run_args).expect("configuration resolves");
    let a = verbatim::pipeline::analyze(&cfg, &Console::silent()).expect("analysis");
    assert!(!dir.path("lib_out").exists(), "analyze writes no output file");

    // Counts reconcile and every stage filled its part.
    let counts = &a.input.counts;
    assert_eq!((counts.rows_read, counts.accepted, counts.rejected, counts.duplicates), (2001, 1994, 6, 1));
    // rejects.csv's lines: the 6 rejected rows and the sample's 3 bad customer value cells
    // (their rows are accepted).
    assert_eq!(counts.values_rejected, 3);
    assert_eq!(a.input.rejects.len(), 6 + 3);
    assert_eq!(a.input.rejects.iter().filter(|r| r.value_only).count(), 3);
    assert_eq!(a.text.comments.len(), 1994);
    assert_eq!(a.embeddings.len(), a.text.unique.len());
    assert_eq!(a.clause_sentiment.len(), a.text.unique.len());
    assert_eq!(a.clause_themes.len(), a.text.unique.len());
    assert_eq!(a.sentiment.len(), 1994);
    assert_eq!(a.response_themes.len(), 1994);
    assert!(!a.themes.is_empty() && !a.drivers.is_empty() && !a.proposals.is_empty());
    assert_eq!(a.models.encoder.name, "multilingual-e5-small");
    let stages: Vec<&str> = a.timings.0.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        stages,
        ["ingest", "schema", "validate", "nps", "text", "encode", "sentiment", "themes", "discovery", "drivers"]
    );

    // The command line on the same input: the same figures.
    dir.ok(&["run", &sample, "--out", "cli_out", "--model", &model, "--cache-dir", &cache]);
    let nps = read_parquet(&dir.path("cli_out/nps.parquet"));
    let (n, promoters, _, detractors, score) = overall(&nps);
    let lib = a.nps.iter().find(|r| r.period == "all" && r.segment == "all").expect("overall row");
    assert_eq!((lib.tally.n, lib.tally.promoters, lib.tally.detractors), (n, promoters, detractors));
    assert_eq!(lib.nps, Some(score));
    assert_eq!(nps.height(), a.nps.len());

    let mentions = read_parquet(&dir.path("cli_out/mentions.parquet"));
    let lib_mentions: usize =
        a.text.comments.iter().flat_map(|c| c.clauses.iter().map(|&u| a.clause_themes[u].len())).sum();
    assert_eq!(mentions.height(), lib_mentions);

    let responses = read_parquet(&dir.path("cli_out/responses.parquet"));
    let sentiment = responses.column("sentiment").unwrap().str().unwrap().clone();
    let lib_sentiment: Vec<Option<&str>> = a.sentiment.iter().map(|s| s.map(|s| s.0)).collect();
    assert_eq!(sentiment.iter().collect::<Vec<_>>(), lib_sentiment);

    let drivers = read_parquet(&dir.path("cli_out/drivers.parquet"));
    assert_eq!(drivers.height(), a.drivers.len());
    let first = drivers
        .lazy()
        .filter(col("period").eq(lit("all")).and(col("segment").eq(lit("all"))).and(col("ranked")))
        .sort(["impact", "theme"], Default::default())
        .collect()
        .unwrap();
    let top = first.column("theme").unwrap().str().unwrap().get(0).unwrap().to_string();
    let mut lib_ranked: Vec<_> =
        a.drivers.iter().filter(|d| d.period == "all" && d.segment == "all" && d.ranked).collect();
    lib_ranked.sort_by(|x, y| x.impact.unwrap_or(0.0).total_cmp(&y.impact.unwrap_or(0.0)).then(x.theme.cmp(&y.theme)));
    assert_eq!(lib_ranked[0].theme, top, "the first driver is the same");
}
