//! Routing under load: the capacity decision is made in the store's transaction, so no number
//! of concurrent routings puts an agent above capacity, and the queue is served in order.

use std::collections::HashMap;

use livedesk_core::directory::{AgentChanges, ConversationChanges};
use livedesk_core::routing::{drain, RouteOutcome};
use livedesk_protocol::model::{AgentStatus, RoutingPolicy, RoutingSettings};

use super::*;

async fn open_counts(store: &dyn Store, ws: &Workspace) -> HashMap<Uuid, (i64, u32)> {
    store
        .agent_entries(ws.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.agent.id, (e.open_count, e.agent.capacity)))
        .collect()
}

fn assert_within_capacity(counts: &HashMap<Uuid, (i64, u32)>) {
    for (agent, (open, capacity)) in counts {
        assert!(
            *open <= i64::from(*capacity),
            "agent {agent} has {open} open, capacity {capacity}"
        );
    }
}

async fn a_thousand_concurrent_chats_never_exceed_capacity_and_the_queue_drains_in_order(
    store: Arc<dyn Store>,
) {
    let ws = workspace(&*store, "Busy").await;
    let inbox = inbox(&*store, &ws, "Website").await;
    let routing = RoutingSettings {
        policy: RoutingPolicy::LeastBusy,
        ..Default::default()
    };
    store
        .set_inbox_routing(ws.id, inbox.id, routing)
        .await
        .unwrap();
    let mut total_capacity = 0;
    for i in 0..20u32 {
        let a = agent(&*store, &ws, &format!("agent{i}@busy.example"), Role::Agent).await;
        let capacity = 3 + i % 8; // 3..=10
        total_capacity += capacity;
        let changes = AgentChanges {
            capacity: Some(capacity),
            inbox_ids: Some(vec![inbox.id]),
            ..Default::default()
        };
        store.update_agent(ws.id, a.id, changes).await.unwrap();
        store
            .set_agent_status(a.id, AgentStatus::Online)
            .await
            .unwrap();
    }

    // 1 000 visitors start a chat at once; each is routed as it is created. 64 at a time, far
    // more than the pool's connections (so routings contend for the agents' rows), but not
    // all 1 000 waiting for a connection, which on a busy machine outlasts the pool's acquire
    // timeout before any capacity rule is tested.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let store = Arc::clone(&store);
        let inbox = inbox.clone();
        let in_flight = Arc::clone(&in_flight);
        tasks.push(tokio::spawn(async move {
            let _turn = in_flight.acquire_owned().await.unwrap();
            let c = contact(&*store, &inbox).await;
            let conv = conversation(&*store, &c).await;
            match store
                .route(conv.workspace_id, conv.id, None, livedesk_core::now_ms())
                .await
                .unwrap()
            {
                RouteOutcome::Assigned(_) => 1,
                RouteOutcome::Queued(_) => 0,
                RouteOutcome::Skipped => panic!("a new conversation was skipped"),
            }
        }));
    }
    let mut assigned = 0;
    for t in tasks {
        assigned += t.await.unwrap();
    }
    let counts = open_counts(&*store, &ws).await;
    assert_within_capacity(&counts);
    assert_eq!(assigned, total_capacity, "every free place was used");
    let queue = store.queue(ws.id, None, 2000).await.unwrap();
    assert_eq!(
        queue.len() as u32 + assigned,
        1000,
        "every chat is assigned or queued"
    );

    // Resolving chats one at a time lets the queue through in order, never above capacity.
    let expected: Vec<Uuid> = queue.iter().map(|c| c.id).collect();
    let mut served = Vec::new();
    let mut step = 0u64;
    while served.len() < expected.len() {
        let open = store
            .find_conversations(&livedesk_core::directory::ConversationQuery {
                workspace_id: ws.id,
                status: Some(ConversationStatus::Open),
                assignee: livedesk_core::directory::AssigneeFilter::Any,
                // Every open chat: the assigned ones need not be the most recently active.
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        let busy: Vec<&Conversation> = open.iter().filter(|c| c.assignee_id.is_some()).collect();
        assert!(!busy.is_empty(), "the queue is stuck with nobody busy");
        // A spread of agents, deterministically.
        step = step
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let done = busy[(step >> 33) as usize % busy.len()];
        let resolve = ConversationChanges {
            status: Some(ConversationStatus::Resolved),
            ..Default::default()
        };
        change(&*store, ws.id, done.id, resolve).await.unwrap();
        let next = drain(&*store, ws.id, livedesk_core::now_ms())
            .await
            .unwrap();
        assert!(
            next.len() <= 1,
            "one freed place, {} assignments",
            next.len()
        );
        served.extend(next.iter().map(|c| c.id));
        if served.len() % 97 == 0 {
            assert_within_capacity(&open_counts(&*store, &ws).await);
        }
    }
    assert_eq!(served, expected, "the queue was not served in order");
    assert_within_capacity(&open_counts(&*store, &ws).await);
    assert!(store.queue(ws.id, None, 10).await.unwrap().is_empty());
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_thousand_concurrent_chats_never_exceed_capacity_and_the_queue_drains_in_order =>
    a_thousand_concurrent_chats_never_exceed_capacity_and_the_queue_drains_in_order_on_sqlite,
    a_thousand_concurrent_chats_never_exceed_capacity_and_the_queue_drains_in_order_on_postgres,
);

async fn eligibility_teams_priority_and_returning_unanswered_chats(store: Arc<dyn Store>) {
    let w = world(&*store).await;
    let now = livedesk_core::now_ms();
    let rr = RoutingSettings {
        policy: RoutingPolicy::RoundRobin,
        ..Default::default()
    };
    store
        .set_inbox_routing(w.ws.id, w.inbox.id, rr)
        .await
        .unwrap();
    let conv = |c: &Contact| {
        let (store, c) = (Arc::clone(&store), c.clone());
        async move { conversation(&*store, &c).await }
    };

    // Not a member, not online, or at capacity: not eligible; the chat waits.
    let first = conv(&w.contact).await;
    assert!(matches!(
        store.route(w.ws.id, first.id, None, now).await.unwrap(),
        RouteOutcome::Queued(_)
    ));
    let changes = AgentChanges {
        inbox_ids: Some(vec![w.inbox.id]),
        capacity: Some(1),
        ..Default::default()
    };
    store
        .update_agent(w.ws.id, w.agent.id, changes)
        .await
        .unwrap();
    assert!(matches!(
        store.route(w.ws.id, first.id, None, now).await.unwrap(),
        RouteOutcome::Queued(_)
    ));
    store
        .set_agent_status(w.agent.id, AgentStatus::Online)
        .await
        .unwrap();
    let RouteOutcome::Assigned(c) = store.route(w.ws.id, first.id, None, now).await.unwrap() else {
        panic!("an eligible agent was free");
    };
    assert_eq!(
        (c.assignee_id, c.assigned_at),
        (Some(w.agent.id), Some(now))
    );
    assert!(matches!(
        store.route(w.ws.id, first.id, None, now).await.unwrap(),
        RouteOutcome::Skipped
    ));

    // At capacity: the next two queue, the urgent one ahead of the older one.
    let older = conv(&w.contact).await;
    let urgent = conv(&w.contact).await;
    store.route(w.ws.id, older.id, None, now).await.unwrap();
    let urgent_change = ConversationChanges {
        priority: Some(livedesk_protocol::model::Priority::Urgent),
        ..Default::default()
    };
    change(&*store, w.ws.id, urgent.id, urgent_change)
        .await
        .unwrap();
    store
        .route(w.ws.id, urgent.id, None, now + 1)
        .await
        .unwrap();
    assert_eq!(
        ids(&store.queue(w.ws.id, None, 10).await.unwrap()),
        vec![urgent.id, older.id]
    );

    // A team's conversations go to its members only.
    let helper = agent(&*store, &w.ws, "helper@acme.example", Role::Agent).await;
    let team = store
        .create_team(w.ws.id, &name("Billing"), &[helper.id])
        .await
        .unwrap();
    let changes = AgentChanges {
        inbox_ids: Some(vec![w.inbox.id]),
        capacity: Some(1),
        ..Default::default()
    };
    store
        .update_agent(w.ws.id, helper.id, changes)
        .await
        .unwrap();
    // Moved to the team while its member is away: routed in the change's transaction, and
    // queued.
    let billing = conv(&w.contact).await;
    let to_team = ConversationChanges {
        team_id: Some(Some(team.id)),
        ..Default::default()
    };
    let moved = change(&*store, w.ws.id, billing.id, to_team).await.unwrap();
    assert_eq!((moved.assignee_id, moved.queued_at.is_some()), (None, true));
    store
        .set_agent_status(helper.id, AgentStatus::Online)
        .await
        .unwrap();
    let served = drain(&*store, w.ws.id, now + 2).await.unwrap();
    // The helper is free, and eligible for the inbox's queue as well: the urgent one goes first.
    assert_eq!(ids(&served), vec![urgent.id]);
    let RouteOutcome::Queued(_) = store
        .route(w.ws.id, billing.id, None, now + 3)
        .await
        .unwrap()
    else {
        panic!("the team's only member is at capacity");
    };

    // Offline: the agent's unanswered chat returns to the queue; an answered one stays.
    append(
        &*store,
        record(
            &c,
            by_agent(&w.agent),
            MessageKind::Note,
            "n1",
            "a note is no answer",
        ),
    )
    .await;
    let returned = store.return_unanswered(w.ws.id, w.agent.id).await.unwrap();
    assert_eq!(ids(&returned), vec![first.id]);
    assert_eq!(returned[0].assignee_id, None);
    assert!(returned[0].queued_at.is_some());
    // Its line was written with it: the newest message, at the seq the conversation shows.
    let last = store
        .messages_before(first.id, i64::MAX, 1, Audience::Agent)
        .await
        .unwrap();
    assert_eq!(last[0].seq, returned[0].last_seq);
    assert_eq!(
        last[0].event,
        Some(TimelineEvent::Requeued {
            reason: RequeueReason::AgentOffline
        })
    );
    append(
        &*store,
        record(&urgent, by_agent(&helper), MessageKind::Text, "t1", "hello"),
    )
    .await;
    assert!(store
        .return_unanswered(w.ws.id, helper.id)
        .await
        .unwrap()
        .is_empty());
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    eligibility_teams_priority_and_returning_unanswered_chats =>
    eligibility_teams_priority_and_returning_unanswered_chats_on_sqlite,
    eligibility_teams_priority_and_returning_unanswered_chats_on_postgres,
);

/// Hears what the store commits, in the order it is told.
struct Heard(std::sync::Mutex<Vec<(Uuid, i64)>>);

impl livedesk_core::store::CommitListener for Heard {
    fn committed(&self, messages: &[livedesk_core::store::CommittedMessage]) {
        let mut heard = self.0.lock().unwrap();
        heard.extend(
            messages
                .iter()
                .map(|m| (m.message.conversation_id, m.message.seq)),
        );
    }
}

/// An agent's change is one transaction: the row, its timeline lines (as data), a transfer's
/// note and, when it leaves the conversation open without an agent, the routing and its
/// line. A change checked against an assignee who is no longer assigned is refused whole.
async fn a_change_writes_its_lines_and_routing_in_its_transaction(store: Arc<dyn Store>) {
    use livedesk_core::directory::{ChangeCause, ConversationChange};
    use livedesk_protocol::model::{Priority, TeamRef, TimelineEvent};

    let w = world(&*store).await;
    let heard = Arc::new(Heard(std::sync::Mutex::new(Vec::new())));
    store.on_commit(Arc::clone(&heard) as Arc<dyn livedesk_core::store::CommitListener>);
    let rr = RoutingSettings {
        policy: RoutingPolicy::RoundRobin,
        ..Default::default()
    };
    store
        .set_inbox_routing(w.ws.id, w.inbox.id, rr)
        .await
        .unwrap();
    let changes = AgentChanges {
        inbox_ids: Some(vec![w.inbox.id]),
        capacity: Some(2),
        ..Default::default()
    };
    store
        .update_agent(w.ws.id, w.agent.id, changes)
        .await
        .unwrap();
    store
        .set_agent_status(w.agent.id, AgentStatus::Online)
        .await
        .unwrap();
    let by = AgentRef {
        id: w.agent.id,
        name: w.agent.name.clone(),
    };
    let c = &w.conversation;
    let change = |changes: ConversationChanges, cause, if_assignee| ConversationChange {
        workspace_id: w.ws.id,
        conversation_id: c.id,
        changes,
        by: by.clone(),
        cause,
        if_assignee,
        now: livedesk_core::now_ms(),
    };
    let events = |messages: &[Message]| -> Vec<Option<TimelineEvent>> {
        messages.iter().map(|m| m.event.clone()).collect()
    };

    // Taking it and raising its priority: two lines, in the same transaction.
    let take = ConversationChanges {
        assignee_id: Some(Some(w.agent.id)),
        priority: Some(Priority::High),
        ..Default::default()
    };
    let done = store
        .change_conversation(change(take, ChangeCause::Update, Some(None)))
        .await
        .unwrap();
    assert_eq!(done.before.assignee_id, None);
    assert_eq!(
        (done.after.assignee_id, done.after.last_seq),
        (Some(w.agent.id), 2)
    );
    assert!(done.routed.is_none(), "assigned: nothing to route");
    let took = [
        Some(TimelineEvent::Took { by: by.clone() }),
        Some(TimelineEvent::PriorityChanged {
            by: by.clone(),
            priority: Priority::High,
        }),
    ];
    assert_eq!(events(&all_messages(&*store, c).await), took);

    // Checked against "unassigned", but it is taken now: refused, nothing written.
    let resolve = ConversationChanges {
        status: Some(ConversationStatus::Resolved),
        ..Default::default()
    };
    let stale = store
        .change_conversation(change(resolve, ChangeCause::Update, Some(None)))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let now = store.conversation(w.ws.id, c.id).await.unwrap().unwrap();
    assert_eq!((now.status, now.last_seq), (ConversationStatus::Open, 2));

    // To a team, with a note: the line, the agent's note, then the team's routing (its only
    // member is free) and its line.
    let team = store
        .create_team(w.ws.id, &name("Billing"), &[w.agent.id])
        .await
        .unwrap();
    let to_team = ConversationChanges {
        assignee_id: Some(None),
        team_id: Some(Some(team.id)),
        ..Default::default()
    };
    let note = Some(body("Over to billing"));
    let done = store
        .change_conversation(change(
            to_team,
            ChangeCause::Transfer { note },
            Some(Some(w.agent.id)),
        ))
        .await
        .unwrap();
    assert!(
        matches!(done.routed, Some(RouteOutcome::Assigned(_))),
        "{:?}",
        done.routed
    );
    assert_eq!(
        (done.after.assignee_id, done.after.last_seq),
        (Some(w.agent.id), 5)
    );
    let messages = all_messages(&*store, c).await;
    let mut want = took.to_vec();
    want.extend([
        Some(TimelineEvent::Transferred {
            by: by.clone(),
            to: None,
            team: Some(TeamRef {
                id: team.id,
                name: "Billing".into(),
            }),
        }),
        None,
        Some(TimelineEvent::Assigned {
            by: None,
            to: by.clone(),
        }),
    ]);
    assert_eq!(events(&messages), want);
    assert_eq!(
        (messages[3].author.id, messages[3].body.as_str()),
        (Some(w.agent.id), "Over to billing")
    );

    // Unassigned with nobody free: the line, then the queue (no routing line).
    store
        .set_agent_status(w.agent.id, AgentStatus::Away)
        .await
        .unwrap();
    let drop = ConversationChanges {
        assignee_id: Some(None),
        ..Default::default()
    };
    let done = store
        .change_conversation(change(drop, ChangeCause::Update, None))
        .await
        .unwrap();
    assert!(matches!(done.routed, Some(RouteOutcome::Queued(_))));
    assert!(done.after.queued_at.is_some());
    let messages = all_messages(&*store, c).await;
    assert_eq!(
        messages.last().and_then(|m| m.event.clone()),
        Some(TimelineEvent::Unassigned { by: by.clone() })
    );

    // The listener heard every line once, in seq order.
    let heard: Vec<i64> = heard
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| *id == c.id)
        .map(|(_, seq)| *seq)
        .collect();
    assert_eq!(heard, (1..=done.after.last_seq).collect::<Vec<_>>());
}

