//! The REST adapter (`/api/v1`) and operational endpoints. Handlers decode, call the
//! services, encode; errors are `{"code","message"}` from the shared code table.

mod accounts;
mod conversations;
mod extract;
mod ops;
mod widget;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::SharedState;

pub fn router(state: SharedState) -> Router {
    let api = Router::new()
        .route("/setup", post(accounts::setup))
        .route("/auth/login", post(accounts::login))
        .route("/auth/logout", post(accounts::logout))
        .route("/auth/logout-all", post(accounts::logout_all))
        .route("/auth/password", post(accounts::change_password))
        .route("/me", get(accounts::me))
        .route("/agents", post(accounts::create_agent))
        .route(
            "/inboxes",
            post(accounts::create_inbox).get(accounts::list_inboxes),
        )
        .route("/widget/sessions", post(widget::create_session))
        .route(
            "/conversations",
            post(conversations::create).get(conversations::list),
        )
        .route("/conversations/{id}", get(conversations::show))
        .route(
            "/conversations/{id}/messages",
            post(conversations::send).get(conversations::messages),
        )
        .fallback(|| async { ApiError::not_found() });
    Router::new()
        .nest("/api/v1", api)
        .route("/ws/v1", get(crate::ws::upgrade))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
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
        .with_state(state)
}
