//! The server's error type: a stable code for the client, the cause kept for the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
pub use livedesk_app::Error as AppError;
use livedesk_protocol::ErrorCode;

/// A command's error ([`livedesk_app::Error`]) on its way to an HTTP client: the code decides
/// the status, `Retry-After` goes with a rate limit.
#[derive(Debug)]
pub struct ApiError(pub AppError);

pub type ApiResult<T> = Result<T, ApiError>;

impl std::ops::Deref for ApiError {
    type Target = AppError;

    fn deref(&self) -> &AppError {
        &self.0
    }
}

/// Whatever a command's error is made from (a store error, an invalid value) is an HTTP one.
impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(AppError::new(code, message))
    }

    pub fn not_found() -> Self {
        Self(AppError::not_found())
    }

    pub fn unauthorized() -> Self {
        Self(AppError::unauthorized())
    }

    pub fn forbidden(what: &str) -> Self {
        Self(AppError::forbidden(what))
    }

    pub fn rate_limited(retry_after_ms: u64) -> Self {
        Self(AppError::rate_limited(retry_after_ms))
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(AppError::internal(source))
    }

    /// The same error, told in other words.
    pub fn with_message(self, message: impl Into<String>) -> Self {
        Self(self.0.with_message(message))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        crate::metrics::count_error(self.code);
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self.body())).into_response();
        if let Some(ms) = self.retry_after_ms {
            let secs = ms.div_ceil(1000).max(1);
            if let Ok(v) = secs.to_string().parse() {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        res
    }
}
