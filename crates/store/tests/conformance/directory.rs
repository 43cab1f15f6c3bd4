//! The `Directory` part of the port: memberships, teams, triage changes and queries, saved
//! replies and labels, each scoped to its workspace.

use livedesk_core::directory::{
    AgentChanges, AssigneeFilter, ConversationChanges, ConversationQuery, ConversationSort,
};
use livedesk_protocol::model::{AgentStatus, Priority};

use super::*;

fn query(ws: &Workspace) -> ConversationQuery {
    ConversationQuery {
        workspace_id: ws.id,
        limit: 50,
        ..Default::default()
    }
}

async fn memberships_and_teams_stay_in_their_workspace(store: Arc<dyn Store>) {
    let w = world(&*store).await;
    let other = workspace(&*store, "Other").await;
    let foreign_inbox = inbox(&*store, &other, "Theirs").await;
    let second = inbox(&*store, &w.ws, "Shop").await;

    // Inboxes and teams of the workspace only; a foreign id fails the whole change.
    let team = store
        .create_team(w.ws.id, &name("Billing"), &[w.agent.id])
        .await
        .unwrap();
    assert_eq!(team.member_ids, vec![w.agent.id]);
    assert!(matches!(
        store.create_team(w.ws.id, &name("Billing"), &[]).await,
        Err(StoreError::Conflict(_))
    ));
    let changes = AgentChanges {
        inbox_ids: Some(vec![w.inbox.id, foreign_inbox.id]),
        ..Default::default()
    };
    assert!(matches!(
        store.update_agent(w.ws.id, w.agent.id, changes).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.agent_inbox_ids(w.agent.id).await.unwrap().is_empty());
    let changes = AgentChanges {
        inbox_ids: Some(vec![second.id, w.inbox.id, w.inbox.id]),
        capacity: Some(8),
        role: Some(Role::Supervisor),
        ..Default::default()
    };
    let entry = store
        .update_agent(w.ws.id, w.agent.id, changes)
        .await
        .unwrap();
    let mut expected = vec![w.inbox.id, second.id];
    expected.sort();
    let mut got = entry.inbox_ids.clone();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(entry.team_ids, vec![team.id]);
    assert_eq!(
        (entry.agent.capacity, entry.agent.role),
        (8, Role::Supervisor)
    );
    assert!(matches!(
        store
            .update_agent(other.id, w.agent.id, AgentChanges::default())
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.inbox_member_ids(second.id).await.unwrap(),
        vec![w.agent.id]
    );
    store
        .set_inbox_members(w.ws.id, second.id, &[])
        .await
        .unwrap();
    assert_eq!(
        store.agent_inbox_ids(w.agent.id).await.unwrap(),
        vec![w.inbox.id]
    );
    assert!(matches!(
        store.set_inbox_members(other.id, second.id, &[]).await,
        Err(StoreError::NotFound)
    ));

    // Status, and the directory's open counts.
    let agent = store
        .set_agent_status(w.agent.id, AgentStatus::Away)
        .await
        .unwrap();
    assert_eq!(agent.status, AgentStatus::Away);
    let assign = ConversationChanges {
        assignee_id: Some(Some(w.agent.id)),
        team_id: Some(Some(team.id)),
        ..Default::default()
    };
    change(&*store, w.ws.id, w.conversation.id, assign)
        .await
        .unwrap();
    let entries = store.agent_entries(w.ws.id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].open_count, entries[0].agent.status),
        (1, AgentStatus::Away)
    );
    assert!(store.agent_entries(other.id).await.unwrap().is_empty());

    // Teams: rename, members, delete (the conversation keeps going without a team).
    assert!(store.team(other.id, team.id).await.unwrap().is_none());
    let renamed = store
        .update_team(w.ws.id, team.id, Some(&name("Payments")), Some(&[]), None)
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.member_ids.len()),
        ("Payments", 0)
    );
    assert!(matches!(
        store.delete_team(other.id, team.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_team(w.ws.id, team.id).await.unwrap();
    assert!(store.list_teams(w.ws.id).await.unwrap().is_empty());
    let c = store
        .conversation(w.ws.id, w.conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c.team_id, c.assignee_id), (None, Some(w.agent.id)));
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    memberships_and_teams_stay_in_their_workspace =>
    memberships_and_teams_stay_in_their_workspace_on_sqlite,
    memberships_and_teams_stay_in_their_workspace_on_postgres,
);

/// Appends a message to `c`; returns it and the conversation's `waiting_since` after it.
async fn say(
    store: &dyn Store,
    c: &Conversation,
    author: &Author,
    kind: MessageKind,
    client_msg_id: &str,
) -> (Message, Option<i64>) {
    let appended = append(store, record(c, author.clone(), kind, client_msg_id, "…")).await;
    let now = store
        .conversation(c.workspace_id, c.id)
        .await
        .unwrap()
        .unwrap();
    (appended.message, now.waiting_since)
}

async fn triage_changes_and_console_queries(store: Arc<dyn Store>) {
    let w = world(&*store).await;
    let other = workspace(&*store, "Other").await;
    let waiting = conversation(&*store, &w.contact).await;
    let answered = conversation(&*store, &w.contact).await;
    append(
        &*store,
        record(
            &waiting,
            by_contact(&w.contact),
            MessageKind::Text,
            "w1",
            "hello?",
        ),
    )
    .await;
    tick().await;
    let (by_visitor, by_alex) = (by_contact(&w.contact), by_agent(&w.agent));
    let (_, first) = say(&*store, &answered, &by_visitor, MessageKind::Text, "a1").await;
    assert!(first.is_some());
    let (_, after_note) = say(&*store, &answered, &by_alex, MessageKind::Note, "a2").await;
    assert_eq!(after_note, first, "a note is no answer");
    // The wait is the oldest unanswered message's: a second one does not move it.
    tick().await;
    let (_, again) = say(&*store, &answered, &by_visitor, MessageKind::Text, "a2b").await;
    assert_eq!(again, first);
    let (_, answered_now) = say(&*store, &answered, &by_alex, MessageKind::Text, "a3").await;
    assert_eq!(answered_now, None);
    // A new message after the answer waits again, from its own time.
    tick().await;
    let (later, waits) = say(&*store, &answered, &by_visitor, MessageKind::Text, "a4").await;
    assert_eq!(waits, Some(later.created_at));

    // Labels, priority, assignee, snooze.
    let changes = ConversationChanges {
        labels: Some(vec!["vip_1".into(), "50%".into()]),
        priority: Some(Priority::Urgent),
        assignee_id: Some(Some(w.agent.id)),
        ..Default::default()
    };
    let c = change(&*store, w.ws.id, waiting.id, changes).await.unwrap();
    assert_eq!((c.labels.len(), c.priority), (2, Priority::Urgent));
    assert!(matches!(
        change(
            &*store,
            other.id,
            waiting.id,
            ConversationChanges::default()
        )
        .await,
        Err(StoreError::NotFound)
    ));
    let foreign_agent = agent(&*store, &other, "x@other.example", Role::Agent).await;
    let bad = ConversationChanges {
        assignee_id: Some(Some(foreign_agent.id)),
        ..Default::default()
    };
    assert!(matches!(
        change(&*store, w.ws.id, waiting.id, bad).await,
        Err(StoreError::NotFound)
    ));

    let found = |q: ConversationQuery| {
        let store = Arc::clone(&store);
        async move { ids(&store.find_conversations(&q).await.unwrap()) }
    };
    let mut q = query(&w.ws);
    q.label = Some("vip_1".into());
    assert_eq!(found(q.clone()).await, vec![waiting.id]);
    q.label = Some("vip".into());
    assert!(found(q.clone()).await.is_empty());
    q.label = Some("50%".into());
    assert_eq!(found(q).await, vec![waiting.id]);
    let mut q = query(&w.ws);
    q.assignee = AssigneeFilter::Unassigned;
    assert_eq!(found(q.clone()).await.len(), 2);
    q.assignee = AssigneeFilter::Agent(w.agent.id);
    assert_eq!(found(q).await, vec![waiting.id]);
    let mut q = query(&w.ws);
    q.sort = ConversationSort::Waiting;
    let order = found(q.clone()).await;
    assert_eq!(order[0], waiting.id, "the one waiting comes first");
    assert_eq!(order.len(), 3);
    q.inbox_ids = Some(vec![]);
    assert!(found(q.clone()).await.is_empty());
    q.inbox_ids = Some(vec![w.inbox.id]);
    assert_eq!(found(q).await.len(), 3);
    let mut q = query(&other);
    q.sort = ConversationSort::Waiting;
    assert!(found(q).await.is_empty());

    // Snoozed conversations wake when their time comes, and only then.
    let now = livedesk_core::now_ms();
    let snooze = ConversationChanges {
        status: Some(ConversationStatus::Snoozed),
        snoozed_until: Some(now + 60_000),
        ..Default::default()
    };
    let c = change(&*store, w.ws.id, answered.id, snooze).await.unwrap();
    assert_eq!(c.snoozed_until, Some(now + 60_000));
    assert!(store.wake_snoozed(now).await.unwrap().is_empty());
    let woken = store.wake_snoozed(now + 60_000).await.unwrap();
    assert_eq!(ids(&woken), vec![answered.id]);
    assert_eq!(
        (woken[0].status, woken[0].snoozed_until),
        (ConversationStatus::Open, None)
    );
    // Its line was written with it: the newest message, at the seq the conversation shows.
    let last = store
        .messages_before(answered.id, i64::MAX, 1, Audience::Agent)
        .await
        .unwrap();
    assert_eq!(last[0].seq, woken[0].last_seq);
    assert_eq!(
        last[0].event,
        Some(TimelineEvent::StatusChanged {
            by: None,
            status: ConversationStatus::Open
        })
    );
    let contacts = store
        .contacts_by_ids(w.ws.id, &[w.contact.id, w.contact.id])
        .await
        .unwrap();
    assert_eq!(contacts.len(), 1);
    assert!(store
        .contacts_by_ids(other.id, &[w.contact.id])
        .await
        .unwrap()
        .is_empty());
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    triage_changes_and_console_queries =>
    triage_changes_and_console_queries_on_sqlite,
    triage_changes_and_console_queries_on_postgres,
);

async fn saved_replies_and_labels_are_unique_per_workspace(store: Arc<dyn Store>) {
    let a = workspace(&*store, "A").await;
    let b = workspace(&*store, "B").await;
    let hello = store
        .create_canned_response(a.id, "hello", "Hi", "Hi {{contact.name}}")
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_canned_response(a.id, "hello", "", "again")
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .create_canned_response(b.id, "hello", "", "theirs")
        .await
        .unwrap();
    let changed = store
        .update_canned_response(a.id, hello.id, "hi", "Hi", "Hello")
        .await
        .unwrap();
    assert_eq!(
        (changed.shortcut.as_str(), changed.body.as_str()),
        ("hi", "Hello")
    );
    assert!(matches!(
        store
            .update_canned_response(b.id, hello.id, "x", "", "y")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_canned_response(b.id, hello.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_canned_response(a.id, hello.id).await.unwrap();
    assert!(store.list_canned_responses(a.id).await.unwrap().is_empty());
    assert_eq!(store.list_canned_responses(b.id).await.unwrap().len(), 1);

    let label = store.create_label(a.id, "refund", "#ff0000").await.unwrap();
    assert!(matches!(
        store.create_label(a.id, "refund", "#000000").await,
        Err(StoreError::Conflict(_))
    ));
    store.create_label(b.id, "refund", "#000000").await.unwrap();
    assert!(matches!(
        store.delete_label(b.id, label.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_label(a.id, label.id).await.unwrap();
    assert!(store.list_labels(a.id).await.unwrap().is_empty());
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    saved_replies_and_labels_are_unique_per_workspace =>
    saved_replies_and_labels_are_unique_per_workspace_on_sqlite,
    saved_replies_and_labels_are_unique_per_workspace_on_postgres,
);
