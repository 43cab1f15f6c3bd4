//! The load message body: who sent it, its number in the sender's sequence and when, on one
//! monotonic clock shared by every simulated client of this process.
//!
//! Body: `t=<ns since the epoch>;s=<sender>;n=<k>;` padded with `x` to the asked length.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since this process's epoch (the first call).
pub fn now_ns() -> u64 {
    let epoch = EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Wall-clock nanoseconds, for tags that must differ between runs.
pub fn wall_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub sent_ns: u64,
    /// The sending client's index in the run.
    pub sender: u32,
    /// The sender's own message number, from 1.
    pub n: u64,
}

impl Stamp {
    /// The body text, padded to at least `len` bytes.
    pub fn encode(&self, len: usize) -> String {
        let mut body = format!("t={};s={};n={};", self.sent_ns, self.sender, self.n);
        if body.len() < len {
            body.extend(std::iter::repeat_n('x', len - body.len()));
        }
        body
    }

    pub fn parse(body: &str) -> Option<Stamp> {
        let mut fields = body.splitn(4, ';');
        let mut next =
            |key: &str| -> Option<u64> { fields.next()?.strip_prefix(key)?.parse().ok() };
        let sent_ns = next("t=")?;
        let sender = u32::try_from(next("s=")?).ok()?;
        let n = next("n=")?;
        Some(Stamp { sent_ns, sender, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_the_round_trip_with_padding() {
        let s = Stamp {
            sent_ns: 123_456_789,
            sender: 42,
            n: 7,
        };
        let body = s.encode(64);
        assert_eq!(body.len(), 64);
        assert_eq!(Stamp::parse(&body), Some(s));
        assert_eq!(Stamp::parse(&s.encode(0)), Some(s));
    }

    #[test]
    fn foreign_bodies_are_not_stamps() {
        assert_eq!(Stamp::parse("hello"), None);
        assert_eq!(Stamp::parse("t=1;s=x;n=1;"), None);
        assert_eq!(Stamp::parse("123.4|@5|xxx"), None);
    }

    #[test]
    fn the_clock_moves_forward() {
        let a = now_ns();
        let b = now_ns();
        assert!(b >= a);
    }
}
