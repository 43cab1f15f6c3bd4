//! Livedesk's load generator and benchmark floor.
//!
//! `livedesk-loadgen` simulates visitors and agents speaking the real protocol (authenticated
//! sockets, `seq`-numbered messages, ack after commit), verifies every delivery, and reports
//! latency, throughput, loss, duplicates and the server's CPU per delivery and memory per
//! connection. `livedesk-floor` is the bare broadcast server every run is compared with.
//! `bench.sh` beside this crate runs the whole comparison.
//!
//! ```sh
//! livedesk-loadgen setup --rooms 50 --room-size 10 --bin target/release/livedesk \
//!     --data-dir D --url http://127.0.0.1:8080 --out fixture.json
//! livedesk-loadgen run --fixture fixture.json --scenario fanout --rate 4000 --duration 10 \
//!     --server-pid PID --baseline floor-fanout.json --out fanout.json
//! livedesk-loadgen run --target floor --url ws://127.0.0.1:3000/ws --scenario fanout …
//! livedesk-loadgen report *.json
//! ```
//!
//! A delivery is a message reaching a socket other than its sender's; the sender's own copy
//! is verified but not counted, on Livedesk and on the floor alike.
//!
//! - [`cli`]: the command line (`setup`, `run`, `report`);
//! - [`setup`], [`fixture`], [`api`]: workspaces, agents, visitors and conversations made once
//!   and cached in a JSON file;
//! - [`client`]: one task per simulated socket, for Livedesk or the floor's raw protocol;
//! - [`scenario`]: idle hold, steady chat, fan-out, burst, reconnect storm, persist, start-up;
//! - [`verify`]: per-receiver, per-stream checks (order, gaps, duplicates) and the final
//!   comparison with what was acknowledged;
//! - [`stats`], [`procstat`], [`stamp`]: percentiles, `/proc` readings, the message stamp;
//! - [`report`], [`progress`]: the JSON result, the markdown summary, the live progress line;
//! - [`floor`]: the floor server;
//! - [`error`]: the one error type.

pub mod api;
pub mod cli;
pub mod client;
pub mod error;
pub mod fixture;
pub mod floor;
pub mod procstat;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod setup;
pub mod stamp;
pub mod stats;
pub mod verify;
