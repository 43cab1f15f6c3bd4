//! Agents and their sessions: first-run setup, sign-in and out, passwords; inboxes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use livedesk_core::directory::AgentChanges;
use livedesk_core::now_ms;
use livedesk_core::store::{NewAgentRecord, NewSession};
use livedesk_core::values::{DisplayName, Email, NewPassword, WebOrigin};
use livedesk_protocol::model::{Agent, Inbox, Principal, Role};
use livedesk_protocol::rest::{
    ChangePasswordRequest, LoginRequest, LoginResponse, NewAgent, NewInbox, SetupRequest,
    UpdateInbox,
};
use livedesk_protocol::ErrorCode;

use super::extract::Json;
use crate::auth::{self, Authed, ClientIp, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

/// Opens a session for `agent`: the bearer token in the body, the same token as an HttpOnly
/// cookie for the console.
async fn open_session(state: &SharedState, agent: Agent, https: bool) -> ApiResult<Response> {
    let (token, token_hash) = auth::new_agent_token();
    let now = now_ms();
    let ttl_ms = state.config.sessions.agent_ttl_hours as i64 * 3_600_000;
    let expires_at = now + ttl_ms;
    state
        .store
        .create_session(NewSession {
            token_hash,
            agent_id: agent.id,
            created_at: now,
            expires_at,
        })
        .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ttl_ms / 1000,
        if https { "; Secure" } else { "" }
    );
    let mut res = axum::Json(LoginResponse {
        token,
        expires_at,
        agent,
    })
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn clear_cookie(https: bool) -> HeaderValue {
    let v = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if https { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""))
}

pub async fn login(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    state
        .login_limiter
        .check(&ip)
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let bad = || ApiError::new(ErrorCode::InvalidCredentials, "email or password is wrong");
    // Failed attempts per account too, from whatever addresses they come.
    let account = req.email.trim().to_lowercase();
    state.account_limiter.blocked(&account).map_err(|wait| {
        ApiError::rate_limited(wait.as_millis() as u64).with_message(
            "too many failed sign-ins for this account; try again later or reset the password",
        )
    })?;
    let credentials = match Email::parse(&req.email) {
        Ok(email) => state.store.agent_credentials(&email).await?,
        Err(_) => None,
    };
    let (agent, hash) = match credentials {
        Some(c) => (Some(c.agent), Some(c.password_hash)),
        None => (None, None),
    };
    if !auth::verify_password(hash, req.password).await {
        state.account_limiter.charge(&account);
        return Err(bad());
    }
    let agent = agent.ok_or_else(bad)?;
    // Said only to whoever knows the password.
    if !agent.active {
        return Err(ApiError::new(
            ErrorCode::AccountDeactivated,
            "this account has been deactivated; ask an admin of your workspace",
        ));
    }
    tracing::info!(agent = %agent.id, "agent signed in");
    open_session(
        &state,
        agent,
        auth::is_https(&state, Some(peer.ip()), &headers),
    )
    .await
}

pub async fn logout(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Authed(caller): Authed,
) -> ApiResult<Response> {
    let (_, token_hash) = caller.require_agent()?;
    state.store.delete_session(token_hash).await?;
    let https = auth::is_https(&state, Some(peer.ip()), &headers);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie(https))],
    )
        .into_response())
}

/// Ends every session of the agent, this one included.
pub async fn logout_all(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Authed(caller): Authed,
) -> ApiResult<Response> {
    let (agent, _) = caller.require_agent()?;
    let ended = state.store.delete_agent_sessions(agent.id).await?;
    tracing::info!(agent = %agent.id, ended, "agent signed out everywhere");
    let https = auth::is_https(&state, Some(peer.ip()), &headers);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie(https))],
    )
        .into_response())
}

/// Sets a new password and ends every session; the response opens a fresh one.
pub async fn change_password(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Authed(caller): Authed,
    Json(req): Json<ChangePasswordRequest>,
) -> ApiResult<Response> {
    let (agent, _) = caller.require_agent()?;
    state
        .login_limiter
        .check(&ip)
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let new = NewPassword::parse(req.new_password)?;
    let current = state
        .store
        .agent_credentials_by_id(agent.id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !auth::verify_password(Some(current.password_hash), req.current_password).await {
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "current password is wrong",
        ));
    }
    let hash = auth::hash_password(new.expose().to_owned()).await?;
    state.store.set_password(agent.id, &hash).await?;
    tracing::info!(agent = %agent.id, "password changed; sessions ended");
    open_session(
        &state,
        current.agent,
        auth::is_https(&state, Some(peer.ip()), &headers),
    )
    .await
}

pub async fn me(Authed(caller): Authed) -> axum::Json<Principal> {
    axum::Json(caller.principal())
}

