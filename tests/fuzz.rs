//! Hostile inputs by the million (issue 5): a fuzzing harness on stable Rust, with no crate
//! beyond what the tests already use.
//!
//! One driver, [`campaign`], runs every target. Inputs come from generators that write
//! plausible exports (Qualtrics' 3 header rows, SurveyMonkey's 2, BOMs, UTF-16 LE/BE,
//! Windows-1252, any delimiter, quotes, embedded newlines, CR / CRLF, NUL bytes, very long
//! fields, thousands of columns, dates in many layouts, scores such as "7,5", "dix", "11",
//! "N/A"), and from mutations of those, of seed files and of the regression corpus (bit
//! flips, inserted tokens, deleted / duplicated / spliced ranges, truncation). Every
//! campaign also runs a fixed set of inputs of about 1 MiB.
//!
//! Each input runs under `catch_unwind` and a stopwatch, and each reader's result is
//! checked (a table's columns all as long as its rows, header names non-empty and
//! distinct, counts that reconcile). A panic, a failed check, or an input that takes over
//! 1 s per MiB (1 s at least) is a finding: the input is written to
//! `tests/fixtures/fuzz/<target>-<hash>.bin`, and every file there is replayed by the
//! target's test from then on. An abort or a hang cannot be caught in the process: for
//! those, `scripts/fuzz.sh` sets `VERBATIM_FUZZ_INFLIGHT` (each input is written there
//! before it runs, so the one that killed the process is left behind) and a watchdog
//! thread saves an input that runs for over `VERBATIM_FUZZ_HANG_S` seconds and exits.
//!
//! Plain `cargo test` runs a smoke campaign (a few thousand inputs per target).
//! `VERBATIM_FUZZ_ITERATIONS` (per target) and `VERBATIM_FUZZ_SEED` scale and vary it;
//! `scripts/fuzz.sh` runs the long campaign whose figures are in RELIABILITY.md.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use polars::prelude::*;
use verbatim::ingest::{self, sniff, RawTable, ReadOptions};
use verbatim::schema::dates::{self, DateFormat, DateOrder, Period};
use verbatim::schema::{detect, MappingOverrides};

// ---------------------------------------------------------------------------------------
// The targets: one test each.

#[test]
fn encoding() {
    campaign(&Target { name: "encoding", smoke: 6000, generate: gen_text_export, run: run_encoding, ..TEXT });
}

#[test]
fn delimiter() {
    campaign(&Target { name: "delimiter", smoke: 6000, generate: gen_text_export, run: run_delimiter, ..TEXT });
}

#[test]
fn header_rows() {
    campaign(&Target { name: "header", smoke: 6000, generate: gen_header_rows, run: run_header, ..TEXT });
}

#[test]
fn csv_reader() {
    campaign(&Target { name: "csv", smoke: 5000, generate: gen_text_export, run: run_csv, ..TEXT });
}

#[test]
fn ndjson_reader() {
    campaign(&Target { name: "ndjson", smoke: 5000, generate: gen_ndjson, run: run_ndjson, ..TEXT });
}

#[test]
fn dates() {
    campaign(&Target { name: "dates", smoke: 8000, generate: gen_dates, run: run_dates, ..TEXT });
}

#[test]
fn columns() {
    campaign(&Target { name: "columns", smoke: 3000, generate: gen_survey_csv, run: run_columns, ..TEXT });
}

#[test]
fn xlsx_reader() {
    campaign(&Target {
        name: "xlsx",
        smoke: 3000,
        generate: gen_xlsx,
        run: run_xlsx,
        seeds: xlsx_seeds,
        big: xlsx_big,
        fresh_per_10: 5,
    });
}

#[test]
fn parquet_reader() {
    campaign(&Target {
        name: "parquet",
        smoke: 3000,
        generate: gen_parquet,
        run: run_parquet,
        seeds: parquet_seeds,
        big: parquet_big,
        fresh_per_10: 2,
    });
}

