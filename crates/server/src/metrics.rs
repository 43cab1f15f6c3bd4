//! Prometheus metrics, served at `/metrics`.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: &'static str,
}

/// Process-wide metrics. Several servers in one process (tests) share them; each
/// scrape shows the process's totals.
pub struct Metrics {
    pub connections: Family<KindLabel, Gauge>,
    pub messages: Family<SourceLabel, Counter>,
    pub deliveries: Counter,
    pub delivery_latency: Histogram,
    pub errors: Family<CodeLabel, Counter>,
    pub slow_disconnects: Counter,
    registry: Registry,
}

pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("livedesk");
        let m = Metrics {
            connections: Family::default(),
            messages: Family::default(),
            deliveries: Counter::default(),
            delivery_latency: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            errors: Family::default(),
            slow_disconnects: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "ws_connections",
            "Open WebSocket connections",
            m.connections.clone(),
        );
        registry.register(
            "messages",
            "Messages stored, by source (ws, rest)",
            m.messages.clone(),
        );
        registry.register(
            "deliveries",
            "Events written to sockets",
            m.deliveries.clone(),
        );
        registry.register(
            "delivery_latency_seconds",
            "From commit of a message to its write on a recipient's socket",
            m.delivery_latency.clone(),
        );
        registry.register(
            "errors",
            "Errors sent to clients, by code",
            m.errors.clone(),
        );
        registry.register(
            "slow_disconnects",
            "Sockets closed because their queue overflowed",
            m.slow_disconnects.clone(),
        );
        Metrics { registry, ..m }
    })
}

/// A message stored (not a duplicate), by where it came in (`rest`, `ws`).
pub fn count_message(source: &'static str) {
    metrics()
        .messages
        .get_or_create(&SourceLabel { source })
        .inc();
}

pub fn count_error(code: livedesk_protocol::ErrorCode) {
    metrics()
        .errors
        .get_or_create(&CodeLabel {
            code: code.as_str(),
        })
        .inc();
}

/// The text exposition format.
pub fn render() -> String {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &metrics().registry).is_err() {
        out.clear();
    }
    out
}
