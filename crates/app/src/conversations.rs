//! Starting a conversation.

use livedesk_core::directory::NewConversationRecord;
use livedesk_protocol::model::{Conversation, Role};
use livedesk_protocol::rest::NewConversation;
use livedesk_protocol::ErrorCode;

use crate::chat::inbox_scope;
use crate::contacts::contact_for;
use crate::error::{Error, Result};
use crate::{App, Caller, Done, Event};

/// Opens a conversation: a visitor's own (in their inbox, to the team their details call
/// for), or one an agent starts with a contact they may see, in an inbox they work. Stored
/// and assigned or routed in one transaction, so `conversation.created` shows it assigned or
/// queued and a crash cannot leave it open and in nobody's queue.
pub async fn open(app: &App, caller: &Caller, req: NewConversation) -> Result<Done<Conversation>> {
    let (inbox_id, contact_id) = match caller {
        Caller::Visitor(v) => {
            if req.inbox_id.is_some_and(|i| i != v.inbox_id)
                || req.contact_id.is_some_and(|c| c != v.contact_id)
            {
                return Err(Error::not_found());
            }
            (v.inbox_id, v.contact_id)
        }
        Caller::Agent { .. } => match (req.inbox_id, req.contact_id) {
            (Some(i), Some(c)) => (i, c),
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidRequest,
                    "agents must name inbox_id and contact_id",
                ))
            }
        },
    };
    let team_id = match caller {
        Caller::Agent { agent, .. } => {
            if let Some(inboxes) = inbox_scope(app, agent).await? {
                if !inboxes.contains(&inbox_id) {
                    return Err(Error::not_found());
                }
            }
            // Only with a contact the agent may see, or its details would come back with the
            // list.
            contact_for(app, agent, contact_id).await?;
            if req.assignee_id.is_some_and(|a| a != agent.id) && agent.role == Role::Agent {
                return Err(Error::forbidden(
                    "assigning a new conversation to someone else",
                ));
            }
            None
        }
        Caller::Visitor(v) => {
            if req.assignee_id.is_some() {
                return Err(Error::forbidden("assigning conversations"));
            }
            // A visitor's conversation goes to the team its contact's details call for.
            match (
                app.store.inbox(inbox_id).await?,
                app.store.contact(v.workspace_id, v.contact_id).await?,
            ) {
                (Some(inbox), Some(contact)) => inbox.routing.team_for(&contact),
                _ => None,
            }
        }
    };
    let (conversation, outcome) = app
        .store
        .open_conversation(NewConversationRecord {
            workspace_id: caller.workspace_id(),
            inbox_id,
            contact_id,
            assignee_id: req.assignee_id,
            team_id,
        })
        .await?;
    let mut events = vec![Event::ConversationCreated(conversation.clone())];
    events.extend(outcome.map(Event::Routed));
    Ok(Done::with(conversation, events))
}
