//! What a committed command caused, for the server's one publisher to tell the people
//! concerned. A command returns these only after its transaction committed, in the order
//! they are to be told.
//!
//! Messages are not among them: every message (a timeline line included) is handed to the
//! store's commit listener by the commit that wrote it, in seq order per conversation, so a
//! message reaches its listeners exactly once and in order however it was written.

use livedesk_core::routing::RouteOutcome;
use livedesk_protocol::model::{
    AgentRef, Author, Contact, Conversation, Notification, PageView, Receipts, Side,
};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Event {
    /// A new conversation, as it is after its routing (assigned or queued).
    ConversationCreated(Conversation),
    /// A conversation as it is now.
    ConversationUpdated(Conversation),
    /// What routing did: an assignment to tell its agent (and the visitor their wait is
    /// over), or a place in the queue that moved.
    Routed(RouteOutcome),
    /// Routing offered an assignment nobody answered in time to another agent.
    Reoffered {
        conversation: Conversation,
        from: AgentRef,
    },
    /// Capacity may have freed in the workspace: its queue goes to whoever can take it now.
    QueueMayMove { workspace_id: Uuid },
    /// What an agent may see changed (role, memberships, sessions, deactivation): their open
    /// sockets read their access again at once.
    AccessChanged { agent_id: Uuid },
    /// An agent's directory entry changed (name, status, capacity, memberships): every
    /// console of the workspace shows it anew.
    AgentChanged { workspace_id: Uuid, agent_id: Uuid },
    /// A contact was blocked: their visitor sockets close.
    ContactBlocked { contact_id: Uuid },
    /// A contact's details changed.
    ContactUpdated(Contact),
    /// A notification for one agent.
    Notify {
        agent_id: Uuid,
        notification: Notification,
    },
    /// A side's delivered or read marks moved.
    Receipt {
        conversation: Conversation,
        side: Side,
        receipts: Receipts,
    },
    /// Someone started or stopped typing (with a visitor's draft, for agents only).
    Typing {
        conversation: Conversation,
        author: Author,
        on: bool,
        draft: Option<String>,
    },
    /// A visitor opened a page.
    PageView {
        workspace_id: Uuid,
        inbox_id: Uuid,
        view: PageView,
    },
}

/// A command's result and the events it caused.
#[derive(Debug)]
#[must_use = "a command's events must be published"]
pub struct Done<T> {
    pub value: T,
    pub events: Vec<Event>,
}

impl<T> Done<T> {
    pub fn new(value: T) -> Self {
        Self {
            value,
            events: Vec::new(),
        }
    }

    pub fn with(value: T, events: Vec<Event>) -> Self {
        Self { value, events }
    }
}
