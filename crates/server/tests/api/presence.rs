//! Presence through the real server: an agent goes offline only after a whole grace window
//! without a console, and the widget shows agents as available only while someone who works
//! the inbox is online and connected.

use std::time::Duration;

use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    call, spawn_on_manual_clock, AgentUser, Backend, Database, TestApp, WsClient,
};

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let (status, body) = call(app, reqwest::Method::PATCH, path, Some(token), Some(body)).await;
    assert_eq!(status, 200, "{path}: {body}");
    (status, body)
}

/// A new agent of the workspace who is a member of `inboxes`, with `status`.
async fn agent_of(
    app: &TestApp,
    admin: &AgentUser,
    role: Role,
    inboxes: &[Uuid],
    status: &str,
) -> AgentUser {
    let agent = app.new_agent(admin.agent.workspace_id, role).await;
    let path = format!("/api/v1/agents/{}", agent.agent.id);
    patch(app, &path, &admin.token, json!({ "inbox_ids": inboxes })).await;
    set_status(app, &agent, status).await;
    agent
}

async fn set_status(app: &TestApp, agent: &AgentUser, status: &str) {
    patch(app, "/api/v1/me", &agent.token, json!({ "status": status })).await;
}

async fn status_of(app: &TestApp, admin: &AgentUser, id: Uuid) -> String {
    let (_, dir) = call(
        app,
        reqwest::Method::GET,
        "/api/v1/agents",
        Some(&admin.token),
        None,
    )
    .await;
    dir["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.to_string())
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn assignee(app: &TestApp, admin: &AgentUser, chat: Uuid) -> Value {
    let path = format!("/api/v1/conversations/{chat}");
    let (_, c) = call(app, reqwest::Method::GET, &path, Some(&admin.token), None).await;
    c["assignee_id"].clone()
}

// ---------------------------------------------------------------------------------------------

/// The grace is two seconds, on the server's manual clock. Agent A closes a tab at t0 (a check
/// is due at t0+2) and reopens one at once, then closes it at t0+1.5 (a reload in flight when
/// the first check runs). That check must leave A online with their chat. B, who closes their
/// only tab at t0+0.5 and stays away, goes offline at t0+2.5, and A a whole grace after their
/// last departure, at t0+3.5.
async fn a_reload_in_flight_when_the_grace_ends_does_not_set_a_returning_agent_offline(
    backend: Backend,
) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let mut config = db.config();
    config.routing.offline_grace_secs = 2;
    let app = spawn_on_manual_clock(config).await;
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    let other_inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    let a = agent_of(&app, &admin, Role::Agent, &[inbox], "online").await;
    let b = agent_of(&app, &admin, Role::Agent, &[other_inbox], "online").await;
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/inboxes/{inbox}"),
        Some(&admin.token),
        Some(json!({"routing": {"policy": "round_robin", "reoffer_secs": 0, "reoffer_marks_away": false}})),
    )
    .await;
    assert_eq!(status, 200);
    let a_tab = WsClient::open(&app, &a.token).await;
    let b_tab = WsClient::open(&app, &b.token).await;
    let visitor = app.new_visitor(inbox).await;
    let chat = app.new_conversation(&visitor).await;
    assert_eq!(assignee(&app, &admin, chat).await, json!(a.agent.id));

    let ms = Duration::from_millis;
    a_tab.close().await; // t0
    let a_tab = WsClient::open(&app, &a.token).await;
    app.advance(ms(500)).await;
    b_tab.close().await; // t0 + 0.5
    app.advance(ms(1000)).await;
    a_tab.close().await; // t0 + 1.5

    app.advance(ms(500)).await; // t0 + 2: the check of A's first departure has run.
    assert_eq!(
        status_of(&app, &admin, a.agent.id).await,
        "online",
        "A was connected during the first check's window"
    );
    assert_eq!(assignee(&app, &admin, chat).await, json!(a.agent.id));
    assert_eq!(status_of(&app, &admin, b.agent.id).await, "online");

    app.advance(ms(500)).await; // t0 + 2.5
    assert_eq!(status_of(&app, &admin, b.agent.id).await, "offline");
    assert_eq!(status_of(&app, &admin, a.agent.id).await, "online");
    assert_eq!(assignee(&app, &admin, chat).await, json!(a.agent.id));

    // The check of the latest departure still sets A offline and returns the chat.
    app.advance(ms(999)).await;
    assert_eq!(status_of(&app, &admin, a.agent.id).await, "online");
    app.advance(ms(1)).await; // t0 + 3.5
    assert_eq!(status_of(&app, &admin, a.agent.id).await, "offline");
    assert!(assignee(&app, &admin, chat).await.is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_in_flight_when_the_grace_ends_does_not_set_a_returning_agent_offline_on_sqlite() {
    a_reload_in_flight_when_the_grace_ends_does_not_set_a_returning_agent_offline(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_in_flight_when_the_grace_ends_does_not_set_a_returning_agent_offline_on_postgres()
{
    a_reload_in_flight_when_the_grace_ends_does_not_set_a_returning_agent_offline(
        Backend::Postgres,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------

async fn agents_online(app: &TestApp, inbox: Uuid) -> bool {
    let path = format!("/api/v1/widget/config/{inbox}");
    let (status, config) = call(app, reqwest::Method::GET, &path, None, None).await;
    assert_eq!(status, 200, "{config}");
    config["agents_online"].as_bool().unwrap()
}

async fn the_widget_shows_agents_online_only_while_a_member_of_the_inbox_is_online_and_connected(
    app: TestApp,
    _db: Database,
) {
    let admin = app.new_workspace_admin().await;
    let inbox = app.create_inbox(&admin, &["http://shop.example"]).await;
    let elsewhere = app.create_inbox(&admin, &["http://shop.example"]).await;

    // An admin who set themselves offline, with the console open: not available.
    set_status(&app, &admin, "offline").await;
    let _admin_tab = WsClient::open(&app, &admin.token).await;
    assert!(!agents_online(&app, inbox).await, "an offline admin");
    // Online, but works no inbox: admins see every inbox, they do not work it.
    set_status(&app, &admin, "online").await;
    assert!(
        !agents_online(&app, inbox).await,
        "an admin who is no member"
    );

    // Online and connected, but a member of another inbox only.
    let other = agent_of(&app, &admin, Role::Agent, &[elsewhere], "online").await;
    let _other_tab = WsClient::open(&app, &other.token).await;
    assert!(
        !agents_online(&app, inbox).await,
        "a member of another inbox"
    );
    assert!(agents_online(&app, elsewhere).await);

    // A member of the inbox: online but not connected, then connected but away.
    let member = agent_of(&app, &admin, Role::Agent, &[inbox], "online").await;
    assert!(
        !agents_online(&app, inbox).await,
        "a member with no console open"
    );
    set_status(&app, &member, "away").await;
    let tab = WsClient::open(&app, &member.token).await;
    assert!(!agents_online(&app, inbox).await, "a member who is away");

    // Online and connected: available; and no longer once the console closed.
    set_status(&app, &member, "online").await;
    assert!(
        agents_online(&app, inbox).await,
        "a member online and connected"
    );
    tab.close().await;
    assert!(
        !agents_online(&app, inbox).await,
        "a member whose console closed"
    );

    // A supervisor who is a member counts like any agent who works the inbox.
    let supervisor = agent_of(&app, &admin, Role::Supervisor, &[inbox], "online").await;
    let _supervisor_tab = WsClient::open(&app, &supervisor.token).await;
    assert!(
        agents_online(&app, inbox).await,
        "a supervisor who is a member"
    );
    app.stop().await;
}

crate::on_both_backends!(
    the_widget_shows_agents_online_only_while_a_member_of_the_inbox_is_online_and_connected_on_sqlite,
    the_widget_shows_agents_online_only_while_a_member_of_the_inbox_is_online_and_connected_on_postgres,
    the_widget_shows_agents_online_only_while_a_member_of_the_inbox_is_online_and_connected
);
