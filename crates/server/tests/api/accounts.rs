//! Agents and their sessions: sign-in, cookies and CSRF, sign-out, password changes, revoked
//! sockets, first-run setup and admin-only calls.

use std::time::{Duration, Instant};

use livedesk_protocol::model::Role;
use livedesk_server::Config;
use serde_json::{json, Value};

use crate::helpers::{spawn_with, AgentUser, Backend, Database, TestApp, WsClient, PASSWORD};

/// A server on a fresh database with `tweak` applied to its configuration.
async fn spawn_custom(
    backend: Backend,
    tweak: impl FnOnce(&mut Config),
) -> Option<(TestApp, Database)> {
    let db = Database::new(backend).await?;
    let mut config = db.config();
    tweak(&mut config);
    Some((spawn_with(config).await, db))
}

/// A client with no cookie jar: every credential it sends is one the test chose.
fn bare() -> reqwest::Client {
    reqwest::Client::new()
}

/// Status and JSON body (`Null` when there is none).
async fn parts(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["code"], code, "{}", got.1);
    assert!(got.1["message"].as_str().is_some_and(|m| !m.is_empty()));
}

async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    parts(
        bare()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A fresh session of `email`; panics unless the sign-in works.
async fn session(app: &TestApp, email: &str, password: &str) -> String {
    let (status, body) = login(app, email, password).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    parts(
        bare()
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn post_bearer(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    parts(
        bare()
            .post(app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn email_of(user: &AgentUser) -> String {
    user.agent.email.to_string()
}

fn cookie_header(token: &str) -> String {
    format!("livedesk_session={token}")
}

fn own_origin(app: &TestApp) -> String {
    format!("http://{}", app.addr)
}

// ---------------------------------------------------------------------------------------
// Sign-in

async fn sign_in(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    let email = email_of(&admin);

    let res = bare()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("lds_"), "{token}");
    assert_eq!(body["agent"]["email"], email.as_str());
    assert_eq!(body["agent"]["id"], admin.agent.id.to_string());
    assert!(body["expires_at"].as_i64().unwrap() > 0);
    assert!(body["agent"].get("password_hash").is_none(), "{body}");
    let attributes: Vec<String> = cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert_eq!(cookie.split(';').next().unwrap(), cookie_header(token));
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{cookie}");

    // Wrong password and unknown e-mail are indistinguishable.
    let wrong = login(&app, &email, "not the password at all").await;
    let unknown = login(&app, "nobody-here@example.com", PASSWORD).await;
    assert_error(&wrong, 401, "invalid_credentials");
    assert_eq!(wrong, unknown);
    // Not even a shape error for a malformed e-mail.
    let malformed = login(&app, "not an email", PASSWORD).await;
    assert_eq!(malformed, unknown);

    // E-mail addresses are matched regardless of case and surrounding space.
    let shouted = format!("  {}  ", email.to_uppercase());
    assert_eq!(login(&app, &shouted, PASSWORD).await.0, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_right_password_returns_a_token_and_an_httponly_cookie_and_wrong_credentials_all_look_the_same_on_sqlite(
) {
    sign_in(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_right_password_returns_a_token_and_an_httponly_cookie_and_wrong_credentials_all_look_the_same_on_postgres(
) {
    sign_in(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// Cookie authentication and CSRF

async fn cookie_and_csrf(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    let cookie = cookie_header(&admin.token);

    // The cookie alone authenticates reads.
    let (status, body) = parts(
        bare()
            .get(app.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["id"], admin.agent.id.to_string(), "{body}");
    let forged = parts(
        bare()
            .get(app.url("/api/v1/me"))
            .header("cookie", "livedesk_session=lds_forged")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&forged, 401, "unauthorized");

    let inbox = json!({"name": "Support", "allowed_origins": []});
    let cookie_post = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut req = bare()
            .post(app.url("/api/v1/inboxes"))
            .header("cookie", &cookie)
            .json(&inbox);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        req.send()
    };

    // A cookie-authenticated change needs proof it comes from our own pages.
    let none = parts(cookie_post(None, None).await.unwrap()).await;
    assert_error(&none, 403, "csrf_failed");
    let foreign = parts(
        cookie_post(Some("http://evil.example"), None)
            .await
            .unwrap(),
    )
    .await;
    assert_error(&foreign, 403, "csrf_failed");
    let cross_site = parts(cookie_post(None, Some("cross-site")).await.unwrap()).await;
    assert_error(&cross_site, 403, "csrf_failed");
    // A foreign origin is not excused by a same-origin fetch header.
    let lying = parts(
        cookie_post(Some("http://evil.example"), Some("same-origin"))
            .await
            .unwrap(),
    )
    .await;
    assert_error(&lying, 403, "csrf_failed");
    let listed = parts(
        bare()
            .get(app.url("/api/v1/inboxes"))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        listed.1.as_array().unwrap().len(),
        0,
        "refused changes stored nothing"
    );

    let own = own_origin(&app);
    let (status, body) = parts(cookie_post(Some(&own), None).await.unwrap()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = parts(cookie_post(None, Some("same-origin")).await.unwrap()).await;
    assert_eq!(status, 201, "{body}");

    // Bearer requests carry no ambient credential: no Origin needed.
    let (status, body) = post_bearer(&app, "/api/v1/inboxes", &admin.token, inbox.clone()).await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_alone_authenticates_and_cookie_changes_need_a_same_origin_request_on_sqlite(
) {
    cookie_and_csrf(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_alone_authenticates_and_cookie_changes_need_a_same_origin_request_on_postgres(
) {
    cookie_and_csrf(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_https_proxy_a_cookie_change_from_the_https_origin_is_accepted() {
    let Some((app, _db)) = spawn_custom(Backend::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
    else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    let https_origin = format!("https://{}", app.addr);
    let (status, body) = parts(
        bare()
            .post(app.url("/api/v1/inboxes"))
            .header("cookie", cookie_header(&admin.token))
            .header("x-forwarded-proto", "https")
            .header("origin", &https_origin)
            .json(&json!({"name": "Support", "allowed_origins": []}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// Sign-out

async fn sign_out(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    let email = email_of(&admin);
    let other_agent = app.new_agent(admin.agent.workspace_id, Role::Agent).await;
    let a = session(&app, &email, PASSWORD).await;
    let b = session(&app, &email, PASSWORD).await;

    // Logout ends that session only.
    let res = bare()
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let cleared = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("the cookie is cleared")
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(cleared.starts_with("livedesk_session=;"), "{cleared}");
    assert!(cleared.contains("max-age=0"), "{cleared}");
    assert_error(&me(&app, &a).await, 401, "unauthorized");
    assert_eq!(me(&app, &b).await.0, 200);
    assert_eq!(me(&app, &admin.token).await.0, 200);
    let again = parts(
        bare()
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&a)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&again, 401, "unauthorized");

    // Logout-all ends every session of the agent, and only of that agent.
    let res = bare()
        .post(app.url("/api/v1/auth/logout-all"))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_error(&me(&app, &b).await, 401, "unauthorized");
    assert_error(&me(&app, &admin.token).await, 401, "unauthorized");
    assert_eq!(me(&app, &other_agent.token).await.0, 200);
    // Signing in again works.
    let c = session(&app, &email, PASSWORD).await;
    assert_eq!(me(&app, &c).await.0, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_only_its_session_and_logout_all_ends_every_session_of_the_agent_on_sqlite() {
    sign_out(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_only_its_session_and_logout_all_ends_every_session_of_the_agent_on_postgres() {
    sign_out(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// Password change

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> (u16, Value) {
    post_bearer(
        app,
        "/api/v1/auth/password",
        token,
        json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn password_change(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    let email = email_of(&admin);
    let second = session(&app, &email, PASSWORD).await;

    let wrong = change_password(&app, &admin.token, "not my password", NEW_PASSWORD).await;
    assert_error(&wrong, 401, "invalid_credentials");
    let short = change_password(&app, &admin.token, PASSWORD, "short").await;
    assert_error(&short, 400, "validation_failed");
    // Neither attempt changed anything.
    assert_eq!(me(&app, &admin.token).await.0, 200);
    assert_eq!(me(&app, &second).await.0, 200);

    let (status, body) = change_password(&app, &admin.token, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, admin.token);
    assert_eq!(body["agent"]["id"], admin.agent.id.to_string());

    // Every old session is refused; the new one works.
    assert_error(&me(&app, &admin.token).await, 401, "unauthorized");
    assert_error(&me(&app, &second).await, 401, "unauthorized");
    let (status, body) = me(&app, &fresh).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["id"], admin.agent.id.to_string());

    // The old password no longer signs in; the new one does.
    assert_error(
        &login(&app, &email, PASSWORD).await,
        401,
        "invalid_credentials",
    );
    assert_eq!(login(&app, &email, NEW_PASSWORD).await.0, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_needs_the_current_password_and_ends_every_old_session_on_sqlite() {
    password_change(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_needs_the_current_password_and_ends_every_old_session_on_postgres() {
    password_change(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// Revoked sessions close their sockets

const HEARTBEAT_SECS: u64 = 1;

/// Runs `revoke` while reading `ws` (so it keeps answering pings) until it closes; returns
/// what `revoke` returned, the close code, and how long after `revoke` finished the close came.
async fn revoke_and_watch<T>(
    ws: &mut WsClient,
    revoke: impl std::future::Future<Output = T>,
) -> (T, u16, Duration) {
    let watch = async {
        let code = ws.expect_close().await;
        (code, Instant::now())
    };
    let revoke = async {
        let out = revoke.await;
        (out, Instant::now())
    };
    let ((code, closed_at), (out, revoked_at)) = tokio::join!(watch, revoke);
    (out, code, closed_at.saturating_duration_since(revoked_at))
}

/// Reads `ws` for `period`, failing if it closes.
async fn stays_open(ws: &mut WsClient, period: Duration) {
    let until = Instant::now() + period;
    while Instant::now() < until {
        if let Some(v) = ws.next_within(Duration::from_millis(100)).await {
            assert_ne!(
                v["type"], "__close",
                "the other session's socket was closed: {v}"
            );
        }
    }
}

async fn revoked_sockets(backend: Backend) {
    let Some((app, _db)) =
        spawn_custom(backend, |c| c.limits.heartbeat_secs = HEARTBEAT_SECS).await
    else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    let email = email_of(&admin);
    let kept = session(&app, &email, PASSWORD).await;
    let mut revoked_ws = WsClient::open(&app, &admin.token).await;
    let mut kept_ws = WsClient::open(&app, &kept).await;
    // Allowed after the revocation: one revalidation period, plus a second for a busy machine.
    let allowed = Duration::from_secs(HEARTBEAT_SECS) + Duration::from_secs(1);

    // Logout: that session's socket is closed; the other session's socket stays open.
    let logout = async {
        bare()
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap()
            .status()
    };
    let ((status, code, took), ()) = tokio::join!(
        revoke_and_watch(&mut revoked_ws, logout),
        stays_open(&mut kept_ws, Duration::from_secs(HEARTBEAT_SECS * 3)),
    );
    assert_eq!(status, 204);
    assert_eq!(code, 4003, "a revoked session's socket is closed with 4003");
    assert!(
        took <= allowed,
        "closed after {took:?}, allowed {allowed:?}"
    );
    kept_ws.send_json(json!({"type": "ping", "id": "p1"})).await;
    assert_eq!(kept_ws.expect("pong").await["id"], "p1");

    // A password change revokes it too.
    let ((status, body), code, took) = revoke_and_watch(
        &mut kept_ws,
        change_password(&app, &kept, PASSWORD, NEW_PASSWORD),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code, 4003);
    assert!(
        took <= allowed,
        "closed after {took:?}, allowed {allowed:?}"
    );

    // The revoked token cannot open a new socket: 4001.
    let mut again = crate::helpers::ws_connect(&app.ws_url(), None)
        .await
        .unwrap();
    again
        .send_json(json!({"type": "hello", "id": "h", "token": kept}))
        .await;
    let err = again.expect("error").await;
    assert_eq!(err["code"], "unauthorized");
    assert_eq!(again.expect_close().await, 4001);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_agent_socket_whose_session_is_revoked_is_closed_with_4003_within_a_heartbeat_on_sqlite(
) {
    revoked_sockets(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_agent_socket_whose_session_is_revoked_is_closed_with_4003_within_a_heartbeat_on_postgres(
) {
    revoked_sockets(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// First-run setup

fn setup_body(token: &str, email: &str) -> Value {
    json!({
        "token": token,
        "workspace_name": "Acme",
        "email": email,
        "name": "First Admin",
        "password": PASSWORD,
    })
}

async fn setup(app: &TestApp, token: &str, email: &str) -> (u16, Value) {
    parts(
        bare()
            .post(app.url("/api/v1/setup"))
            .json(&setup_body(token, email))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn first_run_setup(backend: Backend) {
    let Some(db) = Database::new(backend).await else {
        return;
    };
    let app = spawn_with(db.config()).await;
    let token = app
        .state
        .setup_token
        .lock()
        .unwrap()
        .clone()
        .expect("a fresh server has a setup token");
    assert!(token.len() >= 20, "{token}");

    assert_error(
        &setup(&app, "not-the-token", "first@example.com").await,
        403,
        "setup_unavailable",
    );
    assert_error(
        &setup(&app, "", "first@example.com").await,
        403,
        "setup_unavailable",
    );
    // Nobody was created by the refused attempts.
    assert_error(
        &login(&app, "first@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    );

    let (status, body) = setup(&app, &token, "first@example.com").await;
    assert_eq!(status, 200, "{body}");
    let session = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body["agent"]["role"], "admin");
    let (status, who) = me(&app, &session).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["agent"]["email"], "first@example.com");
    // The admin can administer.
    let (status, body) = post_bearer(
        &app,
        "/api/v1/inboxes",
        &session,
        json!({"name": "Website", "allowed_origins": []}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(login(&app, "first@example.com", PASSWORD).await.0, 200);

    // Once is enough: the token is spent.
    assert!(app.state.setup_token.lock().unwrap().is_none());
    assert_error(
        &setup(&app, &token, "second@example.com").await,
        403,
        "setup_unavailable",
    );
    assert_error(
        &login(&app, "second@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    );
    app.stop().await;

    // A restart on a database with an agent offers no setup at all.
    let app = spawn_with(db.config()).await;
    assert!(app.state.setup_token.lock().unwrap().is_none());
    assert_error(
        &setup(&app, &token, "third@example.com").await,
        403,
        "setup_unavailable",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_needs_the_printed_token_creates_a_working_admin_and_happens_once_on_sqlite(
) {
    first_run_setup(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_needs_the_printed_token_creates_a_working_admin_and_happens_once_on_postgres(
) {
    first_run_setup(Backend::Postgres).await;
}

async fn concurrent_setup(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let token = app.state.setup_token.lock().unwrap().clone().unwrap();
    let attempts = (0..4).map(|i| {
        let app = &app;
        let token = token.clone();
        async move { setup(app, &token, &format!("racer{i}@example.com")).await }
    });
    let results = futures_util::future::join_all(attempts).await;
    let won: Vec<&(u16, Value)> = results.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(won.len(), 1, "exactly one setup may win: {results:?}");
    for r in results.iter().filter(|r| r.0 != 200) {
        assert_error(r, 403, "setup_unavailable");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_setups_with_the_right_token_create_exactly_one_admin_on_sqlite() {
    concurrent_setup(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_setups_with_the_right_token_create_exactly_one_admin_on_postgres() {
    concurrent_setup(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// Admin-only calls

async fn admin_only(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let admin = app.new_workspace_admin().await;

    let new_agent = json!({
        "email": "Carol@Example.com", "name": "Carol", "role": "agent", "password": PASSWORD
    });
    let (status, carol) =
        post_bearer(&app, "/api/v1/agents", &admin.token, new_agent.clone()).await;
    assert_eq!(status, 201, "{carol}");
    assert_eq!(carol["email"], "carol@example.com");
    assert_eq!(carol["role"], "agent");
    assert_eq!(carol["workspace_id"], admin.agent.workspace_id.to_string());
    assert!(carol.get("password_hash").is_none(), "{carol}");

    // The new agent signs in, in the admin's workspace.
    let carol_token = session(&app, "carol@example.com", PASSWORD).await;
    let (_, who) = me(&app, &carol_token).await;
    assert_eq!(who["agent"]["id"], carol["id"]);

    // An agent may not administer.
    let inbox = json!({"name": "Sneaky", "allowed_origins": []});
    let refused = post_bearer(&app, "/api/v1/inboxes", &carol_token, inbox).await;
    assert_error(&refused, 403, "forbidden");
    let mallory = json!({
        "email": "mallory@example.com", "name": "Mallory", "role": "admin", "password": PASSWORD
    });
    let refused = post_bearer(&app, "/api/v1/agents", &carol_token, mallory).await;
    assert_error(&refused, 403, "forbidden");
    assert_error(
        &login(&app, "mallory@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    );
    // Neither may a visitor.
    let inbox_id = app.create_inbox(&admin, &[]).await;
    let visitor = app.new_visitor(inbox_id).await;
    let refused = post_bearer(
        &app,
        "/api/v1/agents",
        &visitor.token,
        json!({"email": "v@example.com", "name": "V", "role": "admin", "password": PASSWORD}),
    )
    .await;
    assert_error(&refused, 403, "forbidden");

    // The same e-mail twice, in any case, is a conflict.
    let duplicate = post_bearer(&app, "/api/v1/agents", &admin.token, new_agent).await;
    assert_error(&duplicate, 409, "conflict");
    let shouted = json!({
        "email": "CAROL@EXAMPLE.COM", "name": "Carol 2", "role": "agent", "password": PASSWORD
    });
    let duplicate = post_bearer(&app, "/api/v1/agents", &admin.token, shouted).await;
    assert_error(&duplicate, 409, "conflict");
    // The first Carol is untouched.
    assert_eq!(me(&app, &carol_token).await.0, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_create_inboxes_and_agents_and_a_created_agent_can_sign_in_on_sqlite() {
    admin_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_create_inboxes_and_agents_and_a_created_agent_can_sign_in_on_postgres() {
    admin_only(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_is_refused_once_an_agent_exists_even_with_the_printed_token() {
    let Some((app, _db)) = spawn_custom(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let token = app.state.setup_token.lock().unwrap().clone().unwrap();
    // An admin appears another way (e.g. `livedesk admin create`) while the server runs.
    let admin = app.new_workspace_admin().await;
    assert_error(
        &setup(&app, &token, "late@example.com").await,
        403,
        "setup_unavailable",
    );
    assert_error(
        &login(&app, "late@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    );
    assert_eq!(me(&app, &admin.token).await.0, 200);
    app.stop().await;
}

/// Opens `/ws/v1` with a session cookie and an optional `Origin`; the handshake status on
/// refusal, otherwise the first frame after a token-less `hello`.
async fn cookie_socket(app: &TestApp, token: &str, origin: Option<&str>) -> Result<Value, u16> {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    use tokio_tungstenite::tungstenite::{Error, Message};

    let mut req = app.ws_url().into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", cookie_header(token).parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    let mut ws = match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => ws,
        Err(Error::Http(res)) => return Err(res.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    };
    ws.send(Message::text(
        json!({"type": "hello", "id": "h"}).to_string(),
    ))
    .await
    .unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("a frame")
            .unwrap();
        if let Message::Text(t) = msg {
            return Ok(serde_json::from_str(&t).unwrap());
        }
    }
}

async fn cookie_sockets(backend: Backend) {
    let Some((app, _db)) = spawn_custom(backend, |_| {}).await else {
        return;
    };
    let admin = app.new_workspace_admin().await;
    // Another site's page cannot ride the agent's cookie into a socket.
    assert_eq!(
        cookie_socket(&app, &admin.token, Some("http://evil.example")).await,
        Err(403)
    );
    // The console's own page can, without putting the token anywhere.
    let welcome = cookie_socket(&app, &admin.token, Some(&own_origin(&app)))
        .await
        .unwrap();
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(
        welcome["principal"]["agent"]["id"],
        admin.agent.id.to_string(),
        "{welcome}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_authenticated_socket_opens_only_from_the_servers_own_origin_on_sqlite() {
    cookie_sockets(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_authenticated_socket_opens_only_from_the_servers_own_origin_on_postgres() {
    cookie_sockets(Backend::Postgres).await;
}
