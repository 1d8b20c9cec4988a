//! Raw encoder throughput with the real default model: texts in, embeddings out, no
//! dedupe and no cache (what `benches/bench_encoder.sh` compares with Python
//! sentence-transformers and Python onnxruntime on the same weights).
//!
//!   cargo bench --bench encoder -- --texts FILE [--threads N] [--batch-tokens N] [--precision int8|fp32]
//!       [--model DIR] [--device cpu|cuda]
//!
//! Prints one JSON line: texts, tokens, seconds, texts_per_s, tokens_per_s. Without
//! --texts it encodes 1,000 built-in comments. Needs models/ (the README's setup command).

use std::path::PathBuf;
use std::time::Instant;

use verbatim::cli::resolve::find_ort_library;
use verbatim::infer::{ort::OrtBackend, Encoder, TextTokenizer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let threads: usize = value("--threads").map_or(2, |v| v.parse().expect("--threads N"));
    let batch_tokens: usize = value("--batch-tokens").map_or(1024, |v| v.parse().expect("--batch-tokens N"));
    let precision = value("--precision").unwrap_or_else(|| "fp32".into());
    // cuda: a build with `--features cuda` and a CUDA-enabled ONNX Runtime (ORT_DYLIB_PATH).
    let cuda = value("--device").is_some_and(|d| d == "cuda");
    let graph = match precision.as_str() {
        "fp32" => "model.onnx",
        "int8" => "model-int8.onnx",
        other => panic!("--precision int8|fp32, not {other}"),
    };
    let texts: Vec<String> = match value("--texts") {
        Some(f) => std::fs::read_to_string(&f).expect("read --texts").lines().map(str::to_string).collect(),
        None => (0..1000)
            .map(|i| {
                ["Très bien", "Le service client est injoignable, inadmissible.", "Great app but too expensive"][i % 3]
                    .to_string()
                    + &" merci".repeat(i % 7)
            })
            .collect(),
    };
    let model = value("--model")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/multilingual-e5-small"), PathBuf::from);
    if !model.join(graph).is_file() {
        eprintln!("encoder bench skipped: {} missing (run scripts/setup.sh)", model.display());
        return;
    }
    let lib = find_ort_library(&model).expect("onnxruntime library");
    let backend = OrtBackend::new(&lib, &model.join(graph), threads, cuda, 384).expect("load model");
    let mut enc = Encoder {
        tokenizer: TextTokenizer::from_file(&model.join("tokenizer.json"), 512).unwrap(),
        backend: Box::new(backend),
        batch_tokens,
        prefix: "query: ".into(),
    };
    // Warm-up: first-run allocations and kernel selection.
    enc.encode(&texts[..texts.len().min(64)], &mut |_| {}).unwrap();
    let t = Instant::now();
    let (_, stats) = enc.encode(&texts, &mut |_| {}).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{{\"impl\": \"verbatim raw encoder {precision} (Rust, ort {}, token budget {batch_tokens})\", \"texts\": {}, \"tokens\": {}, \
         \"padded_tokens\": {}, \"seconds\": {s:.3}, \"texts_per_s\": {:.1}, \"tokens_per_s\": {:.0}}}",
        if cuda { "CUDA".to_string() } else { format!("{threads} threads") },
        stats.texts,
        stats.tokens,
        stats.padded_tokens,
        stats.texts as f64 / s,
        stats.tokens as f64 / s
    );
}
