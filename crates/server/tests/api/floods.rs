//! Floods: limits hold per visitor and per agent, however many sockets they open and whether
//! they use sockets or REST; opening conversations is limited; failed sign-ins are limited per
//! account, from any address.

use serde_json::{json, Value};

use crate::helpers::{call, rate, spawn_configured, Backend, TestApp, WsClient, PASSWORD};

/// Reads until the answer to frame `id` (an `ack` or an `error`).
async fn answer(ws: &mut WsClient, id: &str) -> Value {
    loop {
        let v = ws.next().await;
        if (v["type"] == "ack" || v["type"] == "error") && v["id"] == id {
            return v;
        }
    }
}

async fn one_visitor_s_five_sockets_and_rest_share_one_message_budget(backend: Backend) {
    let Some((app, _db)) = spawn_configured(backend, |c| c.limits.messages = rate("6/h")).await
    else {
        return;
    };
    let s = app.scene().await;
    let mut sockets = Vec::new();
    for _ in 0..5 {
        sockets.push(WsClient::open(&app, &s.visitor.token).await);
    }
    let (mut acked, mut limited) = (0, 0);
    for (i, ws) in sockets.iter_mut().enumerate() {
        for j in 0..2 {
            let id = ws
                .send_message(s.conversation, &format!("s{i}-{j}"), "hi")
                .await;
            match answer(ws, &id).await {
                v if v["type"] == "ack" => acked += 1,
                v => {
                    assert_eq!(v["code"], "rate_limited", "{v}");
                    limited += 1;
                }
            }
        }
    }
    assert_eq!((acked, limited), (6, 4), "one budget of 6 for the visitor");
    // REST draws on the same budget.
    let (status, body) = app
        .send(&s.visitor.token, s.conversation, "rest-1", "hi")
        .await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
    let (_, page) = app.messages(&s.agent.token, s.conversation, 0).await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        6,
        "nothing refused was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_visitor_s_five_sockets_and_rest_share_one_message_budget_on_sqlite() {
    one_visitor_s_five_sockets_and_rest_share_one_message_budget(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_visitor_s_five_sockets_and_rest_share_one_message_budget_on_postgres() {
    one_visitor_s_five_sockets_and_rest_share_one_message_budget(Backend::Postgres).await;
}

async fn a_visitor_cannot_open_conversations_without_limit(backend: Backend) {
    let Some((app, _db)) =
        spawn_configured(backend, |c| c.limits.conversations = rate("5/h")).await
    else {
        return;
    };
    let s = app.scene().await;
    let visitor = app.new_visitor(s.inbox).await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let (status, body) = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/conversations",
            Some(&visitor.token),
            Some(json!({})),
        )
        .await;
        if status == 429 {
            assert_eq!(body["code"], "rate_limited");
            assert!(body["retry_after_ms"].as_u64().unwrap() > 0, "{body}");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        5,
        "{statuses:?}"
    );
    let (_, list) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/conversations",
        Some(&visitor.token),
        None,
    )
    .await;
    assert_eq!(
        list["conversations"].as_array().unwrap().len(),
        5,
        "only those were stored"
    );
    // Another visitor is not held up by this one.
    let other = app.new_visitor(s.inbox).await;
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/conversations",
        Some(&other.token),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_cannot_open_conversations_without_limit_on_sqlite() {
    a_visitor_cannot_open_conversations_without_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_cannot_open_conversations_without_limit_on_postgres() {
    a_visitor_cannot_open_conversations_without_limit(Backend::Postgres).await;
}

async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    call(
        app,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_limited_per_account_whatever_the_address() {
    let (app, _db) = spawn_configured(Backend::Sqlite, |c| {
        c.limits.login_account = rate("3/h");
    })
    .await
    .unwrap();
    let s = app.scene().await;
    let other = app
        .new_agent(
            s.agent.agent.workspace_id,
            livedesk_protocol::model::Role::Agent,
        )
        .await;
    let email = s.agent.agent.email.clone();
    // Signing in right does not count.
    for _ in 0..5 {
        assert_eq!(login(&app, &email, PASSWORD).await.0, 200);
    }
    for _ in 0..3 {
        let (status, body) = login(&app, &email.to_uppercase(), "guess").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_credentials"))
        );
    }
    // Now even the right password waits, with a clear answer.
    let (status, body) = login(&app, &email, PASSWORD).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("this account"),
        "{body}"
    );
    assert!(body["retry_after_ms"].as_u64().unwrap() > 0);
    // Other accounts sign in as usual.
    assert_eq!(login(&app, &other.agent.email, PASSWORD).await.0, 200);
}
