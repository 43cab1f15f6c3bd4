//! Working a conversation: assigning, taking over, transferring, changing status, team,
//! priority and labels. Every change is checked against the agent's role as it is now, then
//! applied by the store in one transaction with its timeline lines (system notes holding the
//! event as data: agents see them in the conversation's history, visitors never do) and, when
//! it leaves the conversation open without an agent, its routing.

use livedesk_core::directory::{ChangeCause, Changed, ConversationChange, ConversationChanges};
use livedesk_core::routing::RouteOutcome;
use livedesk_core::store::NewMessageRecord;
use livedesk_core::values::{ClientMsgId, MessageBody};
use livedesk_protocol::model::{
    Agent, Author, AuthorKind, Conversation, ConversationStatus, MessageKind, Notification,
    NotificationKind, Role, TimelineEvent,
};
use livedesk_protocol::rest::{Transfer, UpdateConversation};
use livedesk_protocol::ErrorCode;
use uuid::Uuid;

use crate::caller::{agent_ref, may_manage};
use crate::error::{Error, Result};
use crate::{App, Done, Event};

const MAX_LABELS: usize = 20;

/// Agents may work conversations assigned to them, and take unassigned ones for themselves;
/// supervisors and admins may do anything, taking over included.
fn check_permission(
    agent: &Agent,
    c: &Conversation,
    new_assignee: Option<Option<Uuid>>,
) -> Result<()> {
    if may_manage(agent) {
        return Ok(());
    }
    let mine = c.assignee_id == Some(agent.id);
    let taking_unassigned = c.assignee_id.is_none() && new_assignee == Some(Some(agent.id));
    if mine || taking_unassigned || (c.assignee_id.is_none() && new_assignee.is_none()) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "changing a conversation assigned to someone else (ask a supervisor to take it over)",
        ))
    }
}

fn validate_labels(labels: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        let l = crate::workspace::label_name(l)?;
        if !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    if out.len() > MAX_LABELS {
        return Err(Error::invalid("at most 20 labels per conversation"));
    }
    Ok(out)
}

/// Appends a timeline line: a system note that holds the event as data and in words (the
/// store's commit listener publishes it).
pub async fn record_line(app: &App, c: &Conversation, event: TimelineEvent) -> Result<()> {
    let body = MessageBody::parse(event.describe(), app.limits.max_message_chars)?;
    app.store
        .append_message(NewMessageRecord {
            workspace_id: c.workspace_id,
            conversation_id: c.id,
            client_msg_id: ClientMsgId::parse(format!("event-{}", Uuid::now_v7()))?,
            author: Author {
                kind: AuthorKind::System,
                id: None,
                name: None,
            },
            kind: MessageKind::Note,
            body,
            attachment: None,
            event: Some(event),
        })
        .await?;
    Ok(())
}

fn notification(
    app: &App,
    to: Uuid,
    kind: NotificationKind,
    c: &Conversation,
    by: &Agent,
    text: String,
) -> Option<Event> {
    (to != by.id).then(|| Event::Notify {
        agent_id: to,
        notification: Notification {
            id: Uuid::now_v7(),
            kind,
            conversation_id: c.id,
            by: Some(agent_ref(by)),
            text,
            at: app.now_ms(),
        },
    })
}

/// An active agent of the workspace, to hand a conversation to.
async fn active_agent(
    app: &App,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<livedesk_protocol::model::AgentEntry> {
    let target = app
        .store
        .agent_entry(workspace_id, id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound, "no such agent in this workspace"))?;
    if !target.agent.active {
        return Err(Error::invalid("that agent is deactivated"));
    }
    Ok(target)
}

