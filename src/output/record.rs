//! run.json: the record of a run (inputs with their checksums and mappings, counts,
//! configuration, models, what the encoder did, seconds per stage).

use serde_json::json;

use crate::config::{InputConfig, OptionsRecord, RunConfig};
use crate::pipeline::{Analysis, Input, Timings};

/// run.json of a command over `input`; `extra`'s keys are added at the top level.
///
/// `config` holds every option's effective value, keyed as in a config file (from
/// `options`; the period and `strict` at least), and `config_file` the `--config` file
/// read, with its sha256 and the keys taken from it (null without one).
pub fn run_json(
    command: &str,
    input: &Input,
    cfg: &InputConfig,
    options: &OptionsRecord,
    timings: &Timings,
    extra: serde_json::Value,
) -> serde_json::Value {
    let inputs: Vec<_> = input
        .tables
        .iter()
        .zip(&input.mappings)
        .map(|(t, m)| {
            json!({
                "path": t.path.display().to_string(),
                "sha256": t.sha256,
                "format": t.format,
                "rows": t.n_rows() + t.malformed.len(),
                "mapping": m,
            })
        })
        .collect();
    let mut config = serde_json::Map::new();
    config.insert("period".into(), json!(cfg.period));
    config.insert("strict".into(), json!(cfg.strict));
    config.extend(options.options.clone());
    let mut v = json!({
        "verbatim_version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "inputs": inputs,
        "counts": input.counts,
        "counts_reconcile": input.counts.reconciles(),
        "warnings": input.warnings,
        "config": config,
        "config_file": options.file,
        "timings_seconds": timings.as_map(),
    });
    if let (Some(obj), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
        obj.extend(extra);
    }
    v
}

/// What `verbatim run` adds to run.json: the models used, the encode report, the thread
/// and batch settings.
pub fn run_extra(a: &Analysis, cfg: &RunConfig) -> serde_json::Value {
    let enc = &cfg.encoder;
    let model = &a.models.encoder;
    json!({
        "models": [{
            "name": model.name,
            "dir": enc.model_dir.display().to_string(),
            "graph": enc.graph.file_name().map(|n| n.to_string_lossy().into_owned()),
            "precision": enc.precision,
            "model_sha256": model.onnx_sha256,
            "tokenizer_sha256": model.tokenizer_sha256,
            "backend": format!("onnxruntime {} ({})", enc.ort_library.display(), serde_json::to_value(enc.device).unwrap_or_default()),
        }, {
            "name": "sentiment head",
            "dir": cfg.sentiment_model.display().to_string(),
            "head_sha256": a.models.sentiment_head_sha256,
        }],
        "encode": a.encode,
        "threads": enc.threads,
        "batch_tokens": enc.batch_tokens,
    })
}
