//! Nobody reaches what is not theirs: visitors see only their own conversations, agents only
//! their workspace's, private notes never reach a visitor, and bad credentials or foreign
//! origins are refused. Unknown and foreign ids look exactly the same.

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use livedesk_core::store::NewSession;
use livedesk_server::auth;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::helpers::{call, spawn_app, ws_connect, Backend, Database, TestApp, WsClient};
use crate::on_both_backends;

/// GET, GET messages and POST a message on `conversation` as `token`; all three results.
async fn read_and_post(app: &TestApp, token: &str, conversation: Uuid) -> Vec<(u16, Value)> {
    let get = reqwest::Method::GET;
    vec![
        call(
            app,
            get.clone(),
            &format!("/api/v1/conversations/{conversation}"),
            Some(token),
            None,
        )
        .await,
        call(
            app,
            get,
            &format!("/api/v1/conversations/{conversation}/messages?after_seq=0"),
            Some(token),
            None,
        )
        .await,
        call(
            app,
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(token),
            Some(json!({"client_msg_id": "intruder", "body": "intruder was here"})),
        )
        .await,
    ]
}

/// Asserts each result is a 404 `not_found` with the very same body.
fn assert_all_not_found(results: &[(u16, Value)], what: &str) -> Value {
    let (_, first) = &results[0];
    for (status, body) in results {
        assert_eq!(*status, 404, "{what}: {body}");
        assert_eq!(body["code"], "not_found", "{what}: {body}");
        assert_eq!(body, first, "{what}: every 404 must look the same");
    }
    first.clone()
}

/// Sends one frame per kind that names `conversation` (send, typing, resume, receipt); returns the
/// error frames, with their ids removed so they can be compared across conversations.
async fn ws_touch(ws: &mut WsClient, conversation: Uuid, tag: &str) -> Vec<Value> {
    let frames = [
        json!({"type": "message.send", "id": format!("{tag}-send"), "conversation_id": conversation,
               "client_msg_id": format!("{tag}-intruder"), "body": "intruder was here"}),
        json!({"type": "typing", "id": format!("{tag}-typing"), "conversation_id": conversation, "on": true}),
        json!({"type": "resume", "id": format!("{tag}-resume"), "conversation_id": conversation, "last_seq": 0}),
        json!({"type": "receipt", "id": format!("{tag}-receipt"), "conversation_id": conversation, "seq": 1, "status": "read"}),
    ];
    let mut errors = Vec::new();
    for frame in frames {
        let id = frame["id"].clone();
        ws.send_json(frame).await;
        let mut v = ws.expect("error").await;
        assert_eq!(v["code"], "not_found", "{v}");
        assert_eq!(v["id"], id, "{v}");
        v.as_object_mut().unwrap().remove("id");
        // A cursor's error names the conversation it was given; nothing else may differ.
        let message = v["message"]
            .as_str()
            .unwrap()
            .replace(&conversation.to_string(), "…");
        v["message"] = json!(message);
        errors.push(v);
    }
    errors
}

/// A cursor (in `hello` or `resume`) for a conversation the principal cannot see gets
/// `not_found` naming that conversation, worded alike for a foreign and an unknown one.
async fn a_cursor_out_of_reach_gets_not_found_naming_its_conversation(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let intruder = app.new_visitor(s.inbox).await;
    let unknown = Uuid::now_v7();
    let named = |c: Uuid| format!("no conversation {c} for this principal");
    let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
    ws.hello(&intruder.token, &[(s.conversation, 0), (unknown, 0)])
        .await;
    for c in [s.conversation, unknown] {
        let v = ws.expect("error").await;
        assert_eq!(
            (v["code"].as_str(), v["id"].as_str(), v["message"].as_str()),
            (Some("not_found"), Some("h"), Some(named(c).as_str())),
            "{v}"
        );
    }
    for c in [s.conversation, unknown] {
        ws.send_json(json!({"type": "resume", "id": "r", "conversation_id": c, "last_seq": 0}))
            .await;
        let v = ws.expect("error").await;
        assert_eq!(
            (v["code"].as_str(), v["id"].as_str(), v["message"].as_str()),
            (Some("not_found"), Some("r"), Some(named(c).as_str())),
            "{v}"
        );
    }
}
on_both_backends!(
    a_cursor_out_of_reach_gets_not_found_naming_its_conversation_on_sqlite,
    a_cursor_out_of_reach_gets_not_found_naming_its_conversation_on_postgres,
    a_cursor_out_of_reach_gets_not_found_naming_its_conversation
);

fn mentions(frames: &[Value], needle: &str) -> Vec<Value> {
    frames
        .iter()
        .filter(|v| v.to_string().contains(needle))
        .cloned()
        .collect()
}

