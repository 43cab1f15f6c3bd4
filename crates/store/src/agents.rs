//! Offboarding in the database, stamped out per backend by `impl_agents!` (used by the
//! `Store` implementation): deactivating an agent is one transaction that marks them, sets
//! them offline, ends their sessions and takes their conversations off them.

macro_rules! impl_agents {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn agent_activity(
                &self,
                workspace_id: Uuid,
                agent_id: Uuid,
                active: bool,
            ) -> StoreResult<Option<(Agent, Vec<Conversation>)>> {
                let now = self.now();
                let mut tx = self
                    .writer()
                    .begin_with(<$db as $crate::WriteTx>::BEGIN)
                    .await
                    .map_err(classify)?;
                let sql = if active {
                    format!(
                        "UPDATE agents SET deactivated_at = NULL \
                         WHERE id = $1 AND workspace_id = $2 RETURNING {AGENT_COLS}"
                    )
                } else {
                    format!(
                        "UPDATE agents SET deactivated_at = COALESCE(deactivated_at, $3), status = 'offline' \
                         WHERE id = $1 AND workspace_id = $2 RETURNING {AGENT_COLS}"
                    )
                };
                let mut query = sqlx::query(&sql).bind(agent_id).bind(workspace_id);
                if !active {
                    query = query.bind(now);
                }
                let Some(row) = query.fetch_optional(&mut *tx).await.map_err(classify)? else {
                    return Ok(None);
                };
                let agent = agent_from_row(&row).map_err(classify)?;
                let mut taken = Vec::new();
                if !active {
                    sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
                        .bind(agent_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(classify)?;
                    let rows = sqlx::query(
                        "UPDATE conversations SET assignee_id = NULL, updated_at = $3, \
                         queued_at = CASE WHEN status = 'open' THEN COALESCE(queued_at, created_at) ELSE queued_at END \
                         WHERE workspace_id = $1 AND assignee_id = $2 AND status <> 'resolved' RETURNING id",
                    )
                    .bind(workspace_id)
                    .bind(agent_id)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(classify)?;
                    for row in &rows {
                        taken.push(row.try_get::<Uuid, _>(0).map_err(classify)?);
                    }
                }
                tx.commit().await.map_err(classify)?;
                let mut returned = Vec::with_capacity(taken.len());
                for id in taken {
                    if let Some(c) = self.conversation(workspace_id, id).await? {
                        returned.push(c);
                    }
                }
                Ok(Some((agent, returned)))
            }
        }
    };
}

pub(crate) use impl_agents;
