//! One socket: a read loop (this task) and a write loop (spawned), joined by channels.
//!
//! The reader handles frames in order, so one client's messages are stored in the order it
//! sent them. The writer owns the socket's sink: it sends replies, replays and live events,
//! pings, and the close frame. Live events wait until the `hello` replay is written, and
//! [`Seen`](super::seen::Seen) drops any seq this socket already wrote.
//!
//! Both halves are generic: [`run`] takes any stream of incoming messages and any sink for
//! outgoing ones. The server passes a WebSocket's split halves; the unit tests pass channels.
//!
//! - `hello`: the first frame, its subscriptions, presence, `welcome` and the replays;
//! - `principal`: authentication, and reading the principal's session and access again;
//! - `reader`: the frame loop (heartbeat, revalidation, access changes), decoding, and the
//!   budget of bad frames;
//! - `frames`: what each frame after the hello does.

mod frames;
mod hello;
mod principal;
mod reader;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, Utf8Bytes};
use futures_util::{Sink, SinkExt as _, Stream};
use livedesk_protocol::frames::VisitorFrame;
use livedesk_protocol::model::Conversation;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use uuid::Uuid;

use super::writer::{write_loop, Bounds, Live, Out};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::hub::{Access, Shared};
use crate::limits::Bucket;
use crate::metrics::{metrics, KindLabel};
use crate::state::SharedState;

pub struct Handshake {
    pub credential: Option<String>,
    pub inbox_hint: Option<Uuid>,
    pub ip: IpAddr,
}

/// What the reader reads: a WebSocket's read half, or a channel in tests.
pub trait Incoming: Stream<Item = Result<WsMessage, axum::Error>> + Unpin {}

impl<T: Stream<Item = Result<WsMessage, axum::Error>> + Unpin> Incoming for T {}

/// Replies the reader may queue ahead of the writer before it waits.
const REPLY_QUEUE: usize = 64;

/// How long the writer may take to finish once the reader is done.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

fn encode<T: Serialize>(frame: &T) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(frame).unwrap_or_default())
}

fn error_frame(id: Option<String>, err: &ApiError) -> Utf8Bytes {
    crate::metrics::count_error(err.code);
    err.log();
    encode(&VisitorFrame::Error {
        id,
        code: err.code,
        message: err.message.clone(),
        retry_after_ms: err.retry_after_ms,
    })
}

/// Serves one socket until it ends, in a span that names its kind and principal once the
/// hello has authenticated it. At debug level: with the default `info` filter the span is
/// disabled and costs an idle socket only its handle (40 bytes of its task), where an enabled
/// one is kept by the subscriber for as long as the socket is open.
pub fn run<S, R>(
    sink: S,
    stream: R,
    state: SharedState,
    handshake: Handshake,
) -> impl Future<Output = ()>
where
    S: Sink<WsMessage, Error = axum::Error> + Unpin + Send + 'static,
    R: Incoming,
{
    let span = tracing::debug_span!(
        "socket",
        ip = %handshake.ip,
        kind = tracing::field::Empty,
        principal = tracing::field::Empty,
    );
    run_socket(sink, stream, state, handshake).instrument(span)
}

async fn run_socket<S, R>(sink: S, stream: R, state: SharedState, handshake: Handshake)
where
    S: Sink<WsMessage, Error = axum::Error> + Unpin + Send + 'static,
    R: Incoming,
{
    let (out_tx, out_rx) = futures_channel::mpsc::channel::<Out>(REPLY_QUEUE);
    let (event_tx, event_rx) = mpsc::channel::<Shared>(state.config.limits.ws_queue);
    let slow = CancellationToken::new();
    let writer_done = CancellationToken::new();
    let access = Arc::new(Access::default());
    let limits = &state.config.limits;
    let writer = write_loop(
        sink,
        out_rx,
        Live {
            events: event_rx,
            access: Arc::clone(&access),
        },
        Bounds {
            slow: slow.clone(),
            shutdown: state.shutdown.clone(),
            write_timeout: Duration::from_secs(limits.write_timeout_secs),
            heartbeat: Duration::from_secs(limits.heartbeat_secs),
        },
        writer_done.clone(),
    );
    let writer = tokio::spawn(writer);
    let now = state.clock.now();
    let mut reader = Reader {
        state,
        out: out_tx,
        caller: None,
        conversations: HashMap::new(),
        abuse: Bucket::full(reader::ABUSE_RATE, now),
        chatter: Bucket::full(frames::CHATTER_RATE, now),
        access,
    };
    let kind = reader
        .run(stream, handshake, event_tx, slow, &writer_done)
        .await;
    // The reply queue closes with the reader: the writer ends once what is queued is out.
    // A peer that is not reading would keep it waiting until its write timeout, so it gets
    // a short grace and is then cut off.
    drop(reader);
    let mut writer = writer;
    if tokio::time::timeout(CLOSE_GRACE, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
        metrics().slow_disconnects.inc();
    }
    if let Some(kind) = kind {
        metrics()
            .connections
            .get_or_create(&KindLabel { kind })
            .dec();
    }
}

/// The read half's state. Its methods are spread over this module's children by concern.
struct Reader {
    state: SharedState,
    out: futures_channel::mpsc::Sender<Out>,
    caller: Option<Caller>,
    /// Conversations this socket may use; ownership never changes, so caching is safe.
    conversations: HashMap<Uuid, Conversation>,
    abuse: Bucket,
    /// Typing and receipts: ephemeral or cumulative, so over the rate they are dropped.
    chatter: Bucket,
    /// Which inboxes' events this socket may carry; read by the writer, revoked by the hub.
    access: Arc<Access>,
}

/// How a frame went: keep reading, or close.
enum Flow {
    Continue,
    Close(u16, &'static str),
}

impl Reader {
    async fn send(&mut self, out: Out) {
        let _ = self.out.send(out).await;
    }

    /// Queues the close frame behind what is queued, without waiting: a writer stuck on a
    /// peer that does not read is cut off when the reader is done (see [`run_socket`]).
    fn close(&mut self, code: u16, why: &'static str) {
        let _ = self.out.try_send(Out::Close(code, why));
    }

    /// Returns the connection kind label once authenticated (for the gauge).
    async fn run(
        &mut self,
        mut stream: impl Incoming,
        handshake: Handshake,
        event_tx: mpsc::Sender<Shared>,
        slow: CancellationToken,
        writer_done: &CancellationToken,
    ) -> Option<&'static str> {
        // Boxed: the hello runs once, and its state would otherwise stay in every idle
        // socket's task as long as the socket lives.
        let hello = Box::pin(self.hello(&mut stream, handshake, event_tx, slow, writer_done));
        let (kind, _guards) = match hello.await {
            hello::Hello::Failed => return None,
            hello::Hello::Closed(kind) => return Some(kind),
            hello::Hello::Ready(kind, guards) => (kind, guards),
        };
        self.serve(&mut stream, writer_done).await;
        Some(kind)
    }
}
