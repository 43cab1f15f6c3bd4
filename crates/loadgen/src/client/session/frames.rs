//! What a client does with frames: numbering and writing its sends, then verifying,
//! counting and acknowledging what comes back.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::{Client, FOREIGN};
use crate::client::wire::{self, Incoming};
use crate::client::{Counters, Protocol};
use crate::stamp::{now_ns, Stamp};
use crate::verify::Arrival;

impl Client {
    /// Numbers a new message and puts it in the outbox.
    pub(super) fn enqueue(&mut self, sent_ns: u64) -> u64 {
        self.next_n += 1;
        self.pending.insert(self.next_n, sent_ns);
        self.out.sent += 1;
        Counters::bump(&self.shared.counters.sent);
        self.next_n
    }

    pub(super) fn frame(&self, n: u64, sent_ns: u64) -> String {
        let body = Stamp {
            sent_ns,
            sender: self.m.index,
            n,
        }
        .encode(self.shared.body_bytes);
        match (self.shared.target.protocol, self.m.conversation) {
            (Protocol::Livedesk, Some(c)) => {
                let client_msg_id = format!("{}-{}-{n}", self.shared.run_tag, self.m.index);
                wire::send(&n.to_string(), c, &client_msg_id, &body)
            }
            _ => wire::raw_msg(&self.m.room_name, &body),
        }
    }

    /// Verifies and counts one frame; true when it acknowledged one of ours.
    pub(super) fn on_frame(&mut self, frame: Incoming) -> bool {
        let now = now_ns();
        let c = &self.shared.counters;
        match frame {
            Incoming::Message {
                conversation_id,
                seq,
                body,
            } => {
                let stamp = Stamp::parse(&body);
                let (stream, seq) = match (conversation_id, stamp) {
                    (Some(conv), _) if Some(conv) == self.m.conversation => {
                        (self.m.own_stream, seq)
                    }
                    (Some(_), _) => (FOREIGN, seq),
                    (None, Some(s)) => (u64::from(s.sender), i64::try_from(s.n).unwrap_or(0)),
                    (None, None) => (FOREIGN, 0),
                };
                let arrival = self.out.verifier.observe(stream, seq);
                match arrival {
                    Arrival::Duplicate => Counters::bump(&c.duplicates),
                    Arrival::Early => Counters::bump(&c.early),
                    Arrival::InOrder | Arrival::Foreign => {}
                }
                let Some(stamp) = stamp else { return false };
                if stamp.sender == self.m.index {
                    // Our own message back: on the floor, that is the acknowledgement.
                    if conversation_id.is_none() {
                        return self.acknowledge(stamp.n, seq, now);
                    }
                    return false;
                }
                if arrival != Arrival::Duplicate {
                    Counters::bump(&c.delivered);
                    let latency = now.saturating_sub(stamp.sent_ns);
                    c.max_latency_ns.fetch_max(latency, Ordering::Relaxed);
                    if self.shared.window.contains(now) {
                        Counters::bump(&c.window_deliveries);
                    }
                    if self.shared.window.contains(stamp.sent_ns) {
                        self.out.latencies.push(latency);
                    }
                }
                false
            }
            Incoming::Ack { client_msg_id, seq } => {
                let n = client_msg_id
                    .rsplit('-')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                self.acknowledge(n, seq, now)
            }
            Incoming::Error {
                id,
                code,
                retry_after_ms,
            } => {
                *self.out.errors.entry(code.clone()).or_default() += 1;
                Counters::bump(&c.errors);
                let n = id.and_then(|i| i.parse::<u64>().ok());
                if let Some(n) = n.filter(|n| self.pending.contains_key(n)) {
                    if matches!(code.as_str(), "rate_limited" | "unavailable") {
                        let wait = Duration::from_millis(retry_after_ms.unwrap_or(100).max(1));
                        self.retry.insert(n);
                        self.retry_at = Some(Instant::now() + wait);
                    } else {
                        self.pending.remove(&n);
                    }
                }
                false
            }
            Incoming::Welcome | Incoming::Resumed { .. } | Incoming::Joined | Incoming::Other => {
                false
            }
        }
    }

    fn acknowledge(&mut self, n: u64, seq: i64, now: u64) -> bool {
        let c = &self.shared.counters;
        self.out.acked.add(self.m.own_stream, seq);
        let Some(sent_ns) = self.pending.remove(&n) else {
            return false;
        };
        Counters::bump(&c.acked);
        if self.shared.window.contains(now) {
            Counters::bump(&c.window_acks);
        }
        if self.shared.window.contains(sent_ns) {
            self.out.ack_latencies.push(now.saturating_sub(sent_ns));
        }
        true
    }
}
