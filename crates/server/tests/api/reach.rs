//! What an agent reaches through other agents' actions: a note's @mentions reach only agents
//! who can see the conversation, and conversations are started only with contacts the agent
//! may see.

use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{call, AgentUser, Database, TestApp, WsClient};
use crate::on_both_backends;

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(token), Some(body)).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

/// An agent (role `agent`) working only `inboxes`.
async fn agent_of(app: &TestApp, admin: &AgentUser, role: Role, inboxes: &[Uuid]) -> AgentUser {
    let agent = app.new_agent(admin.agent.workspace_id, role).await;
    let (status, body) = call(
        app,
        reqwest::Method::PATCH,
        &format!("/api/v1/agents/{}", agent.agent.id),
        Some(&admin.token),
        Some(json!({"inbox_ids": inboxes})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    agent
}

/// Sends a note mentioning `mentions` over the socket; the `ack` or `error` frame for it.
async fn ws_note(
    ws: &mut WsClient,
    conversation: Uuid,
    client_msg_id: &str,
    body: &str,
    mentions: &[Uuid],
) -> Value {
    let id = format!("f-{client_msg_id}");
    ws.send_json(json!({
        "type": "message.send", "id": id, "conversation_id": conversation,
        "client_msg_id": client_msg_id, "body": body, "kind": "note", "mentions": mentions
    }))
    .await;
    loop {
        let v = ws.next().await;
        if (v["type"] == "ack" || v["type"] == "error") && v["id"] == id.as_str() {
            return v;
        }
        assert_ne!(v["type"], "__close", "closed waiting for {id}");
    }
}

/// Reads until a notification about `conversation` arrives; every frame read on the way.
async fn until_notified(ws: &mut WsClient, conversation: Uuid) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let v = ws.next().await;
        assert_ne!(v["type"], "__close", "closed waiting for a notification");
        if v["type"] == "notification"
            && v["notification"]["conversation_id"] == conversation.to_string()
        {
            return (v, before);
        }
        before.push(v);
    }
}

fn assert_refused(v: &Value, what: &str) {
    assert_eq!(v["type"], "error", "{what}: {v}");
    assert_eq!(v["code"], "validation_failed", "{what}: {v}");
    assert!(
        v["message"].as_str().unwrap().contains("mentions"),
        "{what}: {v}"
    );
}

fn note_bodies(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("not a message page: {page}"))
        .iter()
        .filter(|m| m["kind"] == "note")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------

