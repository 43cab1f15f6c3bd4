//! The REST adapter (`/api/v1`) and operational endpoints. Handlers decode, call the
//! services, encode; errors are `{"code","message"}` from the shared code table.

mod accounts;
mod assets;
mod attachments;
mod contacts;
mod conversations;
mod extract;

pub use extract::Query;
mod ops;
mod team;
mod widget;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{delete, get, patch, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::SharedState;

/// `Strict-Transport-Security` on every response when Livedesk serves TLS itself: a year, the
/// common minimum for browsers' preload lists, without `includeSubDomains` (other hosts of the
/// domain are not Livedesk's to decide for).
const HSTS: &str = "max-age=31536000";

/// Everything on the main address; `/metrics` too unless it has an address of its own.
pub fn router(state: SharedState) -> Router {
    let tls = state.tls;
    let api = Router::new()
        .route("/setup", post(accounts::setup))
        .route("/auth/login", post(accounts::login))
        .route("/auth/logout", post(accounts::logout))
        .route("/auth/logout-all", post(accounts::logout_all))
        .route("/auth/password", post(accounts::change_password))
        .route("/me", get(accounts::me).patch(team::update_me))
        .route(
            "/agents",
            post(accounts::create_agent).get(team::list_agents),
        )
        .route("/agents/{id}", patch(team::update_agent))
        .route("/agents/{id}/sessions", delete(team::end_sessions))
        .route("/teams", get(team::list_teams).post(team::create_team))
        .route(
            "/teams/{id}",
            patch(team::update_team).delete(team::delete_team),
        )
        .route(
            "/canned-responses",
            get(team::list_canned).post(team::create_canned),
        )
        .route(
            "/canned-responses/{id}",
            patch(team::update_canned).delete(team::delete_canned),
        )
        .route("/labels", get(team::list_labels).post(team::create_label))
        .route("/labels/{id}", delete(team::delete_label))
        .route(
            "/contacts/{id}",
            get(contacts::show).patch(contacts::update),
        )
        .route("/visitors", get(contacts::live))
        .route(
            "/inboxes",
            post(accounts::create_inbox).get(accounts::list_inboxes),
        )
        .route("/inboxes/{id}", patch(accounts::update_inbox))
        .route("/widget/sessions", post(widget::create_session))
        .route("/widget/config/{inbox_id}", get(widget::config))
        .route("/widget/contact", patch(widget::update_contact))
        .route("/widget/identify", post(widget::identify))
        .route(
            "/conversations",
            post(conversations::create).get(conversations::list),
        )
        .route(
            "/conversations/{id}",
            get(conversations::show).patch(conversations::update),
        )
        .route(
            "/conversations/{id}/attachments",
            post(attachments::upload).layer(DefaultBodyLimit::max(
                state.config.limits.max_attachment_bytes,
            )),
        )
        .route("/attachments/{id}", get(attachments::download))
        .route(
            "/conversations/{id}/transfer",
            post(conversations::transfer),
        )
        .route(
            "/conversations/{id}/messages",
            post(conversations::send).get(conversations::messages),
        )
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                livedesk_protocol::ErrorCode::MethodNotAllowed,
                "this method is not allowed on this path",
            )
        });
    let web = Router::new()
        .route("/static/{*path}", get(assets::static_file))
        .route("/widget/loader.js", get(assets::loader))
        .route("/widget/frame", get(assets::frame))
        .route("/app", get(assets::console))
        .route("/app/{*path}", get(assets::console))
        .layer(tower_http::compression::CompressionLayer::new());
    let mut probes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz));
    if state.config.metrics_listen.is_none() {
        probes = probes.route("/metrics", get(ops::metrics));
    }
    let router = Router::new()
        .nest("/api/v1", api)
        .merge(web)
        .merge(probes)
        .route("/ws/v1", get(crate::ws::upgrade))
        .route("/", get(ops::index))
        .layer(DefaultBodyLimit::max(state.config.limits.max_request_bytes))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    if tls {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

/// `/metrics` alone, for `metrics_listen`.
pub fn metrics_router() -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
