//! Bad input never panics and never kills other connections; nothing wrong is stored.
//!
//! Every malformed WebSocket frame or REST body gets an answer with its exact stable code
//! (echoing the frame `id` when one could be read), while another pair keeps chatting.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::helpers::{spawn_app, spawn_with, ws_connect, Backend, Database, TestApp, WsClient};
use crate::on_both_backends;

/// Reads the next frame and checks it is an `error` with `code`, echoing `id` (or no id).
async fn expect_error(ws: &mut WsClient, code: &str, id: Option<&str>, what: &str) -> Value {
    let v = ws.next().await;
    assert_eq!(
        v["type"], "error",
        "{what}: expected an error frame, got {v}"
    );
    assert_eq!(v["code"], code, "{what}: wrong code in {v}");
    match id {
        Some(id) => assert_eq!(v["id"], id, "{what}: the frame id is not echoed in {v}"),
        None => assert!(v.get("id").is_none(), "{what}: unexpected id in {v}"),
    }
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: an error needs a human message: {v}"
    );
    v
}

/// Reads until `message.created` with this body arrives on `ws`.
async fn expect_message_body(ws: &mut WsClient, conversation: Uuid, body: &str) -> Value {
    loop {
        let v = ws.next().await;
        assert_ne!(v["type"], "__close", "socket closed waiting for {body:?}");
        if v["type"] == "message.created"
            && v["message"]["conversation_id"] == conversation.to_string()
            && v["message"]["body"] == body
        {
            return v["message"].clone();
        }
    }
}

