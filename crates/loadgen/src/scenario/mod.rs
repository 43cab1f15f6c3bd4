//! Scenarios: what a run does with its clients, and the measurements around it.
//!
//! - `traffic`: fan-out rooms, steady chat, bursts and the reconnect storm (open loop);
//! - `idle`: connect many sockets, hold them, measure memory per connection;
//! - `persist`: senders keeping a window of unacknowledged sends (closed loop), acks/s;
//! - `startup`: start the server on an existing database, time until it is ready;
//! - [`fleet`], [`plan`]: the clients of a run and who they are.

pub mod fleet;
mod idle;
mod persist;
pub mod plan;
mod startup;
mod traffic;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::api::Api;
use crate::client::{self, Outcome, Protocol, Shared, Target};
use crate::error::{LoadError, Result};
use crate::fixture::Fixture;
use crate::procstat::{self, ProcSample};
use crate::report::{Baseline, Report, Server};
use crate::stats::{round, Latency};
use crate::verify::{reconcile, Acked, StreamId, Tally};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Idle,
    Chat,
    Fanout,
    Burst,
    Storm,
    Persist,
    Startup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    Livedesk,
    Floor,
}

/// Everything `run` can be asked; see `cli` for meanings and defaults.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub scenario: Scenario,
    pub target: TargetKind,
    pub url: Option<String>,
    pub fixture: Option<PathBuf>,
    pub rooms: Option<usize>,
    pub room_size: Option<crate::setup::RoomSize>,
    pub rate: f64,
    pub duration: f64,
    pub warmup: f64,
    pub drain: f64,
    pub clients: usize,
    pub burst: usize,
    pub burst_every: f64,
    pub drop_at: Option<f64>,
    pub senders: usize,
    pub window: usize,
    pub server_pid: Option<u32>,
    pub label: Option<String>,
    pub baseline: Option<PathBuf>,
    pub body_bytes: usize,
    pub connect_concurrency: usize,
    pub source_ips: usize,
    pub tick_ms: u64,
    pub client_read_buf: usize,
    pub bin: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    pub repeat: usize,
}

pub async fn run(opts: &RunOptions) -> Result<Report> {
    let mut report = match opts.scenario {
        Scenario::Startup => startup::run(opts).await?,
        Scenario::Idle => idle::run(&Context::new(opts).await?).await?,
        Scenario::Persist => persist::run(&Context::new(opts).await?).await?,
        _ => traffic::run(&Context::new(opts).await?).await?,
    };
    if let Some(path) = &opts.baseline {
        attach_baseline(&mut report, path)?;
    }
    report.evaluate();
    Ok(report)
}

fn attach_baseline(report: &mut Report, path: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::File {
        path: path.to_owned(),
        source,
    })?;
    let floor: Report = serde_json::from_str(&text).map_err(|source| LoadError::Json {
        path: path.to_owned(),
        source,
    })?;
    let ours = report.server.as_ref().and_then(|s| s.cpu_us_per_delivery);
    let theirs = floor.server.as_ref().and_then(|s| s.cpu_us_per_delivery);
    if let (Some(ours), Some(theirs)) = (ours, theirs) {
        if theirs > 0.0 {
            report.baseline = Some(Baseline {
                label: floor.label,
                cpu_us_per_delivery: theirs,
                ratio: round(ours / theirs, 3),
            });
        }
    }
    Ok(())
}

/// What every socket scenario starts from.
pub struct Context {
    pub opts: RunOptions,
    pub target: Target,
    pub fixture: Option<Fixture>,
    pub api: Option<Api>,
}

impl Context {
    async fn new(opts: &RunOptions) -> Result<Context> {
        let (protocol, fixture) = match opts.target {
            TargetKind::Floor => (Protocol::Raw, None),
            TargetKind::Livedesk => {
                let path = opts.fixture.as_ref().ok_or_else(|| {
                    LoadError::usage("--fixture is needed for Livedesk (make one with `setup`)")
                })?;
                (Protocol::Livedesk, Some(Fixture::load(path)?))
            }
        };
        let http = opts
            .url
            .clone()
            .or_else(|| fixture.as_ref().map(|f| f.url.clone()))
            .unwrap_or_else(|| "ws://127.0.0.1:3000/ws".into());
        let ws_url = match protocol {
            Protocol::Raw => http.clone(),
            Protocol::Livedesk => {
                let base = http.trim_end_matches('/');
                let base = base
                    .replacen("https://", "wss://", 1)
                    .replacen("http://", "ws://", 1);
                format!("{base}/ws/v1")
            }
        };
        let api = match protocol {
            Protocol::Livedesk => Some(Api::new(&http)?),
            Protocol::Raw => None,
        };
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(opts.client_read_buf)
            .write_buffer_size(0);
        let target = Target {
            protocol,
            addr: client::resolve(&ws_url).await?,
            ws_url,
            source_ips: client::source_ips(opts.source_ips),
            ws_config,
        };
        Ok(Context {
            opts: opts.clone(),
            target,
            fixture,
            api,
        })
    }

    fn api(&self) -> Result<&Api> {
        self.api
            .as_ref()
            .ok_or_else(|| LoadError::usage("this scenario needs --target livedesk"))
    }

    fn fixture(&self) -> Result<&Fixture> {
        self.fixture
            .as_ref()
            .ok_or_else(|| LoadError::usage("this scenario needs --target livedesk"))
    }

