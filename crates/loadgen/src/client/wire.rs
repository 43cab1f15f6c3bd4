//! Frames on the wire. Incoming Livedesk frames are read with the protocol crate's
//! `AgentFrame` / `VisitorFrame`; outgoing ones are written from borrowed fields (no copies
//! of tokens or bodies) and a test proves the protocol crate reads them as `ClientFrame`s.

use std::borrow::Cow;

use livedesk_protocol::frames::{AgentFrame, Cursor, ServerFrame, VisitorFrame};
use livedesk_protocol::ErrorCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;

/// What a client reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Welcome,
    Ack {
        client_msg_id: String,
        seq: i64,
    },
    Error {
        id: Option<String>,
        code: String,
        retry_after_ms: Option<u64>,
    },
    /// `message.created` (conversation set) or a floor broadcast (conversation unset).
    Message {
        conversation_id: Option<Uuid>,
        seq: i64,
        body: String,
    },
    Resumed {
        conversation_id: Uuid,
    },
    /// The floor's `joined`.
    Joined,
    Other,
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum LivedeskOut<'a> {
    #[serde(rename = "hello")]
    Hello {
        id: &'a str,
        token: &'a str,
        cursors: &'a [Cursor],
    },
    #[serde(rename = "message.send")]
    Send {
        id: &'a str,
        conversation_id: Uuid,
        client_msg_id: &'a str,
        body: &'a str,
    },
}

pub fn hello(token: &str, cursors: &[Cursor]) -> String {
    to_json(&LivedeskOut::Hello {
        id: "h",
        token,
        cursors,
    })
}

/// `message.send`; the frame id is the sender's message number, to match errors.
pub fn send(frame_id: &str, conversation_id: Uuid, client_msg_id: &str, body: &str) -> String {
    to_json(&LivedeskOut::Send {
        id: frame_id,
        conversation_id,
        client_msg_id,
        body,
    })
}

#[derive(Serialize, Deserialize)]
struct RawFrame<'a> {
    op: &'a str,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    room: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
}

pub fn raw_join(room: &str) -> String {
    to_json(&RawFrame {
        op: "join",
        room: Some(Cow::Borrowed(room)),
        body: None,
    })
}

