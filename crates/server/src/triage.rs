//! Working a conversation: assigning, taking over, transferring, changing status, team,
//! priority and labels. Every change is checked against the agent's role, then applied by
//! the store in one transaction with its timeline lines (system notes holding the event as
//! data: agents see them in the conversation's history, visitors never do) and, when it
//! leaves the conversation open without an agent, its routing; then announced to every
//! console.

use livedesk_core::directory::{ChangeCause, Changed, ConversationChange, ConversationChanges};
use livedesk_core::store::NewMessageRecord;
use livedesk_core::values::{ClientMsgId, MessageBody};
use livedesk_protocol::model::{
    Agent, AgentRef, Author, AuthorKind, Conversation, ConversationStatus, MessageKind,
    Notification, NotificationKind, Role, TimelineEvent,
};
use livedesk_protocol::rest::{Transfer, UpdateConversation};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::routing;
use crate::state::SharedState;

const MAX_LABELS: usize = 20;

fn agent_ref(agent: &Agent) -> AgentRef {
    AgentRef {
        id: agent.id,
        name: agent.name.clone(),
    }
}

fn may_manage(agent: &Agent) -> bool {
    matches!(agent.role, Role::Admin | Role::Supervisor)
}

/// Agents may work conversations assigned to them, and take unassigned ones for themselves;
/// supervisors and admins may do anything, taking over included.
fn check_permission(
    agent: &Agent,
    c: &Conversation,
    new_assignee: Option<Option<Uuid>>,
) -> ApiResult<()> {
    if may_manage(agent) {
        return Ok(());
    }
    let mine = c.assignee_id == Some(agent.id);
    let taking_unassigned = c.assignee_id.is_none() && new_assignee == Some(Some(agent.id));
    if mine || taking_unassigned || (c.assignee_id.is_none() && new_assignee.is_none()) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "changing a conversation assigned to someone else (ask a supervisor to take it over)",
        ))
    }
}

fn validate_labels(labels: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        let l = l.trim();
        let ok = !l.is_empty()
            && l.chars().count() <= 40
            && !l.chars().any(|c| c == '"' || c == '\\' || c.is_control());
        if !ok {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "a label is 1–40 characters without quotes, backslashes or control characters",
            ));
        }
        if !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    if out.len() > MAX_LABELS {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "at most 20 labels per conversation",
        ));
    }
    Ok(out)
}

/// Appends a timeline line: a system note that holds the event as data and in words (the
/// store's commit listener publishes it).
pub(crate) async fn timeline(
    state: &SharedState,
    c: &Conversation,
    event: TimelineEvent,
) -> ApiResult<()> {
    let body = MessageBody::parse(event.describe(), state.config.limits.max_message_chars)?;
    append_note(
        state,
        c,
        Author {
            kind: AuthorKind::System,
            id: None,
            name: None,
        },
        body,
        Some(event),
    )
    .await
}

async fn append_note(
    state: &SharedState,
    c: &Conversation,
    author: Author,
    body: MessageBody,
    event: Option<TimelineEvent>,
) -> ApiResult<()> {
    state
        .store
        .append_message(NewMessageRecord {
            workspace_id: c.workspace_id,
            conversation_id: c.id,
            client_msg_id: ClientMsgId::parse(format!("event-{}", Uuid::now_v7()))?,
            author,
            kind: MessageKind::Note,
            body,
            attachment: None,
            event,
        })
        .await?;
    Ok(())
}

fn notify(
    state: &SharedState,
    to: Uuid,
    kind: NotificationKind,
    c: &Conversation,
    by: &Agent,
    text: String,
) {
    if to == by.id {
        return;
    }
    events::notify(
        state,
        to,
        Notification {
            id: Uuid::now_v7(),
            kind,
            conversation_id: c.id,
            by: Some(AgentRef {
                id: by.id,
                name: by.name.clone(),
            }),
            text,
            at: state.clock.now_ms(),
        },
    );
}

/// Applies an agent's changes (`PATCH /conversations/{id}`).
pub async fn update(
    state: &SharedState,
    agent: &Agent,
    before: &Conversation,
    req: UpdateConversation,
) -> ApiResult<Conversation> {
    check_permission(agent, before, req.assignee_id)?;
    if req.status == Some(ConversationStatus::Snoozed) {
        match req.snoozed_until {
            Some(t) if t > state.clock.now_ms() => {}
            _ => {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    "status snoozed needs snoozed_until, a time in the future (ms)",
                ))
            }
        }
    } else if req.snoozed_until.is_some() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "snoozed_until goes with status snoozed",
        ));
    }
    let labels = req.labels.as_deref().map(validate_labels).transpose()?;
    let ws = before.workspace_id;
    if let Some(Some(to)) = req.assignee_id {
        let target =
            state.store.agent_entry(ws, to).await?.ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, "no such agent in this workspace")
            })?;
        if !target.agent.active {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "that agent is deactivated",
            ));
        }
    }
    let assigned = req.assignee_id;
    let changes = ConversationChanges {
        status: req.status,
        assignee_id: req.assignee_id,
        team_id: req.team_id,
        priority: req.priority,
        labels,
        snoozed_until: req.snoozed_until,
    };
    let changed = state
        .store
        .change_conversation(ConversationChange {
            workspace_id: ws,
            conversation_id: before.id,
            changes,
            by: agent_ref(agent),
            cause: ChangeCause::Update,
            if_assignee: checked_against(agent, before),
            now: state.clock.now_ms(),
        })
        .await?;
    let after = changed.after.clone();
    // Someone the agent assigned (routing's choice, after an unassign, is told by routing).
    if let Some(Some(to)) = assigned {
        if to != agent.id && Some(to) != changed.before.assignee_id {
            notify(
                state,
                to,
                NotificationKind::Assigned,
                &after,
                agent,
                format!("{} assigned a conversation to you", agent.name),
            );
        }
    }
    settle(state, &changed).await?;
    Ok(after)
}

