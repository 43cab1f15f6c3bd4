//! Routing: who gets a new conversation. The choice is a pure function of the candidates'
//! state ([`choose`]), so it is the same on every node and testable without a database; the
//! store calls it inside the transaction that holds the candidates' rows, so the capacity
//! check and the assignment are one atomic step (see `docs/architecture.md`).
//!
//! [`drain`] hands queued conversations to agents in FIFO order (priority first) for as long
//! as someone is eligible.

use std::collections::HashSet;

use livedesk_protocol::model::{Conversation, Millis, RoutingPolicy};
use uuid::Uuid;

use crate::store::{Store, StoreResult};

/// An agent who could take the conversation: a member of its inbox (and team), online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub agent_id: Uuid,
    /// Open conversations assigned now.
    pub open: u32,
    pub capacity: u32,
    /// When the router last gave them a conversation; `None` if never.
    pub last_assigned_at: Option<Millis>,
}

/// The agent a policy picks, or `None` to queue (manual routing, or nobody below capacity).
///
/// - round robin: the eligible agent assigned least recently (never assigned first);
/// - least busy: the fewest open conversations, ties to the one idle longest (assigned least
///   recently).
///
/// Remaining ties go to the smaller agent id, so the choice is deterministic.
pub fn choose(policy: RoutingPolicy, candidates: &[Candidate]) -> Option<Uuid> {
    let free = candidates.iter().filter(|c| c.open < c.capacity);
    // `None` sorts before `Some`: never assigned counts as idle longest.
    match policy {
        RoutingPolicy::Manual => None,
        RoutingPolicy::RoundRobin => free
            .min_by_key(|c| (c.last_assigned_at, c.agent_id))
            .map(|c| c.agent_id),
        RoutingPolicy::LeastBusy => free
            .min_by_key(|c| (c.open, c.last_assigned_at, c.agent_id))
            .map(|c| c.agent_id),
    }
}

/// What routing one conversation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteOutcome {
    Assigned(Conversation),
    /// Nobody eligible (or manual routing): waiting in the queue.
    Queued(Conversation),
    /// Not open, already assigned, or gone: nothing to do.
    Skipped,
}

/// Whether an assignment has gone unanswered long enough to offer it to someone else.
pub fn due_for_reoffer(
    assigned_at: Millis,
    answered: bool,
    reoffer_secs: u32,
    now: Millis,
) -> bool {
    reoffer_secs > 0 && !answered && now - assigned_at >= i64::from(reoffer_secs) * 1000
}

/// Routes every queued conversation of the workspace that someone can take now, oldest
/// first (higher priority before lower). A pool (inbox and team) found full is skipped for the
/// rest of the pass, so a pass costs one transaction per assignment plus one per pool.
pub async fn drain(
    store: &dyn Store,
    workspace_id: Uuid,
    now: Millis,
) -> StoreResult<Vec<Conversation>> {
    let mut assigned = Vec::new();
    let mut full: HashSet<(Uuid, Option<Uuid>)> = HashSet::new();
    for queued in store.queue(workspace_id, None, 1000).await? {
        let pool = (queued.inbox_id, queued.team_id);
        if full.contains(&pool) {
            continue;
        }
        match store.route(workspace_id, queued.id, None, now).await? {
            RouteOutcome::Assigned(c) => assigned.push(c),
            RouteOutcome::Queued(_) => {
                full.insert(pool);
            }
            RouteOutcome::Skipped => {}
        }
    }
    Ok(assigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn c(n: u128, open: u32, capacity: u32, last: Option<Millis>) -> Candidate {
        Candidate {
            agent_id: id(n),
            open,
            capacity,
            last_assigned_at: last,
        }
    }

    #[test]
    fn each_policy_picks_by_its_definition() {
        use RoutingPolicy::*;
        let cases: &[(&str, RoutingPolicy, Vec<Candidate>, Option<u128>)] = &[
            ("manual never picks", Manual, vec![c(1, 0, 5, None)], None),
            ("nobody", RoundRobin, vec![], None),
            (
                "everyone at capacity",
                LeastBusy,
                vec![c(1, 3, 3, None), c(2, 5, 5, Some(1))],
                None,
            ),
            (
                "round robin: least recently assigned",
                RoundRobin,
                vec![
                    c(1, 0, 5, Some(300)),
                    c(2, 4, 5, Some(100)),
                    c(3, 1, 5, Some(200)),
                ],
                Some(2),
            ),
            (
                "round robin: never assigned comes first",
                RoundRobin,
                vec![c(1, 0, 5, Some(1)), c(2, 0, 5, None)],
                Some(2),
            ),
            (
                "round robin skips a full agent",
                RoundRobin,
                vec![c(1, 5, 5, Some(1)), c(2, 0, 5, Some(9))],
                Some(2),
            ),
            (
                "round robin ties to the smaller id",
                RoundRobin,
                vec![c(7, 0, 5, Some(5)), c(3, 2, 5, Some(5))],
                Some(3),
            ),
            (
                "least busy: fewest open",
                LeastBusy,
                vec![c(1, 2, 5, None), c(2, 1, 5, Some(999)), c(3, 3, 5, None)],
                Some(2),
            ),
            (
                "least busy: ties to the idle longest",
                LeastBusy,
                vec![
                    c(1, 1, 5, Some(500)),
                    c(2, 1, 5, Some(100)),
                    c(3, 1, 5, Some(300)),
                ],
                Some(2),
            ),
            (
                "least busy: never assigned is idle longest",
                LeastBusy,
                vec![c(1, 1, 5, Some(100)), c(2, 1, 5, None)],
                Some(2),
            ),
            (
                "least busy skips a full agent",
                LeastBusy,
                vec![c(1, 1, 1, None), c(2, 4, 10, None)],
                Some(2),
            ),
        ];
        for (what, policy, candidates, want) in cases {
            assert_eq!(choose(*policy, candidates), want.map(id), "{what}");
        }
    }

    #[test]
    fn the_choice_does_not_depend_on_the_order_of_candidates() {
        let mut candidates = vec![
            c(4, 2, 5, Some(10)),
            c(2, 2, 5, Some(10)),
            c(9, 0, 1, None),
            c(5, 1, 3, Some(2)),
        ];
        for policy in [RoutingPolicy::RoundRobin, RoutingPolicy::LeastBusy] {
            let first = choose(policy, &candidates);
            candidates.reverse();
            assert_eq!(choose(policy, &candidates), first);
            candidates.rotate_left(1);
            assert_eq!(choose(policy, &candidates), first);
        }
    }

    #[test]
    fn an_assignment_is_reoffered_only_when_unanswered_for_long_enough() {
        let assigned = 1_000_000;
        let cases = [
            (0, false, 10_000_000, false, "re-offer off"),
            (30, false, assigned + 29_999, false, "not yet"),
            (30, false, assigned + 30_000, true, "due"),
            (30, true, assigned + 90_000, false, "answered"),
        ];
        for (secs, answered, now, want, what) in cases {
            assert_eq!(
                due_for_reoffer(assigned, answered, secs, now),
                want,
                "{what}"
            );
        }
    }
}
