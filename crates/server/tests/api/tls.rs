//! HTTPS and WSS with the server's own TLS: secure cookies, a chat over `wss://`, and
//! certificates renewed on disk without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use livedesk_core::store::NewAgentRecord;
use livedesk_core::values::{DisplayName, Email};
use livedesk_protocol::model::Role;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::helpers::{spawn_with, Backend, Database, TestApp, PASSWORD};

/// A self-signed certificate for 127.0.0.1 and localhost.
struct SelfSigned {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn self_signed() -> SelfSigned {
    let mut params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    // A subject of its own: a client trusting another test certificate must see an unknown
    // issuer, not a certificate "issued" by a same-named anchor with a bad signature.
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("livedesk test {}", Uuid::new_v4()),
    );
    let key_pair = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key_pair).unwrap();
    SelfSigned {
        cert_pem: cert.pem(),
        key_pem: key_pair.serialize_pem(),
        der: cert.der().to_vec(),
    }
}

struct TlsFiles {
    dir: tempfile::TempDir,
}

impl TlsFiles {
    fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// Replaces a file the way renewal tools do: write aside, then rename over it.
    fn replace(path: &Path, contents: &str) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    fn write(&self, pair: &SelfSigned) {
        Self::replace(&self.key(), &pair.key_pem);
        Self::replace(&self.cert(), &pair.cert_pem);
    }
}

/// A TLS server on a fresh database; `None` when the backend is not available.
async fn spawn_tls(backend: Backend, pair: &SelfSigned) -> Option<(TestApp, Database, TlsFiles)> {
    let db = Database::new(backend).await?;
    let files = TlsFiles {
        dir: tempfile::tempdir().unwrap(),
    };
    files.write(pair);
    let mut config = db.config();
    config.tls_cert = Some(files.cert());
    config.tls_key = Some(files.key());
    config.tls_reload_secs = 1;
    let app = spawn_with(config).await;
    Some((app, db, files))
}

fn https(app: &TestApp, path: &str) -> String {
    format!("https://{}{path}", app.addr)
}

/// A client trusting only the certificate in `pem`, opening a fresh connection per request.
fn client_trusting(pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn rustls_trusting(der: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(der.to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

type Wss = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `wss://…/ws/v1` trusting only `der`.
async fn wss_connect(app: &TestApp, der: &[u8]) -> Result<Wss, String> {
    let url = format!("wss://{}/ws/v1", app.addr);
    tokio_tungstenite::connect_async_tls_with_config(
        url,
        None,
        false,
        Some(Connector::Rustls(rustls_trusting(der))),
    )
    .await
    .map(|(ws, _)| ws)
    .map_err(|e| e.to_string())
}

fn peer_certificate(ws: &Wss) -> Vec<u8> {
    match ws.get_ref() {
        MaybeTlsStream::Rustls(tls) => tls.get_ref().1.peer_certificates().unwrap()[0].to_vec(),
        _ => panic!("not a TLS stream"),
    }
}

async fn send(ws: &mut Wss, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next text frame of `kind` (others are skipped).
async fn expect(ws: &mut Wss, kind: &str) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} within 10 s"))
            .unwrap_or_else(|| panic!("socket ended while waiting for {kind}"))
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == kind {
                return v;
            }
            assert_ne!(v["type"], "error", "while waiting for {kind}: {v}");
        }
    }
}

async fn hello(ws: &mut Wss, token: &str) -> Value {
    send(ws, json!({"type": "hello", "id": "h", "token": token})).await;
    expect(ws, "welcome").await
}

/// An admin straight in the store (the plain-HTTP helpers cannot reach a TLS server).
async fn store_admin(app: &TestApp) -> String {
    let ws = app
        .state
        .store
        .create_workspace(&DisplayName::parse("Acme").unwrap())
        .await
        .unwrap();
    let email = format!("{}@example.com", Uuid::new_v4().simple());
    let hash = livedesk_server::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    app.state
        .store
        .create_agent(NewAgentRecord {
            workspace_id: ws.id,
            email: Email::parse(&email).unwrap(),
            name: DisplayName::parse("Admin").unwrap(),
            role: Role::Admin,
            password_hash: hash,
        })
        .await
        .unwrap();
    email
}

