//! Customer value (issue 19): value columns detected, value-weighted NPS, bad value cells,
//! RFM segments, revenue at risk, targets and benchmark, on small inline exports and on the
//! bundled sample.

use polars::prelude::*;

use crate::util::*;

/// The overall row of nps.parquet: (n, nps, nps_weighted, n_valued, n_effective).
fn overall_weighted(nps: &DataFrame) -> (u64, f64, Option<f64>, Option<u64>, Option<f64>) {
    let seg = nps.column("segment").unwrap().str().unwrap().clone();
    let per = nps.column("period").unwrap().str().unwrap().clone();
    let i = (0..nps.height()).find(|&i| seg.get(i) == Some("all") && per.get(i) == Some("all")).unwrap();
    let f = |c: &str| nps.column(c).ok().and_then(|c| c.f64().unwrap().get(i));
    (
        nps.column("n").unwrap().u64().unwrap().get(i).unwrap(),
        f("nps").unwrap(),
        f("nps_weighted"),
        nps.column("n_valued").ok().and_then(|c| c.u64().unwrap().get(i)),
        f("n_effective"),
    )
}

/// Text and negative amounts go to rejects.csv for the value only (scope `value`, with the
/// reason); their responses still count in the plain NPS, not in the weighted one; counts
/// reconcile and run.json counts the value cells apart.
#[test]
fn bad_values_are_rejected_for_the_value_only() {
    let dir = Dir::new();
    dir.write(
        "export.csv",
        "Response ID,Date,Score,Comment,Annual revenue\n\
         A,2026-11-02,10,great,1200\n\
         B,2026-11-03,9,fine,unknown\n\
         C,2026-11-03,3,bad,-250\n\
         D,2026-11-04,2,awful,300\n\
         E,2026-11-05,8,ok,\n\
         F,2026-11-05,dix,?,500\n\
         G,2026-11-06,7,meh,\"1 500,00\"\n\
         H,2026-11-06,8,ok,100\n\
         I,2026-11-06,8,ok,100\n\
         J,2026-11-06,7,ok,100\n\
         K,2026-11-06,7,ok,100\n\
         L,2026-11-06,8,ok,100\n\
         M,2026-11-06,8,ok,100\n",
    );
    let o = dir.ok(&["nps", "export.csv", "--out", "o"]);
    let log = stderr(&o);
    assert!(log.contains("value    <- 'Annual revenue' (its name says 'revenue'"), "{log}");
    assert!(log.contains("rows read 13 = accepted 12 + rejected 1 + duplicates 0"), "{log}");
    assert!(log.contains("2 customer value cells left out"), "{log}");

    let mut r = csv::Reader::from_path(dir.path("o/rejects.csv")).unwrap();
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ["source_file", "row", "reason", "raw_row", "scope"]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let scoped: Vec<(&str, &str)> = rows.iter().map(|x| (&x[1], &x[4])).collect();
    // Row numbers are lines of the file (the header is line 1).
    assert_eq!(scoped, [("3", "value"), ("4", "value"), ("7", "row")]);
    assert!(rows[0][2].contains("'unknown' is not an amount") && rows[0][2].contains("counts in the plain NPS"));
    assert!(rows[1][2].contains("'-250' is a negative amount"), "{}", &rows[1][2]);

    // Plain NPS over the 12 accepted responses (A, B promoters; C, D detractors): 0.
    // Weighted over A, D, G, H-M (1200 x 1, 300 x -1, 1500 x 0, 6 x 100 x 0):
    // 100 x 900 / 3600 = +25.
    let nps = read_parquet(&dir.path("o/nps.parquet"));
    let (n, plain, weighted, n_valued, _) = overall_weighted(&nps);
    assert_eq!((n, plain), (12, 0.0));
    assert_eq!(n_valued, Some(9));
    assert!((weighted.unwrap() - 25.0).abs() < 1e-9, "{weighted:?}");

    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o/run.json")).unwrap()).unwrap();
    let counts = &run["counts"];
    assert_eq!((counts["rows_read"].as_u64(), counts["rejected"].as_u64()), (Some(13), Some(1)));
    assert_eq!(counts["values_rejected"], 2);
    assert_eq!(
        counts["rows_read"].as_u64().unwrap(),
        counts["accepted"].as_u64().unwrap()
            + counts["rejected"].as_u64().unwrap()
            + counts["duplicates"].as_u64().unwrap()
    );
    // rejects.csv lines = rejected rows + value cells left out.
    assert_eq!(rows.len() as u64, counts["rejected"].as_u64().unwrap() + 2);
}

