//! The `livedesk` server: configuration, the HTTP and WebSocket adapters over the domain,
//! authentication, and the process around them.
//!
//! - [`config`]: the typed configuration and its documented example;
//! - [`App`]: built from a config and a bound listener, run until a shutdown future resolves
//!   (`main` and every test start it the same way);
//! - `http`: REST (`/api/v1`) and operational endpoints; `ws`: the `/ws/v1` socket;
//! - `chat`: the conversation services both adapters call; `events`: frames for sockets;
//! - `triage`: assigning, transferring, snoozing and labelling conversations, with their
//!   timeline events and notifications;
//! - `routing`: routing new conversations, draining the queue, re-offers, agents going offline;
//! - [`Clock`]: where those features read the time and wait, the system's or a test's
//!   [`ManualClock`];
//! - `auth`, `limits`, `metrics`, `hub`, `presence`, `net`, `tls`: what their names say;
//! - [`cli`]: the `livedesk` command line.

pub mod auth;
pub mod cli;
mod clock;
pub mod config;
mod error;
mod events;
mod http;
mod hub;
mod limits;
pub mod metrics;
mod net;
mod presence;
mod publish;
mod routing;
mod state;
mod tls;
mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use livedesk_core::store::StoreError;
use rand::RngCore as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use crate::clock::{Clock, ManualClock};
pub use crate::config::Config;
use crate::hub::{Hub, LocalFanout};
use crate::limits::KeyedLimiter;
pub use crate::state::{AppState, SharedState};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    /// Bound when `metrics_listen` is set.
    metrics_listener: Option<TcpListener>,
    state: SharedState,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl App {
    /// Opens the database (running migrations) and prepares TLS. `listener` is already bound,
    /// so tests can pass port 0 and read the port back.
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartError> {
        Self::build_with_clock(config, listener, Clock::system()).await
    }

    /// [`Self::build`] on `clock`, which the store stamps its timestamps with too.
    pub async fn build_with_clock(
        config: Config,
        listener: TcpListener,
        clock: Clock,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let store =
            livedesk_store::connect_with_clock(&config.store_config(), Arc::new(clock.clone()))
                .await?;
        let shutdown = CancellationToken::new();
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls::server_config(
                cert.clone(),
                key.clone(),
                Duration::from_secs(config.tls_reload_secs.max(1)),
                shutdown.clone(),
            )?),
            _ => None,
        };
        let setup_token = if store.count_agents().await? == 0 {
            let mut bytes = [0u8; 18];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
        } else {
            None
        };
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot listen on {addr} (metrics_listen): {e}"),
                )
            })?),
            None => None,
        };
        let hub = Arc::new(Hub::default());
        let fanout: Arc<dyn livedesk_core::fanout::Fanout> =
            Arc::new(LocalFanout(Arc::clone(&hub)));
        store.on_commit(Arc::new(events::MessagePublisher(Arc::clone(&fanout))));
        let limits = &config.limits;
        let app = livedesk_app::App {
            store: Arc::clone(&store),
            clock: Arc::new(clock.clone()),
            limits: livedesk_app::Limits {
                max_message_chars: config.limits.max_message_chars,
            },
        };
        let state = Arc::new(AppState {
            app,
            login_limiter: KeyedLimiter::new(limits.login, clock.clone()),
            widget_limiter: KeyedLimiter::new(limits.widget_sessions, clock.clone()),
            account_limiter: KeyedLimiter::new(limits.login_account, clock.clone()),
            message_limiter: KeyedLimiter::new(limits.messages, clock.clone()),
            conversation_limiter: KeyedLimiter::new(limits.conversations, clock.clone()),
            clock,
            fanout,
            hub,
            presence: Default::default(),
            drain_lock: Default::default(),
            store,
            shutdown,
            tasks: TaskTracker::new(),
            setup_token: Mutex::new(setup_token),
            tls: tls.is_some(),
            config,
        });
        Ok(Self {
            listener,
            metrics_listener,
            state,
            tls,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served when `metrics_listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> SharedState {
        Arc::clone(&self.state)
    }

    /// Serves until `shutdown` resolves; then tells every socket to reconnect elsewhere
    /// (close code 1012) and drains requests for the configured grace period.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let state = self.state;
        let addr = self.listener.local_addr()?;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        tracing::info!(
            backend = state.store.backend(),
            "Livedesk serving on {scheme}://{addr}"
        );
        if let Ok(guard) = state.setup_token.lock() {
            if let Some(token) = guard.as_ref() {
                tracing::warn!(
                    "No admin exists yet. Create one with `livedesk admin create --email you@example.com`, \
                     or POST {scheme}://{addr}/api/v1/setup with setup token {token}"
                );
            }
        }
        let stop = state.shutdown.clone();
        tokio::spawn({
            let stop = stop.clone();
            async move {
                shutdown.await;
                tracing::info!("shutting down: sockets are told to reconnect");
                stop.cancel();
            }
        });
        // The workers' tickers and the start-up offline checks are on the clock before the
        // server answers anything, so that a test's clock, moved whenever, finds them waiting.
        let snoozes = state.clock.ticker(routing::SNOOZE_CHECK_EVERY);
        tokio::spawn(routing::wake_snoozed_loop(Arc::clone(&state), snoozes));
        let reoffers = state.clock.ticker(Duration::from_secs(
            state.config.routing.reoffer_check_secs.max(1),
        ));
        tokio::spawn(routing::reoffer_loop(Arc::clone(&state), reoffers));
        routing::offline_unless_back(Arc::clone(&state)).await;
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let metrics = self.metrics_listener.map(|listener| {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("metrics on http://{addr}/metrics");
            }
            let stop = stop.clone();
            tokio::spawn(net::serve(
                listener,
                None,
                http::metrics_router(),
                stop,
                grace,
            ))
        });
        let router = http::router(Arc::clone(&state));
        net::serve(self.listener, self.tls, router, stop, grace).await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        state.tasks.close();
        if tokio::time::timeout(grace, state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets did not close within the grace period");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