/// The generators make what they claim: a workbook or a Parquet file built from a survey
/// before any mutation is read, so that mutations start from inputs that reach deep.
#[test]
fn generated_files_are_read() {
    let mut rng = Rng::new(3);
    for _ in 0..50 {
        let rows = gen_table(&mut rng, None);
        let xlsx = zip_stored(&xlsx_parts(&mut rng, &rows));
        let parquet = gen_parquet(&mut rng, false);
        let opts = ReadOptions::default();
        if rows.iter().any(|r| r.iter().any(|c| !c.trim().is_empty())) {
            ingest::read_bytes(Path::new("gen.xlsx"), &xlsx, &opts).unwrap_or_else(|e| panic!("{e}"));
        }
        ingest::read_bytes(Path::new("gen.parquet"), &parquet, &opts).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Defaults shared by the targets that read text.
const TEXT: Target = Target {
    name: "",
    smoke: 0,
    generate: gen_text_export,
    run: run_csv,
    seeds: no_seeds,
    big: text_big,
    fresh_per_10: 4,
};

struct Target {
    name: &'static str,
    /// Inputs per plain `cargo test` run.
    smoke: u64,
    /// A fresh input; `big`: about 1 MiB.
    generate: fn(&mut Rng, bool) -> Vec<u8>,
    /// One input through the code under test; a panic (or failed check) is a finding.
    /// Returns whether the input was accepted (read as a table, detected, parsed).
    run: fn(&[u8]) -> bool,
    /// Inputs mutated from the start (besides the regression corpus).
    seeds: fn() -> Vec<Vec<u8>>,
    /// Hostile inputs of about 1 MiB that every campaign runs.
    big: fn(&mut Rng) -> Vec<Vec<u8>>,
    /// Out of 10 inputs, how many are generated afresh (the rest are mutations).
    fresh_per_10: usize,
}

fn no_seeds() -> Vec<Vec<u8>> {
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// What each target runs, and the checks on its results.

fn run_encoding(b: &[u8]) -> bool {
    let (text, name) = sniff::decode(b);
    let has_bom = b.starts_with(b"\xEF\xBB\xBF") || b.starts_with(b"\xFF\xFE") || b.starts_with(b"\xFE\xFF");
    if !has_bom {
        if let Ok(s) = std::str::from_utf8(b) {
            assert_eq!((&*text, name), (s, "UTF-8"), "valid UTF-8 is read as is");
        }
    }
    std::hint::black_box(sniff::looks_like_ndjson(b));
    name.starts_with("UTF")
}

fn run_delimiter(b: &[u8]) -> bool {
    let (text, _) = sniff::decode(b);
    let d = sniff::sniff_delimiter(&text);
    assert!(sniff::DELIMITERS.contains(&d), "delimiter {d:?}");
    d != b','
}

/// Header rows as the readers hand them over: at most three, at most 16,384 cells wide
/// (wider files are refused before their header is laid out).
fn run_header(b: &[u8]) -> bool {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(b);
    let rows: Vec<Vec<String>> = rdr
        .byte_records()
        .take(3)
        .filter_map(Result::ok)
        .map(|r| r.iter().take(1 << 14).map(|f| String::from_utf8_lossy(f).into_owned()).collect())
        .collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let (headers, questions, n, vendor) = ingest::header_layout(&rows);
    assert_eq!(headers.len(), width, "one header per column");
    assert_eq!(questions.len(), width, "one question per column");
    assert!((1..=3).contains(&n), "{n} header rows");
    assert!(vendor.is_none() || n <= rows.len(), "{vendor:?} with {n} header rows of {}", rows.len());
    check_names(&headers);
    vendor.is_some()
}

fn run_csv(b: &[u8]) -> bool {
    let ext = ["csv", "tsv", "txt"][b.len() % 3];
    read_and_check(b, ext, "csv")
}

fn run_ndjson(b: &[u8]) -> bool {
    let ext = ["ndjson", "jsonl", "json"][b.len() % 3];
    read_and_check(b, ext, if ext == "json" { "" } else { "ndjson" })
}

fn run_xlsx(b: &[u8]) -> bool {
    read_and_check(b, "xlsx", "xlsx")
}

fn run_parquet(b: &[u8]) -> bool {
    read_and_check(b, "parquet", "parquet")
}

fn run_dates(b: &[u8]) -> bool {
    let text = String::from_utf8_lossy(b);
    let values: Vec<&str> = text.split('\n').collect();
    let (fmt, share) = dates::infer(&values);
    assert!((0.0..=1.0).contains(&share), "share {share}");
    let mut parsed = false;
    for order in [fmt.order, DateOrder::DayFirst, DateOrder::MonthFirst] {
        let f = DateFormat { order, order_from_data: false };
        for v in &values {
            if let Some(dt) = f.parse(v) {
                parsed = true;
                for p in [Period::Week, Period::Month, Period::Quarter] {
                    std::hint::black_box(dates::period_label(dt.date(), p));
                }
            }
        }
    }
    parsed
}

/// Column detection and validation over a generated survey: the roles found are distinct
/// columns, the mapping carries over to the same file, and the counts reconcile.
fn run_columns(b: &[u8]) -> bool {
    let Ok(table) = ingest::read_bytes(Path::new("fuzz.csv"), b, &ReadOptions::default()) else {
        return false;
    };
    check_table(&table, "csv");
    // Overrides, now and then, name a column of the file (or none), chosen from the input
    // so that a fixture replays the same way.
    let h = fnv(b);
    let name = |k: u64| -> Option<String> {
        let n = table.headers.len() as u64;
        ((h >> k).is_multiple_of(5) && n > 0).then(|| table.headers[((h >> (k + 8)) % n) as usize].clone())
    };
    let ov = MappingOverrides {
        score: name(0),
        comment: name(3),
        id: name(6),
        date: name(9),
        segments: Vec::new(),
        ..Default::default()
    };
    let Ok(mapping) = detect(&table, &ov) else {
        return false;
    };
    let width = table.headers.len();
    let mut roles = vec![mapping.score.index];
    roles.extend(mapping.comment.iter().chain(&mapping.id).chain(&mapping.date).map(|c| c.index));
    assert!(roles.iter().all(|&i| i < width), "roles inside the table: {roles:?} of {width}");
    if ov.score.is_none() && ov.comment.is_none() && ov.id.is_none() && ov.date.is_none() {
        let mut distinct = roles.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), roles.len(), "one role per column: {:?}", mapping.describe());
    }
    for s in mapping.segments.iter().chain(&mapping.contacts) {
        assert!(s.index < width && table.headers[s.index] == s.column);
    }
    std::hint::black_box(mapping.describe());
    assert!(mapping.apply_to(&table).is_some(), "the mapping applies to its own file");
    let period = [Period::Week, Period::Month, Period::Quarter][(h % 3) as usize];
    let (_, rejects, counts) = verbatim::validate::validate(std::slice::from_ref(&table), &[mapping], period);
    assert!(counts.reconciles(), "{counts:?}");
    assert_eq!(counts.rejected, rejects.len(), "{counts:?}");
    true
}

/// Read `bytes` as a file named fuzz.<ext>; an error is a fine answer, a table is checked.
fn read_and_check(bytes: &[u8], ext: &str, kind: &str) -> bool {
    let path = PathBuf::from(format!("fuzz.{ext}"));
    match ingest::read_bytes(&path, bytes, &ReadOptions::default()) {
        Ok(t) => {
            check_table(&t, kind);
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz."), "the error names the file: {msg}");
            if let Some((_, why)) = msg.split_once("reader failed: ") {
                CAUGHT.with(|c| *c.borrow_mut() = Some(why.to_string()));
            }
            false
        }
    }
}

fn check_table(t: &RawTable, kind: &str) {
    if !kind.is_empty() {
        assert_eq!(t.format.kind, kind);
    }
    let width = t.headers.len();
    assert_eq!(t.columns.len(), width, "one column per header");
    assert_eq!(t.questions.len(), width, "one question per header");
    for (c, col) in t.columns.iter().enumerate() {
        assert_eq!(col.len(), t.n_rows(), "column {c} has one cell per row");
    }
    check_names(&t.headers);
    assert_eq!(t.sha256.len(), 64);
    if t.n_rows() > 0 {
        std::hint::black_box(t.raw_row(t.n_rows() - 1));
    }
}

/// RawTable's promise: header names are never empty, and never repeated.
fn check_names(headers: &[String]) {
    let mut seen = std::collections::HashSet::new();
    for h in headers {
        assert!(!h.trim().is_empty(), "empty header name in {headers:?}");
        assert!(seen.insert(h.as_str()), "header name '{h}' repeated");
    }
}

// ---------------------------------------------------------------------------------------
// The driver.

/// Settings from the environment (scripts/fuzz.sh), or the smoke defaults.
struct Settings {
    iterations: u64,
    seed: u64,
    inflight: Option<PathBuf>,
    report: Option<PathBuf>,
    save: PathBuf,
    hang: Duration,
    /// Multiplies the time limit: 1 for the campaign, more for the smoke run, which shares
    /// its cores with the rest of the test suite (a quadratic reader blows any constant).
    slack: f64,
}

impl Settings {
    fn from_env(t: &Target) -> Settings {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let num = |k: &str| var(k).map(|v| v.parse::<u64>().unwrap_or_else(|e| panic!("{k}={v}: {e}")));
        Settings {
            iterations: num("VERBATIM_FUZZ_ITERATIONS").unwrap_or(t.smoke),
            seed: num("VERBATIM_FUZZ_SEED").unwrap_or(0x5EED_F022),
            inflight: var("VERBATIM_FUZZ_INFLIGHT").map(PathBuf::from),
            report: var("VERBATIM_FUZZ_REPORT").map(PathBuf::from),
            save: var("VERBATIM_FUZZ_SAVE").map(PathBuf::from).unwrap_or_else(fixture_dir),
            hang: Duration::from_secs(num("VERBATIM_FUZZ_HANG_S").unwrap_or(60)),
            slack: var("VERBATIM_FUZZ_SLACK").map_or(3.0, |v| v.parse().expect("VERBATIM_FUZZ_SLACK: a number")),
        }
    }
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

/// Slowest input per size class.
const BUCKETS: [(&str, usize); 5] =
    [("<1K", 1 << 10), ("<64K", 1 << 16), ("<512K", 1 << 19), ("512K-2M", 2 << 20), (">2M", usize::MAX)];

#[derive(Default)]
struct Stats {
    inputs: u64,
    /// Inputs the target accepted (read as a table, a vendor layout, a date...).
    accepted: u64,
    bytes: u64,
    /// Time spent in the code under test (the rest is generating and mutating inputs).
    busy: Duration,
    by_size: [(Duration, usize); 5],
    /// Inputs of 512 KiB or more, and the slowest of them.
    big_inputs: u64,
    slowest_big: Duration,
    /// The slowest input of all: time, length, first bytes.
    slowest: (Duration, usize, String),
    replayed: usize,
    /// Dependency panics caught by the product, by message (first 60 characters).
    caught: std::collections::BTreeMap<String, u64>,
}

impl Stats {
    fn record(&mut self, input: &[u8], dt: Duration) {
        let len = input.len();
        if dt > self.slowest.0 {
            self.slowest = (dt, len, input[..len.min(24)].escape_ascii().to_string());
        }
        self.inputs += 1;
        self.bytes += len as u64;
        self.busy += dt;
        let b = BUCKETS.iter().position(|&(_, max)| len < max).unwrap_or(BUCKETS.len() - 1);
        if dt > self.by_size[b].0 {
            self.by_size[b] = (dt, len);
        }
        if len >= 1 << 19 {
            self.big_inputs += 1;
            self.slowest_big = self.slowest_big.max(dt);
        }
    }
}

/// Time an input may take: 1 s per MiB, and 1 s at least (times the slack).
fn time_limit(len: usize, slack: f64) -> Duration {
    Duration::from_secs_f64((len as f64 / (1 << 20) as f64).max(1.0) * slack)
}

fn campaign(t: &Target) {
    install_panic_hook();
    let cfg = Settings::from_env(t);
    let slot = Watchdog::register(t.name, &cfg);
    let mut stats = Stats::default();
    let mut findings: Vec<String> = Vec::new();
    let started = Instant::now();
    let run = |input: Vec<u8>, stats: &mut Stats, findings: &mut Vec<String>| -> Arc<Vec<u8>> {
        let input = Arc::new(input);
        if let Some(f) = run_one(t, &input, stats, &slot, &cfg) {
            if findings.len() < 20 {
                findings.push(f);
            }
        }
        input
    };

    // The regression corpus, then the seeds and the 1 MiB inputs. VERBATIM_FUZZ_REPLAY=FILE
    // runs that one file instead (to look into what a campaign left in flight).
    let replay = std::env::var_os("VERBATIM_FUZZ_REPLAY").map(PathBuf::from);
    let corpus_files = match &replay {
        Some(p) => vec![(p.display().to_string(), std::fs::read(p).expect("read VERBATIM_FUZZ_REPLAY"))],
        None => fixtures(t.name),
    };
    let mut corpus: Vec<Arc<Vec<u8>>> = Vec::new();
    for (name, bytes) in corpus_files {
        let before = findings.len();
        corpus.push(run(bytes, &mut stats, &mut findings));
        if findings.len() > before {
            findings.last_mut().expect("just pushed").insert_str(0, &format!("fixture {name}: "));
        }
        stats.replayed += 1;
    }
    let mut rng = Rng::new(cfg.seed ^ fnv(t.name.as_bytes()));
    if replay.is_none() {
        for s in (t.seeds)() {
            corpus.push(run(s, &mut stats, &mut findings));
        }
        for big in (t.big)(&mut rng).into_iter().chain((0..3).map(|_| (t.generate)(&mut rng, true))) {
            run(big, &mut stats, &mut findings);
        }
    }
    let iterations = if replay.is_some() { 0 } else { cfg.iterations };

    // Generated and mutated inputs. Without coverage feedback, mutations start from the
    // seeds, the corpus and a reservoir of recent small generated inputs.
    let fixed = corpus.len();
    for i in 0..iterations {
        let input = if corpus.is_empty() || rng.below(10) < t.fresh_per_10 {
            (t.generate)(&mut rng, false)
        } else {
            let base = &corpus[rng.below(corpus.len())];
            let other = &corpus[rng.below(corpus.len())];
            let mut data = base.to_vec();
            let bits = rng.below(4);
            for _ in 0..1 + rng.below(1 << bits) {
                mutate(&mut rng, &mut data, other, BYTE_TOKENS);
            }
            data
        };
        let input = run(input, &mut stats, &mut findings);
        if input.len() <= 1 << 16 && rng.below(8) == 0 {
            if corpus.len() < fixed + 256 {
                corpus.push(input);
            } else {
                let k = fixed + rng.below(256);
                corpus[k] = input;
            }
        }
        if findings.len() >= 20 {
            break;
        }
        if cfg.iterations >= 100_000 && (i + 1) % 100_000 == 0 {
            eprintln!("fuzz {}: {} inputs, {:.0} s", t.name, i + 1, started.elapsed().as_secs_f64());
        }
    }
    Watchdog::unregister(&slot);
    if let Some(dir) = &cfg.inflight {
        // Finished: nothing was in flight when the process ended.
        let _ = std::fs::remove_file(dir.join(format!("{}.inflight", t.name)));
    }
    let line = summary(t.name, &cfg, &stats, started.elapsed(), findings.len());
    println!("{line}");
    if let Some(report) = &cfg.report {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(report).expect("open the report");
        writeln!(f, "{line}").expect("write the report");
    }
    assert!(findings.is_empty(), "fuzz {}: {} finding(s):\n{}", t.name, findings.len(), findings.join("\n"));
}

fn summary(name: &str, cfg: &Settings, s: &Stats, wall: Duration, findings: usize) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let buckets: Vec<String> = BUCKETS
        .iter()
        .zip(&s.by_size)
        .filter(|(_, (_, len))| *len > 0)
        .map(|((label, _), (d, len))| format!("{label} {:.1} ms ({len} B)", ms(*d)))
        .collect();
    format!(
        "fuzz {name}: seed {:#x}, {} inputs ({} MB, {:.0}% accepted) in {:.1} s = {:.0}/s ({:.0}% in the code under \
         test), findings {findings}, dependency panics caught {} ({} kinds), corpus replayed {}, inputs of 512 KiB+ {} \
         (slowest {:.1} ms); slowest by size: {}; slowest: {:.1} ms, {} B starting \"{}\"",
        cfg.seed,
        s.inputs,
        s.bytes / 1_000_000,
        100.0 * s.accepted as f64 / s.inputs.max(1) as f64,
        wall.as_secs_f64(),
        s.inputs as f64 / wall.as_secs_f64(),
        100.0 * s.busy.as_secs_f64() / wall.as_secs_f64(),
        s.caught.values().sum::<u64>(),
        s.caught.len(),
        s.replayed,
        s.big_inputs,
        ms(s.slowest_big),
        buckets.join(", "),
        ms(s.slowest.0),
        s.slowest.1,
        s.slowest.2
    )
}

/// One input: run, time, and on a finding save it as a fixture and say why.
fn run_one(t: &Target, input: &Arc<Vec<u8>>, stats: &mut Stats, slot: &Arc<Slot>, cfg: &Settings) -> Option<String> {
    if let Some(f) = &slot.inflight {
        // Written in place (no truncation to zero, which makes ext4 flush on every input).
        use std::os::unix::fs::FileExt;
        f.write_all_at(input, 0).and_then(|()| f.set_len(input.len() as u64)).expect("write the in-flight input");
    }
    *slot.current.lock().expect("watchdog lock") = Some((Instant::now(), input.clone()));
    let t0 = Instant::now();
    let outcome = guarded(|| (t.run)(input));
    if outcome == Ok(true) {
        stats.accepted += 1;
    }
    if let Some(why) = CAUGHT.with(|c| c.borrow_mut().take()) {
        let kind: String = why.chars().take(60).collect();
        let n = stats.caught.entry(kind).or_insert(0);
        *n += 1;
        if *n == 1 && std::env::var_os("VERBATIM_FUZZ_SAVE_CAUGHT").is_some() {
            let p = save_fixture(&cfg.save, t.name, input);
            eprintln!("fuzz {}: a dependency panic, caught: {why} ({})", t.name, p.display());
        }
    }
    let mut dt = t0.elapsed();
    *slot.current.lock().expect("watchdog lock") = None;
    stats.record(input, dt);
    let why = match outcome {
        Err(msg) => msg,
        Ok(_) if dt > time_limit(input.len(), cfg.slack) => {
            // Two shared cores are noisy: a slow input is timed again before it counts.
            let t1 = Instant::now();
            let _ = guarded(|| (t.run)(input));
            dt = dt.min(t1.elapsed());
            let limit = time_limit(input.len(), cfg.slack);
            if dt <= limit {
                return None;
            }
            format!("took {:.2} s for {} bytes (limit {:.2} s)", dt.as_secs_f64(), input.len(), limit.as_secs_f64())
        }
        Ok(_) => return None,
    };
    let small = if why.starts_with("panic") { minimize(t, input, &why) } else { input.to_vec() };
    let path = save_fixture(&cfg.save, t.name, &small);
    Some(format!("{} ({} bytes, from {}): {why}", path.display(), small.len(), input.len()))
}

/// Shrink a panicking input for as long as it panics at the same place, so that its fixture
/// is small enough to read: drop halves, then quarters, ... then single bytes (ddmin-like).
fn minimize(t: &Target, input: &[u8], why: &str) -> Vec<u8> {
    let site = |m: &str| m.lines().next().unwrap_or("").to_string();
    let want = site(why);
    let fails = |b: &[u8]| matches!(guarded(|| (t.run)(b)), Err(m) if site(&m) == want);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut cur = input.to_vec();
    let mut chunk = cur.len().div_ceil(2);
    while chunk >= 1 && Instant::now() < deadline {
        let mut changed = false;
        let mut i = 0;
        while i < cur.len() && Instant::now() < deadline {
            let mut candidate = cur[..i].to_vec();
            candidate.extend_from_slice(&cur[(i + chunk).min(cur.len())..]);
            if fails(&candidate) {
                cur = candidate;
                changed = true;
            } else {
                i += chunk;
            }
        }
        if !changed {
            chunk /= 2;
        }
    }
    cur
}

fn save_fixture(dir: &Path, target: &str, input: &[u8]) -> PathBuf {
    let hash = &ingest::sha256_hex(input)[..16];
    let path = dir.join(format!("{target}-{hash}.bin"));
    if !path.exists() {
        std::fs::create_dir_all(dir).expect("create the fixture directory");
        std::fs::write(&path, input).expect("write the fixture");
    }
    path
}

/// The regression corpus of a target: tests/fixtures/fuzz/<target>-*.bin.
fn fixtures(target: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(dir) = std::fs::read_dir(fixture_dir()) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = dir
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.strip_prefix(target).is_some_and(|rest| rest.starts_with('-')) && n.ends_with(".bin"))
        .map(|n| {
            let bytes = std::fs::read(fixture_dir().join(&n)).expect("read a fixture");
            (n, bytes)
        })
        .collect();
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------
// Panics: caught per input, their message kept, the default hook silenced for them only.

thread_local! {
    /// A panic of a dependency that the product caught at its reader boundary (its error
    /// says "the reader failed: ..."): not a finding, but counted and, with
    /// VERBATIM_FUZZ_SAVE_CAUGHT=1, kept as a fixture (one per message).
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Campaigns running now: while there are any, panics on threads that are not test threads
/// (the readers' worker pools) are not printed either; they reach the caller as payloads.
static RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
                return;
            }
            let test_thread = std::thread::current().name().is_some_and(|n| n.contains("::") || n == "main");
            if RUNNING.load(std::sync::atomic::Ordering::Relaxed) > 0 && !test_thread {
                return;
            }
            default(info)
        }));
    });
}

