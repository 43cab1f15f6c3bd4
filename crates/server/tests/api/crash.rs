//! Durability across process death: what was acked survives `kill -9`, and a restarted server
//! lets clients resume from their cursors with no gap.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use crate::helpers::{
    livedesk_command, spawn_with, ws_connect, Backend, Database, ServerProcess, WsClient, PASSWORD,
};

const ADMIN_EMAIL: &str = "crash-admin@example.com";

/// `livedesk admin create --password-stdin` against the test's database.
async fn create_admin_with_cli(db: &Database) {
    let mut cmd = livedesk_command(db);
    cmd.args([
        "admin",
        "create",
        "--email",
        ADMIN_EMAIL,
        "--password-stdin",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("admin create finished within 60 s")
        .unwrap();
    assert!(
        out.status.success(),
        "admin create failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(ADMIN_EMAIL), "{stdout}");
    assert!(!stdout.contains("password:"), "no password is generated");
}

/// Everything a crash test needs, created over HTTP against the child.
struct World {
    admin_token: String,
    visitor_token: String,
    conversation: Uuid,
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

async fn build_world(server: &ServerProcess, http: &reqwest::Client) -> World {
    let login = post(
        http,
        server.url("/api/v1/auth/login"),
        None,
        json!({"email": ADMIN_EMAIL, "password": PASSWORD}),
    )
    .await;
    let admin_token = login["token"].as_str().unwrap().to_owned();
    let inbox = post(
        http,
        server.url("/api/v1/inboxes"),
        Some(&admin_token),
        json!({"name": "Website", "allowed_origins": []}),
    )
    .await;
    let visitor = post(
        http,
        server.url("/api/v1/widget/sessions"),
        None,
        json!({"inbox_id": inbox["id"]}),
    )
    .await;
    let visitor_token = visitor["visitor_token"].as_str().unwrap().to_owned();
    let conversation = post(
        http,
        server.url("/api/v1/conversations"),
        Some(&visitor_token),
        json!({}),
    )
    .await;
    World {
        admin_token,
        visitor_token,
        conversation: conversation["id"].as_str().unwrap().parse().unwrap(),
    }
}

/// An admin made with the CLI, the server started on `db`, and the world built through it.
async fn started(db: &Database) -> (ServerProcess, reqwest::Client, World) {
    create_admin_with_cli(db).await;
    let server = ServerProcess::start(db).await;
    let http = reqwest::Client::new();
    let world = build_world(&server, &http).await;
    (server, http, world)
}

/// Every message of the conversation, as the admin reads it over REST.
async fn stored_messages(
    server: &ServerProcess,
    http: &reqwest::Client,
    world: &World,
) -> BTreeMap<String, (i64, String)> {
    let res = http
        .get(server.url(&format!(
            "/api/v1/conversations/{}/messages?after_seq=0&limit=500",
            world.conversation
        )))
        .bearer_auth(&world.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            Some((
                m["client_msg_id"].as_str()?.to_owned(),
                (
                    m["seq"].as_i64().unwrap(),
                    m["id"].as_str().unwrap().to_owned(),
                ),
            ))
        })
        .collect()
}

/// Sends `n` messages without waiting, kills the server the moment the last ack arrives, and
/// checks after a restart that every acked message is stored as acked.
async fn acked_messages_survive_kill_9(backend: Backend, n: usize) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let (mut server, http, world) = started(&db).await;

    let mut ws = ws_connect(&server.ws_url(), None).await.unwrap();
    ws.hello(&world.visitor_token, &[]).await;
    let ids: Vec<String> = (0..n).map(|i| format!("crash-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        ws.send_message(
            world.conversation,
            id,
            &format!("message {i} before the crash"),
        )
        .await;
    }
    let mut acked: BTreeMap<String, (i64, String)> = BTreeMap::new();
    while acked.len() < n {
        let ack = ws.expect("ack").await;
        assert_eq!(ack["duplicate"], false, "{ack}");
        acked.insert(
            ack["client_msg_id"].as_str().unwrap().to_owned(),
            (
                ack["seq"].as_i64().unwrap(),
                ack["message_id"].as_str().unwrap().to_owned(),
            ),
        );
    }
    // Right after the last ack: no graceful anything.
    server.kill_9().await;
    drop(ws);

    let server = ServerProcess::start(&db).await;
    let stored = stored_messages(&server, &http, &world).await;
    assert_eq!(stored, acked, "every acked message, with its seq and id");

    // A client that never saw the ack retries: same message, not a second one.
    let mut ws = ws_connect(&server.ws_url(), None).await.unwrap();
    ws.hello(&world.visitor_token, &[]).await;
    for id in [&ids[0], &ids[n - 1]] {
        ws.send_message(world.conversation, id, "retried after the crash")
            .await;
        let ack = ws.expect("ack").await;
        assert_eq!(ack["client_msg_id"], id.as_str());
        assert_eq!(ack["duplicate"], true, "{ack}");
        assert_eq!(ack["seq"], acked[id].0);
        assert_eq!(ack["message_id"], acked[id].1.as_str());
    }
    // And over REST.
    let res = http
        .post(server.url(&format!(
            "/api/v1/conversations/{}/messages",
            world.conversation
        )))
        .bearer_auth(&world.visitor_token)
        .json(&json!({"client_msg_id": ids[n - 1], "body": "retried over REST"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ack: Value = res.json().await.unwrap();
    assert_eq!(ack["duplicate"], true);
    assert_eq!(ack["seq"], acked[&ids[n - 1]].0);
    assert_eq!(ack["message_id"], acked[&ids[n - 1]].1.as_str());
    let after = stored_messages(&server, &http, &world).await;
    assert_eq!(after.len(), n, "the retries stored nothing new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_acked_to_its_sender_survives_kill_9_right_after_the_ack_on_sqlite() {
    acked_messages_survive_kill_9(Backend::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_acked_to_its_sender_survives_kill_9_right_after_the_ack_on_postgres() {
    acked_messages_survive_kill_9(Backend::Postgres, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_burst_of_50_acked_messages_all_survive_kill_9_on_sqlite() {
    acked_messages_survive_kill_9(Backend::Sqlite, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_burst_of_50_acked_messages_all_survive_kill_9_on_postgres() {
    acked_messages_survive_kill_9(Backend::Postgres, 50).await;
}

/// The seqs of `message.created` frames of `conversation` a client received, in order.
fn seqs_seen(ws: &WsClient, conversation: Uuid) -> Vec<i64> {
    ws.received
        .iter()
        .filter(|v| {
            v["type"] == "message.created"
                && v["message"]["conversation_id"] == conversation.to_string()
        })
        .map(|v| v["message"]["seq"].as_i64().unwrap())
        .collect()
}

/// Sends and waits for the ack; returns the seq.
async fn say(ws: &mut WsClient, conversation: Uuid, id: &str) -> i64 {
    let frame_id = ws
        .send_message(conversation, id, &format!("say {id}"))
        .await;
    let ack = ws.expect("ack").await;
    assert_eq!(ack["id"], frame_id.as_str());
    assert_eq!(ack["duplicate"], false);
    ack["seq"].as_i64().unwrap()
}

/// Reads until `message.created` of `conversation` with `seq` arrived.
async fn until_seq(ws: &mut WsClient, conversation: Uuid, seq: i64) {
    while !seqs_seen(ws, conversation).contains(&seq) {
        let v = ws.next().await;
        assert_ne!(v["type"], "__close", "closed while waiting for seq {seq}");
    }
}

async fn restart_without_gap(backend: Backend) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let app = spawn_with(db.config()).await;
    let scene = app.scene().await;
    let conv = scene.conversation;
    let mut visitor = WsClient::open(&app, &scene.visitor.token).await;
    let mut agent = WsClient::open(&app, &scene.agent.token).await;

    // Before the restart: both sides talk.
    let mut last = 0;
    for i in 0..3 {
        last = say(&mut visitor, conv, &format!("v-before-{i}")).await;
        last = last.max(say(&mut agent, conv, &format!("a-before-{i}")).await);
    }
    until_seq(&mut visitor, conv, last).await;
    until_seq(&mut agent, conv, last).await;

    // A graceful stop tells both sockets to come back (1012).
    let (visitor_code, agent_code, ()) =
        tokio::join!(visitor.expect_close(), agent.expect_close(), app.stop());
    assert_eq!(visitor_code, 1012, "visitor socket close code");
    assert_eq!(agent_code, 1012, "agent socket close code");
    let visitor_cursor = *seqs_seen(&visitor, conv).last().unwrap();
    let agent_cursor = *seqs_seen(&agent, conv).last().unwrap();
    let mut visitor_seen = seqs_seen(&visitor, conv);
    let mut agent_seen = seqs_seen(&agent, conv);

    // Same data dir (or database), new process state.
    let app = spawn_with(db.config()).await;

    // The agent comes back first and writes while the visitor is still away.
    let mut agent = ws_connect(&app.ws_url(), None).await.unwrap();
    agent
        .hello(&scene.agent.token, &[(conv, agent_cursor)])
        .await;
    let resumed = agent.expect("resumed").await;
    assert_eq!(resumed["conversation_id"], conv.to_string());
    assert_eq!(resumed["recovered"], true, "{resumed}");
    assert_eq!(resumed["last_seq"], agent_cursor);
    for i in 0..2 {
        last = say(&mut agent, conv, &format!("a-while-away-{i}")).await;
    }

    // The visitor resumes: the missed messages are replayed, then it is live again.
    let mut visitor = ws_connect(&app.ws_url(), None).await.unwrap();
    visitor
        .hello(&scene.visitor.token, &[(conv, visitor_cursor)])
        .await;
    let resumed = visitor.expect("resumed").await;
    assert_eq!(resumed["recovered"], true, "{resumed}");
    assert_eq!(resumed["last_seq"], last);
    for i in 0..2 {
        last = say(&mut visitor, conv, &format!("v-after-{i}")).await;
    }
    last = last.max(say(&mut agent, conv, "a-after").await);
    until_seq(&mut visitor, conv, last).await;
    until_seq(&mut agent, conv, last).await;

    visitor_seen.extend(seqs_seen(&visitor, conv));
    agent_seen.extend(seqs_seen(&agent, conv));
    let everything: Vec<i64> = (1..=last).collect();
    assert_eq!(
        visitor_seen, everything,
        "visitor: in order, no gap, no duplicate"
    );
    assert_eq!(
        agent_seen, everything,
        "agent: in order, no gap, no duplicate"
    );
    // Nothing further is pending on either socket: one more message reaches both after
    // anything still queued for them, and nothing of the conversation comes before it.
    let (status, end) = app
        .send(&scene.agent.token, conv, "the-end", "the end")
        .await;
    assert_eq!(
        (status, end["seq"].as_i64()),
        (201, Some(last + 1)),
        "{end}"
    );
    for ws in [&mut visitor, &mut agent] {
        let extra = ws.frames_before_message("the end").await;
        assert!(
            extra.iter().all(|v| v["type"] != "message.created"),
            "unexpected extra frames {extra:?}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restarted_mid_conversation_on_the_same_data_dir_clients_resume_with_no_gap_on_sqlite(
) {
    restart_without_gap(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restarted_mid_conversation_on_the_same_database_clients_resume_with_no_gap_on_postgres(
) {
    restart_without_gap(Backend::Postgres).await;
}

/// A new inbox with `n` visitors on it; their tokens.
async fn busy_site(
    server: &ServerProcess,
    http: &reqwest::Client,
    world: &World,
    n: usize,
) -> Vec<String> {
    let inbox = post(
        http,
        server.url("/api/v1/inboxes"),
        Some(&world.admin_token),
        json!({"name": "Busy site", "allowed_origins": []}),
    )
    .await;
    let mut visitors = Vec::new();
    for _ in 0..n {
        let v = post(
            http,
            server.url("/api/v1/widget/sessions"),
            None,
            json!({"inbox_id": inbox["id"]}),
        )
        .await;
        visitors.push(v["visitor_token"].as_str().unwrap().to_owned());
    }
    visitors
}

/// Opening a conversation is one transaction (stored, then assigned or queued): a server
/// killed while many are being opened leaves each one it stored assigned or in the queue,
/// never open and in nobody's queue.
async fn conversations_opened_while_the_server_dies_are_all_assigned_or_queued(backend: Backend) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let (mut server, http, world) = started(&db).await;
    let visitors = busy_site(&server, &http, &world, 150).await;
    let opened = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    for token in visitors {
        let (http, url, opened) = (
            http.clone(),
            server.url("/api/v1/conversations"),
            std::sync::Arc::clone(&opened),
        );
        tokio::spawn(async move {
            let sent = http.post(url).bearer_auth(token).json(&json!({})).send();
            if matches!(sent.await, Ok(res) if res.status() == 201) {
                opened.add_permits(1);
            }
        });
    }
    // Some are answered, many are in flight: now.
    let _ = opened.acquire_many(20).await.unwrap();
    server.kill_9().await;

    let server = ServerProcess::start(&db).await;
    let res = http
        .get(server.url("/api/v1/conversations?status=open&limit=200"))
        .bearer_auth(&world.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    let conversations = page["conversations"].as_array().unwrap();
    assert!(conversations.len() > 20, "{} stored", conversations.len());
    let stranded: Vec<&Value> = conversations
        .iter()
        .filter(|c| c["assignee_id"].is_null() && c["queued_at"].is_null())
        .collect();
    assert!(
        stranded.is_empty(),
        "{} of {} conversations are open, unassigned and not queued: {stranded:?}",
        stranded.len(),
        conversations.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_opened_while_the_server_dies_are_all_assigned_or_queued_on_sqlite() {
    conversations_opened_while_the_server_dies_are_all_assigned_or_queued(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_opened_while_the_server_dies_are_all_assigned_or_queued_on_postgres() {
    conversations_opened_while_the_server_dies_are_all_assigned_or_queued(Backend::Postgres).await;
}

/// A change and its timeline line are one transaction: a server killed while many
/// conversations are being changed leaves each change it stored with its line. Answers
/// leave right after commits, so a kill on an answer finds little in between: each round
/// kills at another time after the changes were sent (a crash may come at any instant; the
/// rule must hold at all of them).
async fn changes_made_while_the_server_dies_all_have_their_timeline_line(backend: Backend) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let (mut server, http, world) = started(&db).await;
    let mut conversations = Vec::new();
    for token in busy_site(&server, &http, &world, 150).await {
        let c = post(
            &http,
            server.url("/api/v1/conversations"),
            Some(&token),
            json!({}),
        )
        .await;
        conversations.push(c["id"].as_str().unwrap().to_owned());
    }
    let rounds = [("low", 20), ("medium", 60), ("high", 150), ("urgent", 400)];
    let mut changed_in_all = 0;
    for (priority, kill_after_ms) in rounds {
        for id in &conversations {
            let patch = http
                .patch(server.url(&format!("/api/v1/conversations/{id}")))
                .bearer_auth(&world.admin_token)
                .json(&json!({ "priority": priority }))
                .send();
            // Answers are not awaited: the server dies under them.
            tokio::spawn(patch);
        }
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        server.kill_9().await;
        server = ServerProcess::start(&db).await;

        let (mut changed, mut without_line) = (0, Vec::new());
        for id in &conversations {
            let get = |path: String| {
                http.get(server.url(&path))
                    .bearer_auth(&world.admin_token)
                    .send()
            };
            let c: Value = get(format!("/api/v1/conversations/{id}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if c["priority"] != priority {
                continue;
            }
            changed += 1;
            let page: Value = get(format!(
                "/api/v1/conversations/{id}/messages?after_seq=0&limit=500"
            ))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            let words = format!("set the priority to {priority}");
            let has_line = page["messages"].as_array().unwrap().iter().any(|m| {
                m["author"]["kind"] == "system"
                    && m["body"].as_str().is_some_and(|b| b.contains(&words))
            });
            if !has_line {
                without_line.push(id.clone());
            }
        }
        changed_in_all += changed;
        assert!(
            without_line.is_empty(),
            "{priority}: {} of {changed} changed conversations have no timeline line: {without_line:?}",
            without_line.len()
        );
    }
    assert!(changed_in_all > 0, "no change was stored before a kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_the_server_dies_all_have_their_timeline_line_on_sqlite() {
    changes_made_while_the_server_dies_all_have_their_timeline_line(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_the_server_dies_all_have_their_timeline_line_on_postgres() {
    changes_made_while_the_server_dies_all_have_their_timeline_line(Backend::Postgres).await;
}
