//! A socket's write half: one task that owns the sink and writes replies, replays, live
//! events, pings and the close frame, in that order of priority.
//!
//! Every write is bounded. A peer that stops reading fills its receive window and then the
//! kernel's send queue; a write then never completes. So each write races the write timeout,
//! the "slow" signal (this socket's event queue overflowed) and shutdown: whichever comes
//! first ends the socket, with a close frame if one can still go out within a short grace.
//! When the peer closes first, the writer ends by flushing the close reply the WebSocket
//! library queued (RFC 6455 §5.5.1), so the peer sees a clean close rather than a dropped
//! connection.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes};
use futures_util::{Sink, SinkExt as _, StreamExt as _};
use livedesk_protocol::close;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::seen::Seen;
use crate::hub::{Access, Shared};
use crate::metrics::metrics;

/// What the reader hands the writer. Its queue is a `futures` channel, which allocates per
/// queued item: a tokio channel allocates 32 slots up front (32 of this 64-byte enum were
/// 2 KiB of every idle socket) beside a 512-byte cache-padded state; replies are one per
/// frame the client sends, so the allocation per item costs nothing that shows, and the
/// hot path, the live events, keeps tokio's channel.
pub(super) enum Out {
    Frame(Utf8Bytes),
    /// A replayed message: written unless this socket already wrote its seq.
    Replay {
        conversation_id: Uuid,
        seq: i64,
        frame: Utf8Bytes,
    },
    /// The `resumed` that ends a replay; with `delivered`, everything of the conversation up
    /// to `last_seq` has now been written, and no live event at or below it goes out again.
    Resumed {
        conversation_id: Uuid,
        delivered: Option<i64>,
        frame: Utf8Bytes,
    },
    /// The `hello` replay is written: live events may flow.
    Live,
    Close(u16, &'static str),
}

/// Live events for the writer, and which inboxes' events it may write.
pub(super) struct Live {
    pub events: mpsc::Receiver<Shared>,
    pub access: Arc<Access>,
}

/// What ends the writer besides its queues: the socket's "slow" signal, server shutdown,
/// and how long one write may take.
pub(super) struct Bounds {
    pub slow: CancellationToken,
    pub shutdown: CancellationToken,
    pub write_timeout: Duration,
    pub heartbeat: Duration,
}

/// Frames written from one wake-up at most, so a long backlog still yields to the runtime.
/// Each frame is written out as it is taken (`send`, not `feed`). Buffering a batch and
/// flushing once measured no better on the fan-out, and while it was in, the browser tests
/// failed now and then on a visitor frame that did not arrive in time (never reproduced
/// outside a full run); it stays off until that is understood.
const WRITE_BATCH: usize = 64;

/// How long a close frame may take once the socket is being closed for a fault (slow,
/// timed out, shutting down): the peer is likely not reading, and the socket goes anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What the writer took from its queues.
enum Next {
    Reply(Option<Out>),
    Event(Option<Shared>),
}

/// What writing one item did.
enum Wrote {
    Frame,
    Nothing,
}

/// Why the writer stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The reader is done (the peer closed, or the reader asked to close and that close
    /// frame went out).
    Ended,
    /// The event queue overflowed.
    Slow,
    /// A write did not complete in time.
    TimedOut,
    Shutdown,
    /// The connection failed.
    Broken,
}

struct Writer<S> {
    sink: S,
    live: bool,
    seen: Seen,
    access: Arc<Access>,
    bounds: Bounds,
}

