//! The embedded backend: a SQLite file in WAL mode with one writer connection (SQLite takes
//! one writer at a time anyway; queuing in the pool is cheaper than retrying on `SQLITE_BUSY`)
//! and a pool of read-only connections. Message appends go through [`group_commit`]: one
//! writer task commits whatever appends are queued in one transaction. Checkpoints (copying
//! the WAL back into the database file) run mostly on a connection of their own, beside the
//! writer, so that its commits rarely have any copying to do.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use livedesk_core::WallClock;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous as Sync,
};

use crate::{Committed, SqliteSynchronous};

mod group_commit;

/// How often the checkpointer copies what the WAL holds back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    appends: group_commit::GroupCommit,
    committed: Committed,
    clock: Arc<dyn WallClock>,
    /// Dropping it stops the checkpointer.
    _checkpointer: tokio::sync::oneshot::Sender<()>,
}

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`] (PASSIVE: as far as
/// no reader still needs the old pages; the rest next time), until the store is dropped.
async fn checkpointer(pool: SqlitePool, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        let started = std::time::Instant::now();
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await
        {
            Ok((_, wal_pages, copied)) => tracing::trace!(
                wal_pages,
                copied,
                micros = started.elapsed().as_micros() as u64,
                "checkpoint"
            ),
            Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
        }
    }
    pool.close().await;
}

impl SqliteStore {
    pub async fn open(
        path: &Path,
        synchronous: SqliteSynchronous,
        readers: u32,
        clock: Arc<dyn WallClock>,
    ) -> Result<Self, livedesk_core::store::StoreError> {
        let base = SqliteConnectOptions::from_str("sqlite://")
            .map_err(crate::classify)?
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match synchronous {
                SqliteSynchronous::Full => Sync::Full,
                SqliteSynchronous::Normal => Sync::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            // SQLite's automatic checkpoint runs in the commit that crosses its threshold and
            // holds up every append queued behind it: a 10 000-page checkpoint took 0.1–0.3 s.
            // The checkpointer below copies the WAL back every 250 ms on a connection of its
            // own (PASSIVE: it never waits for or blocks the writer), so when the writer's own
            // checkpoint comes (every 10 000 pages, rarely enough that hot pages are copied
            // back once, not many times), only the last 250 ms are left to copy. That one is
            // still needed: only a checkpoint in the writer, between two of its commits, can
            // leave the WAL fully copied so the next commit starts it over from the beginning
            // (with only the checkpointer, the WAL grew without end under steady writes).
            // Durability does not change: a commit is durable when its WAL frames are synced.
            .connect_with(
                base.clone()
                    .create_if_missing(true)
                    .pragma("wal_autocheckpoint", "10000"),
            )
            .await
            .map_err(crate::classify)?;
        sqlx::migrate!("migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| livedesk_core::store::StoreError::Internal(Box::new(e)))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers.max(1))
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base.clone().read_only(true))
            .await
            .map_err(crate::classify)?;
        let checkpoints = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base.pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(crate::classify)?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(checkpointer(checkpoints, stopped));
        // One turn: SQLite has one writer.
        let committed = Committed::new(1);
        let appends =
            group_commit::GroupCommit::start(writer.clone(), committed.clone(), Arc::clone(&clock));
        Ok(Self {
            writer,
            reader,
            appends,
            committed,
            clock,
            _checkpointer: stop,
        })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn committed(&self) -> &Committed {
        &self.committed
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Queued to the group commit writer; answered after its batch committed.
    async fn append(
        &self,
        new: livedesk_core::store::NewMessageRecord,
    ) -> livedesk_core::store::StoreResult<livedesk_core::store::Appended> {
        self.appends.append(new).await
    }
}

crate::queries::impl_store!(
    SqliteStore,
    sqlx::Sqlite,
    "sqlite",
    "X'00000000000000000000000000000000'"
);
crate::directory::impl_directory!(SqliteStore, sqlx::Sqlite);
crate::agents::impl_agents!(SqliteStore, sqlx::Sqlite);
crate::routing::impl_routing!(SqliteStore, sqlx::Sqlite, "", "");
