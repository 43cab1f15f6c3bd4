//! How sockets end: a peer that stops reading cannot hold one open (a full event queue or a
//! write that does not complete closes it), a silent peer is closed after 2.5 heartbeats, and
//! a peer's close frame is answered with one.
//!
//! The peers here are raw TCP connections that speak just enough WebSocket to say `hello`
//! and then do nothing, with a small receive buffer so the server's writes back up quickly.
//! Whether the server still holds a socket is read from its task tracker, which counts a
//! socket until both its halves are gone.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use uuid::Uuid;

use crate::helpers::{spawn_with, Database, TestApp, WsClient};
use crate::on_both_backends;

/// A WebSocket peer that never answers pings and, after its hello, never reads.
struct RawPeer {
    tcp: TcpStream,
}

impl RawPeer {
    async fn connect(app: &TestApp) -> RawPeer {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut tcp = socket.connect(app.addr).await.unwrap();
        let request = format!(
            "GET /ws/v1 HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            app.addr
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        // Read the handshake's answer byte by byte, so nothing after it is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(tcp.read_u8().await.unwrap());
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
        RawPeer { tcp }
    }

    /// A masked text frame, as a client must send it.
    async fn send_text(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        let mask = [0x1au8, 0x2b, 0x3c, 0x4d];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tcp.write_all(&frame).await.unwrap();
    }

    async fn hello(&mut self, token: &str) {
        self.send_text(&json!({"type": "hello", "token": token}).to_string())
            .await;
    }
}

/// Waits until the server holds exactly `n` sockets; panics after `limit`.
async fn until_sockets(app: &TestApp, n: usize, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if app.state.tasks.len() == n {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "the server still holds {} sockets after {limit:?} (expected {n})",
            app.state.tasks.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_agent_socket_that_stops_reading_is_closed_while_its_conversation_is_busy(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let mut peer = RawPeer::connect(&app).await;
    peer.hello(&s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    until_sockets(&app, 2, Duration::from_secs(10)).await;

    // 5 000 messages of about 1 KB: far more than the peer's buffers and its event queue.
    let body = "x".repeat(1000);
    let (mut sent, mut acked) = (0, 0);
    while acked < 5000 {
        while sent < 5000 && sent - acked < 64 {
            visitor
                .send_message(s.conversation, &Uuid::now_v7().to_string(), &body)
                .await;
            sent += 1;
        }
        let v = visitor.next().await;
        if v["type"] == "ack" {
            acked += 1;
        }
        assert_ne!(v["type"], "error", "{v}");
    }
    // Only the visitor's socket is left, well within the write timeout (10 s) after the
    // queue overflowed.
    until_sockets(&app, 1, Duration::from_secs(30)).await;
    drop(peer);
}
on_both_backends!(
    an_agent_socket_that_stops_reading_is_closed_while_its_conversation_is_busy_on_sqlite,
    an_agent_socket_that_stops_reading_is_closed_while_its_conversation_is_busy_on_postgres,
    an_agent_socket_that_stops_reading_is_closed_while_its_conversation_is_busy
);

/// A server whose sockets take large messages and queue many events (so only a write that
/// does not complete, or the heartbeat, can close one), with an agent peer that never reads
/// after its hello and a visitor to send; the server holds both sockets when this returns.
async fn a_peer_that_never_reads(
    configure: impl FnOnce(&mut livedesk_server::Config),
) -> (TestApp, Database, RawPeer, WsClient, Uuid) {
    let (app, db) = crate::helpers::spawn_configured(crate::helpers::Backend::Sqlite, |c| {
        c.limits.ws_queue = 100_000;
        c.limits.max_frame_bytes = 262_144;
        c.limits.max_message_chars = 60_000;
        configure(c);
    })
    .await
    .unwrap();
    let s = app.scene().await;
    let mut peer = RawPeer::connect(&app).await;
    peer.hello(&s.agent.token).await;
    let visitor = WsClient::open(&app, &s.visitor.token).await;
    until_sockets(&app, 2, Duration::from_secs(10)).await;
    (app, db, peer, visitor, s.conversation)
}

/// 200 messages of 50 000 characters: 10 MB, beyond any socket buffer here.
async fn ten_megabytes(visitor: &mut WsClient, conversation: Uuid) {
    let body = "y".repeat(50_000);
    for _ in 0..200 {
        visitor
            .send_message(conversation, &Uuid::now_v7().to_string(), &body)
            .await;
        visitor.expect("ack").await;
    }
}

/// A write that never completes closes the socket even when the queue never overflows: the
/// queue is large, and the messages few but large.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_does_not_complete_in_time_closes_the_socket() {
    let (app, _db, peer, mut visitor, conversation) =
        a_peer_that_never_reads(|c| c.limits.write_timeout_secs = 2).await;
    ten_megabytes(&mut visitor, conversation).await;
    until_sockets(&app, 1, Duration::from_secs(20)).await;
    drop(peer);
}

/// Nothing from the peer for 2.5 heartbeats closes its socket, also when the peer does not
/// read and the socket's writer is stuck in a write (its write timeout is far away here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_neither_reads_nor_writes_is_closed_after_two_and_a_half_heartbeats() {
    let (app, _db, peer, mut visitor, conversation) = a_peer_that_never_reads(|c| {
        c.limits.heartbeat_secs = 2;
        c.limits.write_timeout_secs = 600;
    })
    .await;
    let started = Instant::now();
    ten_megabytes(&mut visitor, conversation).await;
    until_sockets(&app, 1, Duration::from_secs(15)).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4),
        "closed after {took:?}, before 2.5 heartbeats (5 s)"
    );
    drop(peer);
}

/// The plain case: a peer silent after its hello gets the close frame 1001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_told_heartbeat_timeout() {
    let db = Database::new(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let mut config = db.config();
    config.limits.heartbeat_secs = 1;
    let app = spawn_with(config).await;
    let s = app.scene().await;
    let mut peer = RawPeer::connect(&app).await;
    peer.hello(&s.agent.token).await;
    until_sockets(&app, 1, Duration::from_secs(10)).await;
    until_sockets(&app, 0, Duration::from_secs(10)).await;
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), peer.tcp.read_to_end(&mut bytes)).await;
    // 0x88: a final close frame; 19 bytes of payload: 1001 (0x03e9) and "heartbeat timeout".
    let close = [0x88u8, 0x13, 0x03, 0xe9];
    assert!(
        bytes.windows(4).any(|w| w == close),
        "no close frame 1001 in what the peer received"
    );
}

/// A client's close frame is answered with a close frame, not a dropped connection.
async fn a_client_close_is_answered_with_a_close_frame(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let mut ws = WsClient::open(&app, &s.visitor.token).await;
    ws.send_raw(tokio_tungstenite::tungstenite::Message::Close(Some(
        tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: 1000.into(),
            reason: "bye".into(),
        },
    )))
    .await;
    assert_eq!(ws.expect_close().await, 1000, "the close is echoed");
    until_sockets(&app, 0, Duration::from_secs(10)).await;
}
on_both_backends!(
    a_client_close_is_answered_with_a_close_frame_on_sqlite,
    a_client_close_is_answered_with_a_close_frame_on_postgres,
    a_client_close_is_answered_with_a_close_frame
);