/// The assignee an agent's permission was checked against, which must still hold when the
/// change is applied (supervisors and admins may change any conversation).
fn checked_against(agent: &Agent, before: &Conversation) -> Option<Option<Uuid>> {
    (!may_manage(agent)).then_some(before.assignee_id)
}

/// After a change committed (with its lines and routing): everyone hears of it, of what
/// routing did, and capacity that may have freed goes to the queue.
async fn settle(state: &SharedState, changed: &Changed) -> ApiResult<()> {
    events::conversation_updated(state, &changed.after);
    if let Some(outcome) = &changed.routed {
        routing::announce(state, outcome).await?;
    }
    routing::drain(state, changed.after.workspace_id).await
}

/// Hands a conversation to an agent or to a team (unassigned, for its members to take), with
/// an optional private note; the receivers are notified.
pub async fn transfer(
    state: &SharedState,
    agent: &Agent,
    before: &Conversation,
    req: Transfer,
) -> ApiResult<Conversation> {
    let ws = before.workspace_id;
    if req.agent_id.is_some() == req.team_id.is_some() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "name either agent_id or team_id",
        ));
    }
    check_permission(agent, before, None)?;
    if !may_manage(agent) && before.assignee_id != Some(agent.id) {
        return Err(ApiError::forbidden(
            "transferring a conversation that is not yours",
        ));
    }
    let note_text = req
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    // Checked before anything is written: a note that cannot be stored refuses the transfer.
    let note = note_text
        .clone()
        .map(|n| MessageBody::parse(n, state.config.limits.max_message_chars))
        .transpose()?;
    let (changes, receivers) = match (req.agent_id, req.team_id) {
        (Some(to), _) => {
            let target = state.store.agent_entry(ws, to).await?.ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, "no such agent in this workspace")
            })?;
            if !target.agent.active {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    "that agent is deactivated",
                ));
            }
            if target.agent.role == Role::Agent && !target.inbox_ids.contains(&before.inbox_id) {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    "that agent does not work this conversation's inbox",
                ));
            }
            let at_capacity = target.open_count >= i64::from(target.agent.capacity)
                && before.assignee_id != Some(to);
            if at_capacity && !may_manage(agent) {
                return Err(ApiError::new(
                    ErrorCode::AgentAtCapacity,
                    format!(
                        "{} has {} open conversations, their capacity; a supervisor may override",
                        target.agent.name, target.open_count
                    ),
                ));
            }
            (
                ConversationChanges {
                    assignee_id: Some(Some(to)),
                    ..Default::default()
                },
                vec![to],
            )
        }
        (None, Some(team_id)) => {
            let team = state.store.team(ws, team_id).await?.ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, "no such team in this workspace")
            })?;
            (
                ConversationChanges {
                    assignee_id: Some(None),
                    team_id: Some(Some(team_id)),
                    ..Default::default()
                },
                team.member_ids,
            )
        }
        (None, None) => return Err(ApiError::not_found()),
    };
    // One transaction: the change, the line, the note and (to a team) the routing by the
    // team's policy, or the queue.
    let changed = state
        .store
        .change_conversation(ConversationChange {
            workspace_id: ws,
            conversation_id: before.id,
            changes,
            by: agent_ref(agent),
            cause: ChangeCause::Transfer { note },
            if_assignee: checked_against(agent, before),
            now: state.clock.now_ms(),
        })
        .await?;
    settle(state, &changed).await?;
    let after = changed.after;
    let text = match &note_text {
        Some(n) => format!(
            "{} transferred a conversation to you: {}",
            agent.name,
            n.chars().take(200).collect::<String>()
        ),
        None => format!("{} transferred a conversation to you", agent.name),
    };
    for to in receivers {
        notify(
            state,
            to,
            NotificationKind::Transfer,
            &after,
            agent,
            text.clone(),
        );
    }
    Ok(after)
}

/// A woken conversation without an agent is routed; capacity may have freed meanwhile.
async fn route_woken(state: &SharedState, c: &Conversation) -> ApiResult<()> {
    if c.status == ConversationStatus::Open && c.assignee_id.is_none() {
        routing::route(state, c).await?;
    }
    routing::drain(state, c.workspace_id).await
}

/// How often snoozes are checked for an end.
pub const SNOOZE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Reopens snoozed conversations whose time has come, at every `tick` until shutdown.
pub async fn wake_snoozed(state: SharedState, mut tick: crate::clock::Ticker) {
    loop {
        let _pass = tokio::select! {
            _ = state.shutdown.cancelled() => return,
            pass = tick.tick() => pass,
        };
        match state.store.wake_snoozed(state.clock.now_ms()).await {
            Ok(woken) => {
                for c in woken {
                    let line = TimelineEvent::StatusChanged {
                        by: None,
                        status: ConversationStatus::Open,
                    };
                    if let Err(e) = timeline(&state, &c, line).await {
                        tracing::warn!("could not record a snooze ending: {e:?}");
                    }
                    events::conversation_updated(&state, &c);
                    if let Err(e) = route_woken(&state, &c).await {
                        tracing::warn!("could not route a woken conversation: {e:?}");
                    }
                }
            }
            Err(e) => tracing::warn!("could not wake snoozed conversations: {e}"),
        }
    }
}
