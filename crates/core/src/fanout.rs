//! Carrying committed events to sockets.
//!
//! A socket subscribes to topics: agents to their workspace, visitors to their contact. Events
//! are serialised once and handed to every subscriber's bounded queue. Losing an event here
//! only delays it: clients fill gaps from the store by `seq`.

use bytes::Bytes;
use uuid::Uuid;

/// Where an event goes. Visitor-facing topics only ever carry visitor frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Every agent socket of a workspace.
    Agents { workspace_id: Uuid },
    /// Every socket of one visitor (contact).
    Visitor { contact_id: Uuid },
    /// Every console socket of one agent (notifications meant for them alone).
    Agent { agent_id: Uuid },
}

impl Topic {
    /// A NATS-style subject name, derived from the ids.
    pub fn subject(&self) -> String {
        match self {
            Topic::Agents { workspace_id } => format!("livedesk.ws.{workspace_id}.agents"),
            Topic::Visitor { contact_id } => format!("livedesk.contact.{contact_id}"),
            Topic::Agent { agent_id } => format!("livedesk.agent.{agent_id}"),
        }
    }
}

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventKind {
    /// A frame for the sockets to write.
    #[default]
    Frame,
    /// What the recipient may see changed (role, memberships, account state): its sockets
    /// stop carrying inbox events at once and read their access again. Nothing is written.
    AccessChanged,
}

/// One serialised event on its way out.
#[derive(Debug, Clone)]
pub struct Event {
    pub topic: Topic,
    pub payload: Bytes,
    /// For `message.created`: the conversation and seq, so a socket can skip what it already sent.
    pub message_seq: Option<(Uuid, i64)>,
    /// When the event became true (message committed), for delivery latency.
    pub committed_at: std::time::Instant,
    /// The inbox the event is about: agent sockets limited to some inboxes skip the others.
    pub inbox_id: Option<Uuid>,
    pub kind: EventKind,
}

/// Delivers events to every subscriber of their topic, on this node and (in a cluster) others.
pub trait Fanout: Send + Sync + 'static {
    fn publish(&self, event: Event);
}
