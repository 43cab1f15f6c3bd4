//! The session driven through channels: the test plays the client on one end, the session
//! runs on the other over a real store (SQLite in a temp dir), as a socket would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes};
use futures_channel::mpsc;
use futures_util::{Sink, StreamExt as _};
use livedesk_core::store::{NewAgentRecord, NewSession};
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::close;
use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{run, Handshake};
use crate::config::Config;
use crate::state::SharedState;

/// Long enough for anything the session does against SQLite; under paused time, far beyond
/// every timer the session sets.
const PATIENCE: Duration = Duration::from_secs(60);

/// A server state on a fresh SQLite database; the directory goes when this is dropped.
struct Server {
    state: SharedState,
    _dir: tempfile::TempDir,
}

async fn server(configure: impl FnOnce(&mut Config)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    configure(&mut config);
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let app = crate::App::build(config, listener).await.unwrap();
    Server {
        state: app.state(),
        _dir: dir,
    }
}

/// A visitor's token, and a conversation of theirs.
struct Visitor {
    token: String,
    workspace_id: Uuid,
    contact_id: Uuid,
    inbox_id: Uuid,
    conversation_id: Uuid,
}

impl Server {
    async fn workspace(&self) -> Uuid {
        let name = DisplayName::parse("Acme").unwrap();
        self.state.store.create_workspace(&name).await.unwrap().id
    }

    async fn visitor(&self) -> Visitor {
        let store = &self.state.store;
        let workspace_id = self.workspace().await;
        let name = DisplayName::parse("Website").unwrap();
        let inbox = store.create_inbox(workspace_id, &name, &[]).await.unwrap();
        let (token, hash) = crate::auth::new_visitor_token();
        let expires_at = livedesk_core::now_ms() + 86_400_000;
        let contact = store
            .create_visitor(&inbox, &hash, expires_at, None)
            .await
            .unwrap();
        let conversation = store
            .create_conversation(workspace_id, inbox.id, contact.id)
            .await
            .unwrap();
        Visitor {
            token,
            workspace_id,
            contact_id: contact.id,
            inbox_id: inbox.id,
            conversation_id: conversation.id,
        }
    }

    /// An admin's session token, and the admin's id.
    async fn agent(&self) -> (String, Uuid) {
        let store = &self.state.store;
        let agent = store
            .create_agent(NewAgentRecord {
                workspace_id: self.workspace().await,
                email: Email::parse(&format!("{}@example.com", Uuid::now_v7().simple())).unwrap(),
                name: DisplayName::parse("Ada").unwrap(),
                role: Role::Admin,
                password_hash: String::new(),
            })
            .await
            .unwrap();
        let (token, token_hash) = crate::auth::new_agent_token();
        let now = livedesk_core::now_ms();
        store
            .create_session(NewSession {
                token_hash,
                agent_id: agent.id,
                created_at: now,
                expires_at: now + 3_600_000,
            })
            .await
            .unwrap();
        (token, agent.id)
    }

    /// A session on channels, as the upgrade handler starts one on a socket.
    fn connect(&self) -> Client {
        let (to_server, incoming) = mpsc::unbounded();
        let (outgoing, from_server) = mpsc::channel(256);
        let owed = Arc::new(Mutex::new(None));
        // Like the WebSocket library: a close read from the peer leaves a reply owed.
        let stream = incoming.inspect({
            let owed = Arc::clone(&owed);
            move |m: &Result<WsMessage, axum::Error>| {
                if let Ok(WsMessage::Close(frame)) = m {
                    *owed.lock().unwrap() = Some(WsMessage::Close(frame.clone()));
                }
            }
        });
        let sink = ServerSink { outgoing, owed };
        let handshake = Handshake {
            credential: None,
            inbox_hint: None,
            ip: "127.0.0.1".parse().unwrap(),
        };
        let session = tokio::spawn(run(sink, stream, self.state.clone(), handshake));
        Client {
            to_server,
            from_server,
            session,
        }
    }
}

