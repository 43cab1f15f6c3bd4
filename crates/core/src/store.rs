//! The storage port. One implementation per backend lives in `livedesk-store`; both pass
//! the same conformance suite. Every query that reads tenant data names its workspace.

use async_trait::async_trait;
use livedesk_protocol::model::{
    Agent, Attachment, Author, AuthorKind, Contact, Conversation, ConversationStatus, Inbox,
    Message, MessageKind, Millis, PageView, ReceiptStatus, Receipts, Role, Side, TimelineEvent,
    WidgetSettings,
};
use uuid::Uuid;

use crate::values::{ClientMsgId, DisplayName, Email, MessageBody, WebOrigin};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. an agent e-mail taken).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A row the operation depends on does not exist (in this workspace).
    #[error("not found")]
    NotFound,
    /// The database could not be reached or timed out; retrying may work.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or a broken database. Logged, never shown to clients.
    #[error("database error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewAgentRecord {
    pub workspace_id: Uuid,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub password_hash: String,
}

/// An agent with the hash to check a password against.
#[derive(Debug, Clone)]
pub struct AgentCredentials {
    pub agent: Agent,
    pub password_hash: String,
}

/// A stored session: only the SHA-256 of the token is kept.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: Vec<u8>,
    pub agent_id: Uuid,
    pub created_at: Millis,
    pub expires_at: Millis,
}

#[derive(Debug, Clone)]
pub struct AgentSession {
    pub agent: Agent,
    pub expires_at: Millis,
}

/// A visitor's server-issued session, bound to one contact in one inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorSession {
    pub contact_id: Uuid,
    pub inbox_id: Uuid,
    pub workspace_id: Uuid,
    pub expires_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewMessageRecord {
    pub workspace_id: Uuid,
    pub conversation_id: Uuid,
    pub client_msg_id: ClientMsgId,
    pub author: Author,
    pub kind: MessageKind,
    pub body: MessageBody,
    /// Checked by the caller: uploaded to this conversation by this author.
    pub attachment: Option<Attachment>,
    /// Timeline lines only: what the line records, as data.
    pub event: Option<TimelineEvent>,
}

/// A conversation's `waiting_since` after a message by `author` of `kind` stored at `at`:
/// a contact message starts the wait (unless one is already waiting), an agent's reply (a
/// text, not a private note) ends it, anything else leaves it. Stores keep the column up to
/// date with every append, so reading a conversation never scans its messages.
pub fn waiting_after(
    waiting_since: Option<i64>,
    author: AuthorKind,
    kind: MessageKind,
    at: i64,
) -> Option<i64> {
    match (author, kind) {
        (AuthorKind::Contact, _) => waiting_since.or(Some(at)),
        (AuthorKind::Agent, MessageKind::Text) => None,
        _ => waiting_since,
    }
}

/// Inbox changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct InboxChanges {
    pub name: Option<DisplayName>,
    pub allowed_origins: Option<Vec<WebOrigin>>,
    pub settings: Option<WidgetSettings>,
    /// `Some(None)` removes the secret (identity verification off).
    pub identity_secret: Option<Option<String>>,
}

/// Contact changes; `None` leaves a field as it is. Attributes are replaced whole (the caller
/// merges).
#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub verified: Option<bool>,
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub workspace_id: Uuid,
    pub conversation_id: Uuid,
    pub uploader_kind: AuthorKind,
    pub uploader_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// An attachment's description and where it belongs; the bytes are read separately.
#[derive(Debug, Clone)]
pub struct AttachmentRecord {
    pub attachment: Attachment,
    pub conversation_id: Uuid,
    pub uploader_kind: AuthorKind,
    pub uploader_id: Uuid,
    /// Sent in a message the contact can see (not only in private notes).
    pub visible_to_contact: bool,
}

/// The outcome of an append: the stored message, and whether it was stored before
/// under the same `(conversation, author, client_msg_id)`.
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    pub duplicate: bool,
}

/// A message a transaction committed, with the keys fan-out routes it by.
#[derive(Debug, Clone)]
pub struct CommittedMessage {
    pub workspace_id: Uuid,
    pub inbox_id: Uuid,
    pub contact_id: Uuid,
    pub message: Message,
}

