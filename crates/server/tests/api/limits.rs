//! Rate limits answer `rate_limited` with an honest retry delay, refuse without side effects,
//! count per client address (sign-in, widget sessions) or per sender (messages over sockets
//! and REST), and recover after their window. The servers run on a manual clock: no bucket
//! refills while a test runs unless the test moves time, and then by exactly that much.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    rate, spawn_configured_on_manual_clock as spawn_configured, Backend, TestApp, WsClient,
    PASSWORD,
};

/// A REST answer: status, `Retry-After` (if any) and the JSON body.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

/// POSTs `body` to `path`, as the client at `client_ip` behind the trusted proxy (if given).
async fn post(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    client_ip: Option<&str>,
    body: Value,
) -> Answer {
    let mut req = reqwest::Client::new().post(app.url(path)).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(ip) = client_ip {
        req = req.header("x-forwarded-for", ip);
    }
    let res = req.send().await.unwrap();
    Answer {
        status: res.status().as_u16(),
        retry_after: res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse().unwrap()),
        body: res.json().await.unwrap_or(Value::Null),
    }
}

/// Sends `n` identical POSTs at once (so the bucket cannot refill between them).
async fn burst(
    app: &TestApp,
    n: usize,
    path: &str,
    client_ip: Option<&str>,
    body: Value,
) -> Vec<Answer> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (url, body, ip) = (app.url(path), body.clone(), client_ip.map(str::to_owned));
        tasks.push(tokio::spawn(async move {
            let mut req = reqwest::Client::new().post(url).json(&body);
            if let Some(ip) = ip {
                req = req.header("x-forwarded-for", ip);
            }
            let res = req.send().await.unwrap();
            Answer {
                status: res.status().as_u16(),
                retry_after: res
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().parse().unwrap()),
                body: res.json().await.unwrap_or(Value::Null),
            }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Checks a 429 answer: code, `retry_after_ms` within `(0, max_ms]`, and a `Retry-After`
/// header of the same delay rounded up to whole seconds. Returns the delay.
fn assert_rate_limited(a: &Answer, max_ms: u64) -> Duration {
    assert_eq!(a.status, 429, "{a:?}");
    assert_eq!(a.body["code"], "rate_limited", "{a:?}");
    let ms = a.body["retry_after_ms"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retry_after_ms: {a:?}"));
    assert!(
        ms > 0 && ms <= max_ms,
        "retry_after_ms {ms} not in (0, {max_ms}]"
    );
    assert_eq!(a.retry_after, Some(ms.div_ceil(1000).max(1)), "{a:?}");
    Duration::from_millis(ms)
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_over_the_limit_per_address_get_429_and_work_again_after_the_window() {
    let (app, _db) = spawn_configured(Backend::Sqlite, |c| {
        c.limits.login = rate("3/s");
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
    .unwrap();
    let admin = app.new_workspace_admin().await;
    let email = admin.agent.email.clone();
    let wrong = json!({"email": email, "password": "not the password"});
    let right = json!({"email": email, "password": PASSWORD});
    let (attacker, neighbour) = (Some("203.0.113.7"), Some("203.0.113.8"));

    // Four guesses at once from one address: three are checked, the fourth is refused.
    let answers = burst(&app, 4, "/api/v1/auth/login", attacker, wrong.clone()).await;
    assert_eq!(count(&answers, 401), 3, "{answers:?}");
    assert_eq!(count(&answers, 429), 1, "{answers:?}");
    let limited = answers.iter().find(|a| a.status == 429).unwrap();
    assert_rate_limited(limited, 1000);
    assert!(answers
        .iter()
        .filter(|a| a.status == 401)
        .all(|a| a.body["code"] == "invalid_credentials"));
    assert!(limited.body.get("token").is_none());

    // The right password does not lift the limit: a burst of it is cut at the bucket too ...
    let answers = burst(&app, 4, "/api/v1/auth/login", attacker, right.clone()).await;
    assert!(count(&answers, 429) >= 1, "{answers:?}");
    for a in answers.iter().filter(|a| a.status == 429) {
        assert_rate_limited(a, 1000);
    }
    // ... while another address signs in meanwhile.
    let a = post(&app, "/api/v1/auth/login", None, neighbour, right.clone()).await;
    assert_eq!(a.status, 200, "{a:?}");

    // After the window, the right password works from the limited address.
    app.advance(Duration::from_secs(1)).await;
    let a = post(&app, "/api/v1/auth/login", None, attacker, right).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert!(a.body["token"].as_str().unwrap().starts_with("lds_"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_header_does_not_escape_the_sign_in_limit() {
    // No trusted proxy: X-Forwarded-For is the client's own claim and must be ignored.
    let (app, _db) = spawn_configured(Backend::Sqlite, |c| c.limits.login = rate("3/s"))
        .await
        .unwrap();
    let admin = app.new_workspace_admin().await;
    // The admin's own sign-in took a token: a whole window later the bucket is full again.
    app.advance(Duration::from_secs(1)).await;
    let wrong = json!({"email": admin.agent.email, "password": "not the password"});
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (url, body) = (app.url("/api/v1/auth/login"), wrong.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![401, 401, 401, 429]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_sessions_over_the_limit_per_address_get_429_and_work_again_after_the_window() {
    let (app, _db) = spawn_configured(Backend::Sqlite, |c| {
        c.limits.widget_sessions = rate("3/s");
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
    .unwrap();
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    let body = json!({"inbox_id": inbox});
    let path = "/api/v1/widget/sessions";
    let (busy, other) = (Some("203.0.113.7"), Some("203.0.113.8"));

    let answers = burst(&app, 4, path, busy, body.clone()).await;
    assert_eq!(count(&answers, 201), 3, "{answers:?}");
    assert_eq!(count(&answers, 429), 1, "{answers:?}");
    let limited = answers.iter().find(|a| a.status == 429).unwrap();
    let wait = assert_rate_limited(limited, 1000);
    assert!(limited.body.get("visitor_token").is_none());

    // Another address is not affected.
    let a = post(&app, path, None, other, body.clone()).await;
    assert_eq!(a.status, 201, "{a:?}");
    // The limited address is served again once the advertised delay has passed, not before.
    app.advance(wait - Duration::from_millis(1)).await;
    let a = post(&app, path, None, busy, body.clone()).await;
    assert_rate_limited(&a, 1);
    app.advance(Duration::from_millis(1)).await;
    let a = post(&app, path, None, busy, body.clone()).await;
    assert_eq!(a.status, 201, "{a:?}");
    // After the whole window, a full burst is served again.
    app.advance(Duration::from_secs(1)).await;
    let answers = burst(&app, 3, path, busy, body).await;
    assert_eq!(count(&answers, 201), 3, "{answers:?}");
}

/// Sends `n` message.send frames back to back; returns the `n` answers, in order.
async fn ws_burst(ws: &mut WsClient, conversation: Uuid, tag: &str, n: usize) -> Vec<Value> {
    for i in 0..n {
        ws.send_message(
            conversation,
            &format!("{tag}-{i}"),
            &format!("{tag} message {i}"),
        )
        .await;
    }
    let mut answers = Vec::new();
    while answers.len() < n {
        let v = ws.next().await;
        assert_ne!(v["type"], "__close", "closed during the burst: {answers:?}");
        if v["type"] == "ack" || v["type"] == "error" {
            answers.push(v);
        }
    }
    answers
}

async fn stored_bodies(app: &TestApp, token: &str, conversation: Uuid) -> Vec<String> {
    let (status, page) = app.messages(token, conversation, 0).await;
    assert_eq!(status, 200, "{page}");
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn messages_over_the_limit_on_one_socket_are_refused_unstored_and_the_socket_recovers(
    backend: Backend,
) {
    let Some((app, _db)) = spawn_configured(backend, |c| c.limits.messages = rate("3/2s")).await
    else {
        return;
    };
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    let answers = ws_burst(&mut visitor, s.conversation, "a", 6).await;
    for (i, v) in answers.iter().enumerate() {
        assert_eq!(v["id"], format!("f-a-{i}"), "{v}");
        if i < 3 {
            assert_eq!(
                (v["type"].as_str(), v["seq"].as_i64()),
                (Some("ack"), Some(i as i64 + 1)),
                "{v}"
            );
        } else {
            assert_eq!(
                (v["type"].as_str(), v["code"].as_str()),
                (Some("error"), Some("rate_limited")),
                "{v}"
            );
            let ms = v["retry_after_ms"].as_u64().unwrap();
            assert!(ms > 0 && ms <= 667, "retry_after_ms {ms}");
        }
    }
    let wait = Duration::from_millis(answers[5]["retry_after_ms"].as_u64().unwrap());

    // Refused messages were neither stored nor delivered.
    let sent: Vec<String> = (0..3).map(|i| format!("a message {i}")).collect();
    assert_eq!(
        stored_bodies(&app, &s.agent.token, s.conversation).await,
        sent
    );
    // The agent's own typing comes back after anything the refused sends could have queued.
    agent.frames_before_own_typing(s.conversation).await;
    let delivered = agent.collect_messages(s.conversation, 3).await;
    assert_eq!(delivered.len(), 3, "{delivered:?}");

    // The limit is the visitor's: another socket of theirs may not send meanwhile.
    let mut second = WsClient::open(&app, &s.visitor.token).await;
    second
        .send_message(s.conversation, "second-0", "from the second socket")
        .await;
    assert_eq!(second.expect("error").await["code"], "rate_limited");

    // After the advertised delay the same socket sends again.
    app.advance(wait).await;
    let answers = ws_burst(&mut visitor, s.conversation, "b", 1).await;
    assert_eq!(
        (answers[0]["type"].as_str(), answers[0]["seq"].as_i64()),
        (Some("ack"), Some(4)),
        "{answers:?}"
    );
    // After the whole window, a full burst goes through.
    app.advance(Duration::from_secs(2)).await;
    let answers = ws_burst(&mut visitor, s.conversation, "c", 3).await;
    assert!(answers.iter().all(|v| v["type"] == "ack"), "{answers:?}");
    assert_eq!(
        stored_bodies(&app, &s.agent.token, s.conversation)
            .await
            .len(),
        7
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_limit_on_one_socket_are_refused_unstored_and_the_socket_recovers_on_sqlite(
) {
    messages_over_the_limit_on_one_socket_are_refused_unstored_and_the_socket_recovers(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_limit_on_one_socket_are_refused_unstored_and_the_socket_recovers_on_postgres(
) {
    messages_over_the_limit_on_one_socket_are_refused_unstored_and_the_socket_recovers(
        Backend::Postgres,
    )
    .await;
}

async fn rest_messages_over_the_limit_per_sender_get_429_unstored_and_recover(backend: Backend) {
    let Some((app, _db)) = spawn_configured(backend, |c| c.limits.messages = rate("3/2s")).await
    else {
        return;
    };
    let s = app.scene().await;
    let c = s.conversation;
    let path = format!("/api/v1/conversations/{c}/messages");
    let mut answers = Vec::new();
    for i in 0..5 {
        let body = json!({"client_msg_id": format!("r-{i}"), "body": format!("rest message {i}")});
        answers.push(post(&app, &path, Some(&s.visitor.token), None, body).await);
    }
    for (i, a) in answers.iter().enumerate() {
        if i < 3 {
            assert_eq!(
                (a.status, a.body["seq"].as_i64()),
                (201, Some(i as i64 + 1)),
                "{a:?}"
            );
        } else {
            assert_rate_limited(a, 667);
        }
    }
    let wait = Duration::from_millis(answers[4].body["retry_after_ms"].as_u64().unwrap());

    // The limit is the sender's, across its conversations ...
    let second = app.new_conversation(&s.visitor).await;
    let a = post(
        &app,
        &format!("/api/v1/conversations/{second}/messages"),
        Some(&s.visitor.token),
        None,
        json!({"client_msg_id": "elsewhere", "body": "in another conversation"}),
    )
    .await;
    assert_rate_limited(&a, 667);
    // ... and no one else's: the agent answers in the same conversation.
    let (status, ack) = app.send(&s.agent.token, c, "agent-1", "agent reply").await;
    assert_eq!(status, 201, "{ack}");

    // Nothing refused was stored.
    assert_eq!(
        stored_bodies(&app, &s.agent.token, c).await,
        vec![
            "rest message 0",
            "rest message 1",
            "rest message 2",
            "agent reply"
        ]
    );
    assert!(stored_bodies(&app, &s.agent.token, second).await.is_empty());

    // After the advertised delay, the visitor may send again; the refused one can be retried.
    app.advance(wait).await;
    let (status, ack) = app.send(&s.visitor.token, c, "r-4", "rest message 4").await;
    assert_eq!(
        (status, ack["seq"].as_i64(), ack["duplicate"].as_bool()),
        (201, Some(5), Some(false)),
        "{ack}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_messages_over_the_limit_per_sender_get_429_unstored_and_recover_on_sqlite() {
    rest_messages_over_the_limit_per_sender_get_429_unstored_and_recover(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_messages_over_the_limit_per_sender_get_429_unstored_and_recover_on_postgres() {
    rest_messages_over_the_limit_per_sender_get_429_unstored_and_recover(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_keeps_sending_through_rate_limited_is_closed_with_4029() {
    let (app, _db) = spawn_configured(Backend::Sqlite, |c| c.limits.messages = rate("1/10s"))
        .await
        .unwrap();
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    for i in 0..15 {
        visitor
            .send_message(s.conversation, &format!("m-{i}"), &format!("flood {i}"))
            .await;
    }
    let (mut acks, mut refused) = (0, 0);
    let code = loop {
        let v = visitor.next().await;
        match v["type"].as_str() {
            Some("__close") => break v["code"].as_u64().unwrap(),
            Some("ack") => acks += 1,
            Some("error") => {
                assert_eq!(v["code"], "rate_limited", "{v}");
                refused += 1;
            }
            _ => {}
        }
    };
    assert_eq!(code, 4029);
    assert_eq!(acks, 1);
    // Ten refusals are tolerated (the abuse bucket), the eleventh closes the socket.
    assert_eq!(refused, 11);
    assert_eq!(
        stored_bodies(&app, &s.agent.token, s.conversation).await,
        vec!["flood 0"]
    );
    // Other sockets are untouched.
    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 2);
}
