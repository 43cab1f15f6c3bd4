//! The replay/live hand-over under concurrent sends: `resumed.last_seq` is exactly what the
//! socket delivered. Everything up to it arrives before `resumed`, nothing above it is
//! dropped, and nothing arrives twice on one socket, while senders keep 16 messages in flight
//! and a reader reconnects again and again (with `hello` cursors and with `resume` frames).

use std::collections::BTreeSet;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{ws_connect, Database, TestApp, WsClient};
use crate::on_both_backends;

/// Messages the sender stores in all.
const TOTAL: i64 = 600;
/// Sends in flight at once.
const IN_FLIGHT: i64 = 16;

/// Sends `TOTAL` messages, keeping `IN_FLIGHT` unacknowledged at any time.
async fn send_all(mut ws: WsClient, conversation: Uuid) {
    let mut sent = 0;
    let mut acked = 0;
    while acked < TOTAL {
        while sent < TOTAL && sent - acked < IN_FLIGHT {
            ws.send_message(
                conversation,
                &Uuid::now_v7().to_string(),
                &format!("m{sent}"),
            )
            .await;
            sent += 1;
        }
        let v = ws.next().await;
        match v["type"].as_str() {
            Some("ack") => acked += 1,
            Some("error") => panic!("a send failed: {v}"),
            _ => {}
        }
    }
}

/// What one socket saw of the conversation, checked as it arrives.
#[derive(Default)]
struct SocketLog {
    seqs: BTreeSet<i64>,
}

impl SocketLog {
    fn message(&mut self, v: &Value, conversation: Uuid) -> i64 {
        assert_eq!(v["message"]["conversation_id"], conversation.to_string());
        let seq = v["message"]["seq"].as_i64().unwrap();
        assert!(
            self.seqs.insert(seq),
            "seq {seq} arrived twice on one socket"
        );
        seq
    }

    /// Everything in `(cursor, last_seq]` must have arrived on this socket already.
    fn resumed(&self, v: &Value, cursor: i64) -> i64 {
        assert_eq!(v["recovered"], true, "{v}");
        let last = v["last_seq"].as_i64().unwrap();
        let missing: Vec<i64> = (cursor + 1..=last)
            .filter(|s| !self.seqs.contains(s))
            .collect();
        assert!(
            missing.is_empty(),
            "resumed claims {last} but {missing:?} were not delivered before it"
        );
        last
    }
}

/// Reads frames until `resumed` for the conversation, logging messages; returns its last_seq.
async fn until_resumed(
    ws: &mut WsClient,
    log: &mut SocketLog,
    conversation: Uuid,
    cursor: i64,
    held: &mut BTreeSet<i64>,
) -> i64 {
    loop {
        let v = ws.next().await;
        match v["type"].as_str() {
            Some("message.created") => {
                held.insert(log.message(&v, conversation));
            }
            Some("resumed") => return log.resumed(&v, cursor),
            Some("__close") => panic!("closed during a replay: {v}"),
            _ => {}
        }
    }
}

/// The highest seq held with nothing missing below it.
fn contiguous(held: &BTreeSet<i64>) -> i64 {
    let mut n = 0;
    while held.contains(&(n + 1)) {
        n += 1;
    }
    n
}

async fn a_resume_never_claims_more_than_it_delivered_while_senders_keep_sending(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let conversation = s.conversation;
    let sender = WsClient::open(&app, &s.visitor.token).await;
    let sending = tokio::spawn(send_all(sender, conversation));

    let mut held = BTreeSet::new();
    let mut round = 0;
    while !sending.is_finished() {
        round += 1;
        // Claim five fewer than held, as a client that lost its last few would.
        let cursor = (contiguous(&held) - 5).max(0);
        let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
        let mut log = SocketLog::default();
        ws.send_json(json!({
            "type": "hello", "id": "h", "token": s.agent.token,
            "cursors": [{"conversation_id": conversation, "last_seq": cursor}],
        }))
        .await;
        ws.expect("welcome").await;
        let last = until_resumed(&mut ws, &mut log, conversation, cursor, &mut held).await;
        // Now a `resume` frame on the live socket, from a little behind.
        let cursor = (last - 5).max(0);
        ws.send_json(json!({
            "type": "resume", "id": format!("r{round}"),
            "conversation_id": conversation, "last_seq": cursor,
        }))
        .await;
        until_resumed(&mut ws, &mut log, conversation, cursor, &mut held).await;
        ws.close().await;
    }
    sending.await.unwrap();
    assert!(round >= 3, "the reader reconnected only {round} times");

    // Finally, everything is there, once.
    let cursor = contiguous(&held);
    let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
    ws.hello(&s.agent.token, &[(conversation, cursor)]).await;
    let mut log = SocketLog::default();
    let last = until_resumed(&mut ws, &mut log, conversation, cursor, &mut held).await;
    assert_eq!(last, TOTAL);
    assert_eq!(held, (1..=TOTAL).collect::<BTreeSet<_>>());
}
on_both_backends!(
    a_resume_never_claims_more_than_it_delivered_while_senders_keep_sending_on_sqlite,
    a_resume_never_claims_more_than_it_delivered_while_senders_keep_sending_on_postgres,
    a_resume_never_claims_more_than_it_delivered_while_senders_keep_sending
);

/// Live `message.created` frames arrive in seq order per conversation, also when many senders
/// commit together (SQLite's group commit wakes them together; they run in any order).
async fn live_messages_arrive_in_seq_order_under_concurrent_senders(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let conversation = s.conversation;
    let mut reader = WsClient::open(&app, &s.agent.token).await;
    let mut senders = Vec::new();
    for _ in 0..4 {
        let ws = WsClient::open(&app, &s.visitor.token).await;
        senders.push(tokio::spawn(send_all(ws, conversation)));
    }
    let total = 4 * TOTAL;
    let mut log = SocketLog::default();
    let mut last = 0;
    while last < total {
        let v = reader.next().await;
        if v["type"] == "message.created" {
            let seq = log.message(&v, conversation);
            assert_eq!(seq, last + 1, "seq {seq} arrived right after {last}");
            last = seq;
        }
    }
    for sender in senders {
        sender.await.unwrap();
    }
}
on_both_backends!(
    live_messages_arrive_in_seq_order_under_concurrent_senders_on_sqlite,
    live_messages_arrive_in_seq_order_under_concurrent_senders_on_postgres,
    live_messages_arrive_in_seq_order_under_concurrent_senders
);
