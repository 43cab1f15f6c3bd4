//! The support team: the agent directory and presence, teams, saved replies and labels.
//! Everyone reads; admins change agents, teams and labels; supervisors also saved replies.

use axum::extract::State;
use axum::http::StatusCode;
use livedesk_app::triage;
use livedesk_core::directory::AgentChanges;
use livedesk_core::values::DisplayName;
use livedesk_protocol::model::{
    Agent, AgentEntry, AgentStatus, CannedResponse, Label, RequeueReason, Role, Team,
};
use livedesk_protocol::rest::{
    AgentList, CannedResponseBody, CannedResponseList, LabelList, NewLabel, SessionsEnded,
    TeamChanges, TeamList, UpdateAgent, UpdateMe,
};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::{Authed, Caller};
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::presence;
use crate::publish;
use crate::state::SharedState;

/// Capacity is 1–100 open conversations at once.
pub fn capacity(n: u32) -> ApiResult<u32> {
    if (1..=100).contains(&n) {
        Ok(n)
    } else {
        Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "capacity must be between 1 and 100",
        ))
    }
}

async fn announce(
    state: &SharedState,
    workspace_id: Uuid,
    agent_id: Uuid,
) -> ApiResult<AgentEntry> {
    let entry = presence::agent_entry(state, workspace_id, agent_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    events::agent_updated(state, entry.clone());
    Ok(entry)
}

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
    let admin = caller.require_admin("changing agents")?;
    if id == admin.id && req.role.is_some_and(|r| r != Role::Admin) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "admins cannot take their own admin role away",
        ));
    }
    if id == admin.id && req.active == Some(false) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "admins cannot deactivate themselves",
        ));
    }
    let changes = AgentChanges {
        name: req.name.as_deref().map(DisplayName::parse).transpose()?,
        role: req.role,
        capacity: req.capacity.map(capacity).transpose()?,
        inbox_ids: req.inbox_ids,
        team_ids: req.team_ids,
    };
    let access = changes.role.is_some() || changes.inbox_ids.is_some();
    state
        .store
        .update_agent(admin.workspace_id, id, changes)
        .await?;
    if access {
        events::access_changed(&state, id);
    }
    if let Some(active) = req.active {
        set_active(&state, admin.workspace_id, id, active).await?;
    }
    let entry = announce(&state, admin.workspace_id, id).await?;
    // More capacity or another inbox may let queued conversations through.
    crate::routing::drain(&state, admin.workspace_id).await?;
    Ok(axum::Json(entry))
}

/// Deactivates or reactivates an agent. A deactivated agent's sockets close at once (their
/// sessions are gone, and they are told to read them again), and what they held goes back to
/// the queue with a line in each conversation's timeline.
async fn set_active(
    state: &SharedState,
    workspace_id: Uuid,
    id: Uuid,
    active: bool,
) -> ApiResult<()> {
    let (_, returned) = state
        .store
        .set_agent_active(workspace_id, id, active)
        .await?
        .ok_or_else(ApiError::not_found)?;
    events::access_changed(state, id);
    let events = triage::requeued(
        &state.app,
        workspace_id,
        &returned,
        RequeueReason::AgentDeactivated,
    )
    .await?;
    publish::publish(state, events).await;
    tracing::info!(agent = %id, active, "agent activation changed");
    Ok(())
}

/// `DELETE /agents/{id}/sessions`: an admin signs another agent out everywhere; their open
/// sockets close at once.
pub async fn end_sessions(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<SessionsEnded>> {
    let admin = caller.require_admin("ending agents' sessions")?;
    state
        .store
        .agent_entry(admin.workspace_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sessions_ended = state.store.delete_agent_sessions(id).await?;
    events::access_changed(&state, id);
    tracing::info!(agent = %id, by = %admin.id, sessions_ended, "sessions ended by an admin");
    Ok(axum::Json(SessionsEnded { sessions_ended }))
}

/// `PATCH /me`: an agent sets their own status (online, away, offline) or name.
pub async fn update_me(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<UpdateMe>,
) -> ApiResult<axum::Json<Agent>> {
    let (agent, _) = caller.require_agent()?;
    let mut me = agent.clone();
    if let Some(name) = req.name {
        let changes = AgentChanges {
            name: Some(DisplayName::parse(&name)?),
            ..Default::default()
        };
        me = state
            .store
            .update_agent(me.workspace_id, me.id, changes)
            .await?
            .agent;
    }
    if let Some(status) = req.status {
        me = state.store.set_agent_status(me.id, status).await?;
    }
    announce(&state, me.workspace_id, me.id).await?;
    match req.status {
        Some(AgentStatus::Online) => crate::routing::drain(&state, me.workspace_id).await?,
        Some(AgentStatus::Offline) => {
            crate::routing::agent_offline(&state, me.workspace_id, me.id).await?
        }
        _ => {}
    }
    Ok(axum::Json(me))
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
