//! Integration tests: each test starts the real server on port 0 with a database of its own
//! (SQLite in a temporary directory, or a fresh PostgreSQL database when
//! `LIVEDESK_TEST_POSTGRES_URL` is set) and talks to it over real sockets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod console;
mod crash;
mod helpers;
mod ops;
mod tls;

mod bad_input;
mod delivery;
mod floods;
mod handover;
mod idempotency;
mod isolation;
mod lifetime;
mod limits;
mod presence;
mod reach;
mod resume;
mod routing;
mod widget_api;