impl<S: Sink<WsMessage, Error = axum::Error> + Unpin> Writer<S> {
    /// One message out, bounded by the write timeout and cut short by "slow" or shutdown.
    async fn io(&mut self, message: WsMessage) -> Result<(), Stop> {
        let send = tokio::time::timeout(self.bounds.write_timeout, self.sink.send(message));
        tokio::select! {
            biased;
            _ = self.bounds.shutdown.cancelled() => Err(Stop::Shutdown),
            _ = self.bounds.slow.cancelled() => Err(Stop::Slow),
            sent = send => match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Stop::Broken),
                Err(_) => Err(Stop::TimedOut),
            },
        }
    }

    async fn write(&mut self, frame: Utf8Bytes) -> Result<Wrote, Stop> {
        self.io(WsMessage::Text(frame)).await?;
        Ok(Wrote::Frame)
    }

    /// Writes one item out.
    async fn put(&mut self, next: Next) -> Result<Wrote, Stop> {
        match next {
            Next::Reply(None) | Next::Event(None) => Err(Stop::Ended),
            Next::Reply(Some(out)) => match out {
                Out::Frame(frame) => self.write(frame).await,
                Out::Replay {
                    conversation_id,
                    seq,
                    frame,
                } => {
                    if !self.seen.first_time(conversation_id, seq) {
                        return Ok(Wrote::Nothing);
                    }
                    self.write(frame).await
                }
                Out::Resumed {
                    conversation_id,
                    delivered,
                    frame,
                } => {
                    if let Some(seq) = delivered {
                        self.seen.delivered_through(conversation_id, seq);
                    }
                    self.write(frame).await
                }
                Out::Live => {
                    self.live = true;
                    Ok(Wrote::Nothing)
                }
                Out::Close(code, why) => {
                    self.io(close_frame(code, why)).await?;
                    Err(Stop::Ended)
                }
            },
            Next::Event(Some(event)) => {
                if event
                    .inbox_id
                    .is_some_and(|inbox| !self.access.allows(inbox))
                {
                    return Ok(Wrote::Nothing);
                }
                if let Some((conversation, seq)) = event.message_seq {
                    if !self.seen.first_time(conversation, seq) {
                        return Ok(Wrote::Nothing);
                    }
                }
                let Ok(text) = Utf8Bytes::try_from(event.payload.clone()) else {
                    return Ok(Wrote::Nothing);
                };
                let wrote = self.write(text).await;
                let m = metrics();
                m.deliveries.inc();
                m.delivery_latency
                    .observe(event.committed_at.elapsed().as_secs_f64());
                wrote
            }
        }
    }

    /// Ends the socket as `stop` says, never waiting on the peer for long.
    async fn finish(mut self, stop: Stop) {
        let (code, why) = match stop {
            Stop::Broken => return,
            Stop::Ended => {
                // Flushes a close reply the library queued when the peer's close arrived
                // (after our own close frame, a no-op).
                let _ = tokio::time::timeout(self.bounds.write_timeout, self.sink.close()).await;
                return;
            }
            Stop::Shutdown => (close::SERVICE_RESTART, "server restarting"),
            Stop::Slow | Stop::TimedOut => {
                metrics().slow_disconnects.inc();
                (close::SLOW_CONSUMER, "too slow; resume from your cursors")
            }
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            self.sink.send(close_frame(code, why)).await?;
            self.sink.close().await
        })
        .await;
    }
}