/// The bodies of every message of `conversation`, as `token` reads them over REST.
async fn stored_bodies(app: &TestApp, token: &str, conversation: Uuid) -> Vec<String> {
    let (status, page) = app.messages(token, conversation, 0).await;
    assert_eq!(status, 200, "{page}");
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

/// A message.send frame serialised to exactly `size` bytes (the body pads it).
fn send_frame_of_size(conversation: Uuid, size: usize) -> String {
    let head = format!(
        r#"{{"type":"message.send","id":"big","conversation_id":"{conversation}","client_msg_id":"big-1","body":""#
    );
    let tail = r#""}"#;
    let pad = size - head.len() - tail.len();
    let text = format!("{head}{}{tail}", "x".repeat(pad));
    assert_eq!(text.len(), size);
    text
}

async fn every_bad_frame_gets_its_stable_code_while_another_pair_keeps_chatting_and_nothing_bad_is_stored(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let other = app.scene().await;
    let mut other_agent = WsClient::open(&app, &other.agent.token).await;
    let mut other_visitor = WsClient::open(&app, &other.visitor.token).await;
    let mut bad = WsClient::open(&app, &s.visitor.token).await;
    let c = s.conversation;
    let max = app.state.config.limits.max_message_chars;

    let text = |v: Value| Message::text(v.to_string());
    let cases: Vec<(&str, Message, &str, Option<&str>)> = vec![
        (
            "invalid JSON",
            Message::text(r#"{"type":"message.send","id":"f1","#),
            "invalid_json",
            None,
        ),
        (
            "no type",
            text(
                json!({"id": "f2", "conversation_id": c, "client_msg_id": "bad-2", "body": "bad 2"}),
            ),
            "invalid_request",
            Some("f2"),
        ),
        (
            "unknown type",
            text(json!({"type": "message.delete", "id": "f3", "conversation_id": c})),
            "unknown_frame_type",
            Some("f3"),
        ),
        (
            "missing fields",
            text(json!({"type": "message.send", "id": "f4", "conversation_id": c})),
            "invalid_request",
            Some("f4"),
        ),
        (
            "empty body",
            text(
                json!({"type": "message.send", "id": "f5", "conversation_id": c, "client_msg_id": "bad-5", "body": ""}),
            ),
            "body_empty",
            Some("f5"),
        ),
        (
            "body of the wrong type",
            text(
                json!({"type": "message.send", "id": "f6", "conversation_id": c, "client_msg_id": "bad-6", "body": 5}),
            ),
            "invalid_request",
            Some("f6"),
        ),
        (
            "white-space body",
            text(
                json!({"type": "message.send", "id": "f7", "conversation_id": c, "client_msg_id": "bad-7", "body": " \n\t  "}),
            ),
            "body_empty",
            Some("f7"),
        ),
        (
            "conversation id of the wrong type",
            text(
                json!({"type": "message.send", "id": "f8", "conversation_id": "x", "client_msg_id": "bad-8", "body": "bad 8"}),
            ),
            "invalid_request",
            Some("f8"),
        ),
        (
            "body one character over the limit",
            text(
                json!({"type": "message.send", "id": "f9", "conversation_id": c, "client_msg_id": "bad-9", "body": "é".repeat(max + 1)}),
            ),
            "body_too_long",
            Some("f9"),
        ),
        (
            "body with a NUL character",
            text(
                json!({"type": "message.send", "id": "f-nul", "conversation_id": c, "client_msg_id": "bad-nul", "body": "a\u{0}b"}),
            ),
            "validation_failed",
            Some("f-nul"),
        ),
        (
            "unknown extra field",
            text(
                json!({"type": "message.send", "id": "f10", "conversation_id": c, "client_msg_id": "bad-10", "body": "bad 10", "priority": "high"}),
            ),
            "invalid_request",
            Some("f10"),
        ),
        (
            "client_msg_id with forbidden characters",
            text(
                json!({"type": "message.send", "id": "f11", "conversation_id": c, "client_msg_id": "bad id!", "body": "bad 11"}),
            ),
            "invalid_client_msg_id",
            Some("f11"),
        ),
        (
            "empty client_msg_id",
            text(
                json!({"type": "message.send", "id": "f12", "conversation_id": c, "client_msg_id": "", "body": "bad 12"}),
            ),
            "invalid_client_msg_id",
            Some("f12"),
        ),
        (
            "client_msg_id of 65 characters",
            text(
                json!({"type": "message.send", "id": "f13", "conversation_id": c, "client_msg_id": "a".repeat(65), "body": "bad 13"}),
            ),
            "invalid_client_msg_id",
            Some("f13"),
        ),
        (
            "binary frame",
            Message::binary(b"\x00\x01binary".to_vec()),
            "unsupported_frame",
            None,
        ),
        (
            "unknown kind",
            text(
                json!({"type": "message.send", "id": "f15", "conversation_id": c, "client_msg_id": "bad-15", "body": "bad 15", "kind": "shout"}),
            ),
            "invalid_request",
            Some("f15"),
        ),
        (
            "second hello",
            text(json!({"type": "hello", "id": "f16", "token": s.visitor.token})),
            "hello_required",
            Some("f16"),
        ),
    ];

    let mut pair_bodies = Vec::new();
    for (i, (what, frame, code, id)) in cases.into_iter().enumerate() {
        bad.send_raw(frame).await;
        expect_error(&mut bad, code, id, what).await;
        // Meanwhile another visitor and agent keep chatting, undisturbed.
        let body = format!("pair message {i}");
        let fid = other_visitor
            .send_message(other.conversation, &format!("p-{i}"), &body)
            .await;
        let ack = other_visitor.expect("ack").await;
        assert_eq!(ack["id"], fid);
        expect_message_body(&mut other_agent, other.conversation, &body).await;
        pair_bodies.push(body);
    }

    // The socket that sent all that still works, both ways.
    let longest = "é".repeat(max);
    let fid = bad.send_message(c, "good-1", &longest).await;
    let ack = bad.expect("ack").await;
    assert_eq!(ack["id"], fid);
    assert_eq!(ack["seq"], 1, "no bad frame took a seq: {ack}");
    bad.send_message(c, "good-2", "still here").await;
    assert_eq!(bad.expect("ack").await["seq"], 2);
    let (status, _) = app.send(&s.agent.token, c, "reply", "agent reply").await;
    assert_eq!(status, 201);
    expect_message_body(&mut bad, c, "agent reply").await;
    bad.send_json(json!({"type": "ping", "id": "p"})).await;
    assert_eq!(bad.expect("pong").await["id"], "p");

    // Only the good messages were stored, for the agent and for the visitor alike.
    let expected = vec![longest, "still here".to_owned(), "agent reply".to_owned()];
    assert_eq!(stored_bodies(&app, &s.agent.token, c).await, expected);
    assert_eq!(stored_bodies(&app, &s.visitor.token, c).await, expected);
    assert_eq!(
        stored_bodies(&app, &other.agent.token, other.conversation).await,
        pair_bodies
    );
}
on_both_backends!(
    every_bad_frame_gets_its_stable_code_while_another_pair_keeps_chatting_and_nothing_bad_is_stored_on_sqlite,
    every_bad_frame_gets_its_stable_code_while_another_pair_keeps_chatting_and_nothing_bad_is_stored_on_postgres,
    every_bad_frame_gets_its_stable_code_while_another_pair_keeps_chatting_and_nothing_bad_is_stored
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_over_64_kib_closes_only_that_socket_with_1009() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    assert_eq!(app.state.config.limits.max_frame_bytes, 64 * 1024);
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    // Exactly 64 KiB is still read (and refused for its body, not its size).
    visitor
        .send_text(send_frame_of_size(s.conversation, 64 * 1024))
        .await;
    expect_error(&mut visitor, "body_too_long", Some("big"), "64 KiB frame").await;

    // One byte more closes the socket with 1009.
    visitor
        .send_text(send_frame_of_size(s.conversation, 64 * 1024 + 1))
        .await;
    assert_eq!(visitor.expect_close().await, 1009);

    // The agent's socket never noticed.
    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 1);
    // The visitor reconnects and carries on.
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    visitor.send_message(s.conversation, "v-1", "back").await;
    assert_eq!(visitor.expect("ack").await["seq"], 2);
    expect_message_body(&mut agent, s.conversation, "back").await;
    assert_eq!(
        stored_bodies(&app, &s.agent.token, s.conversation).await,
        vec!["still open", "back"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_fragmented_into_frames_that_add_up_to_over_64_kib_closes_with_1009() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    // Each frame is well under the cap; the message they make is not.
    let text = send_frame_of_size(s.conversation, 64 * 1024 + 1).into_bytes();
    let (first, rest) = text.split_at(40 * 1024);
    visitor
        .send_raw(Message::Frame(Frame::message(
            first.to_vec(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await;
    visitor
        .send_raw(Message::Frame(Frame::message(
            rest.to_vec(),
            OpCode::Data(Data::Continue),
            true,
        )))
        .await;
    assert_eq!(visitor.expect_close().await, 1009);

    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 1);
    assert_eq!(
        stored_bodies(&app, &s.agent.token, s.conversation).await,
        vec!["still open"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_before_hello_closes_with_1009_too() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;

    let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
    ws.send_text(send_frame_of_size(s.conversation, 64 * 1024 + 1))
        .await;
    assert_eq!(ws.expect_close().await, 1009, "oversized first frame");

    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_utf8_frame_before_hello_closes_with_1007_too() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;

    let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
    let frame = Frame::message(
        b"{\"type\":\"hello\xff\"}".to_vec(),
        OpCode::Data(Data::Text),
        true,
    );
    ws.send_raw(Message::Frame(frame)).await;
    assert_eq!(ws.expect_close().await, 1007, "invalid UTF-8 first frame");

    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_with_invalid_utf8_closes_only_that_socket_with_1007() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    // tungstenite's `Message::Text` only holds valid UTF-8, so send a raw text frame.
    let payload = b"{\"type\":\"ping\",\"id\":\"\xff\xfe\"}".to_vec();
    let frame = Frame::message(payload, OpCode::Data(Data::Text), true);
    visitor.send_raw(Message::Frame(frame)).await;
    assert_eq!(visitor.expect_close().await, 1007);

    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_ten_bad_frames_within_ten_seconds_close_the_socket_with_4400() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    for _ in 0..15 {
        visitor.send_text("not json".to_owned()).await;
    }
    let mut errors = 0;
    let code = loop {
        let v = visitor.next().await;
        if v["type"] == "__close" {
            break v["code"].as_u64().unwrap();
        }
        assert_eq!(v["code"], "invalid_json", "{v}");
        errors += 1;
    };
    assert_eq!(code, 4400);
    // Ten are tolerated; the eleventh is answered, then the socket closes. (A twelfth may
    // slip in if the bucket refilled a token while the burst was read.)
    assert!(
        (11..=12).contains(&errors),
        "{errors} errors before the close"
    );

    agent
        .send_message(s.conversation, "a-1", "still open")
        .await;
    assert_eq!(agent.expect("ack").await["seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_odd_frames_are_answered_and_tolerated_and_the_socket_stays_open() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let long_id = "i".repeat(65);
    let frames: Vec<(String, &str, Option<&str>)> = vec![
        (deep, "invalid_json", None),
        (String::new(), "invalid_json", None),
        (
            r#"{"type":"ping","id":"\ud800"}"#.to_owned(),
            "invalid_json",
            None,
        ),
        ("5".to_owned(), "invalid_request", None),
        ("null".to_owned(), "invalid_request", None),
        (r#"["type","ping"]"#.to_owned(), "invalid_request", None),
        (
            r#"{"type":5,"id":"t"}"#.to_owned(),
            "invalid_request",
            Some("t"),
        ),
        (
            r#"{"type":"PING","id":"u"}"#.to_owned(),
            "unknown_frame_type",
            Some("u"),
        ),
        (
            r#"{"type":"ping","id":7}"#.to_owned(),
            "invalid_request",
            None,
        ),
        (
            json!({"type": "ping", "id": long_id}).to_string(),
            "invalid_request",
            None,
        ),
    ];
    for (text, code, id) in frames {
        let what = text.chars().take(40).collect::<String>();
        visitor.send_text(text).await;
        expect_error(&mut visitor, code, id, &what).await;
    }
    visitor.send_message(s.conversation, "v-1", "fine").await;
    assert_eq!(visitor.expect("ack").await["seq"], 1);
    assert_eq!(
        stored_bodies(&app, &s.agent.token, s.conversation).await,
        vec!["fine"]
    );
}

/// Sends `body` (raw bytes, as JSON) with `method` to `path`; returns status, headers and JSON.
async fn raw_request(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn bad_rest_bodies_and_paths_get_their_stable_codes_and_store_nothing(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let c = s.conversation;
    let path = format!("/api/v1/conversations/{c}/messages");
    let max = app.state.config.limits.max_message_chars;
    let max_request = app.state.config.limits.max_request_bytes;
    let post = reqwest::Method::POST;

    let bodies: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "invalid JSON",
            b"{\"client_msg_id\":".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "unknown field",
            json!({"client_msg_id": "r-1", "body": "bad", "priority": "high"})
                .to_string()
                .into_bytes(),
            400,
            "invalid_request",
        ),
        (
            "missing client_msg_id",
            json!({"body": "bad"}).to_string().into_bytes(),
            400,
            "invalid_request",
        ),
        (
            "body of the wrong type",
            json!({"client_msg_id": "r-3", "body": 5})
                .to_string()
                .into_bytes(),
            400,
            "invalid_request",
        ),
        (
            "empty body",
            json!({"client_msg_id": "r-4", "body": ""})
                .to_string()
                .into_bytes(),
            400,
            "body_empty",
        ),
        (
            "white-space body",
            json!({"client_msg_id": "r-5", "body": "  \n "})
                .to_string()
                .into_bytes(),
            400,
            "body_empty",
        ),
        (
            "body over the limit",
            json!({"client_msg_id": "r-6", "body": "é".repeat(max + 1)})
                .to_string()
                .into_bytes(),
            400,
            "body_too_long",
        ),
        (
            "body with a NUL character",
            json!({"client_msg_id": "r-nul", "body": "a\u{0}b"})
                .to_string()
                .into_bytes(),
            400,
            "validation_failed",
        ),
        (
            "lone surrogate",
            br#"{"client_msg_id":"r-sur","body":"\ud800"}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "deeply nested JSON",
            format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)).into_bytes(),
            400,
            "invalid_request",
        ),
        (
            "invalid client_msg_id",
            json!({"client_msg_id": "no spaces", "body": "bad"})
                .to_string()
                .into_bytes(),
            400,
            "invalid_client_msg_id",
        ),
        (
            "request over max_request_bytes",
            json!({"client_msg_id": "r-7", "body": "x".repeat(max_request)})
                .to_string()
                .into_bytes(),
            413,
            "payload_too_large",
        ),
    ];
    for (what, body, status, code) in bodies {
        let (got, v) = raw_request(&app, post.clone(), &path, &s.visitor.token, Some(body)).await;
        assert_eq!(
            (got, v["code"].as_str()),
            (status, Some(code)),
            "{what}: {v}"
        );
        assert!(v["message"].is_string(), "{what}: {v}");
    }

    // A body without a JSON content type is refused too.
    let res = reqwest::Client::new()
        .post(app.url(&path))
        .bearer_auth(&s.visitor.token)
        .body(json!({"client_msg_id": "r-8", "body": "bad"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "invalid_request"
    );

    // A conversation id that is not a UUID is simply not found.
    for bad_path in [
        "/api/v1/conversations/not-a-uuid/messages".to_owned(),
        "/api/v1/conversations/123".to_owned(),
        format!("/api/v1/conversations/{}x", c),
    ] {
        for token in [&s.visitor.token, &s.agent.token] {
            let (status, v) = raw_request(&app, reqwest::Method::GET, &bad_path, token, None).await;
            assert_eq!(
                (status, v["code"].as_str()),
                (404, Some("not_found")),
                "{bad_path}: {v}"
            );
        }
    }
    let good = json!({"client_msg_id": "r-9", "body": "would be fine"})
        .to_string()
        .into_bytes();
    let (status, v) = raw_request(
        &app,
        post.clone(),
        "/api/v1/conversations/not-a-uuid/messages",
        &s.visitor.token,
        Some(good),
    )
    .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );

    // Query strings are checked as strictly as bodies.
    for query in ["after_seq=abc", "after_seq=0&sort=desc", "limit=-1"] {
        let (status, v) = raw_request(
            &app,
            reqwest::Method::GET,
            &format!("{path}?{query}"),
            &s.visitor.token,
            None,
        )
        .await;
        assert_eq!(
            (status, v["code"].as_str()),
            (400, Some("invalid_request")),
            "{query}: {v}"
        );
    }

    // Sign-in speaks the same table.
    let (status, v) = raw_request(
        &app,
        post.clone(),
        "/api/v1/auth/login",
        "",
        Some(b"nope".to_vec()),
    )
    .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("invalid_json")),
        "{v}"
    );

    // Nothing was stored; a good message still is, with seq 1.
    assert!(stored_bodies(&app, &s.agent.token, c).await.is_empty());
    let (status, ack) = app.send(&s.visitor.token, c, "r-ok", "good one").await;
    assert_eq!(status, 201, "{ack}");
    assert_eq!(ack["seq"], 1);
    assert_eq!(
        stored_bodies(&app, &s.agent.token, c).await,
        vec!["good one"]
    );
}
on_both_backends!(
    bad_rest_bodies_and_paths_get_their_stable_codes_and_store_nothing_on_sqlite,
    bad_rest_bodies_and_paths_get_their_stable_codes_and_store_nothing_on_postgres,
    bad_rest_bodies_and_paths_get_their_stable_codes_and_store_nothing
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_body_that_is_a_json_array_is_refused_and_not_read_positionally() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let c = s.conversation;
    // serde reads a struct from a sequence too: ["id", "body", "note"] would be a message
    // with client_msg_id "id", body "body" and kind "note".
    for (path, token, body) in [
        (
            format!("/api/v1/conversations/{c}/messages"),
            s.agent.token.as_str(),
            r#"["r-arr", "positional body", "note"]"#,
        ),
        (
            format!("/api/v1/conversations/{c}/messages"),
            s.visitor.token.as_str(),
            r#"["r-arr-2", "positional body"]"#,
        ),
        (
            "/api/v1/conversations".to_owned(),
            s.visitor.token.as_str(),
            "[]",
        ),
    ] {
        let (status, v) = raw_request(
            &app,
            reqwest::Method::POST,
            &path,
            token,
            Some(body.as_bytes().to_vec()),
        )
        .await;
        assert_eq!(
            (status, v["code"].as_str()),
            (400, Some("invalid_request")),
            "{body}: {v}"
        );
    }
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!(
            r#"["{}", "{}"]"#,
            s.agent.agent.email,
            crate::helpers::PASSWORD
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "sign-in from an array");
    assert!(stored_bodies(&app, &s.agent.token, c).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_frame_that_is_not_hello_gets_hello_required_and_close_4001() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let firsts: Vec<(Message, &str, Option<&str>)> = vec![
        (
            Message::text(json!({"type": "ping", "id": "p1"}).to_string()),
            "hello_required",
            Some("p1"),
        ),
        (
            Message::text(
                json!({"type": "message.send", "id": "m1", "conversation_id": s.conversation,
                       "client_msg_id": "early", "body": "before hello"})
                .to_string(),
            ),
            "hello_required",
            Some("m1"),
        ),
        (Message::binary(b"hello".to_vec()), "hello_required", None),
        // Not even JSON: the error says so, and the socket is closed all the same.
        (Message::text("hello"), "invalid_json", None),
    ];
    for (frame, code, id) in firsts {
        let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
        ws.send_raw(frame).await;
        expect_error(&mut ws, code, id, "first frame").await;
        assert_eq!(ws.expect_close().await, 4001);
    }
    // Nothing sent before hello was stored.
    assert!(stored_bodies(&app, &s.agent.token, s.conversation)
        .await
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_without_hello_within_the_timeout_is_closed_with_4009() {
    let db = Database::new(Backend::Sqlite).await.unwrap();
    let mut config = db.config();
    config.limits.hello_timeout_secs = 1;
    let app = spawn_with(config).await;
    let s = app.scene().await;

    // The talker connects first, so its own hello deadline has passed by the time the silent
    // socket's closes: the silent socket's close is the barrier, no wait is needed.
    let mut talker = WsClient::open(&app, &s.visitor.token).await;
    let started = Instant::now();
    let mut silent = ws_connect(&app.ws_url(), None).await.unwrap();
    assert_eq!(silent.expect_close().await, 4009);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );

    // A socket that said hello in time is not affected by the hello timeout.
    talker
        .send_json(json!({"type": "ping", "id": "still"}))
        .await;
    assert_eq!(talker.expect("pong").await["id"], "still");
}
