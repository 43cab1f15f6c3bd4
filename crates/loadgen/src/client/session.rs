//! One client task: connect, greet, catch up, then serve commands and frames until told to
//! stop; on a dropped socket, reconnect and resume from the verifier's cursor and send again
//! whatever was not acknowledged (same `client_msg_id`, so the server stores it once).

use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use livedesk_protocol::frames::Cursor;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

mod frames;

use super::conn::{self, Socket};
use super::wire::{self, Incoming};
use super::{Command, Counters, Event, Member, Outcome, Protocol, Shared};
use crate::stamp::now_ns;
use crate::verify::StreamId;

/// Messages on a conversation this socket does not follow land here (and count as foreign).
const FOREIGN: StreamId = u64::MAX;
const CATCH_UP: Duration = Duration::from_secs(30);

/// How a connected stretch ended.
enum End {
    Stop,
    Dropped,
    Lost(String),
}

type Step = Result<Option<End>, String>;

pub async fn run(
    member: Member,
    shared: Arc<Shared>,
    mut commands: UnboundedReceiver<Command>,
    events: UnboundedSender<Event>,
) -> Outcome {
    let mut client = Client {
        out: Outcome {
            index: member.index,
            ..Outcome::default()
        },
        m: member,
        shared,
        events,
        pending: BTreeMap::new(),
        next_n: 0,
        retry: BTreeSet::new(),
        retry_at: None,
        pump: None,
        dropped_at: None,
        ready: false,
    };
    for &(stream, base) in &client.m.expects {
        client.out.verifier.expect(stream, base);
    }
    client.main(&mut commands).await;
    client.out.unacked = client.pending.len() as u64;
    client.out
}

struct Client {
    m: Member,
    shared: Arc<Shared>,
    events: UnboundedSender<Event>,
    out: Outcome,
    /// Unacknowledged sends: message number → stamp time.
    pending: BTreeMap<u64, u64>,
    next_n: u64,
    /// Sends the server refused for now (rate limited, unavailable), sent again at `retry_at`.
    retry: BTreeSet<u64>,
    retry_at: Option<Instant>,
    pump: Option<usize>,
    dropped_at: Option<u64>,
    ready: bool,
}

impl Client {
    async fn main(&mut self, commands: &mut UnboundedReceiver<Command>) {
        let mut began = now_ns();
        let mut attempt = 0u32;
        loop {
            let shared = Arc::clone(&self.shared);
            let permit = shared.connecting.acquire().await.ok();
            if !self.ready {
                // The first connect is timed from the dial, not from the wait for a turn.
                began = now_ns();
            }
            let connected = match conn::dial(&shared.target, self.m.index).await {
                Ok(mut ws) => match self.greet(&mut ws).await {
                    Ok(()) => Ok(ws),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.to_string()),
            };
            drop(permit);
            let mut ws = match connected {
                Ok(ws) => ws,
                Err(reason) => {
                    attempt += 1;
                    if !self.shared.reconnect || (!self.ready && attempt >= 3) {
                        self.fail(reason);
                        return;
                    }
                    if self.wait_offline(commands, backoff(attempt)).await {
                        return;
                    }
                    continue;
                }
            };
            attempt = 0;
            let took = now_ns().saturating_sub(began);
            let index = self.m.index;
            if !self.ready {
                self.ready = true;
                Counters::bump(&self.shared.counters.ready);
                let _ = self.events.send(Event::Ready {
                    index,
                    took_ns: took,
                });
            } else if let Some(at) = self.dropped_at.take() {
                let took_ns = now_ns().saturating_sub(at);
                let _ = self.events.send(Event::Resumed { index, took_ns });
            }
            let end = match self.resend(&mut ws).await {
                Ok(()) => self.serve(&mut ws, commands).await,
                Err(e) => End::Lost(e),
            };
            match end {
                End::Stop => {
                    let _ = tokio::time::timeout(Duration::from_millis(500), ws.close(None)).await;
                    return;
                }
                End::Dropped => {
                    let _ = ws.get_ref().set_zero_linger();
                    drop(ws);
                    began = now_ns();
                    self.dropped_at = Some(began);
                }
                End::Lost(reason) => {
                    self.out.reconnects += 1;
                    Counters::bump(&self.shared.counters.reconnects);
                    if !self.shared.reconnect {
                        self.fail(reason);
                        return;
                    }
                    if self.wait_offline(commands, backoff(1)).await {
                        return;
                    }
                    began = now_ns();
                }
            }
        }
    }

    fn fail(&mut self, reason: String) {
        if !self.ready {
            let _ = self.events.send(Event::Failed {
                index: self.m.index,
                reason: reason.clone(),
            });
        }
        self.out.failed = Some(reason);
    }

