//! The PostgreSQL backend, for clusters: every node shares one database, and the
//! conversation row lock taken by `append_message` orders concurrent sends across nodes.
//!
//! Appends run in concurrent transactions. Within this node, the appends of one
//! conversation take turns (a lane per conversation, hashed): each commits and tells the
//! commit listener before the next one of that conversation begins, so this node hands its
//! messages on in seq order by construction. That costs no parallelism the database would
//! have given: the conversation row lock serialises those transactions anyway.

use std::sync::Arc;
use std::time::Duration;

// `Appended`, `NewMessageRecord`, `StoreError`, `StoreResult` and `Uuid` come with
// `impl_store!` below.
use livedesk_core::WallClock;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::Committed;

/// Lanes the turns of conversations are spread over (see `Committed`).
const LANES: usize = 1024;

pub struct PgStore {
    pool: PgPool,
    committed: Committed,
    clock: Arc<dyn WallClock>,
}

impl PgStore {
    pub async fn connect(
        url: &str,
        max_connections: u32,
        clock: Arc<dyn WallClock>,
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
        Ok(Self {
            pool,
            committed: Committed::new(LANES),
            clock,
        })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn committed(&self) -> &Committed {
        &self.committed
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// In the conversation's turn (see `Committed::in_turn`).
    async fn append(&self, new: NewMessageRecord) -> StoreResult<Appended> {
        let (pool, clock) = (self.pool.clone(), Arc::clone(&self.clock));
        self.committed
            .in_turn(new.conversation_id, async move {
                let (appended, message) = append_in_transaction(&pool, new, clock.now_ms()).await?;
                Ok((appended, message.into_iter().collect()))
            })
            .await
    }
}

crate::queries::impl_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    "'00000000-0000-0000-0000-000000000000'::uuid"
);
crate::directory::impl_directory!(PgStore, sqlx::Postgres);
crate::agents::impl_agents!(PgStore, sqlx::Postgres);
crate::routing::impl_routing!(PgStore, sqlx::Postgres, " FOR UPDATE", " FOR UPDATE OF a");
