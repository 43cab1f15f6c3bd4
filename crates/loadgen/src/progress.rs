//! The live progress line: once a second, on standard error (rewritten in place on a
//! terminal, one line per tick otherwise).

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::{Counters, Shared};
use crate::procstat;

/// The phase shown on the line; set by the scenario as it goes.
#[derive(Clone, Default)]
pub struct Phase(Arc<Mutex<&'static str>>);

impl Phase {
    pub fn set(&self, phase: &'static str) {
        if let Ok(mut p) = self.0.lock() {
            *p = phase;
        }
    }

    fn get(&self) -> &'static str {
        self.0.lock().map(|p| *p).unwrap_or("")
    }
}

/// Prints until the returned task is aborted.
pub fn start(
    shared: Arc<Shared>,
    server_pid: Option<u32>,
    phase: Phase,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tty = std::io::stderr().is_terminal();
        let began = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let c = &shared.counters;
        let mut last_delivered = 0;
        let mut last_acked = 0;
        let mut last_cpu = server_pid.and_then(procstat::sample);
        let mut last_at = Instant::now();
        loop {
            tick.tick().await;
            let dt = last_at.elapsed().as_secs_f64().max(1e-3);
            last_at = Instant::now();
            let delivered = Counters::get(&c.delivered);
            let acked = Counters::get(&c.acked);
            let max_ms = c.max_latency_ns.swap(0, Ordering::Relaxed) as f64 / 1e6;
            let now = server_pid.and_then(procstat::sample);
            let server = match (&last_cpu, &now) {
                (Some(a), Some(b)) => format!(
                    " | srv {:.0}% {:.1} MiB",
                    100.0 * (b.cpu_s - a.cpu_s) / dt,
                    b.rss_kib as f64 / 1024.0
                ),
                _ => String::new(),
            };
            last_cpu = now;
            let line = format!(
                "[{:6.1}s {:<8}] conn {} | sent {} acked {} ({:.0}/s) | deliv {:.0}/s max {:.1} ms | dup {} gaps {} err {} reconn {}{}",
                began.elapsed().as_secs_f64(),
                phase.get(),
                Counters::get(&c.ready),
                Counters::get(&c.sent),
                acked,
                (acked - last_acked) as f64 / dt,
                (delivered - last_delivered) as f64 / dt,
                max_ms,
                Counters::get(&c.duplicates),
                Counters::get(&c.early),
                Counters::get(&c.errors),
                Counters::get(&c.reconnects),
                server,
            );
            last_delivered = delivered;
            last_acked = acked;
            let mut err = std::io::stderr().lock();
            let _ = if tty {
                write!(err, "\r\x1b[2K{line}")
            } else {
                writeln!(err, "{line}")
            };
            let _ = err.flush();
        }
    })
}

/// Ends the line (on a terminal) after the task was aborted.
pub fn finish() {
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}
