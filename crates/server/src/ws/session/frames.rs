//! What each frame after the hello does: sends, receipts, page views, typing, `resume` and
//! `ping`, with the socket's cache of the conversations it may use.

use std::time::Duration;

use livedesk_protocol::frames::{ClientFrame, Cursor, VisitorFrame};
use livedesk_protocol::model::Conversation;
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use super::{encode, Reader};
use livedesk_app::chat;

use crate::config::Rate;
use crate::error::ApiError;
use crate::metrics::count_message;
use crate::publish;
use crate::ws::writer::Out;

/// Typing and receipt frames handled per socket: 20 per second.
pub(super) const CHATTER_RATE: Rate = Rate {
    count: 20,
    per: Duration::from_secs(1),
};

impl Reader {
    pub(super) async fn handle(&mut self, frame: ClientFrame) -> Result<(), ApiError> {
        match frame {
            ClientFrame::Hello { .. } => Err(ApiError::new(
                ErrorCode::HelloRequired,
                "hello was already received",
            )),
            ClientFrame::Ping { id } => {
                self.send(Out::Frame(encode(&VisitorFrame::Pong { id })))
                    .await;
                Ok(())
            }
            ClientFrame::MessageSend {
                id,
                conversation_id,
                client_msg_id,
                body,
                kind,
                attachment_id,
                mentions,
            } => {
                self.take_token()?;
                let conversation = self.conversation(conversation_id).await?;
                let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
                let outgoing = chat::Outgoing {
                    client_msg_id,
                    body,
                    kind,
                    attachment_id,
                    mentions,
                };
                let done =
                    chat::send_message(&self.state.app, caller, &conversation, outgoing).await?;
                let ack = publish::settle(&self.state, done).await;
                if !ack.duplicate {
                    count_message("ws");
                }
                self.send(Out::Frame(encode(&VisitorFrame::Ack { id, ack })))
                    .await;
                Ok(())
            }
            ClientFrame::Receipt {
                conversation_id,
                seq,
                status,
                ..
            } => {
                let conversation = self.conversation(conversation_id).await?;
                if !self.chatter_allowed() {
                    return Ok(());
                }
                let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
                let done =
                    chat::receipt(&self.state.app, caller, &conversation, seq, status).await?;
                publish::settle(&self.state, done).await;
                Ok(())
            }
            ClientFrame::PageView {
                url,
                title,
                referrer,
                timezone,
                ..
            } => {
                self.take_token()?;
                let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
                let visit = chat::PageVisit {
                    url,
                    title,
                    referrer,
                    timezone,
                };
                let done = chat::page_view(&self.state.app, caller, visit).await?;
                publish::settle(&self.state, done).await;
                Ok(())
            }
            ClientFrame::Typing {
                conversation_id,
                on,
                draft,
                ..
            } => {
                let conversation = self.conversation(conversation_id).await?;
                if !self.chatter_allowed() {
                    return Ok(());
                }
                let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
                publish::settle(&self.state, chat::typing(caller, &conversation, on, draft)).await;
                Ok(())
            }
            ClientFrame::Resume {
                id,
                conversation_id,
                last_seq,
            } => {
                self.replay(
                    id,
                    Cursor {
                        conversation_id,
                        last_seq,
                    },
                )
                .await
            }
        }
    }

    /// One token of the sender's message budget (sends and page views), shared by all their
    /// sockets and REST.
    /// Typing and receipts beyond the chatter budget are dropped without an error: they are
    /// hints, and a client sending them fast is not told to retry them.
    fn chatter_allowed(&mut self) -> bool {
        self.chatter
            .take(CHATTER_RATE, self.state.clock.now())
            .is_ok()
    }

    fn take_token(&mut self) -> Result<(), ApiError> {
        let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
        self.state
            .message_limiter
            .check(&caller.actor_id())
            .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))
    }

    pub(super) async fn conversation(&mut self, id: Uuid) -> Result<Conversation, ApiError> {
        if let Some(c) = self.conversations.get(&id) {
            return Ok(c.clone());
        }
        let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
        let conversation = chat::conversation_for(&self.state.app, caller, id).await?;
        if self.conversations.len() >= 1000 {
            self.conversations.clear();
        }
        self.conversations.insert(id, conversation.clone());
        Ok(conversation)
    }
}
