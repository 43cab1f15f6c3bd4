//! The embedded backend: a SQLite file in WAL mode with one writer connection (SQLite takes
//! one writer at a time anyway; queuing in the pool is cheaper than retrying on `SQLITE_BUSY`)
//! and a pool of read-only connections. Message appends go through [`group_commit`]: one
//! writer task commits whatever appends are queued in one transaction.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous as Sync,
};

use crate::SqliteSynchronous;

mod group_commit;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    appends: group_commit::GroupCommit,
}

impl SqliteStore {
    pub async fn open(
        path: &Path,
        synchronous: SqliteSynchronous,
        readers: u32,
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
            // Checkpoint every 10 000 WAL pages (about 40 MiB) rather than SQLite's 1 000: the
            // pages appends dirty (each conversation's last leaf, its indexes) are the same
            // from one commit to the next, so a longer interval copies each of them back to
            // the database file once instead of many times. Durability does not change: a
            // commit is durable when its WAL frames are synced, whenever the checkpoint runs.
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
            .connect_with(base.read_only(true))
            .await
            .map_err(crate::classify)?;
        let appends = group_commit::GroupCommit::start(writer.clone());
        Ok(Self {
            writer,
            reader,
            appends,
        })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
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
crate::routing::impl_routing!(SqliteStore, sqlx::Sqlite, "", "");
