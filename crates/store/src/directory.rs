//! `Directory` (agents, memberships, teams, triage, saved replies, labels) for both backends,
//! stamped out by `impl_directory!` next to `impl_store!`, whose row mappers it uses.

pub const TEAM_COLS: &str = "id, workspace_id, name, policy, created_at";
pub const CANNED_COLS: &str = "id, workspace_id, shortcut, title, body, created_at";
pub const LABEL_COLS: &str = "id, workspace_id, name, color";

/// `LIKE` pattern matching a JSON array element equal to `label` (labels hold no `"` or `\`).
pub fn label_pattern(label: &str) -> String {
    let mut p = String::from("%\"");
    for c in label.chars() {
        if matches!(c, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(c);
    }
    p.push_str("\"%");
    p
}

macro_rules! impl_directory {
    ($store:ty, $db:ty) => {
        use livedesk_core::directory::{
            AgentChanges, AssigneeFilter, ConversationQuery, ConversationSort,
            Directory,
        };
        use livedesk_core::routing::RouteOutcome;
        use livedesk_protocol::model::{
            AgentEntry, AgentStatus, CannedResponse, Label, RoutingPolicy, RoutingSettings, Team,
        };
        use $crate::directory::{label_pattern, CANNED_COLS, LABEL_COLS, TEAM_COLS};

        fn canned_from_row(row: &DbRow) -> Result<CannedResponse, sqlx::Error> {
            Ok(CannedResponse {
                id: row.try_get("id")?,
                workspace_id: row.try_get("workspace_id")?,
                shortcut: row.try_get("shortcut")?,
                title: row.try_get("title")?,
                body: row.try_get("body")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn label_from_row(row: &DbRow) -> Result<Label, sqlx::Error> {
            Ok(Label {
                id: row.try_get("id")?,
                workspace_id: row.try_get("workspace_id")?,
                name: row.try_get("name")?,
                color: row.try_get("color")?,
            })
        }

        /// `(left, right)` pairs of a membership table, for the given left ids.
        async fn pairs<'e, E>(executor: E, sql: &str, id: Uuid) -> StoreResult<Vec<(Uuid, Uuid)>>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            let rows = sqlx::query(sql).bind(id).fetch_all(executor).await.map_err(classify)?;
            rows.iter()
                .map(|r| Ok((r.try_get::<Uuid, _>(0)?, r.try_get::<Uuid, _>(1)?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(classify)
        }

        /// How many of `ids` are rows of `table` in the workspace.
        async fn count_in_workspace<'e, E>(executor: E, table: &str, workspace_id: Uuid, ids: &[Uuid]) -> StoreResult<usize>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            if ids.is_empty() {
                return Ok(0);
            }
            let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = "));
            q.push_bind(workspace_id).push(" AND id IN (");
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(")");
            let row = q.build().fetch_one(executor).await.map_err(classify)?;
            let n: i64 = row.try_get(0).map_err(classify)?;
            Ok(usize::try_from(n).unwrap_or(0))
        }

        fn unique(ids: &[Uuid]) -> Vec<Uuid> {
            let mut v = ids.to_vec();
            v.sort();
            v.dedup();
            v
        }

        /// Replaces the rows of a membership table that name `owner` in `owner_col`.
        async fn replace_members(
            tx: &mut sqlx::Transaction<'_, $db>,
            table: &str,
            owner_col: &str,
            member_col: &str,
            owner: Uuid,
            members: &[Uuid],
        ) -> StoreResult<()> {
            sqlx::query(&format!("DELETE FROM {table} WHERE {owner_col} = $1"))
                .bind(owner)
                .execute(&mut **tx)
                .await
                .map_err(classify)?;
            for m in members {
                sqlx::query(&format!("INSERT INTO {table} ({owner_col}, {member_col}) VALUES ($1, $2)"))
                    .bind(owner)
                    .bind(*m)
                    .execute(&mut **tx)
                    .await
                    .map_err(classify)?;
            }
            Ok(())
        }

        impl $store {
            async fn entries(&self, workspace_id: Uuid, only: Option<Uuid>) -> StoreResult<Vec<AgentEntry>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {AGENT_COLS}, (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = agents.id \
                     AND c.status = 'open') AS open_count FROM agents WHERE workspace_id = "
                ));
                q.push_bind(workspace_id);
                if let Some(id) = only {
                    q.push(" AND id = ").push_bind(id);
                }
                q.push(" ORDER BY name, id");
                let rows = q.build().fetch_all(self.reader()).await.map_err(classify)?;
                let inboxes = pairs(
                    self.reader(),
                    "SELECT m.agent_id, m.inbox_id FROM inbox_members m JOIN inboxes i ON i.id = m.inbox_id \
                     WHERE i.workspace_id = $1 ORDER BY m.inbox_id",
                    workspace_id,
                )
                .await?;
                let teams = pairs(
                    self.reader(),
                    "SELECT m.agent_id, m.team_id FROM team_members m JOIN teams t ON t.id = m.team_id \
                     WHERE t.workspace_id = $1 ORDER BY m.team_id",
                    workspace_id,
                )
                .await?;
                rows.iter()
                    .map(|row| {
                        let agent = agent_from_row(row).map_err(classify)?;
                        let of = |v: &[(Uuid, Uuid)]| v.iter().filter(|p| p.0 == agent.id).map(|p| p.1).collect();
                        Ok(AgentEntry {
                            inbox_ids: of(&inboxes),
                            team_ids: of(&teams),
                            connected: false,
                            open_count: row.try_get("open_count").map_err(classify)?,
                            agent,
                        })
                    })
                    .collect()
            }

            async fn team_with_members<'e, E>(executor: E, row: &DbRow) -> StoreResult<Team>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let id: Uuid = row.try_get("id").map_err(classify)?;
                let members = pairs(executor, "SELECT team_id, agent_id FROM team_members WHERE team_id = $1 ORDER BY agent_id", id).await?;
                Ok(Team {
                    id,
                    workspace_id: row.try_get("workspace_id").map_err(classify)?,
                    name: row.try_get("name").map_err(classify)?,
                    member_ids: members.into_iter().map(|p| p.1).collect(),
                    policy: row
                        .try_get::<Option<&str>, _>("policy")
                        .map_err(classify)?
                        .map(|p| codec::from_wire_name("policy", p))
                        .transpose()?,
                    created_at: row.try_get("created_at").map_err(classify)?,
                })
            }
        }

        #[async_trait::async_trait]
        impl Directory for $store {
            async fn agent_entries(&self, workspace_id: Uuid) -> StoreResult<Vec<AgentEntry>> {
                self.entries(workspace_id, None).await
            }

            async fn agent_entry(&self, workspace_id: Uuid, agent_id: Uuid) -> StoreResult<Option<AgentEntry>> {
                Ok(self.entries(workspace_id, Some(agent_id)).await?.into_iter().next())
            }

            async fn update_agent(&self, workspace_id: Uuid, agent_id: Uuid, changes: AgentChanges) -> StoreResult<AgentEntry> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                let exists = count_in_workspace(&mut *tx, "agents", workspace_id, &[agent_id]).await?;
                if exists != 1 {
                    return Err(StoreError::NotFound);
                }
                let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE agents SET id = id");
                if let Some(name) = &changes.name {
                    q.push(", name = ").push_bind(name.as_str().to_owned());
                }
                if let Some(role) = changes.role {
                    q.push(", role = ").push_bind(codec::role_str(role));
                }
                if let Some(capacity) = changes.capacity {
                    q.push(", capacity = ").push_bind(i64::from(capacity));
                }
                q.push(" WHERE id = ").push_bind(agent_id);
                q.build().execute(&mut *tx).await.map_err(classify)?;
                for (ids, table, owners, owner_col) in [
                    (&changes.inbox_ids, "inbox_members", "inboxes", "inbox_id"),
                    (&changes.team_ids, "team_members", "teams", "team_id"),
                ] {
                    let Some(ids) = ids else { continue };
                    let ids = unique(ids);
                    if count_in_workspace(&mut *tx, owners, workspace_id, &ids).await? != ids.len() {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query(&format!("DELETE FROM {table} WHERE agent_id = $1"))
                        .bind(agent_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(classify)?;
                    for id in ids {
                        sqlx::query(&format!("INSERT INTO {table} ({owner_col}, agent_id) VALUES ($1, $2)"))
                            .bind(id)
                            .bind(agent_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(classify)?;
                    }
                }
                tx.commit().await.map_err(classify)?;
                self.agent_entry(workspace_id, agent_id).await?.ok_or(StoreError::NotFound)
            }

            async fn set_agent_status(&self, agent_id: Uuid, status: AgentStatus) -> StoreResult<Agent> {
                let sql = format!("UPDATE agents SET status = $1 WHERE id = $2 RETURNING {AGENT_COLS}");
                let row = sqlx::query(&sql)
                    .bind(codec::wire_name(status))
                    .bind(agent_id)
                    .fetch_optional(self.writer())
                    .await
                    .map_err(classify)?
                    .ok_or(StoreError::NotFound)?;
                agent_from_row(&row).map_err(classify)
            }

            async fn present_agents(&self) -> StoreResult<Vec<Agent>> {
                let sql = format!("SELECT {AGENT_COLS} FROM agents WHERE status <> 'offline'");
                let rows = sqlx::query(&sql).fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(agent_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn agent_inbox_ids(&self, agent_id: Uuid) -> StoreResult<Vec<Uuid>> {
                let v = pairs(self.reader(), "SELECT agent_id, inbox_id FROM inbox_members WHERE agent_id = $1", agent_id).await?;
                Ok(v.into_iter().map(|p| p.1).collect())
            }

            async fn set_inbox_members(&self, workspace_id: Uuid, inbox_id: Uuid, member_ids: &[Uuid]) -> StoreResult<()> {
                let members = unique(member_ids);
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                if count_in_workspace(&mut *tx, "inboxes", workspace_id, &[inbox_id]).await? != 1
                    || count_in_workspace(&mut *tx, "agents", workspace_id, &members).await? != members.len()
                {
                    return Err(StoreError::NotFound);
                }
                replace_members(&mut tx, "inbox_members", "inbox_id", "agent_id", inbox_id, &members).await?;
                tx.commit().await.map_err(classify)
            }

            async fn inbox_member_ids(&self, inbox_id: Uuid) -> StoreResult<Vec<Uuid>> {
                let v = pairs(self.reader(), "SELECT inbox_id, agent_id FROM inbox_members WHERE inbox_id = $1 ORDER BY agent_id", inbox_id).await?;
                Ok(v.into_iter().map(|p| p.1).collect())
            }

            async fn create_team(&self, workspace_id: Uuid, name: &DisplayName, member_ids: &[Uuid]) -> StoreResult<Team> {
                let members = unique(member_ids);
                let team = Team {
                    id: Uuid::now_v7(),
                    workspace_id,
                    name: name.as_str().to_owned(),
                    member_ids: members.clone(),
                    policy: None,
                    created_at: self.now(),
                };
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                if count_in_workspace(&mut *tx, "agents", workspace_id, &members).await? != members.len() {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("INSERT INTO teams (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(team.id)
                    .bind(workspace_id)
                    .bind(&team.name)
                    .bind(team.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match classify(e) {
                        StoreError::Conflict(_) => StoreError::Conflict("a team with this name exists"),
                        other => other,
                    })?;
                replace_members(&mut tx, "team_members", "team_id", "agent_id", team.id, &members).await?;
                tx.commit().await.map_err(classify)?;
                Ok(team)
            }

            async fn update_team(
                &self,
                workspace_id: Uuid,
                team_id: Uuid,
                name: Option<&DisplayName>,
                member_ids: Option<&[Uuid]>,
                policy: Option<Option<RoutingPolicy>>,
            ) -> StoreResult<Team> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                if count_in_workspace(&mut *tx, "teams", workspace_id, &[team_id]).await? != 1 {
                    return Err(StoreError::NotFound);
                }
                if let Some(policy) = policy {
                    sqlx::query("UPDATE teams SET policy = $1 WHERE id = $2")
                        .bind(policy.map(codec::wire_name))
                        .bind(team_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(classify)?;
                }
                if let Some(name) = name {
                    sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
                        .bind(name.as_str())
                        .bind(team_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| match classify(e) {
                            StoreError::Conflict(_) => StoreError::Conflict("a team with this name exists"),
                            other => other,
                        })?;
                }
                if let Some(members) = member_ids {
                    let members = unique(members);
                    if count_in_workspace(&mut *tx, "agents", workspace_id, &members).await? != members.len() {
                        return Err(StoreError::NotFound);
                    }
                    replace_members(&mut tx, "team_members", "team_id", "agent_id", team_id, &members).await?;
                }
                tx.commit().await.map_err(classify)?;
                self.team(workspace_id, team_id).await?.ok_or(StoreError::NotFound)
            }

            async fn delete_team(&self, workspace_id: Uuid, team_id: Uuid) -> StoreResult<()> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                sqlx::query("UPDATE conversations SET team_id = NULL WHERE team_id = $1 AND workspace_id = $2")
                    .bind(team_id)
                    .bind(workspace_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                let done = sqlx::query("DELETE FROM teams WHERE id = $1 AND workspace_id = $2")
                    .bind(team_id)
                    .bind(workspace_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await.map_err(classify)
            }

            async fn team(&self, workspace_id: Uuid, team_id: Uuid) -> StoreResult<Option<Team>> {
                let sql = format!("SELECT {TEAM_COLS} FROM teams WHERE id = $1 AND workspace_id = $2");
                let row = sqlx::query(&sql)
                    .bind(team_id)
                    .bind(workspace_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                match row {
                    Some(row) => Ok(Some(Self::team_with_members(self.reader(), &row).await?)),
                    None => Ok(None),
                }
            }

            async fn list_teams(&self, workspace_id: Uuid) -> StoreResult<Vec<Team>> {
                let sql = format!("SELECT {TEAM_COLS} FROM teams WHERE workspace_id = $1 ORDER BY name, id");
                let rows = sqlx::query(&sql).bind(workspace_id).fetch_all(self.reader()).await.map_err(classify)?;
                let mut teams = Vec::with_capacity(rows.len());
                for row in &rows {
                    teams.push(Self::team_with_members(self.reader(), row).await?);
                }
                Ok(teams)
            }

            async fn change_conversation(&self, change: livedesk_core::directory::ConversationChange) -> StoreResult<livedesk_core::directory::Changed> {
                self.change_routed(change).await
            }

            async fn find_conversations(&self, query: &ConversationQuery) -> StoreResult<Vec<Conversation>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT * FROM (SELECT {CONVERSATION_COLS} FROM conversations WHERE workspace_id = "
                ));
                q.push_bind(query.workspace_id);
                if let Some(inboxes) = &query.inbox_ids {
                    if inboxes.is_empty() {
                        return Ok(Vec::new());
                    }
                    q.push(" AND inbox_id IN (");
                    let mut sep = q.separated(", ");
                    for id in inboxes {
                        sep.push_bind(*id);
                    }
                    q.push(")");
                }
                if let Some(status) = query.status {
                    q.push(" AND status = ").push_bind(codec::status_str(status));
                }
                match query.assignee {
                    AssigneeFilter::Any => {}
                    AssigneeFilter::Unassigned => {
                        q.push(" AND assignee_id IS NULL");
                    }
                    AssigneeFilter::Agent(id) => {
                        q.push(" AND assignee_id = ").push_bind(id);
                    }
                }
                if let Some(team) = query.team_id {
                    q.push(" AND team_id = ").push_bind(team);
                }
                if let Some(label) = &query.label {
                    q.push(" AND labels LIKE ").push_bind(label_pattern(label)).push(" ESCAPE '!'");
                }
                if let Some(before) = query.updated_before {
                    q.push(" AND updated_at < ").push_bind(before);
                }
                if query.sort == ConversationSort::Queue {
                    q.push(" AND status = 'open' AND assignee_id IS NULL AND queued_at IS NOT NULL");
                }
                q.push(") AS found");
                match query.sort {
                    ConversationSort::Activity => q.push(" ORDER BY updated_at DESC, id DESC"),
                    ConversationSort::Waiting => q.push(
                        " ORDER BY CASE WHEN waiting_since IS NULL THEN 1 ELSE 0 END, waiting_since ASC, updated_at DESC, id DESC",
                    ),
                    ConversationSort::Queue => q.push(" ORDER BY ").push($crate::routing::QUEUE_ORDER),
                };
                q.push(" LIMIT ").push_bind(i64::from(query.limit));
                let rows = q.build().fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(conversation_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn wake_snoozed(&self, now: i64) -> StoreResult<Vec<Conversation>> {
                self.wake_due(now).await
            }

            async fn contacts_by_ids(&self, workspace_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Contact>> {
                let ids = unique(ids);
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {CONTACT_COLS} FROM contacts WHERE workspace_id = "));
                q.push_bind(workspace_id).push(" AND id IN (");
                let mut sep = q.separated(", ");
                for id in &ids {
                    sep.push_bind(*id);
                }
                q.push(")");
                let rows = q.build().fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(contact_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn set_inbox_routing(&self, workspace_id: Uuid, inbox_id: Uuid, routing: RoutingSettings) -> StoreResult<()> {
                let done = sqlx::query("UPDATE inboxes SET routing = $1, reoffer_secs = $4 WHERE id = $2 AND workspace_id = $3")
                    .bind(codec::json_to(&routing))
                    .bind(inbox_id)
                    .bind(workspace_id)
                    .bind(i64::from(routing.reoffer_secs))
                    .execute(self.writer())
                    .await
                    .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn route(&self, workspace_id: Uuid, conversation_id: Uuid, exclude: Option<Uuid>, now: i64) -> StoreResult<RouteOutcome> {
                self.route_conversation(workspace_id, conversation_id, exclude, now).await
            }

            async fn open_conversation(&self, new: livedesk_core::directory::NewConversationRecord) -> StoreResult<(Conversation, Option<RouteOutcome>)> {
                self.open_routed(new).await
            }

            async fn queue(&self, workspace_id: Uuid, inbox_id: Option<Uuid>, limit: u32) -> StoreResult<Vec<Conversation>> {
                self.queued(workspace_id, inbox_id, limit).await
            }

            async fn average_wait(&self, inbox_id: Uuid) -> StoreResult<Option<i64>> {
                self.recent_average_wait(inbox_id).await
            }

            async fn return_unanswered(&self, workspace_id: Uuid, agent_id: Uuid) -> StoreResult<Vec<Conversation>> {
                self.unassign_unanswered(workspace_id, agent_id).await
            }

            async fn unanswered_assignments(&self, limit: u32) -> StoreResult<Vec<(Conversation, RoutingSettings)>> {
                self.assignments_without_answer(limit).await
            }

            async fn set_contact_device(&self, contact_id: Uuid, user_agent: Option<&str>, timezone: Option<&str>) -> StoreResult<()> {
                if user_agent.is_none() && timezone.is_none() {
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE contacts SET user_agent = COALESCE($1, user_agent), timezone = COALESCE($2, timezone) \
                     WHERE id = $3 AND (($1 IS NOT NULL AND user_agent IS DISTINCT FROM $1) OR ($2 IS NOT NULL AND timezone IS DISTINCT FROM $2))",
                )
                .bind(user_agent)
                .bind(timezone)
                .bind(contact_id)
                .execute(self.writer())
                .await
                .map_err(classify)?;
                Ok(())
            }

            async fn contact_device(&self, workspace_id: Uuid, contact_id: Uuid) -> StoreResult<(Option<String>, Option<String>)> {
                let row = sqlx::query("SELECT user_agent, timezone FROM contacts WHERE id = $1 AND workspace_id = $2")
                    .bind(contact_id)
                    .bind(workspace_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                match row {
                    Some(row) => Ok((row.try_get(0).map_err(classify)?, row.try_get(1).map_err(classify)?)),
                    None => Ok((None, None)),
                }
            }

            async fn list_canned_responses(&self, workspace_id: Uuid) -> StoreResult<Vec<CannedResponse>> {
                let sql = format!("SELECT {CANNED_COLS} FROM canned_responses WHERE workspace_id = $1 ORDER BY shortcut");
                let rows = sqlx::query(&sql).bind(workspace_id).fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(canned_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn create_canned_response(&self, workspace_id: Uuid, shortcut: &str, title: &str, body: &str) -> StoreResult<CannedResponse> {
                let canned = CannedResponse {
                    id: Uuid::now_v7(),
                    workspace_id,
                    shortcut: shortcut.to_owned(),
                    title: title.to_owned(),
                    body: body.to_owned(),
                    created_at: self.now(),
                };
                sqlx::query("INSERT INTO canned_responses (id, workspace_id, shortcut, title, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(canned.id)
                    .bind(workspace_id)
                    .bind(shortcut)
                    .bind(title)
                    .bind(body)
                    .bind(canned.created_at)
                    .execute(self.writer())
                    .await
                    .map_err(|e| match classify(e) {
                        StoreError::Conflict(_) => StoreError::Conflict("a saved reply with this shortcut exists"),
                        other => other,
                    })?;
                Ok(canned)
            }

            async fn update_canned_response(&self, workspace_id: Uuid, id: Uuid, shortcut: &str, title: &str, body: &str) -> StoreResult<CannedResponse> {
                let sql = format!(
                    "UPDATE canned_responses SET shortcut = $1, title = $2, body = $3 WHERE id = $4 AND workspace_id = $5 RETURNING {CANNED_COLS}"
                );
                let row = sqlx::query(&sql)
                    .bind(shortcut)
                    .bind(title)
                    .bind(body)
                    .bind(id)
                    .bind(workspace_id)
                    .fetch_optional(self.writer())
                    .await
                    .map_err(|e| match classify(e) {
                        StoreError::Conflict(_) => StoreError::Conflict("a saved reply with this shortcut exists"),
                        other => other,
                    })?
                    .ok_or(StoreError::NotFound)?;
                canned_from_row(&row).map_err(classify)
            }

            async fn delete_canned_response(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM canned_responses WHERE id = $1 AND workspace_id = $2")
                    .bind(id)
                    .bind(workspace_id)
                    .execute(self.writer())
                    .await
                    .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn list_labels(&self, workspace_id: Uuid) -> StoreResult<Vec<Label>> {
                let sql = format!("SELECT {LABEL_COLS} FROM labels WHERE workspace_id = $1 ORDER BY name");
                let rows = sqlx::query(&sql).bind(workspace_id).fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(label_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn create_label(&self, workspace_id: Uuid, name: &str, color: &str) -> StoreResult<Label> {
                let label = Label { id: Uuid::now_v7(), workspace_id, name: name.to_owned(), color: color.to_owned() };
                sqlx::query("INSERT INTO labels (id, workspace_id, name, color) VALUES ($1, $2, $3, $4)")
                    .bind(label.id)
                    .bind(workspace_id)
                    .bind(name)
                    .bind(color)
                    .execute(self.writer())
                    .await
                    .map_err(|e| match classify(e) {
                        StoreError::Conflict(_) => StoreError::Conflict("a label with this name exists"),
                        other => other,
                    })?;
                Ok(label)
            }

            async fn delete_label(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM labels WHERE id = $1 AND workspace_id = $2")
                    .bind(id)
                    .bind(workspace_id)
                    .execute(self.writer())
                    .await
                    .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_directory;
