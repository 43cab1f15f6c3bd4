//! Conversations and their messages, for visitors (their own) and agents (their workspace's).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use livedesk_core::directory::{AssigneeFilter, ConversationQuery, ConversationSort};
use livedesk_core::store::ConversationFilter;
use livedesk_protocol::model::{
    Conversation, ConversationStatus, VisitorConversation, VisitorMessage,
};
use livedesk_protocol::rest::{
    ConversationPage, MessagePage, NewConversation, NewMessage, Transfer, UpdateConversation,
    VisitorConversationList, VisitorMessagePage,
};
use livedesk_protocol::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{Json, Path, Query};
use crate::auth::{Authed, Caller};
use crate::error::{ApiError, ApiResult};
use crate::metrics::count_message;
use crate::publish;
use crate::state::SharedState;
use livedesk_app::{chat, conversations, triage};

pub async fn create(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Json(req): Json<NewConversation>,
) -> ApiResult<Response> {
    state
        .conversation_limiter
        .check(&caller.actor_id())
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let done = conversations::open(&state.app, &caller, req).await?;
    let conversation = publish::settle(&state, done).await;
    Ok(match caller {
        Caller::Visitor(_) => (
            StatusCode::CREATED,
            axum::Json(VisitorConversation::from(&conversation)),
        )
            .into_response(),
        Caller::Agent { .. } => (StatusCode::CREATED, axum::Json(conversation)).into_response(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<ConversationStatus>,
    inbox_id: Option<Uuid>,
    /// `me`, `none` or an agent id (agents' lists only).
    assignee: Option<String>,
    team_id: Option<Uuid>,
    label: Option<String>,
    /// `activity` (default) or `waiting`.
    sort: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let mut filter = ConversationFilter {
        workspace_id: caller.workspace_id(),
        contact_id: None,
        inbox_id: q.inbox_id,
        status: q.status,
        updated_before: q.before,
        limit,
    };
    if let Caller::Visitor(v) = &caller {
        filter.contact_id = Some(v.contact_id);
        let conversations = state.store.list_conversations(&filter).await?;
        let conversations = conversations
            .iter()
            .map(VisitorConversation::from)
            .collect();
        return Ok(axum::Json(VisitorConversationList { conversations }).into_response());
    }
    let (agent, _) = caller.require_agent()?;
    let bad = |what: &str| ApiError::new(ErrorCode::ValidationFailed, format!("unknown {what}"));
    let assignee = match q.assignee.as_deref() {
        None => AssigneeFilter::Any,
        Some("me") => AssigneeFilter::Agent(agent.id),
        Some("none") => AssigneeFilter::Unassigned,
        Some(id) => AssigneeFilter::Agent(
            Uuid::parse_str(id).map_err(|_| bad("assignee: use me, none or an agent id"))?,
        ),
    };
    let sort = match q.sort.as_deref() {
        None | Some("activity") => ConversationSort::Activity,
        Some("waiting") => ConversationSort::Waiting,
        Some("queue") => ConversationSort::Queue,
        Some(_) => return Err(bad("sort: use activity, waiting or queue")),
    };
    let inbox_ids = match (chat::inbox_scope(&state.app, agent).await?, q.inbox_id) {
        (Some(mine), Some(one)) => Some(mine.into_iter().filter(|i| *i == one).collect()),
        (Some(mine), None) => Some(mine),
        (None, one) => one.map(|i| vec![i]),
    };
    let query = ConversationQuery {
        workspace_id: agent.workspace_id,
        inbox_ids,
        status: q.status,
        assignee,
        team_id: q.team_id,
        label: q.label,
        sort,
        updated_before: q.before.filter(|_| sort == ConversationSort::Activity),
        limit,
    };
    let conversations = state.store.find_conversations(&query).await?;
    let next_before = if conversations.len() == limit as usize && sort == ConversationSort::Activity
    {
        conversations.last().map(|c| c.updated_at)
    } else {
        None
    };
    let contact_ids: Vec<Uuid> = conversations.iter().map(|c| c.contact_id).collect();
    let contacts = state
        .store
        .contacts_by_ids(agent.workspace_id, &contact_ids)
        .await?;
    Ok(axum::Json(ConversationPage {
        conversations,
        next_before,
        contacts,
    })
    .into_response())
}

pub async fn show(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let conversation = chat::conversation_for(&state.app, &caller, id).await?;
    Ok(match caller {
        Caller::Visitor(_) => axum::Json(VisitorConversation::from(&conversation)).into_response(),
        Caller::Agent { .. } => axum::Json(conversation).into_response(),
    })
}

/// Sends a message: 201 when stored now, 200 with the original ack when it was stored before.
pub async fn send(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<NewMessage>,
) -> ApiResult<Response> {
    state
        .message_limiter
        .check(&caller.actor_id())
        .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))?;
    let conversation = chat::conversation_for(&state.app, &caller, id).await?;
    let outgoing = chat::Outgoing {
        client_msg_id: req.client_msg_id,
        body: req.body,
        kind: req.kind,
        attachment_id: req.attachment_id,
        mentions: req.mentions,
    };
    let done = chat::send_message(&state.app, &caller, &conversation, outgoing).await?;
    let ack = publish::settle(&state, done).await;
    if !ack.duplicate {
        count_message("rest");
    }
    let status = if ack.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(ack)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    after_seq: Option<i64>,
    before_seq: Option<i64>,
    limit: Option<u32>,
}

pub async fn messages(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<Response> {
    let conversation = chat::conversation_for(&state.app, &caller, id).await?;
    let (page, has_more) = chat::messages(
        &state.app,
        &caller,
        &conversation,
        q.after_seq,
        q.before_seq,
        q.limit.unwrap_or(100),
    )
    .await?;
    // Messages committed after the conversation was read can be on the page.
    let last_seq = page
        .last()
        .map_or(conversation.last_seq, |m| m.seq.max(conversation.last_seq));
    Ok(match caller {
        Caller::Visitor(_) => axum::Json(VisitorMessagePage {
            messages: page
                .iter()
                .filter_map(VisitorMessage::from_message)
                .collect(),
            last_seq,
            has_more,
        })
        .into_response(),
        Caller::Agent { .. } => axum::Json(MessagePage {
            messages: page,
            last_seq,
            has_more,
        })
        .into_response(),
    })
}

/// Agents change status, assignee, team, priority or labels; both sides hear
/// `conversation.updated`, agents also the timeline event.
pub async fn update(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateConversation>,
) -> ApiResult<axum::Json<Conversation>> {
    let (agent, _) = caller.require_agent()?;
    let conversation = chat::conversation_for(&state.app, &caller, id).await?;
    let done = triage::update(&state.app, agent, &conversation, req).await?;
    Ok(axum::Json(publish::settle(&state, done).await))
}

/// Hands the conversation to an agent or a team.
pub async fn transfer(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<Transfer>,
) -> ApiResult<axum::Json<Conversation>> {
    let (agent, _) = caller.require_agent()?;
    let conversation = chat::conversation_for(&state.app, &caller, id).await?;
    let done = triage::transfer(&state.app, agent, &conversation, req).await?;
    Ok(axum::Json(publish::settle(&state, done).await))
}
