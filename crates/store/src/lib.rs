//! Livedesk storage: the `livedesk_core::store::Store` port for SQLite and PostgreSQL.
//!
//! - [`sqlite`]: the default, embedded backend: one writer connection, a pool of readers,
//!   WAL mode, `synchronous=FULL` unless configured otherwise.
//! - [`postgres`]: for clusters; same queries, row locks order concurrent appends.
//! - `queries`: the SQL both backends share, stamped out per backend by a macro (both
//!   accept `$N` placeholders, so one text serves both); `directory`: the same for the
//!   team's organisation (memberships, teams, triage, saved replies, labels); `routing`:
//!   assigning and queueing, with the candidates' rows locked.
//! - [`testing`]: throw-away PostgreSQL databases for tests.
//!
//! Migrations are embedded per backend and run by [`connect`] (and `livedesk migrate`).

use std::path::PathBuf;
use std::sync::Arc;

use livedesk_core::store::{CommitListener, CommittedMessage, Store, StoreError};
use livedesk_core::{SystemClock, WallClock};

mod agents;
mod codec;
mod directory;
pub mod postgres;
mod queries;
mod routing;
pub mod sqlite;
pub mod testing;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `postgres://…` for PostgreSQL, `sqlite://path` for a given SQLite file, or `None` for
    /// `livedesk.db` inside `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// SQLite only: `FULL` survives power loss at the cost of an fsync per commit; `NORMAL`
    /// survives a process crash only.
    pub sqlite_synchronous: SqliteSynchronous,
    /// Connections to PostgreSQL (readers, for SQLite).
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// Opens the configured backend and brings its schema up to date; its timestamps come from
/// the system clock.
pub async fn connect(config: &StoreConfig) -> Result<Arc<dyn Store>, StoreError> {
    connect_with_clock(config, Arc::new(SystemClock)).await
}

/// [`connect`], with the timestamps the store writes itself taken from `clock`.
pub async fn connect_with_clock(
    config: &StoreConfig,
    clock: Arc<dyn WallClock>,
) -> Result<Arc<dyn Store>, StoreError> {
    match config.database_url.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(
            Arc::new(postgres::PgStore::connect(url, config.max_connections, clock).await?),
        ),
        Some(url) => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Ok(Arc::new(
                sqlite::SqliteStore::open(
                    path.as_ref(),
                    config.sqlite_synchronous,
                    config.max_connections,
                    clock,
                )
                .await?,
            ))
        }
        None => {
            std::fs::create_dir_all(&config.data_dir)
                .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
            let path = config.data_dir.join("livedesk.db");
            Ok(Arc::new(
                sqlite::SqliteStore::open(
                    &path,
                    config.sqlite_synchronous,
                    config.max_connections,
                    clock,
                )
                .await?,
            ))
        }
    }
}

/// Who a store tells of the messages it commits (see [`CommitListener`]); shared with the
/// task that commits.
#[derive(Clone, Default)]
pub(crate) struct Committed(Arc<std::sync::OnceLock<Arc<dyn CommitListener>>>);

impl Committed {
    pub(crate) fn set(&self, listener: Arc<dyn CommitListener>) {
        let _ = self.0.set(listener);
    }

    pub(crate) fn tell(&self, messages: &[CommittedMessage]) {
        if messages.is_empty() {
            return;
        }
        if let Some(listener) = self.0.get() {
            listener.committed(messages);
        }
    }
}

/// How a transaction that will write begins. SQLite's deferred `BEGIN` takes the write lock
/// only at the first write, and if another process (say `livedesk admin create`) holds it
/// then, a transaction that has already read cannot wait and fails with `SQLITE_BUSY`;
/// `BEGIN IMMEDIATE` takes the lock first, waiting up to the busy timeout.
pub(crate) trait WriteTx {
    const BEGIN: &'static str;
}

impl WriteTx for sqlx::Sqlite {
    const BEGIN: &'static str = "BEGIN IMMEDIATE";
}

impl WriteTx for sqlx::Postgres {
    const BEGIN: &'static str = "BEGIN";
}

/// Maps a driver error onto the port's error kinds.
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict("unique"),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        e @ (sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)) => StoreError::Unavailable(Box::new(e)),
        e => StoreError::Internal(Box::new(e)),
    }
}
