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

/// Who a store tells of the messages it commits (see [`CommitListener`]), and the turns that
/// make it hear them in seq order: whatever commits messages of a conversation holds that
/// conversation's turn from before its transaction begins until it has told the listener, so
/// a later transaction of that conversation (with the next seqs) cannot tell first. SQLite has
/// one turn (it has one writer anyway); PostgreSQL a turn per conversation, hashed into
/// lanes (two conversations that share a lane merely take turns).
#[derive(Clone)]
pub(crate) struct Committed {
    listener: Arc<std::sync::OnceLock<Arc<dyn CommitListener>>>,
    turns: Arc<[tokio::sync::Mutex<()>]>,
}

impl Committed {
    pub(crate) fn new(turns: usize) -> Self {
        Self {
            listener: Arc::default(),
            turns: (0..turns.max(1))
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    pub(crate) fn set(&self, listener: Arc<dyn CommitListener>) {
        let _ = self.listener.set(listener);
    }

    pub(crate) fn tell(&self, messages: &[CommittedMessage]) {
        if messages.is_empty() {
            return;
        }
        if let Some(listener) = self.listener.get() {
            listener.committed(messages);
        }
    }

    /// The lane whose turn a conversation takes (UUIDv7's low bits are random).
    pub(crate) fn lane(&self, conversation_id: uuid::Uuid) -> usize {
        (conversation_id.as_u128() % self.turns.len() as u128) as usize
    }

    /// Waits for the conversation's turn.
    pub(crate) async fn turn(
        &self,
        conversation_id: uuid::Uuid,
    ) -> tokio::sync::MutexGuard<'_, ()> {
        self.turns[self.lane(conversation_id)].lock().await
    }

    /// [`Self::in_turn`] for a transaction that commits messages of several conversations: it
    /// holds every one's turn, taken in lane order (one-lane holders never wait for a second,
    /// so this cannot deadlock with them or with another taker in lane order). `work` learns
    /// which lanes it holds, to check that the conversations it writes are among them.
    pub(crate) async fn in_turns<T, W, F>(
        &self,
        conversation_ids: &[uuid::Uuid],
        work: F,
    ) -> livedesk_core::store::StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Lanes) -> W,
        W: std::future::Future<
                Output = livedesk_core::store::StoreResult<(T, Vec<CommittedMessage>)>,
            > + Send
            + 'static,
    {
        let mut lanes: Vec<usize> = conversation_ids.iter().map(|id| self.lane(*id)).collect();
        lanes.sort_unstable();
        lanes.dedup();
        let work = work(Lanes {
            held: lanes.clone(),
            of: self.turns.len(),
        });
        let me = self.clone();
        let task = tokio::spawn(async move {
            let mut turns = Vec::with_capacity(lanes.len());
            for lane in lanes {
                turns.push(me.turns[lane].lock().await);
            }
            let (value, messages) = work.await?;
            me.tell(&messages);
            drop(turns);
            Ok(value)
        });
        task.await
            .map_err(|e| livedesk_core::store::StoreError::Internal(Box::new(e)))?
    }

    /// Runs `work`, a transaction that commits messages of `conversation_id` and returns them
    /// with its result, in that conversation's turn, and tells the listener before the turn
    /// passes on. It runs in a task of its own, so a caller that goes away (an HTTP client
    /// hanging up) cannot cut it between its commit and telling the listener.
    pub(crate) async fn in_turn<T, W>(
        &self,
        conversation_id: uuid::Uuid,
        work: W,
    ) -> livedesk_core::store::StoreResult<T>
    where
        T: Send + 'static,
        W: std::future::Future<
                Output = livedesk_core::store::StoreResult<(T, Vec<CommittedMessage>)>,
            > + Send
            + 'static,
    {
        let me = self.clone();
        let task = tokio::spawn(async move {
            let _turn = me.turn(conversation_id).await;
            let (value, messages) = work.await?;
            me.tell(&messages);
            Ok(value)
        });
        task.await
            .map_err(|e| livedesk_core::store::StoreError::Internal(Box::new(e)))?
    }
}

/// The turns a multi-conversation transaction holds ([`Committed::in_turns`]).
pub(crate) struct Lanes {
    held: Vec<usize>,
    of: usize,
}

impl Lanes {
    /// Whether writing `conversation_id` is within the turns held.
    pub(crate) fn hold(&self, conversation_id: uuid::Uuid) -> bool {
        let lane = (conversation_id.as_u128() % self.of as u128) as usize;
        self.held.binary_search(&lane).is_ok()
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