/// Run `f`, turning a panic into its message (with its location when the hook saw it).
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    FUZZING.with(|x| x.set(true));
    LAST_PANIC.with(|p| p.borrow_mut().take());
    let r = catch_unwind(AssertUnwindSafe(f));
    FUZZING.with(|x| x.set(false));
    r.map_err(|payload| {
        let seen = LAST_PANIC.with(|p| p.borrow_mut().take());
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-text panic payload)".into());
        format!("panic: {}", seen.unwrap_or(msg))
    })
}

// ---------------------------------------------------------------------------------------
// Hangs: a watchdog thread saves an input that runs too long and ends the process.

struct Slot {
    target: &'static str,
    save: PathBuf,
    hang: Duration,
    current: Mutex<Option<(Instant, Arc<Vec<u8>>)>>,
    /// `<VERBATIM_FUZZ_INFLIGHT>/<target>.inflight`, holding the input that runs now.
    inflight: Option<std::fs::File>,
}

struct Watchdog;

static SLOTS: Mutex<Vec<Arc<Slot>>> = Mutex::new(Vec::new());

impl Watchdog {
    fn register(target: &'static str, cfg: &Settings) -> Arc<Slot> {
        static START: Once = Once::new();
        START.call_once(|| {
            std::thread::Builder::new()
                .name("fuzz watchdog".into())
                .spawn(|| loop {
                    std::thread::sleep(Duration::from_millis(250));
                    for slot in SLOTS.lock().expect("watchdog lock").iter() {
                        let cur = slot.current.lock().expect("watchdog lock");
                        if let Some((since, input)) = &*cur {
                            if since.elapsed() > slot.hang {
                                let p = save_fixture(&slot.save, slot.target, input);
                                eprintln!(
                                    "fuzz {}: an input has run for over {:?}: saved as {}",
                                    slot.target,
                                    slot.hang,
                                    p.display()
                                );
                                std::process::exit(3);
                            }
                        }
                    }
                })
                .expect("start the watchdog");
        });
        let inflight = cfg.inflight.as_ref().map(|dir| {
            std::fs::File::create(dir.join(format!("{target}.inflight"))).expect("create the in-flight file")
        });
        let slot =
            Arc::new(Slot { target, save: cfg.save.clone(), hang: cfg.hang, current: Mutex::new(None), inflight });
        SLOTS.lock().expect("watchdog lock").push(slot.clone());
        RUNNING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        slot
    }

