//! Who is calling: agent sessions (cookie or bearer token), visitor tokens, passwords, and the
//! client's address as far as it can be trusted.
//!
//! Tokens are 256 random bits, prefixed by kind (`lds_` agent session, `ldv_` visitor); only
//! their SHA-256 is stored, so a database leak does not leak sessions.

use std::net::{IpAddr, SocketAddr};

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use base64::Engine as _;
use livedesk_core::now_ms;
use livedesk_protocol::ErrorCode;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

pub const SESSION_COOKIE: &str = "livedesk_session";
const AGENT_PREFIX: &str = "lds_";
const VISITOR_PREFIX: &str = "ldv_";

pub use livedesk_app::Caller;

/// The caller of an HTTP request, from its session cookie (with the CSRF check) or bearer
/// token: an extractor for [`Caller`].
#[derive(Debug, Clone)]
pub struct Authed(pub Caller);

/// Argon2id with m=19456 KiB, t=2, p=1 (OWASP's minimum).
fn params() -> Params {
    Params::new(19_456, 2, 1, None).unwrap_or_default()
}

/// Argon2 takes 19 MiB and tens of milliseconds per hash: a few at a time keep a sign-in storm
/// from growing memory or starving other work.
const AT_ONCE: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(AT_ONCE);

/// The 19 MiB each running hash works in, reused from one hash to the next. Allocated per
/// hash (as `Argon2::hash_password` does), glibc's malloc served it from the arena of the
/// blocking thread that hashed, and each such arena kept it once freed: the server held about
/// 460 MiB after 900 sign-ins. At most [`AT_ONCE`] hashes run, so at most that many buffers
/// exist.
static MEMORY: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

/// Runs `f` with `blocks` blocks of Argon2 memory: a pooled buffer for the current parameters'
/// size, a buffer of its own for a hash stored with other parameters.
fn with_memory<R>(blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let pooled = blocks == params().block_count();
    let mut memory = pooled
        .then(|| MEMORY.lock().ok().and_then(|mut pool| pool.pop()))
        .flatten()
        .unwrap_or_else(|| vec![Block::default(); blocks]);
    let out = f(&mut memory);
    if pooled {
        if let Ok(mut pool) = MEMORY.lock() {
            if pool.len() < AT_ONCE {
                pool.push(memory);
            }
        }
    }
    out
}

/// The raw Argon2 output of `password` with `salt` (as its PHC string encodes it) into `out`,
/// in pooled memory.
fn raw_hash(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: Salt<'_>,
    out: &mut [u8],
) -> Result<(), argon2::password_hash::Error> {
    let mut raw_salt = [0u8; Salt::MAX_LENGTH];
    let raw_salt = salt.decode_b64(&mut raw_salt)?;
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, raw_salt, out, memory)
    })?;
    Ok(())
}

/// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password` with a fresh salt,
/// as `argon2`'s own `PasswordHasher` writes it.
fn hash_with_pooled_memory(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let params = params();
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    raw_hash(&argon2, &params, password, salt.as_salt(), &mut out)?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out)?),
    }
    .to_string())
}

/// Whether `password` hashes to the stored PHC string, with the parameters it names.
fn verify_with_pooled_memory(
    stored: &str,
    password: &[u8],
) -> Result<bool, argon2::password_hash::Error> {
    let parsed = PasswordHash::new(stored)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let params = Params::try_from(&parsed)?;
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    raw_hash(&argon2, &params, password, salt, &mut out)?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&out)? == expected)
}

pub async fn hash_password(password: String) -> ApiResult<String> {
    let _permit = HASHING.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        hash_with_pooled_memory(password.as_bytes()).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Checks a password; with no hash (unknown user) it still spends the same time.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$C5L7XDTs1ID8TzX0JHkSyKydDSsaI2ETIm3RbNMbR0c";
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY.to_owned());
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        verify_with_pooled_memory(&hash, password.as_bytes()).unwrap_or(false)
    })
    .await
    .unwrap_or(false)
        && known
}

/// A fresh agent session token and its stored hash.
pub fn new_agent_token() -> (String, Vec<u8>) {
    new_token(AGENT_PREFIX)
}

/// A fresh visitor token and its stored hash.
pub fn new_visitor_token() -> (String, Vec<u8>) {
    new_token(VISITOR_PREFIX)
}

fn new_token(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Resolves a token of either kind to its caller.
pub async fn authenticate(state: &SharedState, token: &str) -> ApiResult<Caller> {
    if token.len() > 200 {
        return Err(ApiError::unauthorized());
    }
    let hash = token_hash(token);
    let now = now_ms();
    if token.starts_with(AGENT_PREFIX) {
        let session = state
            .store
            .session(&hash, now)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Caller::Agent {
            agent: session.agent,
            token_hash: hash,
        })
    } else if token.starts_with(VISITOR_PREFIX) {
        let session = state
            .store
            .visitor_session(&hash, now)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Caller::Visitor(session))
    } else {
        Err(ApiError::unauthorized())
    }
}

