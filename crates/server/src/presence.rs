//! Who is connected to this node now: agents with a console socket open, and visitors with the
//! widget open (and the page they are on). Ephemeral by design: nothing here is stored, and a
//! restart empties it until sockets reconnect.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use livedesk_core::store::StoreResult;
use livedesk_protocol::model::{
    AgentEntry, AgentStatus, ConversationStatus, LiveVisitor, Millis, PageView,
};
use tokio::time::Instant;
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

/// An agent's console sockets on this node, and when the last of them closed.
#[derive(Debug, Clone, Copy)]
struct AgentLink {
    sockets: usize,
    /// When the count last fell to zero; `None` while it never has.
    left_at: Option<Instant>,
}

impl AgentLink {
    /// Gone for the whole grace window: no socket now, and none at any moment of the `grace`
    /// before `now`. A socket that opened and closed again inside the window moved `left_at`.
    fn gone_for(link: Option<&AgentLink>, grace: Duration, now: Instant) -> bool {
        match link {
            None => true,
            Some(l) if l.sockets > 0 => false,
            Some(l) => l
                .left_at
                .is_none_or(|left| now.saturating_duration_since(left) >= grace),
        }
    }
}

#[derive(Default)]
pub struct Presence {
    /// Kept after the last socket closes (one small entry per agent who ever connected), so
    /// the grace check knows when they left.
    agents: Mutex<HashMap<Uuid, AgentLink>>,
    visitors: Mutex<HashMap<Uuid, LiveState>>,
}

impl Presence {
    /// Counts a console socket; `true` when it is the agent's first.
    pub fn agent_connected(&self, agent_id: Uuid) -> bool {
        let Ok(mut agents) = self.agents.lock() else {
            return false;
        };
        let link = agents.entry(agent_id).or_insert(AgentLink {
            sockets: 0,
            left_at: None,
        });
        link.sockets += 1;
        link.sockets == 1
    }

    /// `true` when it was the agent's last socket (closed at `now`).
    pub fn agent_disconnected(&self, agent_id: Uuid, now: Instant) -> bool {
        let Ok(mut agents) = self.agents.lock() else {
            return false;
        };
        match agents.get_mut(&agent_id) {
            Some(link) if link.sockets > 1 => {
                link.sockets -= 1;
                false
            }
            Some(link) if link.sockets == 1 => {
                link.sockets = 0;
                link.left_at = Some(now);
                true
            }
            _ => false,
        }
    }

    pub fn agent_is_connected(&self, agent_id: Uuid) -> bool {
        self.agents
            .lock()
            .map(|a| a.get(&agent_id).is_some_and(|l| l.sockets > 0))
            .unwrap_or(false)
    }

    /// Whether the agent had no console connected at any time during the `grace` before `now`:
    /// what sets them offline. A reconnect inside the window, even one closed again just
    /// before the check, means no (the check that closing schedules decides later).
    pub fn agent_gone_for(&self, agent_id: Uuid, grace: Duration, now: Instant) -> bool {
        self.agents
            .lock()
            .map(|a| AgentLink::gone_for(a.get(&agent_id), grace, now))
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

/// Whether a visitor of the inbox can expect an answer now: an agent who works the inbox (a
/// member of it, as routing requires) has set themselves online and has a console connected
/// to this node. Admins and supervisors see every inbox but work only those they are members of.
pub async fn inbox_agents_online(
    state: &SharedState,
    workspace_id: Uuid,
    inbox_id: Uuid,
) -> StoreResult<bool> {
    for agent_id in state.store.inbox_member_ids(inbox_id).await? {
        if !state.presence.agent_is_connected(agent_id) {
            continue;
        }
        let entry = state.store.agent_entry(workspace_id, agent_id).await?;
        if entry.is_some_and(|e| e.agent.status == AgentStatus::Online) {
            return Ok(true);
        }
    }
    Ok(false)
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
        assert!(!p.agent_disconnected(a, Instant::now()));
        assert!(p.agent_is_connected(a));
        assert!(p.agent_disconnected(a, Instant::now()));
        assert!(!p.agent_is_connected(a));
        assert!(!p.agent_disconnected(a, Instant::now()));
    }

    const GRACE: Duration = Duration::from_secs(60);

    #[test]
    fn an_agent_is_gone_only_after_a_whole_grace_window_without_a_socket() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let left = |ms: u64| AgentLink {
            sockets: 0,
            left_at: Some(at(ms)),
        };
        // Never connected on this node (after a restart): gone once the check runs.
        assert!(AgentLink::gone_for(None, GRACE, at(60_000)));
        // Connected now: never gone.
        let open = AgentLink {
            sockets: 1,
            left_at: Some(at(0)),
        };
        assert!(!AgentLink::gone_for(Some(&open), GRACE, at(600_000)));
        // Left at 0: gone from 60 s on, not a moment before.
        assert!(!AgentLink::gone_for(Some(&left(0)), GRACE, at(59_999)));
        assert!(AgentLink::gone_for(Some(&left(0)), GRACE, at(60_000)));
        // Back at 10 s and gone again at 59.9 s (a reload in flight): the check of the first
        // departure, at 60 s, finds them present during its window; the second's, at 119.9 s,
        // decides.
        assert!(!AgentLink::gone_for(Some(&left(59_900)), GRACE, at(60_000)));
        assert!(!AgentLink::gone_for(
            Some(&left(59_900)),
            GRACE,
            at(119_899)
        ));
        assert!(AgentLink::gone_for(Some(&left(59_900)), GRACE, at(119_900)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_reconnect_inside_the_grace_window_cancels_that_check_even_if_it_closes_again() {
        let p = Presence::default();
        let a = Uuid::now_v7();
        let step = |ms: u64| tokio::time::advance(Duration::from_millis(ms));
        p.agent_connected(a);
        p.agent_disconnected(a, Instant::now()); // t = 0: the first check is due at 60 s.
        step(10_000).await;
        p.agent_connected(a); // t = 10 s: back.
        step(49_900).await;
        p.agent_disconnected(a, Instant::now()); // t = 59.9 s: a reload in flight; its check is due at 119.9 s.
        step(100).await;
        assert!(!p.agent_is_connected(a));
        assert!(
            !p.agent_gone_for(a, GRACE, Instant::now()),
            "the check at 60 s must not set them offline"
        );
        step(59_899).await; // t = 119.899 s
        assert!(!p.agent_gone_for(a, GRACE, Instant::now()));
        step(1).await;
        assert!(
            p.agent_gone_for(a, GRACE, Instant::now()),
            "gone a whole window after the last departure"
        );
        // Another agent who never connected here is gone for any window.
        assert!(p.agent_gone_for(Uuid::now_v7(), GRACE, Instant::now()));
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
