//! The support team: the agent directory and presence, teams, saved replies and labels.
//! Everyone reads; admins change agents, teams and labels; supervisors also saved replies.

use axum::extract::State;
use axum::http::StatusCode;
use livedesk_app::agents;
use livedesk_core::values::DisplayName;
use livedesk_protocol::model::{Agent, AgentEntry, CannedResponse, Label, Role, Team};
use livedesk_protocol::rest::{
    AgentList, CannedResponseBody, CannedResponseList, LabelList, NewLabel, SessionsEnded,
    TeamChanges, TeamList, UpdateAgent, UpdateMe,
};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::{Authed, Caller};
use crate::error::{ApiError, ApiResult};
use crate::presence;
use crate::publish;
use crate::state::SharedState;

pub async fn list_agents(
    State(state): State<SharedState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<AgentList>> {
    let (agent, _) = caller.require_agent()?;
    let agents = state
        .store
        .agent_entries(agent.workspace_id)
        .await?
        .into_iter()
        .map(|e| presence::with_connection(&state, e))
        .collect();
    Ok(axum::Json(AgentList { agents }))
}

pub async fn update_agent(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateAgent>,
) -> ApiResult<axum::Json<AgentEntry>> {
    let done = agents::update(&state.app, &caller, id, req).await?;
    publish::settle(&state, done).await;
    let entry = presence::agent_entry(&state, caller.workspace_id(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(entry))
}

/// `DELETE /agents/{id}/sessions`: an admin signs another agent out everywhere; their open
/// sockets close at once.
pub async fn end_sessions(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<SessionsEnded>> {
    let done = agents::end_sessions(&state.app, &caller, id).await?;
    let sessions_ended = publish::settle(&state, done).await;
    Ok(axum::Json(SessionsEnded { sessions_ended }))
}

/// `PATCH /me`: an agent sets their own status (online, away, offline) or name.
pub async fn update_me(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<UpdateMe>,
) -> ApiResult<axum::Json<Agent>> {
    let done = agents::update_me(&state.app, &caller, req).await?;
    Ok(axum::Json(publish::settle(&state, done).await))
}

pub async fn list_teams(
    State(state): State<SharedState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<TeamList>> {
    let (agent, _) = caller.require_agent()?;
    Ok(axum::Json(TeamList {
        teams: state.store.list_teams(agent.workspace_id).await?,
    }))
}

pub async fn create_team(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<TeamChanges>,
) -> ApiResult<(StatusCode, axum::Json<Team>)> {
    let admin = caller.require_admin("creating teams")?;
    let name = DisplayName::parse(req.name.as_deref().unwrap_or_default())?;
    let members = req.member_ids.unwrap_or_default();
    let team = state
        .store
        .create_team(admin.workspace_id, &name, &members)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(team)))
}

pub async fn update_team(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<TeamChanges>,
) -> ApiResult<axum::Json<Team>> {
    let admin = caller.require_admin("changing teams")?;
    let name = req.name.as_deref().map(DisplayName::parse).transpose()?;
    let team = state
        .store
        .update_team(
            admin.workspace_id,
            id,
            name.as_ref(),
            req.member_ids.as_deref(),
            req.policy,
        )
        .await?;
    Ok(axum::Json(team))
}

pub async fn delete_team(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let admin = caller.require_admin("deleting teams")?;
    state.store.delete_team(admin.workspace_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn manager(caller: &Caller, what: &str) -> ApiResult<Uuid> {
    match caller {
        Caller::Agent { agent, .. } if matches!(agent.role, Role::Admin | Role::Supervisor) => {
            Ok(agent.workspace_id)
        }
        _ => Err(ApiError::forbidden(what)),
    }
}

/// A saved reply, checked: a lower-case shortcut, a title and a body within limits.
fn canned(req: CannedResponseBody, max_chars: usize) -> ApiResult<(String, String, String)> {
    let shortcut = req.shortcut.trim().to_owned();
    let ok = (1..=32).contains(&shortcut.len())
        && shortcut
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "shortcut must be 1–32 of a-z, 0-9, '-' and '_'",
        ));
    }
    let title = req.title.trim().chars().take(100).collect::<String>();
    let body = livedesk_core::values::MessageBody::parse(req.body, max_chars)?.into_inner();
    Ok((shortcut, title, body))
}

pub async fn list_canned(
    State(state): State<SharedState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<CannedResponseList>> {
    let (agent, _) = caller.require_agent()?;
    Ok(axum::Json(CannedResponseList {
        canned_responses: state
            .store
            .list_canned_responses(agent.workspace_id)
            .await?,
    }))
}

pub async fn create_canned(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<CannedResponseBody>,
) -> ApiResult<(StatusCode, axum::Json<CannedResponse>)> {
    let ws = manager(&caller, "managing saved replies")?;
    let (shortcut, title, body) = canned(req, state.config.limits.max_message_chars)?;
    let c = state
        .store
        .create_canned_response(ws, &shortcut, &title, &body)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

pub async fn update_canned(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<CannedResponseBody>,
) -> ApiResult<axum::Json<CannedResponse>> {
    let ws = manager(&caller, "managing saved replies")?;
    let (shortcut, title, body) = canned(req, state.config.limits.max_message_chars)?;
    Ok(axum::Json(
        state
            .store
            .update_canned_response(ws, id, &shortcut, &title, &body)
            .await?,
    ))
}

pub async fn delete_canned(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let ws = manager(&caller, "managing saved replies")?;
    state.store.delete_canned_response(ws, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_labels(
    State(state): State<SharedState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<LabelList>> {
    let (agent, _) = caller.require_agent()?;
    Ok(axum::Json(LabelList {
        labels: state.store.list_labels(agent.workspace_id).await?,
    }))
}

pub async fn create_label(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<NewLabel>,
) -> ApiResult<(StatusCode, axum::Json<Label>)> {
    let admin = caller.require_admin("managing labels")?;
    let name = req.name.trim();
    let bad = |why: &str| ApiError::new(ErrorCode::ValidationFailed, why);
    if name.is_empty()
        || name.chars().count() > 40
        || name
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return Err(bad(
            "a label is 1–40 characters without quotes, backslashes or control characters",
        ));
    }
    let color = req.color.unwrap_or_else(|| "#6e7781".into());
    if !(color.len() == 7
        && color.starts_with('#')
        && color[1..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(bad("color must look like #1f6feb"));
    }
    let label = state
        .store
        .create_label(admin.workspace_id, name, &color.to_ascii_lowercase())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(label)))
}

pub async fn delete_label(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let admin = caller.require_admin("managing labels")?;
    state.store.delete_label(admin.workspace_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