    fn unregister(slot: &Arc<Slot>) {
        SLOTS.lock().expect("watchdog lock").retain(|s| !Arc::ptr_eq(s, slot));
        RUNNING.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------------------------------
// Randomness: splitmix64, seeded, so that a campaign is reproducible from its seed.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// A length skewed towards small values, up to `max`.
    fn small(&mut self, max: usize) -> usize {
        let bits = self.below(usize::BITS as usize - max.leading_zeros() as usize + 1);
        self.below((1usize << bits).min(max) + 1)
    }
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ x as u64).wrapping_mul(0x100_0000_01b3))
}

// ---------------------------------------------------------------------------------------
// Mutations.

/// Bytes that matter to the readers: quotes, delimiters, line ends, BOMs, broken UTF-8 and
/// UTF-16, JSON and vendor-header fragments, numbers at the edges.
const BYTE_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b";",
    b"\t",
    b"|",
    b"\r",
    b"\n",
    b"\r\n",
    b"\0",
    b"\0\0",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF",
    b"\xC3",
    b"\xE9",
    b"\x80",
    b"\xED\xA0\x80",
    b"\xF4\x90\x80\x80",
    b"\x00\xD8",
    b"\xD8\x00",
    b"{\"ImportId\":\"QID1\"}",
    b"{'ImportId':'QID2_TEXT'}",
    b"Response",
    b"Open-Ended Response",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"{\"a\":",
    b"\\u0000",
    b"\\ud800",
    b"\\",
    b"1e309",
    b"-0",
    b"NaN",
    b"inf",
    b"99999999999999999999",
    b"4294967296",
    b"18446744073709551616",
    b"-1",
    b"0",
    b"10",
    b"11",
    b"7,5",
    b"dix",
    b"N/A",
    b"2026-01-05",
    b"05/01/2026 10:00 PM",
    b"12/31/1969 12:00 AM",
    b"46027.5",
    b"T",
    b" ",
    b"PAR1",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"\xFF\xFF\xFF\xFF",
    b"\xFF\xFF\xFF\x7F",
    b"\x00\x00\x00\x80",
];

/// XML fragments for workbooks: cells far away, huge indexes and counts, odd types.
const XML_TOKENS: &[&[u8]] = &[
    b"<c r=\"XFD1048576\"><v>1</v></c>",
    b"<c r=\"A1048577\"><v>1</v></c>",
    b"<c r=\"ZZZZZZZ1\"><v>1</v></c>",
    b"<c r=\"A4294967296\"><v>1</v></c>",
    b"<c r=\"A0\"><v>1</v></c>",
    b"<row r=\"4294967295\">",
    b"<row r=\"0\">",
    b"<c t=\"s\"><v>4294967295</v></c>",
    b"<c t=\"s\"><v>-1</v></c>",
    b"<c s=\"1\"><v>-1e308</v></c>",
    b"<c s=\"1\"><v>2958466</v></c>",
    b"<c t=\"d\"><v>2026-13-45T99:99:99</v></c>",
    b"<c t=\"e\"><v>#N/A</v></c>",
    b"<c t=\"b\"><v>2</v></c>",
    b"<c t=\"inlineStr\"><is><t>x</t></is></c>",
    b"<c t=\"n\"><v>NaN</v></c>",
    b"<dimension ref=\"A1:XFD1048576\"/>",
    b" uniqueCount=\"99999999999999\"",
    b" count=\"18446744073709551615\"",
    b"<si><t>",
    b"</t></si>",
    b"&amp;",
    b"&#0;",
    b"&#x10FFFF;",
    b"&unknown;",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]>",
    b"</sheetData>",
    b"<sheetData>",
    b"<row>",
    b"</row>",
    b"<c>",
    b"</c>",
    b"<v>",
    b"</v>",
    b"r=\"",
    b"s=\"4294967295\"",
    b"numFmtId=\"14\"",
    b"<sheet name=\"\" sheetId=\"1\" r:id=\"rId1\"/>",
    b"<sheet name=\"Sheet1\" sheetId=\"2\" r:id=\"rId99\"/>",
    b"Target=\"../../../../etc/passwd\"",
    b"Target=\"/xl/worksheets/sheet1.xml\"",
];

