//! What a run is configured with, once the command line (or a program calling the
//! library) has decided: input files and how to read them, the encoder and its thread
//! budget, where themes come from, the output options. Plain data: nothing here reads
//! survey data or prints. `cli::resolve` builds these from arguments; a program can build
//! them directly and call [`crate::pipeline::analyze`].

use std::path::{Path, PathBuf};

use crate::ingest::ReadOptions;
use crate::schema::dates::Period;
use crate::schema::MappingOverrides;

/// How the input exports are read and mapped.
#[derive(Debug, Clone)]
pub struct InputConfig {
    /// Survey exports, concatenated in order (a response id seen twice is kept once).
    pub inputs: Vec<PathBuf>,
    /// Columns named by the user; the others are detected.
    pub overrides: MappingOverrides,
    /// Reporting period for trends and changes.
    pub period: Period,
    pub read: ReadOptions,
    /// Exit with code 3 when rows were rejected.
    pub strict: bool,
}

/// `verbatim nps`: the inputs and an optional output directory.
#[derive(Debug, Clone)]
pub struct NpsConfig {
    pub input: InputConfig,
    pub out: Option<PathBuf>,
    /// What run.json records of the options.
    pub options: OptionsRecord,
}

/// The options a command ran with, as run.json records them (`config`, `config_file`). The
/// command line fills it ([`crate::cli::parse::parse_args`]); a program that builds its
/// configuration directly may leave it empty (run.json then records the period and
/// `strict` only).
#[derive(Debug, Clone, Default)]
pub struct OptionsRecord {
    /// Every option's effective value, keyed by its long name (the keys of a config file,
    /// so that a run can be replayed from its run.json).
    pub options: serde_json::Map<String, serde_json::Value>,
    /// The `--config` file, if one was read.
    pub file: Option<ConfigFileRecord>,
}

/// The `--config` file of a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConfigFileRecord {
    /// As given on the command line (or by VERBATIM_CONFIG).
    pub path: String,
    pub sha256: String,
    /// Keys whose values were used, sorted (the file's other keys were overridden by the
    /// command line or an environment variable).
    pub applied: Vec<String>,
    /// Flat keys left to another command (`taxonomy` in a file read by `nps`).
    pub ignored: Vec<String>,
}

/// Inference device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Cpu,
    Cuda,
}

/// Numeric precision of the encoder's matrix products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Weights int8 per output channel, activations int8 with fixed calibrated scales, per
    /// token for the GELU output (model-int8.onnx): a text's embedding depends on that text
    /// alone, as in fp32.
    Int8,
    /// The fp32 graph (model.onnx).
    Fp32,
}

impl Precision {
    /// The graph file of this precision in an encoder directory, if it has one.
    pub fn graph(self, model_dir: &Path) -> Option<PathBuf> {
        let candidates = match self {
            Precision::Int8 => vec![model_dir.join("model-int8.onnx")],
            Precision::Fp32 => vec![model_dir.join("model.onnx"), model_dir.join("onnx").join("model.onnx")],
        };
        candidates.into_iter().find(|p| p.is_file())
    }
}

/// The encoder, resolved: files found, thread budget decided.
#[derive(Debug, Clone)]
pub struct EncoderConfig {
    /// Encoder directory (model.onnx, tokenizer.json, config.json).
    pub model_dir: PathBuf,
    /// libonnxruntime shared library.
    pub ort_library: PathBuf,
    /// Embedding cache root; None with --no-cache.
    pub cache_dir: Option<PathBuf>,
    pub threads: usize,
    pub batch_tokens: usize,
    pub device: Device,
    pub precision: Precision,
    /// The ONNX graph of that precision in `model_dir`.
    pub graph: PathBuf,
}

/// Where a run's themes come from (DESIGN.md "Which themes a run uses").
#[derive(Debug, Clone)]
pub enum ThemeSource {
    /// Zero-shot from a taxonomy (the shipped data/themes.toml when nothing is given).
    Taxonomy(PathBuf),
    /// Learnt at the start of the run from coded examples (and the taxonomy, if given).
    Examples { examples: PathBuf, taxonomy: Option<PathBuf> },
    /// A classifier made by `verbatim themes train`.
    Model(PathBuf),
}

/// Everything `verbatim run` (and [`crate::pipeline::analyze`]) needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub input: InputConfig,
    /// Output directory. The analysis reads the previous run's proposals and follow-up
    /// state from it; only the writers write to it.
    pub out: PathBuf,
    pub encoder: EncoderConfig,
    pub themes: ThemeSource,
    pub zero_shot: crate::themes::ZeroShotSettings,
    /// Sentiment head directory (head.json).
    pub sentiment_model: PathBuf,
    pub write_embeddings: bool,
    /// followup.csv lists detractors answering on or after this date.
    pub since: Option<chrono::NaiveDate>,
    /// followup.csv lists only detractors not listed by a previous run.
    pub new_only: bool,
    /// Mask emails, phone numbers, IBANs and card numbers in what people read.
    pub mask: bool,
    /// Language of the report (`fr` / `en`); None: the comments' majority language.
    pub report_lang: Option<String>,
    /// Target NPS overall and per segment value, and an external benchmark (issue 19).
    pub targets: Targets,
    /// What run.json records of the options.
    pub options: OptionsRecord,
}

/// What the NPS is read against: targets the user sets and an external benchmark.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    /// Target NPS of all responses (`--target`, `target = 30`).
    pub overall: Option<f64>,
    /// Targets of segment values (`--segment-target`, `[targets.Channel] Store = 40`).
    pub segments: Vec<SegmentTarget>,
    /// An external benchmark (`--benchmark`, `[benchmark] nps = 32`).
    pub benchmark: Option<Benchmark>,
}

/// The target NPS of one segment value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentTarget {
    /// Segment column, as nps.parquet names it (`Channel`).
    pub segment: String,
    /// Value of that column (`Store`).
    pub value: String,
    pub target: f64,
}

/// An external NPS benchmark and where it comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Benchmark {
    pub nps: f64,
    pub source: Option<String>,
}

/// A file shipped with the repository (data/..., models/...), looked up from the working
/// directory, then beside the executable and its parents, then in the source tree the
/// binary was built from (a target directory may live elsewhere, e.g. in a cache).
pub fn find_repo_file(rel: &Path) -> Option<PathBuf> {
    if rel.exists() {
        return Some(rel.to_path_buf());
    }
    let exe = std::env::current_exe().ok();
    let beside = exe.iter().flat_map(|e| e.ancestors().skip(1)).map(|a| a.join(rel)).find(|p| p.exists());
    beside.or_else(|| Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).filter(|p| p.exists()))
}
