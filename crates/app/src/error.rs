//! A command's error: a stable code for the client, words for a person, the cause kept for
//! the log. Adapters encode it (an HTTP status and body, an `error` frame); the code decides
//! the status, so no transport type is needed here.

use livedesk_core::store::StoreError;
use livedesk_core::values::Invalid;
use livedesk_protocol::{ErrorBody, ErrorCode};

#[derive(Debug)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_ms: Option<u64>,
    /// Logged, never sent.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
            source: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "not found")
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "sign in or send a valid token")
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            ErrorCode::Forbidden,
            format!("your role does not allow {what}"),
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message)
    }

    pub fn rate_limited(retry_after_ms: u64) -> Self {
        Self {
            retry_after_ms: Some(retry_after_ms),
            ..Self::new(ErrorCode::RateLimited, "too many requests; slow down")
        }
    }

    /// The same error, told in other words.
    pub fn with_message(self, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..self
        }
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, "internal error")
        }
    }

    /// Logs server-side failures with their cause chain; client errors are not logged.
    pub fn log(&self) {
        if matches!(self.code, ErrorCode::Internal | ErrorCode::Unavailable) {
            let mut chain = String::new();
            let mut cur: Option<&(dyn std::error::Error + 'static)> = self
                .source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static));
            while let Some(e) = cur {
                chain.push_str(": ");
                chain.push_str(&e.to_string());
                cur = e.source();
            }
            tracing::error!(code = %self.code, "{}{chain}", self.message);
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            retry_after_ms: self.retry_after_ms,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict(what) => Self::new(ErrorCode::Conflict, what),
            StoreError::Unavailable(_) => Self {
                source: Some(Box::new(e)),
                ..Self::new(
                    ErrorCode::Unavailable,
                    "database unavailable; retry shortly",
                )
            },
            StoreError::Internal(_) => Self::internal(e),
        }
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Self::new(e.code, e.message)
    }
}
