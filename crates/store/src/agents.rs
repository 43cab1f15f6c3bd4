//! Offboarding in the database, stamped out per backend by `impl_agents!` (used by the
//! `Store` implementation): deactivating an agent is one transaction that marks them, sets
//! them offline, ends their sessions, takes their conversations off them and writes each
//! one's `requeued` line, holding every one of those conversations' turns (so the lines reach
//! sockets in seq order with the messages around them).

/// What one try at changing an agent's activity found.
pub(crate) enum Activity<T> {
    /// No such agent in the workspace.
    Gone,
    Done(T),
    /// The agent held conversations whose turns were not taken (assigned meanwhile): try
    /// again with these.
    Retry(Vec<uuid::Uuid>),
}

/// Tries before a deactivation whose agent keeps being assigned new conversations gives up.
pub(crate) const ACTIVITY_TRIES: usize = 8;

macro_rules! impl_agents {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn agent_activity(
                &self,
                workspace_id: Uuid,
                agent_id: Uuid,
                active: bool,
            ) -> StoreResult<Option<(Agent, Vec<Conversation>)>> {
                use $crate::agents::Activity;
                // The conversations a deactivation takes; their turns are held while it runs.
                let mut ids: Vec<Uuid> = if active {
                    Vec::new()
                } else {
                    sqlx::query_scalar(
                        "SELECT id FROM conversations WHERE workspace_id = $1 AND assignee_id = $2 AND status <> 'resolved'",
                    )
                    .bind(workspace_id)
                    .bind(agent_id)
                    .fetch_all(self.reader())
                    .await
                    .map_err(classify)?
                };
                for _ in 0..$crate::agents::ACTIVITY_TRIES {
                    let pool = self.writer().clone();
                    let now = self.now();
                    let tried = self
                        .committed()
                        .in_turns(&ids, |lanes| async move {
                            let mut lines = Vec::new();
                            let mut tx = pool
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
                                return Ok((Activity::Gone, lines));
                            };
                            let agent = agent_from_row(&row).map_err(classify)?;
                            if active {
                                tx.commit().await.map_err(classify)?;
                                return Ok((Activity::Done((agent, Vec::new())), lines));
                            }
                            // The agent's row is changed (and locked): routing assigns them
                            // nothing more, so this list is final.
                            let held: Vec<Uuid> = sqlx::query_scalar(
                                "SELECT id FROM conversations WHERE workspace_id = $1 AND assignee_id = $2 AND status <> 'resolved'",
                            )
                            .bind(workspace_id)
                            .bind(agent_id)
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(classify)?;
                            if !held.iter().all(|id| lanes.hold(*id)) {
                                tx.rollback().await.map_err(classify)?;
                                return Ok((Activity::Retry(held), lines));
                            }
                            sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
                                .bind(agent_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(classify)?;
                            let mut returned = Vec::with_capacity(held.len());
                            for id in held {
                                let taken = sqlx::query(
                                    "UPDATE conversations SET assignee_id = NULL, updated_at = $3, \
                                     queued_at = CASE WHEN status = 'open' THEN COALESCE(queued_at, created_at) ELSE queued_at END \
                                     WHERE id = $1 AND workspace_id = $2 AND assignee_id = $4 AND status <> 'resolved'",
                                )
                                .bind(id)
                                .bind(workspace_id)
                                .bind(now)
                                .bind(agent_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(classify)?;
                                if taken.rows_affected() == 0 {
                                    continue;
                                }
                                let line = livedesk_protocol::model::TimelineEvent::Requeued {
                                    reason: livedesk_protocol::model::RequeueReason::AgentDeactivated,
                                };
                                Self::line_in(&mut tx, workspace_id, id, line, now, &mut lines).await?;
                                returned.extend(
                                    scoped(&mut *tx, CONVERSATION_COLS, "conversations", id, workspace_id, conversation_from_row)
                                        .await?,
                                );
                            }
                            tx.commit().await.map_err(classify)?;
                            Ok((Activity::Done((agent, returned)), lines))
                        })
                        .await?;
                    match tried {
                        Activity::Gone => return Ok(None),
                        Activity::Done(done) => return Ok(Some(done)),
                        Activity::Retry(now_held) => ids = now_held,
                    }
                }
                Err(StoreError::Conflict(
                    "the agent kept being assigned conversations; try again",
                ))
            }
        }
    };
}

pub(crate) use impl_agents;
