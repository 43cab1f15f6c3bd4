//! The support team: the agent directory and presence, teams, saved replies and labels.
//! Everyone reads; admins change agents, teams and labels; supervisors also saved replies.

use axum::extract::State;
use axum::http::StatusCode;
use livedesk_app::{agents, workspace};
use livedesk_protocol::model::{Agent, AgentEntry, CannedResponse, Label, Team};
use livedesk_protocol::rest::{
    AgentList, CannedResponseBody, CannedResponseList, LabelList, NewLabel, SessionsEnded,
    TeamChanges, TeamList, UpdateAgent, UpdateMe,
};
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::Authed;
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
    let done = workspace::create_team(&state.app, &caller, req).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(publish::settle(&state, done).await),
    ))
}

pub async fn update_team(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<TeamChanges>,
) -> ApiResult<axum::Json<Team>> {
    let done = workspace::update_team(&state.app, &caller, id, req).await?;
    Ok(axum::Json(publish::settle(&state, done).await))
}

pub async fn delete_team(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let done = workspace::delete_team(&state.app, &caller, id).await?;
    publish::settle(&state, done).await;
    Ok(StatusCode::NO_CONTENT)
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
    let done = workspace::create_canned(&state.app, &caller, req).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(publish::settle(&state, done).await),
    ))
}

pub async fn update_canned(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<CannedResponseBody>,
) -> ApiResult<axum::Json<CannedResponse>> {
    let done = workspace::update_canned(&state.app, &caller, id, req).await?;
    Ok(axum::Json(publish::settle(&state, done).await))
}

pub async fn delete_canned(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let done = workspace::delete_canned(&state.app, &caller, id).await?;
    publish::settle(&state, done).await;
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
    let done = workspace::create_label(&state.app, &caller, req).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(publish::settle(&state, done).await),
    ))
}

pub async fn delete_label(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let done = workspace::delete_label(&state.app, &caller, id).await?;
    publish::settle(&state, done).await;
    Ok(StatusCode::NO_CONTENT)
}
