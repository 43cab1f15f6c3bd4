//! Guarantees 3 and 5: a client that was away gets everything it missed, once each, in order,
//! by resuming from its cursor — also across a server restart on the same data.

use serde_json::Value;

use crate::helpers::{spawn_with, Database, TestApp, WsClient};
use crate::on_both_backends;

fn seqs(messages: &[Value]) -> Vec<i64> {
    messages
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

async fn a_client_away_for_100_messages_resumes_with_all_of_them_once_in_order(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    visitor
        .send_message(s.conversation, "first", "before the break")
        .await;
    visitor.expect("ack").await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    agent.send_message(s.conversation, "a0", "welcome").await;
    agent.expect("ack").await;
    let seen = visitor.collect_messages(s.conversation, 2).await;
    let cursor = seen.last().unwrap()["seq"].as_i64().unwrap();
    assert_eq!(cursor, 2);
    visitor.close().await;

    for i in 0..100 {
        agent
            .send_message(
                s.conversation,
                &format!("a{}", i + 1),
                &format!("message {i}"),
            )
            .await;
        agent.expect("ack").await;
    }

    let mut visitor = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    visitor
        .hello(&s.visitor.token, &[(s.conversation, cursor)])
        .await;
    let resumed_at;
    let mut got = Vec::new();
    loop {
        let v = visitor.next().await;
        match v["type"].as_str().unwrap() {
            "message.created" => got.push(v["message"].clone()),
            "resumed" => {
                resumed_at = v;
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(resumed_at["recovered"], true);
    assert_eq!(resumed_at["last_seq"], 102);
    assert_eq!(seqs(&got), (3..=102).collect::<Vec<_>>());
    assert_eq!(got[0]["body"], "message 0");
    // Live delivery continues right after, and nothing comes before the next live message:
    // no duplicates from live delivery (they would be queued ahead of it).
    agent
        .send_message(s.conversation, "after", "live again")
        .await;
    let extra = visitor.frames_before_message("live again").await;
    assert!(extra.is_empty(), "after the replay: {extra:?}");
    let all = visitor.collect_messages(s.conversation, 101).await;
    assert_eq!(seqs(&all), (3..=103).collect::<Vec<_>>());
}
on_both_backends!(
    a_client_away_for_100_messages_resumes_with_all_of_them_once_in_order_on_sqlite,
    a_client_away_for_100_messages_resumes_with_all_of_them_once_in_order_on_postgres,
    a_client_away_for_100_messages_resumes_with_all_of_them_once_in_order
);

async fn messages_sent_during_the_replay_arrive_once_and_none_is_missed(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    for i in 0..50 {
        agent
            .send_message(s.conversation, &format!("pre{i}"), "x")
            .await;
        agent.expect("ack").await;
    }
    // The visitor resumes from 0 while the agent keeps sending.
    let sender = {
        let token = s.agent.token.clone();
        let url = app.ws_url();
        let conversation = s.conversation;
        tokio::spawn(async move {
            let mut ws = crate::helpers::ws_connect(&url, None).await.unwrap();
            ws.hello(&token, &[]).await;
            for i in 0..50 {
                ws.send_message(conversation, &format!("during{i}"), "y")
                    .await;
                ws.expect("ack").await;
            }
        })
    };
    let mut visitor = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    visitor
        .hello(&s.visitor.token, &[(s.conversation, 0)])
        .await;
    sender.await.unwrap();
    // Every send was acked, so published: a message sent now reaches the visitor after all of
    // them, and after the replay (live events wait until it is written).
    agent
        .send_message(s.conversation, "last", "the last one")
        .await;
    agent.expect("ack").await;
    let got: Vec<i64> = visitor
        .frames_before_message("the last one")
        .await
        .iter()
        .filter(|v| v["type"] == "message.created")
        .map(|v| v["message"]["seq"].as_i64().unwrap())
        .collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), got.len(), "no seq delivered twice: {got:?}");
    assert_eq!(sorted, (1..=100).collect::<Vec<_>>(), "no seq missed");
}
on_both_backends!(
    messages_sent_during_the_replay_arrive_once_and_none_is_missed_on_sqlite,
    messages_sent_during_the_replay_arrive_once_and_none_is_missed_on_postgres,
    messages_sent_during_the_replay_arrive_once_and_none_is_missed
);

async fn a_cursor_too_far_behind_is_told_to_reload(app: TestApp, db: Database) {
    app.stop().await;
    let mut config = db.config();
    config.limits.replay_limit = 10;
    let app = spawn_with(config).await;
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    for i in 0..15 {
        agent
            .send_message(s.conversation, &format!("m{i}"), "x")
            .await;
        agent.expect("ack").await;
    }
    let mut visitor = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    visitor
        .hello(&s.visitor.token, &[(s.conversation, 0)])
        .await;
    let resumed = visitor.expect("resumed").await;
    assert_eq!(resumed["recovered"], false);
    assert_eq!(resumed["last_seq"], 15);
    assert!(
        !visitor
            .received
            .iter()
            .any(|v| v["type"] == "message.created"),
        "an unrecoverable replay sends nothing partial"
    );
    // The documented fallback: fetch by after_seq.
    let (_, page) = app.messages(&s.visitor.token, s.conversation, 0).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 15);
}
on_both_backends!(
    a_cursor_too_far_behind_is_told_to_reload_on_sqlite,
    a_cursor_too_far_behind_is_told_to_reload_on_postgres,
    a_cursor_too_far_behind_is_told_to_reload
);

async fn after_a_restart_on_the_same_data_both_sides_resume_with_no_gap(
    app: TestApp,
    db: Database,
) {
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    for i in 0..5 {
        visitor
            .send_message(s.conversation, &format!("v{i}"), "from visitor")
            .await;
        visitor.expect("ack").await;
        agent
            .send_message(s.conversation, &format!("a{i}"), "from agent")
            .await;
        agent.expect("ack").await;
    }
    let agent_seen = agent.collect_messages(s.conversation, 10).await;
    let visitor_seen = visitor.collect_messages(s.conversation, 10).await;
    app.stop().await;
    assert_eq!(agent.expect_close().await, 1012, "told to reconnect");
    assert_eq!(visitor.expect_close().await, 1012);

    let app = spawn_with(db.config()).await;
    let mut agent = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    agent
        .hello(
            &s.agent.token,
            &[(s.conversation, seqs(&agent_seen).last().copied().unwrap())],
        )
        .await;
    let mut visitor = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    visitor
        .hello(
            &s.visitor.token,
            &[(s.conversation, seqs(&visitor_seen).last().copied().unwrap())],
        )
        .await;
    for i in 5..10 {
        visitor
            .send_message(s.conversation, &format!("v{i}"), "from visitor")
            .await;
        visitor.expect("ack").await;
        agent
            .send_message(s.conversation, &format!("a{i}"), "from agent")
            .await;
        agent.expect("ack").await;
    }
    let mut agent_all = agent_seen;
    agent_all.extend(agent.collect_messages(s.conversation, 10).await);
    let mut visitor_all = visitor_seen;
    visitor_all.extend(visitor.collect_messages(s.conversation, 10).await);
    assert_eq!(seqs(&agent_all), (1..=20).collect::<Vec<_>>());
    assert_eq!(seqs(&visitor_all), (1..=20).collect::<Vec<_>>());
}
on_both_backends!(
    after_a_restart_on_the_same_data_both_sides_resume_with_no_gap_on_sqlite,
    after_a_restart_on_the_same_data_both_sides_resume_with_no_gap_on_postgres,
    after_a_restart_on_the_same_data_both_sides_resume_with_no_gap
);
