//! Operating the server: health, readiness, metrics, graceful shutdown, and the command line.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{spawn_app, ws_connect, Backend, Database, TestApp, WsClient};

// ---------------------------------------------------------------------------------------
// Health and readiness

async fn health_and_readiness(app: TestApp, _db: Database) {
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ready");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/app");
    let res = reqwest::get(app.url("/app/conversations/x")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(res.text().await.unwrap().contains("<title>Livedesk"));
    app.stop().await;
}

crate::on_both_backends!(
    healthz_and_readyz_answer_200_on_sqlite,
    healthz_and_readyz_answer_200_on_postgres,
    health_and_readiness
);

// ---------------------------------------------------------------------------------------
// Metrics

async fn scrape(app: &TestApp) -> String {
    let res = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text")
            || content_type.starts_with("text/plain"),
        "{content_type}"
    );
    res.text().await.unwrap()
}

/// The value of one series, e.g. `livedesk_errors_total{code="unauthorized"}`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (name, v) = l.rsplit_once(' ')?;
        (name == series).then(|| v.parse::<f64>().unwrap())
    })
}

fn value_or_zero(text: &str, series: &str) -> f64 {
    value(text, series).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_connections_messages_delivery_latency_and_errors_in_prometheus_text() {
    let Some((app, _db)) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let scene = app.scene().await;
    let before = scrape(&app).await;
    for family in [
        "# TYPE livedesk_ws_connections gauge",
        "# TYPE livedesk_messages counter",
        "# TYPE livedesk_deliveries counter",
        "# TYPE livedesk_delivery_latency_seconds histogram",
        "# TYPE livedesk_errors counter",
    ] {
        assert!(before.contains(family), "{family} missing in:\n{before}");
    }
    let latency_count = "livedesk_delivery_latency_seconds_count";
    let latency_before = value(&before, latency_count).expect("the histogram's count");
    let ws_before = value_or_zero(&before, "livedesk_messages_total{source=\"ws\"}");

    let mut visitor = WsClient::open(&app, &scene.visitor.token).await;
    let mut agent = WsClient::open(&app, &scene.agent.token).await;
    visitor
        .send_message(scene.conversation, "metrics-1", "count me")
        .await;
    visitor.expect("ack").await;
    agent.collect_messages(scene.conversation, 1).await;
    visitor.collect_messages(scene.conversation, 1).await;

    let unauthorized = "livedesk_errors_total{code=\"unauthorized\"}";
    let unknown_frame = "livedesk_errors_total{code=\"unknown_frame_type\"}";
    let errors_before = scrape(&app).await;
    let res = reqwest::get(app.url("/api/v1/me")).await.unwrap();
    assert_eq!(res.status(), 401);
    agent
        .send_json(json!({"type": "nonsense", "id": "x"}))
        .await;
    assert_eq!(agent.expect("error").await["code"], "unknown_frame_type");

    let after = scrape(&app).await;
    // Sockets are open right now (other tests may add theirs; ours are counted).
    assert!(value_or_zero(&after, "livedesk_ws_connections{kind=\"agent\"}") >= 1.0);
    assert!(value_or_zero(&after, "livedesk_ws_connections{kind=\"visitor\"}") >= 1.0);
    assert!(value_or_zero(&after, "livedesk_messages_total{source=\"ws\"}") >= ws_before + 1.0);
    // Delivered to two sockets (the agent's and the sender's own).
    let latency_after = value(&after, latency_count).unwrap();
    assert!(
        latency_after >= latency_before + 2.0,
        "{latency_before} -> {latency_after}"
    );
    let sum = value(&after, "livedesk_delivery_latency_seconds_sum").unwrap();
    assert!(sum > 0.0 && sum < latency_after * 10.0, "sum {sum}");
    assert!(
        value(
            &after,
            "livedesk_delivery_latency_seconds_bucket{le=\"+Inf\"}"
        )
        .unwrap()
            >= latency_after
    );
    assert!(
        value_or_zero(&after, unauthorized) >= value_or_zero(&errors_before, unauthorized) + 1.0
    );
    assert!(
        value_or_zero(&after, unknown_frame) >= value_or_zero(&errors_before, unknown_frame) + 1.0
    );
    visitor.close().await;
    agent.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_socket_is_no_longer_counted_as_a_connection() {
    let Some((app, _db)) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let scene = app.scene().await;
    let series = "livedesk_ws_connections{kind=\"agent\"}";
    // Other tests open and close agent sockets concurrently: compare our own effect a few
    // times over and require one clean observation each way.
    let mut opened = false;
    let mut closed = false;
    for _ in 0..20 {
        let base = value_or_zero(&scrape(&app).await, series);
        let agent = WsClient::open(&app, &scene.agent.token).await;
        let during = value_or_zero(&scrape(&app).await, series);
        agent.close().await;
        let mut after = during;
        for _ in 0..50 {
            after = value_or_zero(&scrape(&app).await, series);
            if after < during {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        opened |= during == base + 1.0;
        closed |= after == during - 1.0;
        if opened && closed {
            break;
        }
    }
    assert!(opened, "opening a socket never raised the gauge by one");
    assert!(closed, "closing a socket never lowered the gauge by one");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_metrics_listen_metrics_are_served_on_that_address_only() {
    let db = Database::new(Backend::Sqlite).await.unwrap();
    let mut config = db.config();
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let app = livedesk_server::App::build(config, listener).await.unwrap();
    let main = app.local_addr().unwrap();
    let metrics = app.metrics_addr().expect("a bound metrics address");
    assert_ne!(main, metrics);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));

    let res = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("livedesk_ws_connections"));
    // Only /metrics there; and not /metrics on the main address, which serves the rest.
    let res = reqwest::get(format!("http://{metrics}/healthz"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = reqwest::get(format!("http://{main}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = reqwest::get(format!("http://{main}/healthz"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Both stop with the server.
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("stopped within 15 s")
        .unwrap()
        .unwrap();
    let res = reqwest::Client::new()
        .get(format!("http://{metrics}/metrics"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(res.is_err(), "metrics still answer after stopping");
}

#[tokio::test]
async fn without_metrics_listen_there_is_no_metrics_address() {
    let db = Database::new(Backend::Sqlite).await.unwrap();
    let config = db.config();
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let app = livedesk_server::App::build(config, listener).await.unwrap();
    assert_eq!(app.metrics_addr(), None);
}

/// `livedesk serve` with `args` and `env`: the process, its data directory, and the main and
/// the metrics address from its log.
async fn serve_with_metrics(
    args: &[&str],
    env: &[(&str, &str)],
) -> (tokio::process::Child, tempfile::TempDir, String, String) {
    use tokio::io::AsyncBufReadExt as _;
    let data = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_livedesk"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LIVEDESK_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .env("LIVEDESK_LOG_FORMAT", "text")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let (main, metrics) = tokio::time::timeout(Duration::from_secs(30), async {
        let (mut main, mut metrics) = (None, None);
        while main.is_none() || metrics.is_none() {
            let line = lines.next_line().await.unwrap().expect("a log line");
            let after = |marker: &str| {
                line.split(marker)
                    .nth(1)
                    .map(|rest| rest.split(['/', ' ']).next().unwrap().to_owned())
            };
            main = main.or(after("serving on http://"));
            metrics = metrics.or(after("metrics on http://"));
        }
        (main, metrics)
    })
    .await
    .expect("both addresses logged within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, data, main.unwrap(), metrics.unwrap())
}

#[tokio::test]
async fn metrics_listen_is_set_by_the_flag_or_the_environment() {
    for (args, env) in [
        (&["--metrics-listen", "127.0.0.1:0"][..], &[][..]),
        (&[][..], &[("LIVEDESK_METRICS_LISTEN", "127.0.0.1:0")][..]),
    ] {
        let (mut child, _data, main, metrics) = serve_with_metrics(args, env).await;
        let res = reqwest::get(format!("http://{metrics}/metrics"))
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{args:?} {env:?}");
        let res = reqwest::get(format!("http://{main}/metrics"))
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{args:?} {env:?}");
        child.start_kill().unwrap();
        let _ = child.wait().await;
    }
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown

async fn graceful_shutdown(app: TestApp, _db: Database) {
    let scene = app.scene().await;
    let mut visitor = WsClient::open(&app, &scene.visitor.token).await;
    let mut agent = WsClient::open(&app, &scene.agent.token).await;
    // A socket that never said hello is told too.
    let mut anonymous = ws_connect(&app.ws_url(), None).await.unwrap();
    let addr = app.addr;
    let (v, a, n, ()) = tokio::join!(
        visitor.expect_close(),
        agent.expect_close(),
        anonymous.expect_close(),
        app.stop()
    );
    assert_eq!(v, 1012, "visitor socket");
    assert_eq!(a, 1012, "agent socket");
    assert_eq!(n, 1012, "socket without hello");
    // Stopped means stopped.
    let res = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(res.is_err(), "the server still answers after stopping");
}

crate::on_both_backends!(
    an_open_socket_receives_close_code_1012_when_the_server_stops_on_sqlite,
    an_open_socket_receives_close_code_1012_when_the_server_stops_on_postgres,
    graceful_shutdown
);

// ---------------------------------------------------------------------------------------
// The command line

/// `livedesk ARGS` with no `LIVEDESK_*` from the test environment, plus `env`.
async fn cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_livedesk"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LIVEDESK_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args)
        .arg("--data-dir")
        .arg(data.path())
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().unwrap();
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`livedesk {}` still running after 30 s", args.join(" ")))
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn config_default_prints_a_documented_toml_that_config_check_accepts() {
    let (code, toml_text, stderr) = cli(&["config", "default"], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(toml_text.contains("listen"), "{toml_text}");
    assert!(toml_text.contains("max_frame_bytes"), "{toml_text}");
    let parsed: toml::Table = toml::from_str(&toml_text).unwrap();
    assert!(parsed.contains_key("listen"));
    // Fed back as a file, it is valid.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("livedesk.toml");
    std::fs::write(&file, &toml_text).unwrap();
    let (code, stdout, stderr) = cli(
        &["--config", file.to_str().unwrap(), "config", "check"],
        &[],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("configuration is valid"), "{stdout}");
}

/// Both `config check` and `serve` refuse the configuration, naming `key` on stderr.
async fn refused(args: &[&str], env: &[(&str, &str)], key: &str) {
    for command in [
        &["config", "check"][..],
        &["serve", "--listen", "127.0.0.1:0"][..],
    ] {
        let all: Vec<&str> = args.iter().chain(command).copied().collect();
        let (code, stdout, stderr) = cli(&all, env).await;
        assert_ne!(
            code,
            0,
            "`livedesk {}` accepted it: {stdout}",
            all.join(" ")
        );
        assert!(
            stderr.contains(&format!("`{key}`")),
            "`livedesk {}` did not name `{key}`: {stderr}",
            all.join(" ")
        );
        assert!(!stderr.contains("serving on"), "{stderr}");
    }
}

#[tokio::test]
async fn an_out_of_range_limit_from_the_environment_is_refused_naming_the_key() {
    refused(
        &[],
        &[("LIVEDESK_LIMITS__MAX_FRAME_BYTES", "1")],
        "limits.max_frame_bytes",
    )
    .await;
}

#[tokio::test]
async fn a_config_file_with_a_wrongly_typed_key_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "listen = 5\n").unwrap();
    let path = file.to_str().unwrap();
    refused(&["--config", path], &[], "listen").await;
    // The same file named by LIVEDESK_CONFIG.
    refused(&[], &[("LIVEDESK_CONFIG", path)], "listen").await;
}

#[tokio::test]
async fn a_config_file_with_an_unknown_key_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.toml");
    std::fs::write(&file, "[limits]\nheartbeat_sec = 5\n").unwrap();
    refused(
        &["--config", file.to_str().unwrap()],
        &[],
        "limits.heartbeat_sec",
    )
    .await;
}

#[tokio::test]
async fn a_database_url_that_is_neither_postgres_nor_sqlite_is_refused_naming_database_url() {
    refused(
        &[],
        &[("LIVEDESK_DATABASE_URL", "mysql://x")],
        "database_url",
    )
    .await;
    refused(&["--database-url", "mysql://x"], &[], "database_url").await;
}

#[tokio::test]
async fn a_missing_config_file_is_refused() {
    let (code, _, stderr) = cli(
        &["--config", "/nonexistent/livedesk.toml", "config", "check"],
        &[],
    )
    .await;
    assert_ne!(code, 0);
    assert!(stderr.contains("/nonexistent/livedesk.toml"), "{stderr}");
}

#[tokio::test]
async fn config_check_shows_the_configuration_without_the_database_password() {
    let (code, stdout, stderr) = cli(
        &["config", "check"],
        &[(
            "LIVEDESK_DATABASE_URL",
            "postgres://livedesk:hunter2secret@db.internal/livedesk",
        )],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("db.internal"), "{stdout}");
    assert!(!stdout.contains("hunter2secret"), "{stdout}");
    assert!(!stderr.contains("hunter2secret"), "{stderr}");
}
