//! Working a conversation: assigning, taking over, transferring, changing status, team,
//! priority and labels. Every change is checked against the agent's role, written in one
//! store call, recorded as a timeline event (a system note: agents see it in the
//! conversation's history, visitors never do) and announced to every console.

use livedesk_core::directory::ConversationChanges;
use livedesk_core::now_ms;
use livedesk_core::store::NewMessageRecord;
use livedesk_core::values::{ClientMsgId, MessageBody};
use livedesk_protocol::model::{
    Agent, AgentRef, Author, AuthorKind, Conversation, ConversationStatus, MessageKind,
    Notification, NotificationKind, Role,
};
use livedesk_protocol::rest::{Transfer, UpdateConversation};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use crate::chat;
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::routing;
use crate::state::SharedState;

const MAX_LABELS: usize = 20;

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

async fn agent_name(state: &SharedState, workspace_id: Uuid, id: Uuid) -> ApiResult<String> {
    Ok(state
        .store
        .agent_entry(workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such agent in this workspace"))?
        .agent
        .name)
}

/// Appends a timeline event (a system note) and publishes it.
pub(crate) async fn timeline(state: &SharedState, c: &Conversation, text: String) -> ApiResult<()> {
    note(
        state,
        c,
        Author {
            kind: AuthorKind::System,
            id: None,
            name: None,
        },
        text,
    )
    .await
}

async fn note(
    state: &SharedState,
    c: &Conversation,
    author: Author,
    text: String,
) -> ApiResult<()> {
    let body = MessageBody::parse(text, state.config.limits.max_message_chars)?;
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
            at: now_ms(),
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
            Some(t) if t > now_ms() => {}
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
    let changes = ConversationChanges {
        status: req.status,
        assignee_id: req.assignee_id,
        team_id: req.team_id,
        priority: req.priority,
        labels,
        snoozed_until: req.snoozed_until,
    };
    let after = state
        .store
        .change_conversation(ws, before.id, changes)
        .await?;

    // The timeline, in words.
    let mut lines = Vec::new();
    if after.assignee_id != before.assignee_id {
        match after.assignee_id {
            Some(id) if id == agent.id && before.assignee_id.is_some() => {
                lines.push(format!("{} took over this conversation", agent.name))
            }
            Some(id) if id == agent.id => {
                lines.push(format!("{} took this conversation", agent.name))
            }
            Some(id) => {
                let name = agent_name(state, ws, id).await?;
                lines.push(format!(
                    "{} assigned this conversation to {name}",
                    agent.name
                ));
                notify(
                    state,
                    id,
                    NotificationKind::Assigned,
                    &after,
                    agent,
                    format!("{} assigned a conversation to you", agent.name),
                );
            }
            None => lines.push(format!("{} unassigned this conversation", agent.name)),
        }
    }
    if after.team_id != before.team_id {
        match after.team_id {
            Some(team) => {
                let name = state
                    .store
                    .team(ws, team)
                    .await?
                    .map(|t| t.name)
                    .unwrap_or_default();
                lines.push(format!(
                    "{} moved this conversation to team {name}",
                    agent.name
                ));
            }
            None => lines.push(format!(
                "{} took this conversation off its team",
                agent.name
            )),
        }
    }
    if after.status != before.status {
        lines.push(match after.status {
            ConversationStatus::Resolved => format!("{} resolved this conversation", agent.name),
            ConversationStatus::Open => format!("{} reopened this conversation", agent.name),
            ConversationStatus::Pending => {
                format!("{} marked this conversation pending", agent.name)
            }
            ConversationStatus::Snoozed => format!("{} snoozed this conversation", agent.name),
        });
    }
    if after.priority != before.priority {
        lines.push(format!(
            "{} set the priority to {}",
            agent.name,
            serde_json::to_value(after.priority)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ));
    }
    for line in lines {
        timeline(state, &after, line).await?;
    }
    let after = state
        .store
        .conversation(ws, after.id)
        .await?
        .unwrap_or(after);
    events::conversation_updated(state, &after);
    settle(state, &after).await?;
    Ok(after)
}

/// After a change: an open conversation left without an agent is routed again, and capacity
/// that may have freed goes to the queue.
async fn settle(state: &SharedState, c: &Conversation) -> ApiResult<()> {
    if c.status == ConversationStatus::Open && c.assignee_id.is_none() {
        routing::route(state, c).await?;
    }
    routing::drain(state, c.workspace_id).await
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
    let (changes, line, receivers) = match (req.agent_id, req.team_id) {
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
                format!(
                    "{} transferred this conversation to {}",
                    agent.name, target.agent.name
                ),
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
                format!(
                    "{} transferred this conversation to team {}",
                    agent.name, team.name
                ),
                team.member_ids,
            )
        }
        (None, None) => return Err(ApiError::not_found()),
    };
    let after = state
        .store
        .change_conversation(ws, before.id, changes)
        .await?;
    timeline(state, &after, line).await?;
    if let Some(text) = &note_text {
        note(state, &after, chat::author_of_agent(agent), text.clone()).await?;
    }
    let after = state
        .store
        .conversation(ws, after.id)
        .await?
        .unwrap_or(after);
    events::conversation_updated(state, &after);
    // To a team: its policy picks a member (or the conversation waits in the queue).
    settle(state, &after).await?;
    let after = state
        .store
        .conversation(ws, after.id)
        .await?
        .unwrap_or(after);
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
                    if let Err(e) = timeline(
                        &state,
                        &c,
                        "Snooze ended: the conversation is open again".into(),
                    )
                    .await
                    {
                        tracing::warn!("could not record a snooze ending: {e:?}");
                    }
                    events::conversation_updated(&state, &c);
                    if let Err(e) = settle(&state, &c).await {
                        tracing::warn!("could not route a woken conversation: {e:?}");
                    }
                }
            }
            Err(e) => tracing::warn!("could not wake snoozed conversations: {e}"),
        }
    }
}