    pub fn shared(&self) -> Arc<Shared> {
        Arc::new(Shared {
            target: self.target.clone(),
            counters: Default::default(),
            window: Default::default(),
            body_bytes: self.opts.body_bytes,
            run_ms: u64::try_from(crate::stamp::wall_ns() / 1_000_000).unwrap_or(0),
            connecting: Semaphore::new(self.opts.connect_concurrency.max(1)),
            reconnect: self.target.protocol == Protocol::Livedesk,
        })
    }

    /// The report's identity fields.
    pub fn report(&self, clients: usize, rooms: usize, room_size: String) -> Report {
        let target = match self.opts.target {
            TargetKind::Livedesk => "livedesk",
            TargetKind::Floor => "floor",
        };
        let scenario = format!("{:?}", self.opts.scenario).to_lowercase();
        Report {
            label: self
                .opts
                .label
                .clone()
                .unwrap_or_else(|| format!("{target}/{scenario}")),
            target: target.into(),
            scenario,
            backend: self.fixture.as_ref().map(|f| f.backend.clone()),
            clients: clients as u64,
            rooms: rooms as u64,
            room_size,
            ..Report::default()
        }
    }
}

/// Readings of the server (when its PID is known) and of this process.
pub struct Meter {
    pid: Option<u32>,
    at: Instant,
    server: Option<ProcSample>,
    loader: Option<ProcSample>,
}

impl Meter {
    pub fn now(pid: Option<u32>) -> Meter {
        Meter {
            pid,
            at: Instant::now(),
            server: pid.and_then(procstat::sample),
            loader: procstat::sample(std::process::id()),
        }
    }

    pub fn rss_kib(&self) -> u64 {
        self.server.map(|s| s.rss_kib).unwrap_or(0)
    }

    /// Seconds since `earlier`, server CPU seconds and loader CPU % over it.
    pub fn since(&self, earlier: &Meter) -> (f64, Option<f64>, f64) {
        let dt = self.at.duration_since(earlier.at).as_secs_f64().max(1e-9);
        let cpu = match (earlier.server, self.server) {
            (Some(a), Some(b)) => Some(b.cpu_s - a.cpu_s),
            _ => None,
        };
        let loader = match (earlier.loader, self.loader) {
            (Some(a), Some(b)) => 100.0 * (b.cpu_s - a.cpu_s) / dt,
            _ => 0.0,
        };
        (dt, cpu, round(loader, 1))
    }

    /// The server block: memory at each point, CPU over the window.
    pub fn server(
        before: &Meter,
        connected: &Meter,
        window: (&Meter, &Meter),
        after: &Meter,
        clients: u64,
    ) -> Option<Server> {
        let pid = before.pid?;
        let (dt, cpu, _) = window.1.since(window.0);
        let per_conn =
            (connected.rss_kib() as f64 - before.rss_kib() as f64) / clients.max(1) as f64;
        Some(Server {
            pid,
            rss_kib_before_connect: before.rss_kib(),
            rss_kib_connected: connected.rss_kib(),
            rss_kib_per_conn: round(per_conn, 2),
            rss_kib_after: after.rss_kib(),
            threads: after.server.map(|s| s.threads).unwrap_or(0),
            cpu_pct_in_window: round(100.0 * cpu.unwrap_or(0.0) / dt, 1),
            cpu_us_per_delivery: None,
            cpu_us_per_ack: None,
        })
    }
}

/// Everything the clients saw, put together.
#[derive(Debug, Default)]
pub struct Totals {
    pub tally: Tally,
    pub acked: u64,
    pub sent: u64,
    pub unacked: u64,
    pub seq_holes: u64,
    pub latencies: Vec<u64>,
    pub ack_latencies: Vec<u64>,
    pub errors: std::collections::BTreeMap<String, u64>,
    pub reconnects: u64,
    pub failed: u64,
}

impl Totals {
    /// Merges acknowledgements, then checks every receiver against them. `bases` gives each
    /// stream's starting number (for counting holes).
    pub fn of(outcomes: Vec<Outcome>, bases: &HashMap<StreamId, i64>) -> Totals {
        let mut t = Totals::default();
        let mut acked = Acked::default();
        for o in &outcomes {
            acked.merge(o.acked.clone());
        }
        acked.finish();
        t.acked = acked.count();
        t.seq_holes = bases.iter().map(|(&s, &b)| acked.holes(s, b)).sum();
        for o in outcomes {
            t.tally.add(&reconcile(&o.verifier, &acked));
            t.sent += o.sent;
            t.unacked += o.unacked;
            t.latencies.extend(o.latencies);
            t.ack_latencies.extend(o.ack_latencies);
            for (k, v) in o.errors {
                *t.errors.entry(k).or_default() += v;
            }
            t.reconnects += o.reconnects;
            t.failed += u64::from(o.failed.is_some());
        }
        t
    }

    /// Copies the totals into `report`.
    pub fn fill(self, report: &mut Report) {
        report.sent = self.sent;
        report.acked = self.acked;
        report.unacked = self.unacked;
        report.verify = self.tally;
        report.seq_holes = self.seq_holes;
        report.errors = self.errors;
        report.reconnects = self.reconnects;
        report.failed_clients = self.failed;
        if !self.latencies.is_empty() {
            report.latency = Some(Latency::from_ns(self.latencies));
        }
        if !self.ack_latencies.is_empty() {
            report.ack_latency = Some(Latency::from_ns(self.ack_latencies));
        }
    }
}

/// Each stream's base, from the members' expectations.
pub fn bases(members: &[client::Member]) -> HashMap<StreamId, i64> {
    members
        .iter()
        .flat_map(|m| m.expects.iter().copied())
        .collect()
}
