//! Ingest + NPS throughput (criterion): a generated CSV read, mapped, validated and counted,
//! in process. Whole-binary figures for 1,000,000 rows (wall time and peak memory) come from
//! `benches/bench_nps.sh`; both are recorded in BENCHMARKS.md.

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use verbatim::ingest::{read_input, ReadOptions};
use verbatim::schema::{dates::Period, detect, MappingOverrides};
use verbatim::validate::validate;

/// A deterministic export: id, date, score, comment, two segments.
fn generate(rows: usize) -> Vec<u8> {
    let comments = [
        "Très bien",
        "Le service client est injoignable depuis trois semaines, inadmissible.",
        "",
        "Great app, but the price went up again",
        "RAS",
        "Livraison rapide; par contre la facture est fausse",
    ];
    let mut out = Vec::with_capacity(rows * 80);
    writeln!(out, "Response ID,Submitted At,Likelihood to recommend,Comment,Channel,Plan").unwrap();
    let mut x: u64 = 42;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let day = 1 + (x % 28);
        let month = 1 + (x >> 8) % 12;
        writeln!(
            out,
            "R{i},{day:02}/{month:02}/2026 10:{:02},{},\"{}\",{},{}",
            x % 60,
            x % 11,
            comments[(x >> 16) as usize % comments.len()],
            ["Email", "App", "Web"][(x >> 20) as usize % 3],
            ["Basic", "Pro"][(x >> 24) as usize % 2]
        )
        .unwrap();
    }
    out
}

fn bench(c: &mut Criterion) {
    let rows = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, generate(rows)).unwrap();
    let mut g = c.benchmark_group("ingest_nps");
    g.sample_size(10);
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("csv_100k_rows_to_nps_rows", |b| {
        b.iter(|| {
            let table = read_input(&path, &ReadOptions::default()).unwrap();
            let mapping = detect(&table, &MappingOverrides::default()).unwrap();
            let (r, _, _) = validate(std::slice::from_ref(&table), &[mapping], Period::Week);
            let period = verbatim::nps::Key { name: "period", codes: &r.period.codes, labels: &r.period.labels };
            let segs: Vec<_> = r
                .segments
                .iter()
                .map(|(n, s)| verbatim::nps::Key { name: n, codes: &s.codes, labels: &s.labels })
                .collect();
            verbatim::nps::nps_table(&r.score, period, &segs).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
