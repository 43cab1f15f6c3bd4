//! The widget's server side: public config, inbox settings, widget sessions, contact updates,
//! verified identify (JWT), attachments, receipts, page views, conversation updates and the
//! embedded web assets.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{call, spawn_app, spawn_with, Backend, Database, TestApp, WsClient};
use crate::on_both_backends;

const SECRET: &str = "an-identity-secret-of-at-least-32-bytes!";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, token, None).await
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, token, Some(body)).await
}

async fn patch(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::PATCH, path, token, Some(body)).await
}

async fn widget_config(app: &TestApp, inbox: Uuid) -> (u16, Value) {
    get(app, &format!("/api/v1/widget/config/{inbox}"), None).await
}

async fn patch_inbox(app: &TestApp, token: &str, inbox: Uuid, body: Value) -> (u16, Value) {
    patch(app, &format!("/api/v1/inboxes/{inbox}"), Some(token), body).await
}

async fn patch_contact(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    patch(app, "/api/v1/widget/contact", Some(token), body).await
}

async fn identify(app: &TestApp, token: &str, jwt: &str) -> (u16, Value) {
    post(
        app,
        "/api/v1/widget/identify",
        Some(token),
        json!({ "token": jwt }),
    )
    .await
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 token signed with `secret`.
fn jwt(secret: &str, claims: Value) -> String {
    jwt_with(Algorithm::HS256, secret, claims)
}

fn jwt_with(alg: Algorithm, secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["code"], code, "{}", got.1);
}