/// Equal values give the plain NPS; multiplying every value by 100 changes nothing.
#[test]
fn equal_values_give_the_plain_nps_and_scale_does_not_matter() {
    let dir = Dir::new();
    let scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 9, 5, 8];
    let body = |value: &dyn Fn(usize) -> String| -> String {
        let mut s = String::from("id,score,spend\n");
        for (i, sc) in scores.iter().enumerate() {
            s.push_str(&format!("r{i},{sc},{}\n", value(i)));
        }
        s
    };
    dir.write("equal.csv", body(&|_| "250".into()));
    dir.write("varied.csv", body(&|i| format!("{}", 10 + i * 37 % 90)));
    dir.write("cents.csv", body(&|i| format!("{}", (10 + i * 37 % 90) * 100)));
    for (f, out) in [("equal.csv", "e"), ("varied.csv", "v"), ("cents.csv", "c")] {
        dir.ok(&["nps", f, "--out", out]);
    }
    let e = overall_weighted(&read_parquet(&dir.path("e/nps.parquet")));
    assert!((e.2.unwrap() - e.1).abs() < 1e-9, "equal values: weighted {:?} = plain {}", e.2, e.1);
    assert!((e.4.unwrap() - 12.0).abs() < 1e-9, "n_eff = n");
    let v = overall_weighted(&read_parquet(&dir.path("v/nps.parquet")));
    let c = overall_weighted(&read_parquet(&dir.path("c/nps.parquet")));
    assert!((v.2.unwrap() - c.2.unwrap()).abs() < 1e-9 && (v.4.unwrap() - c.4.unwrap()).abs() < 1e-9);
}

/// Without a value column nothing changes: nps.parquet has no weighted columns, rejects.csv
/// no value lines, and a categorical "Customer value" column stays a segment.
#[test]
fn without_a_value_column_the_weighted_columns_are_absent() {
    let dir = Dir::new();
    dir.write("export.csv", "id,score,Customer value\na,10,High\nb,3,Low\nc,8,High\nd,9,Low\n");
    let o = dir.ok(&["nps", "export.csv", "--out", "o"]);
    let log = stderr(&o);
    assert!(log.contains("segment  <- 'Customer value'") && !log.contains("value    <-"), "{log}");
    let nps = read_parquet(&dir.path("o/nps.parquet"));
    for c in ["n_valued", "value_total", "nps_weighted", "moe95_weighted", "n_effective"] {
        assert!(nps.column(c).is_err(), "{c} must be absent without a value column");
    }
    assert!(!log.contains("value-weighted"), "{log}");
}

