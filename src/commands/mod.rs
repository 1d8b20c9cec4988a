//! One module per subcommand, each a thin translation from its arguments to library calls
//! (xsv's `src/cmd/`): resolve the configuration, call the pipeline or the stage, write
//! what the command writes, print what it prints. `main` parses and dispatches here.

pub mod models;
pub mod nps;
pub mod run;
pub mod sentiment;
pub mod themes;

use crate::cli::args::{Args, Command, SentimentAction, ThemesAction};
use crate::config::InputConfig;
use crate::console::Console;
use crate::validate::Counts;
use crate::Result;

/// Run the parsed command; the exit code on success (3: rows rejected under --strict).
pub fn dispatch(args: Args, console: &Console) -> Result<u8> {
    match args.command {
        Command::Nps(a) => nps::nps(&a, console),
        Command::Run(a) => run::run(&a, console),
        Command::Sentiment { action: SentimentAction::Train(a) } => sentiment::train(&a, console),
        Command::Sentiment { action: SentimentAction::Evaluate(a) } => sentiment::evaluate(&a, console),
        Command::Themes { action: ThemesAction::Train(a) } => themes::train(&a, console),
        Command::Themes { action: ThemesAction::Evaluate(a) } => themes::evaluate(&a, console),
        Command::Themes { action: ThemesAction::Discover(a) } => themes::discover(&a, console),
        Command::Models { action } => models::models(&action),
    }
}

/// One thread budget for rayon (tokenising, text preparation) and Polars.
pub fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        if std::env::var_os("POLARS_MAX_THREADS").is_none() {
            std::env::set_var("POLARS_MAX_THREADS", n.to_string());
        }
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
}

/// The reconciliation line: rows read = accepted + rejected + duplicates.
pub fn reconciliation(counts: &Counts) -> String {
    format!(
        "rows read {} = accepted {} + rejected {} + duplicates {}{}",
        counts.rows_read,
        counts.accepted,
        counts.rejected,
        counts.duplicates,
        if counts.empty_comments > 0 {
            format!(" ({} accepted without comment)", counts.empty_comments)
        } else {
            String::new()
        }
    ) + &if counts.values_rejected > 0 {
        format!(
            "; {} customer value cells left out (rejects.csv, scope value: their responses are accepted)",
            counts.values_rejected
        )
    } else {
        String::new()
    }
}

/// The value-weighted NPS line, with a monetary value column (issue 19).
pub fn value_note(rows: &[crate::nps::NpsRow]) -> Option<String> {
    use crate::schema::columns as c;
    let overall = rows.iter().find(|r| r.period == c::ALL && r.segment == c::ALL)?;
    let w = overall.weighted?;
    Some(format!(
        "value-weighted NPS {} ± {} over {} responses with a value (total {:.0}, effective sample size {:.0}); \
         plain NPS {}",
        w.nps().map_or("-".into(), |x| format!("{x:+.1}")),
        w.moe95().map_or("-".into(), |x| format!("{x:.1}")),
        w.n,
        w.w,
        w.n_effective().unwrap_or(0.0),
        overall.nps.map_or("-".into(), |x| format!("{x:+.1}"))
    ))
}

/// 3 when rows were rejected under --strict, else 0.
pub fn exit_code(cfg: &InputConfig, counts: &Counts) -> u8 {
    if cfg.strict && counts.rejected > 0 {
        3
    } else {
        0
    }
}
