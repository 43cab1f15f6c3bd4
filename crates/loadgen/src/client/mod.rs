//! Simulated clients: one task per socket, speaking the Livedesk protocol or the floor's raw
//! one, verifying every message it hears and reporting what it saw when it stops.
//!
//! - `conn`: dialing (source addresses spread over 127.0.0.0/8) and the WebSocket handshake;
//! - `wire`: the frames of both protocols, in and out;
//! - `session`: the task: commands in, frames out, reconnect and resume; its `frames` part
//!   numbers and writes sends and verifies, counts and acknowledges what comes back.

mod conn;
mod session;
mod wire;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use uuid::Uuid;

use crate::verify::{Acked, StreamId, Verifier};

pub use conn::{resolve, source_ips};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `/ws/v1`: hello, message.send, ack after commit, message.created with `seq`.
    Livedesk,
    /// The floor's `{"op":"join"|"msg"}` room broadcast (as `chatload.js --proto raw`).
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Visitor,
    Agent,
    /// A floor room member.
    Member,
}

/// One simulated socket.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index in the run; the `s=` of its messages.
    pub index: u32,
    pub room: u32,
    pub role: Role,
    pub token: Option<String>,
    /// Livedesk: the conversation it sends into and resumes.
    pub conversation: Option<Uuid>,
    /// Floor: the room name it joins.
    pub room_name: String,
    /// Streams it must hear, each with the number it starts after.
    pub expects: Vec<(StreamId, i64)>,
    /// The stream its own messages land in.
    pub own_stream: StreamId,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    pub protocol: Protocol,
    pub ws_url: String,
    pub addr: SocketAddr,
    pub source_ips: Vec<IpAddr>,
    pub ws_config: WebSocketConfig,
}

/// Live totals, read by the progress line and the phases.
#[derive(Debug, Default)]
pub struct Counters {
    pub ready: AtomicU64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub delivered: AtomicU64,
    pub window_deliveries: AtomicU64,
    pub window_acks: AtomicU64,
    pub duplicates: AtomicU64,
    pub early: AtomicU64,
    pub errors: AtomicU64,
    pub reconnects: AtomicU64,
    pub max_latency_ns: AtomicU64,
    /// Deliveries the sends so far should cause (room size − 1 each).
    pub expected_deliveries: AtomicU64,
}

impl Counters {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// The measured window, in `stamp::now_ns` time; `u64::MAX` while unset.
#[derive(Debug)]
pub struct Window {
    pub start: AtomicU64,
    pub end: AtomicU64,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            start: AtomicU64::new(u64::MAX),
            end: AtomicU64::new(u64::MAX),
        }
    }
}

impl Window {
    pub fn contains(&self, t: u64) -> bool {
        t >= self.start.load(Ordering::Relaxed) && t < self.end.load(Ordering::Relaxed)
    }
}

/// What every client shares.
pub struct Shared {
    pub target: Target,
    pub counters: Counters,
    pub window: Window,
    pub body_bytes: usize,
    /// Wall-clock milliseconds when the run started: `client_msg_id`s are UUIDv7 of the
    /// first send's time (as real clients make them), unique across runs on one fixture.
    pub run_ms: u64,
    /// Bounds how many clients are in their connect phase at once.
    pub connecting: Semaphore,
    /// Reconnect automatically when the socket drops (Livedesk only).
    pub reconnect: bool,
}

/// What the scenario tells a client.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    /// Send one message, stamped at `sent_ns` (open loop).
    Send {
        sent_ns: u64,
    },
    /// Keep `window` messages unacknowledged in flight until `Quiet` (closed loop).
    Pump {
        window: usize,
    },
    Quiet,
    /// Drop the connection abruptly (RST), then reconnect and resume at once.
    Drop,
    /// Close and report.
    Stop,
}

/// What a client tells the scenario as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// Connected, authenticated (or joined) and caught up, `took_ns` after it began dialing.
    Ready {
        index: u32,
        took_ns: u64,
    },
    /// Back after a `Drop`, `took_ns` after it.
    Resumed {
        index: u32,
        took_ns: u64,
    },
    Failed {
        index: u32,
        reason: String,
    },
}

/// What a client saw, handed back when it stops.
#[derive(Debug, Default)]
pub struct Outcome {
    pub index: u32,
    pub verifier: Verifier,
    pub acked: Acked,
    /// Delivery latencies (others' messages sent in the window), ns.
    pub latencies: Vec<u64>,
    /// Send-to-ack latencies (own messages sent in the window), ns.
    pub ack_latencies: Vec<u64>,
    pub sent: u64,
    /// Sends never acknowledged.
    pub unacked: u64,
    pub errors: BTreeMap<String, u64>,
    pub reconnects: u64,
    pub failed: Option<String>,
}

/// A running client: its command channel and the task that returns its outcome.
pub struct Handle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub task: tokio::task::JoinHandle<Outcome>,
}

/// Starts one client task.
pub fn spawn(member: Member, shared: Arc<Shared>, events: mpsc::UnboundedSender<Event>) -> Handle {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(session::run(member, shared, rx, events));
    Handle { commands: tx, task }
}
