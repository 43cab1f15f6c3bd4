//! The `/ws/v1` socket: [`ClientFrame`] in, [`ServerFrame`] out, JSON text frames tagged by `type`.
//!
//! Every client frame may carry an `id` (1–64 characters); the server echoes it in the
//! `ack` or `error` that answers the frame.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ErrorCode;
use crate::model::{
    AgentEntry, Author, Contact, Conversation, LiveVisitor, Message, Notification, PageView,
    Principal, ReceiptStatus, Side, VisitorAuthor, VisitorConversation, VisitorMessage,
};

/// How far the client has read a conversation: every `seq <= last_seq` is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    pub conversation_id: Uuid,
    pub last_seq: i64,
}

/// What a client may send as a message kind. `note` is refused for visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SendKind {
    #[default]
    Text,
    Note,
}

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum ClientFrame {
    /// Must be the first frame. `token` is a visitor token or an agent session token; it may be
    /// left out when the handshake carried a session cookie or an `Authorization` header.
    /// `cursors` asks for a replay of everything after each cursor.
    #[serde(rename = "hello")]
    Hello {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        cursors: Vec<Cursor>,
    },
    /// Send a message. Retrying with the same `client_msg_id` never stores it twice.
    #[serde(rename = "message.send")]
    MessageSend {
        #[serde(default)]
        id: Option<String>,
        conversation_id: Uuid,
        client_msg_id: String,
        /// May be empty when `attachment_id` is set.
        #[serde(default)]
        body: String,
        #[serde(default)]
        kind: SendKind,
        /// An attachment uploaded to this conversation by the same sender.
        #[serde(default)]
        attachment_id: Option<Uuid>,
        /// Notes only: agents to notify; each must be able to see the conversation.
        #[serde(default)]
        mentions: Vec<Uuid>,
    },
    /// Typing started (`on: true`) or stopped. Ephemeral: never stored, may be dropped.
    #[serde(rename = "typing")]
    Typing {
        #[serde(default)]
        id: Option<String>,
        conversation_id: Uuid,
        on: bool,
        /// Visitors only: what is in the composer now ("sneak peek" for agents).
        #[serde(default)]
        draft: Option<String>,
    },
    /// Ask for replay of one conversation after `last_seq` (e.g. after a gap).
    #[serde(rename = "resume")]
    Resume {
        #[serde(default)]
        id: Option<String>,
        conversation_id: Uuid,
        last_seq: i64,
    },
    /// This side has received (`delivered`) or seen (`read`) the conversation up to `seq`.
    #[serde(rename = "receipt")]
    Receipt {
        #[serde(default)]
        id: Option<String>,
        conversation_id: Uuid,
        seq: i64,
        status: ReceiptStatus,
    },
    /// Visitors only: the page the visitor is on (ephemeral for the socket; kept in the
    /// contact's page history).
    #[serde(rename = "page.view")]
    PageView {
        #[serde(default)]
        id: Option<String>,
        url: String,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        referrer: Option<String>,
        /// The browser's IANA time zone, e.g. `Europe/Berlin`.
        #[serde(default)]
        timezone: Option<String>,
    },
    /// Application-level heartbeat; answered by `pong`.
    #[serde(rename = "ping")]
    Ping {
        #[serde(default)]
        id: Option<String>,
    },
}

impl ClientFrame {
    /// Every `type` a client may send.
    pub const TYPES: [&'static str; 7] = [
        "hello",
        "message.send",
        "typing",
        "resume",
        "receipt",
        "page.view",
        "ping",
    ];

    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Hello { id, .. }
            | Self::MessageSend { id, .. }
            | Self::Typing { id, .. }
            | Self::Resume { id, .. }
            | Self::Receipt { id, .. }
            | Self::PageView { id, .. }
            | Self::Ping { id } => id.as_deref(),
        }
    }
}

/// Answer to `message.send` (and to the REST send), sent only after the message is committed.
/// A retry of the same `client_msg_id` gets the same `message_id` and `seq`, with `duplicate: true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub conversation_id: Uuid,
    pub client_msg_id: String,
    pub message_id: Uuid,
    pub seq: i64,
    pub duplicate: bool,
}

/// One replayed conversation after `hello` or `resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumed {
    pub conversation_id: Uuid,
    /// The conversation's `last_seq` when the replay was read.
    pub last_seq: i64,
    /// `false` when more was missed than the server replays: the client must reload the
    /// conversation with `GET …/messages?after_seq=`.
    pub recovered: bool,
}

/// A type with no values: visitor frames use it where agents get data visitors must not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Never {}