/// Applies an agent's changes (`PATCH /conversations/{id}`).
pub async fn update(
    app: &App,
    agent: &Agent,
    before: &Conversation,
    req: UpdateConversation,
) -> Result<Done<Conversation>> {
    check_permission(agent, before, req.assignee_id)?;
    if req.status == Some(ConversationStatus::Snoozed) {
        match req.snoozed_until {
            Some(t) if t > app.now_ms() => {}
            _ => {
                return Err(Error::invalid(
                    "status snoozed needs snoozed_until, a time in the future (ms)",
                ))
            }
        }
    } else if req.snoozed_until.is_some() {
        return Err(Error::invalid("snoozed_until goes with status snoozed"));
    }
    let labels = req.labels.as_deref().map(validate_labels).transpose()?;
    let ws = before.workspace_id;
    if let Some(Some(to)) = req.assignee_id {
        active_agent(app, ws, to).await?;
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
    let changed = apply(app, agent, before, changes, ChangeCause::Update).await?;
    let mut events = settled(&changed);
    // Someone the agent assigned (routing's choice, after an unassign, is told by routing).
    if let Some(Some(to)) = assigned {
        if Some(to) != changed.before.assignee_id {
            events.extend(notification(
                app,
                to,
                NotificationKind::Assigned,
                &changed.after,
                agent,
                format!("{} assigned a conversation to you", agent.name),
            ));
        }
    }
    Ok(Done::with(changed.after, events))
}

/// Applies an agent's change in one transaction (with its lines and routing). The assignee
/// their permission was checked against must still hold then (supervisors and admins may
/// change any conversation).
async fn apply(
    app: &App,
    agent: &Agent,
    before: &Conversation,
    changes: ConversationChanges,
    cause: ChangeCause,
) -> Result<Changed> {
    let changed = app
        .store
        .change_conversation(ConversationChange {
            workspace_id: before.workspace_id,
            conversation_id: before.id,
            changes,
            by: agent_ref(agent),
            cause,
            if_assignee: (!may_manage(agent)).then_some(before.assignee_id),
            now: app.now_ms(),
        })
        .await?;
    Ok(changed)
}

/// After a change committed (with its lines and routing): everyone hears of it, of what
/// routing did, and capacity that may have freed goes to the queue.
fn settled(changed: &Changed) -> Vec<Event> {
    let mut events = vec![Event::ConversationUpdated(changed.after.clone())];
    events.extend(changed.routed.clone().map(Event::Routed));
    events.push(Event::QueueMayMove {
        workspace_id: changed.after.workspace_id,
    });
    events
}

/// Hands a conversation to an agent or to a team (unassigned, for its members to take), with
/// an optional private note; the receivers are notified.
pub async fn transfer(
    app: &App,
    agent: &Agent,
    before: &Conversation,
    req: Transfer,
) -> Result<Done<Conversation>> {
    let ws = before.workspace_id;
    if req.agent_id.is_some() == req.team_id.is_some() {
        return Err(Error::invalid("name either agent_id or team_id"));
    }
    check_permission(agent, before, None)?;
    if !may_manage(agent) && before.assignee_id != Some(agent.id) {
        return Err(Error::forbidden(
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
        .map(|n| MessageBody::parse(n, app.limits.max_message_chars))
        .transpose()?;
    let (changes, receivers) = match (req.agent_id, req.team_id) {
        (Some(to), _) => {
            let target = active_agent(app, ws, to).await?;
            if target.agent.role == Role::Agent && !target.inbox_ids.contains(&before.inbox_id) {
                return Err(Error::invalid(
                    "that agent does not work this conversation's inbox",
                ));
            }
            let at_capacity = target.open_count >= i64::from(target.agent.capacity)
                && before.assignee_id != Some(to);
            if at_capacity && !may_manage(agent) {
                return Err(Error::new(
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
            let team =
                app.store.team(ws, team_id).await?.ok_or_else(|| {
                    Error::new(ErrorCode::NotFound, "no such team in this workspace")
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
        (None, None) => return Err(Error::not_found()),
    };
    // One transaction: the change, the line, the note and (to a team) the routing by the
    // team's policy, or the queue.
    let changed = apply(app, agent, before, changes, ChangeCause::Transfer { note }).await?;
    let mut events = settled(&changed);
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
        events.extend(notification(
            app,
            to,
            NotificationKind::Transfer,
            &after,
            agent,
            text.clone(),
        ));
    }
    Ok(Done::with(after, events))
}

/// Routes one open, unassigned conversation: the events of what routing did.
pub async fn route(app: &App, conversation: &Conversation) -> Result<Vec<Event>> {
    let outcome = app
        .store
        .route(
            conversation.workspace_id,
            conversation.id,
            None,
            app.now_ms(),
        )
        .await?;
    let mut events = Vec::new();
    if let RouteOutcome::Queued(c) = &outcome {
        events.push(Event::ConversationUpdated(c.clone()));
    }
    events.push(Event::Routed(outcome));
    Ok(events)
}

/// Reopens snoozed conversations whose time has come (the store writes each one's line with
/// it); one without an agent is routed, and capacity may have freed meanwhile. A conversation
/// whose routing fails is logged and the others go on.
pub async fn wake_snoozed(app: &App) -> Result<Done<usize>> {
    let woken = app.store.wake_snoozed(app.now_ms()).await?;
    let mut events = Vec::new();
    for c in &woken {
        events.push(Event::ConversationUpdated(c.clone()));
        if c.status == ConversationStatus::Open && c.assignee_id.is_none() {
            match route(app, c).await {
                Ok(routed) => events.extend(routed),
                Err(e) => tracing::warn!("could not route a woken conversation: {e}"),
            }
        }
        events.push(Event::QueueMayMove {
            workspace_id: c.workspace_id,
        });
    }
    Ok(Done::with(woken.len(), events))
}

/// An agent went offline: their chats that no agent has answered go back to the queue (the
/// store writes each one's line with it) and to whoever can take them; the others stay with
/// them.
pub async fn agent_offline(app: &App, workspace_id: Uuid, agent_id: Uuid) -> Result<Done<()>> {
    let returned = app.store.return_unanswered(workspace_id, agent_id).await?;
    let mut events: Vec<Event> = returned
        .into_iter()
        .map(Event::ConversationUpdated)
        .collect();
    events.push(Event::QueueMayMove { workspace_id });
    Ok(Done::with((), events))
}

/// Offers assignments nobody answered in time (the inbox's `reoffer_secs`) to someone else; the
/// agent who did not answer is set away first where the inbox says so. Returns how many were
/// offered on.
pub async fn reoffer_due(app: &App) -> Result<Done<usize>> {
    let now = app.now_ms();
    let mut events = Vec::new();
    let mut offered = 0;
    for (c, settings) in app.store.unanswered_assignments(500).await? {
        let (Some(first), Some(at)) = (c.assignee_id, c.assigned_at) else {
            continue;
        };
        if !livedesk_core::routing::due_for_reoffer(at, false, settings.reoffer_secs, now) {
            continue;
        }
        let name = app
            .store
            .agent_entry(c.workspace_id, first)
            .await?
            .map(|e| e.agent.name)
            .unwrap_or_default();
        let outcome = app
            .store
            .route(c.workspace_id, c.id, Some(first), now)
            .await?;
        // The agent who did not answer is away before anyone hears of the re-offer.
        if settings.reoffer_marks_away {
            app.store
                .set_agent_status(first, livedesk_protocol::model::AgentStatus::Away)
                .await?;
            events.push(Event::AgentChanged {
                workspace_id: c.workspace_id,
                agent_id: first,
            });
        }
        if let RouteOutcome::Assigned(next) = outcome {
            offered += 1;
            events.push(Event::Reoffered {
                conversation: next,
                from: livedesk_protocol::model::AgentRef { id: first, name },
            });
        }
    }
    Ok(Done::with(offered, events))
}