async fn a_note_mentioning_an_agent_who_cannot_see_its_inbox_is_refused_and_reaches_no_one(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let other_inbox = app.create_inbox(&s.agent, &["http://other.example"]).await;
    let other_visitor = app.new_visitor(other_inbox).await;
    let other_conversation = app.new_conversation(&other_visitor).await;
    let author = agent_of(&app, &s.agent, Role::Agent, &[s.inbox]).await;
    let teammate = agent_of(&app, &s.agent, Role::Agent, &[s.inbox]).await;
    let outsider = agent_of(&app, &s.agent, Role::Agent, &[other_inbox]).await;
    let supervisor = agent_of(&app, &s.agent, Role::Supervisor, &[]).await;
    let mut author_ws = WsClient::open(&app, &author.token).await;
    let mut teammate_ws = WsClient::open(&app, &teammate.token).await;
    let mut outsider_ws = WsClient::open(&app, &outsider.token).await;
    let mut supervisor_ws = WsClient::open(&app, &supervisor.token).await;
    let mut admin_ws = WsClient::open(&app, &s.agent.token).await;

    // An agent of the inbox mentions the outsider (alone, or beside a teammate who may see
    // it), an unknown id, or an id of another workspace: the note is refused, naming the ids.
    let elsewhere = app.new_workspace_admin().await;
    let refused = [
        vec![outsider.agent.id],
        vec![teammate.agent.id, outsider.agent.id],
        vec![Uuid::now_v7()],
        vec![elsewhere.agent.id],
    ];
    for (i, mentions) in refused.iter().enumerate() {
        let v = ws_note(
            &mut author_ws,
            s.conversation,
            &format!("leak-{i}"),
            &format!("SECRET-{i} refund for the VIP"),
            mentions,
        )
        .await;
        assert_refused(&v, &format!("mentions {mentions:?}"));
        let last = mentions.last().unwrap().to_string();
        assert!(v["message"].as_str().unwrap().contains(&last), "{v}");
    }
    // An admin, who sees every inbox, cannot make the outsider see it either; nor over REST.
    let v = ws_note(
        &mut admin_ws,
        s.conversation,
        "leak-admin",
        "SECRET-admin",
        &[outsider.agent.id],
    )
    .await;
    assert_refused(&v, "an admin's mention");
    let (status, body) = post(
        &app,
        &format!("/api/v1/conversations/{}/messages", s.conversation),
        &author.token,
        json!({"client_msg_id": "leak-rest", "body": "SECRET-rest", "kind": "note",
               "mentions": [outsider.agent.id]}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed")),
        "{body}"
    );

    // Nothing was stored.
    let (status, page) = get(
        &app,
        &format!(
            "/api/v1/conversations/{}/messages?after_seq=0",
            s.conversation
        ),
        &s.agent.token,
    )
    .await;
    assert_eq!(status, 200);
    assert!(note_bodies(&page).is_empty(), "{page}");

    // Barrier: a mention the outsider may receive (a conversation of their inbox) arrives, and
    // nothing of the refused notes came before it.
    let v = ws_note(
        &mut admin_ws,
        other_conversation,
        "fine-outsider",
        "all good",
        &[outsider.agent.id],
    )
    .await;
    assert_eq!(v["type"], "ack", "{v}");
    let (n, before) = until_notified(&mut outsider_ws, other_conversation).await;
    assert_eq!(n["notification"]["text"], "all good");
    let leaked: Vec<&Value> = before
        .iter()
        .filter(|f| f["type"] == "notification" || f.to_string().contains("SECRET"))
        .collect();
    assert!(leaked.is_empty(), "the outsider received {leaked:?}");

    // The teammate and a supervisor outside the inbox may see it: mentioned, they are told,
    // and the teammate heard nothing of the refused note that named them too.
    let v = ws_note(
        &mut author_ws,
        s.conversation,
        "fine-team",
        "please look",
        &[teammate.agent.id, supervisor.agent.id, author.agent.id],
    )
    .await;
    assert_eq!(v["type"], "ack", "{v}");
    let (n, before) = until_notified(&mut teammate_ws, s.conversation).await;
    assert_eq!(n["notification"]["text"], "please look");
    assert!(
        !before.iter().any(|f| f["type"] == "notification"),
        "{before:?}"
    );
    let (n, _) = until_notified(&mut supervisor_ws, s.conversation).await;
    assert_eq!(n["notification"]["text"], "please look");
    let (status, page) = get(
        &app,
        &format!(
            "/api/v1/conversations/{}/messages?after_seq=0",
            s.conversation
        ),
        &s.agent.token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(note_bodies(&page), vec!["please look".to_owned()]);

    for ws in [author_ws, teammate_ws, outsider_ws, supervisor_ws, admin_ws] {
        ws.close().await;
    }
    app.stop().await;
}

on_both_backends!(
    a_note_mentioning_an_agent_who_cannot_see_its_inbox_is_refused_and_reaches_no_one_on_sqlite,
    a_note_mentioning_an_agent_who_cannot_see_its_inbox_is_refused_and_reaches_no_one_on_postgres,
    a_note_mentioning_an_agent_who_cannot_see_its_inbox_is_refused_and_reaches_no_one
);

// ---------------------------------------------------------------------------------------------

async fn agents_start_conversations_only_with_contacts_they_may_see(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let other_inbox = app.create_inbox(&s.agent, &["http://other.example"]).await;
    let foreign = app.new_visitor(other_inbox).await;
    let agent = agent_of(&app, &s.agent, Role::Agent, &[s.inbox]).await;
    let start = |contact: Uuid| json!({"inbox_id": s.inbox, "contact_id": contact});

    // A contact of an inbox the agent does not work, and one that does not exist: the same 404.
    let (status, foreign_body) = post(
        &app,
        "/api/v1/conversations",
        &agent.token,
        start(foreign.contact_id),
    )
    .await;
    assert_eq!(
        (status, foreign_body["code"].as_str()),
        (404, Some("not_found")),
        "{foreign_body}"
    );
    let (status, unknown_body) = post(
        &app,
        "/api/v1/conversations",
        &agent.token,
        start(Uuid::now_v7()),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        foreign_body, unknown_body,
        "foreign and unknown must look the same"
    );

    // Nothing was created, and the contact's details are nowhere in the agent's list.
    let (status, list) = get(&app, "/api/v1/conversations", &agent.token).await;
    assert_eq!(status, 200);
    assert!(
        !list.to_string().contains(&foreign.contact_id.to_string()),
        "{list}"
    );
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1, "{list}");
    let (_, all) = get(&app, "/api/v1/conversations", &s.agent.token).await;
    assert_eq!(all["conversations"].as_array().unwrap().len(), 1, "{all}");

    // A contact of their own inbox is fine; so is any contact for an admin.
    let (status, body) = post(
        &app,
        "/api/v1/conversations",
        &agent.token,
        start(s.visitor.contact_id),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(
        &app,
        "/api/v1/conversations",
        &s.agent.token,
        start(foreign.contact_id),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

on_both_backends!(
    agents_start_conversations_only_with_contacts_they_may_see_on_sqlite,
    agents_start_conversations_only_with_contacts_they_may_see_on_postgres,
    agents_start_conversations_only_with_contacts_they_may_see
);
