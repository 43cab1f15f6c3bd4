//! A socket's part in presence: while a console socket is open its agent counts as connected,
//! while a widget socket is open its visitor is live. Teammates hear the first connect and the
//! last disconnect.

use uuid::Uuid;

use crate::auth::Caller;
use crate::events;
use crate::presence::{agent_entry, live_visitor};
use crate::state::SharedState;

enum Who {
    Agent {
        workspace_id: Uuid,
        agent_id: Uuid,
    },
    Visitor {
        workspace_id: Uuid,
        inbox_id: Uuid,
        contact_id: Uuid,
    },
}

/// Counts the socket as connected until dropped.
pub struct Connected {
    state: SharedState,
    who: Who,
}

impl Connected {
    pub async fn new(state: &SharedState, caller: &Caller) -> Self {
        let who = match caller {
            Caller::Agent { agent, .. } => {
                if state.presence.agent_connected(agent.id) {
                    announce_agent(state, agent.workspace_id, agent.id).await;
                }
                Who::Agent {
                    workspace_id: agent.workspace_id,
                    agent_id: agent.id,
                }
            }
            Caller::Visitor(v) => {
                if state
                    .presence
                    .visitor_connected(v.workspace_id, v.inbox_id, v.contact_id)
                {
                    if let Some(live) = state.presence.visitor(v.contact_id) {
                        match live_visitor(state, v.contact_id, &live).await {
                            Ok(Some(visitor)) => {
                                events::visitor_online(state, v.workspace_id, visitor)
                            }
                            Ok(None) => {}
                            Err(e) => tracing::warn!("could not announce a visitor: {e}"),
                        }
                    }
                }
                if let Err(e) = crate::routing::queue_position_of(
                    state,
                    v.workspace_id,
                    v.inbox_id,
                    v.contact_id,
                )
                .await
                {
                    tracing::warn!("could not tell a visitor their place in the queue: {e:?}");
                }
                Who::Visitor {
                    workspace_id: v.workspace_id,
                    inbox_id: v.inbox_id,
                    contact_id: v.contact_id,
                }
            }
        };
        Self {
            state: state.clone(),
            who,
        }
    }
}

async fn announce_agent(state: &SharedState, workspace_id: Uuid, agent_id: Uuid) {
    match agent_entry(state, workspace_id, agent_id).await {
        Ok(Some(entry)) => events::agent_updated(state, entry),
        Ok(None) => {}
        Err(e) => tracing::warn!("could not announce an agent: {e}"),
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        match self.who {
            Who::Agent {
                workspace_id,
                agent_id,
            } => {
                // The grace is on the clock before the socket counts as gone, so that nobody
                // sees the agent disconnected before their offline check is scheduled.
                let offline_check =
                    crate::routing::offline_after_grace(self.state.clone(), workspace_id, agent_id);
                let now = self.state.clock.now();
                if self.state.presence.agent_disconnected(agent_id, now) {
                    let state = self.state.clone();
                    tokio::spawn(async move {
                        announce_agent(&state, workspace_id, agent_id).await;
                        offline_check.await;
                    });
                }
            }
            Who::Visitor {
                workspace_id,
                inbox_id,
                contact_id,
            } => {
                if self.state.presence.visitor_disconnected(contact_id) {
                    events::visitor_offline(&self.state, workspace_id, inbox_id, contact_id);
                }
            }
        }
    }
}
