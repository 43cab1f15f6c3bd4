//! The result of one run: JSON for machines, a markdown summary for people, and the checks
//! against the benchmark targets. `table` puts several runs side by side with the ratio of
//! each Livedesk run's CPU per delivery to the floor's in the same scenario.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod markdown;

pub use markdown::table;

use crate::stats::Latency;
use crate::verify::Tally;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub label: String,
    /// `livedesk` or `floor`.
    pub target: String,
    pub scenario: String,
    /// `sqlite` / `postgres` for Livedesk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    pub clients: u64,
    pub rooms: u64,
    pub room_size: String,
    /// Messages per second asked for (open loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    pub window_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<Connect>,
    pub sent: u64,
    pub acked: u64,
    /// Sends never acknowledged by the end of the drain.
    pub unacked: u64,
    pub send_rate: f64,
    /// Deliveries to others (a sender's own copy is verified, not counted) during the window.
    pub deliveries_in_window: u64,
    pub deliveries_per_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_latency: Option<Latency>,
    pub verify: Tally,
    /// Seqs stored in a conversation that no sender got an ack for.
    pub seq_holes: u64,
    pub errors: BTreeMap<String, u64>,
    pub reconnects: u64,
    pub failed_clients: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<Server>,
    pub loader_cpu_pct: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persist: Option<Persist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<Storm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Startup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Connect {
    pub clients: u64,
    pub ready: u64,
    pub failed: u64,
    /// Until the last client was connected, authenticated and caught up.
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Server {
    pub pid: u32,
    pub rss_kib_before_connect: u64,
    pub rss_kib_connected: u64,
    pub rss_kib_per_conn: f64,
    pub rss_kib_after: u64,
    pub threads: u64,
    pub cpu_pct_in_window: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us_per_delivery: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us_per_ack: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Persist {
    pub senders: u64,
    pub window: u64,
    pub acks_per_s: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Storm {
    pub dropped: u64,
    pub resumed: u64,
    /// From the drop until the last client had resumed.
    pub recovery_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Startup {
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
    pub max_ms: f64,
    pub idle_rss_kib: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub label: String,
    pub cpu_us_per_delivery: f64,
    pub ratio: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub target: String,
    pub value: String,
    pub pass: bool,
}

fn check(name: &str, target: &str, value: String, pass: bool) -> Check {
    Check {
        name: name.into(),
        target: target.into(),
        value,
        pass,
    }
}

impl Report {
    /// The targets that this run can speak to.
    pub fn evaluate(&mut self) {
        let mut c = Vec::new();
        let v = &self.verify;
        if self.sent > 0 {
            let loss = v.lost + self.unacked;
            c.push(check("loss", "0", loss.to_string(), loss == 0));
            c.push(check(
                "duplicates",
                "0",
                v.duplicates.to_string(),
                v.duplicates == 0,
            ));
        }
        if let Some(b) = &self.baseline {
            c.push(check(
                "CPU per delivery vs floor",
                "≤ 1.5×",
                format!("{:.2}×", b.ratio),
                b.ratio <= 1.5,
            ));
        }
        if let (Some(l), "fanout") = (&self.latency, self.scenario.as_str()) {
            c.push(check(
                "p99 delivery latency",
                "≤ 5 ms",
                format!("{} ms", l.p99_ms),
                l.p99_ms <= 5.0,
            ));
        }
        if let (Some(cn), "idle") = (&self.connect, self.scenario.as_str()) {
            let per_2000 = cn.seconds * 2000.0 / cn.clients.max(1) as f64;
            c.push(check(
                "connect + authenticate, per 2 000",
                "< 2 s",
                format!("{per_2000:.2} s"),
                per_2000 < 2.0 && cn.failed == 0,
            ));
            if let Some(s) = &self.server {
                c.push(check(
                    "RSS per idle connection",
                    "≤ 10 KiB",
                    format!("{:.1} KiB", s.rss_kib_per_conn),
                    s.rss_kib_per_conn <= 10.0,
                ));
            }
        }
        if let (Some(p), Some("sqlite")) = (&self.persist, self.backend.as_deref()) {
            c.push(check(
                "persisted messages/s (SQLite)",
                "≥ 20 000",
                format!("{:.0}", p.acks_per_s),
                p.acks_per_s >= 20_000.0,
            ));
        }
        if let Some(s) = &self.storm {
            c.push(check(
                "storm: all resumed",
                "≤ 10 s",
                format!("{}/{} in {:.2} s", s.resumed, s.dropped, s.recovery_s),
                s.resumed == s.dropped && s.recovery_s <= 10.0,
            ));
        }
        if let Some(s) = &self.startup {
            c.push(check(
                "start-up to serving",
                "< 200 ms",
                format!("{:.0} ms (max)", s.max_ms),
                s.max_ms < 200.0,
            ));
            c.push(check(
                "idle server RSS",
                "< 30 MiB",
                format!("{:.1} MiB", s.idle_rss_kib as f64 / 1024.0),
                s.idle_rss_kib < 30 * 1024,
            ));
        }
        self.checks = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(target: &str, us: f64) -> Report {
        Report {
            label: format!("{target}/fanout"),
            target: target.into(),
            scenario: "fanout".into(),
            sent: 10,
            acked: 10,
            server: Some(Server {
                cpu_us_per_delivery: Some(us),
                ..Server::default()
            }),
            ..Report::default()
        }
    }

    #[test]
    fn the_table_carries_the_ratio_to_the_floor_of_the_same_scenario() {
        let t = table(&[run("floor", 8.0), run("livedesk", 12.0)]);
        assert!(t.contains("| 12.00 | 1.50 |"), "{t}");
    }

    #[test]
    fn the_table_tells_unacknowledged_sends_from_lost_deliveries() {
        let mut r = run("livedesk", 12.0);
        assert!(table(&[r.clone()]).contains("| 0 | 0 |"));
        r.unacked = 7;
        assert!(table(&[r.clone()]).contains("| 0 (+7 unacked) | 0 |"));
        r.verify.lost = 2;
        assert!(table(&[r]).contains("| 2 (+7 unacked) | 0 |"));
    }

    #[test]
    fn checks_fail_on_loss_and_pass_when_clean() {
        let mut r = run("livedesk", 1.0);
        r.evaluate();
        assert!(r.checks.iter().all(|c| c.pass));
        r.unacked = 1;
        r.evaluate();
        assert!(r.checks.iter().any(|c| c.name == "loss" && !c.pass));
        r.baseline = Some(Baseline {
            label: "floor".into(),
            cpu_us_per_delivery: 1.0,
            ratio: 2.0,
        });
        r.evaluate();
        assert!(r.markdown().contains("FAIL"));
    }
}
