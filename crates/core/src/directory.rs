//! The storage port for how a support team is organised and works its conversations:
//! agents' status and capacity, inbox and team membership, conversation triage (team,
//! priority, labels, snooze), saved replies and labels. Part of every [`Store`](crate::store::Store).

use async_trait::async_trait;
use livedesk_protocol::model::{
    Agent, AgentEntry, AgentRef, AgentStatus, CannedResponse, Contact, Conversation,
    ConversationStatus, Label, Millis, Priority, Role, RoutingPolicy, RoutingSettings, Team,
};
use uuid::Uuid;

use crate::routing::RouteOutcome;

/// A conversation to open, with what was decided before it is stored.
#[derive(Debug, Clone, Copy)]
pub struct NewConversationRecord {
    pub workspace_id: Uuid,
    pub inbox_id: Uuid,
    pub contact_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
}
use crate::store::StoreResult;
use crate::values::{DisplayName, MessageBody};

/// Admin changes to an agent; `None` leaves a field as it is. Lists replace the whole set.
#[derive(Debug, Clone, Default)]
pub struct AgentChanges {
    pub name: Option<DisplayName>,
    pub role: Option<Role>,
    pub capacity: Option<u32>,
    pub inbox_ids: Option<Vec<Uuid>>,
    pub team_ids: Option<Vec<Uuid>>,
}

/// Conversation changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConversationChanges {
    pub status: Option<ConversationStatus>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<Uuid>>,
    /// `Some(None)` takes the conversation off its team.
    pub team_id: Option<Option<Uuid>>,
    pub priority: Option<Priority>,
    pub labels: Option<Vec<String>>,
    /// Set together with status `snoozed`; cleared by any other status.
    pub snoozed_until: Option<Millis>,
}

/// Why a conversation changes; decides its timeline lines.
#[derive(Debug, Clone)]
pub enum ChangeCause {
    /// An agent's update: a line per field that changed (`timeline::changes`).
    Update,
    /// A transfer to the agent or team the changes name, with the transferring agent's
    /// note, stored as their private note after the line.
    Transfer { note: Option<MessageBody> },
}

