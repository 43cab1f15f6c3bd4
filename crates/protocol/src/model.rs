//! Resources as clients see them. Visitors get their own, narrower types: a value of a
//! visitor type cannot hold a private note or another person's data, by construction.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Unix time in milliseconds.
pub type Millis = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    Open,
    Pending,
    Snoozed,
    Resolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Contact,
    Agent,
    Bot,
    System,
}

/// What a message is. `note` is a private note: agents only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Note,
    Event,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub kind: AuthorKind,
    /// Contact or agent id; absent for system messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A message as agents and API clients with an agent token see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub seq: i64,
    pub client_msg_id: Option<String>,
    pub author: Author,
    pub kind: MessageKind,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// What a timeline line (a system note) records, as data; its `body` is the same in
    /// words, for clients that show text only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<TimelineEvent>,
    pub created_at: Millis,
}

/// A line of a conversation's timeline (agents only: it is stored as a system note). `by` is
/// the agent who made the change; `None` where Livedesk did (routing, a snooze ending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// An agent took an unassigned conversation.
    Took {
        by: AgentRef,
    },
    /// An agent took a conversation assigned to someone else.
    TookOver {
        by: AgentRef,
    },
    /// Assigned to `to`, by an agent or (`by: None`) by routing.
    Assigned {
        by: Option<AgentRef>,
        to: AgentRef,
    },
    Unassigned {
        by: AgentRef,
    },
    /// Routing gave it to `to` because `from` did not answer in time.
    Reoffered {
        from: AgentRef,
        to: AgentRef,
    },
    /// Handed to an agent (`to`) or to a team (`team`).
    Transferred {
        by: AgentRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<AgentRef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<TeamRef>,
    },
    /// Moved to a team, or off its team (`team: None`).
    TeamChanged {
        by: AgentRef,
        team: Option<TeamRef>,
    },
    /// The status changed; `by: None` when a snooze ended.
    StatusChanged {
        by: Option<AgentRef>,
        status: ConversationStatus,
    },
    PriorityChanged {
        by: AgentRef,
        priority: Priority,
    },
    /// Back in the queue without an agent.
    Requeued {
        reason: RequeueReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequeueReason {
    AgentOffline,
    AgentDeactivated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRef {
    pub id: Uuid,
    pub name: String,
}

impl TimelineEvent {
    /// The line in words (English), stored as the note's body.
    pub fn describe(&self) -> String {
        fn status(s: ConversationStatus) -> &'static str {
            match s {
                ConversationStatus::Open => "reopened",
                ConversationStatus::Pending => "marked pending",
                ConversationStatus::Snoozed => "snoozed",
                ConversationStatus::Resolved => "resolved",
            }
        }
        fn priority(p: Priority) -> &'static str {
            match p {
                Priority::None => "none",
                Priority::Low => "low",
                Priority::Medium => "medium",
                Priority::High => "high",
                Priority::Urgent => "urgent",
            }
        }
        match self {
            Self::Took { by } => format!("{} took this conversation", by.name),
            Self::TookOver { by } => format!("{} took over this conversation", by.name),
            Self::Assigned { by: Some(by), to } => {
                format!("{} assigned this conversation to {}", by.name, to.name)
            }
            Self::Assigned { by: None, to } => format!("Assigned to {} by routing", to.name),
            Self::Unassigned { by } => format!("{} unassigned this conversation", by.name),
            Self::Reoffered { from, to } => format!(
                "Re-offered to {}: {} did not answer in time",
                to.name, from.name
            ),
            Self::Transferred { by, to, team } => match (to, team) {
                (Some(to), _) => {
                    format!("{} transferred this conversation to {}", by.name, to.name)
                }
                (None, Some(team)) => format!(
                    "{} transferred this conversation to team {}",
                    by.name, team.name
                ),
                (None, None) => format!("{} transferred this conversation", by.name),
            },
            Self::TeamChanged {
                by,
                team: Some(team),
            } => format!("{} moved this conversation to team {}", by.name, team.name),
            Self::TeamChanged { by, team: None } => {
                format!("{} took this conversation off its team", by.name)
            }
            Self::StatusChanged {
                by: Some(by),
                status: s,
            } => format!("{} {} this conversation", by.name, status(*s)),
            Self::StatusChanged {
                by: None,
                status: _,
            } => "Snooze ended: the conversation is open again".to_owned(),
            Self::PriorityChanged { by, priority: p } => {
                format!("{} set the priority to {}", by.name, priority(*p))
            }
            Self::Requeued { reason } => match reason {
                RequeueReason::AgentOffline => {
                    "Back in the queue: the assigned agent went offline".to_owned()
                }
                RequeueReason::AgentDeactivated => {
                    "Back in the queue: the assigned agent was deactivated".to_owned()
                }
            },
        }
    }
}

