//! The error code table. Clients switch on `code`; the message is for humans and may change.

use serde::{Deserialize, Serialize};

/// Every error a client can receive, over REST (`{"code","message"}`) or WebSocket
/// (`{"type":"error","code","message"}`). Codes are stable once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request or frame is not valid JSON.
    InvalidJson,
    /// The JSON is well formed but a field is missing, unknown or of the wrong type.
    InvalidRequest,
    /// The WebSocket frame's `type` is not one the server knows.
    UnknownFrameType,
    /// Binary WebSocket frames are not part of the protocol.
    UnsupportedFrame,
    /// The first frame on a socket must be `hello`; or `hello` was sent twice.
    HelloRequired,
    /// A message body is empty (or only white space).
    BodyEmpty,
    /// A message body is longer than the configured limit.
    BodyTooLong,
    /// A request body or frame is larger than the configured cap.
    PayloadTooLarge,
    /// An upload's content type is not among the inbox's allowed attachment types.
    UnsupportedMediaType,
    /// `client_msg_id` is missing or not 1–64 characters of `[A-Za-z0-9_-]`.
    InvalidClientMsgId,
    /// A field failed validation (see the message).
    ValidationFailed,
    /// No credentials, or credentials that are unknown, expired or revoked.
    Unauthorized,
    /// E-mail and password do not match an agent.
    InvalidCredentials,
    /// The password is right, but an admin deactivated this agent.
    AccountDeactivated,
    /// Authenticated, but the role does not allow this.
    Forbidden,
    /// No such resource in the caller's scope (unknown and foreign ids look the same).
    NotFound,
    /// The path exists but not with this HTTP method.
    MethodNotAllowed,
    /// The page's `Origin` is not allowed for this inbox (or for the console).
    OriginNotAllowed,
    /// A cookie-authenticated change came from another site.
    CsrfFailed,
    /// Too many requests; retry after the advertised delay.
    RateLimited,
    /// The resource exists already (e.g. an agent with this e-mail).
    Conflict,
    /// The agent has as many open conversations as their capacity; a supervisor may override.
    AgentAtCapacity,
    /// The first-run setup is over, or its token is wrong.
    SetupUnavailable,
    /// The server is shutting down or its database is unreachable; retry.
    Unavailable,
    /// Something failed on the server. Logged with its cause; details are not sent.
    Internal,
}

impl ErrorCode {
    /// Every code, in table order (for documentation and tests).
    pub const ALL: [ErrorCode; 25] = [
        Self::InvalidJson,
        Self::InvalidRequest,
        Self::UnknownFrameType,
        Self::UnsupportedFrame,
        Self::HelloRequired,
        Self::BodyEmpty,
        Self::BodyTooLong,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::InvalidClientMsgId,
        Self::ValidationFailed,
        Self::Unauthorized,
        Self::InvalidCredentials,
        Self::AccountDeactivated,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::OriginNotAllowed,
        Self::CsrfFailed,
        Self::RateLimited,
        Self::Conflict,
        Self::AgentAtCapacity,
        Self::SetupUnavailable,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The HTTP status a REST response with this code carries.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidJson
            | Self::InvalidRequest
            | Self::UnknownFrameType
            | Self::UnsupportedFrame
            | Self::HelloRequired
            | Self::BodyEmpty
            | Self::BodyTooLong
            | Self::InvalidClientMsgId
            | Self::ValidationFailed => 400,
            Self::Unauthorized | Self::InvalidCredentials => 401,
            Self::Forbidden
            | Self::AccountDeactivated
            | Self::OriginNotAllowed
            | Self::CsrfFailed
            | Self::SetupUnavailable => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict | Self::AgentAtCapacity => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }

    /// The snake_case name, as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidRequest => "invalid_request",
            Self::UnknownFrameType => "unknown_frame_type",
            Self::UnsupportedFrame => "unsupported_frame",
            Self::HelloRequired => "hello_required",
            Self::BodyEmpty => "body_empty",
            Self::BodyTooLong => "body_too_long",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidClientMsgId => "invalid_client_msg_id",
            Self::ValidationFailed => "validation_failed",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountDeactivated => "account_deactivated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::CsrfFailed => "csrf_failed",
            Self::RateLimited => "rate_limited",
            Self::Conflict => "conflict",
            Self::AgentAtCapacity => "agent_at_capacity",
            Self::SetupUnavailable => "setup_unavailable",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every REST error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// Set with `rate_limited`: how long to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn every_code_maps_to_an_error_status() {
        for code in ErrorCode::ALL {
            assert!((400..600).contains(&code.http_status()), "{code}");
        }
    }
}
