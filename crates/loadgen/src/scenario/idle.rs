//! Idle hold: connect and authenticate many sockets (Livedesk: visitors), hold them quiet,
//! and measure the time to connect and the server's memory per connection.

use std::time::{Duration, Instant};

use super::fleet::Fleet;
use super::{plan, Context, Meter, Totals};
use crate::client::{Counters, Protocol};
use crate::error::Result;
use crate::progress::{self, Phase};
use crate::report::Report;
use crate::stats::round;

pub async fn run(ctx: &Context) -> Result<Report> {
    let o = &ctx.opts;
    let fixture = match ctx.target.protocol {
        Protocol::Livedesk => Some(ctx.fixture()?),
        Protocol::Raw => None,
    };
    let plan = plan::idle(fixture, o.clients)?;
    let mut report = ctx.report(plan.members.len(), 0, "-".into());
    let shared = ctx.shared();
    let phase = Phase::default();
    let progress = progress::start(shared.clone(), o.server_pid, phase.clone());
    let pid = o.server_pid;
    let before = Meter::now(pid);
    phase.set("connect");
    let mut fleet = Fleet::start(plan.members, shared.clone());
    let connect = fleet.wait_ready(Duration::from_secs(300)).await;
    let ready = connect.ready;
    report.connect = Some(connect);
    phase.set("settle");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = Meter::now(pid);
    phase.set("hold");
    let held = Instant::now();
    let mut peak = connected.rss_kib();
    while held.elapsed().as_secs_f64() < o.duration {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak = peak.max(Meter::now(pid).rss_kib());
    }
    let end = Meter::now(pid);
    let lost = Counters::get(&shared.counters.reconnects);
    phase.set("close");
    let outcomes = fleet.stop().await;
    let after = Meter::now(pid);
    progress.abort();
    progress::finish();
    let (window_s, _, loader) = end.since(&connected);
    report.window_s = round(window_s, 3);
    report.loader_cpu_pct = loader;
    report.server =
        Meter::server(&before, &connected, (&connected, &end), &after, ready).map(|mut s| {
            s.rss_kib_after = s.rss_kib_after.max(peak);
            s
        });
    Totals::of(outcomes, &Default::default()).fill(&mut report);
    report.reconnects = report.reconnects.max(lost);
    Ok(report)
}