/// Where a token came from: an ambient cookie needs CSRF checks, a header does not.
pub enum Credential {
    Bearer(String),
    Cookie(String),
}

pub fn credential(headers: &HeaderMap) -> Option<Credential> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Some(Credential::Bearer(token.trim().to_owned()));
        }
    }
    cookie(headers, SESSION_COOKIE).map(Credential::Cookie)
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The server's own origin as the browser would write it (`scheme://host`): `public_url` if
/// set, and the `Host` of the request with the scheme it came by (a trusted proxy's
/// `X-Forwarded-Proto` counts).
pub fn own_origins(state: &SharedState, peer: Option<IpAddr>, headers: &HeaderMap) -> Vec<String> {
    let mut origins = Vec::with_capacity(2);
    if let Some(url) = &state.config.public_url {
        origins.push(url.trim_end_matches('/').to_ascii_lowercase());
    }
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        let scheme = if is_https(state, peer, headers) {
            "https"
        } else {
            "http"
        };
        origins.push(format!("{scheme}://{}", host.to_ascii_lowercase()));
    }
    origins
}

fn peer_of(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub fn origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
}

/// A cookie-authenticated change must come from our own pages.
fn check_csrf(state: &SharedState, parts: &Parts) -> ApiResult<()> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let same_site = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(|v| v == "same-origin");
    let ok = match origin(&parts.headers) {
        Some(o) => own_origins(state, peer_of(parts), &parts.headers).contains(&o),
        None => same_site.unwrap_or(false),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::CsrfFailed,
            "a cookie-authenticated change must come from the Livedesk console",
        ))
    }
}

impl FromRequestParts<SharedState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> ApiResult<Self> {
        match credential(&parts.headers) {
            Some(Credential::Bearer(token)) => authenticate(state, &token).await.map(Authed),
            Some(Credential::Cookie(token)) => {
                check_csrf(state, parts)?;
                authenticate(state, &token).await.map(Authed)
            }
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// The client's address: the peer, or the first untrusted hop of `X-Forwarded-For` when the
/// peer is a configured proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

pub fn client_ip(state: &SharedState, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let proxies = &state.config.trusted_proxies;
    if !proxies.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !proxies.contains(ip))
        .unwrap_or(peer)
}

impl FromRequestParts<SharedState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> ApiResult<Self> {
        let peer =
            peer_of(parts).ok_or_else(|| ApiError::internal("no peer address on the request"))?;
        Ok(ClientIp(client_ip(state, peer, &parts.headers)))
    }
}

/// Whether the client reached us over HTTPS (directly, or via a trusted proxy that says so).
pub fn is_https(state: &SharedState, peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
    state.tls
        || peer.is_some_and(|p| state.config.trusted_proxies.contains(&p))
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_distinct_prefixed_and_hashed() {
        let (a, ha) = new_agent_token();
        let (b, hb) = new_visitor_token();
        assert!(a.starts_with("lds_") && b.starts_with("ldv_"));
        assert_ne!(ha, hb);
        assert_eq!(token_hash(&a), ha);
        assert_eq!(ha.len(), 32);
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery".into()).await.ok();
        assert!(hash
            .as_deref()
            .is_some_and(|h| h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")));
        assert!(verify_password(hash.clone(), "correct horse battery".into()).await);
        assert!(!verify_password(hash, "wrong".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
    }

    #[test]
    fn hashes_are_the_argon2_crates_own_format_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let ours = hash_with_pooled_memory(b"tr0ub4dor&3").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        assert!(theirs.verify_password(b"tr0ub4dor&3", &parsed).is_ok());
        assert!(theirs.verify_password(b"tr0ub4dor&4", &parsed).is_err());

        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let made = theirs.hash_password(b"hunter2", &salt).unwrap().to_string();
        assert!(verify_with_pooled_memory(&made, b"hunter2").unwrap());
        assert!(!verify_with_pooled_memory(&made, b"hunter3").unwrap());
        // Stored with other parameters (a smaller memory cost): still checked by what it names.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        );
        let old = light.hash_password(b"hunter2", &salt).unwrap().to_string();
        assert!(verify_with_pooled_memory(&old, b"hunter2").unwrap());
        assert!(!verify_with_pooled_memory(&old, b"hunter").unwrap());
        assert!(verify_with_pooled_memory("not a hash", b"x").is_err());
    }

    #[tokio::test]
    async fn hashing_reuses_at_most_two_buffers() {
        let hashes = (0..6).map(|i| hash_password(format!("password {i}")));
        for hash in futures_util::future::join_all(hashes).await {
            assert!(hash.is_ok());
        }
        let pool = MEMORY.lock().unwrap();
        assert!((1..=AT_ONCE).contains(&pool.len()), "{}", pool.len());
        assert!(pool.iter().all(|m| m.len() == params().block_count()));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; livedesk_session=lds_x; b=2"
                .parse()
                .unwrap_or(header::HeaderValue::from_static("")),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("lds_x"));
    }
}