fn cookie_attributes(res: &reqwest::Response) -> Vec<String> {
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    assert!(cookie.starts_with("livedesk_session=lds_"), "{cookie}");
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

async fn https_sign_in_and_chat_over_wss(backend: Backend) {
    let pair = self_signed();
    let Some((app, _db, _files)) = spawn_tls(backend, &pair).await else {
        return;
    };
    let email = store_admin(&app).await;
    let http = client_trusting(&pair.cert_pem);

    // Sign in over https: the cookie is Secure, HttpOnly and SameSite=Lax.
    let res = http
        .post(https(&app, "/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let attributes = cookie_attributes(&res);
    for wanted in ["secure", "httponly", "samesite=lax"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{wanted} missing in {attributes:?}"
        );
    }
    let body: Value = res.json().await.unwrap();
    let admin = body["token"].as_str().unwrap().to_owned();

    // The rest of the scene over https.
    let res = http
        .post(https(&app, "/api/v1/inboxes"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Website", "allowed_origins": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let inbox: Value = res.json().await.unwrap();
    let res = http
        .post(https(&app, "/api/v1/widget/sessions"))
        .json(&json!({"inbox_id": inbox["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let visitor: Value = res.json().await.unwrap();
    let visitor = visitor["visitor_token"].as_str().unwrap().to_owned();
    let res = http
        .post(https(&app, "/api/v1/conversations"))
        .bearer_auth(&visitor)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let conversation: Value = res.json().await.unwrap();
    let conversation = conversation["id"].as_str().unwrap().to_owned();

    // A chat over wss.
    let mut agent_ws = wss_connect(&app, &pair.der).await.unwrap();
    assert_eq!(peer_certificate(&agent_ws), pair.der);
    hello(&mut agent_ws, &admin).await;
    let mut visitor_ws = wss_connect(&app, &pair.der).await.unwrap();
    hello(&mut visitor_ws, &visitor).await;
    send(
        &mut visitor_ws,
        json!({"type": "message.send", "id": "s1", "conversation_id": conversation,
               "client_msg_id": "tls-1", "body": "hello over wss"}),
    )
    .await;
    let ack = expect(&mut visitor_ws, "ack").await;
    assert_eq!(ack["id"], "s1");
    assert_eq!(ack["duplicate"], false);
    let created = expect(&mut agent_ws, "message.created").await;
    assert_eq!(created["message"]["body"], "hello over wss");
    assert_eq!(created["message"]["seq"], ack["seq"]);
    assert_eq!(created["message"]["id"], ack["message_id"]);
    // And the other way.
    send(
        &mut agent_ws,
        json!({"type": "message.send", "id": "s2", "conversation_id": conversation,
               "client_msg_id": "tls-2", "body": "answer over wss"}),
    )
    .await;
    let ack = expect(&mut agent_ws, "ack").await;
    let created = expect(&mut visitor_ws, "message.created").await;
    let created = if created["message"]["seq"] == ack["seq"] {
        created
    } else {
        expect(&mut visitor_ws, "message.created").await
    };
    assert_eq!(created["message"]["body"], "answer over wss");
    assert_eq!(created["message"]["seq"], ack["seq"]);

    // Plain HTTP on the TLS port is not served.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", app.addr))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain HTTP must not be served on the TLS port"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_sign_in_sets_a_secure_httponly_lax_cookie_and_a_chat_works_over_wss_on_sqlite()
{
    https_sign_in_and_chat_over_wss(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_sign_in_sets_a_secure_httponly_lax_cookie_and_a_chat_works_over_wss_on_postgres(
) {
    https_sign_in_and_chat_over_wss(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_every_response_carries_strict_transport_security_and_plain_http_none() {
    let pair = self_signed();
    let (app, _db, _files) = spawn_tls(Backend::Sqlite, &pair).await.unwrap();
    let client = client_trusting(&pair.cert_pem);
    let email = store_admin(&app).await;
    let login = client
        .post(https(&app, "/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}));
    let requests = [
        client.get(https(&app, "/healthz")),
        client.get(https(&app, "/app")),
        client.get(https(&app, "/widget/loader.js")),
        client.get(https(&app, "/api/v1/me")),
        client.get(https(&app, "/api/v1/no-such-thing")),
        client.get(https(&app, "/no-such-page")),
        login,
    ];
    for req in requests {
        let res = req.send().await.unwrap();
        let url = res.url().clone();
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{url} ({})",
            res.status()
        );
    }
    app.stop().await;

    // Plain HTTP: none, even from a trusted proxy saying the client used HTTPS (the proxy
    // that terminates TLS sets it).
    let db = Database::new(Backend::Sqlite).await.unwrap();
    let mut config = db.config();
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let app = spawn_with(config).await;
    for path in ["/healthz", "/app", "/api/v1/me", "/no-such-page"] {
        let res = reqwest::Client::new()
            .get(app.url(path))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        assert!(
            res.headers().get("strict-transport-security").is_none(),
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tls_the_session_cookie_is_httponly_and_lax_but_not_secure() {
    let Some(db) = Database::new(Backend::Sqlite).await else {
        return;
    };
    let app = spawn_with(db.config()).await;
    let email = store_admin(&app).await;
    let res = app.login(&email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let attributes = cookie_attributes(&res);
    assert!(attributes.iter().any(|a| a == "httponly"), "{attributes:?}");
    assert!(
        attributes.iter().any(|a| a == "samesite=lax"),
        "{attributes:?}"
    );
    assert!(!attributes.iter().any(|a| a == "secure"), "{attributes:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_that_says_https_the_cookie_is_secure_and_an_untrusted_claim_is_ignored(
) {
    let Some(db) = Database::new(Backend::Sqlite).await else {
        return;
    };
    let mut config = db.config();
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let trusted = spawn_with(config).await;
    let email = store_admin(&trusted).await;
    let res = trusted
        .http
        .post(trusted.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(cookie_attributes(&res).iter().any(|a| a == "secure"));
    trusted.stop().await;

    let Some(db) = Database::new(Backend::Sqlite).await else {
        return;
    };
    let untrusted = spawn_with(db.config()).await;
    let email = store_admin(&untrusted).await;
    let res = untrusted
        .http
        .post(untrusted.url("/api/v1/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!cookie_attributes(&res).iter().any(|a| a == "secure"));
    untrusted.stop().await;
}

/// The certificate an https request was answered with, or the error.
async fn served_certificate(app: &TestApp, trusted_pem: &str) -> Result<Vec<u8>, String> {
    let res = client_trusting(trusted_pem)
        .get(https(app, "/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(res.status(), 200);
    let info = res
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("TLS info");
    Ok(info
        .peer_certificate()
        .expect("a peer certificate")
        .to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_on_disk_is_served_to_new_connections_without_a_restart() {
    let first = self_signed();
    let Some((app, _db, files)) = spawn_tls(Backend::Sqlite, &first).await else {
        return;
    };
    let second = self_signed();
    assert_eq!(
        served_certificate(&app, &first.cert_pem).await,
        Ok(first.der.clone())
    );
    assert!(
        served_certificate(&app, &second.cert_pem).await.is_err(),
        "the second certificate is not served yet"
    );
    // A socket opened before the renewal.
    let mut old_ws = wss_connect(&app, &first.der).await.unwrap();

    files.write(&second);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match served_certificate(&app, &second.cert_pem).await {
            Ok(der) => {
                assert_eq!(der, second.der);
                break;
            }
            Err(e) => assert!(
                Instant::now() < deadline,
                "the renewed certificate was not served within 10 s: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // New WSS connections see it too; clients trusting only the old one are refused.
    let new_ws = wss_connect(&app, &second.der).await.unwrap();
    assert_eq!(peer_certificate(&new_ws), second.der);
    assert!(served_certificate(&app, &first.cert_pem).await.is_err());
    // The socket opened before the renewal still works.
    send(&mut old_ws, json!({"type": "ping", "id": "p"})).await;
    let v = expect(&mut old_ws, "error").await;
    assert_eq!(v["code"], "hello_required");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_whose_key_is_not_written_yet_is_not_served_the_old_pair_stays() {
    let first = self_signed();
    let Some((app, _db, files)) = spawn_tls(Backend::Sqlite, &first).await else {
        return;
    };
    let second = self_signed();
    // A renewal tool wrote the new certificate; its key is not there yet.
    TlsFiles::replace(&files.cert(), &second.cert_pem);
    // Give the watcher (every second) time to notice: a client trusting only the new
    // certificate sees "unknown issuer" while the old pair is served; anything else means
    // the new certificate is being served.
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(4) {
        match served_certificate(&app, &second.cert_pem).await {
            Err(e) if e.contains("UnknownIssuer") => {}
            other => panic!("the new certificate is served without its key: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Handshakes must keep working with a matching pair: the old one.
    assert_eq!(
        served_certificate(&app, &first.cert_pem).await,
        Ok(first.der.clone()),
        "a mismatched certificate and key must not be served"
    );
    // Once the key arrives, the new pair is served.
    TlsFiles::replace(&files.key(), &second.key_pem);
    let deadline = Instant::now() + Duration::from_secs(10);
    while served_certificate(&app, &second.cert_pem).await != Ok(second.der.clone()) {
        assert!(Instant::now() < deadline, "the new pair was not served");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_and_key_that_do_not_match_are_refused_at_start() {
    let Some(db) = Database::new(Backend::Sqlite).await else {
        return;
    };
    let (first, second) = (self_signed(), self_signed());
    let files = TlsFiles {
        dir: tempfile::tempdir().unwrap(),
    };
    TlsFiles::replace(&files.cert(), &first.cert_pem);
    TlsFiles::replace(&files.key(), &second.key_pem);
    let mut config = db.config();
    config.tls_cert = Some(files.cert());
    config.tls_key = Some(files.key());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    match livedesk_server::App::build(config, listener).await {
        Ok(_) => panic!("a server started with a key that does not match its certificate"),
        Err(e) => assert!(e.to_string().contains("TLS"), "{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_certificate_file_is_refused_at_start_with_its_path() {
    let Some(db) = Database::new(Backend::Sqlite).await else {
        return;
    };
    let pair = self_signed();
    let files = TlsFiles {
        dir: tempfile::tempdir().unwrap(),
    };
    TlsFiles::replace(&files.key(), &pair.key_pem);
    let mut config = db.config();
    config.tls_cert = Some(files.cert());
    config.tls_key = Some(files.key());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    match livedesk_server::App::build(config, listener).await {
        Ok(_) => panic!("a server started without its certificate file"),
        Err(e) => assert!(e.to_string().contains("cert.pem"), "{e}"),
    }
}
