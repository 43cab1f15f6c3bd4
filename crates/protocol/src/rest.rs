//! Bodies of the `/api/v1` REST calls. Requests reject unknown fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::frames::SendKind;
use crate::model::{
    Agent, Conversation, Message, Millis, Role, VisitorConversation, VisitorMessage,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A new agent session. `token` is the bearer token for API clients; the console uses the
/// HttpOnly cookie set by the same response instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: Millis,
    pub agent: Agent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// First-run setup: creates the first workspace and its admin. Needs the one-time token the
/// server prints at start while no agent exists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub workspace_name: String,
    pub email: String,
    pub name: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInbox {
    pub name: String,
    /// Origins (`scheme://host[:port]`) whose pages may embed the widget.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

/// Start (or continue) a visitor session on an inbox. Sending back a still-valid
/// `visitor_token` of the same inbox continues that visitor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWidgetSession {
    pub inbox_id: Uuid,
    #[serde(default)]
    pub visitor_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WidgetSession {
    pub visitor_token: String,
    pub contact_id: Uuid,
    pub inbox_id: Uuid,
    pub expires_at: Millis,
}

/// Create a conversation. A visitor leaves both ids out (its token names them); an agent names
/// the inbox and the contact.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    #[serde(default)]
    pub inbox_id: Option<Uuid>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub client_msg_id: String,
    pub body: String,
    #[serde(default)]
    pub kind: SendKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub last_seq: i64,
    /// More messages exist in the asked direction beyond this page.
    pub has_more: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorMessagePage {
    pub messages: Vec<VisitorMessage>,
    pub last_seq: i64,
    pub has_more: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    /// Pass as `before` to get the next (older) page.
    pub next_before: Option<Millis>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorConversationList {
    pub conversations: Vec<VisitorConversation>,
}
