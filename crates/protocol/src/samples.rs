//! One sample of every frame variant, for the tests that hold the type lists and the protocol
//! document to the enums. Each list checks that it covers every variant: a `match` without a
//! wildcard names them all, so a new variant does not compile until it has a sample.

use serde_json::Map;
use uuid::Uuid;

use crate::error::ErrorCode;
use crate::frames::{Ack, AgentEventFrame, ClientFrame, Cursor, Resumed, SendKind, ServerFrame};
use crate::model::{
    Agent, AgentEntry, AgentRef, AgentStatus, Contact, LiveVisitor, Notification, NotificationKind,
    PageView, Principal, ReceiptStatus, Role, Side,
};

/// Server frames with simple stand-ins for the audience's types: only the frame's own fields
/// are compared, not those of the message or conversation inside. The draft is a string.
pub type SampleFrame = ServerFrame<u8, u8, u8, u8, String>;

fn id() -> Option<String> {
    Some("f1".into())
}

/// Asserts that `indices` (from a `match` naming every variant) covers `0..n`.
fn covers(mut indices: Vec<usize>, n: usize, what: &str) {
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(
        indices,
        (0..n).collect::<Vec<_>>(),
        "a {what} variant has no sample"
    );
}

/// Every client frame, with every optional field given.
pub fn client() -> Vec<ClientFrame> {
    let c = Uuid::nil();
    let frames = vec![
        ClientFrame::Hello {
            id: id(),
            token: Some("ldv_x".into()),
            cursors: vec![Cursor {
                conversation_id: c,
                last_seq: 1,
            }],
        },
        ClientFrame::MessageSend {
            id: id(),
            conversation_id: c,
            client_msg_id: "c-1".into(),
            body: "Hi".into(),
            kind: SendKind::Note,
            attachment_id: Some(c),
            mentions: vec![c],
        },
        ClientFrame::Typing {
            id: id(),
            conversation_id: c,
            on: true,
            draft: Some("Can I".into()),
        },
        ClientFrame::Resume {
            id: id(),
            conversation_id: c,
            last_seq: 3,
        },
        ClientFrame::Receipt {
            id: id(),
            conversation_id: c,
            seq: 3,
            status: ReceiptStatus::Read,
        },
        ClientFrame::PageView {
            id: id(),
            url: "https://shop.example/".into(),
            title: Some("Shop".into()),
            referrer: Some("https://example.org/".into()),
            timezone: Some("Europe/Berlin".into()),
        },
        ClientFrame::Ping { id: id() },
    ];
    let indices = frames
        .iter()
        .map(|f| match f {
            ClientFrame::Hello { .. } => 0,
            ClientFrame::MessageSend { .. } => 1,
            ClientFrame::Typing { .. } => 2,
            ClientFrame::Resume { .. } => 3,
            ClientFrame::Receipt { .. } => 4,
            ClientFrame::PageView { .. } => 5,
            ClientFrame::Ping { .. } => 6,
        })
        .collect();
    covers(indices, 7, "client frame");
    frames
}

pub fn agent() -> Agent {
    Agent {
        id: Uuid::nil(),
        workspace_id: Uuid::nil(),
        email: "ada@example.com".into(),
        name: "Ada".into(),
        role: Role::Agent,
        status: AgentStatus::Online,
        capacity: 5,
        active: true,
    }
}

