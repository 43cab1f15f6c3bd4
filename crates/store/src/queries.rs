//! The SQL both backends share, stamped out per backend by `impl_store!`.
//!
//! Both SQLite and PostgreSQL accept `$N` placeholders, `RETURNING` and `ON CONFLICT`, so one
//! text serves both; only the schema (migrations) and connection set-up differ.

pub const AGENT_COLS: &str =
    "id, workspace_id, email, name, role, status, capacity, deactivated_at IS NULL AS active";
pub const INBOX_COLS: &str =
    "id, workspace_id, name, allowed_origins, settings, routing, identity_secret IS NOT NULL AS identity_verification, created_at";
pub const CONTACT_COLS: &str =
    "id, workspace_id, inbox_id, name, email, external_id, verified, attributes, created_at, \
     blocked_at IS NOT NULL AS blocked";
pub const CONVERSATION_COLS: &str =
    "id, workspace_id, inbox_id, contact_id, status, assignee_id, team_id, priority, labels, \
     snoozed_until, queued_at, assigned_at, last_seq, agent_delivered, agent_read, \
     contact_delivered, contact_read, created_at, updated_at, waiting_since";
pub const MESSAGE_COLS: &str =
    "id, conversation_id, seq, client_msg_id, author_kind, author_id, author_name, \
     kind, body, attachment, event, created_at";
pub const ATTACHMENT_COLS: &str =
    "id, conversation_id, uploader_kind, uploader_id, name, content_type, size, \
     EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = attachments.conversation_id \
             AND m.attachment_id = attachments.id AND m.kind <> 'note') AS visible_to_contact";

