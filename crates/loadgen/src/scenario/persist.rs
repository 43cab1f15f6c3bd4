//! Persist: senders (visitor sockets, each in a conversation) keep a window of sends
//! unacknowledged; every ack comes after commit, so acks per second is the number of
//! messages stored per second.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::fleet::Fleet;
use super::{bases, plan, Context, Meter, Totals};
use crate::client::{Command, Counters};
use crate::error::{LoadError, Result};
use crate::progress::{self, Phase};
use crate::report::{Persist, Report};
use crate::stamp::now_ns;
use crate::stats::round;

pub async fn run(ctx: &Context) -> Result<Report> {
    let o = &ctx.opts;
    let plan = plan::senders(ctx.api()?, ctx.fixture()?, o.senders).await?;
    let mut report = ctx.report(plan.members.len(), plan.rooms.len(), "1".into());
    let shared = ctx.shared();
    let phase = Phase::default();
    let progress = progress::start(shared.clone(), o.server_pid, phase.clone());
    let pid = o.server_pid;
    let before = Meter::now(pid);
    phase.set("connect");
    let bases = bases(&plan.members);
    let mut fleet = Fleet::start(plan.members, shared.clone());
    let connect = fleet.wait_ready(Duration::from_secs(60)).await;
    let ready = connect.ready;
    report.connect = Some(connect);
    if ready == 0 {
        progress.abort();
        return Err(LoadError::usage("no sender could connect"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected = Meter::now(pid);
    phase.set("warm-up");
    fleet.broadcast(Command::Pump {
        window: o.window.max(1),
    });
    tokio::time::sleep(Duration::from_secs_f64(o.warmup)).await;
    phase.set("measure");
    let c = &shared.counters;
    let w0 = Meter::now(pid);
    let sent0 = Counters::get(&c.sent);
    shared.window.start.store(now_ns(), Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(o.duration)).await;
    shared.window.end.store(now_ns(), Ordering::Relaxed);
    let w1 = Meter::now(pid);
    let sent1 = Counters::get(&c.sent);
    fleet.broadcast(Command::Quiet);
    phase.set("drain");
    let deadline = Instant::now() + Duration::from_secs_f64(o.drain);
    while Counters::get(&c.acked) < Counters::get(&c.sent) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outcomes = fleet.stop().await;
    let after = Meter::now(pid);
    progress.abort();
    progress::finish();

    let (window_s, cpu, loader) = w1.since(&w0);
    let acks = Counters::get(&c.window_acks);
    report.window_s = round(window_s, 3);
    report.send_rate = round((sent1 - sent0) as f64 / window_s, 1);
    report.loader_cpu_pct = loader;
    report.persist = Some(Persist {
        senders: ready,
        window: o.window as u64,
        acks_per_s: round(acks as f64 / window_s, 1),
    });
    report.server = Meter::server(&before, &connected, (&w0, &w1), &after, ready).map(|mut s| {
        s.cpu_us_per_ack = cpu
            .filter(|_| acks > 0)
            .map(|cpu| round(cpu * 1e6 / acks as f64, 2));
        s
    });
    Totals::of(outcomes, &bases).fill(&mut report);
    Ok(report)
}