on_both_backends!(
    #[tokio::test]
    a_change_writes_its_lines_and_routing_in_its_transaction
        => a_change_writes_its_lines_and_routing_in_its_transaction_on_sqlite,
           a_change_writes_its_lines_and_routing_in_its_transaction_on_postgres,
);

/// Deactivating an agent: one transaction takes every conversation they hold that is not
/// resolved off them, each with its `requeued` line at the seq the conversation shows, ends
/// their sessions and sets them offline; reactivating takes nothing.
async fn deactivating_an_agent_requeues_their_conversations_with_their_lines(
    store: Arc<dyn Store>,
) {
    let w = world(&*store).await;
    let now = livedesk_core::now_ms();
    let assign = |()| ConversationChanges {
        assignee_id: Some(Some(w.agent.id)),
        ..Default::default()
    };
    let open = change(&*store, w.ws.id, w.conversation.id, assign(()))
        .await
        .unwrap();
    let other = contact(&*store, &w.inbox).await;
    let snoozed = conversation(&*store, &other).await;
    change(&*store, w.ws.id, snoozed.id, assign(()))
        .await
        .unwrap();
    let snooze = ConversationChanges {
        status: Some(ConversationStatus::Snoozed),
        snoozed_until: Some(now + 3_600_000),
        ..Default::default()
    };
    change(&*store, w.ws.id, snoozed.id, snooze).await.unwrap();
    let third = contact(&*store, &w.inbox).await;
    let resolved = conversation(&*store, &third).await;
    change(&*store, w.ws.id, resolved.id, assign(()))
        .await
        .unwrap();
    let resolve = ConversationChanges {
        status: Some(ConversationStatus::Resolved),
        ..Default::default()
    };
    change(&*store, w.ws.id, resolved.id, resolve)
        .await
        .unwrap();
    let hash = token();
    store
        .create_session(NewSession {
            token_hash: hash.clone(),
            agent_id: w.agent.id,
            created_at: now,
            expires_at: FAR_FUTURE,
        })
        .await
        .unwrap();

    let (agent, returned) = store
        .set_agent_active(w.ws.id, w.agent.id, false)
        .await
        .unwrap()
        .expect("the agent exists");
    assert!(!agent.active);
    assert_eq!(agent.status, AgentStatus::Offline);
    let mut got = ids(&returned);
    got.sort();
    let mut want = vec![open.id, snoozed.id];
    want.sort();
    assert_eq!(got, want, "the resolved conversation stays theirs");
    for c in &returned {
        assert_eq!(c.assignee_id, None);
        let last = store
            .messages_before(c.id, i64::MAX, 1, Audience::Agent)
            .await
            .unwrap();
        assert_eq!(last[0].seq, c.last_seq);
        assert_eq!(
            last[0].event,
            Some(TimelineEvent::Requeued {
                reason: RequeueReason::AgentDeactivated
            })
        );
    }
    let open_now = store.conversation(w.ws.id, open.id).await.unwrap().unwrap();
    assert!(open_now.queued_at.is_some(), "back in the queue");
    let resolved_now = store
        .conversation(w.ws.id, resolved.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved_now.assignee_id, Some(w.agent.id));
    assert!(store.session(&hash, now).await.unwrap().is_none());

    let (agent, returned) = store
        .set_agent_active(w.ws.id, w.agent.id, true)
        .await
        .unwrap()
        .unwrap();
    assert!(agent.active);
    assert!(returned.is_empty());
    assert!(store
        .set_agent_active(w.ws.id, Uuid::now_v7(), false)
        .await
        .unwrap()
        .is_none());
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    deactivating_an_agent_requeues_their_conversations_with_their_lines =>
    deactivating_an_agent_requeues_their_conversations_with_their_lines_on_sqlite,
    deactivating_an_agent_requeues_their_conversations_with_their_lines_on_postgres,
);
