//! The agents of a workspace: an admin changes their role, capacity, memberships and whether
//! they may work at all; an admin ends their sessions; an agent sets their own name and
//! status. Every change of what an agent may see is an [`Event::AccessChanged`], which ends or
//! narrows their open sockets at once.

use livedesk_core::directory::AgentChanges;
use livedesk_core::values::DisplayName;
use livedesk_protocol::model::{Agent, AgentStatus, Role};
use livedesk_protocol::rest::{UpdateAgent, UpdateMe};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::{triage, App, Caller, Done, Event};

/// Capacity is 1–100 open conversations at once.
pub fn capacity(n: u32) -> Result<u32> {
    if (1..=100).contains(&n) {
        Ok(n)
    } else {
        Err(Error::invalid("capacity must be between 1 and 100"))
    }
}

/// An admin changes an agent (`PATCH /agents/{id}`): name, role, capacity, inboxes, teams,
/// and deactivation (offboarding) or reactivation. Deactivating is one transaction: set
/// offline, signed out everywhere, conversations back to the queue, each with its `requeued`
/// line.
pub async fn update(app: &App, caller: &Caller, id: Uuid, req: UpdateAgent) -> Result<Done<()>> {
    let admin = caller.require_admin("changing agents")?;
    if id == admin.id && req.role.is_some_and(|r| r != Role::Admin) {
        return Err(Error::invalid(
            "admins cannot take their own admin role away",
        ));
    }
    if id == admin.id && req.active == Some(false) {
        return Err(Error::invalid("admins cannot deactivate themselves"));
    }
    let ws = admin.workspace_id;
    let changes = AgentChanges {
        name: req.name.as_deref().map(DisplayName::parse).transpose()?,
        role: req.role,
        capacity: req.capacity.map(capacity).transpose()?,
        inbox_ids: req.inbox_ids,
        team_ids: req.team_ids,
    };
    let access = changes.role.is_some() || changes.inbox_ids.is_some();
    app.store.update_agent(ws, id, changes).await?;
    let mut events = Vec::new();
    if access {
        events.push(Event::AccessChanged { agent_id: id });
    }
    if let Some(active) = req.active {
        let (_, returned) = app
            .store
            .set_agent_active(ws, id, active)
            .await?
            .ok_or_else(Error::not_found)?;
        tracing::info!(agent = %id, by = %admin.id, active, "agent activation changed");
        events.push(Event::AccessChanged { agent_id: id });
        events.extend(returned.into_iter().map(Event::ConversationUpdated));
    }
    events.push(Event::AgentChanged {
        workspace_id: ws,
        agent_id: id,
    });
    // More capacity or another inbox may let queued conversations through.
    events.push(Event::QueueMayMove { workspace_id: ws });
    Ok(Done::with((), events))
}

/// An admin signs another agent out everywhere; their open sockets close at once. Returns how
/// many sessions ended.
pub async fn end_sessions(app: &App, caller: &Caller, id: Uuid) -> Result<Done<u64>> {
    let admin = caller.require_admin("ending agents' sessions")?;
    app.store
        .agent_entry(admin.workspace_id, id)
        .await?
        .ok_or_else(Error::not_found)?;
    let ended = app.store.delete_agent_sessions(id).await?;
    tracing::info!(agent = %id, by = %admin.id, sessions_ended = ended, "sessions ended by an admin");
    Ok(Done::with(
        ended,
        vec![Event::AccessChanged { agent_id: id }],
    ))
}

/// An agent sets their own name or status. Online lets the queue through to them; offline
/// returns their unanswered conversations to the queue.
pub async fn update_me(app: &App, caller: &Caller, req: UpdateMe) -> Result<Done<Agent>> {
    let (agent, _) = caller.require_agent()?;
    let mut me = agent.clone();
    if let Some(name) = req.name {
        let changes = AgentChanges {
            name: Some(DisplayName::parse(&name)?),
            ..Default::default()
        };
        me = app
            .store
            .update_agent(me.workspace_id, me.id, changes)
            .await?
            .agent;
    }
    if let Some(status) = req.status {
        me = app.store.set_agent_status(me.id, status).await?;
    }
    let mut events = vec![Event::AgentChanged {
        workspace_id: me.workspace_id,
        agent_id: me.id,
    }];
    match req.status {
        Some(AgentStatus::Online) => events.push(Event::QueueMayMove {
            workspace_id: me.workspace_id,
        }),
        Some(AgentStatus::Offline) => {
            events.extend(
                triage::agent_offline(app, me.workspace_id, me.id)
                    .await?
                    .events,
            );
        }
        _ => {}
    }
    Ok(Done::with(me, events))
}

/// An agent left (no console of theirs for the whole grace time): they are set offline and
/// their unanswered conversations go back to the queue.
pub async fn gone_offline(app: &App, workspace_id: Uuid, agent_id: Uuid) -> Result<Done<()>> {
    let Some(entry) = app.store.agent_entry(workspace_id, agent_id).await? else {
        return Ok(Done::new(()));
    };
    let mut events = Vec::new();
    if entry.agent.status != AgentStatus::Offline {
        app.store
            .set_agent_status(agent_id, AgentStatus::Offline)
            .await?;
        events.push(Event::AgentChanged {
            workspace_id,
            agent_id,
        });
    }
    events.extend(
        triage::agent_offline(app, workspace_id, agent_id)
            .await?
            .events,
    );
    Ok(Done::with((), events))
}
