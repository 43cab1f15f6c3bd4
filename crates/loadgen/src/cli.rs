//! The `livedesk-loadgen` command line: `setup`, `run`, `report`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::{LoadError, Result};
use crate::report::{self, Report};
use crate::scenario::{self, RunOptions, Scenario, TargetKind};
use crate::setup::{self, RoomSize, SetupOptions};

#[derive(Debug, Parser)]
#[command(
    name = "livedesk-loadgen",
    version,
    about = "Load generator for Livedesk and its floor: real protocol, every delivery verified"
)]
pub struct Cli {
    /// Runtime worker threads (default: the CPUs this process may use; 1 runs single-threaded).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a fixture (workspaces, agents, visitors, conversations) on a running server and
    /// print it as JSON.
    Setup(SetupArgs),
    /// Run one scenario; prints the JSON result on standard output.
    Run(Box<RunArgs>),
    /// Put result files (JSON, one per file or per line) in one markdown table.
    Report { files: Vec<PathBuf> },
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The server's HTTP origin.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The `livedesk` binary (for `admin create`, which makes workspaces).
    #[arg(long, default_value = "target/release/livedesk")]
    pub bin: PathBuf,
    /// The server's data directory (SQLite).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The server's database URL (PostgreSQL).
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub rooms: usize,
    /// Sockets per room: 1 visitor + K-1 agents; `2-4` makes rooms of 2, 3, 4 in turn.
    #[arg(long, default_value = "10")]
    pub room_size: RoomSize,
    /// Agent accounts per room (default one per agent socket; fewer are reused in turn).
    #[arg(long)]
    pub agents_per_room: Option<usize>,
    /// Extra visitors (no conversation) for the idle scenario.
    #[arg(long, default_value_t = 0)]
    pub idle_visitors: usize,
    /// Rooms made at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Write the fixture here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    #[arg(long, value_enum, default_value = "livedesk")]
    pub target: TargetKind,
    /// Livedesk: HTTP origin (default: the fixture's); floor: its WebSocket URL.
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Rooms to use (Livedesk: the fixture's first N; floor default 50).
    #[arg(long)]
    pub rooms: Option<usize>,
    /// Sockets per room, `10` or `2-4` (Livedesk default: as set up; floor default 10).
    #[arg(long)]
    pub room_size: Option<RoomSize>,
    /// Messages per second, all senders together (open loop).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of traffic before the measured window.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Seconds allowed after the window for the last acks and deliveries.
    #[arg(long, default_value_t = 10.0)]
    pub drain: f64,
    /// Idle: sockets to open.
    #[arg(long, default_value_t = 2000)]
    pub clients: usize,
    /// Burst: messages sent at once.
    #[arg(long, default_value_t = 2000)]
    pub burst: usize,
    /// Burst: seconds between bursts.
    #[arg(long, default_value_t = 2.0)]
    pub burst_every: f64,
    /// Storm: seconds into the window when every client is dropped (default a third).
    #[arg(long)]
    pub drop_at: Option<f64>,
    /// Persist: sending sockets.
    #[arg(long, default_value_t = 32)]
    pub senders: usize,
    /// Persist: unacknowledged sends each sender keeps in flight.
    #[arg(long, default_value_t = 16)]
    pub window: usize,
    /// The server's PID, to read its CPU time and memory from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    #[arg(long)]
    pub label: Option<String>,
    /// A floor result of the same scenario: adds the CPU-per-delivery ratio.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Also write the JSON result here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write the markdown summary here (it always goes to standard error).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    #[arg(long, default_value_t = 64)]
    pub body_bytes: usize,
    /// Clients dialing and authenticating at once.
    #[arg(long, default_value_t = 100)]
    pub connect_concurrency: usize,
    /// Spread client source addresses over this many 127.x.y.z addresses (for > 25 000 sockets).
    #[arg(long, default_value_t = 1)]
    pub source_ips: usize,
    /// Open-loop scheduling tick, ms.
    #[arg(long, default_value_t = 2)]
    pub tick_ms: u64,
    /// Client WebSocket read buffer, bytes.
    #[arg(long, default_value_t = 4096)]
    pub client_read_buf: usize,
    /// Start-up: the `livedesk` binary.
    #[arg(long)]
    pub bin: Option<PathBuf>,
    /// Start-up: data directory of the existing database.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Start-up: database URL (PostgreSQL).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Start-up: where the started server listens.
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub listen: SocketAddr,
    /// Start-up: how many times.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
}

impl RunArgs {
    fn options(&self) -> RunOptions {
        RunOptions {
            scenario: self.scenario,
            target: self.target,
            url: self.url.clone(),
            fixture: self.fixture.clone(),
            rooms: self.rooms,
            room_size: self.room_size,
            rate: self.rate,
            duration: self.duration,
            warmup: self.warmup,
            drain: self.drain,
            clients: self.clients,
            burst: self.burst,
            burst_every: self.burst_every,
            drop_at: self.drop_at,
            senders: self.senders,
            window: self.window,
            server_pid: self.server_pid,
            label: self.label.clone(),
            baseline: self.baseline.clone(),
            body_bytes: self.body_bytes,
            connect_concurrency: self.connect_concurrency,
            source_ips: self.source_ips,
            tick_ms: self.tick_ms,
            client_read_buf: self.client_read_buf,
            bin: self.bin.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            listen: self.listen,
            repeat: self.repeat,
        }
    }
}

/// Runs the command line; returns the exit code.
pub fn main(cli: Cli) -> i32 {
    let threads = cli
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let result = match runtime {
        Ok(rt) => rt.block_on(dispatch(cli.command)),
        Err(e) => Err(LoadError::Io(e)),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

async fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Setup(a) => {
            let opts = SetupOptions {
                url: a.url,
                bin: a.bin,
                data_dir: a.data_dir,
                database_url: a.database_url,
                rooms: a.rooms,
                room_size: a.room_size,
                agents_per_room: a.agents_per_room,
                idle_visitors: a.idle_visitors,
                concurrency: a.concurrency,
            };
            let fixture = setup::setup(&opts).await?;
            match a.out {
                Some(path) => write(&path, &fixture.to_json())?,
                None => println!("{}", fixture.to_json()),
            }
        }
        Command::Run(a) => {
            let report = scenario::run(&a.options()).await?;
            let json = serde_json::to_string(&report).unwrap_or_default();
            println!("{json}");
            if let Some(path) = &a.out {
                write(
                    path,
                    &serde_json::to_string_pretty(&report).unwrap_or_default(),
                )?;
            }
            let md = report.markdown();
            eprintln!("\n{md}");
            if let Some(path) = &a.markdown {
                write(path, &md)?;
            }
        }
        Command::Report { files } => {
            let mut reports = Vec::new();
            for path in files {
                reports.extend(read_reports(&path)?);
            }
            print!("{}", report::table(&reports));
        }
    }
    Ok(())
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| LoadError::File {
        path: path.to_owned(),
        source,
    })
}

/// A pretty-printed report, or JSON lines of reports.
fn read_reports(path: &std::path::Path) -> Result<Vec<Report>> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::File {
        path: path.to_owned(),
        source,
    })?;
    let bad = |source| LoadError::Json {
        path: path.to_owned(),
        source,
    };
    if let Ok(one) = serde_json::from_str::<Report>(&text) {
        return Ok(vec![one]);
    }
    text.lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).map_err(bad))
        .collect()
}