/// Every server frame twice: with each optional field left out, and with each one given.
pub fn server() -> Vec<(SampleFrame, SampleFrame)> {
    let c = Uuid::nil();
    let ack = Ack {
        conversation_id: c,
        client_msg_id: "c-1".into(),
        message_id: c,
        seq: 3,
        duplicate: false,
    };
    let resumed = Resumed {
        conversation_id: c,
        last_seq: 7,
        recovered: true,
    };
    let welcome = |id| SampleFrame::Welcome {
        id,
        principal: Principal::Agent { agent: agent() },
        heartbeat_ms: 25_000,
        max_frame_bytes: 65_536,
    };
    let error = |id, retry_after_ms| SampleFrame::Error {
        id,
        code: ErrorCode::RateLimited,
        message: "slow down".into(),
        retry_after_ms,
    };
    let typing = |draft| SampleFrame::Typing {
        conversation_id: c,
        author: 0,
        on: true,
        draft,
    };
    let queue = |estimated_wait_ms| SampleFrame::Queue {
        conversation_id: c,
        position: 2,
        estimated_wait_ms,
    };
    let same = |f: SampleFrame| (f.clone(), f);
    let frames = vec![
        (welcome(None), welcome(id())),
        (
            SampleFrame::Ack {
                id: None,
                ack: ack.clone(),
            },
            SampleFrame::Ack { id: id(), ack },
        ),
        (error(None, None), error(id(), Some(1000))),
        same(SampleFrame::MessageCreated { message: 0 }),
        same(SampleFrame::ConversationCreated { conversation: 0 }),
        same(SampleFrame::ConversationUpdated { conversation: 0 }),
        (typing(None), typing(Some("Can I".into()))),
        (
            SampleFrame::Resumed {
                id: None,
                resumed: resumed.clone(),
            },
            SampleFrame::Resumed { id: id(), resumed },
        ),
        same(SampleFrame::Receipt {
            conversation_id: c,
            side: Side::Contact,
            status: ReceiptStatus::Read,
            seq: 3,
        }),
        same(SampleFrame::PageView { page: 0 }),
        (queue(None), queue(Some(60_000))),
        (
            SampleFrame::Pong { id: None },
            SampleFrame::Pong { id: id() },
        ),
    ];
    let indices = frames
        .iter()
        .map(|(f, _)| match f {
            ServerFrame::Welcome { .. } => 0,
            ServerFrame::Ack { .. } => 1,
            ServerFrame::Error { .. } => 2,
            ServerFrame::MessageCreated { .. } => 3,
            ServerFrame::ConversationCreated { .. } => 4,
            ServerFrame::ConversationUpdated { .. } => 5,
            ServerFrame::Typing { .. } => 6,
            ServerFrame::Resumed { .. } => 7,
            ServerFrame::Receipt { .. } => 8,
            ServerFrame::PageView { .. } => 9,
            ServerFrame::Queue { .. } => 10,
            ServerFrame::Pong { .. } => 11,
        })
        .collect();
    covers(indices, 12, "server frame");
    frames
}

/// Every agent-only event frame (they have no optional fields: both samples are the same).
pub fn agent_events() -> Vec<(AgentEventFrame, AgentEventFrame)> {
    let c = Uuid::nil();
    let page = PageView {
        contact_id: c,
        url: "https://shop.example/".into(),
        title: None,
        referrer: None,
        viewed_at: 1,
    };
    let frames = vec![
        AgentEventFrame::AgentUpdated {
            agent: AgentEntry {
                agent: agent(),
                inbox_ids: vec![c],
                team_ids: vec![],
                connected: true,
                open_count: 1,
            },
        },
        AgentEventFrame::Notification {
            notification: Notification {
                id: c,
                kind: NotificationKind::Mention,
                conversation_id: c,
                by: Some(AgentRef {
                    id: c,
                    name: "Ada".into(),
                }),
                text: "@Ada".into(),
                at: 1,
            },
        },
        AgentEventFrame::VisitorOnline {
            visitor: LiveVisitor {
                contact_id: c,
                inbox_id: c,
                name: None,
                email: None,
                verified: false,
                connected_at: 1,
                page: Some(page),
                conversation_id: None,
            },
        },
        AgentEventFrame::VisitorOffline { contact_id: c },
        AgentEventFrame::ContactUpdated {
            contact: Contact {
                id: c,
                workspace_id: c,
                inbox_id: c,
                name: None,
                email: None,
                external_id: None,
                verified: false,
                attributes: Map::new(),
                created_at: 1,
                blocked: false,
            },
        },
    ];
    let indices = frames
        .iter()
        .map(|f| match f {
            AgentEventFrame::AgentUpdated { .. } => 0,
            AgentEventFrame::Notification { .. } => 1,
            AgentEventFrame::VisitorOnline { .. } => 2,
            AgentEventFrame::VisitorOffline { .. } => 3,
            AgentEventFrame::ContactUpdated { .. } => 4,
        })
        .collect();
    covers(indices, 5, "agent event frame");
    frames.into_iter().map(|f| (f.clone(), f)).collect()
}
