//! Routing in the database, stamped out per backend by `impl_routing!` (used by the
//! `Directory` implementation).
//!
//! The capacity check and the assignment are one transaction that first locks the
//! conversation and then every candidate agent's row (`FOR UPDATE`, in id order, on
//! PostgreSQL; SQLite has one writer, so its transactions are serial already). Two nodes
//! routing at once into the same agents therefore take turns, and each counts the agent's open
//! conversations after the other's assignment committed: nobody is ever assigned above
//! capacity, however many nodes route.

/// Queue order: higher priority first, then the longest waiting, then by id.
pub const QUEUE_ORDER: &str = "CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 \
     WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC, queued_at ASC, id ASC";

macro_rules! impl_routing {
    ($store:ty, $db:ty, $lock:literal, $lock_agents:literal) => {
        use livedesk_core::routing::{choose, Candidate};
        use $crate::routing::QUEUE_ORDER;

        impl $store {
            async fn route_conversation(
                &self,
                workspace_id: Uuid,
                conversation_id: Uuid,
                exclude: Option<Uuid>,
                now: i64,
            ) -> StoreResult<RouteOutcome> {
                let pool = self.writer().clone();
                self.committed()
                    .in_turn(conversation_id, async move {
                        let mut tx = pool.begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                        let mut lines = Vec::new();
                        let outcome = Self::route_in(&mut tx, workspace_id, conversation_id, exclude, now, &mut lines).await?;
                        tx.commit().await.map_err(classify)?;
                        Ok((outcome, lines))
                    })
                    .await
            }

            async fn open_routed(
                &self,
                new: livedesk_core::directory::NewConversationRecord,
            ) -> StoreResult<(Conversation, Option<RouteOutcome>)> {
                let now = self.now();
                let id = Uuid::now_v7();
                let pool = self.writer().clone();
                self.committed()
                    .in_turn(id, async move {
                        let mut tx = pool.begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                        let mut lines = Vec::new();
                        let opened = Self::open_in(&mut tx, id, new, now, &mut lines).await?;
                        tx.commit().await.map_err(classify)?;
                        Ok((opened, lines))
                    })
                    .await
            }

            async fn open_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: Uuid,
                new: livedesk_core::directory::NewConversationRecord,
                now: i64,
                lines: &mut Vec<livedesk_core::store::CommittedMessage>,
            ) -> StoreResult<(Conversation, Option<RouteOutcome>)> {
                // The contact and the inbox must belong to this workspace (a contact may chat
                // in any inbox of its workspace, e.g. after a verified identify), and so must an
                // assignee, who must be active.
                let done = sqlx::query(
                    "INSERT INTO conversations (id, workspace_id, inbox_id, contact_id, status, last_seq, \
                     created_at, updated_at, assignee_id, assigned_at, team_id) \
                     SELECT $1, $2, $3, $4, 'open', 0, $5, $5, $6, CASE WHEN $6 IS NULL THEN NULL ELSE $5 END, $7 \
                     FROM contacts WHERE id = $4 AND workspace_id = $2 \
                     AND EXISTS (SELECT 1 FROM inboxes i WHERE i.id = $3 AND i.workspace_id = $2) \
                     AND ($6 IS NULL OR EXISTS (SELECT 1 FROM agents a WHERE a.id = $6 AND a.workspace_id = $2 \
                                               AND a.deactivated_at IS NULL)) \
                     AND ($7 IS NULL OR EXISTS (SELECT 1 FROM teams t WHERE t.id = $7 AND t.workspace_id = $2))",
                )
                .bind(id)
                .bind(new.workspace_id)
                .bind(new.inbox_id)
                .bind(new.contact_id)
                .bind(now)
                .bind(new.assignee_id)
                .bind(new.team_id)
                .execute(&mut **tx)
                .await
                .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let outcome = match new.assignee_id {
                    None => Some(Self::route_in(tx, new.workspace_id, id, None, now, lines).await?),
                    Some(_) => None,
                };
                let conversation = scoped(&mut **tx, CONVERSATION_COLS, "conversations", id, new.workspace_id, conversation_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok((conversation, outcome))
            }

            async fn change_routed(
                &self,
                change: livedesk_core::directory::ConversationChange,
            ) -> StoreResult<livedesk_core::directory::Changed> {
                let pool = self.writer().clone();
                self.committed()
                    .in_turn(change.conversation_id, async move {
                        let mut tx = pool.begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                        let mut lines = Vec::new();
                        let changed = Self::change_in(&mut tx, change, &mut lines).await?;
                        tx.commit().await.map_err(classify)?;
                        Ok((changed, lines))
                    })
                    .await
            }

            async fn change_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                change: livedesk_core::directory::ConversationChange,
                lines: &mut Vec<livedesk_core::store::CommittedMessage>,
            ) -> StoreResult<livedesk_core::directory::Changed> {
                use livedesk_core::directory::ChangeCause;
                use livedesk_protocol::model::{TeamRef, TimelineEvent};
                let livedesk_core::directory::ConversationChange {
                    workspace_id, conversation_id: id, changes, by, cause, if_assignee, now,
                } = change;
                // The row is locked before it is read: the lines below describe this change
                // against what it really replaced.
                let sql = format!(
                    "SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1 AND workspace_id = $2{}",
                    $lock
                );
                let before = sqlx::query(&sql)
                    .bind(id)
                    .bind(workspace_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(classify)?;
                let before = before.as_ref().map(conversation_from_row).transpose().map_err(classify)?;
                let Some(before) = before else { return Err(StoreError::NotFound) };
                if if_assignee.is_some_and(|expected| expected != before.assignee_id) {
                    return Err(StoreError::Conflict("the conversation was reassigned meanwhile; reload it"));
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE conversations SET updated_at = ");
                q.push_bind(now);
                if let Some(status) = changes.status {
                    q.push(", status = ").push_bind(codec::status_str(status));
                    let until = if status == ConversationStatus::Snoozed { changes.snoozed_until } else { None };
                    q.push(", snoozed_until = ").push_bind(until);
                }
                if let Some(assignee) = changes.assignee_id {
                    if let Some(agent) = assignee {
                        let active: Option<Uuid> = sqlx::query_scalar(
                            "SELECT id FROM agents WHERE id = $1 AND workspace_id = $2 AND deactivated_at IS NULL",
                        )
                        .bind(agent)
                        .bind(workspace_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(classify)?;
                        if active.is_none() {
                            return Err(StoreError::NotFound);
                        }
                    }
                    q.push(", assignee_id = ").push_bind(assignee);
                }
                if let Some(team) = changes.team_id {
                    if let Some(team) = team {
                        if count_in_workspace(&mut **tx, "teams", workspace_id, &[team]).await? != 1 {
                            return Err(StoreError::NotFound);
                        }
                    }
                    q.push(", team_id = ").push_bind(team);
                }
                if let Some(priority) = changes.priority {
                    q.push(", priority = ").push_bind(codec::wire_name(priority));
                }
                if let Some(labels) = &changes.labels {
                    q.push(", labels = ").push_bind(codec::json_to(labels));
                }
                q.push(" WHERE id = ").push_bind(id).push(" AND workspace_id = ").push_bind(workspace_id);
                q.build().execute(&mut **tx).await.map_err(classify)?;
                let after = scoped(&mut **tx, CONVERSATION_COLS, "conversations", id, workspace_id, conversation_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;

                // The timeline, as data, with the names of this moment.
                let assignee = match after.assignee_id {
                    Some(a) if after.assignee_id != before.assignee_id || matches!(cause, ChangeCause::Transfer { .. }) => {
                        Some(Self::agent_ref_in(tx, a).await?)
                    }
                    _ => None,
                };
                let team = match after.team_id {
                    Some(t) if after.team_id != before.team_id || matches!(cause, ChangeCause::Transfer { .. }) => {
                        let name: Option<String> = sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
                            .bind(t)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err(classify)?;
                        Some(TeamRef { id: t, name: name.unwrap_or_default() })
                    }
                    _ => None,
                };
                let (events, note) = match cause {
                    ChangeCause::Update => (livedesk_core::timeline::changes(&by, &before, &after, assignee, team), None),
                    ChangeCause::Transfer { note } => {
                        let to_team = matches!(changes.team_id, Some(Some(_)));
                        let event = TimelineEvent::Transferred {
                            by: by.clone(),
                            to: if to_team { None } else { assignee },
                            team: if to_team { team } else { None },
                        };
                        (vec![event], note)
                    }
                };
                for event in events {
                    Self::line_in(tx, workspace_id, id, event, now, lines).await?;
                }
                if let Some(note) = note {
                    let author = Author {
                        kind: livedesk_protocol::model::AuthorKind::Agent,
                        id: Some(by.id),
                        name: Some(by.name.clone()),
                    };
                    lines.push(append_note_in(&mut **tx, workspace_id, id, author, note.into_inner(), None, now).await?);
                }

                // Left open without an agent: routed now, in this transaction.
                let routed = if after.status == ConversationStatus::Open && after.assignee_id.is_none() {
                    Some(Self::route_in(tx, workspace_id, id, None, now, lines).await?)
                } else {
                    None
                };
                let after = scoped(&mut **tx, CONVERSATION_COLS, "conversations", id, workspace_id, conversation_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(livedesk_core::directory::Changed { before, after, routed })
            }

            /// The agent as the timeline names them.
            async fn agent_ref_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                agent_id: Uuid,
            ) -> StoreResult<livedesk_protocol::model::AgentRef> {
                let name: Option<String> = sqlx::query_scalar("SELECT name FROM agents WHERE id = $1")
                    .bind(agent_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(classify)?;
                Ok(livedesk_protocol::model::AgentRef { id: agent_id, name: name.unwrap_or_default() })
            }

            /// Writes a timeline line (a system note holding `event`) in the transaction.
            async fn line_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                workspace_id: Uuid,
                conversation_id: Uuid,
                event: livedesk_protocol::model::TimelineEvent,
                now: i64,
                lines: &mut Vec<livedesk_core::store::CommittedMessage>,
            ) -> StoreResult<()> {
                let system = Author { kind: livedesk_protocol::model::AuthorKind::System, id: None, name: None };
                let body = event.describe();
                lines.push(append_note_in(&mut **tx, workspace_id, conversation_id, system, body, Some(event), now).await?);
                Ok(())
            }

            /// Routing's steps inside the caller's transaction.
            async fn route_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                workspace_id: Uuid,
                conversation_id: Uuid,
                exclude: Option<Uuid>,
                now: i64,
                lines: &mut Vec<livedesk_core::store::CommittedMessage>,
            ) -> StoreResult<RouteOutcome> {
                let sql = format!(
                    "SELECT status, assignee_id, inbox_id, team_id FROM conversations WHERE id = $1 AND workspace_id = $2{}",
                    $lock
                );
                let row = sqlx::query(&sql)
                    .bind(conversation_id)
                    .bind(workspace_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(classify)?;
                let Some(row) = row else { return Ok(RouteOutcome::Skipped) };
                let status = codec::status(row.try_get::<&str, _>(0).map_err(classify)?)?;
                let assignee: Option<Uuid> = row.try_get(1).map_err(classify)?;
                let inbox_id: Uuid = row.try_get(2).map_err(classify)?;
                let team_id: Option<Uuid> = row.try_get(3).map_err(classify)?;
                if status != ConversationStatus::Open || !(assignee.is_none() || assignee == exclude) {
                    return Ok(RouteOutcome::Skipped);
                }
                let row = sqlx::query(
                    "SELECT i.routing, t.policy FROM inboxes i LEFT JOIN teams t ON t.id = $2 WHERE i.id = $1",
                )
                .bind(inbox_id)
                .bind(team_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(classify)?;
                let routing: RoutingSettings =
                    codec::json_from(row.try_get::<&str, _>(0).map_err(classify)?)?;
                let policy = match row.try_get::<Option<&str>, _>(1).map_err(classify)? {
                    Some(p) => codec::from_wire_name("policy", p)?,
                    None => routing.policy,
                };
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT a.id, a.capacity, a.last_assigned_at FROM agents a \
                     JOIN inbox_members m ON m.agent_id = a.id AND m.inbox_id = ",
                );
                q.push_bind(inbox_id);
                q.push(" WHERE a.workspace_id = ").push_bind(workspace_id);
                q.push(" AND a.status = 'online'");
                if let Some(team) = team_id {
                    q.push(" AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.agent_id = a.id AND tm.team_id = ")
                        .push_bind(team)
                        .push(")");
                }
                if let Some(ex) = exclude {
                    q.push(" AND a.id <> ").push_bind(ex);
                }
                q.push(" ORDER BY a.id").push($lock_agents);
                let rows = if policy == RoutingPolicy::Manual {
                    Vec::new()
                } else {
                    q.build().fetch_all(&mut **tx).await.map_err(classify)?
                };
                let mut counts: Vec<(Uuid, i64)> = Vec::new();
                if !rows.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT assignee_id, COUNT(*) FROM conversations WHERE status = 'open' AND workspace_id = ",
                    );
                    q.push_bind(workspace_id).push(" AND assignee_id IN (");
                    let mut sep = q.separated(", ");
                    for row in &rows {
                        sep.push_bind(row.try_get::<Uuid, _>(0).map_err(classify)?);
                    }
                    q.push(") GROUP BY assignee_id");
                    for row in q.build().fetch_all(&mut **tx).await.map_err(classify)? {
                        counts.push((row.try_get(0).map_err(classify)?, row.try_get(1).map_err(classify)?));
                    }
                }
                let mut candidates = Vec::with_capacity(rows.len());
                for row in &rows {
                    let agent_id: Uuid = row.try_get(0).map_err(classify)?;
                    let open = counts.iter().find(|c| c.0 == agent_id).map_or(0, |c| c.1);
                    candidates.push(Candidate {
                        agent_id,
                        open: u32::try_from(open).unwrap_or(u32::MAX),
                        capacity: u32::try_from(row.try_get::<i64, _>(1).map_err(classify)?).unwrap_or(0),
                        last_assigned_at: row.try_get(2).map_err(classify)?,
                    });
                }
                let outcome = match choose(policy, &candidates) {
                    Some(agent_id) => {
                        sqlx::query(
                            "UPDATE conversations SET assignee_id = $1, assigned_at = $2, updated_at = $2 WHERE id = $3",
                        )
                        .bind(agent_id)
                        .bind(now)
                        .bind(conversation_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(classify)?;
                        sqlx::query("UPDATE agents SET last_assigned_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(agent_id)
                            .execute(&mut **tx)
                            .await
                            .map_err(classify)?;
                        let to = Self::agent_ref_in(tx, agent_id).await?;
                        let event = match assignee {
                            Some(from) => livedesk_protocol::model::TimelineEvent::Reoffered {
                                from: Self::agent_ref_in(tx, from).await?,
                                to,
                            },
                            None => livedesk_protocol::model::TimelineEvent::Assigned { by: None, to },
                        };
                        Self::line_in(tx, workspace_id, conversation_id, event, now, lines).await?;
                        true
                    }
                    None if exclude.is_some() => {
                        // A re-offer with nobody else free: the agent keeps it, the clock restarts.
                        sqlx::query("UPDATE conversations SET assigned_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(conversation_id)
                            .execute(&mut **tx)
                            .await
                            .map_err(classify)?;
                        false
                    }
                    None => {
                        sqlx::query(
                            "UPDATE conversations SET queued_at = COALESCE(queued_at, $1) WHERE id = $2",
                        )
                        .bind(now)
                        .bind(conversation_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(classify)?;
                        false
                    }
                };
                let conversation = scoped(&mut **tx, CONVERSATION_COLS, "conversations", conversation_id, workspace_id, conversation_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(if outcome {
                    RouteOutcome::Assigned(conversation)
                } else if conversation.assignee_id.is_some() {
                    RouteOutcome::Skipped
                } else {
                    RouteOutcome::Queued(conversation)
                })
            }

            async fn queued(&self, workspace_id: Uuid, inbox_id: Option<Uuid>, limit: u32) -> StoreResult<Vec<Conversation>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {CONVERSATION_COLS} FROM conversations WHERE workspace_id = "
                ));
                q.push_bind(workspace_id);
                q.push(" AND status = 'open' AND assignee_id IS NULL AND queued_at IS NOT NULL");
                if let Some(inbox) = inbox_id {
                    q.push(" AND inbox_id = ").push_bind(inbox);
                }
                q.push(" ORDER BY ").push(QUEUE_ORDER).push(" LIMIT ").push_bind(i64::from(limit));
                let rows = q.build().fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(conversation_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn recent_average_wait(&self, inbox_id: Uuid) -> StoreResult<Option<i64>> {
                let row = sqlx::query(
                    "SELECT CAST(AVG(w) AS BIGINT) FROM (SELECT assigned_at - queued_at AS w FROM conversations \
                     WHERE inbox_id = $1 AND queued_at IS NOT NULL AND assigned_at IS NOT NULL AND assigned_at >= queued_at \
                     ORDER BY assigned_at DESC LIMIT 20) AS recent",
                )
                .bind(inbox_id)
                .fetch_one(self.reader())
                .await
                .map_err(classify)?;
                row.try_get::<Option<i64>, _>(0).map_err(classify)
            }

            /// Runs `update` (a statement that changes the one conversation `id`) in a transaction
            /// of its own, in the conversation's turn, and when it changed a row writes `line`
            /// with it; returns the conversation as it is then, or `None` when nothing matched.
            async fn change_with_line(
                &self,
                workspace_id: Uuid,
                id: Uuid,
                update: sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments<'static>>,
                line: livedesk_protocol::model::TimelineEvent,
                now: i64,
            ) -> StoreResult<Option<Conversation>> {
                let pool = self.writer().clone();
                self.committed()
                    .in_turn(id, async move {
                        let mut tx = pool.begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                        let mut lines = Vec::new();
                        let done = update.execute(&mut *tx).await.map_err(classify)?;
                        if done.rows_affected() == 0 {
                            return Ok((None, lines));
                        }
                        Self::line_in(&mut tx, workspace_id, id, line, now, &mut lines).await?;
                        let c = scoped(&mut *tx, CONVERSATION_COLS, "conversations", id, workspace_id, conversation_from_row).await?;
                        tx.commit().await.map_err(classify)?;
                        Ok((c, lines))
                    })
                    .await
            }

            /// An agent's open conversations that no agent has answered go back to the queue,
            /// each in a transaction of its own (in its turn) with its `requeued` line.
            async fn unassign_unanswered(&self, workspace_id: Uuid, agent_id: Uuid) -> StoreResult<Vec<Conversation>> {
                let ids: Vec<Uuid> = sqlx::query_scalar(
                    "SELECT id FROM conversations WHERE workspace_id = $1 AND assignee_id = $2 AND status = 'open' \
                     ORDER BY id",
                )
                .bind(workspace_id)
                .bind(agent_id)
                .fetch_all(self.reader())
                .await
                .map_err(classify)?;
                let now = self.now();
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let update = sqlx::query(
                        "UPDATE conversations SET assignee_id = NULL, queued_at = COALESCE(queued_at, created_at) \
                         WHERE id = $1 AND workspace_id = $2 AND assignee_id = $3 AND status = 'open' AND NOT EXISTS \
                         (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.author_kind = 'agent' AND m.kind = 'text')",
                    )
                    .bind(id)
                    .bind(workspace_id)
                    .bind(agent_id);
                    let line = livedesk_protocol::model::TimelineEvent::Requeued {
                        reason: livedesk_protocol::model::RequeueReason::AgentOffline,
                    };
                    out.extend(self.change_with_line(workspace_id, id, update, line, now).await?);
                }
                Ok(out)
            }

            /// Snoozed conversations whose time has come are open again, each in a transaction
            /// of its own (in its turn) with its `status_changed` line.
            async fn wake_due(&self, now: i64) -> StoreResult<Vec<Conversation>> {
                let due: Vec<(Uuid, Uuid)> = sqlx::query_as(
                    "SELECT id, workspace_id FROM conversations \
                     WHERE status = 'snoozed' AND snoozed_until IS NOT NULL AND snoozed_until <= $1 \
                     ORDER BY snoozed_until, id LIMIT 500",
                )
                .bind(now)
                .fetch_all(self.reader())
                .await
                .map_err(classify)?;
                let mut woken = Vec::with_capacity(due.len());
                for (id, workspace_id) in due {
                    let update = sqlx::query(
                        "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = $3 \
                         WHERE id = $1 AND workspace_id = $2 AND status = 'snoozed' \
                         AND snoozed_until IS NOT NULL AND snoozed_until <= $3",
                    )
                    .bind(id)
                    .bind(workspace_id)
                    .bind(now);
                    let line = livedesk_protocol::model::TimelineEvent::StatusChanged {
                        by: None,
                        status: ConversationStatus::Open,
                    };
                    woken.extend(self.change_with_line(workspace_id, id, update, line, now).await?);
                }
                Ok(woken)
            }

            async fn assignments_without_answer(&self, limit: u32) -> StoreResult<Vec<(Conversation, RoutingSettings)>> {
                let sql = format!(
                    "SELECT {CONVERSATION_COLS}, (SELECT i.routing FROM inboxes i WHERE i.id = conversations.inbox_id) AS inbox_routing \
                     FROM conversations WHERE status = 'open' AND assignee_id IS NOT NULL AND assigned_at IS NOT NULL \
                     AND EXISTS (SELECT 1 FROM inboxes i WHERE i.id = conversations.inbox_id AND i.reoffer_secs > 0) \
                     AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id \
                                     AND m.author_kind = 'agent' AND m.kind = 'text' AND m.created_at >= conversations.assigned_at) \
                     ORDER BY assigned_at LIMIT $1"
                );
                let rows = sqlx::query(&sql)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await
                    .map_err(classify)?;
                rows.iter()
                    .map(|row| {
                        let c = conversation_from_row(row).map_err(classify)?;
                        let r: RoutingSettings = codec::json_from(row.try_get::<&str, _>("inbox_routing").map_err(classify)?)?;
                        Ok((c, r))
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_routing;