/// First-run setup: the first workspace and its admin, with the token printed at start.
pub async fn setup(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(req): Json<SetupRequest>,
) -> ApiResult<Response> {
    state
        .login_limiter
        .check(&ip)
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let unavailable = || {
        ApiError::new(
            ErrorCode::SetupUnavailable,
            "setup is over, or the setup token is wrong",
        )
    };
    let workspace_name = DisplayName::parse(&req.workspace_name)?;
    let email = Email::parse(&req.email)?;
    let name = DisplayName::parse(&req.name)?;
    let password = NewPassword::parse(req.password)?;
    // Take the token out before any work, so that of concurrent setups only one proceeds.
    let token = {
        let mut guard = state.setup_token.lock().map_err(|_| unavailable())?;
        match guard.as_deref() {
            Some(expected) if constant_time_eq(expected.as_bytes(), req.token.as_bytes()) => {
                guard.take()
            }
            _ => None,
        }
    }
    .ok_or_else(unavailable)?;
    let created = async {
        if state.store.count_agents().await? > 0 {
            return Err(unavailable());
        }
        let hash = auth::hash_password(password.expose().to_owned()).await?;
        let workspace = state.store.create_workspace(&workspace_name).await?;
        let agent = state
            .store
            .create_agent(NewAgentRecord {
                workspace_id: workspace.id,
                email,
                name,
                role: Role::Admin,
                password_hash: hash,
            })
            .await?;
        Ok((workspace, agent))
    }
    .await;
    let (workspace, agent) = match created {
        Ok(done) => done,
        Err(e) => {
            // Setup did not happen: the token stays valid for another try.
            if e.code != ErrorCode::SetupUnavailable {
                if let Ok(mut guard) = state.setup_token.lock() {
                    *guard = Some(token);
                }
            }
            return Err(e);
        }
    };
    tracing::info!(agent = %agent.id, workspace = %workspace.id, "first admin created by setup");
    open_session(
        &state,
        agent,
        auth::is_https(&state, Some(peer.ip()), &headers),
    )
    .await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn create_agent(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<NewAgent>,
) -> ApiResult<(StatusCode, axum::Json<Agent>)> {
    let admin = caller.require_admin("creating agents")?;
    let email = Email::parse(&req.email)?;
    let name = DisplayName::parse(&req.name)?;
    let password = NewPassword::parse(req.password)?;
    let hash = auth::hash_password(password.expose().to_owned()).await?;
    let agent = state
        .store
        .create_agent(NewAgentRecord {
            workspace_id: admin.workspace_id,
            email,
            name,
            role: req.role,
            password_hash: hash,
        })
        .await?;
    let agent = if req.capacity.is_some() || req.inbox_ids.is_some() || req.team_ids.is_some() {
        let changes = AgentChanges {
            capacity: req
                .capacity
                .map(livedesk_app::agents::capacity)
                .transpose()?,
            inbox_ids: req.inbox_ids,
            team_ids: req.team_ids,
            ..Default::default()
        };
        state
            .store
            .update_agent(admin.workspace_id, agent.id, changes)
            .await?
            .agent
    } else {
        agent
    };
    if let Ok(Some(entry)) =
        crate::presence::agent_entry(&state, agent.workspace_id, agent.id).await
    {
        crate::events::agent_updated(&state, entry);
    }
    Ok((StatusCode::CREATED, axum::Json(agent)))
}

pub async fn create_inbox(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<NewInbox>,
) -> ApiResult<(StatusCode, axum::Json<Inbox>)> {
    let admin = caller.require_admin("creating inboxes")?;
    let name = DisplayName::parse(&req.name)?;
    let origins = req
        .allowed_origins
        .iter()
        .map(|o| WebOrigin::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    let inbox = state
        .store
        .create_inbox(admin.workspace_id, &name, &origins)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(inbox)))
}

/// The inboxes the agent works (every inbox for admins and supervisors), with their members.
pub async fn list_inboxes(
    State(state): State<SharedState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<Vec<Inbox>>> {
    let (agent, _) = caller.require_agent()?;
    let scope = livedesk_app::chat::inbox_scope(&state.app, agent).await?;
    let mut inboxes = state.store.list_inboxes(agent.workspace_id).await?;
    inboxes.retain(|i| scope.as_ref().is_none_or(|s| s.contains(&i.id)));
    for inbox in &mut inboxes {
        inbox.member_ids = state.store.inbox_member_ids(inbox.id).await?;
    }
    Ok(axum::Json(inboxes))
}

/// `PATCH /api/v1/inboxes/{id}`: name, allowed origins, widget settings, identity secret,
/// members and routing.
pub async fn update_inbox(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    super::extract::Path(id): super::extract::Path<uuid::Uuid>,
    Json(req): Json<UpdateInbox>,
) -> ApiResult<axum::Json<Inbox>> {
    let done = livedesk_app::inboxes::update(&state.app, &caller, id, req).await?;
    Ok(axum::Json(crate::publish::settle(&state, done).await))
}
