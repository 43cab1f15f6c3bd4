//! Open-loop traffic: fan-out rooms (a random member of a random room sends), steady chat
//! (rooms take turns; in a room the visitor and the agents alternate), bursts (many messages
//! at once, every few seconds) and the reconnect storm (fan-out traffic while every client
//! is dropped at once and resumes).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::fleet::Fleet;
use super::plan::{self, Plan};
use super::{bases, Context, Meter, Scenario, Totals};
use crate::client::{Command, Counters, Event, Protocol, Shared};
use crate::error::{LoadError, Result};
use crate::progress::{self, Phase};
use crate::report::{Report, Storm};
use crate::setup::RoomSize;
use crate::stamp::now_ns;
use crate::stats::{round, Latency};

pub async fn run(ctx: &Context) -> Result<Report> {
    let o = &ctx.opts;
    let plan = match ctx.target.protocol {
        Protocol::Livedesk => {
            plan::livedesk_rooms(ctx.api()?, ctx.fixture()?, o.rooms, o.room_size).await?
        }
        Protocol::Raw if o.scenario == Scenario::Storm => {
            return Err(LoadError::usage(
                "the floor keeps no history, so it cannot resume: run the storm on Livedesk",
            ))
        }
        Protocol::Raw => plan::floor_rooms(
            o.rooms.unwrap_or(50),
            o.room_size.unwrap_or(RoomSize { min: 10, max: 10 }),
        ),
    };
    let mut report = ctx.report(plan.members.len(), plan.rooms.len(), plan.room_size_label());
    report.rate = (o.scenario != Scenario::Burst).then_some(o.rate);
    let shared = ctx.shared();
    let phase = Phase::default();
    let progress = progress::start(shared.clone(), o.server_pid, phase.clone());
    let pid = o.server_pid;
    let before = Meter::now(pid);
    phase.set("connect");
    let mut schedule = Schedule::new(ctx, &plan);
    let bases = bases(&plan.members);
    let mut fleet = Fleet::start(plan.members, shared.clone());
    let connect = fleet.wait_ready(Duration::from_secs(120)).await;
    let ready = connect.ready;
    report.connect = Some(connect);
    if ready == 0 {
        progress.abort();
        let outcomes = fleet.stop().await;
        let why = outcomes
            .into_iter()
            .find_map(|o| o.failed)
            .unwrap_or_default();
        return Err(LoadError::usage(format!("no client could connect: {why}")));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let connected = Meter::now(pid);
    phase.set("warm-up");
    schedule.run(&mut fleet, o.warmup, None).await;
    phase.set("measure");
    let c = &shared.counters;
    let sent0 = Counters::get(&c.sent);
    let w0 = Meter::now(pid);
    shared.window.start.store(now_ns(), Ordering::Relaxed);
    let drop_at = (o.scenario == Scenario::Storm).then(|| o.drop_at.unwrap_or(o.duration / 3.0));
    let mut resumed = schedule.run(&mut fleet, o.duration, drop_at).await;
    shared.window.end.store(now_ns(), Ordering::Relaxed);
    let w1 = Meter::now(pid);
    let sent1 = Counters::get(&c.sent);
    phase.set("drain");
    let storm_clients = drop_at.map(|_| fleet.len());
    drain(&shared, &mut fleet, o.drain, storm_clients, &mut resumed).await;
    let outcomes = fleet.stop().await;
    let after = Meter::now(pid);
    progress.abort();
    progress::finish();

    let (window_s, cpu, loader) = w1.since(&w0);
    let deliveries = Counters::get(&c.window_deliveries);
    report.window_s = round(window_s, 3);
    report.send_rate = round((sent1 - sent0) as f64 / window_s, 1);
    report.deliveries_in_window = deliveries;
    report.deliveries_per_s = round(deliveries as f64 / window_s, 1);
    report.loader_cpu_pct = loader;
    report.server = Meter::server(&before, &connected, (&w0, &w1), &after, ready).map(|mut s| {
        s.cpu_us_per_delivery = cpu
            .filter(|_| deliveries > 0)
            .map(|cpu| round(cpu * 1e6 / deliveries as f64, 2));
        s
    });
    if let Some(dropped) = storm_clients {
        let n = resumed.len() as u64;
        let l = Latency::from_ns(resumed);
        report.storm = Some(Storm {
            dropped: dropped as u64,
            resumed: n,
            recovery_s: round(l.max_ms / 1e3, 3),
            p50_ms: l.p50_ms,
            p99_ms: l.p99_ms,
        });
    }
    Totals::of(outcomes, &bases).fill(&mut report);
    Ok(report)
}

/// Waits until every send is acknowledged and every delivery it causes has arrived (and,
/// after a storm, every client has resumed), or `secs` pass.
async fn drain(
    shared: &Shared,
    fleet: &mut Fleet,
    secs: f64,
    storm_clients: Option<usize>,
    resumed: &mut Vec<u64>,
) {
    let c = &shared.counters;
    let deadline = Instant::now() + Duration::from_secs_f64(secs.max(0.0));
    loop {
        let settled = Counters::get(&c.acked) >= Counters::get(&c.sent)
            && Counters::get(&c.delivered) >= Counters::get(&c.expected_deliveries)
            && storm_clients.is_none_or(|n| resumed.len() >= n);
        if settled || Instant::now() >= deadline {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            Some(Event::Resumed { took_ns, .. }) = fleet.events.recv() => resumed.push(took_ns),
        }
    }
}

/// Who sends next, and when.
struct Schedule {
    scenario: Scenario,
    rooms: Vec<Vec<u32>>,
    /// Member index → room.
    owner: Vec<u32>,
    rng: SplitMix,
    rate: f64,
    tick: Duration,
    burst: usize,
    burst_every: f64,
    turns: Vec<u64>,
    next_room: usize,
}

impl Schedule {
    fn new(ctx: &Context, plan: &Plan) -> Schedule {
        let o = &ctx.opts;
        Schedule {
            scenario: o.scenario,
            rooms: plan.rooms.clone(),
            owner: plan.members.iter().map(|m| m.room).collect(),
            rng: SplitMix(0x5eed_1e55_u64 ^ crate::stamp::wall_ns() as u64),
            rate: o.rate.max(0.0),
            tick: Duration::from_millis(o.tick_ms.max(1)),
            burst: o.burst,
            burst_every: o.burst_every.max(0.01),
            turns: vec![0; plan.rooms.len()],
            next_room: 0,
        }
    }

    /// Sends for `secs`; drops every client at `drop_at` seconds. Returns the resume times
    /// reported meanwhile.
    async fn run(&mut self, fleet: &mut Fleet, secs: f64, mut drop_at: Option<f64>) -> Vec<u64> {
        let mut resumed = Vec::new();
        let start = Instant::now();
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut due = 0u64;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                Some(ev) = fleet.events.recv() => {
                    if let Event::Resumed { took_ns, .. } = ev {
                        resumed.push(took_ns);
                    }
                    continue;
                }
            }
            let elapsed = start.elapsed().as_secs_f64();
            if drop_at.is_some_and(|at| elapsed >= at) {
                drop_at = None;
                fleet.broadcast(Command::Drop);
            }
            let target = match self.scenario {
                Scenario::Burst => {
                    let bursts = (elapsed.min(secs) / self.burst_every).floor() + 1.0;
                    (bursts * self.burst as f64) as u64
                }
                _ => (self.rate * elapsed.min(secs)) as u64,
            };
            while due < target && !self.owner.is_empty() {
                let (member, room) = self.pick();
                fleet.command(member, Command::Send { sent_ns: now_ns() });
                let others = self.rooms[room].len().saturating_sub(1) as u64;
                fleet
                    .shared
                    .counters
                    .expected_deliveries
                    .fetch_add(others, Ordering::Relaxed);
                due += 1;
            }
            if elapsed >= secs {
                return resumed;
            }
        }
    }

    fn pick(&mut self) -> (u32, usize) {
        if self.scenario == Scenario::Chat {
            let room = self.next_room % self.rooms.len();
            self.next_room += 1;
            let members = &self.rooms[room];
            let turn = self.turns[room];
            self.turns[room] += 1;
            let member = if turn & 1 == 0 || members.len() == 1 {
                members[0]
            } else {
                members[1 + (turn / 2) as usize % (members.len() - 1)]
            };
            return (member, room);
        }
        let member = (self.rng.next() % self.owner.len() as u64) as u32;
        (member, self.owner[member as usize] as usize)
    }
}