/// Apply one random mutation to `data` (`other` is material for splicing).
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8], tokens: &[&[u8]]) {
    const MAX: usize = 3 << 20;
    let len = data.len();
    let pos =
        |rng: &mut Rng, len: usize| if rng.one_in(2) || len == 0 { rng.below(len + 1) } else { len - rng.small(len) };
    match rng.below(14) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let (i, any) = (rng.below(len), rng.below(256) as u8);
            data[i] = *rng.pick(&[0u8, 0x7F, 0x80, 0xFF, b'"', b',', b'\n', b'\r', b'0', b'9', any]);
        }
        2 | 3 => {
            let at = pos(rng, len);
            let tok = rng.pick(tokens);
            data.splice(at..at, tok.iter().copied());
        }
        4 => {
            let at = pos(rng, len);
            let n = rng.range(1, 16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.below(256) as u8).collect();
            data.splice(at..at, bytes);
        }
        5 if len > 0 => {
            let at = rng.below(len);
            let n = rng.small(len - at).max(1);
            data.drain(at..at + n);
        }
        6 if len > 0 => {
            // Duplicate a range, now and then many times over (long fields, many rows).
            let at = rng.below(len);
            let n = rng.small((len - at).min(1 << 16)).max(1);
            let times = if rng.one_in(8) { rng.small(4096).max(1) } else { 1 };
            let chunk = data[at..at + n].to_vec();
            let to = pos(rng, len);
            let mut ins = Vec::with_capacity(chunk.len() * times);
            for _ in 0..times {
                ins.extend_from_slice(&chunk);
                if ins.len() > MAX {
                    break;
                }
            }
            data.splice(to..to, ins);
        }
        7 if len > 0 => data.truncate(rng.below(len)),
        8 if !other.is_empty() => {
            let a = pos(rng, len);
            let b = rng.below(other.len());
            data.truncate(a);
            data.extend_from_slice(&other[b..b + rng.small(other.len() - b)]);
        }
        9 => {
            // A number at the edges in place of a run of digits.
            let starts: Vec<usize> =
                (0..len).filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit())).collect();
            if let Some(&s) = (!starts.is_empty()).then(|| rng.pick(&starts)) {
                let e = (s..len).find(|&i| !data[i].is_ascii_digit()).unwrap_or(len);
                let n: &[u8] = rng.pick::<&[u8]>(&[
                    &b"0"[..],
                    b"1",
                    b"12",
                    b"13",
                    b"255",
                    b"65535",
                    b"65536",
                    b"2147483647",
                    b"4294967295",
                    b"4294967296",
                    b"9223372036854775807",
                    b"99999999999999999999999",
                ]);
                data.splice(s..e, n.iter().copied());
            }
        }
        10 => {
            // A run of one token.
            let at = pos(rng, len);
            let tok = rng.pick(tokens);
            let times = rng.small(1 << 14).max(1);
            let run: Vec<u8> = tok.iter().copied().cycle().take(tok.len() * times).collect();
            data.splice(at..at, run);
        }
        11 if len > 1 => {
            // Swap two bytes' values everywhere (',' for ';', '\n' for '\r', ...).
            let (a, b) = (data[rng.below(len)], data[rng.below(len)]);
            for x in data.iter_mut() {
                if *x == a {
                    *x = b;
                } else if *x == b {
                    *x = a;
                }
            }
        }
        12 if len > 3 => {
            // Overwrite 1, 2, 4 or 8 bytes with an extreme little- or big-endian value.
            let w = *rng.pick(&[1usize, 2, 4, 8]).min(&len);
            let at = rng.below(len - w + 1);
            let v: u64 = *rng.pick(&[0, 1, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0xFFFF_FFFF, u64::MAX, 1 << 40]);
            let bytes = if rng.one_in(2) { v.to_le_bytes() } else { v.to_be_bytes() };
            data[at..at + w].copy_from_slice(&bytes[..w]);
        }
        _ => {
            let at = pos(rng, len);
            data.insert(at.min(data.len()), rng.below(256) as u8);
        }
    }
    data.truncate(MAX);
}

// ---------------------------------------------------------------------------------------
// Generators: plausible survey exports, then the ways real files go wrong.

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Score,
    Comment,
    Id,
    Date,
    Segment,
    Number,
    Contact,
    Junk,
    Empty,
}

const KINDS: [Kind; 9] = [
    Kind::Score,
    Kind::Comment,
    Kind::Id,
    Kind::Date,
    Kind::Segment,
    Kind::Number,
    Kind::Contact,
    Kind::Junk,
    Kind::Empty,
];

fn header_name(rng: &mut Rng, kind: Kind) -> String {
    let pool: &[&str] = match kind {
        Kind::Score => &[
            "NPS",
            "Q1",
            "score",
            "Score",
            "Note",
            "note_a",
            "Likelihood to recommend",
            "How likely are you to recommend us to a friend?",
            "Note de recommandation",
            "Probabilité de recommander",
            "LTR",
            "rating",
            "Wahrscheinlichkeit",
            "nps_score",
            "NPS Group",
            "Q1_NPS_GROUP",
        ],
        Kind::Comment => &[
            "comment",
            "Commentaire",
            "Why?",
            "Q2",
            "What is the main reason for your score?",
            "feedback",
            "Verbatim",
            "Pourquoi ?",
            "text",
            "Q2_TEXT",
        ],
        Kind::Id => &["ResponseId", "Response ID", "id", "#", "Respondent ID", "Identifiant", "_recordId", "token"],
        Kind::Date => &[
            "RecordedDate",
            "StartDate",
            "EndDate",
            "date",
            "Date de réponse",
            "Submitted At",
            "Timestamp",
            "created_at",
            "Horodatage",
        ],
        Kind::Segment => &["Channel", "Canal", "Region", "Région", "Pays", "Plan", "Offre", "Segment", "Store", "Team"],
        Kind::Number => &["Progress", "Duration (in seconds)", "Finished", "Status", "age", "Collector ID"],
        Kind::Contact => &["Email", "Phone", "Nom", "Customer ID", "account", "RecipientEmail"],
        Kind::Junk | Kind::Empty => &[
            "",
            " ",
            "a",
            "a_2",
            "score_2",
            "column_1",
            "column_2",
            "ÉÈ",
            "\u{FEFF}id",
            "=SUM(A1)",
            "\"quoted\"",
            "x\ny",
            "日本語",
            "a,b",
            "\t",
            "\0",
        ],
    };
    let mut s = rng.pick(pool).to_string();
    if rng.one_in(10) {
        s = format!(" {s} ");
    }
    s
}

const WORDS: &[&str] = &[
    "très",
    "déçu",
    "trop",
    "cher",
    "service",
    "impeccable",
    "merci",
    "the",
    "app",
    "keeps",
    "crashing",
    "but",
    "support",
    "was",
    "great",
    "livraison",
    "rapide",
    "facture",
    "fausse",
    "RAS",
    "ok",
    "😀",
    "naïve",
    "Ærø",
    "日本",
    "ß",
    "price",
    "slow",
    "bien",
    "€",
    "l'appli",
    "n'a",
    "\u{a0}",
    "\u{2028}",
    "\u{202e}",
    "ﬁ",
    "Ω",
];
const PUNCT: &[&str] = &[",", ";", "\"", "\n", "\r\n", "\t", "|", "'", "!", "?", "...", "\"\"", "  ", "\r", "\0", "\\"];

fn comment(rng: &mut Rng) -> String {
    if rng.one_in(6) {
        return String::new();
    }
    let n = if rng.one_in(200) { rng.range(1000, 4000) } else { rng.range(1, 25) };
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick::<&str>(WORDS));
        if rng.one_in(6) {
            s.push_str(rng.pick::<&str>(PUNCT));
        }
    }
    s
}

