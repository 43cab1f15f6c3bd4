//! The live phase: frames read in order until the socket ends, the heartbeat that ends a
//! silent peer, decoding, and the budget of bad frames that closes an abusive one.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Message as WsMessage;
use futures_util::StreamExt as _;
use livedesk_protocol::close;
use livedesk_protocol::frames::ClientFrame;
use livedesk_protocol::ErrorCode;
use tokio_util::sync::CancellationToken;

use super::{error_frame, Flow, Incoming, Reader};
use crate::config::Rate;
use crate::error::ApiError;
use crate::ws::writer::Out;

/// Protocol errors tolerated before the socket is closed: 10 per 10 s.
pub(super) const ABUSE_RATE: Rate = Rate {
    count: 10,
    per: Duration::from_secs(10),
};

impl Reader {
    /// Phase 2: frames until the end. Every idle socket's task waits in here: what it holds
    /// across its awaits is what an idle socket costs, so the calls it makes are boxed.
    pub(super) async fn serve(
        &mut self,
        stream: &mut impl Incoming,
        writer_done: &CancellationToken,
    ) {
        let heartbeat_secs = self.state.config.limits.heartbeat_secs;
        let idle_timeout = Duration::from_secs(heartbeat_secs * 5 / 2);
        let mut revalidate = tokio::time::interval(Duration::from_secs(heartbeat_secs));
        revalidate.tick().await;
        let mut last_heard = tokio::time::Instant::now();
        let access = Arc::clone(&self.access);
        loop {
            let next = tokio::select! {
                biased;
                _ = writer_done.cancelled() => break,
                // Before any further frame: what the principal may do changed.
                _ = access.changed() => {
                    if let Flow::Close(code, why) = Box::pin(self.access_changed()).await {
                        self.close(code, why);
                        break;
                    }
                    continue;
                }
                _ = revalidate.tick() => {
                    if let Flow::Close(code, why) = Box::pin(self.still_valid()).await {
                        self.close(code, why);
                        break;
                    }
                    continue;
                }
                // Any frame, pongs to the server's pings included, shows the peer is alive.
                _ = tokio::time::sleep_until(last_heard + idle_timeout) => Err(()),
                r = stream.next() => Ok(r),
            };
            last_heard = tokio::time::Instant::now();
            let flow = match next {
                Err(_) => Flow::Close(1001, "heartbeat timeout"),
                Ok(None) => break,
                Ok(Some(Err(e))) => read_error(e),
                Ok(Some(Ok(WsMessage::Text(text)))) => Box::pin(self.frame(&text)).await,
                Ok(Some(Ok(WsMessage::Binary(_)))) => {
                    let err = ApiError::new(
                        ErrorCode::UnsupportedFrame,
                        "binary frames are not part of the protocol",
                    );
                    Box::pin(self.error(None, err)).await
                }
                Ok(Some(Ok(WsMessage::Close(_)))) => break,
                Ok(Some(Ok(_))) => Flow::Continue,
            };
            if let Flow::Close(code, why) = flow {
                self.close(code, why);
                break;
            }
        }
    }

    pub(super) async fn error(&mut self, id: Option<String>, err: ApiError) -> Flow {
        self.send(Out::Frame(error_frame(id, &err))).await;
        let abusive = matches!(
            err.code,
            ErrorCode::InvalidJson
                | ErrorCode::InvalidRequest
                | ErrorCode::UnknownFrameType
                | ErrorCode::UnsupportedFrame
                | ErrorCode::HelloRequired
                | ErrorCode::NotFound
                | ErrorCode::RateLimited
        );
        if abusive && self.abuse.take(ABUSE_RATE, self.state.clock.now()).is_err() {
            if err.code == ErrorCode::RateLimited {
                return Flow::Close(close::RATE_LIMITED, "rate limit exceeded repeatedly");
            }
            return Flow::Close(close::PROTOCOL_VIOLATION, "too many invalid frames");
        }
        Flow::Continue
    }

    async fn frame(&mut self, text: &str) -> Flow {
        let frame = match parse(text) {
            Ok(f) => f,
            Err((id, err)) => return self.error(id, err).await,
        };
        let id = frame.id().map(str::to_owned);
        match self.handle(frame).await {
            Ok(()) => Flow::Continue,
            Err(err) => self.error(id, err).await,
        }
    }
}

/// Decodes a client frame, telling apart bad JSON, unknown types and bad fields.
pub(super) fn parse(text: &str) -> Result<ClientFrame, (Option<String>, ApiError)> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        (
            None,
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("frame is not valid JSON: {e}"),
            ),
        )
    })?;
    let id = value
        .get("id")
        .and_then(|v| v.as_str())
        .filter(|s| s.chars().count() <= 64)
        .map(str::to_owned);
    let Some(kind) = value
        .get("type")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    else {
        return Err((
            id,
            ApiError::new(ErrorCode::InvalidRequest, "frame has no string `type`"),
        ));
    };
    if !ClientFrame::TYPES.contains(&kind.as_str()) {
        let kind: String = kind.chars().take(40).collect();
        return Err((
            id,
            ApiError::new(
                ErrorCode::UnknownFrameType,
                format!("unknown frame type `{kind}`"),
            ),
        ));
    }
    let frame: ClientFrame = serde_json::from_value(value).map_err(|e| {
        (
            id.clone(),
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("invalid `{kind}` frame: {e}"),
            ),
        )
    })?;
    livedesk_core::values::frame_id(frame.id().map(str::to_owned))
        .map_err(|e| (None, ApiError::from(e)))?;
    Ok(frame)
}

/// A read error closes the socket with the code that says why.
pub(super) fn read_error(e: axum::Error) -> Flow {
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
    match e.into_inner().downcast_ref::<Error>() {
        Some(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
            Flow::Close(close::MESSAGE_TOO_BIG, "frame larger than the limit")
        }
        Some(Error::Utf8(_)) => {
            Flow::Close(close::INVALID_PAYLOAD, "text frame is not valid UTF-8")
        }
        _ => Flow::Close(1002, "protocol error"),
    }
}
