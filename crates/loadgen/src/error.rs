//! The one error type of the load generator and the floor.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Options that do not fit together, or a scenario the target cannot run.
    #[error("{0}")]
    Usage(String),
    #[error("cannot read or write {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON of the expected shape: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{method} {path}: {reason}")]
    Http {
        method: &'static str,
        path: String,
        reason: String,
    },
    #[error("websocket {url}: {reason}")]
    Socket { url: String, reason: String },
    #[error("`{program}` failed: {reason}")]
    Command { program: String, reason: String },
    #[error("the fixture does not match the server: {0}")]
    Fixture(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, LoadError>;

impl LoadError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub fn socket(url: &str, reason: impl std::fmt::Display) -> Self {
        Self::Socket {
            url: url.to_owned(),
            reason: reason.to_string(),
        }
    }
}
