//! Livedesk's application layer: the commands every adapter runs. REST handlers, socket
//! frames and background workers decode their input, run a command and encode its result;
//! the rules live here, once.
//!
//! A command checks what the caller may do as they are now (see [`Caller`]), applies its
//! change in **one** store transaction (the conversation, its timeline lines as data and its
//! routing together) and returns the [`Event`]s it caused in a [`Done`]. The server's one
//! publisher tells them to the people concerned; messages are published by the store's
//! commit listener instead, in seq order (see [`event`]). Nothing here knows of HTTP or
//! sockets.

use std::sync::Arc;

use livedesk_core::store::Store;
use livedesk_core::WallClock;

pub mod agents;
pub mod caller;
pub mod chat;
pub mod contacts;
pub mod conversations;
pub mod error;
pub mod event;
pub mod inboxes;
pub mod triage;
pub mod visitors;
pub mod workspace;

pub use caller::Caller;
pub use error::{Error, Result};
pub use event::{Done, Event};

/// What commands run on: the store, the clock and the limits they enforce.
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn WallClock>,
    pub limits: Limits,
}

/// The limits commands enforce on what they store.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest message body, in characters.
    pub max_message_chars: usize,
}

impl App {
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
