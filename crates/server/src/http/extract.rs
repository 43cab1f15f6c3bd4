//! Extractors whose rejections speak the error table instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use livedesk_protocol::ErrorCode;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;

/// A JSON object body: `invalid_json`, `invalid_request` or `payload_too_large` when it is not
/// right. Arrays are refused: serde would otherwise fill a struct from one by position.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "request body is larger than the limit",
                )
            } else {
                ApiError::new(ErrorCode::InvalidRequest, e.body_text())
            }
        })?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if let Some(&b) = first.filter(|b| **b != b'{') {
            // Another JSON value (array, string, number, literal) is a request of the wrong
            // shape; anything else is not JSON at all.
            let json_value = match b {
                b'[' | b'"' | b'-' | b'0'..=b'9' => true,
                b't' | b'f' | b'n' => serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
                _ => false,
            };
            return Err(if json_value {
                ApiError::new(ErrorCode::InvalidRequest, "the body must be a JSON object")
            } else {
                ApiError::new(ErrorCode::InvalidJson, "the body is not valid JSON")
            });
        }
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|e| match e.classify() {
                Category::Data => {
                    ApiError::new(ErrorCode::InvalidRequest, format!("invalid request: {e}"))
                }
                _ => ApiError::new(
                    ErrorCode::InvalidJson,
                    format!("the body is not valid JSON: {e}"),
                ),
            })
    }
}

/// A path parameter; an id that does not parse is simply not found.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_: PathRejection| ApiError::not_found())
    }
}

pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e: QueryRejection| ApiError::new(ErrorCode::InvalidRequest, e.body_text()))
    }
}