    /// Waits out a backoff while offline; sends asked for meanwhile join the outbox.
    /// Returns true when told to stop.
    async fn wait_offline(
        &mut self,
        commands: &mut UnboundedReceiver<Command>,
        wait: Duration,
    ) -> bool {
        let until = Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return false,
                cmd = commands.recv() => match cmd {
                    None | Some(Command::Stop) => return true,
                    Some(Command::Send { sent_ns }) => {
                        self.enqueue(sent_ns);
                    }
                    Some(Command::Pump { window }) => self.pump = Some(window),
                    Some(Command::Quiet) => self.pump = None,
                    Some(Command::Drop) => {}
                },
            }
        }
    }

    /// Hello (or join), then frames until caught up: `resumed` for its conversation, a bare
    /// `welcome` when it has none, or `joined` on the floor.
    async fn greet(&mut self, ws: &mut Socket) -> Result<(), String> {
        let first = match self.shared.target.protocol {
            Protocol::Raw => wire::raw_join(&self.m.room_name),
            Protocol::Livedesk => {
                let cursors: Vec<Cursor> = self
                    .m
                    .conversation
                    .map(|conversation_id| Cursor {
                        conversation_id,
                        last_seq: self.out.verifier.cursor(self.m.own_stream).unwrap_or(0),
                    })
                    .into_iter()
                    .collect();
                wire::hello(self.m.token.as_deref().unwrap_or(""), &cursors)
            }
        };
        ws.send(Message::text(first))
            .await
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + CATCH_UP;
        loop {
            let msg = tokio::time::timeout_at(deadline, ws.next())
                .await
                .map_err(|_| "no welcome in time".to_owned())?;
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(f))) => {
                    return Err(format!("closed during hello: {f:?}"));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("closed during hello".into()),
            };
            match self.decode(&text) {
                Some(Incoming::Joined) => return Ok(()),
                Some(Incoming::Welcome) if self.m.conversation.is_none() => return Ok(()),
                Some(Incoming::Resumed { conversation_id })
                    if Some(conversation_id) == self.m.conversation =>
                {
                    return Ok(())
                }
                Some(Incoming::Error { code, .. }) if !self.ready || code == "unauthorized" => {
                    return Err(format!("refused: {code}"));
                }
                Some(frame) => {
                    self.on_frame(frame);
                }
                None => {}
            }
        }
    }

    fn decode(&self, text: &str) -> Option<Incoming> {
        match self.shared.target.protocol {
            Protocol::Livedesk => wire::decode_livedesk(self.m.role, text),
            Protocol::Raw => wire::decode_raw(text),
        }
    }

    /// Sends again whatever is unacknowledged, oldest first.
    async fn resend(&mut self, ws: &mut Socket) -> Result<(), String> {
        self.retry.clear();
        let outbox: Vec<(u64, u64)> = self.pending.iter().map(|(&n, &t)| (n, t)).collect();
        for (n, sent_ns) in outbox {
            let frame = self.frame(n, sent_ns);
            ws.feed(Message::text(frame))
                .await
                .map_err(|e| e.to_string())?;
        }
        self.fill_pump(ws).await?;
        ws.flush().await.map_err(|e| e.to_string())
    }

    /// Sends again the messages the server asked to retry later.
    async fn resend_retries(&mut self, ws: &mut Socket) -> Result<(), String> {
        let retry = std::mem::take(&mut self.retry);
        for n in retry {
            if let Some(&sent_ns) = self.pending.get(&n) {
                let frame = self.frame(n, sent_ns);
                ws.feed(Message::text(frame))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        ws.flush().await.map_err(|e| e.to_string())
    }

    async fn serve(&mut self, ws: &mut Socket, commands: &mut UnboundedReceiver<Command>) -> End {
        loop {
            let retry = self.retry_at;
            let step: Step = tokio::select! {
                biased;
                cmd = commands.recv() => self.on_commands(ws, cmd, commands).await,
                _ = sleep_until_some(retry) => {
                    self.retry_at = None;
                    self.resend_retries(ws).await.map(|()| None)
                }
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(t))) => {
                        let acked = self.decode(&t).map(|f| self.on_frame(f)).unwrap_or(false);
                        if acked && self.pump.is_some() {
                            match self.fill_pump(ws).await {
                                Ok(()) => ws.flush().await.map(|()| None).map_err(|e| e.to_string()),
                                Err(e) => Err(e),
                            }
                        } else {
                            Ok(None)
                        }
                    }
                    Some(Ok(Message::Close(f))) => Ok(Some(End::Lost(format!("closed by server: {f:?}")))),
                    Some(Ok(_)) => Ok(None),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Ok(Some(End::Lost("connection ended".into()))),
                },
            };
            match step {
                Ok(None) => {}
                Ok(Some(end)) => return end,
                Err(e) => return End::Lost(e),
            }
        }
    }

    /// Handles `first` and every command already queued behind it, then flushes once.
    async fn on_commands(
        &mut self,
        ws: &mut Socket,
        first: Option<Command>,
        commands: &mut UnboundedReceiver<Command>,
    ) -> Step {
        let mut next = first;
        loop {
            match next {
                None | Some(Command::Stop) => return Ok(Some(End::Stop)),
                Some(Command::Drop) => return Ok(Some(End::Dropped)),
                Some(Command::Send { sent_ns }) => {
                    let n = self.enqueue(sent_ns);
                    let frame = self.frame(n, sent_ns);
                    ws.feed(Message::text(frame))
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Some(Command::Pump { window }) => {
                    self.pump = Some(window);
                    self.fill_pump(ws).await?;
                }
                Some(Command::Quiet) => self.pump = None,
            }
            match commands.try_recv() {
                Ok(cmd) => next = Some(cmd),
                Err(_) => break,
            }
        }
        ws.flush().await.map_err(|e| e.to_string())?;
        Ok(None)
    }

    async fn fill_pump(&mut self, ws: &mut Socket) -> Result<(), String> {
        let Some(window) = self.pump else {
            return Ok(());
        };
        while self.pending.len() < window {
            let sent_ns = now_ns();
            let n = self.enqueue(sent_ns);
            let frame = self.frame(n, sent_ns);
            ws.feed(Message::text(frame))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((50u64 << attempt.min(5)).min(1000))
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