/// Reads frames until `pred` matches one (others stay in `received`).
async fn expect_where(ws: &mut WsClient, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    loop {
        let v = ws.next_within(Duration::from_secs(10)).await;
        let v = v.unwrap_or_else(|| panic!("no {what} within 10 s; got {:?}", ws.received));
        assert_ne!(v["type"], "__close", "closed while waiting for {what}: {v}");
        if pred(&v) {
            return v;
        }
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A valid 1×1 RGBA PNG; with `comment` bytes of a `tEXt` chunk to make it bigger.
fn png(comment: usize) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    if comment > 0 {
        let mut text = b"Comment\0".to_vec();
        text.extend((0..comment).map(|i| b'a' + (i % 26) as u8));
        chunk(&mut png, b"tEXt", &text);
    }
    let raw = [0u8, 0x1f, 0x6f, 0xeb, 0xff]; // filter byte, one blue pixel
    let mut zlib = vec![0x78, 0x01, 0x01, 5, 0, !5, 0xff];
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A PNG of exactly `size` bytes.
fn png_of_size(size: usize) -> Vec<u8> {
    let bare = png(0).len();
    let with_chunk = png(1).len() - 1; // header, keyword and CRC of the tEXt chunk
    assert!(size > with_chunk);
    let got = png(size - with_chunk);
    assert_eq!(got.len(), size);
    assert!(bare < size);
    got
}

async fn upload(
    app: &TestApp,
    token: &str,
    conversation: Uuid,
    name: &str,
    content_type: &str,
    data: Vec<u8>,
) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/conversations/{conversation}/attachments")))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(data)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn download(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// POST a message with an attachment; returns the status and body.
async fn send_with_attachment(
    app: &TestApp,
    token: &str,
    conversation: Uuid,
    client_msg_id: &str,
    attachment_id: &Value,
) -> (u16, Value) {
    post(
        app,
        &format!("/api/v1/conversations/{conversation}/messages"),
        Some(token),
        json!({"client_msg_id": client_msg_id, "body": "", "attachment_id": attachment_id}),
    )
    .await
}

async fn stored_contact(app: &TestApp, workspace: Uuid, contact: Uuid) -> Value {
    let c = app
        .state
        .store
        .contact(workspace, contact)
        .await
        .unwrap()
        .expect("contact exists");
    serde_json::to_value(c).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Widget config
// ---------------------------------------------------------------------------------------------

async fn widget_config_is_public_with_defaults_and_agent_presence(app: TestApp, _db: Database) {
    let s = app.scene().await;

    // Public: no credentials at all, defaults for a new inbox.
    let (status, config) = widget_config(&app, s.inbox).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["inbox_id"], s.inbox.to_string());
    assert_eq!(config["name"], "Website");
    assert_eq!(config["color"], "#1f6feb");
    assert_eq!(config["position"], "right");
    assert_eq!(config["greeting"], Value::Null);
    assert_eq!(config["away_message"], Value::Null);
    assert_eq!(config["prechat_fields"], json!([]));
    assert_eq!(config["identity_verification"], false);
    assert_eq!(config["agents_online"], false, "no agent socket is open");
    assert_eq!(config["max_attachment_bytes"], 10 * 1024 * 1024);
    let types = config["attachment_types"].as_array().unwrap();
    assert!(types.contains(&json!("image/png")), "{config}");

    // Sockets that are not this workspace's agents do not count.
    let elsewhere = app.new_workspace_admin().await;
    let mut foreign_agent = WsClient::open(&app, &elsewhere.token).await;
    let mut visitor = WsClient::open(&app, &s.visitor.token).await;
    assert_eq!(widget_config(&app, s.inbox).await.1["agents_online"], false);

    // While an agent who works the inbox is online and connected, agents are online (the
    // cases that are not are in `presence`).
    let agent = WsClient::open(&app, &s.agent.token).await;
    assert_eq!(widget_config(&app, s.inbox).await.1["agents_online"], false);
    let path = format!("/api/v1/agents/{}", s.agent.agent.id);
    let body = json!({"inbox_ids": [s.inbox]});
    assert_eq!(patch(&app, &path, Some(&s.agent.token), body).await.0, 200);
    let body = json!({"status": "online"});
    assert_eq!(
        patch(&app, "/api/v1/me", Some(&s.agent.token), body)
            .await
            .0,
        200
    );
    assert_eq!(widget_config(&app, s.inbox).await.1["agents_online"], true);

    // And offline again once that socket is gone.
    agent.close().await;
    let mut online = true;
    for _ in 0..100 {
        online = widget_config(&app, s.inbox).await.1["agents_online"] == true;
        if !online {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !online,
        "agents_online goes back to false after the socket closed"
    );
    foreign_agent.frames_before_pong().await;
    visitor.frames_before_pong().await;

    // Unknown (or malformed) inboxes.
    assert_error(&widget_config(&app, Uuid::new_v4()).await, 404, "not_found");
    assert_error(
        &get(&app, "/api/v1/widget/config/not-a-uuid", None).await,
        404,
        "not_found",
    );
}
on_both_backends!(
    widget_config_is_public_with_defaults_and_agent_presence_on_sqlite,
    widget_config_is_public_with_defaults_and_agent_presence_on_postgres,
    widget_config_is_public_with_defaults_and_agent_presence
);

// ---------------------------------------------------------------------------------------------
// Inbox settings
// ---------------------------------------------------------------------------------------------

async fn admins_change_the_inbox_and_the_widget_config_follows(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let admin = &s.agent.token;
    let prechat = json!([
        {"key": "email", "label": "Your e-mail", "kind": "email", "required": true},
        {"key": "order.id", "label": "Order number", "kind": "text"}
    ]);

    let (status, inbox) = patch_inbox(
        &app,
        admin,
        s.inbox,
        json!({
            "name": "Shop",
            "color": "#FF8800",
            "position": "left",
            "greeting": "  Hello! How can we help?  ",
            "away_message": "We are away; leave a message.",
            "prechat_fields": prechat,
            "identity_secret": SECRET,
            "allowed_origins": ["http://shop.example", "https://www.shop.example/"],
        }),
    )
    .await;
    assert_eq!(status, 200, "{inbox}");
    assert_eq!(inbox["id"], s.inbox.to_string());
    assert_eq!(inbox["name"], "Shop");
    assert_eq!(
        inbox["allowed_origins"],
        json!(["http://shop.example", "https://www.shop.example"])
    );
    assert_eq!(inbox["settings"]["color"], "#ff8800");
    assert_eq!(inbox["settings"]["position"], "left");
    assert_eq!(inbox["settings"]["greeting"], "Hello! How can we help?");
    assert_eq!(
        inbox["settings"]["away_message"],
        "We are away; leave a message."
    );
    assert_eq!(inbox["settings"]["prechat_fields"][0]["key"], "email");
    assert_eq!(inbox["settings"]["prechat_fields"][1]["required"], false);
    assert_eq!(inbox["identity_verification"], true);
    assert!(
        !inbox.to_string().contains(SECRET),
        "the secret is never sent back: {inbox}"
    );

    // The widget sees the new look; the secret stays out of it.
    let (status, config) = widget_config(&app, s.inbox).await;
    assert_eq!(status, 200);
    assert_eq!(config["name"], "Shop");
    assert_eq!(config["color"], "#ff8800");
    assert_eq!(config["position"], "left");
    assert_eq!(config["greeting"], "Hello! How can we help?");
    assert_eq!(config["away_message"], "We are away; leave a message.");
    assert_eq!(
        config["prechat_fields"],
        inbox["settings"]["prechat_fields"]
    );
    assert_eq!(config["identity_verification"], true);
    assert!(!config.to_string().contains(SECRET));
    let (status, listed) = get(&app, "/api/v1/inboxes", Some(admin)).await;
    assert_eq!(status, 200);
    assert_eq!(listed[0], inbox);
    assert!(!listed.to_string().contains(SECRET));

    // Validation: nothing changes when a field is refused.
    let invalid = [
        json!({"color": "blue"}),
        json!({"color": "#12345"}),
        json!({"color": "#12345g"}),
        json!({"color": "1f6feb0"}),
        json!({"identity_secret": "too-short"}),
        json!({"identity_secret": "x".repeat(31)}),
        json!({"greeting": "g".repeat(1001)}),
        json!({"away_message": "a".repeat(1001)}),
        json!({"prechat_fields": (0..11)
            .map(|i| json!({"key": format!("k{i}"), "label": "L", "kind": "text"}))
            .collect::<Vec<_>>()}),
        json!({"prechat_fields": [{"key": "", "label": "Empty key", "kind": "text"}]}),
        json!({"prechat_fields": [{"key": "k", "label": "  ", "kind": "text"}]}),
        json!({"allowed_origins": ["shop.example"]}),
        json!({"name": ""}),
        // A valid change sent along with an invalid one is not applied either.
        json!({"color": "#000000", "identity_secret": "short"}),
    ];
    for body in invalid {
        let got = patch_inbox(&app, admin, s.inbox, body.clone()).await;
        assert_error(&got, 400, "validation_failed");
    }
    for body in [
        json!({"colour": "#000000"}),
        json!({"position": "top"}),
        json!({"prechat_fields": [{"key": "k", "label": "L", "kind": "phone"}]}),
        json!({"prechat_fields": [{"key": "k", "label": "L", "kind": "text", "x": 1}]}),
    ] {
        let got = patch_inbox(&app, admin, s.inbox, body).await;
        assert_error(&got, 400, "invalid_request");
    }
    assert_eq!(widget_config(&app, s.inbox).await.1, config, "unchanged");

    // Empty strings clear the greeting and turn identity verification off.
    let (status, cleared) = patch_inbox(
        &app,
        admin,
        s.inbox,
        json!({"greeting": "", "identity_secret": ""}),
    )
    .await;
    assert_eq!(status, 200, "{cleared}");
    assert_eq!(cleared["settings"]["greeting"], Value::Null);
    assert_eq!(cleared["identity_verification"], false);
    assert_eq!(cleared["settings"]["color"], "#ff8800", "other fields stay");
    let config = widget_config(&app, s.inbox).await.1;
    assert_eq!(config["greeting"], Value::Null);
    assert_eq!(config["identity_verification"], false);
    assert_eq!(config["away_message"], "We are away; leave a message.");

    // Only admins of the inbox's workspace.
    let workspace = s.agent.agent.workspace_id;
    for role in [Role::Agent, Role::Supervisor] {
        let member = app.new_agent(workspace, role).await;
        let got = patch_inbox(&app, &member.token, s.inbox, json!({"color": "#000000"})).await;
        assert_error(&got, 403, "forbidden");
    }
    let got = patch_inbox(&app, &s.visitor.token, s.inbox, json!({"color": "#000000"})).await;
    assert_error(&got, 403, "forbidden");
    let got = patch(
        &app,
        &format!("/api/v1/inboxes/{}", s.inbox),
        None,
        json!({"color": "#000000"}),
    )
    .await;
    assert_error(&got, 401, "unauthorized");
    let stranger = app.new_workspace_admin().await;
    let got = patch_inbox(&app, &stranger.token, s.inbox, json!({"color": "#000000"})).await;
    assert_error(&got, 404, "not_found");
    let got = patch_inbox(&app, admin, Uuid::new_v4(), json!({"color": "#000000"})).await;
    assert_error(&got, 404, "not_found");
    assert_eq!(widget_config(&app, s.inbox).await.1["color"], "#ff8800");
}
on_both_backends!(
    admins_change_the_inbox_and_the_widget_config_follows_on_sqlite,
    admins_change_the_inbox_and_the_widget_config_follows_on_postgres,
    admins_change_the_inbox_and_the_widget_config_follows
);

// ---------------------------------------------------------------------------------------------
// Widget sessions
// ---------------------------------------------------------------------------------------------

async fn widget_sessions_check_the_host_origin_and_continue(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let session = |body: Value| {
        let app = &app;
        async move { post(app, "/api/v1/widget/sessions", None, body).await }
    };

    let (status, first) =
        session(json!({"inbox_id": s.inbox, "host_origin": "http://shop.example"})).await;
    assert_eq!(status, 201, "{first}");
    let token = first["visitor_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ldv_"));
    assert_eq!(first["inbox_id"], s.inbox.to_string());
    for host in ["http://shop.example/", "HTTP://Shop.Example"] {
        let (status, body) = session(json!({"inbox_id": s.inbox, "host_origin": host})).await;
        assert_eq!(status, 201, "{host}: {body}");
    }

    // Embedded anywhere else: refused.
    for host in [
        "https://shop.example",
        "http://evil.example",
        "http://shop.example.evil.example",
        "null",
    ] {
        let got = session(json!({"inbox_id": s.inbox, "host_origin": host})).await;
        assert_error(&got, 403, "origin_not_allowed");
    }
    let got = session(json!({
        "inbox_id": s.inbox, "host_origin": "http://evil.example", "visitor_token": token
    }))
    .await;
    assert_error(&got, 403, "origin_not_allowed");

    // Sending the token back continues the same visitor.
    let (status, again) = session(json!({
        "inbox_id": s.inbox, "visitor_token": token, "host_origin": "http://shop.example"
    }))
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["contact_id"], first["contact_id"]);
    assert_eq!(again["visitor_token"], first["visitor_token"]);
    assert_eq!(again["expires_at"], first["expires_at"]);
    let (status, again) =
        session(json!({"inbox_id": s.inbox, "visitor_token": s.visitor.token})).await;
    assert_eq!(status, 200);
    assert_eq!(again["contact_id"], s.visitor.contact_id.to_string());

    // A token of another inbox, an agent token or garbage start a new visitor.
    let other_inbox = app.create_inbox(&s.agent, &[]).await;
    for other in [
        s.visitor.token.as_str(),
        s.agent.token.as_str(),
        "ldv_garbage",
    ] {
        let (status, fresh) =
            session(json!({"inbox_id": other_inbox, "visitor_token": other})).await;
        assert_eq!(status, 201, "{fresh}");
        assert_ne!(fresh["contact_id"], s.visitor.contact_id.to_string());
        assert_ne!(fresh["visitor_token"], other);
        assert_eq!(fresh["inbox_id"], other_inbox.to_string());
    }

    assert_error(
        &session(json!({"inbox_id": Uuid::new_v4()})).await,
        404,
        "not_found",
    );
}
on_both_backends!(
    widget_sessions_check_the_host_origin_and_continue_on_sqlite,
    widget_sessions_check_the_host_origin_and_continue_on_postgres,
    widget_sessions_check_the_host_origin_and_continue
);

// ---------------------------------------------------------------------------------------------
// Contact updates by the visitor
// ---------------------------------------------------------------------------------------------

async fn visitors_update_their_own_contact(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let workspace = s.agent.agent.workspace_id;
    let token = &s.visitor.token;

    let (status, contact) = patch_contact(
        &app,
        token,
        json!({
            "name": "Ada",
            "email": " ADA@Example.com ",
            "attributes": {"plan": "pro", "seats": 3, "trial": true, "order.id": "A-1"}
        }),
    )
    .await;
    assert_eq!(status, 200, "{contact}");
    assert_eq!(contact["id"], s.visitor.contact_id.to_string());
    assert_eq!(contact["name"], "Ada");
    assert_eq!(contact["email"], "ada@example.com");
    assert_eq!(contact["verified"], false);
    assert_eq!(
        contact["attributes"],
        json!({"plan": "pro", "seats": 3, "trial": true, "order.id": "A-1"})
    );

    // Attributes merge; null removes a key; absent fields stay.
    let (status, contact) = patch_contact(
        &app,
        token,
        json!({"attributes": {"plan": null, "seats": 5, "vip": false}}),
    )
    .await;
    assert_eq!(status, 200, "{contact}");
    let expected = json!({"seats": 5, "trial": true, "order.id": "A-1", "vip": false});
    assert_eq!(contact["attributes"], expected);
    assert_eq!(contact["name"], "Ada");
    assert_eq!(contact["email"], "ada@example.com");
    let stored = stored_contact(&app, workspace, s.visitor.contact_id).await;
    assert_eq!(stored["attributes"], expected);
    assert_eq!(stored["name"], "Ada");

    // Refused, and nothing changes.
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    for body in [
        json!({"attributes": {"bad key!": 1}}),
        json!({"attributes": {"": 1}}),
        json!({"attributes": {"k".repeat(65): 1}}),
        json!({"attributes": {"nested": {"a": 1}}}),
        json!({"attributes": {"list": [1, 2]}}),
        json!({"attributes": {"long": "x".repeat(1001)}}),
        json!({"attributes": many}),
        json!({"email": "not-an-email"}),
        json!({"name": ""}),
        json!({"name": "Ada", "attributes": {"bad key!": 1}}),
    ] {
        let got = patch_contact(&app, token, body.clone()).await;
        assert_error(&got, 400, "validation_failed");
    }
    let got = patch_contact(&app, token, json!({"phone": "123"})).await;
    assert_error(&got, 400, "invalid_request");
    assert_eq!(
        stored_contact(&app, workspace, s.visitor.contact_id).await,
        stored,
        "refused changes change nothing"
    );

    // Visitors only; and each visitor changes only their own contact.
    let got = patch_contact(&app, &s.agent.token, json!({"name": "Agent"})).await;
    assert_error(&got, 403, "forbidden");
    let got = patch(
        &app,
        "/api/v1/widget/contact",
        None,
        json!({"name": "Nobody"}),
    )
    .await;
    assert_error(&got, 401, "unauthorized");
    let other = app.new_visitor(s.inbox).await;
    let (status, theirs) = patch_contact(&app, &other.token, json!({"name": "Bob"})).await;
    assert_eq!(status, 200);
    assert_eq!(theirs["id"], other.contact_id.to_string());
    assert_eq!(
        stored_contact(&app, workspace, s.visitor.contact_id).await["name"],
        "Ada"
    );
}
on_both_backends!(
    visitors_update_their_own_contact_on_sqlite,
    visitors_update_their_own_contact_on_postgres,
    visitors_update_their_own_contact
);

// ---------------------------------------------------------------------------------------------
// Verified identify
// ---------------------------------------------------------------------------------------------

async fn identify_verifies_visitors_with_a_signed_token(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let workspace = s.agent.agent.workspace_id;
    let claims = |sub: &str| json!({"sub": sub, "name": "Ada Lovelace", "email": "Ada@Example.com", "exp": now_secs() + 600});

    // Not set up: refused.
    let got = identify(&app, &s.visitor.token, &jwt(SECRET, claims("user-42"))).await;
    assert_error(&got, 403, "forbidden");
    let (status, _) = patch_inbox(
        &app,
        &s.agent.token,
        s.inbox,
        json!({"identity_secret": SECRET}),
    )
    .await;
    assert_eq!(status, 200);

    // Refused tokens change nothing.
    let refused = [
        jwt(SECRET, json!({"sub": "user-42", "exp": now_secs() - 3600})),
        jwt("another-secret-another-secret-another!", claims("user-42")),
        jwt(SECRET, json!({"sub": "user-42", "name": "Ada"})),
        jwt(SECRET, json!({"name": "Ada", "exp": now_secs() + 600})),
        jwt_with(Algorithm::HS512, SECRET, claims("user-42")),
        "not.a.jwt".to_owned(),
        String::new(),
    ];
    for token in &refused {
        let got = identify(&app, &s.visitor.token, token).await;
        assert_error(&got, 401, "unauthorized");
    }
    // A token whose signature was made for other claims.
    let good = jwt(SECRET, claims("user-42"));
    let forged = {
        let parts: Vec<&str> = good.split('.').collect();
        let other = jwt(SECRET, claims("user-1"));
        format!("{}.{}", other.rsplit_once('.').unwrap().0, parts[2])
    };
    assert_error(
        &identify(&app, &s.visitor.token, &forged).await,
        401,
        "unauthorized",
    );
    let stored = stored_contact(&app, workspace, s.visitor.contact_id).await;
    assert_eq!(stored["verified"], false);
    assert_eq!(stored["external_id"], Value::Null);
    // Claims that fail validation.
    let bad_email = jwt(
        SECRET,
        json!({"sub": "user-42", "email": "nope", "exp": now_secs() + 600}),
    );
    assert_error(
        &identify(&app, &s.visitor.token, &bad_email).await,
        400,
        "validation_failed",
    );
    // Agents do not identify.
    assert_error(
        &identify(&app, &s.agent.token, &good).await,
        403,
        "forbidden",
    );

    // A valid token verifies this visitor's contact and keeps their token.
    let (status, body) = identify(&app, &s.visitor.token, &good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact_id"], s.visitor.contact_id.to_string());
    assert_eq!(body["visitor_token"], s.visitor.token);
    assert_eq!(body["verified"], true);
    let stored = stored_contact(&app, workspace, s.visitor.contact_id).await;
    assert_eq!(stored["external_id"], "user-42");
    assert_eq!(stored["name"], "Ada Lovelace");
    assert_eq!(stored["email"], "ada@example.com");
    assert_eq!(stored["verified"], true);
    // Identifying again as the same person is harmless.
    let (status, body) = identify(&app, &s.visitor.token, &good).await;
    assert_eq!(status, 200);
    assert_eq!(body["contact_id"], s.visitor.contact_id.to_string());

    // A verified visitor may not rename themselves, but may set attributes.
    for body in [
        json!({"name": "Mallory"}),
        json!({"email": "m@evil.example"}),
    ] {
        assert_error(
            &patch_contact(&app, &s.visitor.token, body).await,
            403,
            "forbidden",
        );
    }
    let (status, contact) = patch_contact(
        &app,
        &s.visitor.token,
        json!({"attributes": {"plan": "pro"}}),
    )
    .await;
    assert_eq!(status, 200, "{contact}");
    assert_eq!(contact["name"], "Ada Lovelace");
    assert_eq!(contact["verified"], true);
    assert_eq!(contact["attributes"], json!({"plan": "pro"}));

    // The same person on another device: switched to their existing contact with a new token,
    // and sees their conversations from there.
    let (status, _) = app
        .send(
            &s.visitor.token,
            s.conversation,
            "first-device",
            "Hello from my laptop",
        )
        .await;
    assert_eq!(status, 201);
    let second = app.new_visitor(s.inbox).await;
    let (status, body) = identify(&app, &second.token, &jwt(SECRET, claims("user-42"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact_id"], s.visitor.contact_id.to_string());
    assert_eq!(body["verified"], true);
    let switched = body["visitor_token"].as_str().unwrap().to_owned();
    assert_ne!(switched, second.token);
    assert_ne!(switched, s.visitor.token);
    let (status, list) = get(&app, "/api/v1/conversations", Some(&switched)).await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [s.conversation.to_string()]);
    let (status, page) = app.messages(&switched, s.conversation, 0).await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"][0]["body"], "Hello from my laptop");
    // The new token opens a socket as that contact.
    let mut ws = WsClient::open(&app, &switched).await;
    assert_eq!(
        ws.received[0]["principal"]["contact_id"],
        s.visitor.contact_id.to_string()
    );
    ws.send_message(s.conversation, "second-device", "and from my phone")
        .await;
    assert_eq!(ws.expect("ack").await["seq"], 2);
    // Their old token still names the anonymous contact, which sees nothing of it.
    let (status, list) = get(&app, "/api/v1/conversations", Some(&second.token)).await;
    assert_eq!(status, 200);
    assert_eq!(list["conversations"], json!([]));
    let (status, _) = app.messages(&second.token, s.conversation, 0).await;
    assert_eq!(status, 404);
}
on_both_backends!(
    identify_verifies_visitors_with_a_signed_token_on_sqlite,
    identify_verifies_visitors_with_a_signed_token_on_postgres,
    identify_verifies_visitors_with_a_signed_token
);

/// On a shared computer the next person signs in while the widget still holds the previous
/// person's token: identifying as someone else must not hand them the previous person's
/// contact (and history).
async fn identifying_as_another_person_does_not_take_over_the_contact(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let workspace = s.agent.agent.workspace_id;
    let (status, _) = patch_inbox(
        &app,
        &s.agent.token,
        s.inbox,
        json!({"identity_secret": SECRET}),
    )
    .await;
    assert_eq!(status, 200);
    let exp = now_secs() + 600;
    let (status, _) = identify(
        &app,
        &s.visitor.token,
        &jwt(SECRET, json!({"sub": "alice", "exp": exp})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send(
            &s.visitor.token,
            s.conversation,
            "alice-1",
            "Alice's private question",
        )
        .await;
    assert_eq!(status, 201);

    let (status, bob) = identify(
        &app,
        &s.visitor.token,
        &jwt(SECRET, json!({"sub": "bob", "name": "Bob", "exp": exp})),
    )
    .await;
    assert_eq!(status, 200, "{bob}");
    assert_ne!(
        bob["contact_id"],
        s.visitor.contact_id.to_string(),
        "bob is not alice's contact"
    );
    let alice = app
        .state
        .store
        .contact_by_external_id(workspace, "alice")
        .await
        .unwrap();
    assert_eq!(
        alice.map(|c| c.id),
        Some(s.visitor.contact_id),
        "alice keeps her contact"
    );
    let bobs_token = bob["visitor_token"].as_str().unwrap();
    let (_, list) = get(&app, "/api/v1/conversations", Some(bobs_token)).await;
    assert!(
        !list.to_string().contains(&s.conversation.to_string()),
        "bob must not see alice's conversations: {list}"
    );
}

on_both_backends!(
    identifying_as_another_person_does_not_take_over_the_contact_on_sqlite,
    identifying_as_another_person_does_not_take_over_the_contact_on_postgres,
    identifying_as_another_person_does_not_take_over_the_contact
);

/// External ids are unique per workspace, so a person known from one inbox and identified in
/// another inbox of the workspace is switched to their contact of the first inbox. Returns the
/// second inbox and the token identify gave there.
async fn identified_in_a_second_inbox(app: &TestApp) -> (Uuid, String) {
    let s = app.scene().await;
    let app_inbox = app.create_inbox(&s.agent, &["http://app.example"]).await;
    for inbox in [s.inbox, app_inbox] {
        let (status, _) = patch_inbox(
            app,
            &s.agent.token,
            inbox,
            json!({"identity_secret": SECRET}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let token = jwt(SECRET, json!({"sub": "user-7", "exp": now_secs() + 600}));
    let (status, _) = identify(app, &s.visitor.token, &token).await;
    assert_eq!(status, 200);

    let visitor = app.new_visitor(app_inbox).await;
    let (status, body) = identify(app, &visitor.token, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact_id"], s.visitor.contact_id.to_string());
    (
        app_inbox,
        body["visitor_token"].as_str().unwrap().to_owned(),
    )
}

async fn identify_in_a_second_inbox_gives_a_token_for_that_inbox(app: TestApp, _db: Database) {
    let (app_inbox, new_token) = identified_in_a_second_inbox(&app).await;
    // The widget of the second inbox continues with the token it was given...
    let (status, session) = post(
        &app,
        "/api/v1/widget/sessions",
        None,
        json!({"inbox_id": app_inbox, "visitor_token": new_token}),
    )
    .await;
    assert_eq!(
        status, 200,
        "the identify token continues in its own inbox: {session}"
    );
    assert_eq!(session["visitor_token"], new_token.as_str());
    // ...and opens its socket with it.
    let mut ws = crate::helpers::ws_connect(&format!("{}?inbox={app_inbox}", app.ws_url()), None)
        .await
        .unwrap();
    ws.send_json(json!({"type": "hello", "id": "h", "token": new_token}))
        .await;
    let first = ws.next().await;
    assert_eq!(first["type"], "welcome", "{first}");
}
on_both_backends!(
    identify_in_a_second_inbox_gives_a_token_for_that_inbox_on_sqlite,
    identify_in_a_second_inbox_gives_a_token_for_that_inbox_on_postgres,
    identify_in_a_second_inbox_gives_a_token_for_that_inbox
);

async fn a_visitor_identified_in_a_second_inbox_can_start_a_conversation(
    app: TestApp,
    _db: Database,
) {
    let (app_inbox, new_token) = identified_in_a_second_inbox(&app).await;
    let (status, conversation) =
        post(&app, "/api/v1/conversations", Some(&new_token), json!({})).await;
    assert_eq!(
        status, 201,
        "a conversation in the second inbox: {conversation}"
    );
    assert_eq!(conversation["inbox_id"], app_inbox.to_string());
}

on_both_backends!(
    a_visitor_identified_in_a_second_inbox_can_start_a_conversation_on_sqlite,
    a_visitor_identified_in_a_second_inbox_can_start_a_conversation_on_postgres,
    a_visitor_identified_in_a_second_inbox_can_start_a_conversation
);

// ---------------------------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------------------------

async fn attachments_are_uploaded_sent_and_downloaded_by_participants_only(
    app: TestApp,
    _db: Database,
) {
    let s = app.scene().await;
    let mut agent_ws = WsClient::open(&app, &s.agent.token).await;
    let mut visitor_ws = WsClient::open(&app, &s.visitor.token).await;
    let image = png(0);

    // Upload as the visitor.
    let (status, att) = upload(
        &app,
        &s.visitor.token,
        s.conversation,
        "pixel.png",
        "image/png",
        image.clone(),
    )
    .await;
    assert_eq!(status, 201, "{att}");
    assert_eq!(att["name"], "pixel.png");
    assert_eq!(att["content_type"], "image/png");
    assert_eq!(att["size"], image.len());
    let id = att["id"].as_str().unwrap().to_owned();
    Uuid::parse_str(&id).unwrap();
    assert_eq!(att.as_object().unwrap().len(), 4, "{att}");

    // Sent over the socket with an empty body.
    visitor_ws
        .send_json(json!({
            "type": "message.send", "id": "f-att", "conversation_id": s.conversation,
            "client_msg_id": "with-file", "body": "", "attachment_id": id
        }))
        .await;
    let ack = visitor_ws.expect("ack").await;
    assert_eq!(ack["id"], "f-att");
    assert_eq!(ack["seq"], 1);
    let got = agent_ws.collect_messages(s.conversation, 1).await;
    assert_eq!(got[0]["attachment"], att);
    assert_eq!(got[0]["body"], "");
    assert_eq!(got[0]["author"]["kind"], "contact");
    let mine = visitor_ws.collect_messages(s.conversation, 1).await;
    assert_eq!(mine[0]["attachment"], att);
    for token in [&s.visitor.token, &s.agent.token] {
        let (status, page) = app.messages(token, s.conversation, 0).await;
        assert_eq!(status, 200);
        assert_eq!(page["messages"][0]["attachment"], att);
    }

    // Both participants download the same bytes, shown inline, never sniffed.
    for token in [&s.visitor.token, &s.agent.token] {
        let res = download(&app, token, &id).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "image/png");
        let disposition = header(&res, "content-disposition");
        assert!(disposition.starts_with("inline"), "{disposition}");
        assert!(disposition.contains("pixel.png"), "{disposition}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(res.bytes().await.unwrap().as_ref(), image.as_slice());
    }

    // Other types download as files; names are kept safe.
    let text = b"order #1234\nthanks!\n".to_vec();
    let (status, txt) = upload(
        &app,
        &s.visitor.token,
        s.conversation,
        "notes \"v2\".txt",
        "text/plain; charset=utf-8",
        text.clone(),
    )
    .await;
    assert_eq!(status, 201, "{txt}");
    assert_eq!(txt["content_type"], "text/plain");
    let res = download(&app, &s.agent.token, txt["id"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    let disposition = header(&res, "content-disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(
        disposition, "attachment; filename*=UTF-8''notes%20%22v2%22.txt",
        "the name is percent-encoded"
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(res.bytes().await.unwrap().as_ref(), text.as_slice());

    // Refused uploads.
    let zip = b"PK\x03\x04rest-of-zip".to_vec();
    assert_error(
        &upload(
            &app,
            &s.visitor.token,
            s.conversation,
            "a.zip",
            "application/zip",
            zip,
        )
        .await,
        415,
        "unsupported_media_type",
    );
    assert_error(
        &upload(
            &app,
            &s.visitor.token,
            s.conversation,
            "x.svg",
            "image/svg+xml",
            b"<svg/>".to_vec(),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    assert_error(
        &upload(
            &app,
            &s.visitor.token,
            s.conversation,
            "fake.png",
            "image/png",
            b"<html>not a png</html>".to_vec(),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    assert_error(
        &upload(
            &app,
            &s.visitor.token,
            s.conversation,
            "fake.jpg",
            "image/jpeg",
            image.clone(),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    assert_error(
        &upload(
            &app,
            &s.visitor.token,
            s.conversation,
            "empty.txt",
            "text/plain",
            Vec::new(),
        )
        .await,
        400,
        "validation_failed",
    );
    let res = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/conversations/{}/attachments",
            s.conversation
        )))
        .bearer_auth(&s.visitor.token)
        .header("content-type", "image/png")
        .body(image.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the name is required");

    // A bigger image than a JSON request may be (the attachment limit applies).
    let big = png_of_size(1024 * 1024);
    let (status, big_att) = upload(
        &app,
        &s.agent.token,
        s.conversation,
        "big.png",
        "image/png",
        big.clone(),
    )
    .await;
    assert_eq!(status, 201, "{big_att}");
    assert_eq!(big_att["size"], 1024 * 1024);
    let big_id = big_att["id"].as_str().unwrap().to_owned();
    let res = download(&app, &s.agent.token, &big_id).await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().as_ref() == big.as_slice());
    // The visitor gets an agent's file only once it was sent to them, not in a private note.
    assert_eq!(
        download(&app, &s.visitor.token, &big_id).await.status(),
        404
    );
    let (status, ack) = post(
        &app,
        &format!("/api/v1/conversations/{}/messages", s.conversation),
        Some(&s.agent.token),
        json!({"client_msg_id": "a-note", "body": "internal copy", "kind": "note", "attachment_id": big_id}),
    )
    .await;
    assert_eq!(status, 201, "{ack}");
    assert_eq!(
        download(&app, &s.visitor.token, &big_id).await.status(),
        404
    );
    let (status, ack) = send_with_attachment(
        &app,
        &s.agent.token,
        s.conversation,
        "a-big",
        &big_att["id"],
    )
    .await;
    assert_eq!(status, 201, "{ack}");
    let res = download(&app, &s.visitor.token, &big_id).await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().as_ref() == big.as_slice());

    // Attachments go with their uploader: neither side can send the other's.
    let (status, agents) = upload(
        &app,
        &s.agent.token,
        s.conversation,
        "reply.png",
        "image/png",
        image.clone(),
    )
    .await;
    assert_eq!(status, 201);
    let got = send_with_attachment(
        &app,
        &s.visitor.token,
        s.conversation,
        "v-theirs",
        &agents["id"],
    )
    .await;
    assert_error(&got, 404, "not_found");
    let got =
        send_with_attachment(&app, &s.agent.token, s.conversation, "a-theirs", &att["id"]).await;
    assert_error(&got, 404, "not_found");
    agent_ws
        .send_json(json!({
            "type": "message.send", "id": "f-theirs", "conversation_id": s.conversation,
            "client_msg_id": "a-theirs-ws", "body": "", "attachment_id": att["id"]
        }))
        .await;
    let err = agent_ws.expect("error").await;
    assert_eq!(
        (err["id"].as_str(), err["code"].as_str()),
        (Some("f-theirs"), Some("not_found"))
    );
    let (status, ack) =
        send_with_attachment(&app, &s.agent.token, s.conversation, "a-own", &agents["id"]).await;
    assert_eq!(status, 201, "{ack}");
    // The visitor hears seq 1 (theirs), 3 and 4; never the note (seq 2).
    let got = visitor_ws.collect_messages(s.conversation, 3).await;
    let seqs: Vec<i64> = got.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 3, 4]);
    assert_eq!(got[1]["attachment"], big_att);
    assert_eq!(got[2]["attachment"], agents);
    assert_eq!(got[2]["author"]["kind"], "agent");
    // An unknown attachment id.
    let got = send_with_attachment(
        &app,
        &s.visitor.token,
        s.conversation,
        "v-none",
        &json!(Uuid::new_v4()),
    )
    .await;
    assert_error(&got, 404, "not_found");

    // Another visitor of the same inbox: no download, no upload into this conversation, and
    // the id cannot be attached to their own message.
    let other = app.new_visitor(s.inbox).await;
    let other_conversation = app.new_conversation(&other).await;
    let res = download(&app, &other.token, &id).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_found");
    assert_error(
        &upload(
            &app,
            &other.token,
            s.conversation,
            "x.png",
            "image/png",
            image.clone(),
        )
        .await,
        404,
        "not_found",
    );
    let got =
        send_with_attachment(&app, &other.token, other_conversation, "steal", &att["id"]).await;
    assert_error(&got, 404, "not_found");
    let (_, page) = app.messages(&other.token, other_conversation, 0).await;
    assert_eq!(page["messages"], json!([]));

    // An agent of another workspace.
    let stranger = app.new_workspace_admin().await;
    let res = download(&app, &stranger.token, &id).await;
    assert_eq!(res.status(), 404);
    assert_error(
        &upload(
            &app,
            &stranger.token,
            s.conversation,
            "x.png",
            "image/png",
            image.clone(),
        )
        .await,
        404,
        "not_found",
    );

    // Unknown ids and no credentials.
    assert_eq!(
        download(&app, &s.agent.token, &Uuid::new_v4().to_string())
            .await
            .status(),
        404
    );
    let res = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
on_both_backends!(
    attachments_are_uploaded_sent_and_downloaded_by_participants_only_on_sqlite,
    attachments_are_uploaded_sent_and_downloaded_by_participants_only_on_postgres,
    attachments_are_uploaded_sent_and_downloaded_by_participants_only
);

async fn attachments_over_the_configured_size_are_refused(backend: Backend) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let mut config = db.config();
    config.limits.max_attachment_bytes = 1024;
    let app = spawn_with(config).await;
    let s = app.scene().await;
    assert_eq!(
        widget_config(&app, s.inbox).await.1["max_attachment_bytes"],
        1024
    );

    for size in [1025, 2048, 300 * 1024] {
        let got = upload(
            &app,
            &s.visitor.token,
            s.conversation,
            "big.png",
            "image/png",
            png_of_size(size),
        )
        .await;
        assert_error(&got, 413, "payload_too_large");
        assert!(got.1.get("id").is_none());
    }
    // Nothing was stored: the conversation has no message to attach it to, and the exact
    // limit is still accepted.
    let (status, att) = upload(
        &app,
        &s.visitor.token,
        s.conversation,
        "ok.png",
        "image/png",
        png_of_size(1024),
    )
    .await;
    assert_eq!(status, 201, "{att}");
    assert_eq!(att["size"], 1024);
    let (status, page) = app.messages(&s.agent.token, s.conversation, 0).await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_over_the_configured_size_are_refused_on_sqlite() {
    attachments_over_the_configured_size_are_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_over_the_configured_size_are_refused_on_postgres() {
    attachments_over_the_configured_size_are_refused(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// Receipts
// ---------------------------------------------------------------------------------------------

fn is_receipt(v: &Value, side: &str, status: &str, seq: i64) -> bool {
    v["type"] == "receipt" && v["side"] == side && v["status"] == status && v["seq"] == seq
}

async fn receipts_reach_both_sides_and_only_move_forward(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let mut agent_ws = WsClient::open(&app, &s.agent.token).await;
    let mut visitor_ws = WsClient::open(&app, &s.visitor.token).await;
    for i in 1..=3 {
        let (status, _) = app
            .send(
                &s.visitor.token,
                s.conversation,
                &format!("v-{i}"),
                &format!("message {i}"),
            )
            .await;
        assert_eq!(status, 201);
    }
    visitor_ws.collect_messages(s.conversation, 3).await;
    agent_ws.collect_messages(s.conversation, 3).await;

    // The agent has read up to 2: the visitor hears delivered and read from the agent side.
    let receipt = |seq: i64, status: &str| {
        json!({"type": "receipt", "id": format!("r-{status}-{seq}"),
               "conversation_id": s.conversation, "seq": seq, "status": status})
    };
    agent_ws.send_json(receipt(2, "read")).await;
    let conv = s.conversation.to_string();
    let delivered = expect_where(&mut visitor_ws, "delivered 2", |v| {
        is_receipt(v, "agent", "delivered", 2)
    })
    .await;
    assert_eq!(delivered["conversation_id"], conv);
    let read = expect_where(&mut visitor_ws, "read 2", |v| {
        is_receipt(v, "agent", "read", 2)
    })
    .await;
    assert_eq!(read["conversation_id"], conv);
    expect_where(&mut agent_ws, "own read 2", |v| {
        is_receipt(v, "agent", "read", 2)
    })
    .await;
    let (status, seen) = get(
        &app,
        &format!("/api/v1/conversations/{conv}"),
        Some(&s.visitor.token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            seen["agent_delivered"].as_i64(),
            seen["agent_read"].as_i64()
        ),
        (Some(2), Some(2))
    );

    // Beyond last_seq, backwards, or the same again: nothing moves, nobody hears anything.
    for (seq, status) in [
        (4, "read"),
        (99, "delivered"),
        (1, "read"),
        (2, "read"),
        (2, "delivered"),
        (0, "delivered"),
    ] {
        agent_ws.send_json(receipt(seq, status)).await;
    }
    // The pong shows they were all handled, with no error.
    let mut noise = agent_ws.frames_before_pong().await;
    assert!(noise.iter().all(|v| v["type"] != "error"), "{noise:?}");
    // The next receipt that moves is the first either side hears: the no-ops published none
    // (receipts are live events, so only a later one shows that).
    agent_ws.send_json(receipt(3, "delivered")).await;
    let next = expect_where(&mut visitor_ws, "the next receipt", |v| {
        v["type"] == "receipt"
    })
    .await;
    assert!(
        is_receipt(&next, "agent", "delivered", 3),
        "the no-op receipts sent nothing; got {next}"
    );
    noise.extend(
        agent_ws
            .frames_until("delivered 3", |v| is_receipt(v, "agent", "delivered", 3))
            .await,
    );
    assert!(noise.iter().all(|v| v["type"] != "receipt"), "{noise:?}");
    let (_, seen) = get(
        &app,
        &format!("/api/v1/conversations/{conv}"),
        Some(&s.visitor.token),
    )
    .await;
    assert_eq!(
        (
            seen["agent_delivered"].as_i64(),
            seen["agent_read"].as_i64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(seen["last_seq"], 3);

    // The visitor's receipts reach the agents, as the contact side.
    agent_ws
        .send_message(s.conversation, "a-1", "Thanks, looking into it")
        .await;
    assert_eq!(agent_ws.expect("ack").await["seq"], 4);
    visitor_ws.send_json(receipt(4, "read")).await;
    expect_where(&mut agent_ws, "contact read 4", |v| {
        is_receipt(v, "contact", "read", 4)
    })
    .await;
    let (_, agents_view) = get(
        &app,
        &format!("/api/v1/conversations/{conv}"),
        Some(&s.agent.token),
    )
    .await;
    assert_eq!(
        agents_view["receipts"],
        json!({"agent_delivered": 3, "agent_read": 2, "contact_delivered": 4, "contact_read": 4})
    );

    // Receipts for a conversation that is not the caller's.
    let other = app.new_visitor(s.inbox).await;
    let mut other_ws = WsClient::open(&app, &other.token).await;
    other_ws.send_json(receipt(4, "read")).await;
    let err = other_ws.expect("error").await;
    assert_eq!(err["code"], "not_found");
    assert_eq!(err["id"], "r-read-4");
}
on_both_backends!(
    receipts_reach_both_sides_and_only_move_forward_on_sqlite,
    receipts_reach_both_sides_and_only_move_forward_on_postgres,
    receipts_reach_both_sides_and_only_move_forward
);

// ---------------------------------------------------------------------------------------------
// Page views
// ---------------------------------------------------------------------------------------------

async fn page_views_reach_the_workspaces_agents(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let stranger = app.new_workspace_admin().await;
    let mut agent_ws = WsClient::open(&app, &s.agent.token).await;
    let mut stranger_ws = WsClient::open(&app, &stranger.token).await;
    let mut visitor_ws = WsClient::open(&app, &s.visitor.token).await;

    visitor_ws
        .send_json(json!({
            "type": "page.view", "id": "pv-1", "url": "https://shop.example/pricing",
            "title": "Pricing", "referrer": "https://search.example/?q=chat"
        }))
        .await;
    let frame = agent_ws.expect("contact.page_view").await;
    let page = &frame["page"];
    assert_eq!(page["contact_id"], s.visitor.contact_id.to_string());
    assert_eq!(page["url"], "https://shop.example/pricing");
    assert_eq!(page["title"], "Pricing");
    assert_eq!(page["referrer"], "https://search.example/?q=chat");
    assert!(page["viewed_at"].as_i64().unwrap() > 0);

    // Kept in the contact's history.
    let views = app
        .state
        .store
        .page_views(s.visitor.contact_id, 10)
        .await
        .unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].url, "https://shop.example/pricing");

    // Refused: agents, and URLs that are not http(s).
    agent_ws
        .send_json(json!({"type": "page.view", "id": "pv-agent", "url": "https://shop.example/"}))
        .await;
    let err = agent_ws.expect("error").await;
    assert_eq!(
        (err["id"].as_str(), err["code"].as_str()),
        (Some("pv-agent"), Some("forbidden"))
    );
    for (id, url) in [
        ("pv-js", "javascript:alert(1)".to_owned()),
        ("pv-data", "data:text/html,hi".to_owned()),
        (
            "pv-long",
            format!("https://shop.example/{}", "a".repeat(2100)),
        ),
    ] {
        visitor_ws
            .send_json(json!({"type": "page.view", "id": id, "url": url}))
            .await;
        let err = visitor_ws.expect("error").await;
        assert_eq!(
            (err["id"].as_str(), err["code"].as_str()),
            (Some(id), Some("validation_failed"))
        );
    }
    visitor_ws
        .send_json(
            json!({"type": "page.view", "id": "pv-2", "url": "https://shop.example/checkout"}),
        )
        .await;
    let frame = agent_ws.expect("contact.page_view").await;
    assert_eq!(
        frame["page"]["url"], "https://shop.example/checkout",
        "the refused views were not published"
    );
    assert_eq!(frame["page"]["title"], Value::Null);
    assert_eq!(
        app.state
            .store
            .page_views(s.visitor.contact_id, 10)
            .await
            .unwrap()
            .len(),
        2
    );

    // Neither the visitor nor another workspace hears page views. All of them were handled
    // (the agent heard the last), so each socket hears a later event after any of them: the
    // visitor, the agent stopping to type; the stranger, their own status change.
    agent_ws.frames_before_own_typing(s.conversation).await;
    let conversation = s.conversation.to_string();
    visitor_ws
        .frames_until("the agent's typing", |v| {
            v["type"] == "typing" && v["conversation_id"] == conversation.as_str()
        })
        .await;
    let heard = &visitor_ws.received;
    assert!(
        heard.iter().all(|v| v["type"] != "contact.page_view"),
        "{heard:?}"
    );
    let body = json!({"status": "away"});
    assert_eq!(
        patch(&app, "/api/v1/me", Some(&stranger.token), body)
            .await
            .0,
        200
    );
    let me = stranger.agent.id.to_string();
    let heard = stranger_ws
        .frames_until("the stranger's own status", |v| {
            v["type"] == "agent.updated"
                && v["agent"]["id"] == me.as_str()
                && v["agent"]["status"] == "away"
        })
        .await;
    assert!(
        heard.iter().all(|v| v["type"] != "contact.page_view"),
        "{heard:?}"
    );
}
on_both_backends!(
    page_views_reach_the_workspaces_agents_on_sqlite,
    page_views_reach_the_workspaces_agents_on_postgres,
    page_views_reach_the_workspaces_agents
);

// ---------------------------------------------------------------------------------------------
// Conversation updates
// ---------------------------------------------------------------------------------------------

async fn agents_update_conversations_and_both_sides_hear_it(app: TestApp, _db: Database) {
    let s = app.scene().await;
    let path = format!("/api/v1/conversations/{}", s.conversation);
    let mut agent_ws = WsClient::open(&app, &s.agent.token).await;
    let mut visitor_ws = WsClient::open(&app, &s.visitor.token).await;

    let (status, conv) = patch(
        &app,
        &path,
        Some(&s.agent.token),
        json!({"status": "resolved"}),
    )
    .await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(conv["status"], "resolved");
    assert_eq!(conv["assignee_id"], Value::Null);
    let heard = agent_ws.expect("conversation.updated").await;
    assert_eq!(heard["conversation"]["id"], s.conversation.to_string());
    assert_eq!(heard["conversation"]["status"], "resolved");
    let heard = visitor_ws.expect("conversation.updated").await;
    assert_eq!(heard["conversation"]["id"], s.conversation.to_string());
    assert_eq!(heard["conversation"]["status"], "resolved");
    assert!(
        heard["conversation"].get("assignee_id").is_none()
            && heard["conversation"].get("workspace_id").is_none(),
        "the visitor gets the visitor view: {heard}"
    );
    let (_, seen) = get(&app, &path, Some(&s.visitor.token)).await;
    assert_eq!(seen["status"], "resolved");

    // Assign and unassign.
    let me = s.agent.agent.id.to_string();
    let (status, conv) = patch(
        &app,
        &path,
        Some(&s.agent.token),
        json!({"assignee_id": me}),
    )
    .await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(conv["assignee_id"], me);
    assert_eq!(conv["status"], "resolved");
    let heard = agent_ws.expect("conversation.updated").await;
    assert_eq!(heard["conversation"]["assignee_id"], me);
    // A supervisor may take over a conversation assigned to someone else.
    let colleague = app
        .new_agent(s.agent.agent.workspace_id, Role::Supervisor)
        .await;
    let (status, conv) = patch(
        &app,
        &path,
        Some(&colleague.token),
        json!({"assignee_id": colleague.agent.id, "status": "open"}),
    )
    .await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(conv["assignee_id"], colleague.agent.id.to_string());
    assert_eq!(conv["status"], "open");
    let (status, conv) = patch(
        &app,
        &path,
        Some(&s.agent.token),
        json!({"assignee_id": null}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(conv["assignee_id"], Value::Null);
    assert_eq!(conv["status"], "open");

    // Refused: visitors, foreign assignees, foreign agents, bad statuses.
    assert_error(
        &patch(
            &app,
            &path,
            Some(&s.visitor.token),
            json!({"status": "resolved"}),
        )
        .await,
        403,
        "forbidden",
    );
    let stranger = app.new_workspace_admin().await;
    assert_error(
        &patch(
            &app,
            &path,
            Some(&s.agent.token),
            json!({"assignee_id": stranger.agent.id, "status": "pending"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &patch(
            &app,
            &path,
            Some(&stranger.token),
            json!({"status": "resolved"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &patch(
            &app,
            &format!("/api/v1/conversations/{}", Uuid::new_v4()),
            Some(&s.agent.token),
            json!({"status": "resolved"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &patch(
            &app,
            &path,
            Some(&s.agent.token),
            json!({"status": "closed"}),
        )
        .await,
        400,
        "invalid_request",
    );
    let (_, conv) = get(&app, &path, Some(&s.agent.token)).await;
    assert_eq!(conv["status"], "open", "refused changes change nothing");
    assert_eq!(conv["assignee_id"], Value::Null);
}
on_both_backends!(
    agents_update_conversations_and_both_sides_hear_it_on_sqlite,
    agents_update_conversations_and_both_sides_hear_it_on_postgres,
    agents_update_conversations_and_both_sides_hear_it
);

// ---------------------------------------------------------------------------------------------
// Embedded web assets
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_assets_are_cached_compressed_and_framed_only_by_allowed_origins() {
    let (app, _db) = spawn_app(Backend::Sqlite).await.unwrap();
    let s = app.scene().await;
    let http = reqwest::Client::new();

    let res = http.get(app.url("/widget/loader.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        header(&res, "content-type").contains("javascript"),
        "{}",
        header(&res, "content-type")
    );
    let etag = header(&res, "etag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "{etag}"
    );
    let cache = header(&res, "cache-control");
    assert!(cache.contains("max-age"), "{cache}");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let script = res.bytes().await.unwrap();
    assert!(!script.is_empty());

    // The same file under /static, with the same ETag.
    let res = http
        .get(app.url("/static/widget/loader.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "etag"), etag);
    assert_eq!(res.bytes().await.unwrap(), script);

    // Revalidation.
    let res = http
        .get(app.url("/widget/loader.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(header(&res, "etag"), etag);
    assert!(res.bytes().await.unwrap().is_empty());
    let res = http
        .get(app.url("/widget/loader.js"))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Compression.
    let res = http
        .get(app.url("/widget/loader.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-encoding"), "gzip");
    let zipped = res.bytes().await.unwrap();
    assert_eq!(&zipped[..2], &[0x1f, 0x8b], "a gzip stream");

    // Unknown files and attempts to leave web/.
    for path in [
        "/static/does-not-exist",
        "/static/widget/nope.js",
        "/static/..%2fCargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/widget/..%2f..%2f..%2fCargo.toml",
    ] {
        let res = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }

    // The widget frame: HTML whose CSP lets only the inbox's origins frame it.
    let res = http
        .get(app.url(&format!("/widget/frame?inbox={}", s.inbox)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/html"));
    let csps: Vec<String> = res
        .headers()
        .get_all("content-security-policy")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(csps.len(), 1, "{csps:?}");
    let csp = &csps[0];
    assert!(csp.contains("frame-ancestors http://shop.example"), "{csp}");
    assert!(!csp.contains("frame-ancestors *"), "{csp}");
    assert!(!csp.contains("'none'; frame-ancestors 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.to_ascii_lowercase().contains("<html"), "{html}");

    // After the inbox's origins change, so does the frame's CSP; none allowed means none.
    let (status, _) = patch_inbox(
        &app,
        &s.agent.token,
        s.inbox,
        json!({"allowed_origins": ["https://a.example", "https://b.example:8443"]}),
    )
    .await;
    assert_eq!(status, 200);
    let res = http
        .get(app.url(&format!("/widget/frame?inbox={}", s.inbox)))
        .send()
        .await
        .unwrap();
    let csp = header(&res, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors https://a.example https://b.example:8443"),
        "{csp}"
    );
    let closed = app.create_inbox(&s.agent, &[]).await;
    let res = http
        .get(app.url(&format!("/widget/frame?inbox={closed}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    // Unknown inbox.
    let res = http
        .get(app.url(&format!("/widget/frame?inbox={}", Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}
