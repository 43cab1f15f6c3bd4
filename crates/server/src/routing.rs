//! Routing's side in the server: who hears of it, and when its workers run. The decisions are
//! the store's (one transaction, candidates locked; see `livedesk_core::routing`) and the
//! commands' (`livedesk_app::triage`, `livedesk_app::agents`); this module drains the queue
//! whenever the publisher is told capacity may have freed, tells the console
//! (`conversation.updated`, a notification) and the visitors (their place in the queue) what
//! routing did, and schedules the workers: re-offers, snooze wake-ups and the offline check
//! after an agent's last console closed.

use std::future::Future;
use std::time::Duration;

use livedesk_core::routing::{self, RouteOutcome};
use livedesk_protocol::frames::VisitorFrame;
use livedesk_protocol::model::{
    AgentRef, Conversation, Notification, NotificationKind, RoutingPolicy, TimelineEvent,
};
use uuid::Uuid;

use crate::clock::Ticker;
use crate::error::ApiResult;
use crate::events;
use crate::publish;
use crate::state::SharedState;
use livedesk_app::triage;

/// Tells the console and the visitor what routing did (after `conversation.created` or
/// `conversation.updated` showed the conversation as it is now).
pub async fn announce(state: &SharedState, outcome: &RouteOutcome) -> ApiResult<()> {
    match outcome {
        RouteOutcome::Assigned(c) => assigned(state, c, None).await,
        RouteOutcome::Queued(c) => queue_positions(state, c.workspace_id, c.inbox_id).await,
        RouteOutcome::Skipped => Ok(()),
    }
}

/// Hands queued conversations to whoever can take them now. Passes are serialised on this
/// node, so the queue is served in order; across nodes the store's locks keep capacity.
pub async fn drain(state: &SharedState, workspace_id: Uuid) -> ApiResult<()> {
    let _one_at_a_time = state.drain_lock.lock().await;
    let assigned = routing::drain(&*state.store, workspace_id, state.clock.now_ms()).await?;
    let mut inboxes = Vec::new();
    for c in &assigned {
        assigned_event(state, c, None).await?;
        if !inboxes.contains(&c.inbox_id) {
            inboxes.push(c.inbox_id);
        }
    }
    for inbox in inboxes {
        queue_positions(state, workspace_id, inbox).await?;
    }
    Ok(())
}

pub async fn assigned(
    state: &SharedState,
    c: &Conversation,
    from: Option<(Uuid, String)>,
) -> ApiResult<()> {
    assigned_event(state, c, from).await?;
    queue_positions(state, c.workspace_id, c.inbox_id).await
}

/// The update and the notification for a conversation the router assigned (the store wrote
/// its timeline line in the same transaction).
async fn assigned_event(
    state: &SharedState,
    c: &Conversation,
    from: Option<(Uuid, String)>,
) -> ApiResult<()> {
    let Some(agent_id) = c.assignee_id else {
        return Ok(());
    };
    let name = state
        .store
        .agent_entry(c.workspace_id, agent_id)
        .await?
        .map(|e| e.agent.name)
        .unwrap_or_default();
    let to = AgentRef { id: agent_id, name };
    let waited = c.queued_at.is_some() || from.is_some();
    let line = match from {
        Some((id, name)) => TimelineEvent::Reoffered {
            from: AgentRef { id, name },
            to,
        },
        None => TimelineEvent::Assigned { by: None, to },
    };
    // The store wrote the line in the routing's transaction; the notification says the same.
    let text = line.describe();
    // As it is now, with the timeline event's activity time.
    let now = state.store.conversation(c.workspace_id, c.id).await?;
    events::conversation_updated(state, now.as_ref().unwrap_or(c));
    events::notify(
        state,
        agent_id,
        Notification {
            id: Uuid::now_v7(),
            kind: NotificationKind::Assigned,
            conversation_id: c.id,
            by: None,
            text,
            at: state.clock.now_ms(),
        },
    );
    // The visitor's wait is over.
    if waited {
        events::to_visitor(
            state,
            c.contact_id,
            &VisitorFrame::Queue {
                conversation_id: c.id,
                position: 0,
                estimated_wait_ms: None,
            },
        );
    }
    Ok(())
}

/// Tells every visitor waiting in the inbox's queue their place and about how long it takes.
/// Only where routing serves the queue in order (round robin, least busy): with manual
/// routing agents pick, and a place in line would promise nothing.
pub async fn queue_positions(
    state: &SharedState,
    workspace_id: Uuid,
    inbox_id: Uuid,
) -> ApiResult<()> {
    positions(state, workspace_id, inbox_id, None).await
}

