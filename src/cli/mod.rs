//! The command line: `args` holds what the user typed (clap derive; the doc comments are
//! the help), `resolve` turns it into the configuration the pipeline runs with.

pub mod args;
pub mod resolve;

pub use args::{Args, Command};