/// A file sent with a message. The bytes are at `GET /api/v1/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// The kinds a visitor may see. There is no `note` here, on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitorMessageKind {
    Text,
    Event,
}

/// The author as a visitor sees it: a kind and a display name, never an e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorAuthor {
    pub kind: AuthorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A message as a visitor sees it.
///
/// Visitor numbering is the conversation's `seq`, so a visitor sees gaps where private
/// notes sit; clients must treat `seq` as increasing, fetch missing ranges by
/// `after_seq`, and accept that a range may come back without some numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorMessage {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub seq: i64,
    /// Present on the visitor's own messages, so an outbox can match its acks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    pub author: VisitorAuthor,
    pub kind: VisitorMessageKind,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    pub created_at: Millis,
}

impl VisitorMessage {
    /// The visitor's view of `message`, or `None` when a visitor must not see it.
    pub fn from_message(message: &Message) -> Option<Self> {
        let kind = match message.kind {
            MessageKind::Text => VisitorMessageKind::Text,
            MessageKind::Event => VisitorMessageKind::Event,
            MessageKind::Note => return None,
        };
        let own = message.author.kind == AuthorKind::Contact;
        Some(Self {
            id: message.id,
            conversation_id: message.conversation_id,
            seq: message.seq,
            client_msg_id: if own {
                message.client_msg_id.clone()
            } else {
                None
            },
            author: VisitorAuthor {
                kind: message.author.kind,
                name: message.author.name.clone(),
            },
            kind,
            body: message.body.clone(),
            attachment: message.attachment.clone(),
            created_at: message.created_at,
        })
    }
}

/// A conversation as agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub inbox_id: Uuid,
    pub contact_id: Uuid,
    pub status: ConversationStatus,
    pub assignee_id: Option<Uuid>,
    /// The team the conversation is routed to, if any.
    #[serde(default)]
    pub team_id: Option<Uuid>,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub labels: Vec<String>,
    /// With status `snoozed`: when it reopens by itself.
    #[serde(default)]
    pub snoozed_until: Option<Millis>,
    /// When the oldest contact message no agent has answered yet was sent; `None` when every
    /// contact message has an agent reply after it.
    #[serde(default)]
    pub waiting_since: Option<Millis>,
    /// When it entered the queue (nobody eligible, or manual routing); it is in the queue
    /// while also open and unassigned.
    #[serde(default)]
    pub queued_at: Option<Millis>,
    /// When it was last assigned.
    #[serde(default)]
    pub assigned_at: Option<Millis>,
    pub last_seq: i64,
    /// Highest seq the agents' side / the contact's side has received and read.
    #[serde(default)]
    pub receipts: Receipts,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipts {
    pub agent_delivered: i64,
    pub agent_read: i64,
    pub contact_delivered: i64,
    pub contact_read: i64,
}

/// Which side of a conversation a receipt is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Agent,
    Contact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Delivered,
    Read,
}

/// A conversation as its visitor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorConversation {
    pub id: Uuid,
    pub inbox_id: Uuid,
    pub status: ConversationStatus,
    pub last_seq: i64,
    /// How far the agents' side has received and read.
    pub agent_delivered: i64,
    pub agent_read: i64,
    pub created_at: Millis,
}

impl From<&Conversation> for VisitorConversation {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id,
            inbox_id: c.inbox_id,
            status: c.status,
            last_seq: c.last_seq,
            agent_delivered: c.receipts.agent_delivered,
            agent_read: c.receipts.agent_read,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// What the agent set: online, away or offline.
    #[serde(default)]
    pub status: AgentStatus,
    /// How many open conversations the agent takes at once.
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    /// `false` once an admin deactivated the agent: they cannot sign in, and their history
    /// stays attributed to them.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

fn default_capacity() -> u32 {
    5
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Online,
    Away,
    #[default]
    Offline,
}

/// An agent as teammates see them in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentEntry {
    #[serde(flatten)]
    pub agent: Agent,
    pub inbox_ids: Vec<Uuid>,
    pub team_ids: Vec<Uuid>,
    /// Has a console socket open now.
    pub connected: bool,
    /// Open conversations assigned to the agent.
    pub open_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub member_ids: Vec<Uuid>,
    /// How the team's conversations are routed; `None` follows the inbox.
    #[serde(default)]
    pub policy: Option<RoutingPolicy>,
    pub created_at: Millis,
}

