//! Visitor sessions for the widget and for apps.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use livedesk_core::now_ms;
use livedesk_protocol::rest::{NewWidgetSession, WidgetSession};
use livedesk_protocol::ErrorCode;

use super::extract::Json;
use crate::auth::{self, Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

/// Starts a visitor session on an inbox, or continues one when a valid token of that inbox
/// is sent back. A browser page may do this only from an origin the inbox allows.
pub async fn create_session(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(req): Json<NewWidgetSession>,
) -> ApiResult<(StatusCode, axum::Json<WidgetSession>)> {
    state
        .widget_limiter
        .check(&ip)
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let inbox = state
        .store
        .inbox(req.inbox_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(origin) = auth::origin(&headers) {
        let own = auth::own_origins(&state, &headers).contains(&origin);
        if !own && !inbox.allowed_origins.contains(&origin) {
            return Err(ApiError::new(
                ErrorCode::OriginNotAllowed,
                format!("origin {origin} is not allowed for this inbox"),
            ));
        }
    }
    if let Some(token) = req.visitor_token {
        if let Ok(Caller::Visitor(v)) = auth::authenticate(&state, &token).await {
            if v.inbox_id == inbox.id {
                return Ok((
                    StatusCode::OK,
                    axum::Json(WidgetSession {
                        visitor_token: token,
                        contact_id: v.contact_id,
                        inbox_id: v.inbox_id,
                        expires_at: v.expires_at,
                    }),
                ));
            }
        }
    }
    let (token, hash) = auth::new_visitor_token();
    let expires_at = now_ms() + state.config.sessions.visitor_ttl_days as i64 * 86_400_000;
    let contact = state
        .store
        .create_visitor(&inbox, &hash, expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(WidgetSession {
            visitor_token: token,
            contact_id: contact.id,
            inbox_id: inbox.id,
            expires_at,
        }),
    ))
}
