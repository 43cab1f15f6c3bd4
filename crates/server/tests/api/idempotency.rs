//! Guarantee 2: the same `client_msg_id` stores one message and gets the same ack — sent
//! twice, sent concurrently, and sent again after a reconnect.

use std::collections::HashSet;

use futures_util::future::join_all;

use crate::helpers::{Database, TestApp, WsClient};
use crate::on_both_backends;

async fn a_retried_client_msg_id_stores_one_message_and_returns_the_same_ack(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    // Twice on one socket.
    visitor.send_message(s.conversation, "same-1", "once").await;
    let first = visitor.expect("ack").await;
    visitor.send_message(s.conversation, "same-1", "once").await;
    let second = visitor.expect("ack").await;
    assert_eq!(first["message_id"], second["message_id"]);
    assert_eq!(first["seq"], second["seq"]);
    assert_eq!(first["duplicate"], false);
    assert_eq!(second["duplicate"], true);

    // Again after a reconnect, and over REST.
    visitor.close().await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    visitor.send_message(s.conversation, "same-1", "once").await;
    let third = visitor.expect("ack").await;
    assert_eq!(third["message_id"], first["message_id"]);
    assert_eq!(third["seq"], first["seq"]);
    let (status, rest) = app
        .send(&s.visitor.token, s.conversation, "same-1", "once")
        .await;
    assert_eq!(status, 200, "a duplicate is 200, not 201");
    assert_eq!(rest["message_id"], first["message_id"]);
    assert_eq!(rest["duplicate"], true);

    // Concurrently: 20 REST sends and 5 sockets racing with one new id.
    let rest_sends = (0..20).map(|_| app.send(&s.visitor.token, s.conversation, "race-1", "raced"));
    let socket_sends = (0..5).map(|_| async {
        let mut ws = WsClient::open(&app, &s.visitor.token).await;
        ws.send_message(s.conversation, "race-1", "raced").await;
        let ack = ws.expect("ack").await;
        (200, ack)
    });
    let (rest_results, ws_results) = tokio::join!(join_all(rest_sends), join_all(socket_sends));
    let all: Vec<_> = rest_results.into_iter().chain(ws_results).collect();
    let ids: HashSet<String> = all
        .iter()
        .map(|(_, a)| a["message_id"].as_str().unwrap().to_owned())
        .collect();
    let seqs: HashSet<i64> = all
        .iter()
        .map(|(_, a)| a["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one message id for every racer: {ids:?}");
    assert_eq!(seqs.len(), 1);
    let fresh = all.iter().filter(|(_, a)| a["duplicate"] == false).count();
    assert_eq!(fresh, 1, "exactly one racer stored it");

    let (_, page) = app.messages(&s.agent.token, s.conversation, 0).await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["once", "raced"]);
    assert_eq!(page["last_seq"], 2, "a refused duplicate uses no seq");
}
on_both_backends!(
    a_retried_client_msg_id_stores_one_message_and_returns_the_same_ack_on_sqlite,
    a_retried_client_msg_id_stores_one_message_and_returns_the_same_ack_on_postgres,
    a_retried_client_msg_id_stores_one_message_and_returns_the_same_ack
);

async fn the_recipient_sees_a_retried_message_once(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    for _ in 0..3 {
        visitor.send_message(s.conversation, "dup", "hello").await;
        visitor.expect("ack").await;
    }
    visitor.send_message(s.conversation, "next", "second").await;
    visitor.expect("ack").await;
    let got = agent.collect_messages(s.conversation, 2).await;
    let seqs: Vec<i64> = got.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2], "the retries were not delivered again");
}
on_both_backends!(
    the_recipient_sees_a_retried_message_once_on_sqlite,
    the_recipient_sees_a_retried_message_once_on_postgres,
    the_recipient_sees_a_retried_message_once
);