/// Who gets a new conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingPolicy {
    /// Conversations wait in a queue every eligible agent sees; the first to take one gets it.
    #[default]
    Manual,
    /// The eligible agent assigned least recently.
    RoundRobin,
    /// The eligible agent with the fewest open conversations, ties to the one idle longest.
    LeastBusy,
}

/// An inbox's routing rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    pub policy: RoutingPolicy,
    /// Offer an assigned conversation to the next eligible agent when the first has not
    /// answered within this many seconds; 0 turns re-offering off.
    pub reoffer_secs: u32,
    /// When re-offering, also set the agent who did not answer to away.
    pub reoffer_marks_away: bool,
    /// A new conversation goes to the team of the first rule its contact matches (e.g. the
    /// pre-chat form's "topic" answered "Billing").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub team_rules: Vec<TeamRule>,
}

/// Routes a new conversation to `team_id` when the contact's `attribute` (a pre-chat field,
/// or `name` / `email`) equals `equals`, ignoring case and surrounding white space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRule {
    pub attribute: String,
    pub equals: String,
    pub team_id: Uuid,
}

impl RoutingSettings {
    /// The team of the first rule `contact` matches.
    pub fn team_for(&self, contact: &Contact) -> Option<Uuid> {
        let norm = |s: &str| s.trim().to_lowercase();
        self.team_rules.iter().find_map(|rule| {
            let value = match rule.attribute.as_str() {
                "name" => contact.name.clone(),
                "email" => contact.email.clone(),
                key => contact.attributes.get(key).map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            }?;
            (norm(&value) == norm(&rule.equals)).then_some(rule.team_id)
        })
    }
}

/// A saved reply; `body` may hold `{{contact.name}}`-style variables the console fills in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// A visitor with the widget open now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVisitor {
    pub contact_id: Uuid,
    pub inbox_id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub verified: bool,
    pub connected_at: Millis,
    /// The page the visitor is on, when the widget has said.
    pub page: Option<PageView>,
    /// The visitor's newest conversation that is not resolved.
    pub conversation_id: Option<Uuid>,
}

/// Something an agent should know about now (shown as a notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub conversation_id: Uuid,
    /// Who caused it; `None` for the system.
    pub by: Option<AgentRef>,
    pub text: String,
    pub at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Mention,
    Transfer,
    Assigned,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub settings: WidgetSettings,
    /// Whether identified visitors must present a JWT signed with the inbox secret.
    pub identity_verification: bool,
    /// Agents who work this inbox (admins and supervisors see every inbox regardless).
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
    #[serde(default)]
    pub routing: RoutingSettings,
    pub created_at: Millis,
}

/// How the widget of an inbox looks and greets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WidgetSettings {
    /// `#rrggbb`.
    pub color: String,
    pub position: WidgetPosition,
    pub greeting: Option<String>,
    pub away_message: Option<String>,
    pub prechat_fields: Vec<PrechatField>,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        Self {
            color: "#1f6feb".into(),
            position: WidgetPosition::Right,
            greeting: None,
            away_message: None,
            prechat_fields: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WidgetPosition {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrechatField {
    /// `name`, `email`, or a custom attribute key.
    pub key: String,
    pub label: String,
    pub kind: PrechatKind,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrechatKind {
    Text,
    Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub inbox_id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The customer's own id for this person, set by a verified identify.
    pub external_id: Option<String>,
    /// Whether name, e-mail and external id were vouched for by the customer's backend.
    pub verified: bool,
    /// Custom attributes: string keys to strings, numbers, booleans or null.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub created_at: Millis,
    /// Blocked from the console: their visitor sessions are ended and refused.
    #[serde(default)]
    pub blocked: bool,
}

/// Who a socket or request belongs to, as told to that client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    Agent { agent: Agent },
    Visitor { contact_id: Uuid, inbox_id: Uuid },
}

/// A page a visitor viewed, as reported by the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub contact_id: Uuid,
    pub url: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    pub viewed_at: Millis,
}
