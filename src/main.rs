//! Entry point: parse arguments, set up logging and threads, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use verbatim::cli::args::{Args, Command, ModelsAction, SentimentAction, ThemesAction};
use verbatim::cli::resolve::{self, Printer};
use verbatim::{models, pipeline};

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.verbose);
    let printer = Printer { quiet: args.quiet, progress: !args.no_progress && args.verbose == 0 };
    match run(args, &printer) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            let code = err.downcast_ref::<verbatim::Error>().map_or(1, verbatim::Error::exit_code);
            ExitCode::from(code)
        }
    }
}

fn run(args: Args, printer: &Printer) -> anyhow::Result<u8> {
    match args.command {
        Command::Nps(a) => {
            set_threads(None);
            Ok(pipeline::run_nps(&resolve::nps_config(&a), printer)?)
        }
        Command::Run(a) => {
            let cfg = resolve::run_config(&a)?;
            set_threads(Some(cfg.encoder.threads));
            Ok(pipeline::run(&cfg, printer, false)?)
        }
        Command::Sentiment { action: SentimentAction::Train(a) } => {
            set_threads(a.encoder.threads);
            Ok(pipeline::sentiment_train(&a, printer)?)
        }
        Command::Sentiment { action: SentimentAction::Evaluate(a) } => {
            set_threads(a.encoder.threads);
            Ok(pipeline::sentiment_evaluate(&a, printer)?)
        }
        Command::Themes { action: ThemesAction::Train(a) } => {
            set_threads(a.encoder.threads);
            Ok(pipeline::themes_train(&a, printer)?)
        }
        Command::Themes { action: ThemesAction::Discover(a) } => {
            let cfg = resolve::run_config(&a)?;
            set_threads(Some(cfg.encoder.threads));
            Ok(pipeline::run(&cfg, printer, true)?)
        }
        Command::Themes { action: ThemesAction::Evaluate(a) } => {
            set_threads(a.encoder.threads);
            Ok(pipeline::themes_evaluate(&a, printer)?)
        }
        Command::Models { action: ModelsAction::List { models_dir } } => {
            let installed = models::list(&models_dir)?;
            if installed.is_empty() {
                println!("no models in {} (run scripts/setup.sh)", models_dir.display());
                return Ok(1);
            }
            let mut all_ok = true;
            for m in &installed {
                all_ok &= m.ok();
                println!(
                    "{}  {}  [{}]",
                    m.name,
                    m.dir.display(),
                    if m.ok() { "verified" } else { "CHECKSUM MISMATCH" }
                );
                println!("    from {}", m.sources.join(", "));
                for (f, size, ok) in &m.files {
                    println!("    {} {f} ({:.1} MB)", if *ok { "ok " } else { "BAD" }, *size as f64 / 1e6);
                }
            }
            if !all_ok {
                eprintln!(
                    "error: some model files do not match their MANIFEST: run scripts/fetch-models.sh to rewrite them"
                );
            }
            Ok(if all_ok { 0 } else { 1 })
        }
        Command::Models { action: ModelsAction::Fetch { models_dir } } => {
            let script = models::fetch_script()
                .ok_or_else(|| anyhow::anyhow!("scripts/fetch-models.sh not found: run from the repository root"))?;
            let status = std::process::Command::new("bash").arg(&script).arg(&models_dir).status()?;
            Ok(if status.success() { 0 } else { 1 })
        }
    }
}

/// One thread budget for rayon (tokenising, text preparation) and Polars.
fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        if std::env::var_os("POLARS_MAX_THREADS").is_none() {
            std::env::set_var("POLARS_MAX_THREADS", n.to_string());
        }
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
}

/// Logs go to stderr: warnings by default, -v info, -vv debug; RUST_LOG overrides.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("verbatim={default},ort=warn")));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