fn close_frame(code: u16, reason: &'static str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// Writes until the socket ends. Cancels `done` when it returns, whatever the reason.
/// Generic over the sink, so that it runs on channels in tests.
pub(super) async fn write_loop<S: Sink<WsMessage, Error = axum::Error> + Unpin>(
    sink: S,
    mut replies: futures_channel::mpsc::Receiver<Out>,
    Live { mut events, access }: Live,
    bounds: Bounds,
    done: CancellationToken,
) {
    let _done = done.drop_guard();
    let (slow, shutdown) = (bounds.slow.clone(), bounds.shutdown.clone());
    let mut ping = tokio::time::interval(bounds.heartbeat);
    ping.tick().await;
    let mut w = Writer {
        sink,
        live: false,
        seen: Seen::default(),
        access,
        bounds,
    };
    let stop = 'socket: loop {
        let mut next = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break Stop::Shutdown,
            _ = slow.cancelled() => break Stop::Slow,
            out = replies.next() => Next::Reply(out),
            event = events.recv(), if w.live => Next::Event(event),
            _ = ping.tick() => {
                if let Err(stop) = w.io(WsMessage::Ping(Default::default())).await {
                    break stop;
                }
                continue;
            }
        };
        // Whatever else is already queued goes out with it, replies first.
        let mut frames = 0;
        loop {
            match w.put(next).await {
                Err(stop) => break 'socket stop,
                Ok(Wrote::Frame) => frames += 1,
                Ok(Wrote::Nothing) => {}
            }
            if frames >= WRITE_BATCH {
                break;
            }
            next = match replies.try_recv() {
                Ok(out) => Next::Reply(Some(out)),
                Err(futures_channel::mpsc::TryRecvError::Closed) => Next::Reply(None),
                Err(_) if w.live => match events.try_recv() {
                    Ok(event) => Next::Event(Some(event)),
                    Err(_) => break,
                },
                Err(_) => break,
            };
        }
    };
    w.finish(stop).await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashSet;

    use bytes::Bytes;
    use futures_util::SinkExt as _;
    use livedesk_core::fanout::{Event, EventKind, Topic};

    use super::*;

    /// A writer on a channel "peer" that takes `room` messages before it stops reading.
    struct Harness {
        replies: futures_channel::mpsc::Sender<Out>,
        events: mpsc::Sender<Shared>,
        peer: futures_channel::mpsc::Receiver<WsMessage>,
        slow: CancellationToken,
        done: CancellationToken,
        access: Arc<Access>,
    }

    fn start(room: usize, write_timeout: Duration) -> Harness {
        let (peer_tx, peer) = futures_channel::mpsc::channel::<WsMessage>(room);
        let sink = peer_tx.sink_map_err(axum::Error::new);
        let (replies, replies_rx) = futures_channel::mpsc::channel(64);
        let (events, events_rx) = mpsc::channel(64);
        let (slow, done, access) = (
            CancellationToken::new(),
            CancellationToken::new(),
            Arc::new(Access::default()),
        );
        let bounds = Bounds {
            slow: slow.clone(),
            shutdown: CancellationToken::new(),
            write_timeout,
            heartbeat: Duration::from_secs(3600),
        };
        let live = Live {
            events: events_rx,
            access: Arc::clone(&access),
        };
        tokio::spawn(write_loop(sink, replies_rx, live, bounds, done.clone()));
        Harness {
            replies,
            events,
            peer,
            slow,
            done,
            access,
        }
    }

    fn text(s: &str) -> Utf8Bytes {
        Utf8Bytes::from(s.to_owned())
    }

    fn message(conversation: Uuid, seq: i64, inbox: Option<Uuid>) -> Shared {
        Arc::new(Event {
            topic: Topic::Agents {
                workspace_id: Uuid::nil(),
            },
            payload: Bytes::from(format!("m{seq}")),
            message_seq: Some((conversation, seq)),
            committed_at: std::time::Instant::now(),
            inbox_id: inbox,
            kind: EventKind::Frame,
        })
    }

    async fn next_text(h: &mut Harness) -> String {
        match h.peer.next().await {
            Some(WsMessage::Text(t)) => t.to_string(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn live_events_wait_for_the_replay_and_nothing_at_or_below_its_floor_goes_out_again() {
        let mut h = start(64, Duration::from_secs(10));
        let c = Uuid::now_v7();
        // Published while the replay is read: queued, not written.
        for seq in [3, 4, 5] {
            h.events.send(message(c, seq, None)).await.unwrap();
        }
        h.replies.send(Out::Frame(text("welcome"))).await.unwrap();
        for seq in [1, 2, 3] {
            let frame = text(&format!("r{seq}"));
            let out = Out::Replay {
                conversation_id: c,
                seq,
                frame,
            };
            h.replies.send(out).await.unwrap();
        }
        let resumed = Out::Resumed {
            conversation_id: c,
            delivered: Some(4),
            frame: text("resumed"),
        };
        h.replies.send(resumed).await.unwrap();
        h.replies.send(Out::Live).await.unwrap();
        let mut got = Vec::new();
        for _ in 0..6 {
            got.push(next_text(&mut h).await);
        }
        // 3 was replayed; 4 is at the floor `resumed` announced (the head when the replay was
        // read); only 5 is new.
        assert_eq!(got, ["welcome", "r1", "r2", "r3", "resumed", "m5"]);
    }

    #[tokio::test]
    async fn events_of_inboxes_out_of_scope_are_skipped_and_a_revoked_scope_carries_none() {
        let mut h = start(64, Duration::from_secs(10));
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        h.access.set(Some(Arc::new(HashSet::from([mine]))));
        h.replies.send(Out::Live).await.unwrap();
        let c = Uuid::now_v7();
        h.events.send(message(c, 1, Some(other))).await.unwrap();
        h.events.send(message(c, 2, Some(mine))).await.unwrap();
        assert_eq!(next_text(&mut h).await, "m2");
        h.access.set(Some(Arc::default()));
        h.events.send(message(c, 3, Some(mine))).await.unwrap();
        h.events.send(message(c, 4, None)).await.unwrap();
        assert_eq!(next_text(&mut h).await, "m4", "unscoped events still flow");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_never_takes_ends_the_socket_after_the_write_timeout() {
        let mut h = start(1, Duration::from_secs(10));
        h.replies.send(Out::Live).await.unwrap();
        let c = Uuid::now_v7();
        for seq in 1..=5 {
            h.events.send(message(c, seq, None)).await.unwrap();
        }
        // The peer takes nothing: the channel's one slot and its sender's fill, then writes
        // wait. Paused time runs ahead to the write timeout.
        // Ten seconds for the write, then at most one for the close frame.
        tokio::time::timeout(Duration::from_secs(12), h.done.cancelled())
            .await
            .expect("the writer ended within the write timeout");
        drop(h.peer);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_event_queue_cuts_a_stuck_write_short_at_once() {
        let mut h = start(1, Duration::from_secs(3600));
        h.replies.send(Out::Live).await.unwrap();
        let c = Uuid::now_v7();
        for seq in 1..=5 {
            h.events.send(message(c, seq, None)).await.unwrap();
        }
        tokio::task::yield_now().await;
        h.slow.cancel();
        tokio::time::timeout(Duration::from_secs(2), h.done.cancelled())
            .await
            .expect("the writer ended at once, not at its write timeout");
    }

    #[tokio::test]
    async fn a_close_from_the_reader_goes_out_after_what_was_queued_before_it() {
        let mut h = start(64, Duration::from_secs(10));
        h.replies.send(Out::Frame(text("error"))).await.unwrap();
        h.replies.send(Out::Close(4400, "bad")).await.unwrap();
        assert_eq!(next_text(&mut h).await, "error");
        match h.peer.next().await {
            Some(WsMessage::Close(Some(f))) => {
                assert_eq!((f.code, f.reason.as_str()), (4400, "bad"))
            }
            other => panic!("expected the close frame, got {other:?}"),
        }
        h.done.cancelled().await;
        assert!(h.peer.next().await.is_none(), "the sink was closed");
    }
}
