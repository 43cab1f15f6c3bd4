//! Contacts as the console shows them (profile, pages, past conversations), and the visitors
//! on the site now.

use axum::extract::State;
use livedesk_core::store::ConversationFilter;
use livedesk_protocol::model::Contact;
use livedesk_protocol::rest::{ContactDetail, LiveVisitorList, UpdateContact};
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::Authed;
use crate::error::ApiResult;
use crate::presence;
use crate::publish;
use crate::state::SharedState;
use livedesk_app::chat;
use livedesk_app::contacts::{self, contact_for};

pub async fn show(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ContactDetail>> {
    let (agent, _) = caller.require_agent()?;
    let contact = contact_for(&state.app, agent, id).await?;
    let pages = state.store.page_views(id, 100).await?;
    let conversations = state
        .store
        .list_conversations(&ConversationFilter {
            workspace_id: agent.workspace_id,
            contact_id: Some(id),
            inbox_id: None,
            status: None,
            updated_before: None,
            limit: 50,
        })
        .await?;
    let (user_agent, timezone) = state.store.contact_device(agent.workspace_id, id).await?;
    Ok(axum::Json(ContactDetail {
        contact,
        pages,
        conversations,
        user_agent,
        timezone,
    }))
}

/// Agents edit a contact's details and attributes, and block or unblock the visitor.
pub async fn update(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateContact>,
) -> ApiResult<axum::Json<Contact>> {
    let done = contacts::update(&state.app, &caller, id, req).await?;
    Ok(axum::Json(publish::settle(&state, done).await))
}

/// Visitors with the widget open now, in the inboxes the agent works.
pub async fn live(
    State(state): State<SharedState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<LiveVisitorList>> {
    let (agent, _) = caller.require_agent()?;
    let scope = chat::inbox_scope(&state.app, agent).await?;
    let mut visitors = Vec::new();
    for (contact_id, live) in state
        .presence
        .visitors(agent.workspace_id)
        .into_iter()
        .take(500)
    {
        if scope.as_ref().is_some_and(|s| !s.contains(&live.inbox_id)) {
            continue;
        }
        if let Some(v) = presence::live_visitor(&state, contact_id, &live).await? {
            visitors.push(v);
        }
    }
    Ok(axum::Json(LiveVisitorList { visitors }))
}
