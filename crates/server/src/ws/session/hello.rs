//! The hello phase: the first frame, authentication, the subscriptions, presence, `welcome`,
//! and the replay of each cursor. It runs once per socket, in a boxed future of its own, so
//! none of its state stays in an idle socket's task.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Message as WsMessage;
use futures_util::StreamExt as _;
use livedesk_core::fanout::Topic;
use livedesk_protocol::close;
use livedesk_protocol::frames::{ClientFrame, Cursor, Resumed, ServerFrame, VisitorFrame};
use livedesk_protocol::model::VisitorMessage;
use livedesk_protocol::ErrorCode;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::reader::{parse, read_error};
use super::{encode, error_frame, Flow, Handshake, Incoming, Reader};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::hub::Shared;
use crate::metrics::{metrics, KindLabel};
use crate::ws::writer::Out;
use livedesk_app::chat;

/// How the hello went.
pub(super) enum Hello {
    /// The socket is done; it was never counted as connected.
    Failed,
    /// Counted as connected (authenticated), then closed before it went live.
    Closed(&'static str),
    /// Authenticated and live.
    Ready(&'static str, Guards),
}

/// What an authenticated socket holds until it closes: its subscriptions and its presence.
pub(super) struct Guards {
    _personal: Option<crate::hub::Subscription>,
    _subscription: crate::hub::Subscription,
    _presence: crate::ws::presence::Connected,
}

/// What a valid `hello` carries: its id, its cursors, and its token if it has one.
struct HelloFrame {
    id: Option<String>,
    cursors: Vec<Cursor>,
    token: Option<String>,
}

impl Reader {
    /// Phase 1: the hello, its authentication, the subscriptions and the replay.
    pub(super) async fn hello(
        &mut self,
        stream: &mut impl Incoming,
        handshake: Handshake,
        event_tx: mpsc::Sender<Shared>,
        slow: CancellationToken,
        writer_done: &CancellationToken,
    ) -> Hello {
        let Some(HelloFrame { id, cursors, token }) = self.first_frame(stream, writer_done).await
        else {
            return Hello::Failed;
        };
        let state = self.state.clone();
        let limits = &state.config.limits;
        let caller =
            match Box::pin(self.authenticate(token.or(handshake.credential), handshake.inbox_hint))
                .await
            {
                Ok(c) => c,
                Err(err) => {
                    let code = if err.code == ErrorCode::Unavailable {
                        close::SERVICE_RESTART
                    } else {
                        close::UNAUTHORIZED
                    };
                    self.send(Out::Frame(error_frame(id, &err))).await;
                    self.send(Out::Close(code, "not authenticated")).await;
                    return Hello::Failed;
                }
            };
        let (topic, kind) = match &caller {
            Caller::Agent { agent, .. } => (
                Topic::Agents {
                    workspace_id: agent.workspace_id,
                },
                "agent",
            ),
            Caller::Visitor(v) => (
                Topic::Visitor {
                    contact_id: v.contact_id,
                },
                "visitor",
            ),
        };
        metrics()
            .connections
            .get_or_create(&KindLabel { kind })
            .inc();
        tracing::Span::current()
            .record("kind", kind)
            .record("principal", tracing::field::display(caller.actor_id()));
        tracing::debug!("socket authenticated");
        if let Err(err) = Box::pin(self.refresh_scope(&caller)).await {
            self.send(Out::Frame(error_frame(id, &err))).await;
            self.send(Out::Close(close::SERVICE_RESTART, "try again"))
                .await;
            return Hello::Closed(kind);
        }
        // Subscribe before reading the replay, so nothing committed in between is missed.
        let personal = match &caller {
            Caller::Agent { agent, .. } => Some(self.state.hub.subscribe(
                Topic::Agent { agent_id: agent.id },
                event_tx.clone(),
                slow.clone(),
                Some(Arc::clone(&self.access)),
            )),
            Caller::Visitor(_) => None,
        };
        // A visitor's own topic carries their block; an agent's, their personal topic.
        let visitor_access = matches!(caller, Caller::Visitor(_)).then(|| Arc::clone(&self.access));
        let subscription = self
            .state
            .hub
            .subscribe(topic, event_tx, slow, visitor_access);
        let presence = Box::pin(crate::ws::presence::Connected::new(&self.state, &caller)).await;
        // Encoded at once: a frame kept as a local would stay in the socket's task state.
        let welcome = encode::<VisitorFrame>(&ServerFrame::Welcome {
            id: id.clone(),
            principal: caller.principal(),
            heartbeat_ms: limits.heartbeat_secs * 1000,
            max_frame_bytes: limits.max_frame_bytes,
        });
        self.caller = Some(caller);
        self.send(Out::Frame(welcome)).await;
        for cursor in cursors.into_iter().take(200) {
            if let Err(err) = Box::pin(self.replay(id.clone(), cursor)).await {
                if let Flow::Close(code, why) = self.error(id.clone(), err).await {
                    self.send(Out::Close(code, why)).await;
                    return Hello::Closed(kind);
                }
            }
        }
        self.send(Out::Live).await;
        Hello::Ready(
            kind,
            Guards {
                _personal: personal,
                _subscription: subscription,
                _presence: presence,
            },
        )
    }

    /// Waits for the first data frame, which must be a valid `hello`; control frames may
    /// come before it. `None` when the socket is done (the close frame, if any, is queued).
    async fn first_frame(
        &mut self,
        stream: &mut impl Incoming,
        writer_done: &CancellationToken,
    ) -> Option<HelloFrame> {
        let hello_timeout = Duration::from_secs(self.state.config.limits.hello_timeout_secs);
        let deadline = tokio::time::Instant::now() + hello_timeout;
        let text = loop {
            let next = tokio::select! {
                _ = writer_done.cancelled() => return None,
                r = tokio::time::timeout_at(deadline, stream.next()) => r,
            };
            match next {
                Err(_) => {
                    self.send(Out::Close(close::HELLO_TIMEOUT, "no hello in time"))
                        .await;
                    return None;
                }
                Ok(None) | Ok(Some(Ok(WsMessage::Close(_)))) => return None,
                Ok(Some(Err(e))) => {
                    if let Flow::Close(code, why) = read_error(e) {
                        self.send(Out::Close(code, why)).await;
                    }
                    return None;
                }
                Ok(Some(Ok(WsMessage::Text(t)))) => break t,
                Ok(Some(Ok(WsMessage::Binary(_)))) => {
                    let err = ApiError::new(
                        ErrorCode::HelloRequired,
                        "the first frame must be a hello text frame",
                    );
                    self.send(Out::Frame(error_frame(None, &err))).await;
                    self.send(Out::Close(close::UNAUTHORIZED, "hello required"))
                        .await;
                    return None;
                }
                Ok(Some(Ok(_))) => continue,
            }
        };
        let (id, cursors, token) = match parse(&text) {
            Ok(ClientFrame::Hello { id, token, cursors }) => (id, cursors, token),
            Ok(other) => {
                let err = ApiError::new(ErrorCode::HelloRequired, "the first frame must be hello");
                self.send(Out::Frame(error_frame(other.id().map(str::to_owned), &err)))
                    .await;
                self.send(Out::Close(close::UNAUTHORIZED, "hello required"))
                    .await;
                return None;
            }
            Err((id, err)) => {
                self.send(Out::Frame(error_frame(id, &err))).await;
                self.send(Out::Close(close::UNAUTHORIZED, "hello required"))
                    .await;
                return None;
            }
        };
        Some(HelloFrame { id, cursors, token })
    }

    /// Sends everything after the cursor (up to the replay limit), then `resumed`.
    ///
    /// `resumed.last_seq` is exact: the conversation's head is read *before* its messages,
    /// so every seq up to it is in what was read (a conversation's seqs commit in order), and
    /// the writer has written all of them (or had before) when it writes `resumed`. What
    /// commits after the read arrives live, above it; the socket subscribed before the read.
    pub(super) async fn replay(
        &mut self,
        id: Option<String>,
        cursor: Cursor,
    ) -> Result<(), ApiError> {
        // Named, so a client with many cursors knows which one failed; unknown and foreign
        // conversations read the same.
        let conversation = match self.conversation(cursor.conversation_id).await {
            Err(e) if e.code == ErrorCode::NotFound => {
                let c = cursor.conversation_id;
                let message = format!("no conversation {c} for this principal");
                return Err(ApiError::new(ErrorCode::NotFound, message));
            }
            other => other?,
        };
        let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
        let limit = self.state.config.limits.replay_limit;
        // The cached conversation may be old: read its head now, before the messages.
        let head = self
            .state
            .store
            .conversation(conversation.workspace_id, conversation.id)
            .await?
            .map_or(conversation.last_seq, |c| c.last_seq);
        let (messages, more) = chat::messages(
            &self.state.app,
            caller,
            &conversation,
            Some(cursor.last_seq.max(0)),
            None,
            limit.min(500),
        )
        .await?;
        // The page size is capped at 500; read further pages up to the replay limit.
        let mut all = messages;
        let mut more = more;
        while more && (all.len() as u32) < limit {
            let after = all.last().map(|m| m.seq).unwrap_or(cursor.last_seq);
            let (next, m) = chat::messages(
                &self.state.app,
                caller,
                &conversation,
                Some(after),
                None,
                500,
            )
            .await?;
            more = m;
            all.extend(next);
        }
        let recovered = !more && (all.len() as u32) <= limit;
        // For visitors the head may lie above the last message they may see (private notes).
        // A cursor beyond the head claims seqs that do not exist: the answer is the head.
        let last_seq = all.last().map_or(head, |m| m.seq).max(head);
        if recovered {
            let visitor = matches!(caller, Caller::Visitor(_));
            for m in all {
                let frame = if visitor {
                    match VisitorMessage::from_message(&m) {
                        Some(message) => encode(&VisitorFrame::MessageCreated { message }),
                        None => continue,
                    }
                } else {
                    encode(&livedesk_protocol::frames::AgentFrame::MessageCreated {
                        message: m.clone(),
                    })
                };
                self.send(Out::Replay {
                    conversation_id: m.conversation_id,
                    seq: m.seq,
                    frame,
                })
                .await;
            }
        }
        let resumed = Resumed {
            conversation_id: conversation.id,
            last_seq,
            recovered,
        };
        self.send(Out::Resumed {
            conversation_id: conversation.id,
            delivered: recovered.then_some(last_seq),
            frame: encode(&VisitorFrame::Resumed { id, resumed }),
        })
        .await;
        Ok(())
    }
}
