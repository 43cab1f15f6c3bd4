//! `spawn_app()` and clients for every endpoint, shared by all test modules.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use livedesk_core::store::NewAgentRecord;
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::model::{Agent, Role};
use livedesk_server::{App, Clock, Config, ManualClock};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's server keeps its data: a temp dir (SQLite) or a fresh PostgreSQL database.
/// Both are removed when this is dropped, also when the test panics.
pub struct Database {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
    pub postgres: Option<livedesk_store::testing::TestDatabase>,
}

impl Database {
    /// `None` (after printing why) when the backend is not available here; under CI a missing
    /// PostgreSQL URL fails the test instead.
    pub async fn new(backend: Backend) -> Option<Database> {
        let dir = tempfile::tempdir().unwrap();
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin = livedesk_store::testing::postgres_url()?;
                Some(
                    livedesk_store::testing::fresh_postgres_database(&admin)
                        .await
                        .unwrap(),
                )
            }
        };
        let url = postgres.as_ref().map(|p| p.url().to_owned());
        Some(Database {
            backend,
            dir,
            url,
            postgres,
        })
    }

    /// Port 0, this database, and rate limits high enough for tests that send fast (the
    /// rate limit tests set their own).
    pub fn config(&self) -> Config {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: self.dir.path().to_owned(),
            database_url: self.url.clone(),
            shutdown_grace_secs: 2,
            ..Config::default()
        };
        let plenty = livedesk_server::config::Rate::try_from("100000/s".to_owned()).unwrap();
        config.limits.messages = plenty;
        config.limits.login = plenty;
        config.limits.login_account = plenty;
        config.limits.widget_sessions = plenty;
        config.limits.conversations = plenty;
        config
    }
}

/// A rate as written in the configuration (`"3/2s"`).
pub fn rate(raw: &str) -> livedesk_server::config::Rate {
    livedesk_server::config::Rate::try_from(raw.to_owned()).unwrap()
}

