//! The running clients of a scenario: start them, wait until they are connected, command
//! them, stop them and collect what they saw.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::client::{self, Command, Event, Handle, Member, Outcome, Shared};
use crate::report::Connect;
use crate::stats::{round, Latency};

pub struct Fleet {
    pub shared: Arc<Shared>,
    handles: Vec<Handle>,
    pub events: mpsc::UnboundedReceiver<Event>,
}

impl Fleet {
    pub fn start(members: Vec<Member>, shared: Arc<Shared>) -> Fleet {
        let (tx, events) = mpsc::unbounded_channel();
        let handles = members
            .into_iter()
            .map(|m| client::spawn(m, Arc::clone(&shared), tx.clone()))
            .collect();
        Fleet {
            shared,
            handles,
            events,
        }
    }

    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Waits until every client is ready or failed (or `limit` passes).
    pub async fn wait_ready(&mut self, limit: Duration) -> Connect {
        let began = tokio::time::Instant::now();
        let mut took = Vec::with_capacity(self.handles.len());
        let mut failed = 0u64;
        let mut first_failure = None;
        let deadline = began + limit;
        while (took.len() as u64 + failed) < self.handles.len() as u64 {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(Event::Ready { took_ns, .. })) => took.push(took_ns),
                Ok(Some(Event::Failed { index, reason })) => {
                    failed += 1;
                    first_failure.get_or_insert(format!("client {index}: {reason}"));
                }
                Ok(Some(Event::Resumed { .. })) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let seconds = round(began.elapsed().as_secs_f64(), 3);
        let ready = took.len() as u64;
        let missing = self.handles.len() as u64 - ready - failed;
        let l = Latency::from_ns(took);
        Connect {
            clients: self.handles.len() as u64,
            ready,
            failed: failed + missing,
            seconds,
            p50_ms: l.p50_ms,
            p99_ms: l.p99_ms,
            max_ms: l.max_ms,
            first_failure,
        }
    }

    pub fn command(&self, index: u32, cmd: Command) {
        if let Some(h) = self.handles.get(index as usize) {
            let _ = h.commands.send(cmd);
        }
    }

    pub fn broadcast(&self, cmd: Command) {
        for h in &self.handles {
            let _ = h.commands.send(cmd);
        }
    }

    /// Stops every client and collects its outcome (a client stuck past 10 s is abandoned
    /// and reported as failed).
    pub async fn stop(self) -> Vec<Outcome> {
        self.broadcast(Command::Stop);
        let mut outcomes = Vec::with_capacity(self.handles.len());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        for (i, h) in self.handles.into_iter().enumerate() {
            let abort = h.task.abort_handle();
            match tokio::time::timeout_at(deadline, h.task).await {
                Ok(Ok(o)) => outcomes.push(o),
                Ok(Err(e)) => outcomes.push(Outcome {
                    index: i as u32,
                    failed: Some(format!("client task ended: {e}")),
                    ..Outcome::default()
                }),
                Err(_) => {
                    abort.abort();
                    outcomes.push(Outcome {
                        index: i as u32,
                        failed: Some("did not stop within 10 s".into()),
                        ..Outcome::default()
                    });
                }
            }
        }
        outcomes
    }
}
