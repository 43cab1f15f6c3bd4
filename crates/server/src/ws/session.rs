//! One socket: a read loop (this task) and a write loop (spawned), joined by channels.
//!
//! The reader handles frames in order, so one client's messages are stored in the order it
//! sent them. The writer owns the socket's sink: it sends replies, replays and live events,
//! pings, and the close frame. Live events wait until the `hello` replay is written, and
//! [`Seen`] drops any seq this socket already wrote.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::{SinkExt as _, StreamExt as _};
use livedesk_core::fanout::Topic;
use livedesk_protocol::close;
use livedesk_protocol::frames::{ClientFrame, Cursor, Resumed, ServerFrame, VisitorFrame};
use livedesk_protocol::model::{Conversation, VisitorMessage};
use livedesk_protocol::ErrorCode;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::writer::{write_loop, Bounds, Live, Out};
use crate::auth::{self, Caller};
use crate::chat;
use crate::config::Rate;
use crate::error::ApiError;
use crate::events;
use crate::hub::Shared;
use crate::hub::{Access, Scope};
use crate::limits::Bucket;
use crate::metrics::{metrics, KindLabel};
use crate::state::SharedState;

pub struct Handshake {
    pub credential: Option<String>,
    pub inbox_hint: Option<Uuid>,
    pub ip: IpAddr,
}

/// Replies the reader may queue ahead of the writer before it waits.
const REPLY_QUEUE: usize = 64;

fn encode<T: Serialize>(frame: &T) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(frame).unwrap_or_default())
}

fn error_frame(id: Option<String>, err: &ApiError) -> Utf8Bytes {
    crate::metrics::count_error(err.code);
    err.log();
    encode(&VisitorFrame::Error {
        id,
        code: err.code,
        message: err.message.clone(),
        retry_after_ms: err.retry_after_ms,
    })
}

pub async fn run(socket: WebSocket, state: SharedState, handshake: Handshake) {
    let (sink, stream) = socket.split();
    let (out_tx, out_rx) = futures_channel::mpsc::channel::<Out>(REPLY_QUEUE);
    let (event_tx, event_rx) = mpsc::channel::<Shared>(state.config.limits.ws_queue);
    let slow = CancellationToken::new();
    let writer_done = CancellationToken::new();
    let access = Arc::new(Access::default());
    let limits = &state.config.limits;
    let writer = write_loop(
        sink,
        out_rx,
        Live {
            events: event_rx,
            access: Arc::clone(&access),
        },
        Bounds {
            slow: slow.clone(),
            shutdown: state.shutdown.clone(),
            write_timeout: Duration::from_secs(limits.write_timeout_secs),
            heartbeat: Duration::from_secs(limits.heartbeat_secs),
        },
        writer_done.clone(),
    );
    let writer = tokio::spawn(writer);
    let now = state.clock.now();
    let mut reader = Reader {
        state,
        out: out_tx,
        caller: None,
        conversations: HashMap::new(),
        abuse: Bucket::full(ABUSE_RATE, now),
        chatter: Bucket::full(CHATTER_RATE, now),
        ip: handshake.ip,
        access,
    };
    let kind = reader
        .run(stream, handshake, event_tx, slow, &writer_done)
        .await;
    // The reply queue closes with the reader: the writer ends once what is queued is out.
    // A peer that is not reading would keep it waiting until its write timeout, so it gets
    // a short grace and is then cut off.
    drop(reader);
    let mut writer = writer;
    if tokio::time::timeout(CLOSE_GRACE, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
        metrics().slow_disconnects.inc();
    }
    if let Some(kind) = kind {
        metrics()
            .connections
            .get_or_create(&KindLabel { kind })
            .dec();
    }
}

/// How long the writer may take to finish once the reader is done.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Typing and receipt frames handled per socket: 20 per second.
const CHATTER_RATE: Rate = Rate {
    count: 20,
    per: Duration::from_secs(1),
};

/// The longest visitor draft passed on to agents.
const MAX_DRAFT_CHARS: usize = 2000;

/// Protocol errors tolerated before the socket is closed: 10 per 10 s.
const ABUSE_RATE: Rate = Rate {
    count: 10,
    per: Duration::from_secs(10),
};

struct Reader {
    state: SharedState,
    out: futures_channel::mpsc::Sender<Out>,
    caller: Option<Caller>,
    /// Conversations this socket may use; ownership never changes, so caching is safe.
    conversations: HashMap<Uuid, Conversation>,
    abuse: Bucket,
    /// Typing and receipts: ephemeral or cumulative, so over the rate they are dropped.
    chatter: Bucket,
    /// The client's address, for the log.
    ip: IpAddr,
    /// Which inboxes' events this socket may carry; read by the writer, revoked by the hub.
    access: Arc<Access>,
}

