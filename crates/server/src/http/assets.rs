//! The web front ends (`web/`), embedded in the binary at compile time (read from disk in
//! debug builds, so edits show on reload), and the widget's two entry points.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::Path;
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Web;

/// A file from `web/`, with its type, an ETag and a short cache lifetime (file names are not
/// hashed, so clients revalidate every few minutes and get 304s).
fn file(path: &str, headers: &HeaderMap) -> Option<Response> {
    let file = Web::get(path)?;
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, file.metadata.mimetype().to_owned())],
            file.data.into_owned(),
        )
            .into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Some(res)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `/static/{*path}`: any file of `web/`.
pub async fn static_file(Path(path): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    file(&path, &headers).ok_or_else(ApiError::not_found)
}

/// `/widget/loader.js`: the one script site owners embed.
pub async fn loader(headers: HeaderMap) -> ApiResult<Response> {
    file("widget/loader.js", &headers).ok_or_else(ApiError::not_found)
}

/// `/app` and every path below it: the agent console, a single-page app whose router reads
/// the path. Its CSP allows only its own origin, and no one may frame it.
pub async fn console(headers: HeaderMap) -> ApiResult<Response> {
    page(
        "console/index.html",
        &headers,
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: data:; \
         connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
}

/// An HTML entry point: revalidated on every load (it names the current modules) and served
/// with its own CSP.
fn page(path: &str, headers: &HeaderMap, csp: &str) -> ApiResult<Response> {
    let mut res = file(path, headers).ok_or_else(ApiError::not_found)?;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub struct FrameQuery {
    inbox: Uuid,
}

/// `/widget/frame?inbox=ID`: the widget's page. Its CSP names the inbox's allowed origins
/// in `frame-ancestors`, so a browser refuses to show it inside any other site.
pub async fn frame(
    State(state): State<SharedState>,
    Query(q): Query<FrameQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let inbox = state
        .store
        .inbox(q.inbox)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ancestors = if inbox.allowed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        inbox.allowed_origins.join(" ")
    };
    let csp = format!(
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self' ws: wss:; \
         style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
         frame-ancestors {ancestors}"
    );
    let mut res = page("widget/frame.html", &headers, &csp)?;
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin"),
    );
    Ok(res)
}
