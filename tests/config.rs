//! `--config FILE`: options from a TOML file, paths relative to the file, the command line
//! wins, errors name the file and the key, run.json records the effective configuration.

use std::collections::BTreeSet;

use crate::util::*;

/// A weekly job's config file in `conf/`, with the sample export beside it.
fn weekly(dir: &Dir, extra: &str) -> String {
    std::fs::create_dir_all(dir.path("conf")).unwrap();
    std::fs::copy(repo().join("data/sample_export.csv"), dir.path("conf/export.csv")).unwrap();
    let text = format!(
        "inputs = [\"export.csv\"]\nperiod = \"month\"\nsegment-col = [\"Channel\", \"Plan\"]\n\
         out = \"reports/weekly\"\ntaxonomy = \"my-themes.toml\"\n{extra}"
    );
    dir.write("conf/weekly.toml", text);
    "conf/weekly.toml".into()
}

fn run_json(dir: &Dir, out: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.path(out).join("run.json")).unwrap()).unwrap()
}

/// Periods and segments of nps.parquet (the overall row left out).
fn periods_and_segments(dir: &Dir, out: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let nps = read_parquet(&dir.path(out).join("nps.parquet"));
    let set = |c: &str| -> BTreeSet<String> {
        nps.column(c).unwrap().str().unwrap().iter().flatten().filter(|v| *v != "all").map(str::to_string).collect()
    };
    (set("period"), set("segment"))
}

#[test]
fn config_nps_reads_paths_relative_to_the_file_and_run_json_records_it() {
    let dir = Dir::new();
    let conf = weekly(&dir, "");
    dir.ok(&["nps", "--config", &conf]);
    let (periods, segments) = periods_and_segments(&dir, "conf/reports/weekly");
    assert!(periods.iter().all(|p| p.len() == 7), "monthly periods: {periods:?}");
    assert_eq!(segments, BTreeSet::from(["Channel".to_string(), "Plan".to_string()]));

    let run = run_json(&dir, "conf/reports/weekly");
    let config = &run["config"];
    assert_eq!(config["period"], "month");
    assert_eq!(config["segment-col"], serde_json::json!(["Channel", "Plan"]));
    assert_eq!(config["out"], "conf/reports/weekly");
    assert_eq!(config["inputs"], serde_json::json!(["conf/export.csv"]));
    assert_eq!(config["strict"], false);
    assert_eq!(config["score-col"], serde_json::Value::Null);
    let file = &run["config_file"];
    assert_eq!(file["path"], "conf/weekly.toml");
    assert_eq!(file["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(file["applied"], serde_json::json!(["inputs", "out", "period", "segment-col"]));
    assert_eq!(file["ignored"], serde_json::json!(["taxonomy"]), "a key of run only is left to run");

    // Without --config, run.json still records every option.
    dir.ok(&["nps", "conf/export.csv", "--out", "plain"]);
    let run = run_json(&dir, "plain");
    assert_eq!(run["config"]["period"], "week");
    assert_eq!(run["config"]["segment-col"], serde_json::json!([]));
    assert!(run["config_file"].is_null());
}

#[test]
fn config_flags_on_the_command_line_win() {
    let dir = Dir::new();
    let conf = weekly(&dir, "strict = true\n[nps]\nout = \"reports/nps\"\n");
    // strict = true in the file: rows are rejected, so exit 3.
    assert_eq!(dir.run(&["nps", "--config", &conf, "--out", "mine"]).status.code(), Some(3));
    let o = dir.run(&["nps", "--config", &conf, "--period", "quarter", "--segment-col", "Country"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(dir.path("mine/run.json").is_file(), "--out on the command line beats the file's [nps] out");
    let (periods, segments) = periods_and_segments(&dir, "conf/reports/nps");
    assert!(periods.iter().all(|p| p.contains("-Q")), "quarters: {periods:?}");
    assert_eq!(segments, BTreeSet::from(["Country".to_string()]), "the command line's list replaces the file's");
    let run = run_json(&dir, "conf/reports/nps");
    assert_eq!(run["config"]["period"], "quarter");
    assert_eq!(run["config_file"]["applied"], serde_json::json!(["inputs", "out", "strict"]));
}

#[test]
fn config_errors_exit_2_naming_the_file_and_the_key() {
    let dir = Dir::new();
    let cases = [
        ("segmnet-col = [\"Plan\"]", &["unknown key `segmnet-col`", "did you mean `segment-col`?"][..]),
        ("period = 3", &["`period` should be a string (one of week, month, quarter), not an integer"]),
        ("segment-col = 5", &["`segment-col` should be a string or a list of them"]),
        ("period = \"daily\"", &["`period = \"daily\"`", "possible values: week, month, quarter"]),
        ("labels = \"coded.csv\"", &["`labels` is an option of `verbatim sentiment train`"]),
        ("period = \"month", &["TOML parse error at line 2, column 16"]),
    ];
    for (text, wanted) in cases {
        let conf = dir.write("bad.toml", format!("inputs = [\"a.csv\"]\n{text}\n"));
        let conf = conf.display().to_string();
        for command in [&["nps"][..], &["themes", "discover"]] {
            let mut args = command.to_vec();
            args.extend(["--config", &conf]);
            let o = dir.run(&args);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{text}: {err}");
            assert!(err.starts_with(&format!("error: {conf}: ")), "{text}: {err}");
            for w in wanted {
                assert!(err.contains(w), "{text}: {w} not in {err}");
            }
        }
    }
    let o = dir.run(&["nps", "--config", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--config missing.toml: cannot read it"), "{}", stderr(&o));
}

#[test]
fn config_run_on_the_sample() {
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let conf = weekly(&dir, "cache-dir = \"cache\"\nmin-similarity = 0.9\n");
    std::fs::copy(repo().join("data/themes.toml"), dir.path("conf/my-themes.toml")).unwrap();
    let o = dir.ok(&["run", "--config", &conf, "--model", &model]);
    assert!(stderr(&o).contains("rows read 2001 = accepted 1994 + rejected 6 + duplicates 1"), "{}", stderr(&o));
    assert!(dir.path("conf/reports/weekly/report.html").is_file());
    assert!(dir.path("conf/cache").is_dir(), "cache-dir relative to the file");
    let run = run_json(&dir, "conf/reports/weekly");
    let config = &run["config"];
    assert_eq!(config["taxonomy"], "conf/my-themes.toml");
    assert_eq!(config["model"], model.as_str());
    assert_eq!(config["min-similarity"], 0.9);
    assert_eq!(config["write-embeddings"], false);
    assert_eq!(config["period"], "month");
    assert_eq!(
        run["config_file"]["applied"],
        serde_json::json!(["cache-dir", "inputs", "min-similarity", "out", "period", "segment-col", "taxonomy"])
    );
    assert!(run["config_file"]["ignored"].as_array().unwrap().is_empty());
}
