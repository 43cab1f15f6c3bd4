//! Routing through the real server: automatic assignment and the queue with visitors' places,
//! re-offers, presence across console tabs with the offline grace time, and transfers at
//! capacity. Servers run on a manual clock: a test moves time, and what came due has
//! happened when `advance` returns.

use std::time::Duration;

use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    call, spawn_on_manual_clock, spawn_with, AgentUser, Backend, Database, TestApp, WsClient,
};

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(token), Some(body)).await
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::PATCH, path, Some(token), Some(body)).await
}

/// A server on a manual clock with a one-second offline grace and re-offer check, or `None`
/// without the backend.
async fn app_on(backend: Backend) -> Option<(TestApp, Database)> {
    let db = Database::new(backend).await?;
    let mut config = db.config();
    config.routing.offline_grace_secs = 1;
    config.routing.reoffer_check_secs = 1;
    Some((spawn_on_manual_clock(config).await, db))
}

const SEC: Duration = Duration::from_secs(1);

/// An online agent of `inbox` with `capacity`.
async fn online_agent(app: &TestApp, admin: &AgentUser, inbox: Uuid, capacity: u32) -> AgentUser {
    let agent = app.new_agent(admin.agent.workspace_id, Role::Agent).await;
    let (status, body) = patch(
        app,
        &format!("/api/v1/agents/{}", agent.agent.id),
        &admin.token,
        json!({"inbox_ids": [inbox], "capacity": capacity}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = patch(app, "/api/v1/me", &agent.token, json!({"status": "online"})).await;
    assert_eq!(status, 200);
    agent
}

async fn set_routing(app: &TestApp, admin: &AgentUser, inbox: Uuid, routing: Value) {
    let (status, body) = patch(
        app,
        &format!("/api/v1/inboxes/{inbox}"),
        &admin.token,
        json!({ "routing": routing }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["routing"], routing);
}

async fn conversation(app: &TestApp, id: Uuid, token: &str) -> Value {
    get(app, &format!("/api/v1/conversations/{id}"), token)
        .await
        .1
}

async fn directory_entry(app: &TestApp, token: &str, id: Uuid) -> Value {
    let (_, dir) = get(app, "/api/v1/agents", token).await;
    dir["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.to_string())
        .cloned()
        .unwrap()
}

fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

// ---------------------------------------------------------------------------------------------

async fn least_busy_assigns_queues_when_full_and_drains_when_capacity_frees(app: TestApp) {
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    set_routing(
        &app,
        &admin,
        inbox,
        json!({"policy": "least_busy", "reoffer_secs": 0, "reoffer_marks_away": false}),
    )
    .await;
    let a = online_agent(&app, &admin, inbox, 1).await;
    let b = online_agent(&app, &admin, inbox, 1).await;
    let mut a_ws = WsClient::open(&app, &a.token).await;

    // Two chats: one for each agent, at once.
    let v1 = app.new_visitor(inbox).await;
    let c1 = app.new_conversation(&v1).await;
    let v2 = app.new_visitor(inbox).await;
    let c2 = app.new_conversation(&v2).await;
    let owners: Vec<Value> = vec![
        conversation(&app, c1, &admin.token).await["assignee_id"].clone(),
        conversation(&app, c2, &admin.token).await["assignee_id"].clone(),
    ];
    let mut got: Vec<String> = owners
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    got.sort();
    let mut want = vec![a.agent.id.to_string(), b.agent.id.to_string()];
    want.sort();
    assert_eq!(got, want, "each agent got one");
    let mine = if owners[0] == a.agent.id.to_string() {
        c1
    } else {
        c2
    };
    let n = a_ws.expect("notification").await;
    assert_eq!(
        (
            n["notification"]["kind"].as_str(),
            n["notification"]["conversation_id"].as_str()
        ),
        (Some("assigned"), Some(mine.to_string().as_str()))
    );

    // A third waits: the visitor hears their place.
    let v3 = app.new_visitor(inbox).await;
    let mut v3_ws = WsClient::open(&app, &v3.token).await;
    let c3 = app.new_conversation(&v3).await;
    let place = v3_ws.expect("queue").await;
    assert_eq!(
        (
            place["conversation_id"].as_str(),
            place["position"].as_u64()
        ),
        (Some(c3.to_string().as_str()), Some(1))
    );
    let c = conversation(&app, c3, &admin.token).await;
    assert!(c["assignee_id"].is_null() && c["queued_at"].is_i64(), "{c}");
    let (_, queue) = get(&app, "/api/v1/conversations?sort=queue", &admin.token).await;
    assert_eq!(queue["conversations"][0]["id"], c3.to_string());

    // A resolves: the waiting chat is theirs at once, and the visitor's wait is over.
    let (status, _) = patch(
        &app,
        &format!("/api/v1/conversations/{mine}"),
        &a.token,
        json!({"status": "resolved"}),
    )
    .await;
    assert_eq!(status, 200);
    let c = conversation(&app, c3, &admin.token).await;
    assert_eq!(c["assignee_id"], a.agent.id.to_string(), "{c}");
    let done = v3_ws.expect("queue").await;
    assert_eq!(done["position"], 0);
    let (_, page) = app.messages(&admin.token, c3, 0).await;
    assert!(page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["author"]["kind"] == "system"
            && m["body"].as_str().unwrap().contains("by routing")));
    let (_, queue) = get(&app, "/api/v1/conversations?sort=queue", &admin.token).await;
    assert!(queue["conversations"].as_array().unwrap().is_empty());
    // The visitor never sees the timeline.
    let (_, theirs) = app.messages(&v3.token, c3, 0).await;
    assert!(
        theirs["messages"].as_array().unwrap().is_empty(),
        "{theirs}"
    );
    a_ws.close().await;
    v3_ws.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_busy_assigns_queues_when_full_and_drains_when_capacity_frees_on_sqlite() {
    if let Some((app, _db)) = app_on(Backend::Sqlite).await {
        least_busy_assigns_queues_when_full_and_drains_when_capacity_frees(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_busy_assigns_queues_when_full_and_drains_when_capacity_frees_on_postgres() {
    if let Some((app, _db)) = app_on(Backend::Postgres).await {
        least_busy_assigns_queues_when_full_and_drains_when_capacity_frees(app).await;
    }
}

// ---------------------------------------------------------------------------------------------

async fn an_agent_stays_online_while_a_tab_is_open_and_goes_offline_after_the_grace(app: TestApp) {
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    set_routing(
        &app,
        &admin,
        inbox,
        json!({"policy": "round_robin", "reoffer_secs": 0, "reoffer_marks_away": false}),
    )
    .await;
    let a = online_agent(&app, &admin, inbox, 5).await;
    let tab1 = WsClient::open(&app, &a.token).await;
    let tab2 = WsClient::open(&app, &a.token).await;
    let v1 = app.new_visitor(inbox).await;
    let unanswered = app.new_conversation(&v1).await;
    let v2 = app.new_visitor(inbox).await;
    let answered = app.new_conversation(&v2).await;
    let (status, _) = app
        .send(&a.token, answered, "a-1", "Hello, how can I help?")
        .await;
    assert_eq!(status, 201);
    for c in [unanswered, answered] {
        assert_eq!(
            conversation(&app, c, &admin.token).await["assignee_id"],
            a.agent.id.to_string()
        );
    }

    // One tab closed: still connected and online, well past the grace time.
    tab1.close().await;
    app.advance(SEC * 5 / 2).await;
    let e = directory_entry(&app, &admin.token, a.agent.id).await;
    assert_eq!(
        (e["connected"].as_bool(), e["status"].as_str()),
        (Some(true), Some("online")),
        "{e}"
    );
    assert_eq!(
        conversation(&app, unanswered, &admin.token).await["assignee_id"],
        a.agent.id.to_string()
    );

    // Both closed: offline after the grace time, not before; the unanswered chat goes back to
    // the queue, the answered one stays.
    tab2.close().await;
    app.advance(SEC / 2).await;
    let e = directory_entry(&app, &admin.token, a.agent.id).await;
    assert_eq!(
        (e["connected"].as_bool(), e["status"].as_str()),
        (Some(false), Some("online")),
        "within the grace: {e}"
    );
    app.advance(SEC / 2).await;
    let e = directory_entry(&app, &admin.token, a.agent.id).await;
    assert_eq!(
        (e["connected"].as_bool(), e["status"].as_str()),
        (Some(false), Some("offline")),
        "{e}"
    );
    let back = conversation(&app, unanswered, &admin.token).await;
    assert!(
        back["assignee_id"].is_null() && back["queued_at"].is_i64(),
        "{back}"
    );
    assert_eq!(
        conversation(&app, answered, &admin.token).await["assignee_id"],
        a.agent.id.to_string()
    );
    let (_, queue) = get(&app, "/api/v1/conversations?sort=queue", &admin.token).await;
    assert_eq!(queue["conversations"][0]["id"], unanswered.to_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_stays_online_while_a_tab_is_open_and_goes_offline_after_the_grace_on_sqlite() {
    if let Some((app, _db)) = app_on(Backend::Sqlite).await {
        an_agent_stays_online_while_a_tab_is_open_and_goes_offline_after_the_grace(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_stays_online_while_a_tab_is_open_and_goes_offline_after_the_grace_on_postgres() {
    if let Some((app, _db)) = app_on(Backend::Postgres).await {
        an_agent_stays_online_while_a_tab_is_open_and_goes_offline_after_the_grace(app).await;
    }
}

// ---------------------------------------------------------------------------------------------

async fn unanswered_chats_are_reoffered_and_transfers_respect_capacity(app: TestApp) {
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    set_routing(
        &app,
        &admin,
        inbox,
        json!({"policy": "round_robin", "reoffer_secs": 2, "reoffer_marks_away": true}),
    )
    .await;
    let a = online_agent(&app, &admin, inbox, 1).await;
    let b = online_agent(&app, &admin, inbox, 1).await;
    let v = app.new_visitor(inbox).await;
    let c = app.new_conversation(&v).await;
    let first: String = conversation(&app, c, &admin.token).await["assignee_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (first_agent, other) = if first == a.agent.id.to_string() {
        (&a, &b)
    } else {
        (&b, &a)
    };

    let assigned_at = conversation(&app, c, &admin.token).await["assigned_at"].clone();
    let reoffers = || async {
        let (_, page) = app.messages(&admin.token, c, 0).await;
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"].as_str().unwrap().starts_with("Re-offered to"))
            .count()
    };

    // Checked after a second: not due yet.
    app.advance(SEC).await;
    assert_eq!(
        conversation(&app, c, &admin.token).await["assignee_id"],
        first_agent.agent.id.to_string()
    );
    // Nobody answers for two: the chat moves to the other agent, and the first is set away.
    app.advance(SEC).await;
    let moved = conversation(&app, c, &admin.token).await;
    assert_eq!(moved["assignee_id"], other.agent.id.to_string(), "{moved}");
    assert_eq!(
        moved["assigned_at"].as_i64(),
        Some(assigned_at.as_i64().unwrap() + 2000),
        "{moved}"
    );
    let (_, me) = get(&app, "/api/v1/me", &first_agent.token).await;
    assert_eq!(me["agent"]["status"], "away");
    assert_eq!(reoffers().await, 1);

    // The other agent answers: it stays with them, long after, though the first agent is
    // back and free to take it.
    patch(
        &app,
        "/api/v1/me",
        &first_agent.token,
        json!({"status": "online"}),
    )
    .await;
    app.send(&other.token, c, "o-1", "Hi! I'm here.").await;
    app.advance(SEC * 5).await;
    assert_eq!(
        conversation(&app, c, &admin.token).await["assignee_id"],
        other.agent.id.to_string()
    );
    assert_eq!(reoffers().await, 1);

    // Transfers to an agent at capacity: refused for agents, a supervisor may override.
    let v2 = app.new_visitor(inbox).await;
    let c2 = app.new_conversation(&v2).await;
    assert_eq!(
        conversation(&app, c2, &admin.token).await["assignee_id"],
        first_agent.agent.id.to_string()
    );
    let (status, body) = post(
        &app,
        &format!("/api/v1/conversations/{c2}/transfer"),
        &first_agent.token,
        json!({"agent_id": other.agent.id}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("agent_at_capacity")),
        "{body}"
    );
    let sup = app
        .new_agent(admin.agent.workspace_id, Role::Supervisor)
        .await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/conversations/{c2}/transfer"),
        &sup.token,
        json!({"agent_id": other.agent.id, "note": "override"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(id_of(&json!({"id": body["assignee_id"]})), other.agent.id);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_chats_are_reoffered_and_transfers_respect_capacity_on_sqlite() {
    if let Some((app, _db)) = app_on(Backend::Sqlite).await {
        unanswered_chats_are_reoffered_and_transfers_respect_capacity(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_chats_are_reoffered_and_transfers_respect_capacity_on_postgres() {
    if let Some((app, _db)) = app_on(Backend::Postgres).await {
        unanswered_chats_are_reoffered_and_transfers_respect_capacity(app).await;
    }
}

// ---------------------------------------------------------------------------------------------

/// Snoozes are checked every five seconds: the conversation reopens at the first check at or
/// after its time, with a note in the timeline, and routing hands it to whoever is free.
async fn a_snoozed_conversation_reopens_when_its_time_comes_and_is_routed(app: TestApp) {
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    set_routing(
        &app,
        &admin,
        inbox,
        json!({"policy": "round_robin", "reoffer_secs": 0, "reoffer_marks_away": false}),
    )
    .await;
    // Nobody is online: the chat waits in the queue, and is snoozed there for a minute.
    let v = app.new_visitor(inbox).await;
    let c = app.new_conversation(&v).await;
    let until = app.now_ms() + 60_000;
    let (status, body) = patch(
        &app,
        &format!("/api/v1/conversations/{c}"),
        &admin.token,
        json!({"status": "snoozed", "snoozed_until": until}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // An agent comes online: a snoozed chat is not theirs to take yet.
    let a = online_agent(&app, &admin, inbox, 5).await;
    let mut a_ws = WsClient::open(&app, &a.token).await;
    let snoozed = conversation(&app, c, &admin.token).await;
    assert_eq!(
        (snoozed["status"].as_str(), snoozed["assignee_id"].is_null()),
        (Some("snoozed"), true),
        "{snoozed}"
    );
    let timeline = || async {
        let (_, page) = app.messages(&admin.token, c, 0).await;
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    // A check a second before its time leaves it snoozed.
    app.advance(SEC * 59).await;
    assert_eq!(
        conversation(&app, c, &admin.token).await["status"],
        "snoozed"
    );
    assert!(!timeline()
        .await
        .iter()
        .any(|t| t.starts_with("Snooze ended")));

    // The check at its time reopens it and routes it.
    app.advance(SEC).await;
    let woken = conversation(&app, c, &admin.token).await;
    assert_eq!(
        (
            woken["status"].as_str(),
            woken["snoozed_until"].is_null(),
            woken["assignee_id"].as_str()
        ),
        (Some("open"), true, Some(a.agent.id.to_string().as_str())),
        "{woken}"
    );
    let said = timeline().await;
    let ended = said.iter().position(|t| t.starts_with("Snooze ended"));
    let assigned = said.iter().position(|t| t.contains("by routing"));
    assert!(
        matches!((ended, assigned), (Some(e), Some(r)) if e < r),
        "{said:?}"
    );
    let n = a_ws.expect("notification").await;
    assert_eq!(
        (
            n["notification"]["kind"].as_str(),
            n["notification"]["conversation_id"].as_str(),
            n["notification"]["at"].as_i64()
        ),
        (Some("assigned"), Some(c.to_string().as_str()), Some(until)),
        "{n}"
    );
    a_ws.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snoozed_conversation_reopens_when_its_time_comes_and_is_routed_on_sqlite() {
    if let Some((app, _db)) = app_on(Backend::Sqlite).await {
        a_snoozed_conversation_reopens_when_its_time_comes_and_is_routed(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snoozed_conversation_reopens_when_its_time_comes_and_is_routed_on_postgres() {
    if let Some((app, _db)) = app_on(Backend::Postgres).await {
        a_snoozed_conversation_reopens_when_its_time_comes_and_is_routed(app).await;
    }
}

// ---------------------------------------------------------------------------------------------

async fn after_a_restart_agents_who_do_not_come_back_go_offline(backend: Backend) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let mut config = db.config();
    config.routing.offline_grace_secs = 1;
    let app = spawn_with(config.clone()).await;
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    let away = online_agent(&app, &admin, inbox, 5).await;
    let back = online_agent(&app, &admin, inbox, 5).await;
    app.stop().await;

    // A new process on the same database: one agent's console reconnects, the other's not.
    let app = spawn_on_manual_clock(config).await;
    let ws = WsClient::open(&app, &back.token).await;
    app.advance(SEC / 2).await;
    let e = directory_entry(&app, &admin.token, away.agent.id).await;
    assert_eq!(e["status"], "online", "within the grace: {e}");
    app.advance(SEC / 2).await;
    let gone = directory_entry(&app, &admin.token, away.agent.id).await;
    assert_eq!(
        (gone["status"].as_str(), gone["connected"].as_bool()),
        (Some("offline"), Some(false)),
        "{gone}"
    );
    app.advance(SEC).await;
    let e = directory_entry(&app, &admin.token, back.agent.id).await;
    assert_eq!(
        (e["status"].as_str(), e["connected"].as_bool()),
        (Some("online"), Some(true)),
        "{e}"
    );
    ws.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_agents_who_do_not_come_back_go_offline_on_sqlite() {
    after_a_restart_agents_who_do_not_come_back_go_offline(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_agents_who_do_not_come_back_go_offline_on_postgres() {
    after_a_restart_agents_who_do_not_come_back_go_offline(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------------

async fn a_pre_chat_answer_routes_the_conversation_to_its_team(app: TestApp) {
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    let generalist = online_agent(&app, &admin, inbox, 5).await;
    let biller = online_agent(&app, &admin, inbox, 5).await;
    let (status, team) = post(
        &app,
        "/api/v1/teams",
        &admin.token,
        json!({"name": "Billing", "member_ids": [biller.agent.id]}),
    )
    .await;
    assert_eq!(status, 201);
    let rule = json!({"attribute": "topic", "equals": "billing", "team_id": team["id"]});
    set_routing(
        &app,
        &admin,
        inbox,
        json!({"policy": "least_busy", "reoffer_secs": 0, "reoffer_marks_away": false, "team_rules": [rule]}),
    )
    .await;
    let (status, body) = patch(
        &app,
        &format!("/api/v1/inboxes/{inbox}"),
        &admin.token,
        json!({"routing": {"team_rules": [{"attribute": "topic", "equals": "x", "team_id": Uuid::now_v7()}]}}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed")),
        "a foreign team"
    );

    // The pre-chat form stored "Billing " as the topic: the Billing team's member gets it.
    let v = app.new_visitor(inbox).await;
    let (status, _) = patch(
        &app,
        "/api/v1/widget/contact",
        &v.token,
        json!({"attributes": {"topic": "Billing "}}),
    )
    .await;
    assert_eq!(status, 200);
    for _ in 0..3 {
        let c = app.new_conversation(&v).await;
        let c = conversation(&app, c, &admin.token).await;
        assert_eq!(
            (c["team_id"].clone(), c["assignee_id"].clone()),
            (team["id"].clone(), json!(biller.agent.id)),
            "{c}"
        );
    }
    // Anyone else: no team, and least busy picks the free generalist.
    let other = app.new_visitor(inbox).await;
    let c = app.new_conversation(&other).await;
    let c = conversation(&app, c, &admin.token).await;
    assert_eq!(
        (c["team_id"].clone(), c["assignee_id"].clone()),
        (Value::Null, json!(generalist.agent.id)),
        "{c}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_chat_answer_routes_the_conversation_to_its_team_on_sqlite() {
    if let Some((app, _db)) = app_on(Backend::Sqlite).await {
        a_pre_chat_answer_routes_the_conversation_to_its_team(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_chat_answer_routes_the_conversation_to_its_team_on_postgres() {
    if let Some((app, _db)) = app_on(Backend::Postgres).await {
        a_pre_chat_answer_routes_the_conversation_to_its_team(app).await;
    }
}
