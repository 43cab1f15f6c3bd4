//! WebSocket close codes. A client reconnects (with its cursors) unless the code says not to.

/// Normal closure, asked for by the client.
pub const NORMAL: u16 = 1000;
/// Nothing was heard from the client for 2.5 heartbeats. Reconnect.
pub const GOING_AWAY: u16 = 1001;
/// A WebSocket-level protocol error on read. Reconnect.
pub const PROTOCOL_ERROR: u16 = 1002;
/// The frame carried invalid UTF-8 (RFC 6455). Reconnect; do not resend the same bytes.
pub const INVALID_PAYLOAD: u16 = 1007;
/// A frame larger than the cap. Reconnect; do not resend the same frame.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server is shutting down or restarting. Reconnect with backoff and resume.
pub const SERVICE_RESTART: u16 = 1012;
/// No valid `hello` (token missing, unknown, expired or revoked). Do not reconnect with the same token.
pub const UNAUTHORIZED: u16 = 4001;
/// The session was revoked (sign-out, password change). Do not reconnect with the same token.
pub const SESSION_REVOKED: u16 = 4003;
/// The client read too slowly and its queue overflowed. Reconnect and resume from cursors.
pub const SLOW_CONSUMER: u16 = 4008;
/// No `hello` within the allowed time. Reconnect.
pub const HELLO_TIMEOUT: u16 = 4009;
/// Too many frames over the rate limit. Reconnect after a pause (at least 5 s).
pub const RATE_LIMITED: u16 = 4029;
/// Repeated protocol violations. Do not reconnect automatically.
pub const PROTOCOL_VIOLATION: u16 = 4400;

/// Every code of the protocol's close code table, in order.
pub const ALL: [u16; 12] = [
    NORMAL,
    GOING_AWAY,
    PROTOCOL_ERROR,
    INVALID_PAYLOAD,
    MESSAGE_TOO_BIG,
    SERVICE_RESTART,
    UNAUTHORIZED,
    SESSION_REVOKED,
    SLOW_CONSUMER,
    HELLO_TIMEOUT,
    RATE_LIMITED,
    PROTOCOL_VIOLATION,
];

/// Whether a client should reconnect after the server closed with `code`.
pub fn should_reconnect(code: u16) -> bool {
    !matches!(code, UNAUTHORIZED | SESSION_REVOKED | PROTOCOL_VIOLATION)
}