/// Implements `Store` for `$store`, which must have `writer()` and `reader()` returning
/// `&sqlx::Pool<$db>`, `append(NewMessageRecord)` (the path of `append_message`),
/// `committed()` returning the `&Committed` it tells of committed messages, and `now()`, the
/// time (ms) of the clock it was opened with, for every timestamp it writes itself.
/// `$nil_uuid` is the backend's literal for the all-zero UUID, as written in the
/// `messages_dedupe` index, so that the duplicate check is one lookup in that index.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:literal, $nil_uuid:literal) => {
        use livedesk_core::store::{
            AgentCredentials, AgentSession, Appended, AttachmentRecord, Audience, ContactChanges,
            ConversationFilter, InboxChanges, NewAgentRecord, NewAttachment, NewMessageRecord,
            NewSession, Store, StoreError, StoreResult, VisitorSession, Workspace,
        };
        use livedesk_core::values::{DisplayName, Email, WebOrigin};
        use livedesk_protocol::model::{
            Agent, Attachment, Author, Contact, Conversation, ConversationStatus, Inbox, Message,
            PageView, ReceiptStatus, Receipts, Side, WidgetSettings,
        };
        use sqlx::Row as _;
        use uuid::Uuid;

        use $crate::classify;
        use $crate::codec;
        use $crate::queries::*;

        type DbRow = <$db as sqlx::Database>::Row;

        /// Author ids are compared as in the `messages_dedupe` index (`COALESCE(author_id,
        /// nil)`), so the planner uses it rather than scanning the conversation's messages.
        const NIL_UUID: &str = $nil_uuid;

        fn agent_from_row(row: &DbRow) -> Result<Agent, sqlx::Error> {
            Ok(Agent {
                id: row.try_get("id")?,
                workspace_id: row.try_get("workspace_id")?,
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                role: codec::role(row.try_get::<&str, _>("role")?).map_err(decode)?,
                status: codec::from_wire_name("status", row.try_get::<&str, _>("status")?).map_err(decode)?,
                capacity: u32::try_from(row.try_get::<i64, _>("capacity")?).unwrap_or(0),
                active: row.try_get("active")?,
            })
        }

        fn inbox_from_row(row: &DbRow) -> Result<Inbox, sqlx::Error> {
            Ok(Inbox {
                id: row.try_get("id")?,
                workspace_id: row.try_get("workspace_id")?,
                name: row.try_get("name")?,
                allowed_origins: codec::origins_from_json(row.try_get::<&str, _>("allowed_origins")?)
                    .map_err(decode)?,
                settings: codec::json_from(row.try_get::<&str, _>("settings")?).map_err(decode)?,
                identity_verification: row.try_get("identity_verification")?,
                member_ids: Vec::new(),
                routing: codec::json_from(row.try_get::<&str, _>("routing")?).map_err(decode)?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn contact_from_row(row: &DbRow) -> Result<Contact, sqlx::Error> {
            Ok(Contact {
                id: row.try_get("id")?,
                workspace_id: row.try_get("workspace_id")?,
                inbox_id: row.try_get("inbox_id")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                external_id: row.try_get("external_id")?,
                verified: row.try_get("verified")?,
                attributes: codec::json_from(row.try_get::<&str, _>("attributes")?).map_err(decode)?,
                created_at: row.try_get("created_at")?,
                blocked: row.try_get("blocked")?,
            })
        }

        fn conversation_from_row(row: &DbRow) -> Result<Conversation, sqlx::Error> {
            Ok(Conversation {
                id: row.try_get("id")?,
                workspace_id: row.try_get("workspace_id")?,
                inbox_id: row.try_get("inbox_id")?,
                contact_id: row.try_get("contact_id")?,
                status: codec::status(row.try_get::<&str, _>("status")?).map_err(decode)?,
                assignee_id: row.try_get("assignee_id")?,
                team_id: row.try_get("team_id")?,
                priority: codec::from_wire_name("priority", row.try_get::<&str, _>("priority")?).map_err(decode)?,
                labels: codec::json_from(row.try_get::<&str, _>("labels")?).map_err(decode)?,
                snoozed_until: row.try_get("snoozed_until")?,
                waiting_since: row.try_get("waiting_since")?,
                queued_at: row.try_get("queued_at")?,
                assigned_at: row.try_get("assigned_at")?,
                last_seq: row.try_get("last_seq")?,
                receipts: Receipts {
                    agent_delivered: row.try_get("agent_delivered")?,
                    agent_read: row.try_get("agent_read")?,
                    contact_delivered: row.try_get("contact_delivered")?,
                    contact_read: row.try_get("contact_read")?,
                },
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn message_from_row(row: &DbRow) -> Result<Message, sqlx::Error> {
            Ok(Message {
                id: row.try_get("id")?,
                conversation_id: row.try_get("conversation_id")?,
                seq: row.try_get("seq")?,
                client_msg_id: row.try_get("client_msg_id")?,
                author: Author {
                    kind: codec::author_kind(row.try_get::<&str, _>("author_kind")?).map_err(decode)?,
                    id: row.try_get("author_id")?,
                    name: row.try_get("author_name")?,
                },
                kind: codec::kind(row.try_get::<&str, _>("kind")?).map_err(decode)?,
                body: row.try_get("body")?,
                attachment: row
                    .try_get::<Option<&str>, _>("attachment")?
                    .map(codec::json_from)
                    .transpose()
                    .map_err(decode)?,
                event: row
                    .try_get::<Option<&str>, _>("event")?
                    .map(codec::json_from)
                    .transpose()
                    .map_err(decode)?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn attachment_from_row(row: &DbRow) -> Result<AttachmentRecord, sqlx::Error> {
            Ok(AttachmentRecord {
                attachment: Attachment {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    content_type: row.try_get("content_type")?,
                    size: row.try_get("size")?,
                },
                conversation_id: row.try_get("conversation_id")?,
                uploader_kind: codec::author_kind(row.try_get::<&str, _>("uploader_kind")?).map_err(decode)?,
                uploader_id: row.try_get("uploader_id")?,
                visible_to_contact: row.try_get("visible_to_contact")?,
            })
        }

        fn decode(e: StoreError) -> sqlx::Error {
            sqlx::Error::Decode(Box::new(e))
        }

        fn credentials_from_row(row: &DbRow) -> Result<AgentCredentials, sqlx::Error> {
            Ok(AgentCredentials {
                agent: agent_from_row(row)?,
                password_hash: row.try_get("password_hash")?,
            })
        }

        async fn find_duplicate<'e, E>(
            executor: E,
            new: &NewMessageRecord,
        ) -> Result<Option<Message>, sqlx::Error>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            let sql = format!(
                "SELECT {MESSAGE_COLS} FROM messages \
                 WHERE conversation_id = $1 AND author_kind = $2 \
                 AND COALESCE(author_id, {NIL_UUID}) = COALESCE($3, {NIL_UUID}) AND client_msg_id = $4 \
                 AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = $1 AND c.workspace_id = $5)"
            );
            let row = sqlx::query(&sql)
                .bind(new.conversation_id)
                .bind(codec::author_kind_str(new.author.kind))
                .bind(new.author.id)
                .bind(new.client_msg_id.as_str())
                .bind(new.workspace_id)
                .fetch_optional(executor)
                .await?;
            row.as_ref().map(message_from_row).transpose()
        }

        /// One append in a transaction of its own: the whole path on PostgreSQL, the fallback
        /// of SQLite's group commit.
        /// Also returns the message as committed (with its routing keys) unless it was a
        /// duplicate, for the caller to hand to the commit listener.
        async fn append_in_transaction(
            pool: &sqlx::Pool<$db>,
            new: NewMessageRecord,
            now: i64,
        ) -> StoreResult<(Appended, Option<livedesk_core::store::CommittedMessage>)> {
            let mut tx = pool.begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
            // Taking the next seq locks the conversation row: concurrent appends to one
            // conversation are ordered here, so the duplicate check below is exact.
            let row = sqlx::query(
                "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 \
                 WHERE id = $2 AND workspace_id = $3 RETURNING last_seq, waiting_since, inbox_id, contact_id",
            )
            .bind(now)
            .bind(new.conversation_id)
            .bind(new.workspace_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?;
            let Some(row) = row else { return Err(StoreError::NotFound) };
            let seq: i64 = row.try_get(0).map_err(classify)?;
            let waiting: Option<i64> = row.try_get(1).map_err(classify)?;
            let inbox_id: Uuid = row.try_get(2).map_err(classify)?;
            let contact_id: Uuid = row.try_get(3).map_err(classify)?;
            let waiting_after = livedesk_core::store::waiting_after(waiting, new.author.kind, new.kind, now);
            if waiting_after != waiting {
                sqlx::query("UPDATE conversations SET waiting_since = $1 WHERE id = $2")
                    .bind(waiting_after)
                    .bind(new.conversation_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
            }
            if let Some(message) = find_duplicate(&mut *tx, &new).await.map_err(classify)? {
                tx.rollback().await.map_err(classify)?;
                return Ok((Appended { message, duplicate: true }, None));
            }
            let message = Message {
                id: Uuid::now_v7(),
                conversation_id: new.conversation_id,
                seq,
                client_msg_id: Some(new.client_msg_id.as_str().to_owned()),
                author: new.author,
                kind: new.kind,
                body: new.body.into_inner(),
                attachment: new.attachment,
                event: new.event,
                created_at: now,
            };
            insert_message(&mut *tx, &message).await?;
            tx.commit().await.map_err(classify)?;
            let committed = livedesk_core::store::CommittedMessage {
                workspace_id: new.workspace_id,
                inbox_id,
                contact_id,
                message: message.clone(),
            };
            Ok((Appended { message, duplicate: false }, Some(committed)))
        }

        async fn insert_message<'e, E>(executor: E, message: &Message) -> StoreResult<()>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            sqlx::query(
                "INSERT INTO messages (conversation_id, seq, id, client_msg_id, author_kind, author_id, author_name, kind, body, attachment, attachment_id, event, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(message.conversation_id)
            .bind(message.seq)
            .bind(message.id)
            .bind(message.client_msg_id.as_deref())
            .bind(codec::author_kind_str(message.author.kind))
            .bind(message.author.id)
            .bind(message.author.name.as_deref())
            .bind(codec::kind_str(message.kind))
            .bind(&message.body)
            .bind(message.attachment.as_ref().map(codec::json_to))
            .bind(message.attachment.as_ref().map(|a| a.id))
            .bind(message.event.as_ref().map(codec::json_to))
            .bind(message.created_at)
            .execute(executor)
            .await
            .map_err(classify)?;
            Ok(())
        }

        /// Appends a note to a conversation inside the caller's transaction (which must hold
        /// the conversation's turn, see `Committed`): a timeline line (`event`, by the
        /// system) or an agent's note written with a change. Such notes have fresh ids of
        /// their own, so there is nothing to deduplicate. Returns it for the listener.
        async fn append_note_in(
            conn: &mut <$db as sqlx::Database>::Connection,
            workspace_id: Uuid,
            conversation_id: Uuid,
            author: Author,
            body: String,
            event: Option<livedesk_protocol::model::TimelineEvent>,
            now: i64,
        ) -> StoreResult<livedesk_core::store::CommittedMessage> {
            let row = sqlx::query(
                "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 \
                 WHERE id = $2 AND workspace_id = $3 RETURNING last_seq, inbox_id, contact_id",
            )
            .bind(now)
            .bind(conversation_id)
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(classify)?;
            let Some(row) = row else { return Err(StoreError::NotFound) };
            let message = Message {
                id: Uuid::now_v7(),
                conversation_id,
                seq: row.try_get(0).map_err(classify)?,
                client_msg_id: Some(format!("event-{}", Uuid::now_v7())),
                author,
                kind: livedesk_protocol::model::MessageKind::Note,
                body,
                attachment: None,
                event,
                created_at: now,
            };
            insert_message(&mut *conn, &message).await?;
            Ok(livedesk_core::store::CommittedMessage {
                workspace_id,
                inbox_id: row.try_get(1).map_err(classify)?,
                contact_id: row.try_get(2).map_err(classify)?,
                message,
            })
        }

        /// One row of `table` by id within a workspace, mapped by `map`.
        async fn scoped<'e, E, T>(
            executor: E,
            columns: &str,
            table: &str,
            id: Uuid,
            workspace_id: Uuid,
            map: fn(&DbRow) -> Result<T, sqlx::Error>,
        ) -> StoreResult<Option<T>>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            let sql = format!("SELECT {columns} FROM {table} WHERE id = $1 AND workspace_id = $2");
            let row = sqlx::query(&sql)
                .bind(id)
                .bind(workspace_id)
                .fetch_optional(executor)
                .await
                .map_err(classify)?;
            row.as_ref().map(map).transpose().map_err(classify)
        }

        fn kinds_for(audience: Audience) -> &'static str {
            match audience {
                Audience::Agent => "('text', 'note', 'event')",
                Audience::Visitor => "('text', 'event')",
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            fn on_commit(&self, listener: std::sync::Arc<dyn livedesk_core::store::CommitListener>) {
                self.committed().set(listener);
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(self.reader()).await.map_err(classify)?;
                Ok(())
            }

            async fn create_workspace(&self, name: &DisplayName) -> StoreResult<Workspace> {
                let ws = Workspace {
                    id: Uuid::now_v7(),
                    name: name.as_str().to_owned(),
                    created_at: self.now(),
                };
                sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(ws.id)
                    .bind(&ws.name)
                    .bind(ws.created_at)
                    .execute(self.writer())
                    .await
                    .map_err(classify)?;
                Ok(ws)
            }

            async fn count_agents(&self) -> StoreResult<i64> {
                let row = sqlx::query("SELECT COUNT(*) FROM agents")
                    .fetch_one(self.reader())
                    .await
                    .map_err(classify)?;
                row.try_get::<i64, _>(0).map_err(classify)
            }

            async fn create_agent(&self, new: NewAgentRecord) -> StoreResult<Agent> {
                let agent = Agent {
                    id: Uuid::now_v7(),
                    workspace_id: new.workspace_id,
                    email: new.email.as_str().to_owned(),
                    name: new.name.as_str().to_owned(),
                    role: new.role,
                    status: Default::default(),
                    capacity: 5,
                    active: true,
                };
                sqlx::query(
                    "INSERT INTO agents (id, workspace_id, email, name, role, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(agent.id)
                .bind(agent.workspace_id)
                .bind(&agent.email)
                .bind(&agent.name)
                .bind(codec::role_str(agent.role))
                .bind(&new.password_hash)
                .bind(self.now())
                .execute(self.writer())
                .await
                .map_err(|e| match classify(e) {
                    StoreError::Conflict(_) => StoreError::Conflict("an agent with this email exists"),
                    other => other,
                })?;
                Ok(agent)
            }

            async fn agent_credentials(&self, email: &Email) -> StoreResult<Option<AgentCredentials>> {
                let sql = format!("SELECT {AGENT_COLS}, password_hash FROM agents WHERE email = $1");
                let row = sqlx::query(&sql)
                    .bind(email.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                row.as_ref().map(credentials_from_row).transpose().map_err(classify)
            }

            async fn agent_credentials_by_id(&self, agent_id: Uuid) -> StoreResult<Option<AgentCredentials>> {
                let sql = format!("SELECT {AGENT_COLS}, password_hash FROM agents WHERE id = $1");
                let row = sqlx::query(&sql)
                    .bind(agent_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                row.as_ref().map(credentials_from_row).transpose().map_err(classify)
            }

            async fn set_password(&self, agent_id: Uuid, password_hash: &str) -> StoreResult<()> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                let done = sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(agent_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
                    .bind(agent_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                tx.commit().await.map_err(classify)
            }

            async fn create_session(&self, new: NewSession) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&new.token_hash)
                .bind(new.agent_id)
                .bind(new.created_at)
                .bind(new.expires_at)
                .execute(self.writer())
                .await
                .map_err(classify)?;
                Ok(())
            }

            async fn session(&self, token_hash: &[u8], now: i64) -> StoreResult<Option<AgentSession>> {
                let sql = format!(
                    "SELECT a.id, a.workspace_id, a.email, a.name, a.role, a.status, a.capacity, \
                     a.deactivated_at IS NULL AS active, s.expires_at \
                     FROM sessions s JOIN agents a ON a.id = s.agent_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.deactivated_at IS NULL"
                );
                let row = sqlx::query(&sql)
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(AgentSession {
                    agent: agent_from_row(&row).map_err(classify)?,
                    expires_at: row.try_get("expires_at").map_err(classify)?,
                }))
            }

            async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(self.writer())
                    .await
                    .map_err(classify)?;
                Ok(())
            }

            async fn set_contact_blocked(
                &self,
                workspace_id: Uuid,
                contact_id: Uuid,
                blocked: bool,
            ) -> StoreResult<Option<Contact>> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                let sql = format!(
                    "UPDATE contacts SET blocked_at = CASE WHEN $3 THEN COALESCE(blocked_at, $4) ELSE NULL END \
                     WHERE id = $1 AND workspace_id = $2 RETURNING {CONTACT_COLS}"
                );
                let row = sqlx::query(&sql)
                    .bind(contact_id)
                    .bind(workspace_id)
                    .bind(blocked)
                    .bind(self.now())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(classify)?;
                let Some(row) = row else { return Ok(None) };
                let contact = contact_from_row(&row).map_err(classify)?;
                if blocked {
                    sqlx::query("DELETE FROM visitor_sessions WHERE contact_id = $1")
                        .bind(contact_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(classify)?;
                }
                tx.commit().await.map_err(classify)?;
                Ok(Some(contact))
            }

            async fn set_agent_active(
                &self,
                workspace_id: Uuid,
                agent_id: Uuid,
                active: bool,
            ) -> StoreResult<Option<(Agent, Vec<Conversation>)>> {
                self.agent_activity(workspace_id, agent_id, active).await
            }

            async fn delete_agent_sessions(&self, agent_id: Uuid) -> StoreResult<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
                    .bind(agent_id)
                    .execute(self.writer())
                    .await
                    .map_err(classify)?;
                Ok(done.rows_affected())
            }

            async fn create_inbox(
                &self,
                workspace_id: Uuid,
                name: &DisplayName,
                allowed_origins: &[WebOrigin],
            ) -> StoreResult<Inbox> {
                let inbox = Inbox {
                    id: Uuid::now_v7(),
                    workspace_id,
                    name: name.as_str().to_owned(),
                    allowed_origins: allowed_origins.iter().map(|o| o.as_str().to_owned()).collect(),
                    settings: WidgetSettings::default(),
                    identity_verification: false,
                    member_ids: Vec::new(),
                    routing: Default::default(),
                    created_at: self.now(),
                };
                sqlx::query(
                    "INSERT INTO inboxes (id, workspace_id, name, allowed_origins, settings, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(inbox.id)
                .bind(inbox.workspace_id)
                .bind(&inbox.name)
                .bind(codec::origins_to_json(&inbox.allowed_origins))
                .bind(codec::json_to(&inbox.settings))
                .bind(inbox.created_at)
                .execute(self.writer())
                .await
                .map_err(classify)?;
                Ok(inbox)
            }

            async fn inbox(&self, inbox_id: Uuid) -> StoreResult<Option<Inbox>> {
                let sql = format!("SELECT {INBOX_COLS} FROM inboxes WHERE id = $1");
                let row = sqlx::query(&sql)
                    .bind(inbox_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                row.as_ref().map(inbox_from_row).transpose().map_err(classify)
            }

            async fn list_inboxes(&self, workspace_id: Uuid) -> StoreResult<Vec<Inbox>> {
                let sql = format!("SELECT {INBOX_COLS} FROM inboxes WHERE workspace_id = $1 ORDER BY created_at, id");
                let rows = sqlx::query(&sql)
                    .bind(workspace_id)
                    .fetch_all(self.reader())
                    .await
                    .map_err(classify)?;
                rows.iter().map(inbox_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn create_visitor(
                &self,
                inbox: &Inbox,
                token_hash: &[u8],
                expires_at: i64,
                user_agent: Option<&str>,
            ) -> StoreResult<Contact> {
                let contact = Contact {
                    id: Uuid::now_v7(),
                    workspace_id: inbox.workspace_id,
                    inbox_id: inbox.id,
                    name: None,
                    email: None,
                    external_id: None,
                    verified: false,
                    attributes: Default::default(),
                    created_at: self.now(),
                    blocked: false,
                };
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                sqlx::query(
                    "INSERT INTO contacts (id, workspace_id, inbox_id, created_at, user_agent) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(contact.id)
                .bind(contact.workspace_id)
                .bind(contact.inbox_id)
                .bind(contact.created_at)
                .bind(user_agent)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
                sqlx::query(
                    "INSERT INTO visitor_sessions (token_hash, contact_id, inbox_id, workspace_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash)
                .bind(contact.id)
                .bind(contact.inbox_id)
                .bind(contact.workspace_id)
                .bind(contact.created_at)
                .bind(expires_at)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
                tx.commit().await.map_err(classify)?;
                Ok(contact)
            }

            async fn visitor_session(&self, token_hash: &[u8], now: i64) -> StoreResult<Option<VisitorSession>> {
                let row = sqlx::query(
                    "SELECT s.contact_id, s.inbox_id, s.workspace_id, s.expires_at FROM visitor_sessions s \
                     JOIN contacts c ON c.id = s.contact_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND c.blocked_at IS NULL",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(self.reader())
                .await
                .map_err(classify)?;
                let Some(row) = row else { return Ok(None) };
                let session = (|| -> Result<VisitorSession, sqlx::Error> {
                    Ok(VisitorSession {
                        contact_id: row.try_get("contact_id")?,
                        inbox_id: row.try_get("inbox_id")?,
                        workspace_id: row.try_get("workspace_id")?,
                        expires_at: row.try_get("expires_at")?,
                    })
                })();
                session.map(Some).map_err(classify)
            }

            async fn contact(&self, workspace_id: Uuid, contact_id: Uuid) -> StoreResult<Option<Contact>> {
                scoped(self.reader(), CONTACT_COLS, "contacts", contact_id, workspace_id, contact_from_row).await
            }

            async fn create_conversation(
                &self,
                workspace_id: Uuid,
                inbox_id: Uuid,
                contact_id: Uuid,
            ) -> StoreResult<Conversation> {
                let now = self.now();
                let conversation = Conversation {
                    id: Uuid::now_v7(),
                    workspace_id,
                    inbox_id,
                    contact_id,
                    status: ConversationStatus::Open,
                    assignee_id: None,
                    team_id: None,
                    priority: Default::default(),
                    labels: Vec::new(),
                    snoozed_until: None,
                    waiting_since: None,
                    queued_at: None,
                    assigned_at: None,
                    last_seq: 0,
                    receipts: Receipts::default(),
                    created_at: now,
                    updated_at: now,
                };
                // The contact and the inbox must belong to this workspace. (A contact may chat
                // in any inbox of its workspace, e.g. after a verified identify.)
                let done = sqlx::query(
                    "INSERT INTO conversations (id, workspace_id, inbox_id, contact_id, status, last_seq, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, 0, $6, $6 FROM contacts \
                     WHERE id = $4 AND workspace_id = $2 \
                     AND EXISTS (SELECT 1 FROM inboxes i WHERE i.id = $3 AND i.workspace_id = $2)",
                )
                .bind(conversation.id)
                .bind(workspace_id)
                .bind(inbox_id)
                .bind(contact_id)
                .bind(codec::status_str(conversation.status))
                .bind(now)
                .execute(self.writer())
                .await
                .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(conversation)
            }

            async fn conversation(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<Option<Conversation>> {
                scoped(self.reader(), CONVERSATION_COLS, "conversations", id, workspace_id, conversation_from_row).await
            }

            async fn list_conversations(&self, filter: &ConversationFilter) -> StoreResult<Vec<Conversation>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {CONVERSATION_COLS} FROM conversations WHERE workspace_id = "
                ));
                q.push_bind(filter.workspace_id);
                if let Some(contact) = filter.contact_id {
                    q.push(" AND contact_id = ").push_bind(contact);
                }
                if let Some(inbox) = filter.inbox_id {
                    q.push(" AND inbox_id = ").push_bind(inbox);
                }
                if let Some(status) = filter.status {
                    q.push(" AND status = ").push_bind(codec::status_str(status));
                }
                if let Some(before) = filter.updated_before {
                    q.push(" AND updated_at < ").push_bind(before);
                }
                q.push(" ORDER BY updated_at DESC, id DESC LIMIT ").push_bind(i64::from(filter.limit));
                let rows = q.build().fetch_all(self.reader()).await.map_err(classify)?;
                rows.iter().map(conversation_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn append_message(&self, new: NewMessageRecord) -> StoreResult<Appended> {
                self.append(new).await
            }

            async fn update_inbox(&self, workspace_id: Uuid, inbox_id: Uuid, changes: InboxChanges) -> StoreResult<Inbox> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                let mut inbox = scoped(&mut *tx, INBOX_COLS, "inboxes", inbox_id, workspace_id, inbox_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if let Some(name) = changes.name {
                    inbox.name = name.as_str().to_owned();
                }
                if let Some(origins) = changes.allowed_origins {
                    inbox.allowed_origins = origins.iter().map(|o| o.as_str().to_owned()).collect();
                }
                if let Some(settings) = changes.settings {
                    inbox.settings = settings;
                }
                sqlx::query("UPDATE inboxes SET name = $1, allowed_origins = $2, settings = $3 WHERE id = $4")
                    .bind(&inbox.name)
                    .bind(codec::origins_to_json(&inbox.allowed_origins))
                    .bind(codec::json_to(&inbox.settings))
                    .bind(inbox_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                if let Some(secret) = changes.identity_secret {
                    inbox.identity_verification = secret.is_some();
                    sqlx::query("UPDATE inboxes SET identity_secret = $1 WHERE id = $2")
                        .bind(secret)
                        .bind(inbox_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(classify)?;
                }
                tx.commit().await.map_err(classify)?;
                Ok(inbox)
            }

            async fn inbox_identity_secret(&self, inbox_id: Uuid) -> StoreResult<Option<String>> {
                let row = sqlx::query("SELECT identity_secret FROM inboxes WHERE id = $1")
                    .bind(inbox_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                match row {
                    Some(row) => row.try_get::<Option<String>, _>(0).map_err(classify),
                    None => Ok(None),
                }
            }

            async fn update_contact(&self, workspace_id: Uuid, contact_id: Uuid, changes: ContactChanges) -> StoreResult<Contact> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                let mut contact = scoped(&mut *tx, CONTACT_COLS, "contacts", contact_id, workspace_id, contact_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if let Some(v) = changes.name {
                    contact.name = Some(v);
                }
                if let Some(v) = changes.email {
                    contact.email = Some(v);
                }
                if let Some(v) = changes.external_id {
                    contact.external_id = Some(v);
                }
                if let Some(v) = changes.verified {
                    contact.verified = v;
                }
                if let Some(v) = changes.attributes {
                    contact.attributes = v;
                }
                sqlx::query(
                    "UPDATE contacts SET name = $1, email = $2, external_id = $3, verified = $4, attributes = $5 WHERE id = $6",
                )
                .bind(&contact.name)
                .bind(&contact.email)
                .bind(&contact.external_id)
                .bind(contact.verified)
                .bind(codec::json_to(&contact.attributes))
                .bind(contact_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| match classify(e) {
                    StoreError::Conflict(_) => StoreError::Conflict("another contact has this external id"),
                    other => other,
                })?;
                tx.commit().await.map_err(classify)?;
                Ok(contact)
            }

            async fn contact_by_external_id(&self, workspace_id: Uuid, external_id: &str) -> StoreResult<Option<Contact>> {
                let sql = format!("SELECT {CONTACT_COLS} FROM contacts WHERE workspace_id = $1 AND external_id = $2");
                let row = sqlx::query(&sql)
                    .bind(workspace_id)
                    .bind(external_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                row.as_ref().map(contact_from_row).transpose().map_err(classify)
            }

            async fn create_visitor_session(&self, contact: &Contact, token_hash: &[u8], expires_at: i64) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO visitor_sessions (token_hash, contact_id, inbox_id, workspace_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token_hash)
                .bind(contact.id)
                .bind(contact.inbox_id)
                .bind(contact.workspace_id)
                .bind(self.now())
                .bind(expires_at)
                .execute(self.writer())
                .await
                .map_err(classify)?;
                Ok(())
            }

            async fn add_page_view(&self, view: &PageView) -> StoreResult<()> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                sqlx::query("INSERT INTO page_views (contact_id, viewed_at, url, title, referrer) VALUES ($1, $2, $3, $4, $5)")
                    .bind(view.contact_id)
                    .bind(view.viewed_at)
                    .bind(&view.url)
                    .bind(&view.title)
                    .bind(&view.referrer)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                sqlx::query(
                    "DELETE FROM page_views WHERE contact_id = $1 AND id NOT IN \
                     (SELECT id FROM page_views WHERE contact_id = $1 ORDER BY viewed_at DESC, id DESC LIMIT 100)",
                )
                .bind(view.contact_id)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
                tx.commit().await.map_err(classify)
            }

            async fn page_views(&self, contact_id: Uuid, limit: u32) -> StoreResult<Vec<PageView>> {
                let rows = sqlx::query(
                    "SELECT contact_id, viewed_at, url, title, referrer FROM page_views WHERE contact_id = $1 \
                     ORDER BY viewed_at DESC, id DESC LIMIT $2",
                )
                .bind(contact_id)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await
                .map_err(classify)?;
                rows.iter()
                    .map(|row| -> Result<PageView, sqlx::Error> {
                        Ok(PageView {
                            contact_id: row.try_get("contact_id")?,
                            url: row.try_get("url")?,
                            title: row.try_get("title")?,
                            referrer: row.try_get("referrer")?,
                            viewed_at: row.try_get("viewed_at")?,
                        })
                    })
                    .collect::<Result<_, _>>()
                    .map_err(classify)
            }

            async fn update_conversation(
                &self,
                workspace_id: Uuid,
                id: Uuid,
                status: Option<ConversationStatus>,
                assignee_id: Option<Option<Uuid>>,
            ) -> StoreResult<Conversation> {
                let mut tx = self.writer().begin_with(<$db as $crate::WriteTx>::BEGIN).await.map_err(classify)?;
                if let Some(status) = status {
                    sqlx::query("UPDATE conversations SET status = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4")
                        .bind(codec::status_str(status))
                        .bind(self.now())
                        .bind(id)
                        .bind(workspace_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(classify)?;
                }
                if let Some(assignee) = assignee_id {
                    // The assignee must be an agent of the same workspace.
                    let done = sqlx::query(
                        "UPDATE conversations SET assignee_id = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4 \
                         AND ($1 IS NULL OR EXISTS (SELECT 1 FROM agents a WHERE a.id = $1 AND a.workspace_id = $4))",
                    )
                    .bind(assignee)
                    .bind(self.now())
                    .bind(id)
                    .bind(workspace_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                }
                let conversation = scoped(&mut *tx, CONVERSATION_COLS, "conversations", id, workspace_id, conversation_from_row)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                tx.commit().await.map_err(classify)?;
                Ok(conversation)
            }

            async fn record_receipt(
                &self,
                conversation_id: Uuid,
                side: Side,
                status: ReceiptStatus,
                seq: i64,
            ) -> StoreResult<Option<Receipts>> {
                let column = match (side, status) {
                    (Side::Agent, ReceiptStatus::Delivered) => "agent_delivered",
                    (Side::Agent, ReceiptStatus::Read) => "agent_read",
                    (Side::Contact, ReceiptStatus::Delivered) => "contact_delivered",
                    (Side::Contact, ReceiptStatus::Read) => "contact_read",
                };
                // Reading implies having received.
                let also = match (side, status) {
                    (Side::Agent, ReceiptStatus::Read) => ", agent_delivered = CASE WHEN agent_delivered < $1 THEN $1 ELSE agent_delivered END",
                    (Side::Contact, ReceiptStatus::Read) => ", contact_delivered = CASE WHEN contact_delivered < $1 THEN $1 ELSE contact_delivered END",
                    _ => "",
                };
                let sql = format!(
                    "UPDATE conversations SET {column} = $1{also} WHERE id = $2 AND {column} < $1 AND $1 <= last_seq \
                     RETURNING agent_delivered, agent_read, contact_delivered, contact_read"
                );
                let row = sqlx::query(&sql)
                    .bind(seq)
                    .bind(conversation_id)
                    .fetch_optional(self.writer())
                    .await
                    .map_err(classify)?;
                let Some(row) = row else { return Ok(None) };
                let receipts = (|| -> Result<Receipts, sqlx::Error> {
                    Ok(Receipts {
                        agent_delivered: row.try_get(0)?,
                        agent_read: row.try_get(1)?,
                        contact_delivered: row.try_get(2)?,
                        contact_read: row.try_get(3)?,
                    })
                })();
                receipts.map(Some).map_err(classify)
            }

            async fn create_attachment(&self, new: NewAttachment) -> StoreResult<AttachmentRecord> {
                let record = AttachmentRecord {
                    attachment: Attachment {
                        id: Uuid::now_v7(),
                        name: new.name,
                        content_type: new.content_type,
                        size: new.data.len() as i64,
                    },
                    conversation_id: new.conversation_id,
                    uploader_kind: new.uploader_kind,
                    uploader_id: new.uploader_id,
                    visible_to_contact: false,
                };
                let done = sqlx::query(
                    "INSERT INTO attachments (id, workspace_id, conversation_id, uploader_kind, uploader_id, name, content_type, size, data, created_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM conversations WHERE id = $3 AND workspace_id = $2",
                )
                .bind(record.attachment.id)
                .bind(new.workspace_id)
                .bind(new.conversation_id)
                .bind(codec::author_kind_str(new.uploader_kind))
                .bind(new.uploader_id)
                .bind(&record.attachment.name)
                .bind(&record.attachment.content_type)
                .bind(record.attachment.size)
                .bind(&new.data)
                .bind(self.now())
                .execute(self.writer())
                .await
                .map_err(classify)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(record)
            }

            async fn attachment(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<Option<AttachmentRecord>> {
                scoped(self.reader(), ATTACHMENT_COLS, "attachments", id, workspace_id, attachment_from_row).await
            }

            async fn attachment_data(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<Option<Vec<u8>>> {
                let row = sqlx::query("SELECT data FROM attachments WHERE id = $1 AND workspace_id = $2")
                    .bind(id)
                    .bind(workspace_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(classify)?;
                match row {
                    Some(row) => row.try_get::<Vec<u8>, _>(0).map(Some).map_err(classify),
                    None => Ok(None),
                }
            }

            async fn messages_after(
                &self,
                conversation_id: Uuid,
                after_seq: i64,
                limit: u32,
                audience: Audience,
            ) -> StoreResult<Vec<Message>> {
                let sql = format!(
                    "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 AND seq > $2 \
                     AND kind IN {} ORDER BY seq ASC LIMIT $3",
                    kinds_for(audience)
                );
                let rows = sqlx::query(&sql)
                    .bind(conversation_id)
                    .bind(after_seq)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await
                    .map_err(classify)?;
                rows.iter().map(message_from_row).collect::<Result<_, _>>().map_err(classify)
            }

            async fn messages_before(
                &self,
                conversation_id: Uuid,
                before_seq: i64,
                limit: u32,
                audience: Audience,
            ) -> StoreResult<Vec<Message>> {
                let sql = format!(
                    "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 AND seq < $2 \
                     AND kind IN {} ORDER BY seq DESC LIMIT $3",
                    kinds_for(audience)
                );
                let rows = sqlx::query(&sql)
                    .bind(conversation_id)
                    .bind(before_seq)
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await
                    .map_err(classify)?;
                let mut messages: Vec<Message> =
                    rows.iter().map(message_from_row).collect::<Result<_, _>>().map_err(classify)?;
                messages.reverse();
                Ok(messages)
            }
        }
    };
}

pub(crate) use impl_store;
