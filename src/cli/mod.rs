//! The command line: `args` holds what the user typed (clap derive; the doc comments are
//! the help), `config_file` reads the options of a `--config` file, `parse` merges the two
//! (the command line wins), `resolve` turns the result into the configuration the pipeline
//! runs with.

pub mod args;
pub mod config_file;
pub mod parse;
pub mod resolve;

pub use args::{Args, Command};
pub use parse::parse_args;
