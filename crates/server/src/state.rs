//! What every handler shares.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use livedesk_core::fanout::Fanout;
use livedesk_core::store::Store;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
use crate::limits::KeyedLimiter;
use crate::presence::Presence;

pub type SharedState = Arc<AppState>;

pub struct AppState {
    pub config: Config,
    /// What every time-dependent feature reads the time from and waits on: the system's,
    /// or a test's that moves only when told (see [`crate::clock`]).
    pub clock: Clock,
    /// The commands every adapter runs (see [`livedesk_app`]); it holds the same store.
    pub app: livedesk_app::App,
    pub store: Arc<dyn Store>,
    pub hub: Arc<Hub>,
    /// Who is connected to this node now (agents' consoles, visitors' widgets).
    pub presence: Presence,
    /// Serialises queue drains on this node, so the queue is served in order.
    pub drain_lock: tokio::sync::Mutex<()>,
    pub fanout: Arc<dyn Fanout>,
    pub login_limiter: KeyedLimiter<IpAddr>,
    pub widget_limiter: KeyedLimiter<IpAddr>,
    /// Failed sign-ins per account (e-mail).
    pub account_limiter: KeyedLimiter<String>,
    /// Sends and page views per sender (agent or contact), over every socket and REST.
    pub message_limiter: KeyedLimiter<Uuid>,
    /// Conversations opened per sender (agent or contact).
    pub conversation_limiter: KeyedLimiter<Uuid>,
    /// Cancelled when the server begins shutting down.
    pub shutdown: CancellationToken,
    /// Sockets and other tasks to wait for on shutdown.
    pub tasks: TaskTracker,
    /// The one-time first-run setup token, while no agent exists.
    pub setup_token: Mutex<Option<String>>,
    pub tls: bool,
}