/// `--value-col` names a column detection would not take; a wrong name is an error naming
/// the flag and the columns.
#[test]
fn value_flags_override_detection() {
    let dir = Dir::new();
    dir.write("export.csv", "id,score,montant du mois,x\na,10,100,5\nb,3,300,5\n");
    let o = dir.ok(&["nps", "export.csv", "--out", "o", "--value-col", "x"]);
    assert!(stderr(&o).contains("value    <- 'x' (--value-col)"), "{}", stderr(&o));
    let o = dir.run(&["nps", "export.csv", "--value-col", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--value-col 'nope' is not a column"), "{}", stderr(&o));
}

/// The bundled sample: value, recency and frequency detected; a value-weighted NPS beside
/// the plain one; RFM segments as a segment column; the sample's three bad value cells.
#[test]
fn sample_has_value_rfm_and_bad_value_cells() {
    let dir = Dir::new();
    let sample = repo().join("data/sample_export.csv").display().to_string();
    let o = dir.ok(&["nps", &sample, "--out", "o"]);
    let log = stderr(&o);
    for role in ["value    <- 'Annual spend'", "recency  <- 'Last order'", "frequency <- 'Orders (12 months)'"] {
        assert!(log.contains(role), "{role}: {log}");
    }
    assert!(log.contains("segment  <- 'Customer value'"), "the High / Medium / Low column stays a segment");
    assert!(log.contains("rows read 2001 = accepted 1994 + rejected 6 + duplicates 1"), "{log}");
    assert!(log.contains("3 customer value cells left out"), "{log}");
    let nps = read_parquet(&dir.path("o/nps.parquet"));
    let (n, plain, weighted, n_valued, n_eff) = overall_weighted(&nps);
    assert_eq!((n, n_valued), (1994, Some(1991)));
    // High-value customers are more often promoters in the sample: the weighted NPS is higher.
    assert!(weighted.unwrap() > plain + 5.0, "{weighted:?} vs {plain}");
    assert!(n_eff.unwrap() < 1991.0 && n_eff.unwrap() > 100.0);
    let seg = nps.column("segment").unwrap().str().unwrap().clone();
    let val = nps.column("value").unwrap().str().unwrap().clone();
    let per = nps.column("period").unwrap().str().unwrap().clone();
    let rfm: Vec<&str> = (0..nps.height())
        .filter(|&i| seg.get(i) == Some("RFM segment") && per.get(i) == Some("all"))
        .map(|i| val.get(i).unwrap())
        .collect();
    for s in ["champions", "loyal", "new", "at risk", "hibernating"] {
        assert!(rfm.contains(&s), "{s} in {rfm:?}");
    }
    // The RFM segments hold every accepted response.
    let ns = nps.column("n").unwrap().u64().unwrap().clone();
    let total: u64 = (0..nps.height())
        .filter(|&i| seg.get(i) == Some("RFM segment") && per.get(i) == Some("all"))
        .map(|i| ns.get(i).unwrap())
        .sum();
    assert_eq!(total, 1994);

    // With --segment-col, exactly the columns given: `RFM segment` only when named.
    let segments = |out: &str| -> std::collections::BTreeSet<String> {
        let nps = read_parquet(&dir.path(out).join("nps.parquet"));
        let seg = nps.column("segment").unwrap().str().unwrap().clone();
        (0..nps.height()).filter_map(|i| seg.get(i)).filter(|s| *s != "all").map(str::to_string).collect()
    };
    dir.ok(&["nps", &sample, "--out", "only", "--segment-col", "Channel"]);
    assert_eq!(segments("only"), ["Channel".to_string()].into());
    dir.ok(&["nps", &sample, "--out", "named", "--segment-col", "Channel", "--segment-col", "RFM segment"]);
    assert_eq!(segments("named"), ["Channel".to_string(), "RFM segment".to_string()].into());
}

/// A config file's `target`, `[targets.Channel]` and `[benchmark]`, through a whole run
/// on the sample: summary.json and the report show each gap, the weighted NPS, the revenue
/// at risk per theme and the RFM segments, in English and in French.
#[test]
fn targets_value_and_rfm_in_the_report_and_summary() {
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    std::fs::copy(repo().join("data/sample_export.csv"), dir.path("export.csv")).unwrap();
    dir.write(
        "weekly.toml",
        "inputs = [\"export.csv\"]\nout = \"o\"\ntarget = 30\n\n[targets.Channel]\nStore = 40\n\n\
         [benchmark]\nnps = 12\nsource = \"Panel survey of the sector, 2025\"\n",
    );
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("verbatim-test-cache");
    let cache = cache.to_str().unwrap();
    dir.ok(&["run", "--config", "weekly.toml", "--model", &model, "--cache-dir", cache, "--report-lang", "en"]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o/summary.json")).unwrap()).unwrap();
    let targets = summary["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 3, "{targets:?}");
    assert_eq!((targets[0]["segment"].as_str(), targets[0]["target"].as_f64()), (Some("all"), Some(30.0)));
    assert_eq!(targets[0]["significantly_below"], true, "NPS +15.8 ± 3.7 is well below +30");
    assert_eq!((targets[1]["segment"].as_str(), targets[1]["value"].as_str()), (Some("Channel"), Some("Store")));
    assert_eq!(targets[2]["kind"], "benchmark");
    assert_eq!(targets[2]["significantly_below"], false, "+15.8 is above a benchmark of +12");
    let gap = targets[0]["gap"].as_f64().unwrap();
    assert!((gap - (summary["nps"]["nps"].as_f64().unwrap() - 30.0)).abs() < 1e-9);
    let value = &summary["value"];
    assert_eq!(value["column"], "Annual spend");
    assert!(value["nps_weighted"].as_f64().unwrap() > summary["nps"]["nps"].as_f64().unwrap());
    let risk = value["revenue_at_risk"].as_array().unwrap();
    assert!(!risk.is_empty());
    let amounts: Vec<f64> = risk.iter().map(|r| r["revenue_at_risk"].as_f64().unwrap()).collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]) && amounts[0] > 0.0, "{amounts:?}");
    assert!(value["rfm_segments"].as_array().unwrap().len() >= 5);

    // drivers.parquet: revenue at risk and weighted impact; the detractors' value of a
    // theme never exceeds the value of all detractors.
    let d = read_parquet(&dir.path("o/drivers.parquet"));
    for c in ["revenue_at_risk", "revenue_at_risk_passives", "revenue_at_risk_share", "impact_weighted"] {
        assert!(d.column(c).is_ok(), "drivers.parquet lacks {c}");
    }
    let share = d.column("revenue_at_risk_share").unwrap().f64().unwrap().clone();
    assert!((0..share.len()).filter_map(|i| share.get(i)).all(|s| (0.0..=1.0).contains(&s)));
    let responses = read_parquet(&dir.path("o/responses.parquet"));
    for c in ["monetary_value", "recency_days", "frequency", "rfm_score", "RFM segment"] {
        assert!(responses.column(c).is_ok(), "responses.parquet lacks {c}");
    }
    // followup.csv carries the value, and the priority puts the big spender first among
    // detractors with the same score and sentiment.
    let follow = std::fs::read_to_string(dir.path("o/followup.csv")).unwrap();
    assert!(follow.lines().next().unwrap().contains("monetary_value"), "{}", follow.lines().next().unwrap());

    let md = std::fs::read_to_string(dir.path("o/report.md")).unwrap();
    for needle in ["Weighted by customer value (Annual spend)", "By revenue at risk", "RFM segments", "Target +30:"] {
        assert!(md.contains(needle), "report.md lacks {needle:?}");
    }
    assert!(md.contains("Benchmark +12 (Panel survey of the sector, 2025)"), "{md}");
    assert!(md.contains("- customer values left out (rejects.csv, scope value; responses accepted): 3"), "{md}");
    // The segment table carries each segment value's weighted NPS.
    assert!(md.contains("| Segment | Value | n | NPS | ± | NPS of the rest | Weighted NPS |"), "{md}");
    dir.ok(&[
        "run",
        "--config",
        "weekly.toml",
        "--model",
        &model,
        "--cache-dir",
        cache,
        "--report-lang",
        "fr",
        "--target",
        "50",
    ]);
    let md = std::fs::read_to_string(dir.path("o/report.md")).unwrap();
    for needle in ["Pondéré par la valeur client", "Par valeur en jeu", "Segments RFM", "Objectif +50 :"] {
        assert!(md.contains(needle), "report.md (fr) lacks {needle:?}");
    }
    assert!(md.contains("significativement en dessous"), "the command line's target wins");
}

/// A config file's target tables that cannot be read are refused with the key and the fix.
#[test]
fn bad_target_tables_are_clear_errors() {
    let dir = Dir::new();
    dir.write("export.csv", "id,score\na,10\n");
    for (toml, expected) in [
        ("targets = 30\n", "`targets` should be tables of segment values"),
        ("[targets.Channel]\nStore = \"high\"\n", "`targets.Channel.Store` should be a number"),
        ("[benchmark]\nsource = \"x\"\n", "[benchmark] needs `nps = ...`"),
        ("[benchmark]\nnps = 30\nyear = 2025\n", "unknown key `year` in [benchmark]"),
        ("target = 130\n", "outside -100..100"),
    ] {
        dir.write("bad.toml", format!("inputs = [\"export.csv\"]\nout = \"o\"\n{toml}"));
        let o = dir.run(&["run", "--config", "bad.toml"]);
        assert_eq!(o.status.code(), Some(2), "{toml}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{toml}: {}", stderr(&o));
    }
}

/// French names, a recency in days, a tenure as a start date: detected, and carried to
/// responses.parquet (tenure in days up to the latest response date).
#[test]
fn days_since_and_a_start_date_tenure() {
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let mut csv =
        String::from("id,Submitted,score,comment,CA annuel,Days since last order,Number of purchases,Client depuis\n");
    for i in 0..12 {
        let score = [10, 9, 3, 8, 6, 10][i % 6];
        csv.push_str(&format!(
            "r{i},2026-11-{:02},{score},Service correct,{} €,{},{},2020-01-{:02}\n",
            10 + i,
            100 * (i + 1),
            5 * i,
            i % 4 + 1,
            i + 1
        ));
    }
    dir.write("export.csv", &csv);
    let o = dir.ok(&["run", "export.csv", "--out", "o", "--model", &model, "--no-cache"]);
    let log = stderr(&o);
    for role in [
        "value    <- 'CA annuel' (its name says 'ca'",
        "recency  <- 'Days since last order' (its name says 'last order' and 100% of values are numbers of days)",
        "frequency <- 'Number of purchases'",
        "tenure   <- 'Client depuis' (its name says 'client depuis' and 100% of values are dates",
    ] {
        assert!(log.contains(role), "{role}: {log}");
    }
    let r = read_parquet(&dir.path("o/responses.parquet"));
    let f = |c: &str| r.column(c).unwrap().f64().unwrap().clone();
    let (money, recency, tenure) = (f("monetary_value"), f("recency_days"), f("tenure"));
    assert_eq!((money.get(0), money.get(11)), (Some(100.0), Some(1200.0)));
    assert_eq!((recency.get(0), recency.get(3)), (Some(0.0), Some(15.0)));
    // The latest response is 2026-11-21; r0 has been a customer since 2020-01-01.
    let since = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let latest = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    assert_eq!(tenure.get(0), Some((latest - since).num_days() as f64));
    let rfm = r.column("rfm_score").unwrap().str().unwrap().clone();
    assert!((0..r.height()).all(|i| rfm.get(i).is_some_and(|s| s.len() == 3)));
}