fn date(rng: &mut Rng) -> String {
    let (y, m, d) = match rng.below(8) {
        0 => (rng.below(10_000), rng.below(100), rng.below(100)),
        1 => (rng.range(0, 99), rng.range(1, 12), rng.range(1, 31)),
        _ => (rng.range(2020, 2027), rng.range(1, 12), rng.range(1, 31)),
    };
    let (h, mi, s) = (rng.below(25), rng.below(61), rng.below(61));
    let sep = *rng.pick(&['-', '/', '.']);
    let time = match rng.below(8) {
        0 => format!(" {h}:{mi:02}"),
        1 => format!(" {}:{mi:02}:{s:02} {}", h % 13, rng.pick(&["AM", "PM", "am", "pm"])),
        2 => format!("T{h:02}:{mi:02}:{s:02}Z"),
        3 => format!("T{h:02}:{mi:02}:{s:02}{}", rng.pick(&["+01:00", "-0500", ".123Z", "+", "-", ".5"])),
        4 => format!(" {h:02}:{mi:02}:{s:02}"),
        _ => String::new(),
    };
    match rng.below(12) {
        0..=3 => format!("{y:04}{sep}{m:02}{sep}{d:02}{time}"),
        4..=5 => format!("{d:02}{sep}{m:02}{sep}{y:04}{time}"),
        6 => format!("{m}{sep}{d}{sep}{y}{time}"),
        7 => format!("{d}{sep}{m}{sep}{:02}{time}", y % 100),
        8 => format!("{}", rng.range(19_000, 81_000) as f64 + rng.below(1000) as f64 / 1000.0),
        9 => rng
            .pick(&[
                "31/02/2026",
                "2026-13-01",
                "0000-00-00",
                "9999-12-31T23:59:59",
                "99/99/9999 99:99:99 PM",
                "1/2",
                "2026-01-05T",
                "T",
                " ",
                "2026/01/05 25:61:61",
                "2026-01-05 10:00:00+",
                "12/31/1969",
                "01.02.03",
                "-1/-1/-1",
                "1//2026",
                "2026-01-05T10:00:00.999999999999Z",
                "2026-01-05 1e10:00",
                "2026-01-05 12:00:-5",
                "2026-01-05 12:00:inf",
                "2026-01-05 12:00:NaN PM",
                "2026-01-05 4294967295:00",
                "20000",
                "80000",
                "8e4",
                "2e4",
                "-46027",
                "NaN",
                "pas une date",
                "2026-01-05\u{a0}10:00",
                "２０２６-01-05",
            ])
            .to_string(),
        10 => format!("{date}{time}", date = ["", "/", "-", "."][rng.below(4)].repeat(rng.below(4))),
        _ => format!("{y}{sep}{m}{sep}{d}{time}"),
    }
}

fn value(rng: &mut Rng, kind: Kind, row: usize) -> String {
    match kind {
        Kind::Score => {
            if rng.below(10) < 7 {
                rng.below(11).to_string()
            } else {
                rng.pick(&[
                    "7,5",
                    "7.5",
                    "dix",
                    "11",
                    "N/A",
                    "",
                    "-1",
                    " 9 ",
                    "9.0",
                    "10,0",
                    "1e1",
                    "NaN",
                    "inf",
                    "-0",
                    "Promoter",
                    "Detractor",
                    "99999999999999999999",
                    "0x9",
                    "９",
                    "1e309",
                    "+5",
                    "5 ",
                    "\t8",
                ])
                .to_string()
            }
        }
        Kind::Comment => comment(rng),
        Kind::Id => match rng.below(6) {
            0 => row.to_string(),
            1 => format!("R_{}", rng.below(50)),
            2 => String::new(),
            _ => format!("R_{row:06x}{}", rng.below(1000)),
        },
        Kind::Date => date(rng),
        Kind::Segment => {
            rng.pick(&["Email", "App", "Web", "Île-de-France", "Bretagne", "", "N/A", "promoter", "10"]).to_string()
        }
        Kind::Number => match rng.below(4) {
            0 => rng.below(101).to_string(),
            1 => format!("{}", rng.next() as i64),
            2 => format!("{:e}", f64::from_bits(rng.next())),
            _ => "1".into(),
        },
        Kind::Contact => format!("user{}@example.org", rng.below(100)),
        Kind::Junk => {
            let n = rng.small(40);
            (0..n).map(|_| char::from_u32(rng.below(0x800) as u32).unwrap_or('?')).collect()
        }
        Kind::Empty => {
            if rng.one_in(20) {
                "x".into()
            } else {
                String::new()
            }
        }
    }
}

/// A survey as rows of cells, header rows included: plain, Qualtrics (3 header rows) or
/// SurveyMonkey (2). `target`: stop adding rows past this many bytes of cells.
fn gen_table(rng: &mut Rng, target: Option<usize>) -> Vec<Vec<String>> {
    let ncols = match (target, rng.below(25)) {
        (Some(_), _) => rng.range(3, 12),
        (None, 0) => rng.range(100, 3000),
        (None, 1) => 1,
        _ => rng.range(2, 12),
    };
    let mut kinds: Vec<Kind> = (0..ncols).map(|_| *rng.pick(&KINDS)).collect();
    if rng.below(5) < 4 {
        let i = rng.below(ncols);
        kinds[i] = Kind::Score;
    }
    let mut names: Vec<String> = kinds.iter().map(|&k| header_name(rng, k)).collect();
    if rng.one_in(6) && ncols > 1 {
        let (a, b) = (rng.below(ncols), rng.below(ncols));
        names[a] = names[b].clone();
    }
    let mut rows = Vec::new();
    match rng.below(6) {
        0 => {
            // Qualtrics: names, question texts, ImportId JSON.
            rows.push(
                (0..ncols).map(|i| if rng.one_in(3) { format!("Q{}", i + 1) } else { names[i].clone() }).collect(),
            );
            rows.push(
                names.iter().map(|n| if rng.one_in(4) { String::new() } else { format!("{n} - question?") }).collect(),
            );
            rows.push(
                (0..ncols)
                    .map(|i| match rng.below(6) {
                        0 => format!("{{'ImportId':'QID{i}'}}"),
                        1 => String::new(),
                        2 => r#"{"ImportId":"#.into(),
                        _ => format!(r#"{{"ImportId":"QID{i}_TEXT","timeZone":"Europe/Paris"}}"#),
                    })
                    .collect(),
            );
        }
        1 => {
            // SurveyMonkey: question over its first sub-column, sub-headers below.
            rows.push(names.iter().map(|n| if rng.one_in(3) { String::new() } else { n.clone() }).collect());
            rows.push(
                (0..ncols)
                    .map(|_| {
                        rng.pick(&[
                            "Response",
                            "Open-Ended Response",
                            "Réponse",
                            "Other (please specify)",
                            "",
                            "Basic",
                            "Pro",
                            "9",
                        ])
                        .to_string()
                    })
                    .collect(),
            );
        }
        _ => rows.push(names),
    }
    let nrows = match (target, rng.below(12)) {
        (Some(_), _) => usize::MAX,
        (None, 0) => 0,
        (None, 1) => rng.range(200, 1500),
        _ => rng.range(1, 30),
    };
    let wide = ncols > 50;
    let mut bytes = 0;
    for r in 0..nrows {
        let mut row: Vec<String> =
            kinds.iter().map(|&k| if wide && rng.below(4) > 0 { String::new() } else { value(rng, k, r) }).collect();
        match rng.below(30) {
            0 => row.truncate(rng.below(ncols + 1)),
            1 => row.push(comment(rng)),
            _ => {}
        }
        if rng.one_in(40) && r > 0 {
            row = rows[rows.len() - 1].clone(); // a resubmitted response
        }
        bytes += row.iter().map(|c| c.len() + 1).sum::<usize>();
        rows.push(row);
        if target.is_some_and(|t| bytes >= t) || (target.is_none() && bytes > 1 << 18) {
            break;
        }
    }
    rows
}

/// Cells to delimited text: any delimiter (now and then several), quoting right, always,
/// never or broken, any line end, then any encoding.
fn render_delimited(rng: &mut Rng, rows: &[Vec<String>]) -> Vec<u8> {
    let delims = [',', ';', '\t', '|'];
    let d = *rng.pick(&delims);
    let mixed = rng.one_in(20);
    let quoting = rng.below(10);
    let nl = *rng.pick(&["\n", "\n", "\r\n", "\r\n", "\r"]);
    let mut s = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                s.push(if mixed { *rng.pick(&delims) } else { d });
            }
            let needs = cell.contains(d) || cell.contains('"') || cell.contains('\n') || cell.contains('\r');
            match quoting {
                7 => s.push_str(&format!("\"{}\"", cell.replace('"', "\"\""))),
                8 => s.push_str(cell),
                9 if rng.one_in(5) => s.push_str(&format!("\"{cell}")),
                _ if needs => s.push_str(&format!("\"{}\"", cell.replace('"', "\"\""))),
                _ => s.push_str(cell),
            }
        }
        s.push_str(if rng.one_in(50) { rng.pick::<&str>(&["\n", "\r\n", "\r", "\n\n", "\r\n\r\n"]) } else { nl });
    }
    if rng.one_in(4) {
        s.truncate(s.trim_end_matches(['\r', '\n']).len());
    }
    encode(rng, &s)
}

