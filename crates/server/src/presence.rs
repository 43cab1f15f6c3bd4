//! Who is connected to this node now: agents with a console socket open, and visitors with the
//! widget open (and the page they are on). Ephemeral by design: nothing here is stored, and a
//! restart empties it until sockets reconnect.

use std::collections::HashMap;
use std::sync::Mutex;

use livedesk_core::store::StoreResult;
use livedesk_protocol::model::{AgentEntry, ConversationStatus, LiveVisitor, Millis, PageView};
use uuid::Uuid;

use crate::state::SharedState;

#[derive(Debug, Clone)]
pub struct LiveState {
    pub workspace_id: Uuid,
    pub inbox_id: Uuid,
    pub connected_at: Millis,
    pub page: Option<PageView>,
    sockets: usize,
}

#[derive(Default)]
pub struct Presence {
    agents: Mutex<HashMap<Uuid, usize>>,
    visitors: Mutex<HashMap<Uuid, LiveState>>,
}

impl Presence {
    /// Counts a console socket; `true` when it is the agent's first.
    pub fn agent_connected(&self, agent_id: Uuid) -> bool {
        let Ok(mut agents) = self.agents.lock() else {
            return false;
        };
        let n = agents.entry(agent_id).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// `true` when it was the agent's last socket.
    pub fn agent_disconnected(&self, agent_id: Uuid) -> bool {
        let Ok(mut agents) = self.agents.lock() else {
            return false;
        };
        match agents.get_mut(&agent_id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                agents.remove(&agent_id);
                true
            }
            None => false,
        }
    }

    pub fn agent_is_connected(&self, agent_id: Uuid) -> bool {
        self.agents
            .lock()
            .map(|a| a.contains_key(&agent_id))
            .unwrap_or(false)
    }

    /// Counts a widget socket; `true` when it is the visitor's first.
    pub fn visitor_connected(&self, workspace_id: Uuid, inbox_id: Uuid, contact_id: Uuid) -> bool {
        let Ok(mut visitors) = self.visitors.lock() else {
            return false;
        };
        let live = visitors.entry(contact_id).or_insert_with(|| LiveState {
            workspace_id,
            inbox_id,
            connected_at: livedesk_core::now_ms(),
            page: None,
            sockets: 0,
        });
        live.sockets += 1;
        live.sockets == 1
    }

    /// `true` when it was the visitor's last socket.
    pub fn visitor_disconnected(&self, contact_id: Uuid) -> bool {
        let Ok(mut visitors) = self.visitors.lock() else {
            return false;
        };
        match visitors.get_mut(&contact_id) {
            Some(v) if v.sockets > 1 => {
                v.sockets -= 1;
                false
            }
            Some(_) => {
                visitors.remove(&contact_id);
                true
            }
            None => false,
        }
    }

    pub fn visitor_page(&self, page: &PageView) {
        if let Ok(mut visitors) = self.visitors.lock() {
            if let Some(v) = visitors.get_mut(&page.contact_id) {
                v.page = Some(page.clone());
            }
        }
    }

    pub fn visitor(&self, contact_id: Uuid) -> Option<LiveState> {
        self.visitors.lock().ok()?.get(&contact_id).cloned()
    }

    /// The workspace's connected visitors, longest connected first.
    pub fn visitors(&self, workspace_id: Uuid) -> Vec<(Uuid, LiveState)> {
        let mut v: Vec<(Uuid, LiveState)> = self
            .visitors
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|(_, s)| s.workspace_id == workspace_id)
                    .map(|(id, s)| (*id, s.clone()))
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by_key(|(id, s)| (s.connected_at, *id));
        v
    }
}

/// The agent's directory entry, with whether a console is connected now.
pub async fn agent_entry(
    state: &SharedState,
    workspace_id: Uuid,
    agent_id: Uuid,
) -> StoreResult<Option<AgentEntry>> {
    let entry = state.store.agent_entry(workspace_id, agent_id).await?;
    Ok(entry.map(|e| with_connection(state, e)))
}

pub fn with_connection(state: &SharedState, mut entry: AgentEntry) -> AgentEntry {
    entry.connected = state.presence.agent_is_connected(entry.agent.id);
    entry
}

/// A connected visitor as agents see them; `None` if the contact is gone.
pub async fn live_visitor(
    state: &SharedState,
    contact_id: Uuid,
    live: &LiveState,
) -> StoreResult<Option<LiveVisitor>> {
    let Some(contact) = state.store.contact(live.workspace_id, contact_id).await? else {
        return Ok(None);
    };
    let filter = livedesk_core::store::ConversationFilter {
        workspace_id: live.workspace_id,
        contact_id: Some(contact_id),
        inbox_id: None,
        status: None,
        updated_before: None,
        limit: 5,
    };
    let conversation_id = state
        .store
        .list_conversations(&filter)
        .await?
        .into_iter()
        .find(|c| c.status != ConversationStatus::Resolved)
        .map(|c| c.id);
    Ok(Some(LiveVisitor {
        contact_id,
        inbox_id: live.inbox_id,
        name: contact.name,
        email: contact.email,
        verified: contact.verified,
        connected_at: live.connected_at,
        page: live.page.clone(),
        conversation_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_is_connected_until_their_last_socket_closes() {
        let p = Presence::default();
        let a = Uuid::now_v7();
        assert!(p.agent_connected(a));
        assert!(!p.agent_connected(a));
        assert!(!p.agent_disconnected(a));
        assert!(p.agent_is_connected(a));
        assert!(p.agent_disconnected(a));
        assert!(!p.agent_is_connected(a));
        assert!(!p.agent_disconnected(a));
    }

    #[test]
    fn visitors_are_listed_per_workspace_with_their_page() {
        let p = Presence::default();
        let (ws, other, inbox, c) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        assert!(p.visitor_connected(ws, inbox, c));
        assert!(!p.visitor_connected(ws, inbox, c));
        p.visitor_page(&PageView {
            contact_id: c,
            url: "https://shop.example/a".into(),
            title: None,
            referrer: None,
            viewed_at: 1,
        });
        assert_eq!(p.visitors(other).len(), 0);
        let listed = p.visitors(ws);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].1.page.as_ref().map(|v| v.url.as_str()),
            Some("https://shop.example/a")
        );
        assert!(!p.visitor_disconnected(c));
        assert!(p.visitor_disconnected(c));
        assert!(p.visitors(ws).is_empty());
    }
}
