//! What the agent console stands on: inbox membership as a permission, the agent directory
//! and presence, triage (assign, take over, transfer, status, snooze, labels, priority) with
//! timeline events and notifications, mentions, sneak peek, live visitors, proactive chats,
//! saved replies and labels.

use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{call, AgentUser, Database, TestApp, WsClient};
use crate::on_both_backends;

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(token), Some(body)).await
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::PATCH, path, Some(token), Some(body)).await
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Whether `v` is a typing frame with `on: false` on `conversation`: an agent who stops typing
/// there gives the conversation's visitor a barrier (see `WsClient::frames_until`).
fn stopped_typing(v: &Value, conversation: Uuid) -> bool {
    v["type"] == "typing" && v["on"] == false && v["conversation_id"] == conversation.to_string()
}

async fn member_agent(app: &TestApp, admin: &AgentUser, inbox: Uuid) -> AgentUser {
    let agent = app.new_agent(admin.agent.workspace_id, Role::Agent).await;
    let (status, _) = patch(
        app,
        &format!("/api/v1/agents/{}", agent.agent.id),
        &admin.token,
        json!({"inbox_ids": [inbox]}),
    )
    .await;
    assert_eq!(status, 200);
    agent
}

// ---------------------------------------------------------------------------------------------

async fn agents_see_only_the_inboxes_they_work(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let other_inbox = app.create_inbox(&s.agent, &["http://other.example"]).await;
    let outsider = app.new_agent(s.agent.agent.workspace_id, Role::Agent).await;
    let conv = format!("/api/v1/conversations/{}", s.conversation);

    // Not a member of the inbox: the conversation does not exist for them.
    assert_eq!(get(&app, &conv, &outsider.token).await.0, 404);
    assert_eq!(
        get(&app, &format!("{conv}/messages"), &outsider.token)
            .await
            .0,
        404
    );
    let (_, list) = get(&app, "/api/v1/conversations", &outsider.token).await;
    assert!(ids(&list, "conversations").is_empty());
    let (_, inboxes) = get(&app, "/api/v1/inboxes", &outsider.token).await;
    assert_eq!(inboxes.as_array().unwrap().len(), 0);
    let (status, _) = app.send(&outsider.token, s.conversation, "x-1", "hi").await;
    assert_eq!(status, 404);
    let mut outsider_ws = WsClient::open(&app, &outsider.token).await;

    // Made a member of the other inbox only: still nothing of this one, live or not.
    let (status, inbox) = patch(
        &app,
        &format!("/api/v1/inboxes/{other_inbox}"),
        &s.agent.token,
        json!({"member_ids": [outsider.agent.id]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(inbox["member_ids"], json!([outsider.agent.id]));
    app.send(&s.visitor.token, s.conversation, "v-1", "hello")
        .await;
    // Then a change every agent socket of the workspace hears, whatever inboxes it works:
    // the outsider's socket has it after anything queued for it by the message.
    let (status, _) = patch(
        &app,
        &format!("/api/v1/agents/{}", outsider.agent.id),
        &s.agent.token,
        json!({"capacity": 3}),
    )
    .await;
    assert_eq!(status, 200);
    let outsider_id = outsider.agent.id.to_string();
    let seen = outsider_ws
        .frames_until("the outsider's own agent.updated", |v| {
            v["type"] == "agent.updated"
                && v["agent"]["id"] == outsider_id.as_str()
                && v["agent"]["capacity"] == 3
        })
        .await;
    assert!(
        seen.iter()
            .all(|v| !v.to_string().contains(&s.conversation.to_string())),
        "an agent got an event of an inbox they do not work: {seen:?}"
    );

    // A member of this inbox: sees it.
    let (status, entry) = patch(
        &app,
        &format!("/api/v1/agents/{}", outsider.agent.id),
        &s.agent.token,
        json!({"inbox_ids": [s.inbox, other_inbox], "capacity": 7}),
    )
    .await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["capacity"], 7);
    assert_eq!(get(&app, &conv, &outsider.token).await.0, 200);
    let (_, list) = get(&app, "/api/v1/conversations", &outsider.token).await;
    assert_eq!(
        ids(&list, "conversations"),
        vec![s.conversation.to_string()]
    );
    assert_eq!(list["contacts"][0]["id"], s.visitor.contact_id.to_string());
    let mut member_ws = WsClient::open(&app, &outsider.token).await;
    app.send(&s.visitor.token, s.conversation, "v-2", "again")
        .await;
    member_ws.collect_messages(s.conversation, 1).await;

    // Only admins change agents; capacity has bounds.
    let (status, _) = patch(
        &app,
        &format!("/api/v1/agents/{}", outsider.agent.id),
        &outsider.token,
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = patch(
        &app,
        &format!("/api/v1/agents/{}", outsider.agent.id),
        &s.agent.token,
        json!({"capacity": 0}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed"))
    );
    outsider_ws.close().await;
    member_ws.close().await;
    app.stop().await;
}

on_both_backends!(
    agents_see_only_the_inboxes_they_work_on_sqlite,
    agents_see_only_the_inboxes_they_work_on_postgres,
    agents_see_only_the_inboxes_they_work
);

// ---------------------------------------------------------------------------------------------

async fn triage_records_timeline_events_and_notifies_without_reaching_the_visitor(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let a = member_agent(&app, &s.agent, s.inbox).await;
    let b = member_agent(&app, &s.agent, s.inbox).await;
    let mut visitor_ws = WsClient::open(&app, &s.visitor.token).await;
    let mut b_ws = WsClient::open(&app, &b.token).await;
    let conv = format!("/api/v1/conversations/{}", s.conversation);
    app.send(&s.visitor.token, s.conversation, "v-1", "my order is late")
        .await;

    // Waiting since the visitor's message, until an agent answers.
    let (_, c) = get(&app, &conv, &a.token).await;
    assert!(c["waiting_since"].as_i64().is_some(), "{c}");
    let (_, list) = get(
        &app,
        "/api/v1/conversations?assignee=none&sort=waiting",
        &a.token,
    )
    .await;
    assert_eq!(
        ids(&list, "conversations"),
        vec![s.conversation.to_string()]
    );

    // Agent A takes it; B may not take it away; A answers.
    let (status, c) = patch(&app, &conv, &a.token, json!({"assignee_id": a.agent.id})).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["assignee_id"], a.agent.id.to_string());
    let (status, _) = patch(&app, &conv, &b.token, json!({"assignee_id": b.agent.id})).await;
    assert_eq!(status, 403);
    app.send(&a.token, s.conversation, "a-1", "Looking into it")
        .await;
    let (_, c) = get(&app, &conv, &a.token).await;
    assert!(c["waiting_since"].is_null(), "{c}");
    let (_, mine) = get(&app, "/api/v1/conversations?assignee=me", &a.token).await;
    assert_eq!(
        ids(&mine, "conversations"),
        vec![s.conversation.to_string()]
    );
    let (_, none) = get(&app, "/api/v1/conversations?assignee=none", &a.token).await;
    assert!(ids(&none, "conversations").is_empty());

    // Labels and priority, and the label filter.
    let (status, c) = patch(
        &app,
        &conv,
        &a.token,
        json!({"labels": ["billing", "vip_100%", "billing"], "priority": "high"}),
    )
    .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["labels"], json!(["billing", "vip_100%"]));
    assert_eq!(c["priority"], "high");
    let (_, found) = get(&app, "/api/v1/conversations?label=vip_100%25", &a.token).await;
    assert_eq!(ids(&found, "conversations").len(), 1);
    let (_, found) = get(&app, "/api/v1/conversations?label=vip", &a.token).await;
    assert!(ids(&found, "conversations").is_empty());
    let (status, _) = patch(&app, &conv, &a.token, json!({"labels": ["a\"b"]})).await;
    assert_eq!(status, 400);

    // Transfer to B with a note: B is notified; the note and the event are agents' only.
    let (status, c) = post(
        &app,
        &format!("{conv}/transfer"),
        &a.token,
        json!({"agent_id": b.agent.id, "note": "Refund approved, please finish"}),
    )
    .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["assignee_id"], b.agent.id.to_string());
    let n = b_ws.expect("notification").await;
    assert_eq!(n["notification"]["kind"], "transfer");
    assert_eq!(
        n["notification"]["conversation_id"],
        s.conversation.to_string()
    );
    assert!(n["notification"]["text"]
        .as_str()
        .unwrap()
        .contains("Refund approved"));

    // Snooze needs a time; resolve; B is the assignee now, so A may no longer change it.
    let (status, _) = patch(&app, &conv, &b.token, json!({"status": "snoozed"})).await;
    assert_eq!(status, 400);
    let until = livedesk_core::now_ms() + 3_600_000;
    let (status, c) = patch(
        &app,
        &conv,
        &b.token,
        json!({"status": "snoozed", "snoozed_until": until}),
    )
    .await;
    assert_eq!((status, c["snoozed_until"].as_i64()), (200, Some(until)));
    let (status, _) = patch(&app, &conv, &a.token, json!({"status": "resolved"})).await;
    assert_eq!(status, 403);
    let (status, c) = patch(&app, &conv, &b.token, json!({"status": "resolved"})).await;
    assert_eq!((status, c["snoozed_until"].is_null()), (200, true));

    // A supervisor takes over.
    let sup = app
        .new_agent(s.agent.agent.workspace_id, Role::Supervisor)
        .await;
    let (status, c) = patch(
        &app,
        &conv,
        &sup.token,
        json!({"assignee_id": sup.agent.id}),
    )
    .await;
    assert_eq!(
        (status, c["assignee_id"].as_str()),
        (200, Some(sup.agent.id.to_string().as_str()))
    );

    // The agents' timeline holds each step as a system note, in order: as data (`event`)
    // and in words (`body`).
    let (_, page) = app.messages(&a.token, s.conversation, 0).await;
    let lines: Vec<&Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "note" && m["author"]["kind"] == "system")
        .collect();
    let events: Vec<String> = lines
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    let expect = [
        ("took", "took this conversation"),
        ("priority_changed", "set the priority to high"),
        ("transferred", "transferred this conversation to"),
        ("status_changed", "snoozed this conversation"),
        ("status_changed", "resolved this conversation"),
        ("took_over", "took over this conversation"),
    ];
    assert_eq!(events.len(), expect.len(), "{events:?}");
    for (line, (kind, words)) in lines.iter().zip(expect) {
        assert_eq!(line["event"]["type"], kind, "{line}");
        let got = line["body"].as_str().unwrap();
        assert!(got.contains(words), "{got:?} should say {words:?}");
    }
    let by = |i: usize| lines[i]["event"]["by"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        by(0),
        a.agent.id.to_string(),
        "the first line names who took it"
    );
    assert_eq!(lines[1]["event"]["priority"], "high");
    assert_eq!(lines[2]["event"]["to"]["id"], b.agent.id.to_string());
    assert_eq!(lines[4]["event"]["status"], "resolved");
    assert_eq!(by(5), sup.agent.id.to_string());
    // A transfer's own note is the agent's, not a timeline line.
    assert!(page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["author"]["kind"] == "system" || m.get("event").is_none()));
    assert!(page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["kind"] == "note" && m["body"] == "Refund approved, please finish"));

    // The visitor saw the two texts and none of the rest, over REST and on the socket.
    let (_, theirs) = app.messages(&s.visitor.token, s.conversation, 0).await;
    let bodies: Vec<&str> = theirs["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["my order is late", "Looking into it"]);
    // B stopping to type reaches the visitor after everything the steps above queued for them.
    b_ws.send_json(json!({"type": "typing", "conversation_id": s.conversation, "on": false}))
        .await;
    visitor_ws
        .frames_until("B's typing", |v| stopped_typing(v, s.conversation))
        .await;
    let leaked: Vec<&Value> = visitor_ws
        .received
        .iter()
        .filter(|f| {
            let text = f.to_string();
            f["type"] == "notification"
                || text.contains("Refund approved")
                || text.contains("transferred")
                || text.contains("\"note\"")
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "the visitor received agents' data: {leaked:?}"
    );
    visitor_ws.close().await;
    b_ws.close().await;
    app.stop().await;
}

on_both_backends!(
    triage_records_timeline_events_and_notifies_without_reaching_the_visitor_on_sqlite,
    triage_records_timeline_events_and_notifies_without_reaching_the_visitor_on_postgres,
    triage_records_timeline_events_and_notifies_without_reaching_the_visitor
);

// ---------------------------------------------------------------------------------------------

async fn mentions_drafts_presence_and_live_visitors_reach_only_agents(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let a = member_agent(&app, &s.agent, s.inbox).await;
    let b = member_agent(&app, &s.agent, s.inbox).await;
    let mut b_ws = WsClient::open(&app, &b.token).await;

    // A connecting is heard by B; A's status change too.
    let mut a_ws = WsClient::open(&app, &a.token).await;
    let up = loop {
        // B hears its own connection first.
        let up = b_ws.expect("agent.updated").await;
        if up["agent"]["id"] != b.agent.id.to_string() {
            break up;
        }
    };
    assert_eq!(up["agent"]["id"], a.agent.id.to_string());
    assert_eq!(up["agent"]["connected"], true);
    let (status, me) = patch(&app, "/api/v1/me", &a.token, json!({"status": "online"})).await;
    assert_eq!((status, me["status"].as_str()), (200, Some("online")));
    let up = b_ws.expect("agent.updated").await;
    assert_eq!(up["agent"]["status"], "online");
    let (_, dir) = get(&app, "/api/v1/agents", &b.token).await;
    let entry = dir["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == a.agent.id.to_string())
        .cloned()
        .unwrap();
    assert_eq!(
        (entry["connected"].as_bool(), entry["status"].as_str()),
        (Some(true), Some("online"))
    );

    // The visitor opens the widget: live for agents, with the page they are on.
    let mut v_ws = WsClient::open(&app, &s.visitor.token).await;
    let online = b_ws.expect("visitor.online").await;
    assert_eq!(
        online["visitor"]["contact_id"],
        s.visitor.contact_id.to_string()
    );
    v_ws.send_json(
        json!({"type": "page.view", "url": "https://shop.example/cart", "title": "Cart", "timezone": "Europe/Berlin"}),
    )
    .await;
    b_ws.expect("contact.page_view").await;
    let (_, detail) = get(
        &app,
        &format!("/api/v1/contacts/{}", s.visitor.contact_id),
        &b.token,
    )
    .await;
    assert_eq!(detail["timezone"], "Europe/Berlin", "{detail}");
    assert_eq!(detail["pages"][0]["url"], "https://shop.example/cart");
    let (_, live) = get(&app, "/api/v1/visitors", &b.token).await;
    assert_eq!(
        live["visitors"][0]["page"]["url"],
        "https://shop.example/cart"
    );
    assert_eq!(
        live["visitors"][0]["conversation_id"],
        s.conversation.to_string()
    );

    // Sneak peek: the visitor's draft reaches agents; an agent's draft reaches no one.
    v_ws.send_json(json!({"type": "typing", "conversation_id": s.conversation, "on": true, "draft": "Can I change my addr"}))
        .await;
    let t = b_ws.expect("typing").await;
    assert_eq!(t["draft"], "Can I change my addr");
    a_ws.send_json(json!({"type": "typing", "conversation_id": s.conversation, "on": true, "draft": "secret draft"}))
        .await;
    let t = v_ws.expect("typing").await;
    assert!(t.get("draft").is_none(), "{t}");
    let t = b_ws.expect("typing").await;
    assert_eq!(t["author"]["id"], a.agent.id.to_string(), "{t}");
    assert!(t.get("draft").is_none(), "{t}");

    // A mention notifies B alone; it is refused on a text message.
    a_ws.send_json(json!({
        "type": "message.send", "id": "n1", "conversation_id": s.conversation,
        "client_msg_id": "note-1", "body": "@B can you check the refund?", "kind": "note",
        "mentions": [b.agent.id]
    }))
    .await;
    a_ws.expect("ack").await;
    let n = b_ws.expect("notification").await;
    assert_eq!(n["notification"]["kind"], "mention");
    assert_eq!(n["notification"]["by"]["id"], a.agent.id.to_string());
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{}/messages", s.conversation),
        Some(&a.token),
        Some(json!({"client_msg_id": "t-1", "body": "hi", "mentions": [b.agent.id]})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed"))
    );
    // A stops typing: that comes back to A's socket, and reaches the visitor, after anything
    // the note or the refused message queued for either.
    a_ws.frames_before_own_typing(s.conversation).await;
    let a_notes: Vec<&Value> = a_ws
        .received
        .iter()
        .filter(|f| f["type"] == "notification")
        .collect();
    assert!(a_notes.is_empty(), "the author was notified: {a_notes:?}");

    // The visitor heard nothing of it.
    v_ws.frames_until("A's typing", |v| stopped_typing(v, s.conversation))
        .await;
    for f in &v_ws.received {
        let text = f.to_string();
        assert!(
            !text.contains("refund")
                && !text.contains("secret draft")
                && f["type"] != "notification",
            "the visitor received {f}"
        );
    }

    // Leaving the site: offline for agents, gone from the list.
    v_ws.close().await;
    let off = b_ws.expect("visitor.offline").await;
    assert_eq!(off["contact_id"], s.visitor.contact_id.to_string());
    let (_, live) = get(&app, "/api/v1/visitors", &b.token).await;
    assert!(live["visitors"].as_array().unwrap().is_empty());
    a_ws.close().await;
    let up = b_ws.expect("agent.updated").await;
    assert_eq!(up["agent"]["connected"], false);
    b_ws.close().await;
    app.stop().await;
}

on_both_backends!(
    mentions_drafts_presence_and_live_visitors_reach_only_agents_on_sqlite,
    mentions_drafts_presence_and_live_visitors_reach_only_agents_on_postgres,
    mentions_drafts_presence_and_live_visitors_reach_only_agents
);

// ---------------------------------------------------------------------------------------------

async fn proactive_chats_teams_saved_replies_and_labels(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let a = member_agent(&app, &s.agent, s.inbox).await;
    let visitor = app.new_visitor(s.inbox).await;
    let mut v_ws = WsClient::open(&app, &visitor.token).await;

    // A proactive chat: the agent opens a conversation for the visitor and writes first.
    let (status, c) = post(
        &app,
        "/api/v1/conversations",
        &a.token,
        json!({"inbox_id": s.inbox, "contact_id": visitor.contact_id, "assignee_id": a.agent.id}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["assignee_id"], a.agent.id.to_string());
    let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    v_ws.expect("conversation.created").await;
    app.send(&a.token, id, "p-1", "Hi! Need help choosing a size?")
        .await;
    let got = v_ws.collect_messages(id, 1).await;
    assert_eq!(got[0]["body"], "Hi! Need help choosing a size?");
    let (status, _) = post(
        &app,
        "/api/v1/conversations",
        &a.token,
        json!({"inbox_id": s.inbox, "contact_id": visitor.contact_id, "assignee_id": s.agent.agent.id}),
    )
    .await;
    assert_eq!(status, 403);

    // Teams: admins create them; a transfer to a team unassigns and notifies its members.
    let (status, team) = post(
        &app,
        "/api/v1/teams",
        &s.agent.token,
        json!({"name": "Billing", "member_ids": [s.agent.agent.id]}),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    let (status, _) = post(&app, "/api/v1/teams", &a.token, json!({"name": "Mine"})).await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &app,
        "/api/v1/teams",
        &s.agent.token,
        json!({"name": "Billing"}),
    )
    .await;
    assert_eq!(status, 409);
    let mut admin_ws = WsClient::open(&app, &s.agent.token).await;
    let (status, c) = post(
        &app,
        &format!("/api/v1/conversations/{id}/transfer"),
        &a.token,
        json!({"team_id": team["id"]}),
    )
    .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        (c["team_id"].clone(), c["assignee_id"].is_null()),
        (team["id"].clone(), true)
    );
    let n = admin_ws.expect("notification").await;
    assert_eq!(n["notification"]["kind"], "transfer");
    let (_, list) = get(
        &app,
        &format!(
            "/api/v1/conversations?team_id={}",
            team["id"].as_str().unwrap()
        ),
        &a.token,
    )
    .await;
    assert_eq!(ids(&list, "conversations"), vec![id.to_string()]);
    let (_, teams) = get(&app, "/api/v1/teams", &a.token).await;
    assert_eq!(teams["teams"][0]["member_ids"], json!([s.agent.agent.id]));

    // Saved replies: supervisors and admins manage them, everyone reads them.
    let reply = json!({"shortcut": "hello", "title": "Greeting", "body": "Hi {{contact.name}}, I'm {{agent.name}}."});
    let (status, _) = post(&app, "/api/v1/canned-responses", &a.token, reply.clone()).await;
    assert_eq!(status, 403);
    let (status, saved) = post(
        &app,
        "/api/v1/canned-responses",
        &s.agent.token,
        reply.clone(),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let (status, _) = post(&app, "/api/v1/canned-responses", &s.agent.token, reply).await;
    assert_eq!(status, 409);
    let (status, _) = post(
        &app,
        "/api/v1/canned-responses",
        &s.agent.token,
        json!({"shortcut": "Bad Shortcut", "body": "x"}),
    )
    .await;
    assert_eq!(status, 400);
    let (_, all) = get(&app, "/api/v1/canned-responses", &a.token).await;
    assert_eq!(
        all["canned_responses"][0]["body"],
        "Hi {{contact.name}}, I'm {{agent.name}}."
    );
    let path = format!("/api/v1/canned-responses/{}", saved["id"].as_str().unwrap());
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(&s.agent.token),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, all) = get(&app, "/api/v1/canned-responses", &a.token).await;
    assert!(all["canned_responses"].as_array().unwrap().is_empty());

    // Labels.
    let (status, label) = post(
        &app,
        "/api/v1/labels",
        &s.agent.token,
        json!({"name": "refund", "color": "#FF0000"}),
    )
    .await;
    assert_eq!((status, label["color"].as_str()), (201, Some("#ff0000")));
    let (status, _) = post(
        &app,
        "/api/v1/labels",
        &s.agent.token,
        json!({"name": "x", "color": "red"}),
    )
    .await;
    assert_eq!(status, 400);
    let (_, labels) = get(&app, "/api/v1/labels", &a.token).await;
    assert_eq!(labels["labels"][0]["name"], "refund");

    // The browser the widget runs in is recorded at each widget session.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/widget/sessions"))
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
        .json(&json!({"inbox_id": s.inbox, "visitor_token": visitor.token}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The contact panel: details, pages, conversations, browser; agents edit attributes.
    let (status, detail) = get(
        &app,
        &format!("/api/v1/contacts/{}", visitor.contact_id),
        &a.token,
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(ids(&detail, "conversations"), vec![id.to_string()]);
    assert_eq!(
        detail["user_agent"],
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"
    );
    let (status, contact) = patch(
        &app,
        &format!("/api/v1/contacts/{}", visitor.contact_id),
        &a.token,
        json!({"name": "Grace", "attributes": {"plan": "pro"}}),
    )
    .await;
    assert_eq!(
        (status, contact["attributes"]["plan"].as_str()),
        (200, Some("pro"))
    );
    let outsider = app.new_agent(s.agent.agent.workspace_id, Role::Agent).await;
    let (status, _) = get(
        &app,
        &format!("/api/v1/contacts/{}", visitor.contact_id),
        &outsider.token,
    )
    .await;
    assert_eq!(status, 404);
    v_ws.close().await;
    admin_ws.close().await;
    app.stop().await;
}

on_both_backends!(
    proactive_chats_teams_saved_replies_and_labels_on_sqlite,
    proactive_chats_teams_saved_replies_and_labels_on_postgres,
    proactive_chats_teams_saved_replies_and_labels
);