pub fn raw_msg(room: &str, body: &str) -> String {
    to_json(&RawFrame {
        op: "msg",
        room: Some(Cow::Borrowed(room)),
        body: Some(Cow::Borrowed(body)),
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Reads a Livedesk frame as the socket's audience sees it.
pub fn decode_livedesk(role: Role, text: &str) -> Option<Incoming> {
    macro_rules! convert {
        ($frame:expr) => {
            match $frame {
                ServerFrame::Welcome { .. } => Incoming::Welcome,
                ServerFrame::Ack { ack, .. } => Incoming::Ack {
                    client_msg_id: ack.client_msg_id,
                    seq: ack.seq,
                },
                ServerFrame::Error {
                    id,
                    code,
                    retry_after_ms,
                    ..
                } => Incoming::Error {
                    id,
                    code: ErrorCode::as_str(code).to_owned(),
                    retry_after_ms,
                },
                ServerFrame::MessageCreated { message } => Incoming::Message {
                    conversation_id: Some(message.conversation_id),
                    seq: message.seq,
                    body: message.body,
                },
                ServerFrame::Resumed { resumed, .. } => Incoming::Resumed {
                    conversation_id: resumed.conversation_id,
                },
                _ => Incoming::Other,
            }
        };
    }
    match role {
        Role::Agent => serde_json::from_str::<AgentFrame>(text)
            .ok()
            .map(|f| convert!(f)),
        Role::Visitor | Role::Member => serde_json::from_str::<VisitorFrame>(text)
            .ok()
            .map(|f| convert!(f)),
    }
}

/// Reads a floor frame.
pub fn decode_raw(text: &str) -> Option<Incoming> {
    let frame: RawFrame = serde_json::from_str(text).ok()?;
    Some(match frame.op {
        "joined" => Incoming::Joined,
        "msg" => Incoming::Message {
            conversation_id: None,
            seq: 0,
            body: frame.body?.into_owned(),
        },
        _ => Incoming::Other,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use livedesk_protocol::frames::ClientFrame;

    use super::*;

    #[test]
    fn outgoing_frames_are_client_frames_of_the_protocol() {
        let c = Uuid::now_v7();
        let cursors = [Cursor {
            conversation_id: c,
            last_seq: 4,
        }];
        match serde_json::from_str::<ClientFrame>(&hello("ldv_t", &cursors)).unwrap() {
            ClientFrame::Hello { token, cursors, .. } => {
                assert_eq!(token.as_deref(), Some("ldv_t"));
                assert_eq!(cursors[0].last_seq, 4);
            }
            other => panic!("not a hello: {other:?}"),
        }
        let frame = serde_json::from_str::<ClientFrame>(&send("7", c, "r-1-7", "t=1;")).unwrap();
        assert!(matches!(
            frame,
            ClientFrame::MessageSend { ref client_msg_id, ref body, conversation_id, .. }
                if client_msg_id == "r-1-7" && body == "t=1;" && conversation_id == c
        ));
        assert_eq!(frame.id(), Some("7"));
    }

    fn message_json(c: Uuid, seq: i64, with_private_fields: bool) -> String {
        let author = if with_private_fields {
            r#"{"kind":"agent","id":"0197a000-0000-7000-8000-000000000001","name":"Ann"}"#
        } else {
            r#"{"kind":"agent","name":"Ann"}"#
        };
        format!(
            r#"{{"type":"message.created","message":{{"id":"0197a000-0000-7000-8000-000000000002",
            "conversation_id":"{c}","seq":{seq},"client_msg_id":null,"author":{author},
            "kind":"text","body":"t=5;s=1;n=2;","created_at":1}}}}"#
        )
    }

    #[test]
    fn agents_and_visitors_read_their_own_message_frames() {
        let c = Uuid::now_v7();
        let want = Incoming::Message {
            conversation_id: Some(c),
            seq: 9,
            body: "t=5;s=1;n=2;".into(),
        };
        assert_eq!(
            decode_livedesk(Role::Agent, &message_json(c, 9, true)),
            Some(want.clone())
        );
        assert_eq!(
            decode_livedesk(Role::Visitor, &message_json(c, 9, false)),
            Some(want)
        );
    }

    #[test]
    fn acks_errors_and_resumes_are_recognised() {
        let c = Uuid::now_v7();
        let ack = format!(
            r#"{{"type":"ack","id":"3","conversation_id":"{c}","client_msg_id":"r-0-3",
            "message_id":"{c}","seq":12,"duplicate":false}}"#
        );
        assert_eq!(
            decode_livedesk(Role::Visitor, &ack),
            Some(Incoming::Ack {
                client_msg_id: "r-0-3".into(),
                seq: 12
            })
        );
        let err = r#"{"type":"error","id":"4","code":"rate_limited","message":"slow down","retry_after_ms":250}"#;
        assert_eq!(
            decode_livedesk(Role::Agent, err),
            Some(Incoming::Error {
                id: Some("4".into()),
                code: "rate_limited".into(),
                retry_after_ms: Some(250)
            })
        );
        let resumed = format!(
            r#"{{"type":"resumed","conversation_id":"{c}","last_seq":3,"recovered":true}}"#
        );
        assert_eq!(
            decode_livedesk(Role::Visitor, &resumed),
            Some(Incoming::Resumed { conversation_id: c })
        );
        assert_eq!(
            decode_livedesk(Role::Visitor, r#"{"type":"pong"}"#),
            Some(Incoming::Other)
        );
        assert_eq!(decode_livedesk(Role::Visitor, "not json"), None);
    }

    #[test]
    fn floor_frames_round_trip() {
        assert_eq!(raw_join("r1"), r#"{"op":"join","room":"r1"}"#);
        assert_eq!(
            decode_raw(r#"{"op":"joined","room":"r1"}"#),
            Some(Incoming::Joined)
        );
        assert_eq!(
            decode_raw(&raw_msg("r1", "t=1;s=2;n=3;")),
            Some(Incoming::Message {
                conversation_id: None,
                seq: 0,
                body: "t=1;s=2;n=3;".into()
            })
        );
        assert_eq!(decode_raw(r#"{"op":"msg","room":"r1"}"#), None);
    }
}
