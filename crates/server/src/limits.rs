//! Token-bucket rate limits keyed by client address (or connection). In memory: each node
//! counts for itself. Uses tokio's clock, so tests can pause time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::Rate;

/// One bucket: `capacity` tokens, refilled evenly over `rate.per`.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    pub fn full(rate: Rate) -> Self {
        Self {
            tokens: f64::from(rate.count),
            updated: Instant::now(),
        }
    }

    /// Takes a token, or says how long until one is available.
    pub fn take(&mut self, rate: Rate) -> Result<(), Duration> {
        let now = Instant::now();
        let per_token = rate.per.as_secs_f64() / f64::from(rate.count);
        let refill = now.duration_since(self.updated).as_secs_f64() / per_token;
        self.tokens = (self.tokens + refill).min(f64::from(rate.count));
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) * per_token))
        }
    }
}

/// Buckets per key, e.g. per client IP.
pub struct KeyedLimiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > 100_000 {
            // Drop buckets that have refilled completely: they carry no state.
            let now = Instant::now();
            buckets.retain(|_, b| now.duration_since(b.updated) < self.rate.per);
        }
        let rate = self.rate;
        buckets
            .entry(key.clone())
            .or_insert_with(|| Bucket::full(rate))
            .take(rate)
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
        let limiter = KeyedLimiter::new(rate(3, 60));
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
}
