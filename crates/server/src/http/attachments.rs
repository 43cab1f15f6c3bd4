//! File uploads into a conversation, and their download by its participants.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use livedesk_core::store::NewAttachment;
use livedesk_protocol::model::{Attachment, AuthorKind};
use livedesk_protocol::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{Path, Query};
use crate::auth::{Authed, Caller};
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use livedesk_app::chat;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    name: String,
}

/// Image types shown inline; anything else downloads.
const INLINE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The bytes must look like what their type says, so a file cannot pass for an image.
fn content_matches(content_type: &str, data: &[u8]) -> bool {
    match content_type {
        "image/png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => data.starts_with(&[0xff, 0xd8, 0xff]),
        "image/gif" => data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a"),
        "image/webp" => data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP",
        "application/pdf" => data.starts_with(b"%PDF-"),
        _ => true,
    }
}

/// `POST /api/v1/conversations/{id}/attachments?name=…`, the raw file as the body.
pub async fn upload(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<Attachment>)> {
    state
        .message_limiter
        .check(&caller.actor_id())
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let conversation = chat::conversation_for(&state.app, &caller, id).await?;
    let limits = &state.config.limits;
    let data = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the file is larger than {} bytes",
                    limits.max_attachment_bytes
                ),
            )
        } else {
            ApiError::new(ErrorCode::InvalidRequest, e.body_text())
        }
    })?;
    if data.len() > limits.max_attachment_bytes {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the file is larger than {} bytes",
                limits.max_attachment_bytes
            ),
        ));
    }
    if data.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "the file is empty",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !limits.attachment_types.contains(&content_type) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("files of type '{content_type}' are not accepted"),
        ));
    }
    if !content_matches(&content_type, &data) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("the file's content is not {content_type}"),
        ));
    }
    let name: String = q
        .name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "file".to_owned()
    } else {
        name
    };
    let author = caller.author();
    let record = state
        .store
        .create_attachment(NewAttachment {
            workspace_id: conversation.workspace_id,
            conversation_id: conversation.id,
            uploader_kind: author.kind,
            uploader_id: author.id.unwrap_or_default(),
            name,
            content_type,
            data: data.to_vec(),
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(record.attachment)))
}

/// `GET /api/v1/attachments/{id}`: for the conversation's visitor and its workspace's agents.
pub async fn download(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let record = state
        .store
        .attachment(caller.workspace_id(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    chat::conversation_for(&state.app, &caller, record.conversation_id).await?;
    // A visitor gets their own uploads and what was sent to them, not files in private notes.
    if let Caller::Visitor(v) = &caller {
        let own = record.uploader_kind == AuthorKind::Contact && record.uploader_id == v.contact_id;
        if !own && !record.visible_to_contact {
            return Err(ApiError::not_found());
        }
    }
    let data = state
        .store
        .attachment_data(caller.workspace_id(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let a = record.attachment;
    let encoded: String = a
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = if INLINE.contains(&a.content_type.as_str()) {
        "inline"
    } else {
        "attachment"
    };
    let mut res = data.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&a.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(res)
}
