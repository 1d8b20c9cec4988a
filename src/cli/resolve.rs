//! Arguments -> the configuration the pipeline runs with ([`crate::config`]): model files
//! found, thread budget decided, cache directory chosen. Nothing here reads survey data.

use std::path::{Path, PathBuf};

use super::args::{EncoderArgs, InputArgs, NpsArgs, RunArgs};
pub use crate::config::find_repo_file;
use crate::config::{Device, EncoderConfig, InputConfig, NpsConfig, Precision, RunConfig, ThemeSource};
use crate::ingest::ReadOptions;
use crate::schema::MappingOverrides;
use crate::{Error, Result};

pub fn input_config(a: &InputArgs) -> InputConfig {
    InputConfig {
        inputs: a.inputs.clone(),
        overrides: MappingOverrides {
            score: a.score_col.clone(),
            comment: a.comment_col.clone(),
            id: a.id_col.clone(),
            date: a.date_col.clone(),
            segments: a.segment_cols.clone(),
            value: a.value_col.clone(),
            recency: a.recency_col.clone(),
            frequency: a.frequency_col.clone(),
            tenure: a.tenure_col.clone(),
        },
        period: a.period,
        read: ReadOptions { sheet: a.sheet.clone() },
        strict: a.strict,
    }
}

pub fn nps_config(a: &NpsArgs) -> NpsConfig {
    NpsConfig { input: input_config(&a.input), out: a.out.clone(), options: a.recorded.clone() }
}

pub fn encoder_config(a: &EncoderArgs) -> Result<EncoderConfig> {
    let model_dir = find_model_dir(&a.model)?;
    let ort_library = find_ort_library(&model_dir)?;
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    if a.batch_tokens < 16 {
        return Err(Error::Usage(format!(
            "--batch-tokens {} is too small: use at least 16 (default 1024)",
            a.batch_tokens
        )));
    }
    let cache_dir = if a.no_cache { None } else { Some(a.cache_dir.clone().unwrap_or_else(default_cache_dir)) };
    let (precision, graph) = encoder_graph(&model_dir, a.precision, a.device)?;
    Ok(EncoderConfig {
        model_dir,
        ort_library,
        cache_dir,
        threads,
        batch_tokens: a.batch_tokens,
        device: a.device,
        precision,
        graph,
    })
}

/// The graph to run: the asked precision's, or by default int8 on the CPU when the
/// directory has it, else fp32 (a user's own Hugging Face export has model.onnx only).
fn encoder_graph(model_dir: &Path, asked: Option<Precision>, device: Device) -> Result<(Precision, PathBuf)> {
    let precision = asked.unwrap_or(if device == Device::Cpu && Precision::Int8.graph(model_dir).is_some() {
        Precision::Int8
    } else {
        Precision::Fp32
    });
    match precision.graph(model_dir) {
        Some(graph) => Ok((precision, graph)),
        None if precision == Precision::Int8 => Err(Error::Usage(format!(
            "{} has no model-int8.onnx (the int8 graph the setup writes next to model.onnx). Rerun the \
             setup command (scripts/setup.sh), or pass --precision fp32",
            model_dir.display()
        ))),
        None => Err(Error::Usage(format!(
            "{} has no model.onnx. Run the setup command (scripts/setup.sh) or pass --model with a complete \
             encoder directory",
            model_dir.display()
        ))),
    }
}

pub fn run_config(a: &RunArgs) -> Result<RunConfig> {
    if a.benchmark_source.is_some() && a.benchmark.is_none() {
        return Err(Error::Usage(
            "--benchmark-source needs --benchmark NPS (in a config file: [benchmark] with nps = ...)".into(),
        ));
    }
    Ok(RunConfig {
        input: input_config(&a.input),
        out: a.out.clone(),
        encoder: encoder_config(&a.encoder)?,
        themes: match (&a.themes_model, &a.examples, &a.taxonomy) {
            (Some(m), _, _) => ThemeSource::Model(find_model_dir(m)?),
            (None, Some(e), t) => ThemeSource::Examples { examples: e.clone(), taxonomy: t.clone() },
            (None, None, Some(t)) => ThemeSource::Taxonomy(t.clone()),
            (None, None, None) => default_themes()?,
        },
        zero_shot: a.zero_shot.settings(),
        sentiment_model: find_model_dir(&a.sentiment_model)?,
        write_embeddings: a.write_embeddings,
        since: a.since,
        new_only: a.new_only,
        mask: !a.no_mask,
        report_lang: a.report_lang.clone(),
        targets: crate::config::Targets {
            overall: a.target,
            segments: a.segment_targets.clone(),
            benchmark: a.benchmark.map(|nps| crate::config::Benchmark { nps, source: a.benchmark_source.clone() }),
        },
        options: a.recorded.clone(),
    })
}

/// The themes of a run given no --taxonomy, --examples or --themes-model: the default themes
/// model installed by the setup (models/themes-default, learnt from data/corpus/ with the
/// taxonomy data/themes.toml), else zero-shot from data/themes.toml.
pub fn default_themes() -> Result<ThemeSource> {
    if let Some(dir) = find_repo_file(Path::new(DEFAULT_THEMES_MODEL)).filter(|d| d.join("model.json").is_file()) {
        return Ok(ThemeSource::Model(dir));
    }
    tracing::warn!(
        "{DEFAULT_THEMES_MODEL} not installed (run scripts/setup.sh): themes come zero-shot from data/themes.toml"
    );
    find_repo_file(Path::new("data/themes.toml"))
        .map(ThemeSource::Taxonomy)
        .ok_or_else(|| Error::Usage("data/themes.toml (the default taxonomy) not found: pass --taxonomy FILE".into()))
}

/// Where the setup installs the default themes model.
pub const DEFAULT_THEMES_MODEL: &str = "models/themes-default";

/// `~/.cache/verbatim` (or `$XDG_CACHE_HOME/verbatim`).
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("verbatim")
}

/// A relative model path is looked up in the working directory, then beside the
/// executable and its parents (so `target/release/verbatim` finds the repository's models/).
pub fn find_model_dir(given: &Path) -> Result<PathBuf> {
    match find_repo_file(given) {
        Some(p) if p.is_dir() => Ok(p),
        _ => Err(Error::Usage(format!(
            "model directory {} not found. Run the setup command (scripts/setup.sh) to install the default \
             models, or pass a directory made for it (--model: a Hugging Face encoder with model.onnx and \
             tokenizer.json; --sentiment-model: `verbatim sentiment train --out DIR`)",
            given.display()
        ))),
    }
}

/// ORT_DYLIB_PATH wins; else `onnxruntime/libonnxruntime.so*` in the models directory
/// (the model directory's parent), else beside the executable's models/.
pub fn find_ort_library(model_dir: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return Ok(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = model_dir.parent().map(|p| p.join("onnxruntime")).into_iter().collect();
    dirs.extend(find_repo_file(Path::new("models/onnxruntime")));
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(&d) {
            let mut libs: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.starts_with("libonnxruntime.so") || n == "libonnxruntime.dylib" || n == "onnxruntime.dll"
                    })
                })
                .collect();
            libs.sort();
            if let Some(l) = libs.pop() {
                return Ok(l);
            }
        }
    }
    Err(Error::Usage(
        "the ONNX Runtime library was not found in models/onnxruntime/. Run the setup command \
         (scripts/setup.sh), or set ORT_DYLIB_PATH to libonnxruntime.so"
            .into(),
    ))
}
