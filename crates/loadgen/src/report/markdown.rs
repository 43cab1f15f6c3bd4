//! The markdown forms of reports: one run's summary, and several runs side by side.

use std::fmt::Write as _;

use super::Report;

impl Report {
    /// A markdown summary of this run.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "### {} ({} / {})\n",
            self.label, self.target, self.scenario
        );
        let _ = writeln!(s, "| metric | value |\n|---|---|");
        let mut row = |k: &str, v: String| {
            let _ = writeln!(s, "| {k} | {v} |");
        };
        if self.clients > 0 {
            row(
                "clients × room",
                format!("{} × {}", self.clients, self.room_size),
            );
        }
        if let Some(c) = &self.connect {
            row(
                "connect",
                format!(
                    "{}/{} in {:.2} s (p99 {} ms)",
                    c.ready, c.clients, c.seconds, c.p99_ms
                ),
            );
        }
        if self.sent > 0 {
            row(
                "sent / acked / unacked",
                format!("{} / {} / {}", self.sent, self.acked, self.unacked),
            );
            row("deliveries/s", format!("{:.0}", self.deliveries_per_s));
        }
        if let Some(l) = &self.latency {
            row(
                "delivery p50/p90/p99/max ms",
                format!("{} / {} / {} / {}", l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms),
            );
        }
        if let Some(l) = &self.ack_latency {
            row(
                "ack p50/p90/p99/max ms",
                format!("{} / {} / {} / {}", l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms),
            );
        }
        let v = &self.verify;
        if self.clients > 0 {
            row(
                "verified (expected / received / lost / dup / reordered)",
                format!(
                    "{} / {} / {} / {} / {}",
                    v.expected, v.received, v.lost, v.duplicates, v.out_of_order
                ),
            );
        }
        if let Some(p) = &self.persist {
            row(
                "persisted msgs/s",
                format!(
                    "{:.0} ({} senders, window {})",
                    p.acks_per_s, p.senders, p.window
                ),
            );
        }
        if let Some(st) = &self.storm {
            row(
                "storm",
                format!(
                    "{}/{} resumed in {:.2} s (p50 {} ms, p99 {} ms)",
                    st.resumed, st.dropped, st.recovery_s, st.p50_ms, st.p99_ms
                ),
            );
        }
        if let Some(st) = &self.startup {
            row(
                "start-up ms",
                format!(
                    "median {:.1}, max {:.1} ({:?})",
                    st.median_ms, st.max_ms, st.runs_ms
                ),
            );
        }
        if let Some(sv) = &self.server {
            let per = if self.persist.is_some() {
                "persisted message"
            } else {
                "delivery"
            };
            row(
                &format!("server CPU % / µs per {per}"),
                format!(
                    "{:.0} / {}",
                    sv.cpu_pct_in_window,
                    opt(sv.cpu_us_per_delivery.or(sv.cpu_us_per_ack))
                ),
            );
            row(
                "server RSS KiB before / connected / per conn",
                format!(
                    "{} / {} / {:.1}",
                    sv.rss_kib_before_connect, sv.rss_kib_connected, sv.rss_kib_per_conn
                ),
            );
        }
        if let Some(b) = &self.baseline {
            row(
                "vs floor",
                format!(
                    "{:.2}× ({} µs per delivery on {})",
                    b.ratio, b.cpu_us_per_delivery, b.label
                ),
            );
        }
        if !self.errors.is_empty() || self.reconnects > 0 || self.failed_clients > 0 {
            row(
                "errors / reconnects / failed clients",
                format!(
                    "{:?} / {} / {}",
                    self.errors, self.reconnects, self.failed_clients
                ),
            );
        }
        row("loader CPU %", format!("{:.0}", self.loader_cpu_pct));
        for c in &self.checks {
            let mark = if c.pass { "pass" } else { "FAIL" };
            let _ = writeln!(
                s,
                "| check: {} ({}) | {} {} |",
                c.name, c.target, c.value, mark
            );
        }
        s
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
}

/// Several runs in one table; Livedesk rows carry their CPU-per-delivery ratio to the floor
/// run of the same scenario, when there is one.
pub fn table(reports: &[Report]) -> String {
    let mut s = String::from(
        "| run | scenario | clients × room | deliveries/s | p50 ms | p99 ms | max ms | lost | dup | srv CPU % | CPU µs/deliv | × floor | KiB/conn | other |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let floor = reports
            .iter()
            .find(|f| f.target == "floor" && f.scenario == r.scenario)
            .and_then(|f| f.server.as_ref()?.cpu_us_per_delivery);
        let sv = r.server.as_ref();
        let per = sv.and_then(|s| s.cpu_us_per_delivery);
        let ratio = match (r.target.as_str(), per, floor) {
            ("livedesk", Some(p), Some(f)) if f > 0.0 => format!("{:.2}", p / f),
            _ => "-".into(),
        };
        let l = r.latency.clone().unwrap_or_default();
        let kib = match (r.scenario.as_str(), sv) {
            ("idle", Some(s)) => format!("{:.1}", s.rss_kib_per_conn),
            _ => "-".into(),
        };
        let other = other_column(r);
        let _ = writeln!(
            s,
            "| {} | {} | {} × {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.label,
            r.scenario,
            r.clients,
            r.room_size,
            r.deliveries_per_s,
            l.p50_ms,
            l.p99_ms,
            l.max_ms,
            lost_cell(r),
            r.verify.duplicates,
            sv.map(|s| format!("{:.0}", s.cpu_pct_in_window))
                .unwrap_or_else(|| "-".into()),
            opt(per),
            ratio,
            kib,
            other
        );
    }
    s
}

/// Delivered-then-missing messages, and sends still unacknowledged when the run ended (an
/// overloaded server: the client still holds them and would send them again), apart.
fn lost_cell(r: &Report) -> String {
    match r.unacked {
        0 => r.verify.lost.to_string(),
        n => format!("{} (+{n} unacked)", r.verify.lost),
    }
}

fn other_column(r: &Report) -> String {
    if let Some(p) = &r.persist {
        let cpu = r.server.as_ref().and_then(|s| s.cpu_us_per_ack);
        return format!(
            "{:.0} persisted/s, ack p99 {} ms, {} µs/msg",
            p.acks_per_s,
            r.ack_latency.as_ref().map(|l| l.p99_ms).unwrap_or_default(),
            opt(cpu)
        );
    }
    if let Some(st) = &r.storm {
        return format!(
            "{}/{} resumed in {:.2} s",
            st.resumed, st.dropped, st.recovery_s
        );
    }
    if let Some(st) = &r.startup {
        return format!(
            "start-up max {:.0} ms, idle RSS {:.1} MiB",
            st.max_ms,
            st.idle_rss_kib as f64 / 1024.0
        );
    }
    if let Some(c) = &r.connect {
        if r.scenario == "idle" {
            return format!("{} connected in {:.2} s", c.ready, c.seconds);
        }
    }
    String::new()
}
