//! Delivery verification: every receiver checks every stream it should hear, message by
//! message, then the run compares what each receiver holds with what the senders had
//! acknowledged.
//!
//! A stream is one sequence numbered 1, 2, 3, …: a Livedesk conversation (numbered by the
//! server's `seq`) or, on the floor, one sender's messages (numbered by the sender). Within a
//! stream each receiver must see `base + 1`, `base + 2`, … in order. A number ahead of the
//! next expected one opens a gap (loss unless it is filled later, e.g. by a replay); a number
//! already held is a duplicate.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

pub type StreamId = u64;

/// How one arrival fitted its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The next number expected (possibly closing earlier gaps).
    InOrder,
    /// Ahead of the next expected number: a gap is open behind it.
    Early,
    /// Already held.
    Duplicate,
    /// A stream this receiver was not told to expect.
    Foreign,
}

/// One receiver's view of one stream.
#[derive(Debug, Clone)]
pub struct StreamCheck {
    base: i64,
    next: i64,
    held: BTreeSet<i64>,
    duplicates: u64,
    early: u64,
}

impl StreamCheck {
    /// A stream whose numbers up to `base` happened before the run.
    pub fn after(base: i64) -> Self {
        Self {
            base,
            next: base + 1,
            held: BTreeSet::new(),
            duplicates: 0,
            early: 0,
        }
    }

    pub fn observe(&mut self, seq: i64) -> Arrival {
        if seq < self.next || self.held.contains(&seq) {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        if seq > self.next {
            self.early += 1;
            self.held.insert(seq);
            return Arrival::Early;
        }
        self.next += 1;
        while self.held.remove(&self.next) {
            self.next += 1;
        }
        Arrival::InOrder
    }

    /// Everything up to here has arrived: the cursor to resume from.
    pub fn cursor(&self) -> i64 {
        self.next - 1
    }

    pub fn holds(&self, seq: i64) -> bool {
        (seq > self.base && seq < self.next) || self.held.contains(&seq)
    }

    /// Distinct numbers received in this run.
    pub fn distinct(&self) -> u64 {
        u64::try_from(self.next - 1 - self.base).unwrap_or(0) + self.held.len() as u64
    }
}

/// Every stream one receiver checks.
#[derive(Debug, Default, Clone)]
pub struct Verifier {
    streams: HashMap<StreamId, StreamCheck>,
    foreign: u64,
}

impl Verifier {
    pub fn expect(&mut self, stream: StreamId, base: i64) {
        self.streams
            .entry(stream)
            .or_insert_with(|| StreamCheck::after(base));
    }

    pub fn observe(&mut self, stream: StreamId, seq: i64) -> Arrival {
        match self.streams.get_mut(&stream) {
            Some(check) => check.observe(seq),
            None => {
                self.foreign += 1;
                Arrival::Foreign
            }
        }
    }

    pub fn cursor(&self, stream: StreamId) -> Option<i64> {
        self.streams.get(&stream).map(StreamCheck::cursor)
    }
}

/// What the senders had acknowledged, per stream (Livedesk: `ack` after commit; floor: the
/// sender's own copy coming back).
#[derive(Debug, Default, Clone)]
pub struct Acked {
    streams: HashMap<StreamId, Vec<i64>>,
}

impl Acked {
    pub fn add(&mut self, stream: StreamId, seq: i64) {
        self.streams.entry(stream).or_default().push(seq);
    }

    pub fn merge(&mut self, other: Acked) {
        for (stream, seqs) in other.streams {
            self.streams.entry(stream).or_default().extend(seqs);
        }
    }

    /// Sorts and drops repeats (a retried send is acknowledged twice with one seq).
    pub fn finish(&mut self) {
        for seqs in self.streams.values_mut() {
            seqs.sort_unstable();
            seqs.dedup();
        }
    }

    pub fn get(&self, stream: StreamId) -> &[i64] {
        self.streams.get(&stream).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn count(&self) -> u64 {
        self.streams.values().map(|v| v.len() as u64).sum()
    }

    /// Numbers between `base` and the highest acknowledged one that nobody acknowledged:
    /// in a stream only this run writes, each is a message stored without its ack.
    pub fn holes(&self, stream: StreamId, base: i64) -> u64 {
        let seqs = self.get(stream);
        let Some(&max) = seqs.last() else { return 0 };
        let inside = seqs.iter().filter(|&&s| s > base).count() as i64;
        u64::try_from(max - base - inside).unwrap_or(0)
    }
}

/// The verdict over receivers: every count but `expected` and `received` should be 0.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Acknowledged messages each receiver should hold, summed over receivers.
    pub expected: u64,
    /// Of those, held.
    pub received: u64,
    /// Acknowledged but never received.
    pub lost: u64,
    /// Received again after already held.
    pub duplicates: u64,
    /// Arrived ahead of a gap (reordering, or loss later repaired).
    pub out_of_order: u64,
    /// Received but never acknowledged to the sender.
    pub unacked_received: u64,
    /// Messages on streams the receiver should not hear.
    pub foreign: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.expected += o.expected;
        self.received += o.received;
        self.lost += o.lost;
        self.duplicates += o.duplicates;
        self.out_of_order += o.out_of_order;
        self.unacked_received += o.unacked_received;
        self.foreign += o.foreign;
    }
}

