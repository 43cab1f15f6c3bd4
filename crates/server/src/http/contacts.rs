//! Contacts as the console shows them (profile, pages, past conversations), and the visitors
//! on the site now.

use axum::extract::State;
use livedesk_core::store::{ContactChanges, ConversationFilter};
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::model::Contact;
use livedesk_protocol::rest::{ContactDetail, LiveVisitorList, UpdateContact};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::presence;
use crate::state::SharedState;
use livedesk_app::chat;
use livedesk_app::conversations::contact_for;

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

/// Agents edit a contact's name, e-mail and custom attributes (merged; `null` removes a key).
/// A verified contact's name and e-mail come from the customer's backend only.
pub async fn update(
    State(state): State<SharedState>,
    Authed(caller): Authed,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateContact>,
) -> ApiResult<axum::Json<Contact>> {
    let (agent, _) = caller.require_agent()?;
    let contact = contact_for(&state.app, agent, id).await?;
    if contact.verified && (req.name.is_some() || req.email.is_some()) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a verified contact's name and email are set by the customer's backend",
        ));
    }
    let changes = ContactChanges {
        name: req
            .name
            .map(|n| DisplayName::parse(&n))
            .transpose()?
            .map(|n| n.as_str().to_owned()),
        email: req
            .email
            .map(|e| Email::parse(&e))
            .transpose()?
            .map(|e| e.as_str().to_owned()),
        attributes: req
            .attributes
            .map(|a| super::widget::merge_attributes(contact.attributes.clone(), a))
            .transpose()?,
        ..ContactChanges::default()
    };
    let mut contact = state
        .store
        .update_contact(agent.workspace_id, id, changes)
        .await?;
    if let Some(blocked) = req.blocked {
        contact = state
            .store
            .set_contact_blocked(agent.workspace_id, id, blocked)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if blocked {
            events::contact_blocked(&state, id);
        }
        tracing::info!(contact = %id, by = %agent.id, blocked, "contact block changed");
    }
    events::contact_updated(&state, contact.clone());
    Ok(axum::Json(contact))
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
