//! Access changes reach sockets that are already open, at once: a role or membership change
//! narrows what an open console socket receives and may send before the change's HTTP
//! answer is back, not at the next heartbeat.

use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{call, Database, TestApp, WsClient};
use crate::on_both_backends;

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::PATCH, path, Some(token), Some(body)).await
}

fn bodies(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|v| v["type"] == "message.created")
        .map(|v| v["message"]["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn a_demoted_supervisor_s_open_socket_stops_receiving_and_sending_for_other_inboxes_at_once(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let (i1, c1) = (s.inbox, s.conversation);
    let i2 = app.create_inbox(&s.agent, &["http://other.example"]).await;
    let v2 = app.new_visitor(i2).await;
    let c2 = app.new_conversation(&v2).await;
    let supervisor = app
        .new_agent(s.agent.agent.workspace_id, Role::Supervisor)
        .await;
    let mut ws = WsClient::open(&app, &supervisor.token).await;

    // As a supervisor, both inboxes reach the socket.
    app.send(&v2.token, c2, "v2-0", "I2 before").await;
    app.send(&s.visitor.token, c1, "v1-0", "I1 before").await;
    let before = ws.frames_before_message("I1 before").await;
    assert_eq!(bodies(&before), ["I2 before"]);

    let (status, body) = patch(
        &app,
        &format!("/api/v1/agents/{}", supervisor.agent.id),
        &s.agent.token,
        json!({"role": "agent", "inbox_ids": [i1]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // I2's message is committed and published before I1's; only I1's may arrive.
    app.send(&v2.token, c2, "v2-1", "I2 after").await;
    app.send(&s.visitor.token, c1, "v1-1", "I1 after").await;
    let between = ws.frames_before_message("I1 after").await;
    assert!(
        bodies(&between).is_empty(),
        "the demoted socket still received {between:?}"
    );

    // Sending to I2 is refused and stores nothing; I1 still works.
    ws.send_message(c2, &Uuid::now_v7().to_string(), "to I2")
        .await;
    let answer = loop {
        let v = ws.next().await;
        if v["type"] == "error" || v["type"] == "ack" {
            break v;
        }
    };
    assert_eq!(answer["code"], "not_found", "{answer}");
    let (_, page) = app.messages(&s.agent.token, c2, 0).await;
    assert!(
        !page.to_string().contains("to I2"),
        "the refused send was stored: {page}"
    );
    ws.send_message(c1, &Uuid::now_v7().to_string(), "to I1")
        .await;
    ws.expect("ack").await;
    let (status, _) = app.messages(&supervisor.token, c2, 0).await;
    assert_eq!(status, 404);
}
on_both_backends!(
    a_demoted_supervisor_s_open_socket_stops_receiving_and_sending_for_other_inboxes_at_once_on_sqlite,
    a_demoted_supervisor_s_open_socket_stops_receiving_and_sending_for_other_inboxes_at_once_on_postgres,
    a_demoted_supervisor_s_open_socket_stops_receiving_and_sending_for_other_inboxes_at_once
);

async fn an_agent_taken_out_of_an_inbox_stops_receiving_it_and_one_added_starts(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let (i1, c1) = (s.inbox, s.conversation);
    let i2 = app.create_inbox(&s.agent, &["http://other.example"]).await;
    let v2 = app.new_visitor(i2).await;
    let c2 = app.new_conversation(&v2).await;
    let agent = app.new_agent(s.agent.agent.workspace_id, Role::Agent).await;
    let (status, _) = patch(
        &app,
        &format!("/api/v1/agents/{}", agent.agent.id),
        &s.agent.token,
        json!({"inbox_ids": [i1]}),
    )
    .await;
    assert_eq!(status, 200);
    let mut ws = WsClient::open(&app, &agent.token).await;

    // The inbox's members change: the agent leaves I1 and joins I2.
    for (inbox, members) in [(i1, json!([])), (i2, json!([agent.agent.id]))] {
        let (status, body) = patch(
            &app,
            &format!("/api/v1/inboxes/{inbox}"),
            &s.agent.token,
            json!({"member_ids": members}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    app.send(&s.visitor.token, c1, "v1-0", "I1 after").await;
    app.send(&v2.token, c2, "v2-0", "I2 after").await;
    let between = ws.frames_before_message("I2 after").await;
    assert!(
        bodies(&between).is_empty(),
        "the socket still received I1: {between:?}"
    );
    ws.send_message(c1, &Uuid::now_v7().to_string(), "to I1")
        .await;
    assert_eq!(ws.expect("error").await["code"], "not_found");
}
on_both_backends!(
    an_agent_taken_out_of_an_inbox_stops_receiving_it_and_one_added_starts_on_sqlite,
    an_agent_taken_out_of_an_inbox_stops_receiving_it_and_one_added_starts_on_postgres,
    an_agent_taken_out_of_an_inbox_stops_receiving_it_and_one_added_starts
);

async fn a_deactivated_agent_is_signed_out_everywhere_and_their_chats_go_back_to_the_queue(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let (admin, c) = (&s.agent, s.conversation);
    let agent = app.new_agent(admin.agent.workspace_id, Role::Agent).await;
    let path = format!("/api/v1/agents/{}", agent.agent.id);
    let (status, _) = patch(&app, &path, &admin.token, json!({"inbox_ids": [s.inbox]})).await;
    assert_eq!(status, 200);
    let (status, body) = patch(
        &app,
        &format!("/api/v1/conversations/{c}"),
        &admin.token,
        json!({"assignee_id": agent.agent.id}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .send(&agent.token, c, "a-1", "hello from the agent")
        .await;
    assert_eq!(status, 201);
    let mut ws = WsClient::open(&app, &agent.token).await;

    // Only admins offboard, and not themselves.
    let other = app
        .new_agent(admin.agent.workspace_id, Role::Supervisor)
        .await;
    let (status, _) = patch(&app, &path, &other.token, json!({"active": false})).await;
    assert_eq!(status, 403);
    let own = format!("/api/v1/agents/{}", admin.agent.id);
    let (status, body) = patch(&app, &own, &admin.token, json!({"active": false})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed"))
    );

    let (status, body) = patch(&app, &path, &admin.token, json!({"active": false})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false, "{body}");
    assert_eq!(body["status"], "offline");
    assert_eq!(
        ws.expect_close().await,
        4003,
        "the open socket ends at once"
    );

    // Every session is gone; signing in again is refused with its own code, but only for
    // whoever knows the password.
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&agent.token),
        None,
    )
    .await;
    assert_eq!(status, 401);
    let res = app
        .login(&agent.agent.email, crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "account_deactivated"
    );
    let res = app.login(&agent.agent.email, "not the password").await;
    assert_eq!(res.status().as_u16(), 401);

    // Their conversation is back in the queue; their message is still theirs.
    let (_, conversation) = call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/conversations/{c}"),
        Some(&admin.token),
        None,
    )
    .await;
    assert_eq!(conversation["assignee_id"], Value::Null, "{conversation}");
    assert!(conversation["queued_at"].is_number(), "{conversation}");
    let (_, page) = app.messages(&admin.token, c, 0).await;
    let theirs = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "hello from the agent")
        .cloned()
        .unwrap();
    assert_eq!(theirs["author"]["id"], agent.agent.id.to_string());
    assert_eq!(theirs["author"]["name"], agent.agent.name);

    // Nobody can hand them a conversation while deactivated.
    let (status, body) = patch(
        &app,
        &format!("/api/v1/conversations/{c}"),
        &admin.token,
        json!({"assignee_id": agent.agent.id}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation_failed")),
        "{body}"
    );

    // Reactivated, they sign in again.
    let (status, body) = patch(&app, &path, &admin.token, json!({"active": true})).await;
    assert_eq!((status, &body["active"]), (200, &json!(true)));
    let res = app
        .login(&agent.agent.email, crate::helpers::PASSWORD)
        .await;
    assert_eq!(res.status().as_u16(), 200);
}
on_both_backends!(
    a_deactivated_agent_is_signed_out_everywhere_and_their_chats_go_back_to_the_queue_on_sqlite,
    a_deactivated_agent_is_signed_out_everywhere_and_their_chats_go_back_to_the_queue_on_postgres,
    a_deactivated_agent_is_signed_out_everywhere_and_their_chats_go_back_to_the_queue
);

async fn an_admin_ends_another_agent_s_sessions_and_their_sockets_close_at_once(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let agent = app.new_agent(s.agent.agent.workspace_id, Role::Agent).await;
    let mut ws = WsClient::open(&app, &agent.token).await;
    let path = format!("/api/v1/agents/{}/sessions", agent.agent.id);
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(&agent.token),
        None,
    )
    .await;
    assert_eq!(
        status, 403,
        "agents do not end others' sessions, nor their own this way"
    );
    let (status, body) = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(&s.agent.token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions_ended"], 1);
    assert_eq!(ws.expect_close().await, 4003);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&agent.token),
        None,
    )
    .await;
    assert_eq!(status, 401);
    let unknown = format!("/api/v1/agents/{}/sessions", Uuid::now_v7());
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &unknown,
        Some(&s.agent.token),
        None,
    )
    .await;
    assert_eq!(status, 404);
}
on_both_backends!(
    an_admin_ends_another_agent_s_sessions_and_their_sockets_close_at_once_on_sqlite,
    an_admin_ends_another_agent_s_sessions_and_their_sockets_close_at_once_on_postgres,
    an_admin_ends_another_agent_s_sessions_and_their_sockets_close_at_once
);

/// An HS256 identity token for `sub`, as a customer's backend signs it.
fn identity(secret: &str, sub: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": sub, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn identify(app: &TestApp, token: &str, jwt: &str) -> (u16, Value) {
    call(
        app,
        reqwest::Method::POST,
        "/api/v1/widget/identify",
        Some(token),
        Some(json!({ "token": jwt })),
    )
    .await
}

async fn a_blocked_visitor_s_sockets_close_their_token_stops_working_and_their_identity_is_refused(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let secret = "a-secret-of-at-least-32-bytes-for-hs256!";
    let (status, _) = patch(
        &app,
        &format!("/api/v1/inboxes/{}", s.inbox),
        &s.agent.token,
        json!({"identity_secret": secret}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, who) = identify(&app, &s.visitor.token, &identity(secret, "spammer-7")).await;
    assert_eq!(status, 200, "{who}");
    let contact = who["contact_id"].as_str().unwrap().to_owned();
    let token = who["visitor_token"]
        .as_str()
        .unwrap_or(&s.visitor.token)
        .to_owned();
    let mut ws = WsClient::open(&app, &token).await;

    let path = format!("/api/v1/contacts/{contact}");
    let (status, body) = patch(&app, &path, &s.agent.token, json!({"blocked": true})).await;
    assert_eq!((status, &body["blocked"]), (200, &json!(true)), "{body}");
    assert_eq!(
        ws.expect_close().await,
        4003,
        "their open socket ends at once"
    );
    let (status, _) = app
        .send(&token, s.conversation, "after-block", "still here?")
        .await;
    assert_eq!(status, 401, "their token no longer works");
    let mut again = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    again
        .send_json(json!({"type": "hello", "token": token}))
        .await;
    assert_eq!(again.expect_close().await, 4001);

    // Coming back with the same verified identity is refused while blocked.
    let newcomer = app.new_visitor(s.inbox).await;
    let (status, body) = identify(&app, &newcomer.token, &identity(secret, "spammer-7")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    // Lifted, the identity works again.
    let (status, body) = patch(&app, &path, &s.agent.token, json!({"blocked": false})).await;
    assert_eq!((status, &body["blocked"]), (200, &json!(false)));
    let (status, body) = identify(&app, &newcomer.token, &identity(secret, "spammer-7")).await;
    assert_eq!(
        (status, body["contact_id"].as_str()),
        (200, Some(contact.as_str())),
        "{body}"
    );
}
on_both_backends!(
    a_blocked_visitor_s_sockets_close_their_token_stops_working_and_their_identity_is_refused_on_sqlite,
    a_blocked_visitor_s_sockets_close_their_token_stops_working_and_their_identity_is_refused_on_postgres,
    a_blocked_visitor_s_sockets_close_their_token_stops_working_and_their_identity_is_refused
);
