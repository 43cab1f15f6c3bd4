//! Turning committed changes into frames for sockets. This is the one place frames for
//! visitors are built, and they can only be built from visitor types: a private note has no
//! visitor form, so it cannot reach a visitor's socket.

use bytes::Bytes;
use livedesk_core::fanout::{Event, Topic};
use livedesk_protocol::frames::{AgentFrame, ServerFrame, VisitorFrame};
use livedesk_protocol::model::{
    Author, Conversation, Message, PageView, ReceiptStatus, Receipts, Side, VisitorAuthor,
    VisitorConversation, VisitorMessage,
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

fn publish_to_agents(
    state: &SharedState,
    workspace_id: Uuid,
    frame: &AgentFrame,
    message_seq: Option<(Uuid, i64)>,
) {
    if let Some(payload) = encode(frame) {
        state.fanout.publish(Event {
            topic: Topic::Agents { workspace_id },
            payload,
            message_seq,
            committed_at: std::time::Instant::now(),
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
        });
    }
}

/// A committed message, to the workspace's agents and (unless private) to the visitor.
pub fn message_created(state: &SharedState, conversation: &Conversation, message: &Message) {
    let position = Some((conversation.id, message.seq));
    publish_to_agents(
        state,
        conversation.workspace_id,
        &ServerFrame::MessageCreated {
            message: message.clone(),
        },
        position,
    );
    if let Some(message) = VisitorMessage::from_message(message) {
        publish_to_visitor(
            state,
            conversation.contact_id,
            &ServerFrame::MessageCreated { message },
            position,
        );
    }
}

pub fn conversation_created(state: &SharedState, conversation: &Conversation) {
    publish_to_agents(
        state,
        conversation.workspace_id,
        &ServerFrame::ConversationCreated {
            conversation: conversation.clone(),
        },
        None,
    );
    publish_to_visitor(
        state,
        conversation.contact_id,
        &ServerFrame::ConversationCreated {
            conversation: VisitorConversation::from(conversation),
        },
        None,
    );
}

/// Typing is ephemeral: agents always hear it; the visitor hears agents only.
pub fn typing(state: &SharedState, conversation: &Conversation, author: &Author, on: bool) {
    publish_to_agents(
        state,
        conversation.workspace_id,
        &ServerFrame::Typing {
            conversation_id: conversation.id,
            author: author.clone(),
            on,
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
            &ServerFrame::Typing {
                conversation_id: conversation.id,
                author,
                on,
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
        &ServerFrame::ConversationUpdated {
            conversation: conversation.clone(),
        },
        None,
    );
    publish_to_visitor(
        state,
        conversation.contact_id,
        &ServerFrame::ConversationUpdated {
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
            &ServerFrame::Receipt {
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
            &ServerFrame::Receipt {
                conversation_id,
                side,
                status,
                seq,
            },
            None,
        );
    }
}

pub fn page_view(state: &SharedState, workspace_id: Uuid, page: PageView) {
    publish_to_agents(state, workspace_id, &ServerFrame::PageView { page }, None);
}
