//! The one publisher of what commands caused. A command ([`livedesk_app`]) commits and
//! returns its events; the adapter that ran it hands them here, in their order, and this tells
//! the people concerned: consoles and widgets (through [`crate::events`]), routing's
//! announcements and queue drains (through [`crate::routing`]), presence.
//!
//! The change is committed when its events arrive here, so a failure to tell someone is
//! logged and does not turn the command into an error: a client that retried would change
//! twice.

use livedesk_app::{Done, Event};

use crate::error::ApiResult;
use crate::state::SharedState;
use crate::{events, presence, routing};

/// Publishes a command's events and gives back its result.
pub async fn settle<T>(state: &SharedState, done: Done<T>) -> T {
    publish(state, done.events).await;
    done.value
}

/// Publishes events in their order. A queue drain that a later event asks for again runs once,
/// at the later place.
pub async fn publish(state: &SharedState, events: Vec<Event>) {
    for (i, event) in events.iter().enumerate() {
        if let Event::QueueMayMove { workspace_id } = event {
            let again = events[i + 1..].iter().any(|later| {
                matches!(later, Event::QueueMayMove { workspace_id: w } if w == workspace_id)
            });
            if again {
                continue;
            }
        }
        if let Err(e) = one(state, event).await {
            tracing::warn!("could not publish a committed change: {}", e.0);
        }
    }
}

async fn one(state: &SharedState, event: &Event) -> ApiResult<()> {
    match event {
        Event::ConversationCreated(c) => events::conversation_created(state, c),
        Event::ConversationUpdated(c) => events::conversation_updated(state, c),
        Event::Routed(outcome) => routing::announce(state, outcome).await?,
        Event::Reoffered { conversation, from } => {
            routing::assigned(state, conversation, Some((from.id, from.name.clone()))).await?
        }
        Event::QueueMayMove { workspace_id } => routing::drain(state, *workspace_id).await?,
        Event::AccessChanged { agent_id } => events::access_changed(state, *agent_id),
        Event::AgentChanged {
            workspace_id,
            agent_id,
        } => {
            if let Some(entry) = presence::agent_entry(state, *workspace_id, *agent_id).await? {
                events::agent_updated(state, entry);
            }
        }
        Event::ContactBlocked { contact_id } => events::contact_blocked(state, *contact_id),
        Event::ContactUpdated(contact) => events::contact_updated(state, contact.clone()),
        Event::Typing {
            conversation,
            author,
            on,
            draft,
        } => events::typing(state, conversation, author, *on, draft.clone()),
        Event::Notify {
            agent_id,
            notification,
        } => events::notify(state, *agent_id, notification.clone()),
        Event::Receipt {
            conversation,
            side,
            receipts,
        } => events::receipt(state, conversation, *side, receipts),
        Event::PageView {
            workspace_id,
            inbox_id,
            view,
        } => {
            state.presence.visitor_page(view);
            events::page_view(state, *workspace_id, *inbox_id, view.clone());
        }
    }
    Ok(())
}
