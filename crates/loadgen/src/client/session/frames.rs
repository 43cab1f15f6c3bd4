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
                let client_msg_id = client_msg_id(self.shared.run_ms, sent_ns, self.m.index, n);
                wire::send(&n.to_string(), c, &client_msg_id.to_string(), &body)
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
                let n = number_of(&client_msg_id).unwrap_or(0);
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

/// A message's `client_msg_id`: a UUIDv7 of the time it was first sent, as the widget and the
/// console make theirs, so the server's duplicate index sees the id order real clients give
/// it. The same for every resend of message `n` of sender `index`, and new in every run. The
/// bits after the time hold the sender (24 bits, around the version and variant bits) and
/// `n` (the last 40 bits), which [`number_of`] reads back from the ack.
fn client_msg_id(run_ms: u64, sent_ns: u64, index: u32, n: u64) -> uuid::Uuid {
    let [_, i2, i1, i0] = index.to_be_bytes();
    let n = n.to_be_bytes();
    let tail = [0, i2, 0, i1, i0, n[3], n[4], n[5], n[6], n[7]];
    uuid::Builder::from_unix_timestamp_millis(run_ms + sent_ns / 1_000_000, &tail).into_uuid()
}

/// The message number inside a [`client_msg_id`].
fn number_of(client_msg_id: &str) -> Option<u64> {
    let id = uuid::Uuid::parse_str(client_msg_id).ok()?;
    Some((id.as_u128() as u64) & ((1 << 40) - 1))
}

#[cfg(test)]
mod tests {
    use super::{client_msg_id, number_of};

    #[test]
    fn client_msg_ids_are_v7_stable_per_message_distinct_per_sender_and_run_and_time_ordered() {
        let a = client_msg_id(1_700_000_000_000, 5_000_000, 3, 7);
        assert_eq!(a.get_version_num(), 7);
        assert_eq!(a, client_msg_id(1_700_000_000_000, 5_000_000, 3, 7));
        assert_ne!(a, client_msg_id(1_700_000_000_000, 5_000_000, 4, 7));
        assert_ne!(a, client_msg_id(1_700_000_000_000, 5_000_000, 3, 8));
        assert_ne!(a, client_msg_id(1_700_000_060_000, 5_000_000, 3, 7));
        // Later sends sort after earlier ones, as text too (the index compares the text).
        let later = client_msg_id(1_700_000_000_000, 9_000_000, 0, 0);
        assert!(later.to_string() > a.to_string());
        // Senders stay apart through the version and variant bits.
        for (i, j) in [(0, 1 << 14), (0, 1 << 15), (1 << 20, 0), (255, 256)] {
            assert_ne!(client_msg_id(0, 0, i, 1), client_msg_id(0, 0, j, 1));
        }
    }

    #[test]
    fn the_message_number_comes_back_from_the_id() {
        for (index, n) in [
            (0, 0),
            (3, 7),
            (16_383, 123_456_789),
            (50_000, (1 << 40) - 1),
        ] {
            let id = client_msg_id(1_700_000_000_000, 77_000_000, index, n).to_string();
            assert_eq!(number_of(&id), Some(n));
        }
        assert_eq!(number_of("not-a-uuid"), None);
    }
}
