//! Turning committed changes into frames for sockets. This is the one place frames for
//! visitors are built, and they can only be built from visitor types: a private note has no
//! visitor form, so it cannot reach a visitor's socket.

use std::sync::Arc;

use bytes::Bytes;
use livedesk_core::fanout::{Event, EventKind, Fanout, Topic};
use livedesk_core::store::{CommitListener, CommittedMessage};
use livedesk_protocol::frames::{AgentEventFrame, AgentFrame, VisitorFrame};
use livedesk_protocol::model::{
    AgentEntry, Author, Contact, Conversation, LiveVisitor, Notification, PageView, ReceiptStatus,
    Receipts, Side, VisitorAuthor, VisitorConversation, VisitorMessage,
};
use uuid::Uuid;

use crate::state::SharedState;

fn encode<T: serde::Serialize>(frame: &T) -> Option<Bytes> {
    match serde_json::to_vec(frame) {
        Ok(v) => Some(Bytes::from(v)),
        Err(e) => {
            tracing::error!("could not encode a frame: {e}");
            None
        }
    }
}

/// To the workspace's agent sockets that may see `inbox_id` (all of them for `None`).
fn publish_to_agents<F: serde::Serialize>(
    state: &SharedState,
    workspace_id: Uuid,
    inbox_id: Option<Uuid>,
    frame: &F,
    message_seq: Option<(Uuid, i64)>,
) {
    if let Some(payload) = encode(frame) {
        state.fanout.publish(Event {
            topic: Topic::Agents { workspace_id },
            payload,
            message_seq,
            committed_at: std::time::Instant::now(),
            inbox_id,
            kind: EventKind::Frame,
        });
    }
}

/// To one agent's console sockets only.
fn publish_to_agent(state: &SharedState, agent_id: Uuid, frame: &AgentEventFrame) {
    if let Some(payload) = encode(frame) {
        state.fanout.publish(Event {
            topic: Topic::Agent { agent_id },
            payload,
            message_seq: None,
            committed_at: std::time::Instant::now(),
            inbox_id: None,
            kind: EventKind::Frame,
        });
    }
}

fn publish_to_visitor(
    state: &SharedState,
    contact_id: Uuid,
    frame: &VisitorFrame,
    message_seq: Option<(Uuid, i64)>,
) {
    if let Some(payload) = encode(frame) {
        state.fanout.publish(Event {
            topic: Topic::Visitor { contact_id },
            payload,
            message_seq,
            committed_at: std::time::Instant::now(),
            inbox_id: None,
            kind: EventKind::Frame,
        });
    }
}

/// A frame for one visitor's sockets (e.g. their place in the queue).
pub fn to_visitor(state: &SharedState, contact_id: Uuid, frame: &VisitorFrame) {
    publish_to_visitor(state, contact_id, frame, None);
}

/// Publishes each message the store commits, as the store's commit listener: called by the
/// task that committed it, in seq order per conversation, so events leave in order by
/// construction and no caller publishes a message itself.
pub struct MessagePublisher(pub Arc<dyn Fanout>);

impl CommitListener for MessagePublisher {
    fn committed(&self, messages: &[CommittedMessage]) {
        let committed_at = std::time::Instant::now();
        for c in messages {
            let m = &c.message;
            let position = Some((m.conversation_id, m.seq));
            let agents = encode(&AgentFrame::MessageCreated { message: m.clone() });
            if let Some(payload) = agents {
                self.0.publish(Event {
                    topic: Topic::Agents {
                        workspace_id: c.workspace_id,
                    },
                    payload,
                    message_seq: position,
                    committed_at,
                    inbox_id: Some(c.inbox_id),
                    kind: EventKind::Frame,
                });
            }
            let visitor = VisitorMessage::from_message(m)
                .and_then(|message| encode(&VisitorFrame::MessageCreated { message }));
            if let Some(payload) = visitor {
                self.0.publish(Event {
                    topic: Topic::Visitor {
                        contact_id: c.contact_id,
                    },
                    payload,
                    message_seq: position,
                    committed_at,
                    inbox_id: None,
                    kind: EventKind::Frame,
                });
            }
        }
    }
}

pub fn conversation_created(state: &SharedState, conversation: &Conversation) {
    publish_to_agents(
        state,
        conversation.workspace_id,
        Some(conversation.inbox_id),
        &AgentFrame::ConversationCreated {
            conversation: conversation.clone(),
        },
        None,
    );
    publish_to_visitor(
        state,
        conversation.contact_id,
        &VisitorFrame::ConversationCreated {
            conversation: VisitorConversation::from(conversation),
        },
        None,
    );
}