/// Told of every message the store commits, by the one task that committed it, right after
/// the commit and before any caller of the batch is answered: in commit order, which is seq
/// order within each conversation. This is how events leave in order by construction; no
/// caller publishes a message itself. It runs on the committing task, so it must not block.
pub trait CommitListener: Send + Sync + 'static {
    fn committed(&self, messages: &[CommittedMessage]);
}

#[derive(Debug, Clone)]
pub struct ConversationFilter {
    pub workspace_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub inbox_id: Option<Uuid>,
    pub status: Option<ConversationStatus>,
    /// Only conversations last updated strictly before this time (for paging).
    pub updated_before: Option<Millis>,
    pub limit: u32,
}

/// Which messages a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Agent,
    /// Excludes private notes in the query itself.
    Visitor,
}

#[async_trait]
pub trait Store: crate::directory::Directory + Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Sets who is told of committed messages (once; a second call is ignored). Until it is
    /// set, commits tell no one (command-line tools that write without serving).
    fn on_commit(&self, listener: std::sync::Arc<dyn CommitListener>);
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    async fn create_workspace(&self, name: &DisplayName) -> StoreResult<Workspace>;
    async fn count_agents(&self) -> StoreResult<i64>;
    /// Fails with `Conflict` when the e-mail is taken (across all workspaces).
    async fn create_agent(&self, new: NewAgentRecord) -> StoreResult<Agent>;
    async fn agent_credentials(&self, email: &Email) -> StoreResult<Option<AgentCredentials>>;
    async fn agent_credentials_by_id(
        &self,
        agent_id: Uuid,
    ) -> StoreResult<Option<AgentCredentials>>;
    /// Sets the hash and deletes every session of the agent, in one transaction.
    async fn set_password(&self, agent_id: Uuid, password_hash: &str) -> StoreResult<()>;

    async fn create_session(&self, new: NewSession) -> StoreResult<()>;
    /// The unexpired session with this token hash.
    async fn session(&self, token_hash: &[u8], now: Millis) -> StoreResult<Option<AgentSession>>;
    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;
    /// Deletes every session of the agent; returns how many there were.
    async fn delete_agent_sessions(&self, agent_id: Uuid) -> StoreResult<u64>;
    /// Blocks a contact (their visitor sessions are deleted, and sessions are refused while
    /// blocked) or lifts the block. `None` when the workspace has no such contact.
    async fn set_contact_blocked(
        &self,
        workspace_id: Uuid,
        contact_id: Uuid,
        blocked: bool,
    ) -> StoreResult<Option<Contact>>;
    /// Deactivates (`active = false`) or reactivates an agent of the workspace, in one
    /// transaction. Deactivating also sets them offline, ends every session of theirs and
    /// takes every conversation they hold that is not resolved off them (open ones back into
    /// the queue, keeping their place) with a `requeued` (`agent_deactivated`) timeline line
    /// each; those conversations are returned as they are now. Their messages and
    /// history stay theirs. `None` when the workspace has no such agent.
    async fn set_agent_active(
        &self,
        workspace_id: Uuid,
        agent_id: Uuid,
        active: bool,
    ) -> StoreResult<Option<(Agent, Vec<Conversation>)>>;

    async fn create_inbox(
        &self,
        workspace_id: Uuid,
        name: &DisplayName,
        allowed_origins: &[WebOrigin],
    ) -> StoreResult<Inbox>;
    async fn update_inbox(
        &self,
        workspace_id: Uuid,
        inbox_id: Uuid,
        changes: InboxChanges,
    ) -> StoreResult<Inbox>;
    /// The secret identify tokens of this inbox are signed with, if verification is on.
    async fn inbox_identity_secret(&self, inbox_id: Uuid) -> StoreResult<Option<String>>;
    /// Looks an inbox up by its public id alone (the widget knows nothing else).
    async fn inbox(&self, inbox_id: Uuid) -> StoreResult<Option<Inbox>>;
    async fn list_inboxes(&self, workspace_id: Uuid) -> StoreResult<Vec<Inbox>>;

    /// Creates an anonymous contact in `inbox`, with the browser it came with, and a visitor
    /// session for it, in one transaction.
    async fn create_visitor(
        &self,
        inbox: &Inbox,
        token_hash: &[u8],
        expires_at: Millis,
        user_agent: Option<&str>,
    ) -> StoreResult<Contact>;
    async fn visitor_session(
        &self,
        token_hash: &[u8],
        now: Millis,
    ) -> StoreResult<Option<VisitorSession>>;
    async fn contact(&self, workspace_id: Uuid, contact_id: Uuid) -> StoreResult<Option<Contact>>;
    /// `Conflict` when another contact of the workspace has the external id.
    async fn update_contact(
        &self,
        workspace_id: Uuid,
        contact_id: Uuid,
        changes: ContactChanges,
    ) -> StoreResult<Contact>;
    async fn contact_by_external_id(
        &self,
        workspace_id: Uuid,
        external_id: &str,
    ) -> StoreResult<Option<Contact>>;
    /// A further visitor session for an existing contact (after a verified identify).
    async fn create_visitor_session(
        &self,
        contact: &Contact,
        token_hash: &[u8],
        expires_at: Millis,
    ) -> StoreResult<()>;
    /// Appends to the contact's page history (the newest 100 are kept).
    async fn add_page_view(&self, view: &PageView) -> StoreResult<()>;
    /// Newest first.
    async fn page_views(&self, contact_id: Uuid, limit: u32) -> StoreResult<Vec<PageView>>;

    /// `NotFound` unless the inbox and the contact are of the workspace.
    async fn create_conversation(
        &self,
        workspace_id: Uuid,
        inbox_id: Uuid,
        contact_id: Uuid,
    ) -> StoreResult<Conversation>;
    async fn conversation(&self, workspace_id: Uuid, id: Uuid)
        -> StoreResult<Option<Conversation>>;
    async fn update_conversation(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        status: Option<ConversationStatus>,
        assignee_id: Option<Option<Uuid>>,
    ) -> StoreResult<Conversation>;
    /// Moves a side's delivered/read position forward to `seq` (never back, never past
    /// `last_seq`). Returns the receipts when something moved, `None` otherwise.
    async fn record_receipt(
        &self,
        conversation_id: Uuid,
        side: Side,
        status: ReceiptStatus,
        seq: i64,
    ) -> StoreResult<Option<Receipts>>;
    /// Newest activity first.
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>>;

    /// Stores a message with the conversation's next `seq`, in one transaction, unless one with
    /// the same `(conversation, author, client_msg_id)` exists: then returns that one.
    /// `NotFound` when the conversation is not in the workspace.
    async fn append_message(&self, new: NewMessageRecord) -> StoreResult<Appended>;
    async fn create_attachment(&self, new: NewAttachment) -> StoreResult<AttachmentRecord>;
    async fn attachment(
        &self,
        workspace_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<AttachmentRecord>>;
    async fn attachment_data(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<Option<Vec<u8>>>;
    /// Messages with `seq > after_seq`, ascending, at most `limit`. Takes no workspace: the
    /// caller has loaded the conversation through its workspace first.
    async fn messages_after(
        &self,
        conversation_id: Uuid,
        after_seq: i64,
        limit: u32,
        audience: Audience,
    ) -> StoreResult<Vec<Message>>;
    /// Messages with `seq < before_seq`, the newest `limit` of them, ascending.
    async fn messages_before(
        &self,
        conversation_id: Uuid,
        before_seq: i64,
        limit: u32,
        audience: Audience,
    ) -> StoreResult<Vec<Message>>;
}

#[cfg(test)]
mod tests {
    use super::waiting_after;
    use livedesk_protocol::model::{AuthorKind::*, MessageKind::*};

    #[test]
    fn a_contact_message_starts_the_wait_and_only_an_agent_text_ends_it() {
        assert_eq!(waiting_after(None, Contact, Text, 10), Some(10));
        // The oldest unanswered message counts.
        assert_eq!(waiting_after(Some(10), Contact, Text, 20), Some(10));
        assert_eq!(waiting_after(Some(10), Agent, Note, 30), Some(10));
        assert_eq!(waiting_after(Some(10), System, Note, 30), Some(10));
        assert_eq!(waiting_after(Some(10), Bot, Text, 30), Some(10));
        assert_eq!(waiting_after(Some(10), Agent, Text, 40), None);
        assert_eq!(waiting_after(None, Agent, Text, 40), None);
        assert_eq!(waiting_after(None, System, Event, 50), None);
    }
}
