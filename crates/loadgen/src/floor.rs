//! `livedesk-floor`: the least a Rust WebSocket chat server can spend, measured in the same
//! run as Livedesk so every report carries the ratio. Rooms in memory, no authentication, no
//! storage, no history; `TCP_NODELAY` on and small WebSocket buffers.
//!
//! Protocol (`chatload.js --proto raw`): `{"op":"join","room":R}` → `{"op":"joined","room":R}`;
//! `{"op":"msg","room":R,"body":S}` → the same frame to every member of R, sender included.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use axum::Router;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::sync::mpsc;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "livedesk-floor",
    about = "Bare WebSocket room broadcast: the benchmark floor"
)]
pub struct FloorArgs {
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// WebSocket read buffer per connection, bytes.
    #[arg(long, default_value_t = 4096)]
    pub read_buf: usize,
    /// WebSocket write buffer per connection, bytes.
    #[arg(long, default_value_t = 4096)]
    pub write_buf: usize,
    /// Leave Nagle's algorithm on (axum's default).
    #[arg(long)]
    pub nagle: bool,
    /// Runtime worker threads (default: the CPUs this process may use).
    #[arg(long)]
    pub workers: Option<usize>,
}

type Outbox = mpsc::UnboundedSender<Utf8Bytes>;

#[derive(Default)]
struct Rooms {
    members: Mutex<HashMap<String, Vec<(u64, Outbox)>>>,
    next_id: AtomicU64,
}

#[derive(Deserialize)]
struct Frame<'a> {
    op: &'a str,
    room: String,
}

pub fn main(args: FloorArgs) -> i32 {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.listen);
                return 1;
            }
        };
        eprintln!(
            "livedesk-floor on ws://{}/ws pid {}",
            args.listen,
            std::process::id()
        );
        match serve(listener, args).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        }
    })
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, args: FloorArgs) -> std::io::Result<()> {
    let nodelay = !args.nagle;
    let app = Router::new()
        .route("/ws", get(upgrade))
        .with_state((Arc::new(Rooms::default()), args));
    let listener = listener.tap_io(move |tcp| {
        if nodelay {
            let _ = tcp.set_nodelay(true);
        }
    });
    axum::serve(listener, app).await
}

async fn upgrade(
    State((rooms, args)): State<(Arc<Rooms>, FloorArgs)>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.read_buffer_size(args.read_buf)
        .write_buffer_size(args.write_buf)
        .on_upgrade(move |socket| connection(socket, rooms))
}

/// One task per socket: frames in, queued broadcasts out (fed together, flushed once).
async fn connection(mut socket: WebSocket, rooms: Arc<Rooms>) {
    let id = rooms.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::unbounded_channel::<Utf8Bytes>();
    let mut joined: Vec<String> = Vec::new();
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(first) = out else { break };
                if socket.feed(Message::Text(first)).await.is_err() {
                    break;
                }
                let mut ok = true;
                while let Ok(more) = rx.try_recv() {
                    ok = socket.feed(Message::Text(more)).await.is_ok();
                    if !ok {
                        break;
                    }
                }
                if !ok || socket.flush().await.is_err() {
                    break;
                }
            }
            msg = socket.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(frame) = serde_json::from_str::<Frame>(text.as_str()) else { continue };
                let Ok(mut members) = rooms.members.lock() else { break };
                match frame.op {
                    "join" => {
                        members.entry(frame.room.clone()).or_default().push((id, tx.clone()));
                        let reply = serde_json::json!({"op": "joined", "room": frame.room});
                        let _ = tx.send(Utf8Bytes::from(reply.to_string()));
                        joined.push(frame.room);
                    }
                    "msg" => {
                        for (_, peer) in members.get(&frame.room).into_iter().flatten() {
                            let _ = peer.send(text.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Ok(mut members) = rooms.members.lock() {
        for room in joined {
            if let Some(list) = members.get_mut(&room) {
                list.retain(|(peer, _)| *peer != id);
                if list.is_empty() {
                    members.remove(&room);
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use tokio_tungstenite::tungstenite::Message as WsMessage;

    use super::*;

    async fn next_text<S>(ws: &mut S) -> String
    where
        S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
            + Unpin,
    {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let WsMessage::Text(t) = m {
                return t.to_string();
            }
        }
    }

    #[tokio::test]
    async fn a_message_reaches_every_member_of_its_room_and_no_one_else() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let args = FloorArgs {
            listen: addr,
            read_buf: 4096,
            write_buf: 4096,
            nagle: false,
            workers: None,
        };
        tokio::spawn(serve(listener, args));
        let url = format!("ws://{addr}/ws");
        let mut socks = Vec::new();
        for room in ["a", "a", "b"] {
            let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
                .await
                .unwrap();
            ws.send(WsMessage::text(format!(
                r#"{{"op":"join","room":"{room}"}}"#
            )))
            .await
            .unwrap();
            assert!(next_text(&mut ws).await.contains("joined"));
            socks.push(ws);
        }
        let msg = r#"{"op":"msg","room":"a","body":"t=1;s=0;n=1;"}"#;
        socks[0].send(WsMessage::text(msg)).await.unwrap();
        assert_eq!(
            next_text(&mut socks[0]).await,
            msg,
            "the sender hears its own"
        );
        assert_eq!(next_text(&mut socks[1]).await, msg);
        let other = tokio::time::timeout(Duration::from_millis(200), socks[2].next()).await;
        assert!(other.is_err(), "room b heard nothing");
    }
}
