//! Guarantee 1: visitor and agent messages are delivered both ways, over WS and REST.

use serde_json::json;

use crate::helpers::{Database, TestApp, WsClient};
use crate::on_both_backends;

async fn messages_flow_both_ways_over_websocket_and_rest(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    // Visitor → agent over WS.
    let frame_id = visitor
        .send_message(s.conversation, "v-1", "Hello, is anyone there?")
        .await;
    let ack = visitor.expect("ack").await;
    assert_eq!(ack["id"], frame_id);
    assert_eq!(ack["seq"], 1);
    assert_eq!(ack["duplicate"], false);
    let got = agent.collect_messages(s.conversation, 1).await;
    assert_eq!(got[0]["body"], "Hello, is anyone there?");
    assert_eq!(got[0]["seq"], 1);
    assert_eq!(got[0]["author"]["kind"], "contact");
    assert_eq!(got[0]["message_id"], serde_json::Value::Null);
    assert_eq!(got[0]["id"], ack["message_id"]);

    // Agent → visitor over WS.
    agent
        .send_message(s.conversation, "a-1", "Hi! How can I help?")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 2);
    let got = visitor.collect_messages(s.conversation, 2).await;
    assert_eq!(got.last().unwrap()["body"], "Hi! How can I help?");
    assert_eq!(got.last().unwrap()["author"]["kind"], "agent");
    assert_eq!(got.last().unwrap()["author"]["name"], "Agent Smith");

    // Visitor → agent over REST; the agent's socket hears it.
    let (status, ack) = app
        .send(&s.visitor.token, s.conversation, "v-2", "Sent by an app")
        .await;
    assert_eq!(status, 201, "{ack}");
    assert_eq!(ack["seq"], 3);
    let got = agent.collect_messages(s.conversation, 3).await;
    assert!(got
        .iter()
        .any(|m| m["body"] == "Sent by an app" && m["seq"] == 3));

    // Agent → visitor over REST; the visitor's socket hears it.
    let (status, ack) = app
        .send(&s.agent.token, s.conversation, "a-2", "Answered by API")
        .await;
    assert_eq!(status, 201);
    assert_eq!(ack["seq"], 4);
    let got = visitor.collect_messages(s.conversation, 4).await;
    assert!(got
        .iter()
        .any(|m| m["body"] == "Answered by API" && m["seq"] == 4));

    // Both sides read the same history by seq.
    for token in [&s.visitor.token, &s.agent.token] {
        let (status, page) = app.messages(token, s.conversation, 0).await;
        assert_eq!(status, 200);
        let seqs: Vec<i64> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        assert_eq!(page["last_seq"], 4);
    }
}
on_both_backends!(
    messages_flow_both_ways_over_websocket_and_rest_on_sqlite,
    messages_flow_both_ways_over_websocket_and_rest_on_postgres,
    messages_flow_both_ways_over_websocket_and_rest
);

async fn typing_reaches_the_other_side_and_is_never_stored(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    visitor
        .send_json(json!({"type": "typing", "conversation_id": s.conversation, "on": true}))
        .await;
    let t = agent.expect("typing").await;
    assert_eq!(t["conversation_id"], s.conversation.to_string());
    assert_eq!(t["on"], true);
    assert_eq!(t["author"]["kind"], "contact");

    agent
        .send_json(json!({"type": "typing", "conversation_id": s.conversation, "on": true}))
        .await;
    let t = visitor.expect("typing").await;
    assert_eq!(t["author"]["kind"], "agent");
    assert!(
        t["author"].get("id").is_none(),
        "visitors are not told agent ids: {t}"
    );

    let (_, page) = app.messages(&s.agent.token, s.conversation, 0).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0);
}
on_both_backends!(
    typing_reaches_the_other_side_and_is_never_stored_on_sqlite,
    typing_reaches_the_other_side_and_is_never_stored_on_postgres,
    typing_reaches_the_other_side_and_is_never_stored
);

async fn a_new_conversation_is_announced_to_agents(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let another = app.new_visitor(s.inbox).await;
    let id = app.new_conversation(&another).await;
    let created = agent.expect("conversation.created").await;
    assert_eq!(created["conversation"]["id"], id.to_string());
    assert_eq!(created["conversation"]["status"], "open");
}
on_both_backends!(
    a_new_conversation_is_announced_to_agents_on_sqlite,
    a_new_conversation_is_announced_to_agents_on_postgres,
    a_new_conversation_is_announced_to_agents
);

#[tokio::test]
async fn ping_is_answered_with_pong_echoing_the_id() {
    let Some((app, _db)) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let s = app.scene().await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    visitor.send_json(json!({"type": "ping", "id": "p1"})).await;
    let pong = visitor.expect("pong").await;
    assert_eq!(pong["id"], "p1");
    // One pong per ping: a second ping's pong comes after anything more the first caused.
    let extra = visitor.frames_before_pong().await;
    assert!(extra.is_empty(), "{extra:?}");
}
