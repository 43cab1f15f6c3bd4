//! Publishing each conversation's messages in `seq` order.
//!
//! Appends committed together (SQLite's group commit) are answered in seq order, but each
//! sender publishes from its own task, and tasks do not run in the order they were woken: seq
//! 8 could reach sockets before seq 7. Clients would recover (a gap is filled by `after_seq`),
//! at the cost of a request and a delay. The sequencer holds a message that arrives ahead of
//! its predecessor until the predecessor is published, or for at most `hold` (the predecessor
//! may never come through this node: its sender died between commit and publish, or another
//! node committed it), then lets it go.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

struct Lane<T> {
    /// The seq expected next.
    next: i64,
    held: BTreeMap<i64, T>,
    touched: Instant,
}

pub struct Sequencer<T> {
    lanes: Mutex<HashMap<Uuid, Lane<T>>>,
    pub hold: Duration,
}

/// Lanes idle this long are forgotten (the next message of the conversation starts a new one).
const IDLE: Duration = Duration::from_secs(60);

impl<T> Sequencer<T> {
    pub fn new(hold: Duration) -> Self {
        Self {
            lanes: Mutex::new(HashMap::new()),
            hold,
        }
    }

    /// What to publish now, in order, and whether `item` was held (then call [`Self::flush`]
    /// after `hold`).
    pub fn offer(&self, key: Uuid, seq: i64, item: T) -> (Vec<T>, bool) {
        let Ok(mut lanes) = self.lanes.lock() else {
            return (vec![item], false);
        };
        let now = Instant::now();
        if lanes.len() > 10_000 {
            lanes.retain(|_, l| !l.held.is_empty() || now.duration_since(l.touched) < IDLE);
        }
        let lane = lanes.entry(key).or_insert_with(|| Lane {
            next: seq,
            held: BTreeMap::new(),
            touched: now,
        });
        lane.touched = now;
        if seq < lane.next {
            // A repeat (a retried send) or a late one after a flush: sockets drop what they sent.
            return (vec![item], false);
        }
        if seq > lane.next {
            lane.held.insert(seq, item);
            return (Vec::new(), true);
        }
        let mut out = vec![item];
        lane.next = seq + 1;
        while let Some(x) = lane.held.remove(&lane.next) {
            out.push(x);
            lane.next += 1;
        }
        (out, false)
    }

    /// Lets go of everything held for `key` (its gap did not close in time), in order.
    pub fn flush(&self, key: Uuid) -> Vec<T> {
        let Ok(mut lanes) = self.lanes.lock() else {
            return Vec::new();
        };
        let Some(lane) = lanes.get_mut(&key) else {
            return Vec::new();
        };
        let held = std::mem::take(&mut lane.held);
        if let Some((&last, _)) = held.last_key_value() {
            lane.next = lane.next.max(last + 1);
        }
        held.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_messages_pass_at_once() {
        let s = Sequencer::new(Duration::from_millis(50));
        let k = Uuid::now_v7();
        assert_eq!(s.offer(k, 4, 4), (vec![4], false));
        assert_eq!(s.offer(k, 5, 5), (vec![5], false));
        assert_eq!(
            s.offer(k, 5, 5),
            (vec![5], false),
            "a repeat passes; sockets drop it"
        );
    }

    #[test]
    fn a_message_ahead_of_its_predecessor_waits_for_it() {
        let s = Sequencer::new(Duration::from_millis(50));
        let k = Uuid::now_v7();
        assert_eq!(s.offer(k, 1, 1), (vec![1], false));
        assert_eq!(s.offer(k, 3, 3), (vec![], true));
        assert_eq!(s.offer(k, 4, 4), (vec![], true));
        assert_eq!(s.offer(k, 2, 2), (vec![2, 3, 4], false));
        assert!(s.flush(k).is_empty(), "nothing left to flush");
        assert_eq!(s.offer(k, 5, 5), (vec![5], false));
    }

    #[test]
    fn a_gap_that_does_not_close_is_flushed_in_order_and_the_late_one_still_passes() {
        let s = Sequencer::new(Duration::from_millis(50));
        let (k, other) = (Uuid::now_v7(), Uuid::now_v7());
        s.offer(k, 1, 1);
        s.offer(k, 4, 4);
        s.offer(k, 3, 3);
        assert_eq!(
            s.offer(other, 9, 9),
            (vec![9], false),
            "lanes are per conversation"
        );
        assert_eq!(s.flush(k), vec![3, 4]);
        assert_eq!(s.offer(k, 5, 5), (vec![5], false));
        assert_eq!(
            s.offer(k, 2, 2),
            (vec![2], false),
            "late, passed on for the client to place"
        );
    }
}
