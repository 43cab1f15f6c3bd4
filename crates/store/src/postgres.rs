//! The PostgreSQL backend, for clusters: every node shares one database, and the
//! conversation row lock taken by `append_message` orders concurrent sends across nodes.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(
        url: &str,
        max_connections: u32,
    ) -> Result<Self, livedesk_core::store::StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(crate::classify)?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| livedesk_core::store::StoreError::Internal(Box::new(e)))?;
        Ok(Self { pool })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    /// Concurrent transactions: the conversation row lock orders appends to one conversation,
    /// and PostgreSQL flushes the WAL of commits that wait together in one go.
    async fn append(
        &self,
        new: livedesk_core::store::NewMessageRecord,
    ) -> livedesk_core::store::StoreResult<livedesk_core::store::Appended> {
        append_in_transaction(&self.pool, new).await
    }
}

crate::queries::impl_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    "'00000000-0000-0000-0000-000000000000'::uuid"
);
crate::directory::impl_directory!(PgStore, sqlx::Postgres);
crate::routing::impl_routing!(PgStore, sqlx::Postgres, " FOR UPDATE", " FOR UPDATE OF a");
