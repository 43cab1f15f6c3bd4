//! Livedesk wire types, shared by the server, its clients and the tests.
//!
//! Everything a client sees is defined here, and nothing else is sent:
//!
//! - [`error`]: the one table of stable error codes used by REST and WebSocket alike;
//! - [`close`]: WebSocket close codes and whether a client should reconnect;
//! - [`model`]: the resources (conversations, messages, sessions) as clients see them,
//!   with separate, narrower types for visitors;
//! - [`frames`]: one `#[serde(tag = "type")]` enum per direction of the `/ws/v1` socket;
//! - [`rest`]: request and response bodies of `/api/v1`.
//!
//! Tests hold `docs/protocol.md`'s frame, error code and close code tables to these types.

pub mod close;
pub mod error;
pub mod frames;
pub mod model;
pub mod rest;

#[cfg(test)]
mod docs_drift;
#[cfg(test)]
mod samples;

pub use error::{ErrorBody, ErrorCode};
