//! Latency percentiles, computed exactly from every sample (nearest-rank method).

use serde::{Deserialize, Serialize};

/// The value at percentile `p` (0–100) of `sorted` by the nearest-rank method: the smallest
/// sample such that at least `p`% of samples are less than or equal to it.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub n: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

fn ms(ns: Option<u64>) -> f64 {
    ns.map(|v| (v as f64 / 1e3).round() / 1e3).unwrap_or(0.0)
}

impl Latency {
    /// Summarises nanosecond samples (sorted here).
    pub fn from_ns(mut samples: Vec<u64>) -> Self {
        samples.sort_unstable();
        let n = samples.len() as u64;
        let mean = if samples.is_empty() {
            None
        } else {
            let sum: u128 = samples.iter().map(|&v| u128::from(v)).sum();
            u64::try_from(sum / u128::from(n)).ok()
        };
        Self {
            n,
            p50_ms: ms(percentile(&samples, 50.0)),
            p90_ms: ms(percentile(&samples, 90.0)),
            p99_ms: ms(percentile(&samples, 99.0)),
            max_ms: ms(samples.last().copied()),
            mean_ms: ms(mean),
        }
    }
}

/// Rounds to `digits` decimals, for readable JSON.
pub fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.9), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
    }

    #[test]
    fn one_slow_sample_in_a_hundred_is_the_p99_only_when_it_is_the_last_percent() {
        let mut v = vec![1_000u64; 99];
        v.push(50_000_000);
        let l = Latency::from_ns(v);
        assert_eq!(l.p99_ms, 0.001);
        assert_eq!(l.max_ms, 50.0);
        let mut v = vec![1_000u64; 98];
        v.extend([50_000_000, 60_000_000]);
        assert_eq!(Latency::from_ns(v).p99_ms, 50.0);
    }

    #[test]
    fn small_and_empty_sets() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[7], 101.0), None);
        let l = Latency::from_ns(Vec::new());
        assert_eq!(l.n, 0);
        assert_eq!(l.p99_ms, 0.0);
    }

    #[test]
    fn samples_need_not_arrive_sorted() {
        let l = Latency::from_ns(vec![5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000]);
        assert_eq!(l.p50_ms, 3.0);
        assert_eq!(l.max_ms, 5.0);
        assert_eq!(l.mean_ms, 3.0);
    }
}