fn bodies(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("not a message page: {page}"))
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_visitor_cannot_read_post_type_into_or_resume_another_visitors_conversation(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let victim = &s.visitor;
    let victim_conversation = s.conversation;
    let (status, _) = app
        .send(&victim.token, victim_conversation, "b-1", "victim's secret")
        .await;
    assert_eq!(status, 201);
    let intruder = app.new_visitor(s.inbox).await;
    let own = app.new_conversation(&intruder).await;
    let unknown = Uuid::new_v4();

    let mut victim_ws = WsClient::open(&app, &victim.token).await;
    let mut agent_ws = WsClient::open(&app, &s.agent.token).await;

    // REST: foreign and unknown conversations give the same 404.
    let foreign = assert_all_not_found(
        &read_and_post(&app, &intruder.token, victim_conversation).await,
        "visitor on a foreign conversation",
    );
    let unknown_body = assert_all_not_found(
        &read_and_post(&app, &intruder.token, unknown).await,
        "visitor on an unknown conversation",
    );
    assert_eq!(foreign, unknown_body);
    // Naming the victim's inbox or contact when creating a conversation does not help.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/conversations",
        Some(&intruder.token),
        Some(json!({"contact_id": victim.contact_id})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    // The intruder's list holds its own conversation only.
    let (status, list) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/conversations",
        Some(&intruder.token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![own.to_string()]);

    // WS: a hello cursor on the victim's conversation replays nothing and says not_found.
    let mut intruder_ws = ws_connect(&app.ws_url(), None).await.unwrap();
    intruder_ws
        .hello(&intruder.token, &[(victim_conversation, 0)])
        .await;
    let v = intruder_ws.next().await;
    assert_eq!(
        (v["type"].as_str(), v["code"].as_str(), v["id"].as_str()),
        (Some("error"), Some("not_found"), Some("h")),
        "{v}"
    );
    // Sending, typing and resuming on it: not_found, exactly as for an unknown id.
    let foreign_errors = ws_touch(&mut intruder_ws, victim_conversation, "f").await;
    let unknown_errors = ws_touch(&mut intruder_ws, unknown, "u").await;
    assert_eq!(foreign_errors, unknown_errors);
    // The intruder's socket still works on its own conversation.
    intruder_ws
        .send_message(own, "a-1", "intruder's own message")
        .await;
    assert_eq!(intruder_ws.expect("ack").await["seq"], 1);
    agent_ws
        .frames_before_message("intruder's own message")
        .await;

    // The victim heard nothing of it; the agent heard no typing or message on the victim's
    // conversation. Then a real reply shows the victim's socket was listening all along.
    let (status, _) = app
        .send(&s.agent.token, victim_conversation, "a-1", "agent reply")
        .await;
    assert_eq!(status, 201);
    let heard = victim_ws.frames_before_message("agent reply").await;
    assert!(heard.is_empty(), "the victim received more: {heard:?}");
    // The reply reaches the agent's socket too, after anything the intruder's frames (each
    // answered before it) could have queued there.
    agent_ws.frames_before_message("agent reply").await;
    let intrusions: Vec<Value> = agent_ws
        .received
        .iter()
        .filter(|v| {
            v.to_string().contains("intruder was here")
                || (matches!(v["type"].as_str(), Some("typing" | "receipt"))
                    && v["conversation_id"] == victim_conversation.to_string())
        })
        .cloned()
        .collect();
    assert!(intrusions.is_empty(), "{intrusions:?}");
    // And an answer on the intruder's own conversation reaches the intruder after anything
    // the victim's conversation could have queued for them.
    let (status, _) = app
        .send(&s.agent.token, own, "a-2", "an answer for the intruder")
        .await;
    assert_eq!(status, 201);
    intruder_ws
        .frames_before_message("an answer for the intruder")
        .await;
    assert!(mentions(&intruder_ws.received, "victim's secret").is_empty());
    assert!(mentions(&intruder_ws.received, "agent reply").is_empty());

    // Nothing was stored on the victim's conversation.
    let (status, page) = app.messages(&s.agent.token, victim_conversation, 0).await;
    assert_eq!(status, 200);
    assert_eq!(bodies(&page), vec!["victim's secret", "agent reply"]);
}
on_both_backends!(
    a_visitor_cannot_read_post_type_into_or_resume_another_visitors_conversation_on_sqlite,
    a_visitor_cannot_read_post_type_into_or_resume_another_visitors_conversation_on_postgres,
    a_visitor_cannot_read_post_type_into_or_resume_another_visitors_conversation
);

async fn an_agent_gets_not_found_on_another_workspaces_conversations_and_hears_none_of_its_events(
    app: TestApp,
    _db: Database,
) {
    let x = app.scene().await;
    let y = app.scene().await;
    let unknown = Uuid::new_v4();
    let (status, _) = app
        .send(&y.visitor.token, y.conversation, "y-1", "Y's secret")
        .await;
    assert_eq!(status, 201);

    // REST.
    let foreign = assert_all_not_found(
        &read_and_post(&app, &x.agent.token, y.conversation).await,
        "agent on another workspace's conversation",
    );
    let unknown_body = assert_all_not_found(
        &read_and_post(&app, &x.agent.token, unknown).await,
        "agent on an unknown conversation",
    );
    assert_eq!(foreign, unknown_body);
    // Changing its status or assignee: the same 404, and nothing changes.
    let mut patches = Vec::new();
    for id in [y.conversation, unknown] {
        patches.push(
            call(
                &app,
                reqwest::Method::PATCH,
                &format!("/api/v1/conversations/{id}"),
                Some(&x.agent.token),
                Some(json!({"status": "resolved", "assignee_id": x.agent.agent.id})),
            )
            .await,
        );
    }
    assert_eq!(
        assert_all_not_found(&patches, "agent updating another workspace's conversation"),
        foreign
    );
    let (_, still) = call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/conversations/{}", y.conversation),
        Some(&y.agent.token),
        None,
    )
    .await;
    assert_eq!(
        (still["status"].as_str(), &still["assignee_id"]),
        (Some("open"), &Value::Null),
        "{still}"
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/conversations",
        Some(&x.agent.token),
        Some(json!({"inbox_id": y.inbox, "contact_id": y.visitor.contact_id})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    for path in [
        "/api/v1/conversations".to_owned(),
        format!("/api/v1/conversations?inbox_id={}", y.inbox),
    ] {
        let (status, list) = call(
            &app,
            reqwest::Method::GET,
            &path,
            Some(&x.agent.token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        assert!(
            !list.to_string().contains(&y.conversation.to_string()),
            "{path}: {list}"
        );
    }
    let (_, inboxes) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/inboxes",
        Some(&x.agent.token),
        None,
    )
    .await;
    assert!(
        !inboxes.to_string().contains(&y.inbox.to_string()),
        "{inboxes}"
    );

    // WS.
    let mut x_ws = ws_connect(&app.ws_url(), None).await.unwrap();
    x_ws.hello(&x.agent.token, &[(y.conversation, 0)]).await;
    let v = x_ws.next().await;
    assert_eq!(
        (v["type"].as_str(), v["code"].as_str(), v["id"].as_str()),
        (Some("error"), Some("not_found"), Some("h")),
        "{v}"
    );
    let foreign_errors = ws_touch(&mut x_ws, y.conversation, "f").await;
    let unknown_errors = ws_touch(&mut x_ws, unknown, "u").await;
    assert_eq!(foreign_errors, unknown_errors);

    // Y lives its life while X's agent socket is open.
    let mut y_agent = WsClient::open(&app, &y.agent.token).await;
    let mut y_visitor = WsClient::open(&app, &y.visitor.token).await;
    y_visitor
        .send_message(y.conversation, "y-2", "Y over WS")
        .await;
    y_visitor.expect("ack").await;
    y_visitor
        .send_json(json!({"type": "typing", "conversation_id": y.conversation, "on": true}))
        .await;
    // Typing has no answer: the pong shows it was handled, so published, before X's barrier.
    y_visitor.frames_before_pong().await;
    y_agent
        .send_json(json!({"type": "typing", "conversation_id": y.conversation, "on": true}))
        .await;
    y_agent
        .send_message(y.conversation, "y-3", "Y agent over WS")
        .await;
    y_agent.expect("ack").await;
    let (status, _) = app
        .send(&y.agent.token, y.conversation, "y-4", "Y agent over REST")
        .await;
    assert_eq!(status, 201);
    let y_second = app.new_visitor(y.inbox).await;
    let y_conversation_2 = app.new_conversation(&y_second).await;
    let (status, _) = app
        .send(
            &y_second.token,
            y_conversation_2,
            "y-5",
            "Y's second visitor",
        )
        .await;
    assert_eq!(status, 201);
    y_agent.frames_before_message("Y's second visitor").await;
    // Then X's own visitor speaks: X's socket hears that, and nothing of Y before it.
    let (status, _) = app
        .send(&x.visitor.token, x.conversation, "x-1", "X's visitor")
        .await;
    assert_eq!(status, 201);
    x_ws.frames_before_message("X's visitor").await;
    for needle in [
        y.conversation.to_string(),
        y_conversation_2.to_string(),
        y.agent.agent.workspace_id.to_string(),
        "Y ".to_owned(),
        "Y's".to_owned(),
    ] {
        // Errors answering X's own cursors name the id X gave, nothing more.
        let echo = format!("no conversation {needle} for this principal");
        let leaked: Vec<Value> = mentions(&x_ws.received, &needle)
            .into_iter()
            .filter(|v| !(v["type"] == "error" && v["message"] == echo.as_str()))
            .collect();
        assert!(
            leaked.is_empty(),
            "X's agent socket got {needle:?}: {leaked:?}"
        );
    }
    let typing: Vec<&Value> = x_ws
        .received
        .iter()
        .filter(|v| v["type"] == "typing")
        .collect();
    assert!(typing.is_empty(), "{typing:?}");
}
on_both_backends!(
    an_agent_gets_not_found_on_another_workspaces_conversations_and_hears_none_of_its_events_on_sqlite,
    an_agent_gets_not_found_on_another_workspaces_conversations_and_hears_none_of_its_events_on_postgres,
    an_agent_gets_not_found_on_another_workspaces_conversations_and_hears_none_of_its_events
);

/// Says hello with `token` on a fresh socket; returns the error frame and the close code.
async fn hello_refused(app: &TestApp, token: Option<&str>) -> (Value, u16) {
    let mut ws = ws_connect(&app.ws_url(), None).await.unwrap();
    let mut hello = json!({"type": "hello", "id": "h"});
    if let Some(token) = token {
        hello["token"] = json!(token);
    }
    ws.send_json(hello).await;
    let v = ws.next().await;
    (v, ws.expect_close().await)
}

async fn assert_token_refused(app: &TestApp, token: &str, conversation: Uuid, what: &str) {
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/me".to_owned()),
        (reqwest::Method::GET, "/api/v1/conversations".to_owned()),
        (
            reqwest::Method::GET,
            format!("/api/v1/conversations/{conversation}/messages"),
        ),
    ] {
        let (status, body) = call(app, method, &path, Some(token), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthorized")),
            "{what} on {path}: {body}"
        );
    }
    let (status, body) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{conversation}/messages"),
        Some(token),
        Some(json!({"client_msg_id": "x", "body": "with a bad token"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{what} posting: {body}"
    );
    let (frame, code) = hello_refused(app, Some(token)).await;
    assert_eq!(
        (
            frame["type"].as_str(),
            frame["code"].as_str(),
            frame["id"].as_str()
        ),
        (Some("error"), Some("unauthorized"), Some("h")),
        "{what}: {frame}"
    );
    assert_eq!(code, 4001, "{what}");
}

async fn forged_expired_and_revoked_tokens_are_refused_over_rest_and_websocket(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let c = s.conversation;
    let random = || {
        let (t, _) = auth::new_agent_token();
        t["lds_".len()..].to_owned()
    };
    let forged = [
        ("forged agent token", format!("lds_{}", random())),
        ("forged visitor token", format!("ldv_{}", random())),
        ("garbage", "garbage".to_owned()),
        ("empty", String::new()),
        ("agent prefix only", "lds_".to_owned()),
        ("huge", format!("lds_{}", "a".repeat(5000))),
        ("another kind's prefix", format!("ldx_{}", random())),
    ];
    for (what, token) in &forged {
        assert_token_refused(&app, token, c, what).await;
    }

    // Expired tokens, made in the store: the same rows with a future expiry work.
    let now = livedesk_core::now_ms();
    let inbox = app.state.store.inbox(s.inbox).await.unwrap().unwrap();
    let mut agent_tokens = Vec::new();
    let mut visitor_tokens = Vec::new();
    for expires_at in [now + 3_600_000, now - 1000] {
        let (token, token_hash) = auth::new_agent_token();
        app.state
            .store
            .create_session(NewSession {
                token_hash,
                agent_id: s.agent.agent.id,
                created_at: now - 7_200_000,
                expires_at,
            })
            .await
            .unwrap();
        agent_tokens.push(token);
        let (token, hash) = auth::new_visitor_token();
        app.state
            .store
            .create_visitor(&inbox, &hash, expires_at, None)
            .await
            .unwrap();
        visitor_tokens.push(token);
    }
    let (status, me) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&agent_tokens[0]),
        None,
    )
    .await;
    assert_eq!((status, me["kind"].as_str()), (200, Some("agent")), "{me}");
    let (status, me) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&visitor_tokens[0]),
        None,
    )
    .await;
    assert_eq!(
        (status, me["kind"].as_str()),
        (200, Some("visitor")),
        "{me}"
    );
    WsClient::open(&app, &agent_tokens[0]).await.close().await;
    WsClient::open(&app, &visitor_tokens[0]).await.close().await;
    assert_token_refused(&app, &agent_tokens[1], c, "expired agent token").await;
    assert_token_refused(&app, &visitor_tokens[1], c, "expired visitor token").await;

    // A signed-out token.
    let agent = app
        .new_agent(
            s.agent.agent.workspace_id,
            livedesk_protocol::model::Role::Agent,
        )
        .await;
    // An agent works only the inboxes they are a member of.
    app.state
        .store
        .set_inbox_members(s.agent.agent.workspace_id, s.inbox, &[agent.agent.id])
        .await
        .unwrap();
    let (status, _) = app.messages(&agent.token, c, 0).await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        Some(&agent.token),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert_token_refused(&app, &agent.token, c, "signed-out token").await;
    // The other sessions of the workspace are untouched.
    let (status, _) = app.messages(&s.agent.token, c, 0).await;
    assert_eq!(status, 200);

    // No credentials at all.
    let (status, body) = call(&app, reqwest::Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let (frame, code) = hello_refused(&app, None).await;
    assert_eq!(frame["code"], "unauthorized", "{frame}");
    assert_eq!(code, 4001);

    // Nothing was stored by any of them.
    let (_, page) = app.messages(&s.agent.token, c, 0).await;
    assert!(bodies(&page).is_empty(), "{page}");
}
on_both_backends!(
    forged_expired_and_revoked_tokens_are_refused_over_rest_and_websocket_on_sqlite,
    forged_expired_and_revoked_tokens_are_refused_over_rest_and_websocket_on_postgres,
    forged_expired_and_revoked_tokens_are_refused_over_rest_and_websocket
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_agent_socket_is_closed_with_4003_once_its_session_is_signed_out() {
    let db = Database::new(Backend::Sqlite).await.unwrap();
    let mut config = db.config();
    config.limits.heartbeat_secs = 1;
    let app = crate::helpers::spawn_with(config).await;
    let s = app.scene().await;
    let other = app
        .new_agent(
            s.agent.agent.workspace_id,
            livedesk_protocol::model::Role::Agent,
        )
        .await;
    let mut leaving = WsClient::open(&app, &other.token).await;
    let mut staying = WsClient::open(&app, &s.agent.token).await;

    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        Some(&other.token),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let started = Instant::now();
    assert_eq!(leaving.expect_close().await, 4003);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The signed-out socket heard nothing more, the other one carries on.
    let (status, _) = app
        .send(
            &s.visitor.token,
            s.conversation,
            "v-1",
            "after the sign-out",
        )
        .await;
    assert_eq!(status, 201);
    staying.frames_before_message("after the sign-out").await;
    assert!(mentions(&leaving.received, "after the sign-out").is_empty());
}

/// Opens `url` with extra handshake headers, sends `hello` (without token) and reads every
/// text frame until the close (code) or a `welcome` (code 0); or the refusal status.
async fn cookie_hello(url: &str, headers: &[(&str, &str)]) -> Result<(Vec<Value>, u16), u16> {
    let mut req = url.into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let (mut ws, _) = match tokio_tungstenite::connect_async(req).await {
        Ok(ok) => ok,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => return Err(res.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    };
    ws.send(Message::text(
        json!({"type": "hello", "id": "h"}).to_string(),
    ))
    .await
    .unwrap();
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                let welcome = v["type"] == "welcome";
                frames.push(v);
                if welcome {
                    return Ok((frames, 0));
                }
            }
            Ok(Some(Ok(Message::Close(f)))) => {
                return Ok((frames, f.map(|f| u16::from(f.code)).unwrap_or(1005)))
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_))) | Ok(None) => return Ok((frames, 1006)),
            Err(_) => panic!("no close within 10 s; frames so far: {frames:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_and_widget_sessions_from_a_foreign_origin_are_refused() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let evil = "http://evil.example";
    let shop = "http://shop.example";
    let own = format!("http://{}", app.addr);
    let agent_url = app.ws_url();
    let widget_url = format!("{}?inbox={}", app.ws_url(), s.inbox);

    // Agent sockets: only the server's own origin (or no browser at all).
    assert_eq!(ws_connect(&agent_url, Some(evil)).await.err(), Some(403));
    assert_eq!(
        ws_connect(&agent_url, Some(shop)).await.err(),
        Some(403),
        "an inbox origin does not open agent sockets"
    );
    assert_eq!(
        ws_connect(&agent_url, Some("null")).await.err(),
        Some(403),
        "an opaque origin"
    );
    for origin in [None, Some(own.as_str())] {
        let mut ws = ws_connect(&agent_url, origin).await.unwrap();
        ws.hello(&s.agent.token, &[]).await;
    }

    // Widget sockets: the inbox's allowed origins.
    assert_eq!(ws_connect(&widget_url, Some(evil)).await.err(), Some(403));
    let unknown_inbox = format!("{}?inbox={}", app.ws_url(), Uuid::new_v4());
    assert_eq!(
        ws_connect(&unknown_inbox, Some(shop)).await.err(),
        Some(403)
    );
    let mut ws = ws_connect(&widget_url, Some(shop)).await.unwrap();
    let welcome = ws.hello(&s.visitor.token, &[]).await;
    assert_eq!(welcome["principal"]["kind"], "visitor");
    ws.send_message(s.conversation, "v-1", "from the shop")
        .await;
    assert_eq!(ws.expect("ack").await["seq"], 1);

    // The refusal is the error table's.
    let res = reqwest::Client::new()
        .get(widget_url.replace("ws://", "http://"))
        .header("origin", evil)
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "origin_not_allowed"
    );

    // Widget sessions: same rule.
    for (origin, status) in [(evil, 403), (shop, 201)] {
        let res = reqwest::Client::new()
            .post(app.url("/api/v1/widget/sessions"))
            .header("origin", origin)
            .json(&json!({"inbox_id": s.inbox}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{origin}");
        let body: Value = res.json().await.unwrap();
        if status == 403 {
            assert_eq!(body["code"], "origin_not_allowed", "{body}");
            assert!(body.get("visitor_token").is_none());
        } else {
            assert!(body["visitor_token"].as_str().unwrap().starts_with("ldv_"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_opened_for_one_inbox_refuses_tokens_of_another_inbox_and_agent_sessions() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let other_inbox = app.create_inbox(&s.agent, &["http://shop.example"]).await;
    let other_url = format!("{}?inbox={}", app.ws_url(), other_inbox);

    // The visitor token belongs to the first inbox.
    for origin in [None, Some("http://shop.example")] {
        let mut ws = ws_connect(&other_url, origin).await.unwrap();
        ws.send_json(json!({"type": "hello", "id": "h", "token": s.visitor.token}))
            .await;
        let v = ws.next().await;
        assert_eq!(
            (v["type"].as_str(), v["code"].as_str(), v["id"].as_str()),
            (Some("error"), Some("unauthorized"), Some("h")),
            "{v}"
        );
        assert_eq!(ws.expect_close().await, 4001);
    }
    // Its own inbox accepts it.
    let mut ws = ws_connect(&format!("{}?inbox={}", app.ws_url(), s.inbox), None)
        .await
        .unwrap();
    ws.hello(&s.visitor.token, &[]).await;

    // A page on an origin some inbox allows cannot ride an agent's session: neither with a
    // token in hello nor with the session cookie of the handshake.
    let attacker = app.new_workspace_admin().await;
    let attacker_inbox = app.create_inbox(&attacker, &["http://evil.example"]).await;
    let attacker_url = format!("{}?inbox={}", app.ws_url(), attacker_inbox);
    let mut ws = ws_connect(&attacker_url, Some("http://evil.example"))
        .await
        .unwrap();
    ws.send_json(json!({"type": "hello", "id": "h", "token": s.agent.token}))
        .await;
    assert_eq!(ws.next().await["code"], "unauthorized");
    assert_eq!(ws.expect_close().await, 4001);
    let cookie = format!("livedesk_session={}", s.agent.token);
    let (frames, code) = cookie_hello(
        &attacker_url,
        &[("origin", "http://evil.example"), ("cookie", &cookie)],
    )
    .await
    .unwrap();
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["code"], "unauthorized", "{frames:?}");
    assert_eq!(code, 4001);
    // Without an inbox, that origin cannot even open the socket.
    assert_eq!(
        cookie_hello(
            &app.ws_url(),
            &[("origin", "http://evil.example"), ("cookie", &cookie)]
        )
        .await
        .err(),
        Some(403)
    );
    // The same cookie from no browser at all (no Origin), on the agent URL, does work.
    let (frames, code) = cookie_hello(&app.ws_url(), &[("cookie", &cookie)])
        .await
        .unwrap();
    assert_eq!(code, 0, "{frames:?}");
    assert_eq!(frames[0]["principal"]["kind"], "agent", "{frames:?}");
}

async fn private_notes_never_reach_the_visitor(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let c = s.conversation;
    let mut agent = WsClient::open(&app, &s.agent.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;

    visitor.send_message(c, "v-1", "hello there").await;
    assert_eq!(visitor.expect("ack").await["seq"], 1);
    // A note over WS and one over REST, then a public reply.
    agent
        .send_json(json!({"type": "message.send", "id": "n1", "conversation_id": c,
                          "client_msg_id": "note-ws", "body": "NOTE-WS: customer seems angry", "kind": "note"}))
        .await;
    let ack = agent.expect("ack").await;
    assert_eq!(
        (ack["id"].as_str(), ack["seq"].as_i64()),
        (Some("n1"), Some(2)),
        "{ack}"
    );
    let (status, ack) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{c}/messages"),
        Some(&s.agent.token),
        Some(json!({"client_msg_id": "note-rest", "body": "NOTE-REST: offer a refund", "kind": "note"})),
    )
    .await;
    assert_eq!((status, ack["seq"].as_i64()), (201, Some(3)), "{ack}");
    let (status, _) = app.send(&s.agent.token, c, "reply", "public reply").await;
    assert_eq!(status, 201);

    // The agent's socket has both notes (a note's own `message.created` may come before its
    // ack, so look at everything the socket received).
    agent.frames_before_message("public reply").await;
    let got = &agent.received;
    let notes: Vec<&Value> = got
        .iter()
        .filter(|v| v["type"] == "message.created" && v["message"]["kind"] == "note")
        .collect();
    assert_eq!(notes.len(), 2, "{got:?}");
    // The visitor's socket, recorded for a while after the reply: no trace of them.
    // The visitor's socket up to the reply, sent after both notes: no trace of them.
    visitor.frames_before_message("public reply").await;
    assert!(
        mentions(&visitor.received, "NOTE-").is_empty(),
        "{:?}",
        visitor.received
    );
    assert!(
        mentions(&visitor.received, "\"note\"").is_empty(),
        "{:?}",
        visitor.received
    );
    let seqs: Vec<i64> = visitor
        .received
        .iter()
        .filter(|v| v["type"] == "message.created")
        .map(|v| v["message"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 4]);

    // REST lists: the agent's has them, the visitor's does not, in either direction of paging.
    let (_, page) = app.messages(&s.agent.token, c, 0).await;
    assert_eq!(
        bodies(&page),
        vec![
            "hello there",
            "NOTE-WS: customer seems angry",
            "NOTE-REST: offer a refund",
            "public reply"
        ]
    );
    for path in [
        format!("/api/v1/conversations/{c}/messages"),
        format!("/api/v1/conversations/{c}/messages?after_seq=1"),
        format!("/api/v1/conversations/{c}/messages?before_seq=100"),
        format!("/api/v1/conversations/{c}/messages?before_seq=4&limit=1"),
    ] {
        let (status, page) = call(
            &app,
            reqwest::Method::GET,
            &path,
            Some(&s.visitor.token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert!(!page.to_string().contains("NOTE-"), "{path}: {page}");
        assert!(!page.to_string().contains("\"note\""), "{path}: {page}");
    }
    let (_, page) = app.messages(&s.visitor.token, c, 0).await;
    assert_eq!(bodies(&page), vec!["hello there", "public reply"]);

    // Replays from cursor 0, by hello and by resume, skip them too.
    let mut fresh = ws_connect(&app.ws_url(), None).await.unwrap();
    fresh.hello(&s.visitor.token, &[(c, 0)]).await;
    let resumed = fresh.expect("resumed").await;
    assert_eq!(resumed["recovered"], true);
    fresh
        .send_json(json!({"type": "resume", "id": "r", "conversation_id": c, "last_seq": 0}))
        .await;
    assert_eq!(fresh.expect("resumed").await["id"], "r");
    let replayed: Vec<i64> = fresh
        .received
        .iter()
        .filter(|v| v["type"] == "message.created")
        .map(|v| v["message"]["seq"].as_i64().unwrap())
        .collect();
    // The resume on the same socket sends nothing again: the socket already wrote 1 and 4.
    assert_eq!(replayed, vec![1, 4]);
    assert!(
        mentions(&fresh.received, "NOTE-").is_empty(),
        "{:?}",
        fresh.received
    );

    // A visitor may not write notes: forbidden over WS and REST, nothing stored.
    visitor
        .send_json(
            json!({"type": "message.send", "id": "vn", "conversation_id": c,
                          "client_msg_id": "v-note", "body": "VISITOR-NOTE", "kind": "note"}),
        )
        .await;
    let v = visitor.expect("error").await;
    assert_eq!(
        (v["code"].as_str(), v["id"].as_str()),
        (Some("forbidden"), Some("vn")),
        "{v}"
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{c}/messages"),
        Some(&s.visitor.token),
        Some(json!({"client_msg_id": "v-note-2", "body": "VISITOR-NOTE", "kind": "note"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let (_, page) = app.messages(&s.agent.token, c, 0).await;
    assert_eq!(bodies(&page).len(), 4, "{page}");
    // The agent's own typing comes back after anything the refused notes could have queued.
    agent.frames_before_own_typing(c).await;
    assert!(mentions(&agent.received, "VISITOR-NOTE").is_empty());
}
on_both_backends!(
    private_notes_never_reach_the_visitor_on_sqlite,
    private_notes_never_reach_the_visitor_on_postgres,
    private_notes_never_reach_the_visitor
);

/// Uploads `data` as a text file into `conversation`; returns the status and the JSON body.
async fn upload(app: &TestApp, token: &str, conversation: Uuid, data: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/conversations/{conversation}/attachments?name=notes.txt"
        )))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(data.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Downloads an attachment: status and body text.
async fn download(app: &TestApp, token: &str, id: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn attachments_are_reachable_only_from_their_own_conversation(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let other_workspace = app.scene().await;
    let intruder = app.new_visitor(s.inbox).await;
    let own = app.new_conversation(&intruder).await;
    let (status, file) = upload(&app, &s.visitor.token, s.conversation, "VICTIM-FILE").await;
    assert_eq!(status, 201, "{file}");
    let file_id = file["id"].as_str().unwrap().to_owned();
    let unknown = Uuid::new_v4().to_string();

    // The conversation's own people get it.
    for token in [&s.visitor.token, &s.agent.token] {
        assert_eq!(
            download(&app, token, &file_id).await,
            (200, "VICTIM-FILE".to_owned())
        );
    }
    // Another visitor and another workspace's agent get the very 404 of an unknown id.
    let (status, unknown_body) = download(&app, &intruder.token, &unknown).await;
    assert_eq!(status, 404);
    for token in [&intruder.token, &other_workspace.agent.token] {
        assert_eq!(
            download(&app, token, &file_id).await,
            (404, unknown_body.clone())
        );
    }
    // Nobody uploads into a conversation that is not theirs.
    for (token, conversation) in [
        (&intruder.token, s.conversation),
        (&other_workspace.agent.token, s.conversation),
        (&intruder.token, Uuid::new_v4()),
    ] {
        let (status, body) = upload(&app, token, conversation, "INTRUDER-FILE").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{body}"
        );
    }
    // Nor sends somebody else's file in a conversation of their own, over REST or WS.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{own}/messages"),
        Some(&intruder.token),
        Some(json!({"client_msg_id": "steal", "body": "", "attachment_id": file_id})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let mut ws = WsClient::open(&app, &intruder.token).await;
    ws.send_json(
        json!({"type": "message.send", "id": "steal", "conversation_id": own,
                        "client_msg_id": "steal-ws", "body": "look", "attachment_id": file_id}),
    )
    .await;
    let v = ws.expect("error").await;
    assert_eq!(
        (v["code"].as_str(), v["id"].as_str()),
        (Some("not_found"), Some("steal")),
        "{v}"
    );
    let (_, page) = app.messages(&s.agent.token, own, 0).await;
    assert!(bodies(&page).is_empty(), "{page}");
    // Even the workspace's agent cannot re-send the visitor's file as its own.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{}/messages", s.conversation),
        Some(&s.agent.token),
        Some(json!({"client_msg_id": "reuse", "body": "", "attachment_id": file_id})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
}
on_both_backends!(
    attachments_are_reachable_only_from_their_own_conversation_on_sqlite,
    attachments_are_reachable_only_from_their_own_conversation_on_postgres,
    attachments_are_reachable_only_from_their_own_conversation
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_shared_only_in_a_private_note_cannot_be_downloaded_by_the_visitor() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    let (status, file) = upload(&app, &s.agent.token, s.conversation, "INTERNAL-FILE").await;
    assert_eq!(status, 201, "{file}");
    let file_id = file["id"].as_str().unwrap().to_owned();
    let (status, ack) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{}/messages", s.conversation),
        Some(&s.agent.token),
        Some(json!({"client_msg_id": "n", "body": "NOTE-FILE", "kind": "note", "attachment_id": file_id})),
    )
    .await;
    assert_eq!(status, 201, "{ack}");
    let (status, _) = app
        .send(&s.agent.token, s.conversation, "p", "public")
        .await;
    assert_eq!(status, 201);
    visitor.frames_before_message("public").await;
    assert!(
        mentions(&visitor.received, &file_id).is_empty(),
        "{:?}",
        visitor.received
    );
    assert_eq!(download(&app, &s.agent.token, &file_id).await.0, 200);
    let (status, body) = download(&app, &s.visitor.token, &file_id).await;
    assert_eq!(status, 404, "the visitor downloaded a note's file: {body}");
}