fn encode(rng: &mut Rng, s: &str) -> Vec<u8> {
    let utf16 = |s: &str, le: bool| -> Vec<u8> {
        s.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }).collect()
    };
    match rng.below(14) {
        0..=4 => s.as_bytes().to_vec(),
        5 => [b"\xEF\xBB\xBF".as_slice(), s.as_bytes()].concat(),
        6 => [b"\xFF\xFE".to_vec(), utf16(s, true)].concat(),
        7 => [b"\xFE\xFF".to_vec(), utf16(s, false)].concat(),
        8 => utf16(s, true),
        9 => utf16(s, false),
        10 | 11 => encoding_rs::WINDOWS_1252.encode(s).0.into_owned(),
        12 => s.chars().map(|c| if (c as u32) < 256 { c as u32 as u8 } else { b'?' }).collect(),
        _ => {
            let mut b = s.as_bytes().to_vec();
            for _ in 0..rng.range(1, 4) {
                let at = rng.below(b.len() + 1);
                b.insert(at, *rng.pick(&[0x80, 0xC3, 0xFF, 0xE9, 0xF0]));
            }
            b
        }
    }
}

fn gen_text_export(rng: &mut Rng, big: bool) -> Vec<u8> {
    let rows = gen_table(rng, big.then_some(1 << 20));
    render_delimited(rng, &rows)
}

fn gen_header_rows(rng: &mut Rng, big: bool) -> Vec<u8> {
    let mut rows = gen_table(rng, big.then_some(1 << 20));
    if !big {
        rows.truncate(4);
    }
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for r in &rows {
        w.write_record(r).expect("write to memory");
    }
    w.into_inner().expect("write to memory")
}

/// A survey export in UTF-8 CSV (column detection is about the values, not the bytes).
fn gen_survey_csv(rng: &mut Rng, big: bool) -> Vec<u8> {
    let rows = gen_table(rng, big.then_some(1 << 20));
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for r in &rows {
        w.write_record(r).expect("write to memory");
    }
    w.into_inner().expect("write to memory")
}

fn gen_dates(rng: &mut Rng, big: bool) -> Vec<u8> {
    let n = if big { usize::MAX } else { rng.range(1, 30) };
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(&date(rng));
        s.push('\n');
        if s.len() > if big { 1 << 20 } else { 1 << 16 } {
            break;
        }
    }
    s.into_bytes()
}

