//! The storage port. One implementation per backend lives in `livedesk-store`; both pass
//! the same conformance suite. Every query that reads tenant data names its workspace.

use async_trait::async_trait;
use livedesk_protocol::model::{
    Agent, Author, Contact, Conversation, ConversationStatus, Inbox, Message, MessageKind, Millis,
    Role,
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
}

/// The outcome of an append: the stored message, and whether it was stored before
/// under the same `(conversation, author, client_msg_id)`.
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    pub duplicate: bool,
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
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
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

    async fn create_inbox(
        &self,
        workspace_id: Uuid,
        name: &DisplayName,
        allowed_origins: &[WebOrigin],
    ) -> StoreResult<Inbox>;
    /// Looks an inbox up by its public id alone (the widget knows nothing else).
    async fn inbox(&self, inbox_id: Uuid) -> StoreResult<Option<Inbox>>;
    async fn list_inboxes(&self, workspace_id: Uuid) -> StoreResult<Vec<Inbox>>;

    /// Creates an anonymous contact in `inbox` and a visitor session for it.
    async fn create_visitor(
        &self,
        inbox: &Inbox,
        token_hash: &[u8],
        expires_at: Millis,
    ) -> StoreResult<Contact>;
    async fn visitor_session(
        &self,
        token_hash: &[u8],
        now: Millis,
    ) -> StoreResult<Option<VisitorSession>>;
    async fn contact(&self, workspace_id: Uuid, contact_id: Uuid) -> StoreResult<Option<Contact>>;

    async fn create_conversation(
        &self,
        workspace_id: Uuid,
        inbox_id: Uuid,
        contact_id: Uuid,
    ) -> StoreResult<Conversation>;
    async fn conversation(&self, workspace_id: Uuid, id: Uuid)
        -> StoreResult<Option<Conversation>>;
    /// Newest activity first.
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>>;

    /// Stores a message with the conversation's next `seq`, in one transaction, unless one with
    /// the same `(conversation, author, client_msg_id)` exists: then returns that one.
    /// `NotFound` when the conversation is not in the workspace.
    async fn append_message(&self, new: NewMessageRecord) -> StoreResult<Appended>;
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