/// The same for one visitor's conversations only (when their widget connects).
pub async fn queue_position_of(
    state: &SharedState,
    workspace_id: Uuid,
    inbox_id: Uuid,
    contact_id: Uuid,
) -> ApiResult<()> {
    positions(state, workspace_id, inbox_id, Some(contact_id)).await
}

async fn positions(
    state: &SharedState,
    workspace_id: Uuid,
    inbox_id: Uuid,
    only: Option<Uuid>,
) -> ApiResult<()> {
    let Some(inbox) = state.store.inbox(inbox_id).await? else {
        return Ok(());
    };
    if inbox.routing.policy == RoutingPolicy::Manual {
        return Ok(());
    }
    let queue = state.store.queue(workspace_id, Some(inbox_id), 500).await?;
    if queue.is_empty() || only.is_some_and(|o| !queue.iter().any(|c| c.contact_id == o)) {
        return Ok(());
    }
    let average = state.store.average_wait(inbox_id).await?;
    for (i, c) in queue.iter().enumerate() {
        if only.is_some_and(|o| o != c.contact_id) {
            continue;
        }
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        events::to_visitor(
            state,
            c.contact_id,
            &VisitorFrame::Queue {
                conversation_id: c.id,
                position,
                estimated_wait_ms: average
                    .and_then(|a| u64::try_from(a).ok())
                    .map(|a| a * u64::from(position)),
            },
        );
    }
    Ok(())
}

/// Sets an agent offline when they had no console connected at any time during the grace
/// time after their last one closed (or, at start-up, since the node started). The grace
/// starts when this is called, not when the returned future first runs.
pub fn offline_after_grace(
    state: SharedState,
    workspace_id: Uuid,
    agent_id: Uuid,
) -> impl Future<Output = ()> + Send + 'static {
    let grace = Duration::from_secs(state.config.routing.offline_grace_secs);
    let grace_over = state.clock.sleep(grace);
    async move {
        let _pass = tokio::select! {
            _ = state.shutdown.cancelled() => return,
            pass = grace_over.done() => pass,
        };
        // Decided on the whole window, not on this instant: a console reload in flight now
        // does not count as gone when the agent was back meanwhile (the check its closing
        // scheduled decides later).
        if !state
            .presence
            .agent_gone_for(agent_id, grace, state.clock.now())
        {
            return;
        }
        set_offline(state, workspace_id, agent_id).await;
    }
}

async fn set_offline(state: SharedState, workspace_id: Uuid, agent_id: Uuid) {
    match livedesk_app::agents::gone_offline(&state.app, workspace_id, agent_id).await {
        Ok(done) => publish::settle(&state, done).await,
        Err(e) => tracing::warn!("could not set an agent offline: {e}"),
    }
}

/// At start-up nobody is connected yet: agents still marked online or away who do not come
/// back within the grace time are set offline, as if their last console had just closed.
/// Returns once their checks are scheduled.
pub async fn offline_unless_back(state: SharedState) {
    let agents = match state.store.present_agents().await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!("could not list agents marked present: {e}");
            return;
        }
    };
    for agent in agents {
        tokio::spawn(offline_after_grace(
            state.clone(),
            agent.workspace_id,
            agent.id,
        ));
    }
}

/// Re-offers assignments nobody answered in time, at every `tick` until shutdown.
pub async fn reoffer_loop(state: SharedState, mut tick: Ticker) {
    loop {
        let _pass = tokio::select! {
            _ = state.shutdown.cancelled() => return,
            pass = tick.tick() => pass,
        };
        if let Err(e) = reoffer_due(&state).await {
            tracing::warn!("could not re-offer conversations: {e:?}");
        }
    }
}

async fn reoffer_due(state: &SharedState) -> ApiResult<()> {
    let done = triage::reoffer_due(&state.app).await?;
    publish::settle(state, done).await;
    Ok(())
}

/// How often snoozes are checked for an end.
pub const SNOOZE_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Reopens snoozed conversations whose time has come, at every `tick` until shutdown.
pub async fn wake_snoozed_loop(state: SharedState, mut tick: Ticker) {
    loop {
        let _pass = tokio::select! {
            _ = state.shutdown.cancelled() => return,
            pass = tick.tick() => pass,
        };
        match triage::wake_snoozed(&state.app).await {
            Ok(done) => {
                publish::settle(&state, done).await;
            }
            Err(e) => tracing::warn!("could not wake snoozed conversations: {e}"),
        }
    }
}
