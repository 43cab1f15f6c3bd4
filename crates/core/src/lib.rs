//! The Livedesk domain, free of transports and drivers.
//!
//! - [`values`]: values validated at the edge (`MessageBody`, `ClientMsgId`, `Email`, …);
//!   holding one is the proof it was checked.
//! - [`store`]: the `Store` port every backend implements, its records and its error type;
//!   [`directory`]: the part of it about the team (agents, inboxes, teams, triage, replies).
//! - [`routing`]: who gets a conversation (the policies) and draining the queue;
//! - [`fanout`]: topics and the `Fanout` port that carries committed events to sockets;
//! - [`timeline`]: the timeline lines a change to a conversation writes.
//!
//! The server crate adapts HTTP and WebSocket onto these; the store crate implements `Store`
//! for SQLite and PostgreSQL.

pub mod directory;
pub mod fanout;
pub mod routing;
pub mod store;
pub mod timeline;
pub mod values;

pub use livedesk_protocol as protocol;

/// Current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Where a store reads "now" for the timestamps it writes itself (a message's `created_at`, a
/// conversation's `updated_at`, an assignment made in a triage change). The server hands the
/// store the clock it runs on, so that a test which moves the server's clock by hand also
/// moves these: re-offers compare an assignment's time, which the server gives, with its
/// answer's, which the store stamps, and the two must come from one clock.
pub trait WallClock: Send + Sync {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }
}
