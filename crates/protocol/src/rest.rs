//! Bodies of the `/api/v1` REST calls. Requests reject unknown fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::frames::SendKind;
use crate::model::{
    Agent, AgentEntry, AgentStatus, CannedResponse, Contact, Conversation, ConversationStatus,
    Label, LiveVisitor, Message, Millis, PageView, PrechatField, Priority, Role, RoutingPolicy,
    RoutingSettings, Team, VisitorConversation, VisitorMessage, WidgetPosition,
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
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub inbox_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub team_ids: Option<Vec<Uuid>>,
}

/// Admin changes to an agent; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub capacity: Option<u32>,
    pub inbox_ids: Option<Vec<Uuid>>,
    pub team_ids: Option<Vec<Uuid>>,
    /// `false` deactivates the agent (offboarding), `true` reactivates them.
    pub active: Option<bool>,
}

/// The answer to ending another agent's sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub sessions_ended: u64,
}

/// An agent's changes to themselves.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub status: Option<AgentStatus>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentList {
    pub agents: Vec<AgentEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub member_ids: Option<Vec<Uuid>>,
    /// `null` follows the inbox's policy.
    #[serde(default, with = "double_option")]
    pub policy: Option<Option<RoutingPolicy>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamList {
    pub teams: Vec<Team>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResponseBody {
    pub shortcut: String,
    #[serde(default)]
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CannedResponseList {
    pub canned_responses: Vec<CannedResponse>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLabel {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelList {
    pub labels: Vec<Label>,
}

/// Hand a conversation to an agent or a team, with an optional private note.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub agent_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub note: Option<String>,
}

/// Everything the console shows about a contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactDetail {
    pub contact: Contact,
    /// Newest first.
    pub pages: Vec<PageView>,
    /// Newest activity first.
    pub conversations: Vec<Conversation>,
    /// The browser's `User-Agent`, as the widget last reported it.
    pub user_agent: Option<String>,
    /// The visitor's IANA time zone (e.g. `Europe/Berlin`), as the widget last reported it.
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveVisitorList {
    pub visitors: Vec<LiveVisitor>,
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
    /// The origin of the page embedding the widget, as the widget frame sees it.
    #[serde(default)]
    pub host_origin: Option<String>,
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
    /// Agents only: assign at once (a proactive chat started by the agent).
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub client_msg_id: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub kind: SendKind,
    #[serde(default)]
    pub attachment_id: Option<Uuid>,
    /// Notes only: agents to notify; each must be able to see the conversation.
    #[serde(default)]
    pub mentions: Vec<Uuid>,
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
    /// The contacts of the conversations on this page.
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorConversationList {
    pub conversations: Vec<VisitorConversation>,
}

/// Changes to an inbox; absent fields stay as they are. `identity_secret: ""` turns identity
/// verification off.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInbox {
    pub name: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub color: Option<String>,
    pub position: Option<WidgetPosition>,
    pub greeting: Option<String>,
    pub away_message: Option<String>,
    pub prechat_fields: Option<Vec<PrechatField>>,
    pub identity_secret: Option<String>,
    /// Agents who work this inbox, replacing the list.
    pub member_ids: Option<Vec<Uuid>>,
    pub routing: Option<RoutingSettings>,
}

/// What the widget needs before a visitor session exists. Public.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WidgetConfig {
    pub inbox_id: Uuid,
    pub name: String,
    pub color: String,
    pub position: WidgetPosition,
    pub greeting: Option<String>,
    pub away_message: Option<String>,
    pub prechat_fields: Vec<PrechatField>,
    pub agents_online: bool,
    pub identity_verification: bool,
    pub max_attachment_bytes: u64,
    pub attachment_types: Vec<String>,
}

/// A visitor's own changes to their contact: unverified name, e-mail and attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// `true` blocks the contact: their visitor sessions end (open sockets close with 4003)
    /// and a verified identify as them is refused; `false` lifts the block.
    pub blocked: Option<bool>,
}

/// The contact as its visitor sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorContact {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub verified: bool,
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifyRequest {
    /// HS256 JWT signed with the inbox's identity secret: `sub` (the customer's user id),
    /// optional `name` and `email`, and `exp`.
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentifyResponse {
    pub contact_id: Uuid,
    /// Use this token from now on: it may name another contact (the person's existing one).
    pub visitor_token: String,
    pub verified: bool,
}

/// Agent changes to a conversation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    pub status: Option<ConversationStatus>,
    /// `null` unassigns; absent leaves the assignee.
    #[serde(default, with = "double_option")]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, with = "double_option")]
    pub team_id: Option<Option<Uuid>>,
    pub priority: Option<Priority>,
    pub labels: Option<Vec<String>>,
    /// Required with status `snoozed`.
    pub snoozed_until: Option<Millis>,
}

mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
