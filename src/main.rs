//! Entry point: parse arguments (and the `--config` file), set up logging, dispatch to the command, map errors to
//! exit codes. Everything else is in the library (`verbatim::commands`).

use std::process::ExitCode;

use verbatim::cli;
use verbatim::commands;
use verbatim::console::Console;

fn main() -> ExitCode {
    let args = cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    init_logging(args.verbose);
    let console = Console { quiet: args.quiet, progress: !args.no_progress && args.verbose == 0 };
    match commands::dispatch(args, &console) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.exit_code();
            eprintln!("error: {:#}", anyhow::Error::from(err));
            ExitCode::from(code)
        }
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
