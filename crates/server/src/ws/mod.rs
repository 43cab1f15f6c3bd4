//! The `/ws/v1` WebSocket adapter: handshake checks here, the session loop in [`session`].
//!
//! The handshake is refused (403 `origin_not_allowed`) when a browser's `Origin` is neither
//! this server's own origin nor, for a widget socket (`?inbox=ID`), one of the inbox's allowed
//! origins. Authentication happens in the first frame (`hello`), or by the session cookie or
//! `Authorization` header of the handshake; tokens never travel in the URL.

mod presence;
mod seen;
pub mod session;
mod writer;

use std::net::SocketAddr;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use livedesk_protocol::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{self, Credential};
use crate::error::ApiError;
use crate::http::Query;
use crate::state::SharedState;

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// Set by widget sockets: the inbox whose allowed origins apply.
    pub inbox: Option<Uuid>,
}

pub async fn upgrade(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = auth::origin(&headers) {
        let own = auth::own_origins(&state, Some(peer.ip()), &headers).contains(&origin);
        let allowed = own
            || match query.inbox {
                Some(inbox_id) => match state.store.inbox(inbox_id).await {
                    Ok(Some(inbox)) => inbox.allowed_origins.contains(&origin),
                    Ok(None) => false,
                    Err(e) => return ApiError::from(e).into_response(),
                },
                None => false,
            };
        if !allowed {
            return ApiError::new(
                ErrorCode::OriginNotAllowed,
                format!("origin {origin} may not open this socket"),
            )
            .into_response();
        }
    }
    let credential = auth::credential(&headers).map(|c| match c {
        Credential::Bearer(t) | Credential::Cookie(t) => t,
    });
    let limits = &state.config.limits;
    let handshake = session::Handshake {
        credential,
        inbox_hint: query.inbox,
        ip: auth::client_ip(&state, peer.ip(), &headers),
    };
    ws.max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(limits.max_frame_bytes * 4)
        .on_upgrade(move |socket| {
            let tasks = state.tasks.clone();
            // Split before the session's future is made: that future would otherwise keep
            // the unsplit socket (368 bytes) as an argument for as long as the socket lives.
            let (sink, stream) = socket.split();
            tasks.track_future(session::run(sink, stream, state, handshake))
        })
}
