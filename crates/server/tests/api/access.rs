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

/// Reads until a `message.created` with `body` arrives; returns every frame before it.
async fn until_body(ws: &mut WsClient, body: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let v = ws.next().await;
        assert_ne!(
            v["type"], "__close",
            "closed waiting for {body:?}: {seen:?}"
        );
        if v["type"] == "message.created" && v["message"]["body"] == body {
            return seen;
        }
        seen.push(v);
    }
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
    let before = until_body(&mut ws, "I1 before").await;
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
    let between = until_body(&mut ws, "I1 after").await;
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
    let between = until_body(&mut ws, "I2 after").await;
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
