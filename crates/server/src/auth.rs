//! Who is calling: agent sessions (cookie or bearer token), visitor tokens, passwords, and the
//! client's address as far as it can be trusted.
//!
//! Tokens are 256 random bits, prefixed by kind (`lds_` agent session, `ldv_` visitor); only
//! their SHA-256 is stored, so a database leak does not leak sessions.

use std::net::{IpAddr, SocketAddr};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use base64::Engine as _;
use livedesk_core::now_ms;
use livedesk_core::store::VisitorSession;
use livedesk_protocol::model::{Agent, Principal, Role};
use livedesk_protocol::ErrorCode;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

pub const SESSION_COOKIE: &str = "livedesk_session";
const AGENT_PREFIX: &str = "lds_";
const VISITOR_PREFIX: &str = "ldv_";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    Agent { agent: Agent, token_hash: Vec<u8> },
    Visitor(VisitorSession),
}

impl Caller {
    pub fn workspace_id(&self) -> Uuid {
        match self {
            Caller::Agent { agent, .. } => agent.workspace_id,
            Caller::Visitor(v) => v.workspace_id,
        }
    }

    /// The id rate limits are keyed on.
    pub fn actor_id(&self) -> Uuid {
        match self {
            Caller::Agent { agent, .. } => agent.id,
            Caller::Visitor(v) => v.contact_id,
        }
    }

    pub fn principal(&self) -> Principal {
        match self {
            Caller::Agent { agent, .. } => Principal::Agent {
                agent: agent.clone(),
            },
            Caller::Visitor(v) => Principal::Visitor {
                contact_id: v.contact_id,
                inbox_id: v.inbox_id,
            },
        }
    }

    pub fn require_admin(&self, what: &str) -> ApiResult<&Agent> {
        match self {
            Caller::Agent { agent, .. } if agent.role == Role::Admin => Ok(agent),
            _ => Err(ApiError::forbidden(what)),
        }
    }

    pub fn require_agent(&self) -> ApiResult<(&Agent, &[u8])> {
        match self {
            Caller::Agent { agent, token_hash } => Ok((agent, token_hash)),
            Caller::Visitor(_) => Err(ApiError::forbidden("this call for visitors")),
        }
    }
}

/// Argon2id with m=19456 KiB, t=2, p=1 (OWASP's minimum).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Argon2 takes 19 MiB and tens of milliseconds per hash: a few at a time keep a sign-in storm
/// from growing memory (the allocator keeps what it was given) or starving other work.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub async fn hash_password(password: String) -> ApiResult<String> {
    let _permit = HASHING.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(e.to_string()))
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
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
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

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> ApiResult<Self> {
        match credential(&parts.headers) {
            Some(Credential::Bearer(token)) => authenticate(state, &token).await,
            Some(Credential::Cookie(token)) => {
                check_csrf(state, parts)?;
                authenticate(state, &token).await
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
