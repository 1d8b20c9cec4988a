//! NPS on the bundled sample against an independent count, a golden table, and the
//! invariances: row order and the split of rows across files do not change NPS.

use polars::prelude::*;
use proptest::prelude::*;

use crate::util::*;

/// Count the bundled sample with the csv crate alone: valid 0-10 scores, later duplicate wins.
fn independent_count() -> (u64, u64, u64) {
    let mut r = csv::Reader::from_path(repo().join("data/sample_export.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    let id = headers.iter().position(|h| h == "Response ID").unwrap();
    let sc = headers.iter().position(|h| h.starts_with("How likely")).unwrap();
    let mut by_id = std::collections::HashMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        by_id.insert(rec[id].to_string(), rec[sc].to_string());
    }
    let scores: Vec<u8> = by_id.values().filter_map(|s| s.parse::<u8>().ok()).filter(|s| *s <= 10).collect();
    let p = scores.iter().filter(|&&s| s >= 9).count() as u64;
    let d = scores.iter().filter(|&&s| s <= 6).count() as u64;
    (scores.len() as u64, p, d)
}

#[test]
fn sample_matches_an_independent_count_and_the_golden_table() {
    let dir = Dir::new();
    let sample = repo().join("data/sample_export.csv");
    let o = dir.ok(&["nps", sample.to_str().unwrap(), "--out", "o"]);
    let (n, p, _, d, nps) = overall(&read_parquet(&dir.path("o/nps.parquet")));
    assert_eq!((n, p, d), independent_count());
    assert!((nps - 100.0 * (p as f64 - d as f64) / n as f64).abs() < 1e-9);
    let golden = repo().join("tests/golden/sample_nps.txt");
    let got = stdout(&o);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("tests/golden/sample_nps.txt (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(got, want, "the NPS table of the bundled sample changed; if on purpose, rerun with UPDATE_GOLDEN=1");
    // Every column of DESIGN.md is there.
    let df = read_parquet(&dir.path("o/nps.parquet"));
    for c in [
        "period",
        "segment",
        "value",
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "moe95",
        "delta_vs_previous",
        "p_value_change",
    ] {
        assert!(df.column(c).is_ok(), "nps.parquet lacks {c}");
    }
}

#[test]
fn monthly_and_quarterly_periods() {
    let dir = Dir::new();
    let sample = repo().join("data/sample_export.csv");
    let o = dir.ok(&["nps", sample.to_str().unwrap(), "--period", "month"]);
    assert!(stdout(&o).contains("2026-10 "), "{}", stdout(&o));
    let o = dir.ok(&["nps", sample.to_str().unwrap(), "--period", "quarter"]);
    assert!(stdout(&o).contains("2026-Q4 "), "{}", stdout(&o));
}

fn write_csv(dir: &Dir, name: &str, rows: &[(usize, u8, u32)]) -> String {
    let mut s = String::from("id,date,score,plan\n");
    for (id, score, day) in rows {
        s.push_str(&format!("r{id},2026-03-{:02},{score},{}\n", day, if id % 2 == 0 { "Pro" } else { "Basic" }));
    }
    dir.write(name, s);
    name.to_string()
}

fn nps_rows(dir: &Dir, files: &[String], out: &str) -> DataFrame {
    let mut args = vec!["nps"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--out", out, "--segment-col", "plan"]);
    dir.ok(&args);
    read_parquet(&dir.path(out).join("nps.parquet")).sort(["period", "segment", "value"], Default::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// NPS does not change with row order or with how rows are split across files.
    #[test]
    fn prop_nps_independent_of_order_and_split(
        scores in proptest::collection::vec((0u8..=10, 1u32..=28), 1..80),
        seed in any::<u64>(),
        split in 0usize..80,
    ) {
        let dir = Dir::new();
        let rows: Vec<(usize, u8, u32)> = scores.iter().enumerate().map(|(i, (s, d))| (i, *s, *d)).collect();
        let one = write_csv(&dir, "one.csv", &rows);
        let mut shuffled = rows.clone();
        // Deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let cut = split.min(shuffled.len());
        let a = write_csv(&dir, "a.csv", &shuffled[..cut]);
        let b = write_csv(&dir, "b.csv", &shuffled[cut..]);
        let whole = nps_rows(&dir, &[one], "o1");
        let parts = nps_rows(&dir, &[a, b], "o2");
        prop_assert!(whole.equals_missing(&parts), "{whole}\n{parts}");
    }
}
