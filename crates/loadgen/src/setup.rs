//! `livedesk-loadgen setup`: makes the fixture through the product's own paths: the
//! `livedesk admin create` command for each workspace, then sign-in, inbox, agents, a widget
//! session and a conversation over `/api/v1`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use tokio::io::AsyncWriteExt as _;

use crate::api::Api;
use crate::error::{LoadError, Result};
use crate::fixture::{AgentLogin, Fixture, Room, Visitor};

/// `10`, or a range `2-4` that rooms take in turn (2, 3, 4, 2, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomSize {
    pub min: usize,
    pub max: usize,
}

impl RoomSize {
    pub fn of_room(&self, index: usize) -> usize {
        self.min + index % (self.max - self.min + 1)
    }
}

impl FromStr for RoomSize {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("`{s}` is not a room size (`10` or `2-4`)");
        let (min, max) = match s.split_once('-') {
            Some((a, b)) => (a.trim().parse(), b.trim().parse()),
            None => (s.trim().parse(), s.trim().parse()),
        };
        let (min, max): (usize, usize) = (min.map_err(|_| bad())?, max.map_err(|_| bad())?);
        if min == 0 || max < min {
            return Err(bad());
        }
        Ok(Self { min, max })
    }
}

#[derive(Debug, Clone)]
pub struct SetupOptions {
    pub url: String,
    /// The `livedesk` binary, for `admin create`.
    pub bin: PathBuf,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub rooms: usize,
    pub room_size: RoomSize,
    /// Agent accounts per room (default: one per agent socket).
    pub agents_per_room: Option<usize>,
    pub idle_visitors: usize,
    pub concurrency: usize,
}

/// Builds a fixture on a running server.
pub async fn setup(opts: &SetupOptions) -> Result<Fixture> {
    let api = Api::new(&opts.url)?;
    if !api.ready().await {
        return Err(LoadError::usage(format!(
            "no ready Livedesk at {} (GET /readyz)",
            opts.url
        )));
    }
    let tag = format!("{:x}", crate::stamp::wall_ns());
    let password = format!("loadgen-{tag}-password");
    let done = AtomicUsize::new(0);
    let tty = std::io::stderr().is_terminal();
    let rooms: Vec<Room> = stream::iter(0..opts.rooms)
        .map(|i| {
            let (api, tag, password, done) = (&api, &tag, &password, &done);
            async move {
                let room = make_room(opts, api, tag, password, i).await?;
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if tty {
                    eprint!("\rsetup: {n}/{} rooms", opts.rooms);
                }
                Ok::<_, LoadError>(room)
            }
        })
        .buffered(opts.concurrency.max(1))
        .try_collect()
        .await?;
    eprintln!(
        "{}setup: {} rooms made",
        if tty { "\r" } else { "" },
        rooms.len()
    );
    let mut idle_visitors = Vec::with_capacity(opts.idle_visitors);
    if let Some(first) = rooms.first() {
        let inbox = first.inbox_id;
        idle_visitors = stream::iter(0..opts.idle_visitors)
            .map(|_| {
                let api = &api;
                async move { api.widget_session(inbox).await.map(|w| w.visitor_token) }
            })
            .buffer_unordered(16)
            .try_collect()
            .await?;
    }
    let backend = match &opts.database_url {
        Some(u) if u.starts_with("postgres") => "postgres",
        _ => "sqlite",
    };
    Ok(Fixture {
        url: opts.url.clone(),
        backend: backend.to_owned(),
        rooms,
        idle_visitors,
    })
}

async fn make_room(
    opts: &SetupOptions,
    api: &Api,
    tag: &str,
    password: &str,
    i: usize,
) -> Result<Room> {
    let size = opts.room_size.of_room(i);
    let sockets = size.saturating_sub(1).max(1);
    let accounts = opts.agents_per_room.unwrap_or(sockets).clamp(1, sockets);
    let admin_email = format!("room{i}-{tag}@loadgen.example");
    admin_create(opts, &admin_email, &format!("Load room {i}"), password).await?;
    let admin = api.login(&admin_email, password).await?;
    let inbox = api.create_inbox(&admin.token, "Website").await?;
    let mut agents = vec![AgentLogin {
        id: admin.agent.id,
        email: admin_email,
        token: admin.token.clone(),
    }];
    for j in 1..accounts {
        let email = format!("room{i}-agent{j}-{tag}@loadgen.example");
        let agent = api
            .create_agent(
                &admin.token,
                &email,
                &format!("Agent {j}"),
                password,
                inbox.id,
            )
            .await?;
        let login = api.login(&email, password).await?;
        agents.push(AgentLogin {
            id: agent.id,
            email,
            token: login.token,
        });
    }
    let session = api.widget_session(inbox.id).await?;
    let conversation = api.create_conversation(&session.visitor_token).await?;
    Ok(Room {
        size,
        workspace_id: admin.agent.workspace_id,
        inbox_id: inbox.id,
        conversation_id: conversation.id,
        visitor: Visitor {
            contact_id: session.contact_id,
            token: session.visitor_token,
        },
        agents,
    })
}

/// `livedesk admin create --email … --workspace … --password-stdin`: a new workspace and its admin.
async fn admin_create(
    opts: &SetupOptions,
    email: &str,
    workspace: &str,
    password: &str,
) -> Result<()> {
    let program = opts.bin.display().to_string();
    let fail = |reason: String| LoadError::Command {
        program: program.clone(),
        reason,
    };
    let mut cmd = tokio::process::Command::new(&opts.bin);
    cmd.args([
        "admin",
        "create",
        "--email",
        email,
        "--workspace",
        workspace,
    ])
    .arg("--password-stdin")
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(d) = &opts.data_dir {
        cmd.arg("--data-dir").arg(d);
    }
    if let Some(u) = &opts.database_url {
        cmd.arg("--database-url").arg(u);
    }
    let mut child = cmd.spawn().map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(format!("{password}\n").as_bytes())
            .await
            .map_err(|e| fail(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_sizes_are_one_number_or_a_range_taken_in_turn() {
        assert_eq!("10".parse(), Ok(RoomSize { min: 10, max: 10 }));
        let r: RoomSize = "2-4".parse().unwrap_or(RoomSize { min: 0, max: 0 });
        let sizes: Vec<usize> = (0..5).map(|i| r.of_room(i)).collect();
        assert_eq!(sizes, [2, 3, 4, 2, 3]);
        assert!("0".parse::<RoomSize>().is_err());
        assert!("4-2".parse::<RoomSize>().is_err());
        assert!("x".parse::<RoomSize>().is_err());
    }
}