/// How the hello went.
enum Hello {
    /// The socket is done; it was never counted as connected.
    Failed,
    /// Counted as connected (authenticated), then closed before it went live.
    Closed(&'static str),
    /// Authenticated and live.
    Ready(&'static str, Guards),
}

/// What an authenticated socket holds until it closes: its subscriptions and its presence.
struct Guards {
    _personal: Option<crate::hub::Subscription>,
    _subscription: crate::hub::Subscription,
    _presence: super::presence::Connected,
}

/// How a frame went: keep reading, or close.
enum Flow {
    Continue,
    Close(u16, &'static str),
}

impl Reader {
    async fn send(&mut self, out: Out) {
        let _ = self.out.send(out).await;
    }

    /// Queues the close frame behind what is queued, without waiting: a writer stuck on a
    /// peer that does not read is cut off when the reader is done (see [`run`]).
    fn close(&mut self, code: u16, why: &'static str) {
        let _ = self.out.try_send(Out::Close(code, why));
    }

    async fn error(&mut self, id: Option<String>, err: ApiError) -> Flow {
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

    /// Returns the connection kind label once authenticated (for the gauge).
    async fn run(
        &mut self,
        mut stream: SplitStream<WebSocket>,
        handshake: Handshake,
        event_tx: mpsc::Sender<Shared>,
        slow: CancellationToken,
        writer_done: &CancellationToken,
    ) -> Option<&'static str> {
        // Boxed: the hello runs once, and its state would otherwise stay in every idle
        // socket's task as long as the socket lives.
        let hello = Box::pin(self.hello(&mut stream, handshake, event_tx, slow, writer_done));
        let (kind, _guards) = match hello.await {
            Hello::Failed => return None,
            Hello::Closed(kind) => return Some(kind),
            Hello::Ready(kind, guards) => (kind, guards),
        };
        self.serve(&mut stream, writer_done).await;
        Some(kind)
    }

    /// Phase 1: the hello, its authentication, the subscriptions and the replay.
    async fn hello(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
        handshake: Handshake,
        event_tx: mpsc::Sender<Shared>,
        slow: CancellationToken,
        writer_done: &CancellationToken,
    ) -> Hello {
        let state = self.state.clone();
        let limits = &state.config.limits;
        let hello_timeout = Duration::from_secs(limits.hello_timeout_secs);

        // Control frames (ping/pong) may come first; the first data frame must be hello.
        let deadline = tokio::time::Instant::now() + hello_timeout;
        let text = loop {
            let next = tokio::select! {
                _ = writer_done.cancelled() => return Hello::Failed,
                r = tokio::time::timeout_at(deadline, stream.next()) => r,
            };
            match next {
                Err(_) => {
                    self.send(Out::Close(close::HELLO_TIMEOUT, "no hello in time"))
                        .await;
                    return Hello::Failed;
                }
                Ok(None) | Ok(Some(Ok(WsMessage::Close(_)))) => return Hello::Failed,
                Ok(Some(Err(e))) => {
                    if let Flow::Close(code, why) = read_error(e) {
                        self.send(Out::Close(code, why)).await;
                    }
                    return Hello::Failed;
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
                    return Hello::Failed;
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
                return Hello::Failed;
            }
            Err((id, err)) => {
                self.send(Out::Frame(error_frame(id, &err))).await;
                self.send(Out::Close(close::UNAUTHORIZED, "hello required"))
                    .await;
                return Hello::Failed;
            }
        };
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
        tracing::debug!(ip = %self.ip, kind, "socket authenticated");
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
        let presence = Box::pin(super::presence::Connected::new(&self.state, &caller)).await;
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

    /// Phase 2: frames until the end. Every idle socket's task waits in here: what it holds
    /// across its awaits is what an idle socket costs, so the calls it makes are boxed.
    async fn serve(
        &mut self,
        stream: &mut SplitStream<WebSocket>,
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

    async fn authenticate(
        &self,
        token: Option<String>,
        inbox_hint: Option<Uuid>,
    ) -> Result<Caller, ApiError> {
        let token = token.ok_or_else(ApiError::unauthorized)?;
        let caller = auth::authenticate(&self.state, &token).await?;
        match (&caller, inbox_hint) {
            (Caller::Visitor(v), Some(inbox)) if v.inbox_id != inbox => {
                Err(ApiError::unauthorized())
            }
            (Caller::Agent { .. }, Some(_)) => Err(ApiError::unauthorized()),
            _ => Ok(caller),
        }
    }

    /// Reads the inboxes an agent may see now; a change empties the conversation cache.
    async fn refresh_scope(&mut self, caller: &Caller) -> Result<(), ApiError> {
        let Caller::Agent { agent, .. } = caller else {
            return Ok(());
        };
        let scope: Scope = chat::inbox_scope(&self.state, agent)
            .await?
            .map(|ids| Arc::new(ids.into_iter().collect()));
        if self.access.set(scope) {
            self.conversations.clear();
        }
        Ok(())
    }

    /// The hub said the principal's access changed: an agent reads theirs again; a visitor
    /// was blocked (or their contact is gone), and the socket ends.
    async fn access_changed(&mut self) -> Flow {
        let Some(Caller::Visitor(v)) = &self.caller else {
            return self.still_valid().await;
        };
        match self.state.store.contact(v.workspace_id, v.contact_id).await {
            Ok(Some(contact)) if !contact.blocked => {
                // Nothing of the visitor's own topic is scoped by inbox.
                self.access.set(None);
                Flow::Continue
            }
            Ok(_) => Flow::Close(close::SESSION_REVOKED, "session ended"),
            Err(e) => {
                tracing::debug!("could not re-read a visitor's contact: {e:?}");
                Flow::Close(close::SERVICE_RESTART, "try again")
            }
        }
    }

    /// Reads the principal again: an agent's session may have been revoked (sign-out,
    /// password change, deactivation) and their role or inboxes changed. Runs every
    /// heartbeat, and at once when the hub says the agent's access changed.
    async fn still_valid(&mut self) -> Flow {
        let now = livedesk_core::now_ms();
        match self.caller.clone() {
            Some(Caller::Agent { token_hash, .. }) => {
                let session = match self.state.store.session(&token_hash, now).await {
                    Ok(Some(session)) => session,
                    Ok(None) => return Flow::Close(close::SESSION_REVOKED, "session ended"),
                    Err(e) => {
                        tracing::debug!("could not re-read a socket's session: {e:?}");
                        return Flow::Continue;
                    }
                };
                let caller = Caller::Agent {
                    agent: session.agent,
                    token_hash,
                };
                if let Err(e) = self.refresh_scope(&caller).await {
                    tracing::debug!("could not refresh a socket's inboxes: {e:?}");
                }
                self.caller = Some(caller);
                Flow::Continue
            }
            // Visitor tokens are not revoked, but they do expire.
            Some(Caller::Visitor(v)) if v.expires_at <= now => {
                Flow::Close(close::UNAUTHORIZED, "visitor token expired")
            }
            _ => Flow::Continue,
        }
    }

    /// One token of the sender's message budget (sends and page views), shared by all their
    /// sockets and REST.
    fn take_token(&mut self) -> Result<(), ApiError> {
        let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
        self.state
            .message_limiter
            .check(&caller.actor_id())
            .map_err(|wait| ApiError::rate_limited(wait.as_millis() as u64))
    }

    async fn conversation(&mut self, id: Uuid) -> Result<Conversation, ApiError> {
        if let Some(c) = self.conversations.get(&id) {
            return Ok(c.clone());
        }
        let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
        let conversation = chat::conversation_for(&self.state, caller, id).await?;
        if self.conversations.len() >= 1000 {
            self.conversations.clear();
        }
        self.conversations.insert(id, conversation.clone());
        Ok(conversation)
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

    async fn handle(&mut self, frame: ClientFrame) -> Result<(), ApiError> {
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
                let ack =
                    chat::send_message(&self.state, caller, &conversation, outgoing, "ws").await?;
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
                if self
                    .chatter
                    .take(CHATTER_RATE, self.state.clock.now())
                    .is_err()
                {
                    return Ok(());
                }
                let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
                chat::receipt(&self.state, caller, &conversation, seq, status).await
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
                chat::page_view(&self.state, caller, url, title, referrer, timezone).await
            }
            ClientFrame::Typing {
                conversation_id,
                on,
                draft,
                ..
            } => {
                let conversation = self.conversation(conversation_id).await?;
                if self
                    .chatter
                    .take(CHATTER_RATE, self.state.clock.now())
                    .is_err()
                {
                    return Ok(());
                }
                let caller = self.caller.as_ref().ok_or_else(ApiError::unauthorized)?;
                // Only a visitor's draft is shown (to agents); it is clipped, never stored.
                let draft = match caller {
                    Caller::Visitor(_) if on => {
                        draft.map(|d| d.chars().take(MAX_DRAFT_CHARS).collect())
                    }
                    _ => None,
                };
                events::typing(
                    &self.state,
                    &conversation,
                    &chat::author_of(caller),
                    on,
                    draft,
                );
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

    /// Sends everything after the cursor (up to the replay limit), then `resumed`.
    ///
    /// `resumed.last_seq` is exact: the conversation's head is read *before* its messages,
    /// so every seq up to it is in what was read (a conversation's seqs commit in order), and
    /// the writer has written all of them (or had before) when it writes `resumed`. What
    /// commits after the read arrives live, above it; the socket subscribed before the read.
    async fn replay(&mut self, id: Option<String>, cursor: Cursor) -> Result<(), ApiError> {
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
            &self.state,
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
            let (next, m) =
                chat::messages(&self.state, caller, &conversation, Some(after), None, 500).await?;
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

/// Decodes a client frame, telling apart bad JSON, unknown types and bad fields.
fn parse(text: &str) -> Result<ClientFrame, (Option<String>, ApiError)> {
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
fn read_error(e: axum::Error) -> Flow {
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
