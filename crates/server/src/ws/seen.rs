//! Which `seq`s a socket has already written, per conversation, so a replay overlapping live
//! events goes out once: a floor (everything up to it was delivered, by a replay that ended
//! in `resumed`) and a sliding window of 64 behind the highest seq written (as in
//! anti-replay windows) for what the floor does not cover.

use std::collections::HashMap;

use uuid::Uuid;

#[derive(Default)]
pub struct Seen {
    windows: HashMap<Uuid, Window>,
}

#[derive(Default, Clone, Copy)]
struct Window {
    /// Every seq up to here was delivered.
    floor: i64,
    max: i64,
    /// Bit i set: `max - i` was sent.
    bits: u64,
}

impl Seen {
    /// Records `seq` and says whether it is new on this socket.
    pub fn first_time(&mut self, conversation: Uuid, seq: i64) -> bool {
        if self.windows.len() > 10_000 && !self.windows.contains_key(&conversation) {
            self.windows.clear();
        }
        let w = self.windows.entry(conversation).or_default();
        if seq <= w.floor {
            return false;
        }
        if seq > w.max {
            let shift = seq - w.max;
            w.bits = if shift >= 64 { 0 } else { w.bits << shift };
            w.bits |= 1;
            w.max = seq;
            return true;
        }
        let back = w.max - seq;
        if back >= 64 {
            return true;
        }
        let bit = 1u64 << back;
        let new = w.bits & bit == 0;
        w.bits |= bit;
        new
    }

    /// Records that every seq up to `seq` was delivered (a replay ended there).
    pub fn delivered_through(&mut self, conversation: Uuid, seq: i64) {
        let w = self.windows.entry(conversation).or_default();
        w.floor = w.floor.max(seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_caught_out_of_order_arrivals_pass() {
        let c = Uuid::now_v7();
        let mut seen = Seen::default();
        assert!(seen.first_time(c, 1));
        assert!(seen.first_time(c, 3));
        assert!(seen.first_time(c, 2), "late arrival is new");
        assert!(!seen.first_time(c, 2));
        assert!(!seen.first_time(c, 3));
        assert!(seen.first_time(c, 100));
        assert!(!seen.first_time(c, 100));
        assert!(
            seen.first_time(Uuid::now_v7(), 100),
            "conversations are independent"
        );
    }

    #[test]
    fn nothing_at_or_below_a_replayed_floor_goes_out_again_however_old() {
        let c = Uuid::now_v7();
        let mut seen = Seen::default();
        for seq in 1..=300 {
            assert!(seen.first_time(c, seq));
        }
        seen.delivered_through(c, 300);
        assert!(
            !seen.first_time(c, 5),
            "older than the window, below the floor"
        );
        assert!(!seen.first_time(c, 300));
        assert!(seen.first_time(c, 301));
        seen.delivered_through(c, 200);
        assert!(!seen.first_time(c, 250), "the floor never goes down");
    }
}