/// Frames the server sends, generic over what the audience may see.
/// Use [`AgentFrame`] or [`VisitorFrame`]. `P` (page views) and `D` (drafts) are [`Never`]
/// for visitors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerFrame<M, C, A, P = Never, D = Never> {
    #[serde(rename = "welcome")]
    Welcome {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        principal: Principal,
        /// The server pings at this interval; a client that hears nothing for twice as long reconnects.
        heartbeat_ms: u64,
        max_frame_bytes: usize,
    },
    #[serde(rename = "ack")]
    Ack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(flatten)]
        ack: Ack,
    },
    #[serde(rename = "error")]
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    #[serde(rename = "message.created")]
    MessageCreated { message: M },
    #[serde(rename = "conversation.created")]
    ConversationCreated { conversation: C },
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation: C },
    #[serde(rename = "typing")]
    Typing {
        conversation_id: Uuid,
        author: A,
        on: bool,
        /// Agents only: the visitor's unsent text.
        #[serde(skip_serializing_if = "Option::is_none")]
        draft: Option<D>,
    },
    #[serde(rename = "resumed")]
    Resumed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(flatten)]
        resumed: Resumed,
    },
    /// A side's delivered/read position moved forward.
    #[serde(rename = "receipt")]
    Receipt {
        conversation_id: Uuid,
        side: Side,
        status: ReceiptStatus,
        seq: i64,
    },
    /// Agents only: a visitor moved to another page.
    #[serde(rename = "contact.page_view")]
    PageView { page: P },
    /// The conversation waits for an agent: its place in the queue (1 = next) and, when the
    /// inbox has a history to go by, about how long that takes.
    #[serde(rename = "queue")]
    Queue {
        conversation_id: Uuid,
        position: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimated_wait_ms: Option<u64>,
    },
    #[serde(rename = "pong")]
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
}

impl<M, C, A, P, D> ServerFrame<M, C, A, P, D> {
    /// Every `type` of [`ServerFrame`] (to agents and visitors alike).
    pub const TYPES: [&'static str; 12] = [
        "welcome",
        "ack",
        "error",
        "message.created",
        "conversation.created",
        "conversation.updated",
        "typing",
        "resumed",
        "receipt",
        "contact.page_view",
        "queue",
        "pong",
    ];
}

/// What an agent's socket carries.
pub type AgentFrame = ServerFrame<Message, Conversation, Author, PageView, String>;

/// Frames only agents' sockets carry, besides [`AgentFrame`]s; same `type` tagging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AgentEventFrame {
    /// A teammate's status, capacity, memberships or connection changed.
    #[serde(rename = "agent.updated")]
    AgentUpdated { agent: AgentEntry },
    /// For this agent only.
    #[serde(rename = "notification")]
    Notification { notification: Notification },
    #[serde(rename = "visitor.online")]
    VisitorOnline { visitor: LiveVisitor },
    #[serde(rename = "visitor.offline")]
    VisitorOffline { contact_id: Uuid },
    #[serde(rename = "contact.updated")]
    ContactUpdated { contact: Contact },
}
impl AgentEventFrame {
    /// Every `type` of [`AgentEventFrame`].
    pub const TYPES: [&'static str; 5] = [
        "agent.updated",
        "notification",
        "visitor.online",
        "visitor.offline",
        "contact.updated",
    ];
}

/// What a visitor's socket carries: built only from visitor-safe types.
pub type VisitorFrame = ServerFrame<VisitorMessage, VisitorConversation, VisitorAuthor>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_reject_unknown_fields() {
        let raw = r#"{"type":"ping","id":"1","seq":5}"#;
        assert!(serde_json::from_str::<ClientFrame>(raw).is_err());
    }

    #[test]
    fn send_kind_defaults_to_text() {
        let raw = format!(
            r#"{{"type":"message.send","conversation_id":"{}","client_msg_id":"a","body":"hi"}}"#,
            Uuid::nil()
        );
        let frame: Result<ClientFrame, _> = serde_json::from_str(&raw);
        assert!(matches!(
            frame,
            Ok(ClientFrame::MessageSend {
                kind: SendKind::Text,
                ..
            })
        ));
    }

    /// Each sample's `type` is in the list of its enum, and every entry of the list is some
    /// variant's (the samples cover every variant: see `samples`).
    #[test]
    fn the_type_lists_are_the_variants_tags() {
        fn tags<T: Serialize>(frames: &[T]) -> Vec<String> {
            let mut tags: Vec<String> = frames
                .iter()
                .map(|f| {
                    let v = serde_json::to_value(f).unwrap_or_default();
                    v["type"].as_str().unwrap_or_default().to_owned()
                })
                .collect();
            tags.sort();
            tags.dedup();
            tags
        }
        let sorted = |types: &[&str]| {
            let mut t: Vec<String> = types.iter().map(|s| (*s).to_owned()).collect();
            t.sort();
            t
        };
        let client: Vec<ClientFrame> = crate::samples::client().into_iter().collect();
        assert_eq!(tags(&client), sorted(&ClientFrame::TYPES));
        let server: Vec<_> = crate::samples::server()
            .into_iter()
            .map(|(min, _)| min)
            .collect();
        assert_eq!(tags(&server), sorted(&crate::samples::SampleFrame::TYPES));
        let events: Vec<_> = crate::samples::agent_events()
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        assert_eq!(tags(&events), sorted(&AgentEventFrame::TYPES));
    }

    #[test]
    fn ack_is_flat_on_the_wire() {
        let frame: AgentFrame = ServerFrame::Ack {
            id: Some("f1".into()),
            ack: Ack {
                conversation_id: Uuid::nil(),
                client_msg_id: "c".into(),
                message_id: Uuid::nil(),
                seq: 3,
                duplicate: false,
            },
        };
        let v = serde_json::to_value(&frame).unwrap_or_default();
        assert_eq!(v["type"], "ack");
        assert_eq!(v["seq"], 3);
        assert_eq!(v["id"], "f1");
    }
}
