//! What the user sees while a command works: notes on stderr (detection, reconciliation,
//! what was written) and progress bars, under one quiet / progress policy that the commands
//! and the stages share. No stage prints any other way; results go to stdout from the
//! commands only.

/// The printing policy of one command.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// `--quiet`: no notes, no bars.
    pub quiet: bool,
    /// Progress bars wanted (off with `--no-progress` or `-v`; hidden anyway when stderr
    /// is not a terminal).
    pub progress: bool,
}

impl Console {
    /// Notes and no bars: what a program calling the library usually wants.
    pub fn plain() -> Console {
        Console { quiet: false, progress: false }
    }

    /// Nothing at all.
    pub fn silent() -> Console {
        Console { quiet: true, progress: false }
    }

    /// A line for the user on stderr (detection, reconciliation), unless quiet.
    pub fn note(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// A warning on stderr, shown even with `--quiet` (quiet keeps errors and what the
    /// user must act on).
    pub fn warn(&self, line: impl AsRef<str>) {
        eprintln!("warning: {}", line.as_ref());
    }

    /// A bar over `len` texts labelled `what`; hidden when quiet or without progress.
    pub fn progress_bar(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        if !self.progress || self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} texts  {per_sec}  elapsed {elapsed}  ETA {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}