/// The session's sink. It stands in for the WebSocket library's one duty the session relies
/// on at its end: a close reply owed to the peer goes out when the sink is next flushed or
/// closed (tungstenite queues it when it reads the peer's close).
struct ServerSink {
    outgoing: mpsc::Sender<WsMessage>,
    owed: Arc<Mutex<Option<WsMessage>>>,
}

impl ServerSink {
    fn pay(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
        if self.owed.lock().unwrap().is_none() {
            return Poll::Ready(Ok(()));
        }
        ready!(self.outgoing.poll_ready(cx)).map_err(axum::Error::new)?;
        let reply = self.owed.lock().unwrap().take();
        if let Some(reply) = reply {
            self.outgoing.start_send(reply).map_err(axum::Error::new)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Sink<WsMessage> for ServerSink {
    type Error = axum::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut()
            .outgoing
            .poll_ready(cx)
            .map_err(axum::Error::new)
    }

    fn start_send(self: Pin<&mut Self>, item: WsMessage) -> Result<(), Self::Error> {
        self.get_mut()
            .outgoing
            .start_send(item)
            .map_err(axum::Error::new)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        ready!(this.pay(cx))?;
        Pin::new(&mut this.outgoing)
            .poll_flush(cx)
            .map_err(axum::Error::new)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        ready!(this.pay(cx))?;
        Pin::new(&mut this.outgoing)
            .poll_close(cx)
            .map_err(axum::Error::new)
    }
}

/// The client's end of a session.
struct Client {
    to_server: mpsc::UnboundedSender<Result<WsMessage, axum::Error>>,
    from_server: mpsc::Receiver<WsMessage>,
    session: JoinHandle<()>,
}

impl Client {
    fn send(&self, message: WsMessage) {
        self.to_server.unbounded_send(Ok(message)).unwrap();
    }

    fn send_json(&self, frame: Value) {
        self.send(WsMessage::Text(Utf8Bytes::from(frame.to_string())));
    }

    /// The next thing the server writes; `None` once it has closed its sink.
    async fn next(&mut self) -> Option<WsMessage> {
        tokio::time::timeout(PATIENCE, self.from_server.next())
            .await
            .expect("the server wrote nothing in time")
    }

    /// The next text frame the server writes, as JSON.
    async fn frame(&mut self) -> Value {
        match self.next().await {
            Some(WsMessage::Text(text)) => serde_json::from_str(&text).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// Skips what else arrives (live events) until a frame of this type.
    async fn frame_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.frame().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Sends a hello with this token and returns the `welcome`.
    async fn hello(&mut self, token: &str) -> Value {
        self.send_json(json!({"type": "hello", "id": "h1", "token": token}));
        let welcome = self.frame().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        welcome
    }

    /// Reads to the close frame, which must come after nothing but pings; its code.
    async fn close_code(&mut self) -> u16 {
        loop {
            match self.next().await {
                Some(WsMessage::Ping(_)) => {}
                Some(WsMessage::Close(Some(CloseFrame { code, .. }))) => return code,
                other => panic!("expected the close frame, got {other:?}"),
            }
        }
    }

    /// After the close: the server closes its sink and the session ends.
    async fn ended(mut self) {
        assert!(self.next().await.is_none(), "nothing after the close");
        tokio::time::timeout(PATIENCE, self.session)
            .await
            .expect("the session ended")
            .unwrap();
    }
}

#[tokio::test]
async fn a_hello_is_answered_with_welcome_for_a_visitor_and_for_an_agent() {
    let server = server(|_| {}).await;
    let visitor = server.visitor().await;
    let mut client = server.connect();
    let welcome = client.hello(&visitor.token).await;
    assert_eq!(welcome["id"], "h1");
    assert_eq!(welcome["heartbeat_ms"], 25_000);
    assert_eq!(
        welcome["principal"],
        json!({
            "kind": "visitor",
            "contact_id": visitor.contact_id,
            "inbox_id": visitor.inbox_id,
        })
    );

    let (token, agent_id) = server.agent().await;
    let mut client = server.connect();
    let welcome = client.hello(&token).await;
    assert_eq!(welcome["principal"]["kind"], "agent");
    assert_eq!(welcome["principal"]["agent"]["id"], json!(agent_id));
}

#[tokio::test]
async fn a_frame_before_hello_is_refused_and_the_socket_closed_with_4001() {
    let server = server(|_| {}).await;
    let mut client = server.connect();
    client.send_json(json!({"type": "ping", "id": "p1"}));
    let error = client.frame().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "hello_required");
    assert_eq!(error["id"], "p1");
    assert_eq!(client.close_code().await, close::UNAUTHORIZED);
    client.ended().await;
}

#[tokio::test]
async fn bad_json_is_answered_with_invalid_json_and_the_socket_stays_usable() {
    let server = server(|_| {}).await;
    let visitor = server.visitor().await;
    let mut client = server.connect();
    client.hello(&visitor.token).await;
    client.send(WsMessage::Text(Utf8Bytes::from_static(
        "{\"type\": \"ping\"",
    )));
    let error = client.frame().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "invalid_json");
    client.send_json(json!({"type": "ping", "id": "p2"}));
    assert_eq!(client.frame().await, json!({"type": "pong", "id": "p2"}));
}

#[tokio::test]
async fn a_message_send_is_stored_and_acknowledged() {
    let server = server(|_| {}).await;
    let visitor = server.visitor().await;
    let mut client = server.connect();
    client.hello(&visitor.token).await;
    let client_msg_id = Uuid::now_v7();
    client.send_json(json!({
        "type": "message.send",
        "id": "s1",
        "conversation_id": visitor.conversation_id,
        "client_msg_id": client_msg_id,
        "body": "Hello!",
    }));
    // The sender's own message may come live before its ack.
    let ack = client.frame_of("ack").await;
    assert_eq!(ack["id"], "s1");
    assert_eq!(ack["conversation_id"], json!(visitor.conversation_id));
    assert_eq!(ack["client_msg_id"], json!(client_msg_id));
    assert_eq!(ack["seq"], 1);
    assert_eq!(ack["duplicate"], false);
    // Acknowledged means committed.
    let conversation = server
        .state
        .store
        .conversation(visitor.workspace_id, visitor.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conversation.last_seq, 1);
}

#[tokio::test]
async fn a_peer_close_is_answered_and_the_session_ends() {
    let server = server(|_| {}).await;
    let visitor = server.visitor().await;
    let mut client = server.connect();
    client.hello(&visitor.token).await;
    client.send(WsMessage::Close(Some(CloseFrame {
        code: close::NORMAL,
        reason: Utf8Bytes::from_static("bye"),
    })));
    assert_eq!(client.close_code().await, close::NORMAL);
    client.ended().await;
}

#[tokio::test]
async fn a_silent_peer_is_closed_with_1001_after_two_and_a_half_heartbeats() {
    let server = server(|config| config.limits.heartbeat_secs = 4).await;
    let visitor = server.visitor().await;
    let mut client = server.connect();
    client.hello(&visitor.token).await;
    // The hello is done (its store calls ran in real time); from here the session only waits.
    tokio::time::pause();
    let silent_since = tokio::time::Instant::now();
    assert_eq!(client.close_code().await, close::GOING_AWAY);
    let waited = silent_since.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "closed after {waited:?}, not 2.5 × 4 s"
    );
    client.ended().await;
}

#[tokio::test]
async fn no_hello_within_the_hello_timeout_closes_with_4009() {
    let server = server(|_| {}).await;
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let mut client = server.connect();
    assert_eq!(client.close_code().await, close::HELLO_TIMEOUT);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "closed after {waited:?}, not at the 10 s hello timeout"
    );
    client.ended().await;
}