/// Compares one receiver's streams with the acknowledged messages.
pub fn reconcile(receiver: &Verifier, acked: &Acked) -> Tally {
    let mut t = Tally {
        foreign: receiver.foreign,
        ..Tally::default()
    };
    for (&stream, check) in &receiver.streams {
        let seqs = acked.get(stream);
        let held = seqs.iter().filter(|&&s| check.holds(s)).count() as u64;
        t.expected += seqs.len() as u64;
        t.received += held;
        t.lost += seqs.len() as u64 - held;
        t.unacked_received += check.distinct().saturating_sub(held);
        t.duplicates += check.duplicates;
        t.out_of_order += check.early;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acked(stream: StreamId, seqs: impl IntoIterator<Item = i64>) -> Acked {
        let mut a = Acked::default();
        for s in seqs {
            a.add(stream, s);
        }
        a.finish();
        a
    }

    #[test]
    fn an_in_order_stream_is_clean() {
        let mut v = Verifier::default();
        v.expect(1, 10);
        for s in 11..=20 {
            assert_eq!(v.observe(1, s), Arrival::InOrder);
        }
        assert_eq!(v.cursor(1), Some(20));
        let t = reconcile(&v, &acked(1, 11..=20));
        assert_eq!(t.expected, 10);
        assert_eq!(t.received, 10);
        assert_eq!(
            (t.lost, t.duplicates, t.out_of_order, t.unacked_received),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn a_repeat_is_a_duplicate_whether_in_order_or_held_ahead_of_a_gap() {
        let mut v = Verifier::default();
        v.expect(1, 0);
        assert_eq!(v.observe(1, 1), Arrival::InOrder);
        assert_eq!(v.observe(1, 1), Arrival::Duplicate);
        assert_eq!(v.observe(1, 3), Arrival::Early);
        assert_eq!(v.observe(1, 3), Arrival::Duplicate);
        assert_eq!(v.observe(1, 0), Arrival::Duplicate, "before the base");
        let t = reconcile(&v, &acked(1, 1..=3));
        assert_eq!(t.duplicates, 3);
        assert_eq!(t.lost, 1, "2 never came");
    }

    #[test]
    fn a_gap_filled_later_is_reordering_not_loss() {
        let mut v = Verifier::default();
        v.expect(7, 0);
        v.observe(7, 1);
        assert_eq!(v.observe(7, 4), Arrival::Early);
        assert_eq!(v.observe(7, 3), Arrival::Early);
        assert_eq!(v.cursor(7), Some(1), "resume from before the gap");
        assert_eq!(v.observe(7, 2), Arrival::InOrder);
        assert_eq!(
            v.cursor(7),
            Some(4),
            "the gap closed and the held ones count"
        );
        let t = reconcile(&v, &acked(7, 1..=4));
        assert_eq!((t.lost, t.duplicates, t.out_of_order), (0, 0, 2));
    }

    #[test]
    fn an_acknowledged_message_that_never_arrives_is_lost() {
        let mut v = Verifier::default();
        v.expect(1, 0);
        v.observe(1, 1);
        v.observe(1, 2);
        let t = reconcile(&v, &acked(1, 1..=3));
        assert_eq!(t.expected, 3);
        assert_eq!(t.lost, 1);
        let mut silent = Verifier::default();
        silent.expect(1, 0);
        assert_eq!(reconcile(&silent, &acked(1, 1..=3)).lost, 3);
    }

    #[test]
    fn received_without_an_ack_and_foreign_streams_are_reported() {
        let mut v = Verifier::default();
        v.expect(1, 0);
        v.observe(1, 1);
        v.observe(1, 2);
        assert_eq!(v.observe(9, 1), Arrival::Foreign);
        let t = reconcile(&v, &acked(1, [1]));
        assert_eq!(t.unacked_received, 1);
        assert_eq!(t.foreign, 1);
        assert_eq!(t.lost, 0);
    }

    #[test]
    fn retried_acks_count_once_and_holes_show_unacknowledged_commits() {
        let mut a = Acked::default();
        for s in [3, 1, 2, 2, 5] {
            a.add(4, s);
        }
        a.finish();
        assert_eq!(a.get(4), &[1, 2, 3, 5]);
        assert_eq!(a.count(), 4);
        assert_eq!(a.holes(4, 0), 1, "4 was stored but nobody has its ack");
        assert_eq!(a.holes(4, 2), 1);
        assert_eq!(a.holes(99, 0), 0);
        let mut b = Acked::default();
        b.add(4, 4);
        a.merge(b);
        a.finish();
        assert_eq!(a.holes(4, 0), 0);
    }

    #[test]
    fn tallies_add_up() {
        let mut total = Tally::default();
        let one = Tally {
            expected: 3,
            received: 2,
            lost: 1,
            ..Tally::default()
        };
        total.add(&one);
        total.add(&one);
        assert_eq!((total.expected, total.received, total.lost), (6, 4, 2));
    }
}