/// SplitMix64: small, fast, good enough to pick senders.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(scenario: Scenario, rooms: Vec<Vec<u32>>) -> Schedule {
        let owner = rooms
            .iter()
            .enumerate()
            .flat_map(|(r, m)| m.iter().map(move |_| r as u32))
            .collect();
        Schedule {
            scenario,
            turns: vec![0; rooms.len()],
            rooms,
            owner,
            rng: SplitMix(1),
            rate: 0.0,
            tick: Duration::from_millis(1),
            burst: 0,
            burst_every: 1.0,
            next_room: 0,
        }
    }

    #[test]
    fn in_steady_chat_rooms_take_turns_and_the_visitor_alternates_with_each_agent() {
        let mut s = schedule(Scenario::Chat, vec![vec![0, 1, 2], vec![3, 4]]);
        let picks: Vec<(u32, usize)> = (0..8).map(|_| s.pick()).collect();
        assert_eq!(
            picks,
            [
                (0, 0),
                (3, 1),
                (1, 0),
                (4, 1),
                (0, 0),
                (3, 1),
                (2, 0),
                (4, 1)
            ]
        );
    }

    #[test]
    fn fanout_picks_any_member_and_names_its_room() {
        let mut s = schedule(Scenario::Fanout, vec![vec![0, 1], vec![2, 3, 4]]);
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            let (m, r) = s.pick();
            assert_eq!(r, usize::from(m >= 2));
            seen[m as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 100), "{seen:?}");
    }
}
