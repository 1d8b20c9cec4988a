//! Top-level error type and the exit-code policy (DESIGN.md "Exit codes").

use std::path::PathBuf;

/// Errors a run can end with. Library stages return these; `main` maps them to exit codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input cannot be read or understood (exit 2: the user must fix the input or a flag).
    #[error("{file}: {message}")]
    Input { file: PathBuf, message: String },
    /// A column role could not be resolved (exit 2).
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    /// Bad flags or configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Inference backend failure (exit 1).
    #[error(transparent)]
    Backend(#[from] crate::infer::BackendError),
    /// Polars failed (exit 1).
    #[error("data frame operation failed: {0}")]
    Polars(#[from] polars::error::PolarsError),
    /// I/O failure (exit 1).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input { file: file.into(), message: message.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// DESIGN.md: 1 the run failed; 2 bad usage or bad configuration (and unreadable input).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input { .. } | Error::Schema(_) | Error::Usage(_) => 2,
            _ => 1,
        }
    }
}
