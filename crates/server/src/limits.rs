//! Token-bucket rate limits keyed by client address (or connection). In memory: each node
//! counts for itself. Time comes from the server's [`Clock`], which tests move by hand.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::Rate;

/// One bucket: `capacity` tokens, refilled evenly over `rate.per`.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    pub fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.count),
            updated: now,
        }
    }

    /// Whether a token is available at `now`, without taking it.
    pub fn peek(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.take(rate, now)?;
        self.tokens += 1.0;
        Ok(())
    }

    /// Takes a token at `now`, or says how long until one is available.
    pub fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let per_token = rate.per.as_secs_f64() / f64::from(rate.count);
        let refill = now.duration_since(self.updated).as_secs_f64() / per_token;
        self.tokens = (self.tokens + refill).min(f64::from(rate.count));
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            // Rounded up to the millisecond the delay is told in: a client that waits exactly
            // as long as it was told finds its token.
            let ms = ((1.0 - self.tokens) * per_token * 1000.0).ceil();
            Err(Duration::from_millis(ms as u64))
        }
    }
}

/// Buckets per key, e.g. per client IP.
pub struct KeyedLimiter<K> {
    rate: Rate,
    clock: Clock,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(rate: Rate, clock: Clock) -> Self {
        Self {
            rate,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Refused while `key`'s bucket is empty; takes nothing (see [`Self::charge`]): for
    /// limits that count failures only, such as failed sign-ins.
    pub fn blocked(&self, key: &K) -> Result<(), Duration> {
        self.with(key, Bucket::peek)
    }

    /// Takes a token for `key` if one is left.
    pub fn charge(&self, key: &K) {
        let _ = self.check(key);
    }

    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.with(key, Bucket::take)
    }

    fn with(
        &self,
        key: &K,
        op: fn(&mut Bucket, Rate, Instant) -> Result<(), Duration>,
    ) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let now = self.clock.now();
        if buckets.len() > 100_000 {
            // Drop buckets that have refilled completely: they carry no state.
            buckets.retain(|_, b| now.duration_since(b.updated) < self.rate.per);
        }
        let rate = self.rate;
        op(
            buckets
                .entry(key.clone())
                .or_insert_with(|| Bucket::full(rate, now)),
            rate,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(count: u32, secs: u64) -> Rate {
        Rate {
            count,
            per: Duration::from_secs(secs),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_allowed_then_refused_then_recovers_after_the_window() {
        let limiter = KeyedLimiter::new(rate(3, 60), Clock::system());
        for _ in 0..3 {
            assert!(limiter.check(&"ip").is_ok());
        }
        let wait = limiter.check(&"ip").err();
        assert!(
            matches!(wait, Some(d) if d > Duration::from_secs(19) && d <= Duration::from_secs(20))
        );
        assert!(limiter.check(&"other").is_ok(), "keys are independent");
        tokio::time::advance(Duration::from_secs(20)).await;
        assert!(limiter.check(&"ip").is_ok());
        assert!(limiter.check(&"ip").is_err());
        tokio::time::advance(Duration::from_secs(60)).await;
        for _ in 0..3 {
            assert!(limiter.check(&"ip").is_ok());
        }
    }

    #[tokio::test]
    async fn the_advertised_delay_is_exactly_long_enough() {
        let manual = crate::clock::ManualClock::new();
        let limiter = KeyedLimiter::new(rate(3, 2), manual.clock());
        for _ in 0..3 {
            assert!(limiter.check(&"ip").is_ok());
        }
        let wait = limiter.check(&"ip").err();
        assert_eq!(wait, Some(Duration::from_millis(667)), "2/3 s, rounded up");
        manual.advance(Duration::from_millis(666)).await;
        assert!(limiter.check(&"ip").is_err());
        manual.advance(Duration::from_millis(1)).await;
        assert!(limiter.check(&"ip").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_only_limit_is_looked_at_freely_and_charged_on_failure() {
        let limiter = KeyedLimiter::new(rate(2, 60), Clock::system());
        for _ in 0..10 {
            assert!(limiter.blocked(&"ada").is_ok(), "looking takes nothing");
        }
        limiter.charge(&"ada");
        limiter.charge(&"ada");
        assert!(limiter.blocked(&"ada").is_err());
        assert!(limiter.blocked(&"bob").is_ok());
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(limiter.blocked(&"ada").is_ok());
    }
}
