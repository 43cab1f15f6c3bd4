//! Which `seq`s a socket has already written, per conversation, so a replay overlapping live
//! events, or an event published twice, goes out once. A sliding window of 64 behind the
//! highest seq (as in anti-replay windows); anything older is sent, and clients drop it.

use std::collections::HashMap;

use uuid::Uuid;

#[derive(Default)]
pub struct Seen {
    windows: HashMap<Uuid, Window>,
}

#[derive(Default, Clone, Copy)]
struct Window {
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
}
