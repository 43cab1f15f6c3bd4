//! Visitor sessions for the widget and for apps.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use livedesk_app::visitors;
use livedesk_core::now_ms;
use livedesk_core::store::ContactChanges;
use livedesk_protocol::model::Contact;
use livedesk_protocol::rest::{
    IdentifyRequest, IdentifyResponse, NewWidgetSession, UpdateContact, VisitorContact,
    WidgetConfig, WidgetSession,
};
use livedesk_protocol::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::{self, Authed, Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::publish;
use crate::state::SharedState;

/// Starts a visitor session on an inbox, or continues one when a valid token of that inbox
/// is sent back. A browser page may do this only from an origin the inbox allows.
pub async fn create_session(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<NewWidgetSession>,
) -> ApiResult<(StatusCode, axum::Json<WidgetSession>)> {
    let inbox = state
        .store
        .inbox(req.inbox_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // The page calling (the widget frame is on our own origin) and the page embedding the
    // widget must both be allowed. The browser enforces the second with the frame's CSP
    // `frame-ancestors`; this check refuses a frame that says it is elsewhere.
    let own = auth::own_origins(&state, Some(peer.ip()), &headers);
    let allowed = |origin: &str| {
        own.iter().any(|o| o == origin) || inbox.allowed_origins.iter().any(|o| o == origin)
    };
    if let Some(origin) = auth::origin(&headers) {
        if !allowed(&origin) {
            return Err(ApiError::new(
                ErrorCode::OriginNotAllowed,
                format!("origin {origin} is not allowed for this inbox"),
            ));
        }
    }
    if let Some(host) = req
        .host_origin
        .as_deref()
        .map(|h| h.trim_end_matches('/').to_ascii_lowercase())
    {
        if !inbox.allowed_origins.contains(&host) {
            return Err(ApiError::new(
                ErrorCode::OriginNotAllowed,
                format!("the widget may not be embedded on {host}"),
            ));
        }
    }
    // The browser, for the agents' customer panel (never used for anything else).
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    if let Some(token) = req.visitor_token {
        // An expired or revoked token, or another inbox's, starts a new visitor below.
        if let Ok(Caller::Visitor(v)) = auth::authenticate(&state, &token).await {
            if v.inbox_id == inbox.id {
                visitors::continue_session(&state.app, &v, user_agent).await?;
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
    // Only new visitors count against the per-address limit: a returning visitor continues
    // their session on every page view, and many share one address behind a NAT.
    state
        .widget_limiter
        .check(&ip)
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let (token, hash) = auth::new_visitor_token();
    let expires_at = now_ms() + state.config.sessions.visitor_ttl_days as i64 * 86_400_000;
    let contact =
        visitors::start_session(&state.app, &inbox, &hash, expires_at, user_agent).await?;
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

/// `GET /api/v1/widget/config/{inbox_id}`: public, for the widget before any session.
pub async fn config(
    State(state): State<SharedState>,
    Path(inbox_id): Path<Uuid>,
) -> ApiResult<axum::Json<WidgetConfig>> {
    let inbox = state
        .store
        .inbox(inbox_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let agents_online =
        crate::presence::inbox_agents_online(&state, inbox.workspace_id, inbox.id).await?;
    let limits = &state.config.limits;
    let s = inbox.settings;
    Ok(axum::Json(WidgetConfig {
        inbox_id: inbox.id,
        name: inbox.name,
        color: s.color,
        position: s.position,
        greeting: s.greeting,
        away_message: s.away_message,
        prechat_fields: s.prechat_fields,
        agents_online,
        identity_verification: inbox.identity_verification,
        max_attachment_bytes: limits.max_attachment_bytes as u64,
        attachment_types: limits.attachment_types.clone(),
    }))
}

fn visitor_contact(c: Contact) -> VisitorContact {
    VisitorContact {
        id: c.id,
        name: c.name,
        email: c.email,
        verified: c.verified,
        attributes: c.attributes,
    }
}

/// `PATCH /api/v1/widget/contact`: the visitor's own, unverified details and attributes.
/// Once a contact is verified, its name and e-mail come only from the customer's backend.
pub async fn update_contact(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<UpdateContact>,
) -> ApiResult<axum::Json<VisitorContact>> {
    let details = visitors::OwnDetails {
        name: req.name,
        email: req.email,
        attributes: req.attributes,
    };
    let done = visitors::update_details(&state.app, &caller, details).await?;
    let contact = publish::settle(&state, done).await;
    Ok(axum::Json(visitor_contact(contact)))
}

#[derive(Debug, Deserialize)]
struct IdentityClaims {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// `POST /api/v1/widget/identify`: a JWT from the customer's backend (HS256, the inbox's
/// identity secret, `exp` required) names who the visitor is. If that person already has a
/// contact, the visitor is switched to it (a new token for it), so their history follows.
pub async fn identify(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    headers: HeaderMap,
    Json(req): Json<IdentifyRequest>,
) -> ApiResult<axum::Json<IdentifyResponse>> {
    let Caller::Visitor(v) = &caller else {
        return Err(ApiError::forbidden("this call for agents"));
    };
    let secret = state
        .store
        .inbox_identity_secret(v.inbox_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "identity verification is not set up for this inbox",
            )
        })?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.leeway = 30;
    let claims = jsonwebtoken::decode::<IdentityClaims>(
        &req.token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|e| {
        ApiError::new(
            ErrorCode::Unauthorized,
            format!("identity token refused: {e}"),
        )
    })?
    .claims;
    if claims.sub.is_empty() || claims.sub.chars().count() > 200 {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "sub must be 1-200 characters",
        ));
    }
    let (name, email) = visitors::name_and_email(claims.name, claims.email)?;
    let changes = ContactChanges {
        name,
        email,
        external_id: Some(claims.sub.clone()),
        verified: Some(true),
        attributes: None,
    };
    let expires_at = now_ms() + state.config.sessions.visitor_ttl_days as i64 * 86_400_000;
    let existing = state
        .store
        .contact_by_external_id(v.workspace_id, &claims.sub)
        .await?;
    let current = state
        .store
        .contact(v.workspace_id, v.contact_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if existing.as_ref().is_some_and(|c| c.blocked) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "this visitor has been blocked",
        ));
    }
    let response = match existing {
        // This person is known: continue as them, so their history follows.
        Some(known) if known.id != current.id => {
            let contact = state
                .store
                .update_contact(v.workspace_id, known.id, changes)
                .await?;
            let (token, hash) = auth::new_visitor_token();
            // The session belongs to this inbox (the widget's socket names it), wherever the
            // contact was first seen.
            let here = Contact {
                inbox_id: v.inbox_id,
                ..contact.clone()
            };
            state
                .store
                .create_visitor_session(&here, &hash, expires_at)
                .await?;
            IdentifyResponse {
                contact_id: contact.id,
                visitor_token: token,
                verified: true,
            }
        }
        // The visitor was identified as someone else before (a shared computer, a new login):
        // the new person gets a contact of their own; the other's stays untouched.
        None if current.external_id.is_some() => {
            let inbox = state
                .store
                .inbox(v.inbox_id)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            let (token, hash) = auth::new_visitor_token();
            let contact = state
                .store
                .create_visitor(&inbox, &hash, expires_at, None)
                .await?;
            let contact = state
                .store
                .update_contact(v.workspace_id, contact.id, changes)
                .await?;
            IdentifyResponse {
                contact_id: contact.id,
                visitor_token: token,
                verified: true,
            }
        }
        // An anonymous visitor (or the same person again): label this contact.
        _ => {
            let contact = state
                .store
                .update_contact(v.workspace_id, current.id, changes)
                .await?;
            let token = match auth::credential(&headers) {
                Some(auth::Credential::Bearer(t) | auth::Credential::Cookie(t)) => t,
                None => return Err(ApiError::unauthorized()),
            };
            IdentifyResponse {
                contact_id: contact.id,
                visitor_token: token,
                verified: true,
            }
        }
    };
    Ok(axum::Json(response))
}