/// An agent's change to a conversation, applied in one transaction with its timeline lines
/// and, when it leaves the conversation open without an agent, its routing.
#[derive(Debug, Clone)]
pub struct ConversationChange {
    pub workspace_id: Uuid,
    pub conversation_id: Uuid,
    pub changes: ConversationChanges,
    pub by: AgentRef,
    pub cause: ChangeCause,
    /// Applied only if the conversation's assignee is still this (the one the caller's
    /// permission was checked against); otherwise `Conflict`. `None`: whoever it is.
    pub if_assignee: Option<Option<Uuid>>,
    pub now: Millis,
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct Changed {
    pub before: Conversation,
    /// As committed: with the change, its lines and its routing.
    pub after: Conversation,
    /// Routing's outcome, when the change left the conversation open and unassigned.
    pub routed: Option<RouteOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    #[default]
    Any,
    Unassigned,
    Agent(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConversationSort {
    /// Newest activity first.
    #[default]
    Activity,
    /// Longest waiting for an agent's reply first; conversations nobody waits on last.
    Waiting,
    /// The queue, in the order it is served (priority, then time queued); only queued
    /// conversations (open, unassigned, `queued_at` set).
    Queue,
}

/// The console's conversation list query.
#[derive(Debug, Clone, Default)]
pub struct ConversationQuery {
    pub workspace_id: Uuid,
    /// Only these inboxes; `None` for all of the workspace.
    pub inbox_ids: Option<Vec<Uuid>>,
    pub status: Option<ConversationStatus>,
    pub assignee: AssigneeFilter,
    pub team_id: Option<Uuid>,
    pub label: Option<String>,
    pub sort: ConversationSort,
    /// Paging by activity: only conversations updated strictly before this time.
    pub updated_before: Option<Millis>,
    pub limit: u32,
}

#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// Every agent of the workspace with memberships and open conversation counts
    /// (`connected` is left `false`: the server knows who has a socket).
    async fn agent_entries(&self, workspace_id: Uuid) -> StoreResult<Vec<AgentEntry>>;
    async fn agent_entry(
        &self,
        workspace_id: Uuid,
        agent_id: Uuid,
    ) -> StoreResult<Option<AgentEntry>>;
    /// `NotFound` when the agent, or any inbox or team named, is not of the workspace.
    async fn update_agent(
        &self,
        workspace_id: Uuid,
        agent_id: Uuid,
        changes: AgentChanges,
    ) -> StoreResult<AgentEntry>;
    async fn set_agent_status(&self, agent_id: Uuid, status: AgentStatus) -> StoreResult<Agent>;
    /// Agents of every workspace who are not offline (checked at start-up: nobody is connected
    /// to a node that just started).
    async fn present_agents(&self) -> StoreResult<Vec<Agent>>;
    async fn agent_inbox_ids(&self, agent_id: Uuid) -> StoreResult<Vec<Uuid>>;
    /// Replaces the inbox's members; `NotFound` when one is not an agent of the workspace.
    async fn set_inbox_members(
        &self,
        workspace_id: Uuid,
        inbox_id: Uuid,
        member_ids: &[Uuid],
    ) -> StoreResult<()>;
    async fn inbox_member_ids(&self, inbox_id: Uuid) -> StoreResult<Vec<Uuid>>;

    /// `Conflict` when the workspace has a team of that name.
    async fn create_team(
        &self,
        workspace_id: Uuid,
        name: &DisplayName,
        member_ids: &[Uuid],
    ) -> StoreResult<Team>;
    /// `policy: Some(None)` makes the team follow its inbox's policy.
    async fn update_team(
        &self,
        workspace_id: Uuid,
        team_id: Uuid,
        name: Option<&DisplayName>,
        member_ids: Option<&[Uuid]>,
        policy: Option<Option<RoutingPolicy>>,
    ) -> StoreResult<Team>;
    /// Conversations of the team stay, without a team.
    async fn delete_team(&self, workspace_id: Uuid, team_id: Uuid) -> StoreResult<()>;
    async fn team(&self, workspace_id: Uuid, team_id: Uuid) -> StoreResult<Option<Team>>;
    async fn list_teams(&self, workspace_id: Uuid) -> StoreResult<Vec<Team>>;

    /// Applies an agent's change in one transaction: the conversation's row locked and
    /// changed, its timeline lines written (as data, see `timeline`), and, if it is left open
    /// without an agent, routed. `NotFound` when the conversation, the assignee (an active
    /// agent) or the team is not of the workspace; `Conflict` when `if_assignee` no longer
    /// holds.
    async fn change_conversation(&self, change: ConversationChange) -> StoreResult<Changed>;
    async fn find_conversations(&self, query: &ConversationQuery)
        -> StoreResult<Vec<Conversation>>;
    /// Snoozed conversations whose time has come (500 at most a call), reopened, each in one
    /// transaction with its `status_changed` timeline line; returns them as they are now.
    async fn wake_snoozed(&self, now: Millis) -> StoreResult<Vec<Conversation>>;
    async fn contacts_by_ids(&self, workspace_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Contact>>;
    /// Records the browser (`User-Agent`) and time zone the widget last reported; `None`
    /// leaves a value as it is.
    async fn set_contact_device(
        &self,
        contact_id: Uuid,
        user_agent: Option<&str>,
        timezone: Option<&str>,
    ) -> StoreResult<()>;
    /// The browser and time zone last reported for the contact.
    async fn contact_device(
        &self,
        workspace_id: Uuid,
        contact_id: Uuid,
    ) -> StoreResult<(Option<String>, Option<String>)>;

    async fn set_inbox_routing(
        &self,
        workspace_id: Uuid,
        inbox_id: Uuid,
        routing: RoutingSettings,
    ) -> StoreResult<()>;
    /// Routes an open, unassigned conversation by its inbox's (or team's) policy, in one
    /// transaction that holds the candidates' rows: assigns it to the agent the policy picks
    /// among the eligible (members of the inbox and of its team, online, below capacity), or
    /// queues it. With `exclude`, the conversation may be assigned to that agent, and goes to
    /// someone else (a re-offer); if nobody else is eligible it stays, with its assignment
    /// time reset.
    async fn route(
        &self,
        workspace_id: Uuid,
        conversation_id: Uuid,
        exclude: Option<Uuid>,
        now: Millis,
    ) -> StoreResult<RouteOutcome>;
    /// Opens a conversation in one transaction: stored with its assignee (an active agent of
    /// the workspace) or team, and, without an assignee, routed as [`Self::route`] does. A
    /// crash leaves either nothing or a conversation that is assigned or queued. `NotFound`
    /// when the contact, inbox or assignee is not of the workspace. The routing outcome is
    /// `None` when an assignee was given.
    async fn open_conversation(
        &self,
        new: NewConversationRecord,
    ) -> StoreResult<(Conversation, Option<RouteOutcome>)>;
    /// Queued conversations (open, unassigned, `queued_at` set), in the order they are served:
    /// higher priority first, then oldest first.
    async fn queue(
        &self,
        workspace_id: Uuid,
        inbox_id: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>>;
    /// How long the inbox's last 20 queued conversations waited for an agent, on average.
    async fn average_wait(&self, inbox_id: Uuid) -> StoreResult<Option<i64>>;
    /// Unassigns the agent's open conversations that no agent has answered yet, back into the
    /// queue (keeping their place), each in one transaction with its `requeued`
    /// (`agent_offline`) timeline line; returns them as they are now.
    async fn return_unanswered(
        &self,
        workspace_id: Uuid,
        agent_id: Uuid,
    ) -> StoreResult<Vec<Conversation>>;
    /// Open assigned conversations with no agent text since they were assigned, in inboxes
    /// that re-offer, with those inboxes' settings.
    async fn unanswered_assignments(
        &self,
        limit: u32,
    ) -> StoreResult<Vec<(Conversation, RoutingSettings)>>;

    async fn list_canned_responses(&self, workspace_id: Uuid) -> StoreResult<Vec<CannedResponse>>;
    /// `Conflict` when the shortcut is taken in the workspace.
    async fn create_canned_response(
        &self,
        workspace_id: Uuid,
        shortcut: &str,
        title: &str,
        body: &str,
    ) -> StoreResult<CannedResponse>;
    async fn update_canned_response(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        shortcut: &str,
        title: &str,
        body: &str,
    ) -> StoreResult<CannedResponse>;
    async fn delete_canned_response(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<()>;

    async fn list_labels(&self, workspace_id: Uuid) -> StoreResult<Vec<Label>>;
    /// `Conflict` when the workspace has a label of that name.
    async fn create_label(&self, workspace_id: Uuid, name: &str, color: &str)
        -> StoreResult<Label>;
    async fn delete_label(&self, workspace_id: Uuid, id: Uuid) -> StoreResult<()>;
}