fn json_value(rng: &mut Rng, depth: usize) -> serde_json::Value {
    use serde_json::Value;
    match rng.below(if depth > 3 { 7 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => Value::from(rng.below(11)),
        3 => Value::from(rng.next() as i64),
        4 => serde_json::Number::from_f64(f64::from_bits(rng.next())).map_or(Value::Null, Value::Number),
        5 => Value::String(comment(rng)),
        6 => Value::String(date(rng)),
        7 => Value::Array((0..rng.below(4)).map(|_| json_value(rng, depth + 1)).collect()),
        _ => Value::Object(
            (0..rng.below(4)).map(|_| (header_name(rng, Kind::Junk), json_value(rng, depth + 1))).collect(),
        ),
    }
}

fn gen_ndjson(rng: &mut Rng, big: bool) -> Vec<u8> {
    let kinds: Vec<Kind> = (0..rng.range(1, 10)).map(|_| *rng.pick(&KINDS)).collect();
    let names: Vec<String> = kinds.iter().map(|&k| header_name(rng, k)).collect();
    let nl = *rng.pick(&["\n", "\r\n"]);
    let mut s = String::new();
    if rng.one_in(10) {
        s.push('\u{FEFF}');
    }
    let n = if big { usize::MAX } else { rng.range(0, 30) };
    for r in 0..n {
        let mut obj = serde_json::Map::new();
        for (k, name) in kinds.iter().zip(&names) {
            if rng.one_in(8) {
                continue;
            }
            let v = match rng.below(5) {
                0 => json_value(rng, 0),
                1 if *k == Kind::Score => serde_json::Value::from(rng.below(11)),
                _ => serde_json::Value::String(value(rng, *k, r)),
            };
            obj.insert(name.clone(), v);
        }
        if rng.one_in(10) {
            obj.insert(format!("extra_{}", rng.below(1000)), json_value(rng, 0));
        }
        let line = match rng.below(30) {
            0 => "[1,2,3]".to_string(),
            1 => String::new(),
            2 => "{\"a\": ".to_string(),
            3 => "\"just a string\"".to_string(),
            _ => serde_json::Value::Object(obj).to_string(),
        };
        s.push_str(&line);
        s.push_str(nl);
        if s.len() > if big { 1 << 20 } else { 1 << 16 } {
            break;
        }
    }
    encode(rng, &s)
}

/// Hostile text inputs of about 1 MiB: runs of one byte, a header 16,000 columns wide over
/// one-field rows, one endless quoted field, deep JSON, random bytes.
fn text_big(rng: &mut Rng) -> Vec<Vec<u8>> {
    const MB: usize = 1 << 20;
    let run = |s: &[u8]| -> Vec<u8> { s.iter().copied().cycle().take(MB).collect() };
    let mut wide_header = "a,".repeat(16_000).into_bytes();
    wide_header.push(b'\n');
    wide_header.extend(run(b"x\n").iter().take(MB - wide_header.len()));
    let mut wide_json = Vec::new();
    for i in 0..60_000 {
        wide_json.extend_from_slice(format!("{{\"k{i}\":1}}\n").as_bytes());
    }
    wide_json.truncate(MB);
    let mut endless = b"id,comment\n1,\"".to_vec();
    endless.extend(run(b"x"));
    vec![
        run(b"\""),
        run(b",;\t|"),
        run(b"\r"),
        run(b"\n"),
        run(b"\0"),
        run(b"{"),
        run(b"["),
        run(b"0"),
        run(b"1/1/1 "),
        run(b"{\"a\":1}\n"),
        wide_header,
        wide_json,
        endless,
        (0..MB).map(|_| rng.below(256) as u8).collect(),
        [b"\xFF\xFE".as_slice(), &(0..MB).map(|_| rng.below(256) as u8).collect::<Vec<u8>>()].concat(),
    ]
}

// ---------------------------------------------------------------------------------------
// Workbooks: built part by part (so that the XML itself can be mutated), then zipped.

fn col_name(mut c: usize) -> String {
    let mut s = Vec::new();
    c += 1;
    while c > 0 {
        c -= 1;
        s.push(b'A' + (c % 26) as u8);
        c /= 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xlsx_parts(rng: &mut Rng, rows: &[Vec<String>]) -> Vec<(String, Vec<u8>)> {
    let mut strings: Vec<String> = Vec::new();
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
    );
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if rng.one_in(2) && width > 0 {
        sheet.push_str(&format!(r#"<dimension ref="A1:{}{}"/>"#, col_name(width - 1), rows.len()));
    }
    sheet.push_str("<sheetData>");
    let refs = !rng.one_in(5);
    let offset = if rng.one_in(5) { rng.below(5) } else { 0 };
    for (r, row) in rows.iter().enumerate() {
        let rn = r + 1 + offset;
        if refs {
            sheet.push_str(&format!(r#"<row r="{rn}">"#));
        } else {
            sheet.push_str("<row>");
        }
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() && rng.below(4) > 0 {
                continue;
            }
            let at = if refs { format!(r#" r="{}{rn}""#, col_name(c)) } else { String::new() };
            let num = cell.trim().parse::<f64>().ok().filter(|f| f.is_finite());
            match (num, rng.below(4)) {
                (Some(f), 0) if (20_000.0..80_000.0).contains(&f) => {
                    sheet.push_str(&format!(r#"<c{at} s="1"><v>{f}</v></c>"#))
                }
                (Some(f), 0..=2) => sheet.push_str(&format!(r#"<c{at}><v>{f}</v></c>"#)),
                (_, 0) => sheet.push_str(&format!(
                    r#"<c{at} t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                    xml_escape(cell)
                )),
                (_, 1) => sheet.push_str(&format!(r#"<c{at} t="str"><v>{}</v></c>"#, xml_escape(cell))),
                _ => {
                    strings.push(cell.clone());
                    sheet.push_str(&format!(r#"<c{at} t="s"><v>{}</v></c>"#, strings.len() - 1));
                }
            }
        }
        if rng.one_in(40) {
            sheet.push_str(&format!(r#"<c r="A{rn}" t="b"><v>1</v></c><c t="e"><v>#DIV/0!</v></c>"#));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">"#,
        n = strings.len()
    );
    for s in &strings {
        sst.push_str(&format!(r#"<si><t xml:space="preserve">{}</t></si>"#, xml_escape(s)));
    }
    sst.push_str("</sst>");
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let name = if rng.one_in(10) { "Feuil1 &amp; co" } else { "Sheet1" };
    vec![
        (
            "[Content_Types].xml".into(),
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#.to_vec(),
        ),
        (
            "_rels/.rels".into(),
            format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes(),
        ),
        (
            "xl/workbook.xml".into(),
            format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" xmlns:r="{rel}"><workbookPr/><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>"#).into_bytes(),
        ),
        (
            "xl/styles.xml".into(),
            format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{main}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\ hh:mm"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#).into_bytes(),
        ),
        ("xl/sharedStrings.xml".into(), sst.into_bytes()),
        ("xl/worksheets/sheet1.xml".into(), sheet.into_bytes()),
    ]
}

/// A zip archive of `parts`, stored (not compressed), as a minimal writer makes it.
fn zip_stored(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in parts {
        let crc = crc32(data);
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u32.to_le_bytes()); // time, date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0u8; 6]); // comment length, disk, internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *e = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8))
}

/// A workbook from a generated survey; half the time with its XML mutated before zipping.
fn gen_xlsx(rng: &mut Rng, big: bool) -> Vec<u8> {
    let rows = gen_table(rng, big.then_some(300_000));
    let mut parts = xlsx_parts(rng, &rows);
    if rng.one_in(2) {
        for _ in 0..rng.range(1, 6) {
            let p = if rng.one_in(2) { parts.len() - 1 } else { rng.below(parts.len()) };
            let other = parts[rng.below(parts.len())].1.clone();
            let tokens = if rng.one_in(3) { BYTE_TOKENS } else { XML_TOKENS };
            mutate(rng, &mut parts[p].1, &other, tokens);
        }
    }
    if rng.one_in(20) {
        parts.remove(rng.below(parts.len()));
    }
    zip_stored(&parts)
}

/// Workbooks as Excel-like writers make them (deflated), for byte-level mutation.
fn xlsx_seeds() -> Vec<Vec<u8>> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut out = Vec::new();
    for n in [0usize, 1, 5, 40] {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
        for (c, h) in ["Response ID", "Date", "Likelihood to recommend", "Comment", "Channel"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).expect("write a header");
        }
        for i in 0..n {
            let row = i as u32 + 1;
            ws.write_string(row, 0, format!("R_{i}")).expect("write");
            let d = ExcelDateTime::from_ymd(2026, 1, 1 + (i % 28) as u8).expect("a date");
            ws.write_datetime_with_format(row, 1, &d, &date_fmt).expect("write");
            ws.write_number(row, 2, (i % 11) as f64).expect("write");
            ws.write_string(row, 3, ["Très déçu", "Parfait", "slow app, \"bad\""][i % 3]).expect("write");
            ws.write_string(row, 4, ["Email", "App"][i % 2]).expect("write");
        }
        out.push(wb.save_to_buffer().expect("an xlsx in memory"));
    }
    let mut rng = Rng::new(7);
    for _ in 0..4 {
        let rows = gen_table(&mut rng, None);
        out.push(zip_stored(&xlsx_parts(&mut rng, &rows)));
    }
    out
}

fn xlsx_big(rng: &mut Rng) -> Vec<Vec<u8>> {
    // Two cells, far apart: a range of 17 billion cells if read densely.
    let corners = vec![vec!["score".to_string()], vec!["9".to_string()]];
    let mut far = xlsx_parts(rng, &corners);
    let sheet = far.last_mut().expect("a sheet");
    let xml = String::from_utf8(sheet.1.clone()).expect("UTF-8");
    sheet.1 = xml
        .replace("</sheetData>", r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>"#)
        .into_bytes();
    let mut huge_sst = xlsx_parts(rng, &corners);
    for p in &mut huge_sst {
        if p.0 == "xl/sharedStrings.xml" {
            p.1 = String::from_utf8(p.1.clone())
                .expect("UTF-8")
                .replace("uniqueCount=\"", "uniqueCount=\"99999999999")
                .into_bytes();
        }
    }
    let mut long_row = xlsx_parts(rng, &corners);
    let sheet = long_row.last_mut().expect("a sheet");
    let cells: String = (0..40_000).map(|c| format!(r#"<c r="{}2"><v>{c}</v></c>"#, col_name(c % 16384))).collect();
    sheet.1 = String::from_utf8(sheet.1.clone())
        .expect("UTF-8")
        .replace("</sheetData>", &format!("<row>{cells}</row></sheetData>"))
        .into_bytes();
    vec![
        zip_stored(&far),
        zip_stored(&huge_sst),
        zip_stored(&long_row),
        (0..1 << 20).map(|_| rng.below(256) as u8).collect(),
        [b"PK\x03\x04".as_slice(), &(0..1 << 20).map(|_| rng.below(256) as u8).collect::<Vec<u8>>()].concat(),
    ]
}

// ---------------------------------------------------------------------------------------
// Parquet: written by Polars with every codec, row groups and page sizes, then mutated.

fn gen_parquet(rng: &mut Rng, big: bool) -> Vec<u8> {
    let n = if big { 40_000 } else { rng.small(300) };
    let ncols = rng.range(1, 8);
    let mut columns: Vec<Column> = Vec::new();
    let mut used = std::collections::HashSet::new();
    for c in 0..ncols {
        let kind = *rng.pick(&KINDS);
        // Polars refuses repeated names: suffix until unique (the pool has "a_2" too).
        let mut name = header_name(rng, kind);
        while !used.insert(name.clone()) {
            name = format!("{name}_{c}");
        }
        let null = |rng: &mut Rng| rng.one_in(10);
        let s = match rng.below(6) {
            0 => {
                let v: Vec<Option<String>> = (0..n).map(|r| (!null(rng)).then(|| value(rng, kind, r))).collect();
                Series::new(name.as_str().into(), v)
            }
            1 => {
                let v: Vec<Option<i64>> =
                    (0..n).map(|_| (!null(rng)).then(|| rng.next() as i64 >> rng.below(64))).collect();
                Series::new(name.as_str().into(), v)
            }
            2 => {
                let v: Vec<Option<f64>> = (0..n).map(|_| (!null(rng)).then(|| f64::from_bits(rng.next()))).collect();
                Series::new(name.as_str().into(), v)
            }
            3 => {
                let v: Vec<Option<bool>> = (0..n).map(|_| (!null(rng)).then(|| rng.one_in(2))).collect();
                Series::new(name.as_str().into(), v)
            }
            4 => {
                let v: Vec<Option<i32>> = (0..n).map(|_| (!null(rng)).then(|| rng.range(0, 40_000) as i32)).collect();
                Series::new(name.as_str().into(), v).cast(&DataType::Date).expect("days to dates")
            }
            _ => {
                let v: Vec<Option<i32>> = (0..n).map(|_| (!null(rng)).then(|| rng.below(11) as i32)).collect();
                Series::new(name.as_str().into(), v)
            }
        };
        columns.push(s.into_column());
    }
    let mut df = DataFrame::new(n, columns).expect("columns of one height");
    let compression = match rng.below(6) {
        0 => ParquetCompression::Uncompressed,
        1 => ParquetCompression::Snappy,
        2 => ParquetCompression::Gzip(None),
        3 => ParquetCompression::Brotli(None),
        4 => ParquetCompression::Lz4Raw,
        _ => ParquetCompression::Zstd(None),
    };
    let stats = if rng.one_in(2) { StatisticsOptions::full() } else { StatisticsOptions::empty() };
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(compression)
        .with_statistics(stats)
        .with_row_group_size(Some(rng.range(1, 2000)))
        .with_data_page_size(Some(rng.range(64, 1 << 16)))
        .finish(&mut df)
        .expect("write parquet");
    buf
}

fn parquet_seeds() -> Vec<Vec<u8>> {
    let mut rng = Rng::new(11);
    (0..24).map(|_| gen_parquet(&mut rng, false)).collect()
}

fn parquet_big(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut footer_len = gen_parquet(rng, false);
    let n = footer_len.len();
    footer_len[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let random: Vec<u8> = (0..1 << 20).map(|_| rng.below(256) as u8).collect();
    vec![footer_len, [b"PAR1".as_slice(), &random, b"PAR1"].concat(), random]
}