/// Typing is ephemeral: agents always hear it (with the visitor's draft, if any); the visitor
/// hears agents only, and never a draft.
pub fn typing(
    state: &SharedState,
    conversation: &Conversation,
    author: &Author,
    on: bool,
    draft: Option<String>,
) {
    publish_to_agents(
        state,
        conversation.workspace_id,
        Some(conversation.inbox_id),
        &AgentFrame::Typing {
            conversation_id: conversation.id,
            author: author.clone(),
            on,
            draft,
        },
        None,
    );
    if author.kind != livedesk_protocol::model::AuthorKind::Contact {
        let author = VisitorAuthor {
            kind: author.kind,
            name: author.name.clone(),
        };
        publish_to_visitor(
            state,
            conversation.contact_id,
            &VisitorFrame::Typing {
                conversation_id: conversation.id,
                author,
                on,
                draft: None,
            },
            None,
        );
    }
}

/// Status or assignee changed.
pub fn conversation_updated(state: &SharedState, conversation: &Conversation) {
    publish_to_agents(
        state,
        conversation.workspace_id,
        Some(conversation.inbox_id),
        &AgentFrame::ConversationUpdated {
            conversation: conversation.clone(),
        },
        None,
    );
    publish_to_visitor(
        state,
        conversation.contact_id,
        &VisitorFrame::ConversationUpdated {
            conversation: VisitorConversation::from(conversation),
        },
        None,
    );
}

/// A side's receipts moved: both sides hear both positions of that side.
pub fn receipt(state: &SharedState, conversation: &Conversation, side: Side, receipts: &Receipts) {
    let (delivered, read) = match side {
        Side::Agent => (receipts.agent_delivered, receipts.agent_read),
        Side::Contact => (receipts.contact_delivered, receipts.contact_read),
    };
    for (status, seq) in [
        (ReceiptStatus::Delivered, delivered),
        (ReceiptStatus::Read, read),
    ] {
        let conversation_id = conversation.id;
        publish_to_agents(
            state,
            conversation.workspace_id,
            Some(conversation.inbox_id),
            &AgentFrame::Receipt {
                conversation_id,
                side,
                status,
                seq,
            },
            None,
        );
        publish_to_visitor(
            state,
            conversation.contact_id,
            &VisitorFrame::Receipt {
                conversation_id,
                side,
                status,
                seq,
            },
            None,
        );
    }
}

pub fn page_view(state: &SharedState, workspace_id: Uuid, inbox_id: Uuid, page: PageView) {
    publish_to_agents(
        state,
        workspace_id,
        Some(inbox_id),
        &AgentFrame::PageView { page },
        None,
    );
}

/// A teammate's directory entry changed (status, capacity, memberships, connection).
pub fn agent_updated(state: &SharedState, agent: AgentEntry) {
    let workspace_id = agent.agent.workspace_id;
    publish_to_agents(
        state,
        workspace_id,
        None,
        &AgentEventFrame::AgentUpdated { agent },
        None,
    );
}

/// What `agent_id` may see changed: their open sockets stop carrying inbox events at once
/// and read their access again before handling another frame.
pub fn access_changed(state: &SharedState, agent_id: Uuid) {
    revoke(state, Topic::Agent { agent_id });
}

/// A contact was blocked: their visitor sockets re-check and close.
pub fn contact_blocked(state: &SharedState, contact_id: Uuid) {
    revoke(state, Topic::Visitor { contact_id });
}

fn revoke(state: &SharedState, topic: Topic) {
    state.fanout.publish(Event {
        topic,
        payload: Bytes::new(),
        message_seq: None,
        committed_at: std::time::Instant::now(),
        inbox_id: None,
        kind: EventKind::AccessChanged,
    });
}

pub fn notify(state: &SharedState, agent_id: Uuid, notification: Notification) {
    publish_to_agent(
        state,
        agent_id,
        &AgentEventFrame::Notification { notification },
    );
}

pub fn visitor_online(state: &SharedState, workspace_id: Uuid, visitor: LiveVisitor) {
    let inbox_id = Some(visitor.inbox_id);
    publish_to_agents(
        state,
        workspace_id,
        inbox_id,
        &AgentEventFrame::VisitorOnline { visitor },
        None,
    );
}

pub fn visitor_offline(state: &SharedState, workspace_id: Uuid, inbox_id: Uuid, contact_id: Uuid) {
    publish_to_agents(
        state,
        workspace_id,
        Some(inbox_id),
        &AgentEventFrame::VisitorOffline { contact_id },
        None,
    );
}

pub fn contact_updated(state: &SharedState, contact: Contact) {
    let (workspace_id, inbox_id) = (contact.workspace_id, contact.inbox_id);
    publish_to_agents(
        state,
        workspace_id,
        Some(inbox_id),
        &AgentEventFrame::ContactUpdated { contact },
        None,
    );
}