/// A server on `backend` with `configure` applied; `None` when the backend is not available.
pub async fn spawn_configured(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> Option<(TestApp, Database)> {
    let db = Database::new(backend).await?;
    let mut config = db.config();
    configure(&mut config);
    Some((spawn_with(config).await, db))
}

/// [`spawn_configured`] on a manual clock: the server's time moves only by
/// [`TestApp::advance`].
pub async fn spawn_configured_on_manual_clock(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> Option<(TestApp, Database)> {
    let db = Database::new(backend).await?;
    let mut config = db.config();
    configure(&mut config);
    Some((spawn_on_manual_clock(config).await, db))
}

/// A server running in this process.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub state: livedesk_server::SharedState,
    /// The clock the server runs on, when the test moves time by hand.
    pub clock: Option<ManualClock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// Moves the server's clock `by` ahead and returns once the work that came due (snooze
    /// wake-ups, re-offers, offline checks) has finished.
    pub async fn advance(&self, by: Duration) {
        self.manual_clock().advance(by).await;
    }

    /// The server's time, Unix ms.
    pub fn now_ms(&self) -> i64 {
        self.manual_clock().now_ms()
    }

    fn manual_clock(&self) -> &ManualClock {
        self.clock
            .as_ref()
            .expect("this server runs on the system clock; spawn it on a manual one")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/v1", self.addr)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), h).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a server on `config` (port 0 unless the config names one).
pub async fn spawn_with(config: Config) -> TestApp {
    spawn_on(config, None).await
}

/// [`spawn_with`] on a manual clock, which only [`TestApp::advance`] moves.
pub async fn spawn_on_manual_clock(config: Config) -> TestApp {
    spawn_on(config, Some(ManualClock::new())).await
}

async fn spawn_on(config: Config, manual: Option<ManualClock>) -> TestApp {
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let clock = manual
        .as_ref()
        .map_or_else(Clock::system, ManualClock::clock);
    let app = App::build_with_clock(config, listener, clock)
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    let state = app.state();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        app.run(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        addr,
        http: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap(),
        state,
        clock: manual,
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// A server on a fresh database of `backend`; `None` when the backend is not available.
pub async fn spawn_app(backend: Backend) -> Option<(TestApp, Database)> {
    let db = Database::new(backend).await?;
    let app = spawn_with(db.config()).await;
    Some((app, db))
}

/// An agent (with its bearer token) created straight in the store.
#[derive(Debug, Clone)]
pub struct AgentUser {
    pub agent: Agent,
    pub token: String,
}

/// A visitor with its token, in one inbox.
#[derive(Debug, Clone)]
pub struct VisitorUser {
    pub token: String,
    pub contact_id: Uuid,
    pub inbox_id: Uuid,
}

impl TestApp {
    /// A new workspace with an admin, signed in.
    pub async fn new_workspace_admin(&self) -> AgentUser {
        let ws = self
            .state
            .store
            .create_workspace(&DisplayName::parse("Acme").unwrap())
            .await
            .unwrap();
        self.new_agent(ws.id, Role::Admin).await
    }

    /// A new agent in `workspace_id`, signed in through the API.
    pub async fn new_agent(&self, workspace_id: Uuid, role: Role) -> AgentUser {
        let email = format!("{}@example.com", Uuid::new_v4().simple());
        let hash = livedesk_server::auth::hash_password(PASSWORD.into())
            .await
            .unwrap();
        self.state
            .store
            .create_agent(NewAgentRecord {
                workspace_id,
                email: Email::parse(&email).unwrap(),
                name: DisplayName::parse("Agent Smith").unwrap(),
                role,
                password_hash: hash,
            })
            .await
            .unwrap();
        let res = self.login(&email, PASSWORD).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        AgentUser {
            agent: serde_json::from_value(body["agent"].clone()).unwrap(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn create_inbox(&self, admin: &AgentUser, origins: &[&str]) -> Uuid {
        let res = self
            .http
            .post(self.url("/api/v1/inboxes"))
            .bearer_auth(&admin.token)
            .json(&json!({"name": "Website", "allowed_origins": origins}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn new_visitor(&self, inbox_id: Uuid) -> VisitorUser {
        let res = self
            .http
            .post(self.url("/api/v1/widget/sessions"))
            .json(&json!({"inbox_id": inbox_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        VisitorUser {
            token: body["visitor_token"].as_str().unwrap().to_owned(),
            contact_id: body["contact_id"].as_str().unwrap().parse().unwrap(),
            inbox_id,
        }
    }

    /// A conversation started by the visitor.
    pub async fn new_conversation(&self, visitor: &VisitorUser) -> Uuid {
        let res = self
            .http
            .post(self.url("/api/v1/conversations"))
            .bearer_auth(&visitor.token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// POST a message; returns the status and the JSON body.
    pub async fn send(
        &self,
        token: &str,
        conversation: Uuid,
        client_msg_id: &str,
        body: &str,
    ) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(&format!("/api/v1/conversations/{conversation}/messages")))
            .bearer_auth(token)
            .json(&json!({"client_msg_id": client_msg_id, "body": body}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// GET messages after `after_seq`; returns the status and the JSON body.
    pub async fn messages(&self, token: &str, conversation: Uuid, after_seq: i64) -> (u16, Value) {
        let res = self
            .http
            .get(self.url(&format!(
                "/api/v1/conversations/{conversation}/messages?after_seq={after_seq}&limit=500"
            )))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A standard scene: a workspace admin, an inbox, a visitor with a conversation.
    pub async fn scene(&self) -> Scene {
        let agent = self.new_workspace_admin().await;
        let inbox = self.create_inbox(&agent, &["http://shop.example"]).await;
        let visitor = self.new_visitor(inbox).await;
        let conversation = self.new_conversation(&visitor).await;
        Scene {
            agent,
            inbox,
            visitor,
            conversation,
        }
    }
}

pub struct Scene {
    pub agent: AgentUser,
    pub inbox: Uuid,
    pub visitor: VisitorUser,
    pub conversation: Uuid,
}

/// A WebSocket client speaking the protocol, recording every frame it receives.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every text frame received so far, parsed.
    pub received: Vec<Value>,
}

/// Opens `url` with an optional `Origin`; returns the handshake's HTTP status on refusal.
pub async fn ws_connect(url: &str, origin: Option<&str>) -> Result<WsClient, u16> {
    let mut req = url.into_client_request().unwrap();
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(o).unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(WsClient {
            ws,
            received: Vec::new(),
        }),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

impl WsClient {
    /// Connects and says hello with `token`; returns once `welcome` arrived.
    pub async fn open(app: &TestApp, token: &str) -> WsClient {
        let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
        ws.hello(token, &[]).await;
        ws
    }

    pub async fn hello(&mut self, token: &str, cursors: &[(Uuid, i64)]) -> Value {
        let cursors: Vec<Value> = cursors
            .iter()
            .map(|(c, s)| json!({"conversation_id": c, "last_seq": s}))
            .collect();
        self.send_json(json!({"type": "hello", "id": "h", "token": token, "cursors": cursors}))
            .await;
        self.expect("welcome").await
    }

    pub async fn send_json(&mut self, v: Value) {
        self.send_text(v.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.unwrap();
    }

    /// Sends `message.send` and returns the frame id used.
    pub async fn send_message(
        &mut self,
        conversation: Uuid,
        client_msg_id: &str,
        body: &str,
    ) -> String {
        let id = format!("f-{client_msg_id}");
        self.send_json(json!({
            "type": "message.send", "id": id, "conversation_id": conversation,
            "client_msg_id": client_msg_id, "body": body
        }))
        .await;
        id
    }

    /// The next text frame (pings are answered by the library), or `None` on close or
    /// after `wait`. Close frames are returned as `{"type":"__close","code":N}`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match msg {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    self.received.push(v.clone());
                    return Some(v);
                }
                Ok(Message::Close(frame)) => {
                    let code = frame.map(|f| u16::from(f.code)).unwrap_or(1005);
                    return Some(json!({"type": "__close", "code": code}));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("a frame within 10 s")
    }

    /// Reads until a frame of `type` arrives (others are kept in `received`).
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
            assert_ne!(
                v["type"], "__close",
                "socket closed while waiting for {kind}: {v}"
            );
        }
    }

    /// Reads until a frame `is_barrier` accepts arrives; returns every frame before it. All
    /// of them, the barrier too, stay in `received`. Fails if the socket closes first or no
    /// barrier comes within 10 s of the last frame.
    ///
    /// This is how a test shows that something did *not* reach a socket: after the action
    /// that must stay silent here, cause a frame this socket must receive after anything
    /// that action could have queued for it, wait for that frame, and look at what came
    /// before it. Waiting a fixed time instead passes whenever the unwanted frame is merely
    /// late. Which frame can serve as the barrier follows from how a socket writes
    /// (`crates/server/src/ws/session.rs`, `writer.rs`, `crates/server/src/hub.rs`):
    ///
    /// - Live events (`message.created`, `typing`, `receipt`, `notification`, …) go through
    ///   one FIFO queue per socket, fed by every topic the socket listens to. Publishing puts
    ///   an event into that queue within the publishing call itself (`Hub::deliver`), and
    ///   that call returns before the action that publishes answers: a committed message is
    ///   published before its sender gets the `ack` or the REST response, a typing or receipt
    ///   frame while its socket's reader handles it. The writer takes the queue in order and
    ///   may skip an event, never reorder. So an event caused after an action was answered
    ///   arrives after every event that action queued for this socket.
    /// - Replies (`ack`, `error`, replayed messages, `resumed`, `pong`) go through a second
    ///   FIFO queue. One reader handles a socket's frames one at a time, in order, and
    ///   queues each reply as it handles the frame. So a `pong` shows that every frame this
    ///   socket sent before the `ping` was handled, with whatever it published, and that every
    ///   earlier reply was written ([`WsClient::frames_before_pong`]).
    /// - But the two queues are not ordered against each other. When both hold something the
    ///   writer takes the replies first (a biased `select!`), so a `pong` can overtake an
    ///   event that was queued before the `ping` was read: a `pong` is no barrier for live
    ///   events; those need a live event as their barrier (a later message, or a typing
    ///   frame: an agent hears its own). Nor is an event strictly one for replies (the writer
    ///   may find the reply queue empty just before a reply lands, then take a later event),
    ///   so a check for replies (`error`, `ack`, `pong`) that must not come uses a `pong`.
    pub async fn frames_until(
        &mut self,
        what: &str,
        is_barrier: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let mut before = Vec::new();
        loop {
            let Some(v) = self.next_within(Duration::from_secs(10)).await else {
                panic!("no {what} within 10 s; before it: {before:?}");
            };
            assert_ne!(
                v["type"], "__close",
                "socket closed while waiting for {what}: {v}; before it: {before:?}"
            );
            if is_barrier(&v) {
                return before;
            }
            before.push(v);
        }
    }

    /// Sends a `ping` and returns every frame before its `pong`: proof that this socket's
    /// earlier frames were handled and their replies written, but not that live events
    /// queued meanwhile were (see [`WsClient::frames_until`]).
    pub async fn frames_before_pong(&mut self) -> Vec<Value> {
        let id = format!("barrier-{}", Uuid::new_v4().simple());
        self.send_json(json!({"type": "ping", "id": id})).await;
        self.frames_until(&format!("pong {id}"), |v| {
            v["type"] == "pong" && v["id"] == id.as_str()
        })
        .await
    }

    /// On an agent's socket: stops typing on `conversation` and returns every frame before that
    /// typing frame comes back (an agent hears its own typing). It travels with the live
    /// events, so this is a barrier for them that stores nothing (see
    /// [`WsClient::frames_until`]); typing past 20 frames a second is dropped, so it is for
    /// sockets that do not type in bulk.
    pub async fn frames_before_own_typing(&mut self, conversation: Uuid) -> Vec<Value> {
        let me = self
            .received
            .iter()
            .find(|v| v["type"] == "welcome")
            .and_then(|v| v["principal"]["agent"]["id"].as_str())
            .expect("an agent's socket, past its welcome")
            .to_owned();
        self.send_json(json!({"type": "typing", "conversation_id": conversation, "on": false}))
            .await;
        let conversation = conversation.to_string();
        self.frames_until("its own typing", |v| {
            v["type"] == "typing"
                && v["on"] == false
                && v["conversation_id"] == conversation.as_str()
                && v["author"]["id"] == me.as_str()
        })
        .await
    }

    /// Every frame before the `message.created` whose body is `body`: a message is a barrier
    /// for the live events queued before it was sent (see [`WsClient::frames_until`]).
    pub async fn frames_before_message(&mut self, body: &str) -> Vec<Value> {
        self.frames_until(&format!("message {body:?}"), |v| {
            v["type"] == "message.created" && v["message"]["body"] == body
        })
        .await
    }

    /// Reads until the socket closes; returns the close code (1006 if it just dropped).
    pub async fn expect_close(&mut self) -> u16 {
        loop {
            match self.next_within(Duration::from_secs(10)).await {
                Some(v) if v["type"] == "__close" => return v["code"].as_u64().unwrap() as u16,
                Some(_) => continue,
                None => return 1006,
            }
        }
    }

    /// Every `message.created` for `conversation` received on this socket so far (earlier
    /// reads included), once there are at least `n`; waits for more as needed.
    pub async fn collect_messages(&mut self, conversation: Uuid, n: usize) -> Vec<Value> {
        let id = conversation.to_string();
        let matching = |received: &[Value]| -> Vec<Value> {
            received
                .iter()
                .filter(|v| {
                    v["type"] == "message.created" && v["message"]["conversation_id"] == id.as_str()
                })
                .map(|v| v["message"].clone())
                .collect()
        };
        loop {
            let got = matching(&self.received);
            if got.len() >= n {
                return got;
            }
            self.next().await;
        }
    }

    /// Closes the socket and waits until the server has let go of it (it drops the
    /// connection only after it stopped counting the socket as connected), so that what
    /// follows sees the server after the close.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            // The server's close frame, then the end of the connection itself: the client
            // library may call the socket closed at the frame, before the server let go.
            while let Some(Ok(_)) = self.ws.next().await {}
            let mut rest = [0u8; 64];
            while matches!(self.ws.get_mut().read(&mut rest).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// The `livedesk` binary as a child process, started with a clean `LIVEDESK_*` environment
/// (the test runner's own `LIVEDESK_TEST_POSTGRES_URL` would otherwise be read as an unknown
/// configuration key), and message and visitor-session rates high enough for bursts.
pub struct ServerProcess {
    pub process: tokio::process::Child,
    pub addr: SocketAddr,
}

/// The `livedesk` binary on `db`'s data, with none of this process's `LIVEDESK_*` variables.
pub fn livedesk_command(db: &Database) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_livedesk"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LIVEDESK_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("--data-dir").arg(db.dir.path());
    if let Some(url) = &db.url {
        cmd.arg("--database-url").arg(url);
    }
    cmd.env("NO_COLOR", "1").kill_on_drop(true);
    cmd
}

impl ServerProcess {
    /// Starts `livedesk serve` on port 0 and waits until it prints its address.
    pub async fn start(db: &Database) -> ServerProcess {
        let mut cmd = livedesk_command(db);
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .env("LIVEDESK_LOG_FORMAT", "text")
            .env("LIVEDESK_LIMITS__MESSAGES", "10000/s")
            .env("LIVEDESK_LIMITS__WIDGET_SESSIONS", "10000/s")
            .env("LIVEDESK_LIMITS__CONVERSATIONS", "10000/s")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut process = cmd.spawn().unwrap();
        let stderr = process.stderr.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            let mut log = String::new();
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap();
                    return addr.parse::<SocketAddr>().unwrap();
                }
                log.push_str(&line);
                log.push('\n');
            }
            panic!("server exited before serving:\n{log}");
        })
        .await
        .expect("server started within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServerProcess { process, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/v1", self.addr)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub async fn kill_9(&mut self) {
        self.process.start_kill().unwrap();
        let status = self.process.wait().await.unwrap();
        assert!(!status.success(), "the server was killed, not stopped");
    }
}

pub fn data_path(db: &Database) -> PathBuf {
    db.dir.path().to_owned()
}

/// Declares `<name>_on_sqlite` and `<name>_on_postgres` tests that call `body(app, db)`;
/// the PostgreSQL one skips (printing why) when `LIVEDESK_TEST_POSTGRES_URL` is unset, and
/// fails when `CI` is set too.
#[macro_export]
macro_rules! on_both_backends {
    ($sqlite:ident, $postgres:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            if let Some((app, db)) =
                $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await
            {
                $body(app, db).await;
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some((app, db)) =
                $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
            {
                $body(app, db).await;
            }
        }
    };
}

/// A JSON call with an optional bearer token, from a client without the cookie jar (the shared
/// `app.http` holds the session cookie of the last agent signed in); the status and the body.
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}
