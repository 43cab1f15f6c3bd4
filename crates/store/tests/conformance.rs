//! The storage conformance suite: one set of cases, run against every backend of
//! `livedesk_core::store::Store`.
//!
//! Each case is an `async fn case(store: Arc<dyn Store>)` that starts from an empty database;
//! `on_both_backends!` stamps out one `…_on_sqlite` and one `…_on_postgres` test per case.
//! The PostgreSQL tests run only when `LIVEDESK_TEST_POSTGRES_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); otherwise they print why and pass, or fail when
//! `CI` is set. Each PostgreSQL test gets a database of its own, dropped when the test ends,
//! passed or failed (kept, its URL printed, when `LIVEDESK_TEST_KEEP_DATABASES` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use livedesk_core::store::{
    Appended, Audience, ConversationFilter, NewAgentRecord, NewMessageRecord, NewSession, Store,
    StoreError, VisitorSession, Workspace,
};
use livedesk_core::values::{ClientMsgId, DisplayName, Email, MessageBody, WebOrigin};
use livedesk_protocol::model::{
    Agent, AgentRef, Author, AuthorKind, Contact, Conversation, ConversationStatus, Inbox, Message,
    MessageKind, RequeueReason, Role, TimelineEvent,
};
use livedesk_store::postgres::PgStore;
use livedesk_store::sqlite::SqliteStore;
use livedesk_store::testing::{fresh_postgres_database, postgres_url, KEEP_DATABASES_VAR};
use livedesk_store::SqliteSynchronous;
use tokio::task::JoinError;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Running a case on each backend
// ---------------------------------------------------------------------------------------------

/// `on_both_backends!(#[test attribute] case => sqlite_test_name, postgres_test_name);`
macro_rules! on_both_backends {
    ($(#[$test:meta])+ $case:ident => $on_sqlite:ident, $on_postgres:ident $(,)?) => {
        $(#[$test])+
        async fn $on_sqlite() {
            run_on_sqlite($case).await;
        }

        $(#[$test])+
        async fn $on_postgres() {
            run_on_postgres($case).await;
        }
    };
}

async fn run_on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(
        &dir.path().join("livedesk.db"),
        SqliteSynchronous::Full,
        4,
        Arc::new(livedesk_core::SystemClock),
    )
    .await
    .expect("open SQLite");
    assert_eq!(store.backend(), "sqlite");
    let outcome = tokio::spawn(case(Arc::new(store))).await;
    if outcome.is_err() {
        // Keep the file for inspection.
        let kept = dir.keep();
        eprintln!(
            "case failed on SQLite; database kept at {}",
            kept.join("livedesk.db").display()
        );
    }
    finish(outcome);
}

async fn run_on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(admin_url) = postgres_url() else {
        return;
    };
    let database = fresh_postgres_database(&admin_url)
        .await
        .expect("create a PostgreSQL database");
    let store = PgStore::connect(database.url(), 8, Arc::new(livedesk_core::SystemClock))
        .await
        .expect("connect to PostgreSQL");
    assert_eq!(store.backend(), "postgres");
    let outcome = tokio::spawn(case(Arc::new(store))).await;
    if outcome.is_err() {
        eprintln!(
            "case failed on PostgreSQL in {}; set {KEEP_DATABASES_VAR}=1 to keep it",
            database.name()
        );
    }
    drop(database);
    finish(outcome);
}

/// Re-raises a case's panic in the test's own thread.
fn finish(outcome: Result<(), JoinError>) {
    match outcome {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("case did not finish: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn name(raw: &str) -> DisplayName {
    DisplayName::parse(raw).unwrap()
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn origin(raw: &str) -> WebOrigin {
    WebOrigin::parse(raw).unwrap()
}

fn cmid(raw: &str) -> ClientMsgId {
    ClientMsgId::parse(raw.to_owned()).unwrap()
}

fn body(raw: &str) -> MessageBody {
    MessageBody::parse(raw.to_owned(), 10_000).unwrap()
}

/// A fresh, random token hash (the store only ever sees hashes).
fn token() -> Vec<u8> {
    let mut hash = Uuid::new_v4().as_bytes().to_vec();
    hash.extend_from_slice(Uuid::new_v4().as_bytes());
    hash
}

/// Far enough ahead that visitor sessions made by fixtures never expire during a test.
const FAR_FUTURE: i64 = 32_503_680_000_000; // year 3000

async fn workspace(store: &dyn Store, label: &str) -> Workspace {
    let ws = store.create_workspace(&name(label)).await.unwrap();
    assert_eq!(ws.name, label);
    ws
}

async fn inbox(store: &dyn Store, ws: &Workspace, label: &str) -> Inbox {
    store.create_inbox(ws.id, &name(label), &[]).await.unwrap()
}

async fn agent(store: &dyn Store, ws: &Workspace, address: &str, role: Role) -> Agent {
    store
        .create_agent(NewAgentRecord {
            workspace_id: ws.id,
            email: email(address),
            name: name(&format!("Agent {address}")),
            role,
            password_hash: format!("hash-of-{address}"),
        })
        .await
        .unwrap()
}

/// A visitor contact in `inbox` (with a long-lived visitor session nobody uses).
async fn contact(store: &dyn Store, inbox: &Inbox) -> Contact {
    store
        .create_visitor(inbox, &token(), FAR_FUTURE, None)
        .await
        .unwrap()
}

async fn conversation(store: &dyn Store, contact: &Contact) -> Conversation {
    store
        .create_conversation(contact.workspace_id, contact.inbox_id, contact.id)
        .await
        .unwrap()
}

/// A workspace with an inbox, a contact, an agent and one conversation.
struct World {
    ws: Workspace,
    inbox: Inbox,
    contact: Contact,
    agent: Agent,
    conversation: Conversation,
}

/// An agent's update through the one-transaction change, as the server makes it; returns the
/// conversation as committed.
async fn change(
    store: &dyn Store,
    workspace_id: Uuid,
    conversation_id: Uuid,
    changes: livedesk_core::directory::ConversationChanges,
) -> Result<Conversation, StoreError> {
    let change = livedesk_core::directory::ConversationChange {
        workspace_id,
        conversation_id,
        changes,
        by: AgentRef {
            id: Uuid::now_v7(),
            name: "Supervisor".into(),
        },
        cause: livedesk_core::directory::ChangeCause::Update,
        if_assignee: None,
        now: livedesk_core::now_ms(),
    };
    Ok(store.change_conversation(change).await?.after)
}

async fn world(store: &dyn Store) -> World {
    let ws = workspace(store, "Acme").await;
    let inbox = inbox(store, &ws, "Website").await;
    let contact = contact(store, &inbox).await;
    let agent = agent(
        store,
        &ws,
        &format!("{}@acme.example", Uuid::new_v4().simple()),
        Role::Agent,
    )
    .await;
    let conversation = conversation(store, &contact).await;
    World {
        ws,
        inbox,
        contact,
        agent,
        conversation,
    }
}

fn by_contact(contact: &Contact) -> Author {
    Author {
        kind: AuthorKind::Contact,
        id: Some(contact.id),
        name: None,
    }
}

fn by_agent(agent: &Agent) -> Author {
    Author {
        kind: AuthorKind::Agent,
        id: Some(agent.id),
        name: Some(agent.name.clone()),
    }
}

fn record(
    conversation: &Conversation,
    author: Author,
    kind: MessageKind,
    client_msg_id: &str,
    text: &str,
) -> NewMessageRecord {
    NewMessageRecord {
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        client_msg_id: cmid(client_msg_id),
        author,
        kind,
        body: body(text),
        attachment: None,
        event: None,
    }
}

async fn append(store: &dyn Store, new: NewMessageRecord) -> Appended {
    store.append_message(new).await.unwrap()
}

async fn last_seq(store: &dyn Store, conversation: &Conversation) -> i64 {
    store
        .conversation(conversation.workspace_id, conversation.id)
        .await
        .unwrap()
        .expect("conversation exists")
        .last_seq
}

async fn all_messages(store: &dyn Store, conversation: &Conversation) -> Vec<Message> {
    store
        .messages_after(conversation.id, 0, 10_000, Audience::Agent)
        .await
        .unwrap()
}

fn seqs(messages: &[Message]) -> Vec<i64> {
    messages.iter().map(|m| m.seq).collect()
}

fn filter(ws: &Workspace) -> ConversationFilter {
    ConversationFilter {
        workspace_id: ws.id,
        contact_id: None,
        inbox_id: None,
        status: None,
        updated_before: None,
        limit: 100,
    }
}

fn ids(conversations: &[Conversation]) -> Vec<Uuid> {
    conversations.iter().map(|c| c.id).collect()
}

/// Lets the millisecond clock move on, so `updated_at` values differ.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

// ---------------------------------------------------------------------------------------------
// 1. Sequence numbers
// ---------------------------------------------------------------------------------------------

async fn seq_counts_up_per_conversation(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let other_contact = contact(s, &w.inbox).await;
    let a = w.conversation.clone();
    let b = conversation(s, &other_contact).await;
    assert_eq!(a.last_seq, 0);
    assert_eq!(last_seq(s, &a).await, 0);
    assert_eq!(last_seq(s, &b).await, 0);

    // Interleaved: each conversation numbers its own messages.
    let plan = [
        (&a, "a1", 1),
        (&b, "b1", 1),
        (&a, "a2", 2),
        (&a, "a3", 3),
        (&b, "b2", 2),
    ];
    for (conv, id, expected_seq) in plan {
        let author = if conv.id == a.id {
            by_contact(&w.contact)
        } else {
            by_contact(&other_contact)
        };
        let got = append(
            s,
            record(conv, author, MessageKind::Text, id, &format!("body {id}")),
        )
        .await;
        assert!(!got.duplicate, "{id} is new");
        assert_eq!(got.message.seq, expected_seq, "{id}");
        assert_eq!(got.message.conversation_id, conv.id);
        assert_eq!(got.message.client_msg_id.as_deref(), Some(id));
        assert_eq!(
            last_seq(s, conv).await,
            expected_seq,
            "last_seq follows after {id}"
        );
    }

    let in_a = all_messages(s, &a).await;
    let in_b = all_messages(s, &b).await;
    assert_eq!(seqs(&in_a), [1, 2, 3]);
    assert_eq!(seqs(&in_b), [1, 2]);
    assert_eq!(
        in_a.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["body a1", "body a2", "body a3"]
    );
    assert!(in_b.iter().all(|m| m.conversation_id == b.id));

    let a_now = s.conversation(w.ws.id, a.id).await.unwrap().unwrap();
    assert!(
        a_now.updated_at >= a.updated_at,
        "an append moves updated_at forward"
    );
    assert_eq!(a_now.created_at, a.created_at);
}

on_both_backends!(
    #[tokio::test]
    seq_counts_up_per_conversation
        => seq_counts_up_from_one_per_conversation_on_sqlite,
           seq_counts_up_from_one_per_conversation_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 2. Idempotent appends
// ---------------------------------------------------------------------------------------------

async fn duplicate_client_msg_id_returns_the_original(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;

    let first = append(
        s,
        record(
            c,
            by_contact(&w.contact),
            MessageKind::Text,
            "msg-1",
            "hello",
        ),
    )
    .await;
    assert!(!first.duplicate);
    assert_eq!(first.message.seq, 1);

    // A retry: same key, even if the body differs, answers with the stored message.
    let retry = append(
        s,
        record(
            c,
            by_contact(&w.contact),
            MessageKind::Text,
            "msg-1",
            "hello again",
        ),
    )
    .await;
    assert!(retry.duplicate, "a retry is reported as a duplicate");
    assert_eq!(
        retry.message, first.message,
        "a retry returns the original message, unchanged"
    );

    let stored = all_messages(s, c).await;
    assert_eq!(
        stored,
        vec![first.message.clone()],
        "exactly one row, equal to what append returned"
    );
    assert_eq!(last_seq(s, c).await, 1, "a duplicate does not use up a seq");

    let next = append(
        s,
        record(
            c,
            by_contact(&w.contact),
            MessageKind::Text,
            "msg-2",
            "next",
        ),
    )
    .await;
    assert!(!next.duplicate);
    assert_eq!(next.message.seq, 2, "no gap after a duplicate");
}

on_both_backends!(
    #[tokio::test]
    duplicate_client_msg_id_returns_the_original
        => duplicate_client_msg_id_returns_the_original_on_sqlite,
           duplicate_client_msg_id_returns_the_original_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 3. Concurrency
// ---------------------------------------------------------------------------------------------

async fn concurrent_retries_store_one_message(store: Arc<dyn Store>) {
    const TASKS: usize = 50;
    let w = world(&*store).await;
    let start = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        let start = Arc::clone(&start);
        let new = record(
            &w.conversation,
            by_contact(&w.contact),
            MessageKind::Text,
            "same-key",
            "once",
        );
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store.append_message(new).await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(
            task.await
                .unwrap()
                .expect("every concurrent retry succeeds"),
        );
    }

    let stored = all_messages(&*store, &w.conversation).await;
    assert_eq!(
        stored.len(),
        1,
        "exactly one message stored: {:?}",
        seqs(&stored)
    );
    let original = &stored[0];
    assert_eq!(original.seq, 1);
    for got in &results {
        assert_eq!(
            &got.message, original,
            "every caller sees the stored message"
        );
    }
    let fresh = results.iter().filter(|r| !r.duplicate).count();
    assert_eq!(
        fresh, 1,
        "exactly one caller stored it; the others got duplicate=true"
    );
    assert_eq!(
        last_seq(&*store, &w.conversation).await,
        1,
        "losing retries leave no seq behind"
    );

    let next = append(
        &*store,
        record(
            &w.conversation,
            by_contact(&w.contact),
            MessageKind::Text,
            "k2",
            "x",
        ),
    )
    .await;
    assert_eq!(next.message.seq, 2);
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_retries_store_one_message
        => fifty_concurrent_appends_of_one_client_msg_id_store_one_message_on_sqlite,
           fifty_concurrent_appends_of_one_client_msg_id_store_one_message_on_postgres
);

async fn concurrent_appends_get_gapless_seqs(store: Arc<dyn Store>) {
    const TASKS: i64 = 200;
    let w = world(&*store).await;
    let start = Arc::new(tokio::sync::Barrier::new(TASKS as usize));
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let store = Arc::clone(&store);
        let start = Arc::clone(&start);
        // Both sides of the conversation write at once.
        let author = if i % 2 == 0 {
            by_contact(&w.contact)
        } else {
            by_agent(&w.agent)
        };
        let new = record(
            &w.conversation,
            author,
            MessageKind::Text,
            &format!("m-{i}"),
            &format!("message {i}"),
        );
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store.append_message(new).await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(
            task.await
                .unwrap()
                .expect("every concurrent append succeeds"),
        );
    }

    assert!(
        results.iter().all(|r| !r.duplicate),
        "distinct keys are never duplicates"
    );
    let mut got: Vec<i64> = results.iter().map(|r| r.message.seq).collect();
    got.sort_unstable();
    assert_eq!(
        got,
        (1..=TASKS).collect::<Vec<_>>(),
        "seqs are exactly 1..=200"
    );
    let distinct_ids: HashSet<Uuid> = results.iter().map(|r| r.message.id).collect();
    assert_eq!(distinct_ids.len(), TASKS as usize);

    let stored = all_messages(&*store, &w.conversation).await;
    assert_eq!(
        seqs(&stored),
        (1..=TASKS).collect::<Vec<_>>(),
        "stored ascending, no gaps or repeats"
    );
    for appended in &results {
        let row = &stored[usize::try_from(appended.message.seq - 1).unwrap()];
        assert_eq!(
            row, &appended.message,
            "what append returned is what was stored"
        );
    }
    assert_eq!(last_seq(&*store, &w.conversation).await, TASKS);
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_appends_get_gapless_seqs
        => two_hundred_concurrent_appends_get_seqs_one_to_two_hundred_on_sqlite,
           two_hundred_concurrent_appends_get_seqs_one_to_two_hundred_on_postgres
);

/// Starts every append at once, each from a task of its own, and returns their outcomes in the
/// order given. On a current-thread runtime every task queues its append before any of them
/// is answered, so on SQLite they meet in one group commit.
async fn all_at_once(
    store: &Arc<dyn Store>,
    news: Vec<NewMessageRecord>,
) -> Vec<Result<Appended, StoreError>> {
    let tasks: Vec<_> = news
        .into_iter()
        .map(|new| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.append_message(new).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// Asserts that `conversation` holds exactly seqs 1..=n, each equal to what an append returned.
async fn assert_dense(store: &dyn Store, conversation: &Conversation, returned: &[&Appended]) {
    let stored = all_messages(store, conversation).await;
    let n = stored.len() as i64;
    assert_eq!(
        seqs(&stored),
        (1..=n).collect::<Vec<_>>(),
        "seqs of {} are dense from 1, no gaps or repeats",
        conversation.id
    );
    assert_eq!(
        last_seq(store, conversation).await,
        n,
        "last_seq is the highest seq"
    );
    let fresh: Vec<&&Appended> = returned.iter().filter(|a| !a.duplicate).collect();
    assert_eq!(
        fresh.len() as i64,
        n,
        "one stored message per non-duplicate append"
    );
    for appended in returned {
        let row = &stored[usize::try_from(appended.message.seq - 1).unwrap()];
        assert_eq!(
            row, &appended.message,
            "what append returned is what was stored"
        );
    }
}

async fn concurrent_appends_to_many_conversations_get_dense_seqs(store: Arc<dyn Store>) {
    const CONVERSATIONS: usize = 16;
    const PER_CONVERSATION: usize = 40;
    let w = world(&*store).await;
    let mut conversations = vec![w.conversation.clone()];
    let mut contacts = vec![w.contact.clone()];
    while conversations.len() < CONVERSATIONS {
        let c = contact(&*store, &w.inbox).await;
        conversations.push(conversation(&*store, &c).await);
        contacts.push(c);
    }

    // Two waves, so the second continues where the first left off, across batches.
    let mut returned: Vec<Vec<Appended>> = vec![Vec::new(); CONVERSATIONS];
    for wave in 0..2 {
        let total = CONVERSATIONS * PER_CONVERSATION;
        let start = Arc::new(tokio::sync::Barrier::new(total));
        let mut tasks = Vec::new();
        for i in 0..total {
            let c = i % CONVERSATIONS;
            let author = if i % 3 == 0 {
                by_agent(&w.agent)
            } else {
                by_contact(&contacts[c])
            };
            let new = record(
                &conversations[c],
                author,
                MessageKind::Text,
                &format!("w{wave}-{i}"),
                &format!("wave {wave} message {i}"),
            );
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            tasks.push((
                c,
                tokio::spawn(async move {
                    start.wait().await;
                    store.append_message(new).await
                }),
            ));
        }
        for (c, task) in tasks {
            let got = task.await.unwrap().expect("every append succeeds");
            assert!(!got.duplicate, "distinct keys are never duplicates");
            assert_eq!(got.message.conversation_id, conversations[c].id);
            returned[c].push(got);
        }
    }

    let mut ids = HashSet::new();
    for (c, conversation) in conversations.iter().enumerate() {
        let mine: Vec<&Appended> = returned[c].iter().collect();
        assert_eq!(mine.len(), 2 * PER_CONVERSATION);
        assert_dense(&*store, conversation, &mine).await;
        ids.extend(mine.iter().map(|a| a.message.id));
    }
    assert_eq!(
        ids.len(),
        2 * CONVERSATIONS * PER_CONVERSATION,
        "ids are unique"
    );
}

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_appends_to_many_conversations_get_dense_seqs
        => concurrent_appends_to_sixteen_conversations_get_dense_seqs_each_on_sqlite,
           concurrent_appends_to_sixteen_conversations_get_dense_seqs_each_on_postgres
);

/// Two callers race the same `client_msg_id` among other sends to the conversation; on SQLite
/// they land in one batch. One message is stored; both get it, one of them as a duplicate, and
/// the duplicate uses no seq.
async fn one_client_msg_id_raced_within_a_batch_is_stored_once(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let same = || {
        record(
            c,
            by_contact(&w.contact),
            MessageKind::Text,
            "raced",
            "sent twice",
        )
    };
    let other = |i: usize| {
        record(
            c,
            by_agent(&w.agent),
            MessageKind::Text,
            &format!("other-{i}"),
            "x",
        )
    };
    let news = vec![other(0), same(), other(1), other(2), same(), other(3)];
    let outcomes: Vec<Appended> = all_at_once(&store, news)
        .await
        .into_iter()
        .map(|o| o.expect("every append succeeds"))
        .collect();

    let (first, second) = (&outcomes[1], &outcomes[4]);
    assert_eq!(
        first.message, second.message,
        "both callers get the one message"
    );
    assert_eq!(
        [first.duplicate, second.duplicate]
            .iter()
            .filter(|d| **d)
            .count(),
        1,
        "exactly one of the two is told it was a duplicate"
    );
    assert_eq!(first.message.body, "sent twice");
    for i in [0, 2, 3, 5] {
        assert!(!outcomes[i].duplicate, "append {i} is new");
    }
    let returned: Vec<&Appended> = outcomes.iter().collect();
    assert_dense(s, c, &returned).await;
    assert_eq!(
        all_messages(s, c).await.len(),
        5,
        "five distinct keys, five messages"
    );

    // A later retry, in a batch of its own, finds the same message.
    let retry = append(s, same()).await;
    assert!(retry.duplicate);
    assert_eq!(retry.message, first.message);
    assert_eq!(last_seq(s, c).await, 5);
}

on_both_backends!(
    #[tokio::test]
    one_client_msg_id_raced_within_a_batch_is_stored_once
        => one_client_msg_id_raced_by_two_callers_at_once_is_stored_once_on_sqlite,
           one_client_msg_id_raced_by_two_callers_at_once_is_stored_once_on_postgres
);

/// Appends to an unknown conversation, or naming the wrong workspace, arrive together with
/// valid ones (on SQLite: in one batch). They fail alone; the others are stored with dense
/// seqs.
async fn a_bad_append_fails_alone_among_concurrent_ones(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let other_ws = world(s).await;
    let valid = |i: usize| {
        record(
            c,
            by_contact(&w.contact),
            MessageKind::Text,
            &format!("ok-{i}"),
            &format!("valid {i}"),
        )
    };
    let unknown = NewMessageRecord {
        conversation_id: Uuid::now_v7(),
        ..valid(100)
    };
    let foreign = NewMessageRecord {
        workspace_id: other_ws.ws.id,
        ..valid(101)
    };
    let mut news: Vec<NewMessageRecord> = (0..3).map(valid).collect();
    news.push(unknown);
    news.extend((3..6).map(valid));
    news.push(foreign);
    news.extend((6..9).map(valid));
    let outcomes = all_at_once(&store, news).await;

    assert!(
        matches!(outcomes[3], Err(StoreError::NotFound)),
        "unknown conversation: {:?}",
        outcomes[3]
    );
    assert!(
        matches!(outcomes[7], Err(StoreError::NotFound)),
        "conversation of another workspace: {:?}",
        outcomes[7]
    );
    let good: Vec<&Appended> = outcomes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 7)
        .map(|(i, o)| {
            o.as_ref()
                .unwrap_or_else(|e| panic!("append {i} failed: {e:?}"))
        })
        .collect();
    assert_eq!(good.len(), 9);
    assert!(good.iter().all(|a| !a.duplicate));
    assert_dense(s, c, &good).await;
    assert_eq!(
        last_seq(s, &other_ws.conversation).await,
        0,
        "nothing reached the other workspace's conversation"
    );
    assert!(all_messages(s, &other_ws.conversation).await.is_empty());
}

on_both_backends!(
    #[tokio::test]
    a_bad_append_fails_alone_among_concurrent_ones
        => an_append_to_an_unknown_or_foreign_conversation_fails_alone_among_concurrent_ones_on_sqlite,
           an_append_to_an_unknown_or_foreign_conversation_fails_alone_among_concurrent_ones_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 4. The dedupe key includes the author
// ---------------------------------------------------------------------------------------------

async fn same_client_msg_id_from_two_authors_makes_two_messages(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let other_agent = agent(s, &w.ws, "second@acme.example", Role::Agent).await;

    let from_contact = append(
        s,
        record(c, by_contact(&w.contact), MessageKind::Text, "shared", "hi"),
    )
    .await;
    let from_agent = append(
        s,
        record(c, by_agent(&w.agent), MessageKind::Text, "shared", "hello"),
    )
    .await;
    let from_other_agent = append(
        s,
        record(
            c,
            by_agent(&other_agent),
            MessageKind::Text,
            "shared",
            "hey",
        ),
    )
    .await;
    assert!(!from_contact.duplicate && !from_agent.duplicate && !from_other_agent.duplicate);
    assert_eq!(
        [
            from_contact.message.seq,
            from_agent.message.seq,
            from_other_agent.message.seq
        ],
        [1, 2, 3]
    );
    assert_ne!(from_contact.message.id, from_agent.message.id);

    // Each author's retry finds that author's own message.
    let retry = append(
        s,
        record(c, by_agent(&w.agent), MessageKind::Text, "shared", "hello"),
    )
    .await;
    assert!(retry.duplicate);
    assert_eq!(retry.message, from_agent.message);
    let retry = append(
        s,
        record(c, by_contact(&w.contact), MessageKind::Text, "shared", "hi"),
    )
    .await;
    assert!(retry.duplicate);
    assert_eq!(retry.message, from_contact.message);

    let stored = all_messages(s, c).await;
    assert_eq!(
        stored,
        vec![
            from_contact.message,
            from_agent.message,
            from_other_agent.message
        ]
    );
    assert_eq!(stored[0].author, by_contact(&w.contact));
    assert_eq!(stored[1].author, by_agent(&w.agent));
}

on_both_backends!(
    #[tokio::test]
    same_client_msg_id_from_two_authors_makes_two_messages
        => same_client_msg_id_from_two_authors_makes_two_messages_on_sqlite,
           same_client_msg_id_from_two_authors_makes_two_messages_on_postgres
);

/// Authors without an id (system messages) are deduplicated too: `(conversation, author,
/// client_msg_id)` is the key, and the author is `system` both times.
async fn system_message_retry_is_stored_once(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let system = || Author {
        kind: AuthorKind::System,
        id: None,
        name: None,
    };
    let first = append(
        s,
        record(c, system(), MessageKind::Event, "assigned-1", "assigned"),
    )
    .await;
    let retry = append(
        s,
        record(c, system(), MessageKind::Event, "assigned-1", "assigned"),
    )
    .await;
    assert!(!first.duplicate);
    assert!(retry.duplicate, "a retried system message is a duplicate");
    assert_eq!(retry.message, first.message);
    assert_eq!(seqs(&all_messages(s, c).await), [1]);
}

on_both_backends!(
    #[tokio::test]
    system_message_retry_is_stored_once
        => a_retried_system_message_is_stored_once_on_sqlite,
           a_retried_system_message_is_stored_once_on_postgres
);

/// A timeline line keeps its event as data, in the group commit's batches and alone, and reads
/// back as it was written.
async fn timeline_lines_keep_their_event(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let by = AgentRef {
        id: w.agent.id,
        name: w.agent.name.clone(),
    };
    let lines = [
        TimelineEvent::Took { by: by.clone() },
        TimelineEvent::StatusChanged {
            by: None,
            status: ConversationStatus::Open,
        },
        TimelineEvent::Requeued {
            reason: RequeueReason::AgentOffline,
        },
    ];
    // Sent at once, so that on SQLite they share a batch.
    let mut tasks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut new = record(
            c,
            Author {
                kind: AuthorKind::System,
                id: None,
                name: None,
            },
            MessageKind::Note,
            &format!("line-{i}"),
            &line.describe(),
        );
        new.event = Some(line.clone());
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move { store.append_message(new).await }));
    }
    for task in tasks {
        let appended = task.await.unwrap().unwrap();
        assert!(
            appended.message.event.is_some(),
            "the ack carries the event"
        );
    }
    append(
        s,
        record(c, by_agent(&w.agent), MessageKind::Text, "t", "hi"),
    )
    .await;
    for m in all_messages(s, c).await {
        let cmid = m.client_msg_id.as_deref().unwrap();
        let want = cmid
            .strip_prefix("line-")
            .map(|i| lines[i.parse::<usize>().unwrap()].clone());
        assert_eq!(m.event, want, "{cmid}: stored as written");
        if let Some(line) = want {
            assert_eq!(m.body, line.describe());
        }
    }
}

on_both_backends!(
    #[tokio::test]
    timeline_lines_keep_their_event
        => timeline_lines_keep_their_event_on_sqlite,
           timeline_lines_keep_their_event_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 5. Reading history
// ---------------------------------------------------------------------------------------------

async fn paging_is_ascending_and_notes_are_for_agents_only(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let system = Author {
        kind: AuthorKind::System,
        id: None,
        name: None,
    };

    // seq:  1 text(contact) 2 text(agent) 3 note 4 text(contact) 5 event(system)
    //       6 text(agent)   7 note        8 text 9 text           10 text
    let mut appended = Vec::new();
    for seq in 1..=10 {
        let (author, kind) = match seq {
            3 | 7 => (by_agent(&w.agent), MessageKind::Note),
            5 => (system.clone(), MessageKind::Event),
            n if n % 2 == 0 => (by_agent(&w.agent), MessageKind::Text),
            _ => (by_contact(&w.contact), MessageKind::Text),
        };
        let got = append(
            s,
            record(c, author, kind, &format!("p{seq}"), &format!("#{seq}")),
        )
        .await;
        assert_eq!(got.message.seq, seq);
        appended.push(got.message);
    }
    // Noise in another conversation must never show up.
    let elsewhere = conversation(s, &contact(s, &w.inbox).await).await;
    append(
        s,
        record(
            &elsewhere,
            by_agent(&w.agent),
            MessageKind::Text,
            "p1",
            "elsewhere",
        ),
    )
    .await;

    let after = |after_seq, limit, audience| s.messages_after(c.id, after_seq, limit, audience);
    let before = |before_seq, limit, audience| s.messages_before(c.id, before_seq, limit, audience);
    let agent = Audience::Agent;
    let visitor = Audience::Visitor;

    // Everything, as stored.
    assert_eq!(
        after(0, 100, agent).await.unwrap(),
        appended,
        "rows round-trip every field"
    );
    assert_eq!(before(i64::MAX, 100, agent).await.unwrap(), appended);

    // Forward paging.
    assert_eq!(seqs(&after(0, 4, agent).await.unwrap()), [1, 2, 3, 4]);
    assert_eq!(seqs(&after(4, 4, agent).await.unwrap()), [5, 6, 7, 8]);
    assert_eq!(seqs(&after(8, 4, agent).await.unwrap()), [9, 10]);
    assert_eq!(seqs(&after(10, 4, agent).await.unwrap()), Vec::<i64>::new());
    assert_eq!(seqs(&after(0, 0, agent).await.unwrap()), Vec::<i64>::new());

    // Backward paging: the newest `limit` before the cursor, still ascending.
    assert_eq!(seqs(&before(11, 4, agent).await.unwrap()), [7, 8, 9, 10]);
    assert_eq!(seqs(&before(7, 4, agent).await.unwrap()), [3, 4, 5, 6]);
    assert_eq!(seqs(&before(3, 4, agent).await.unwrap()), [1, 2]);
    assert_eq!(seqs(&before(1, 4, agent).await.unwrap()), Vec::<i64>::new());

    // Visitors never get notes; the limit counts what they may see.
    let seen = after(0, 100, visitor).await.unwrap();
    assert_eq!(seqs(&seen), [1, 2, 4, 5, 6, 8, 9, 10]);
    assert!(seen.iter().all(|m| m.kind != MessageKind::Note));
    assert_eq!(seen[3].kind, MessageKind::Event);
    assert_eq!(seen[3].author, system);
    assert_eq!(seqs(&after(0, 3, visitor).await.unwrap()), [1, 2, 4]);
    assert_eq!(seqs(&after(4, 3, visitor).await.unwrap()), [5, 6, 8]);
    assert_eq!(seqs(&before(11, 3, visitor).await.unwrap()), [8, 9, 10]);
    assert_eq!(seqs(&before(8, 3, visitor).await.unwrap()), [4, 5, 6]);
    assert_eq!(
        seqs(&before(i64::MAX, 100, visitor).await.unwrap()),
        [1, 2, 4, 5, 6, 8, 9, 10]
    );

    // Agents do get notes.
    let notes: Vec<i64> = after(0, 100, agent)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.kind == MessageKind::Note)
        .map(|m| m.seq)
        .collect();
    assert_eq!(notes, [3, 7]);

    // An unknown conversation has no messages.
    assert!(s
        .messages_after(Uuid::now_v7(), 0, 100, agent)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(seqs(&all_messages(s, &elsewhere).await), [1]);
}

on_both_backends!(
    #[tokio::test]
    paging_is_ascending_and_notes_are_for_agents_only
        => paging_is_ascending_and_notes_are_for_agents_only_on_sqlite,
           paging_is_ascending_and_notes_are_for_agents_only_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 6. Workspace scoping
// ---------------------------------------------------------------------------------------------

async fn everything_is_scoped_to_its_workspace(store: Arc<dyn Store>) {
    let s = &*store;
    let ws_a = workspace(s, "A").await;
    let ws_b = workspace(s, "B").await;
    let inbox_a1 = inbox(s, &ws_a, "A web").await;
    let inbox_a2 = inbox(s, &ws_a, "A app").await;
    let inbox_b = inbox(s, &ws_b, "B web").await;
    let alice = contact(s, &inbox_a1).await;
    let bob = contact(s, &inbox_a2).await;
    let bea = contact(s, &inbox_b).await;

    let a1 = conversation(s, &alice).await;
    tick().await;
    let a2 = conversation(s, &bob).await;
    tick().await;
    let a3 = conversation(s, &alice).await;
    tick().await;
    let b1 = conversation(s, &bea).await;
    tick().await;
    // The newest activity is now in a1.
    append(
        s,
        record(&a1, by_contact(&alice), MessageKind::Text, "x", "bump"),
    )
    .await;
    let a1 = s.conversation(ws_a.id, a1.id).await.unwrap().unwrap();
    let a3 = s.conversation(ws_a.id, a3.id).await.unwrap().unwrap();
    assert!(a1.updated_at > a3.updated_at);

    // Point reads name their workspace.
    assert_eq!(s.conversation(ws_b.id, a1.id).await.unwrap(), None);
    assert_eq!(s.conversation(ws_a.id, b1.id).await.unwrap(), None);
    assert_eq!(
        s.conversation(ws_b.id, b1.id).await.unwrap().map(|c| c.id),
        Some(b1.id)
    );
    assert_eq!(s.conversation(ws_a.id, Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(s.contact(ws_b.id, alice.id).await.unwrap(), None);
    assert_eq!(
        s.contact(ws_a.id, alice.id).await.unwrap(),
        Some(alice.clone())
    );

    // Appends name their workspace.
    let mut wrong = record(&a2, by_contact(&bob), MessageKind::Text, "y", "sneaky");
    wrong.workspace_id = ws_b.id;
    assert!(matches!(
        s.append_message(wrong).await,
        Err(StoreError::NotFound)
    ));
    let mut nowhere = record(&a2, by_contact(&bob), MessageKind::Text, "y", "lost");
    nowhere.conversation_id = Uuid::now_v7();
    assert!(matches!(
        s.append_message(nowhere).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(last_seq(s, &a2).await, 0, "a refused append takes no seq");
    assert!(all_messages(s, &a2).await.is_empty());

    // Listing: by workspace, newest activity first, then narrowed.
    assert_eq!(
        ids(&s.list_conversations(&filter(&ws_a)).await.unwrap()),
        [a1.id, a3.id, a2.id]
    );
    assert_eq!(
        ids(&s.list_conversations(&filter(&ws_b)).await.unwrap()),
        [b1.id]
    );
    let only = |f: ConversationFilter| async move { ids(&s.list_conversations(&f).await.unwrap()) };
    assert_eq!(
        only(ConversationFilter {
            contact_id: Some(alice.id),
            ..filter(&ws_a)
        })
        .await,
        [a1.id, a3.id]
    );
    assert_eq!(
        only(ConversationFilter {
            contact_id: Some(bea.id),
            ..filter(&ws_a)
        })
        .await,
        Vec::<Uuid>::new(),
        "another workspace's contact finds nothing"
    );
    assert_eq!(
        only(ConversationFilter {
            inbox_id: Some(inbox_a2.id),
            ..filter(&ws_a)
        })
        .await,
        [a2.id]
    );
    assert_eq!(
        only(ConversationFilter {
            inbox_id: Some(inbox_b.id),
            ..filter(&ws_a)
        })
        .await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        only(ConversationFilter {
            contact_id: Some(alice.id),
            inbox_id: Some(inbox_a2.id),
            ..filter(&ws_a)
        })
        .await,
        Vec::<Uuid>::new(),
        "filters combine"
    );
    assert_eq!(
        only(ConversationFilter {
            status: Some(ConversationStatus::Open),
            ..filter(&ws_a)
        })
        .await,
        [a1.id, a3.id, a2.id]
    );
    for status in [
        ConversationStatus::Pending,
        ConversationStatus::Snoozed,
        ConversationStatus::Resolved,
    ] {
        assert_eq!(
            only(ConversationFilter {
                status: Some(status),
                ..filter(&ws_a)
            })
            .await,
            Vec::<Uuid>::new(),
            "{status:?}"
        );
    }
    // Paging by limit and updated_before.
    assert_eq!(
        only(ConversationFilter {
            limit: 2,
            ..filter(&ws_a)
        })
        .await,
        [a1.id, a3.id]
    );
    assert_eq!(
        only(ConversationFilter {
            updated_before: Some(a3.updated_at),
            ..filter(&ws_a)
        })
        .await,
        [a2.id]
    );

    // A conversation needs an inbox and a contact of that workspace.
    let refused = [
        (ws_a.id, inbox_b.id, bea.id),  // another workspace's inbox and contact
        (ws_a.id, inbox_a1.id, bea.id), // another workspace's contact
        (ws_a.id, inbox_b.id, alice.id), // another workspace's inbox
        (ws_b.id, inbox_a1.id, alice.id), // naming the wrong workspace
        (ws_a.id, inbox_a1.id, Uuid::now_v7()), // no such contact
    ];
    for (ws, inbox, contact) in refused {
        let got = s.create_conversation(ws, inbox, contact).await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
    }
    assert_eq!(s.list_conversations(&filter(&ws_a)).await.unwrap().len(), 3);
    assert_eq!(s.list_conversations(&filter(&ws_b)).await.unwrap().len(), 1);
    // A contact first seen in one inbox may chat in another inbox of its workspace.
    let elsewhere = s
        .create_conversation(ws_a.id, inbox_a2.id, alice.id)
        .await
        .unwrap();
    assert_eq!(elsewhere.inbox_id, inbox_a2.id);
}

on_both_backends!(
    #[tokio::test]
    everything_is_scoped_to_its_workspace
        => conversations_and_contacts_are_scoped_to_their_workspace_on_sqlite,
           conversations_and_contacts_are_scoped_to_their_workspace_on_postgres
);

/// A retry naming another workspace must not reveal the stored message.
async fn retry_naming_another_workspace_is_not_found(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let other = workspace(s, "Other").await;
    let new = record(
        &w.conversation,
        by_contact(&w.contact),
        MessageKind::Text,
        "k",
        "secret",
    );
    append(s, new.clone()).await;

    let mut wrong = new;
    wrong.workspace_id = other.id;
    let got = s.append_message(wrong).await;
    assert!(
        matches!(got, Err(StoreError::NotFound)),
        "append naming the wrong workspace must be NotFound even when the key exists, got {got:?}"
    );
}

on_both_backends!(
    #[tokio::test]
    retry_naming_another_workspace_is_not_found
        => a_retry_naming_another_workspace_is_not_found_on_sqlite,
           a_retry_naming_another_workspace_is_not_found_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 7. Agents
// ---------------------------------------------------------------------------------------------

async fn agents_are_unique_by_email(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let elsewhere = workspace(s, "Elsewhere").await;
    assert_eq!(s.count_agents().await.unwrap(), 0);

    let ada = s
        .create_agent(NewAgentRecord {
            workspace_id: ws.id,
            email: email(" Ada@Example.COM "),
            name: name("Ada"),
            role: Role::Admin,
            password_hash: "hash-1".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(
        (ada.workspace_id, ada.name.as_str(), ada.role),
        (ws.id, "Ada", Role::Admin)
    );
    assert_eq!(s.count_agents().await.unwrap(), 1);

    // Taken, whatever the case and whichever the workspace.
    for workspace_id in [ws.id, elsewhere.id] {
        let again = s
            .create_agent(NewAgentRecord {
                workspace_id,
                email: email("ADA@example.com"),
                name: name("Impostor"),
                role: Role::Agent,
                password_hash: "hash-2".to_owned(),
            })
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    }
    assert_eq!(s.count_agents().await.unwrap(), 1);

    let sam = agent(s, &ws, "sam@example.com", Role::Supervisor).await;
    let ann = agent(s, &elsewhere, "ann@example.com", Role::Agent).await;
    assert_eq!(s.count_agents().await.unwrap(), 3);

    // Credentials by e-mail and by id.
    let by_email = s
        .agent_credentials(&email("ada@EXAMPLE.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email.agent, ada);
    assert_eq!(by_email.password_hash, "hash-1");
    let by_id = s.agent_credentials_by_id(ada.id).await.unwrap().unwrap();
    assert_eq!(by_id.agent, ada);
    assert_eq!(by_id.password_hash, "hash-1");
    for other in [&sam, &ann] {
        let creds = s
            .agent_credentials(&email(&other.email))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&creds.agent, other);
        assert_eq!(creds.password_hash, format!("hash-of-{}", other.email));
        assert_eq!(
            &s.agent_credentials_by_id(other.id)
                .await
                .unwrap()
                .unwrap()
                .agent,
            other
        );
    }
    assert!(s
        .agent_credentials(&email("nobody@example.com"))
        .await
        .unwrap()
        .is_none());
    assert!(s
        .agent_credentials_by_id(Uuid::now_v7())
        .await
        .unwrap()
        .is_none());

    // A new password replaces the hash; an unknown agent is NotFound.
    s.set_password(ada.id, "hash-3").await.unwrap();
    assert_eq!(
        s.agent_credentials_by_id(ada.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash-3"
    );
    assert_eq!(
        s.agent_credentials_by_id(sam.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash-of-sam@example.com",
        "only that agent's hash changes"
    );
    assert!(matches!(
        s.set_password(Uuid::now_v7(), "h").await,
        Err(StoreError::NotFound)
    ));
}

on_both_backends!(
    #[tokio::test]
    agents_are_unique_by_email
        => agents_are_unique_by_email_and_found_by_email_or_id_on_sqlite,
           agents_are_unique_by_email_and_found_by_email_or_id_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 8. Agent sessions
// ---------------------------------------------------------------------------------------------

async fn sessions_expire_and_can_be_revoked(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let ada = agent(s, &ws, "ada@example.com", Role::Admin).await;
    let bob = agent(s, &ws, "bob@example.com", Role::Agent).await;
    let session = |agent: &Agent, expires_at| NewSession {
        token_hash: token(),
        agent_id: agent.id,
        created_at: 1_000,
        expires_at,
    };

    // Valid strictly before expires_at.
    let one = session(&ada, 2_000);
    s.create_session(one.clone()).await.unwrap();
    let found = s
        .session(&one.token_hash, 1_999)
        .await
        .unwrap()
        .expect("unexpired session");
    assert_eq!(found.agent, ada);
    assert_eq!(found.expires_at, 2_000);
    assert!(
        s.session(&one.token_hash, 2_000).await.unwrap().is_none(),
        "expired at expires_at"
    );
    assert!(s.session(&one.token_hash, 2_001).await.unwrap().is_none());
    assert!(
        s.session(&token(), 1_500).await.unwrap().is_none(),
        "unknown token"
    );

    // Logging out one session.
    s.delete_session(&one.token_hash).await.unwrap();
    assert!(s.session(&one.token_hash, 1_500).await.unwrap().is_none());
    s.delete_session(&one.token_hash).await.unwrap(); // deleting twice is fine

    // Logging out everywhere, for one agent only.
    let (two, three, bobs) = (
        session(&ada, 5_000),
        session(&ada, 5_000),
        session(&bob, 5_000),
    );
    for new in [&two, &three, &bobs] {
        s.create_session(new.clone()).await.unwrap();
    }
    assert_eq!(
        s.session(&bobs.token_hash, 1_500)
            .await
            .unwrap()
            .unwrap()
            .agent,
        bob
    );
    assert_eq!(s.delete_agent_sessions(ada.id).await.unwrap(), 2);
    assert!(s.session(&two.token_hash, 1_500).await.unwrap().is_none());
    assert!(s.session(&three.token_hash, 1_500).await.unwrap().is_none());
    assert!(
        s.session(&bobs.token_hash, 1_500).await.unwrap().is_some(),
        "bob stays logged in"
    );
    assert_eq!(s.delete_agent_sessions(ada.id).await.unwrap(), 0);

    // A new password logs the agent out everywhere, and nobody else.
    let (four, five) = (session(&ada, 5_000), session(&ada, 5_000));
    s.create_session(four.clone()).await.unwrap();
    s.create_session(five.clone()).await.unwrap();
    s.set_password(ada.id, "new-hash").await.unwrap();
    assert!(s.session(&four.token_hash, 1_500).await.unwrap().is_none());
    assert!(s.session(&five.token_hash, 1_500).await.unwrap().is_none());
    assert!(
        s.session(&bobs.token_hash, 1_500).await.unwrap().is_some(),
        "bob stays logged in"
    );
    assert_eq!(s.delete_agent_sessions(ada.id).await.unwrap(), 0);
    assert_eq!(s.delete_agent_sessions(bob.id).await.unwrap(), 1);

    // Sessions still work after a password change.
    let six = session(&ada, 5_000);
    s.create_session(six.clone()).await.unwrap();
    assert_eq!(
        s.session(&six.token_hash, 1_500)
            .await
            .unwrap()
            .unwrap()
            .agent,
        ada
    );
}

on_both_backends!(
    #[tokio::test]
    sessions_expire_and_can_be_revoked
        => sessions_expire_and_can_be_revoked_on_sqlite,
           sessions_expire_and_can_be_revoked_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 9. Visitors
// ---------------------------------------------------------------------------------------------

async fn visitors_get_a_contact_and_a_session(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let other_ws = workspace(s, "Other").await;
    let web = inbox(s, &ws, "Website").await;
    let app = inbox(s, &ws, "App").await;

    let hash = token();
    let visitor = s.create_visitor(&web, &hash, 9_000, None).await.unwrap();
    assert_eq!((visitor.workspace_id, visitor.inbox_id), (ws.id, web.id));
    assert_eq!(
        (visitor.name.as_deref(), visitor.email.as_deref()),
        (None, None)
    );

    let expected = VisitorSession {
        contact_id: visitor.id,
        inbox_id: web.id,
        workspace_id: ws.id,
        expires_at: 9_000,
    };
    assert_eq!(
        s.visitor_session(&hash, 8_999).await.unwrap(),
        Some(expected)
    );
    assert_eq!(
        s.visitor_session(&hash, 9_000).await.unwrap(),
        None,
        "expired at expires_at"
    );
    assert_eq!(s.visitor_session(&hash, 9_001).await.unwrap(), None);
    assert_eq!(
        s.visitor_session(&token(), 1).await.unwrap(),
        None,
        "unknown token"
    );

    // The contact is stored, in its workspace only.
    assert_eq!(
        s.contact(ws.id, visitor.id).await.unwrap(),
        Some(visitor.clone())
    );
    assert_eq!(s.contact(other_ws.id, visitor.id).await.unwrap(), None);
    assert_eq!(s.contact(ws.id, Uuid::now_v7()).await.unwrap(), None);

    // Each visitor is a contact of its own, in the inbox it came through.
    let hash2 = token();
    let second = s
        .create_visitor(&app, &hash2, 9_000, Some("Firefox/140"))
        .await
        .unwrap();
    assert_ne!(second.id, visitor.id);
    assert_eq!(
        s.contact_device(ws.id, second.id).await.unwrap(),
        (Some("Firefox/140".to_owned()), None),
        "the browser is stored with the contact"
    );
    assert_eq!(
        s.contact_device(ws.id, visitor.id).await.unwrap(),
        (None, None)
    );
    assert_eq!(second.inbox_id, app.id);
    let session2 = s.visitor_session(&hash2, 1).await.unwrap().unwrap();
    assert_eq!(
        (session2.contact_id, session2.inbox_id),
        (second.id, app.id)
    );

    // A visitor can open a conversation in its inbox.
    let conv = s
        .create_conversation(ws.id, web.id, visitor.id)
        .await
        .unwrap();
    assert_eq!(s.conversation(ws.id, conv.id).await.unwrap(), Some(conv));
}

on_both_backends!(
    #[tokio::test]
    visitors_get_a_contact_and_a_session
        => visitors_get_a_contact_and_an_expiring_session_on_sqlite,
           visitors_get_a_contact_and_an_expiring_session_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 10. Inboxes
// ---------------------------------------------------------------------------------------------

async fn inboxes_round_trip(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let other_ws = workspace(s, "Other").await;

    let web = s
        .create_inbox(
            ws.id,
            &name("Website"),
            &[
                origin("HTTPS://Shop.Example.com/"),
                origin("http://localhost:3000"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(web.workspace_id, ws.id);
    assert_eq!(web.name, "Website");
    assert_eq!(
        web.allowed_origins,
        ["https://shop.example.com", "http://localhost:3000"]
    );
    let app = s.create_inbox(ws.id, &name("App"), &[]).await.unwrap();
    assert!(app.allowed_origins.is_empty());
    let theirs = s
        .create_inbox(
            other_ws.id,
            &name("Theirs"),
            &[origin("https://other.example")],
        )
        .await
        .unwrap();

    // Found by its public id alone, every field intact.
    assert_eq!(s.inbox(web.id).await.unwrap(), Some(web.clone()));
    assert_eq!(s.inbox(app.id).await.unwrap(), Some(app.clone()));
    assert_eq!(s.inbox(theirs.id).await.unwrap(), Some(theirs.clone()));
    assert_eq!(s.inbox(Uuid::now_v7()).await.unwrap(), None);

    // Listed per workspace.
    let mut ours = s.list_inboxes(ws.id).await.unwrap();
    ours.sort_by_key(|i| i.id);
    let mut expected = vec![web, app];
    expected.sort_by_key(|i| i.id);
    assert_eq!(ours, expected);
    assert_eq!(s.list_inboxes(other_ws.id).await.unwrap(), vec![theirs]);
    assert!(s.list_inboxes(Uuid::now_v7()).await.unwrap().is_empty());
}

on_both_backends!(
    #[tokio::test]
    inboxes_round_trip
        => inboxes_round_trip_their_origins_and_list_per_workspace_on_sqlite,
           inboxes_round_trip_their_origins_and_list_per_workspace_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 11. Health
// ---------------------------------------------------------------------------------------------

async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert!(
        ["sqlite", "postgres"].contains(&store.backend()),
        "{}",
        store.backend()
    );
    // Pinging is harmless to repeat and needs no data.
    store.ping().await.unwrap();
    assert_eq!(store.count_agents().await.unwrap(), 0);
}

on_both_backends!(
    #[tokio::test]
    ping_answers
        => ping_answers_and_backend_names_the_backend_on_sqlite,
           ping_answers_and_backend_names_the_backend_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 12. Widget settings and identity secrets
// ---------------------------------------------------------------------------------------------

use livedesk_core::store::{AttachmentRecord, ContactChanges, InboxChanges, NewAttachment};
use livedesk_protocol::model::{
    Attachment, PageView, PrechatField, PrechatKind, ReceiptStatus, Receipts, Side, WidgetPosition,
    WidgetSettings,
};

const SECRET: &str = "0123456789abcdef0123456789abcdef-secret";

fn custom_settings() -> WidgetSettings {
    WidgetSettings {
        color: "#ff8800".to_owned(),
        position: WidgetPosition::Left,
        greeting: Some("Hi! Ask us anything.".to_owned()),
        away_message: Some("We are away; leave a message.".to_owned()),
        prechat_fields: vec![
            PrechatField {
                key: "email".to_owned(),
                label: "Your e-mail".to_owned(),
                kind: PrechatKind::Email,
                required: true,
            },
            PrechatField {
                key: "order.id".to_owned(),
                label: "Order number".to_owned(),
                kind: PrechatKind::Text,
                required: false,
            },
        ],
    }
}

async fn inbox_settings_and_identity_secret_round_trip(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let other_ws = workspace(s, "Other").await;
    let web = inbox(s, &ws, "Website").await;
    let theirs = inbox(s, &other_ws, "Theirs").await;

    // A new inbox has the default look and no secret.
    assert_eq!(web.settings, WidgetSettings::default());
    assert_eq!(web.settings.color, "#1f6feb");
    assert_eq!(web.settings.position, WidgetPosition::Right);
    assert!(!web.identity_verification);
    assert_eq!(s.inbox_identity_secret(web.id).await.unwrap(), None);

    // Everything at once.
    let changed = s
        .update_inbox(
            ws.id,
            web.id,
            InboxChanges {
                name: Some(name("Shop")),
                allowed_origins: Some(vec![origin("https://shop.example")]),
                settings: Some(custom_settings()),
                identity_secret: Some(Some(SECRET.to_owned())),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.id, changed.workspace_id, changed.created_at),
        (web.id, ws.id, web.created_at)
    );
    assert_eq!(changed.name, "Shop");
    assert_eq!(changed.allowed_origins, ["https://shop.example"]);
    assert_eq!(changed.settings, custom_settings());
    assert!(changed.identity_verification);
    assert_eq!(
        s.inbox(web.id).await.unwrap(),
        Some(changed.clone()),
        "what update_inbox returned is what is stored"
    );
    assert_eq!(s.list_inboxes(ws.id).await.unwrap(), vec![changed.clone()]);
    assert_eq!(
        s.inbox_identity_secret(web.id).await.unwrap().as_deref(),
        Some(SECRET)
    );

    // No changes change nothing (and keep the secret).
    let same = s
        .update_inbox(ws.id, web.id, InboxChanges::default())
        .await
        .unwrap();
    assert_eq!(same, changed);
    assert_eq!(
        s.inbox_identity_secret(web.id).await.unwrap().as_deref(),
        Some(SECRET)
    );

    // One field at a time leaves the others.
    let renamed = s
        .update_inbox(
            ws.id,
            web.id,
            InboxChanges {
                name: Some(name("Store")),
                ..InboxChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Store");
    assert_eq!(renamed.settings, custom_settings());
    assert_eq!(renamed.allowed_origins, ["https://shop.example"]);
    assert!(renamed.identity_verification);

    // Another workspace cannot change (or probe) it; an unknown inbox is NotFound.
    for (workspace_id, inbox_id) in [
        (other_ws.id, web.id),
        (ws.id, theirs.id),
        (ws.id, Uuid::now_v7()),
    ] {
        let got = s
            .update_inbox(
                workspace_id,
                inbox_id,
                InboxChanges {
                    name: Some(name("Hijacked")),
                    settings: Some(WidgetSettings::default()),
                    identity_secret: Some(None),
                    ..InboxChanges::default()
                },
            )
            .await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
    }
    assert_eq!(s.inbox(web.id).await.unwrap(), Some(renamed.clone()));
    assert_eq!(s.inbox(theirs.id).await.unwrap(), Some(theirs.clone()));
    assert_eq!(
        s.inbox_identity_secret(web.id).await.unwrap().as_deref(),
        Some(SECRET)
    );

    // The secret belongs to its inbox only.
    assert_eq!(s.inbox_identity_secret(theirs.id).await.unwrap(), None);
    assert_eq!(s.inbox_identity_secret(Uuid::now_v7()).await.unwrap(), None);

    // A new secret replaces the old one; Some(None) removes it and turns verification off.
    let rotated = s
        .update_inbox(
            ws.id,
            web.id,
            InboxChanges {
                identity_secret: Some(Some(format!("{SECRET}-2"))),
                ..InboxChanges::default()
            },
        )
        .await
        .unwrap();
    assert!(rotated.identity_verification);
    assert_eq!(
        s.inbox_identity_secret(web.id).await.unwrap(),
        Some(format!("{SECRET}-2"))
    );
    let cleared = s
        .update_inbox(
            ws.id,
            web.id,
            InboxChanges {
                identity_secret: Some(None),
                ..InboxChanges::default()
            },
        )
        .await
        .unwrap();
    assert!(!cleared.identity_verification);
    assert_eq!(cleared.settings, custom_settings(), "settings stay");
    assert_eq!(s.inbox_identity_secret(web.id).await.unwrap(), None);
    assert_eq!(s.inbox(web.id).await.unwrap(), Some(cleared));
}

on_both_backends!(
    #[tokio::test]
    inbox_settings_and_identity_secret_round_trip
        => inbox_settings_and_identity_secret_round_trip_and_are_scoped_on_sqlite,
           inbox_settings_and_identity_secret_round_trip_and_are_scoped_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 13. Contact details, attributes and external ids
// ---------------------------------------------------------------------------------------------

fn attrs(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

async fn contacts_update_and_external_ids_are_unique_per_workspace(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let other_ws = workspace(s, "Other").await;
    let web = inbox(s, &ws, "Website").await;
    let app = inbox(s, &ws, "App").await;
    let theirs = inbox(s, &other_ws, "Theirs").await;
    let alice = contact(s, &web).await;
    let bob = contact(s, &app).await;
    let carol = contact(s, &theirs).await;
    assert!(!alice.verified);
    assert_eq!(alice.external_id, None);
    assert!(alice.attributes.is_empty());

    // Name, e-mail and attributes.
    let details = attrs(serde_json::json!({"plan": "pro", "seats": 3, "vip": true, "ratio": 0.5}));
    let updated = s
        .update_contact(
            ws.id,
            alice.id,
            ContactChanges {
                name: Some("Alice".to_owned()),
                email: Some("alice@example.com".to_owned()),
                attributes: Some(details.clone()),
                ..ContactChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.id, updated.workspace_id, updated.inbox_id),
        (alice.id, ws.id, web.id)
    );
    assert_eq!(updated.name.as_deref(), Some("Alice"));
    assert_eq!(updated.email.as_deref(), Some("alice@example.com"));
    assert_eq!(updated.attributes, details);
    assert_eq!(updated.created_at, alice.created_at);
    assert!(!updated.verified);
    assert_eq!(
        s.contact(ws.id, alice.id).await.unwrap(),
        Some(updated.clone()),
        "what update_contact returned is what is stored"
    );

    // Attributes are replaced whole; absent fields stay.
    let replaced = s
        .update_contact(
            ws.id,
            alice.id,
            ContactChanges {
                attributes: Some(attrs(serde_json::json!({"plan": "free"}))),
                ..ContactChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        replaced.attributes,
        attrs(serde_json::json!({"plan": "free"}))
    );
    assert_eq!(replaced.name.as_deref(), Some("Alice"));
    assert_eq!(replaced.email.as_deref(), Some("alice@example.com"));
    let unchanged = s
        .update_contact(ws.id, alice.id, ContactChanges::default())
        .await
        .unwrap();
    assert_eq!(unchanged, replaced);

    // A verified identity.
    let verified = s
        .update_contact(
            ws.id,
            alice.id,
            ContactChanges {
                external_id: Some("user-1".to_owned()),
                verified: Some(true),
                ..ContactChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(verified.external_id.as_deref(), Some("user-1"));
    assert!(verified.verified);
    assert_eq!(
        s.contact_by_external_id(ws.id, "user-1").await.unwrap(),
        Some(verified.clone())
    );

    // Taken in this workspace (even from another inbox), whatever else the change carries.
    let taken = s
        .update_contact(
            ws.id,
            bob.id,
            ContactChanges {
                name: Some("Bob".to_owned()),
                external_id: Some("user-1".to_owned()),
                verified: Some(true),
                ..ContactChanges::default()
            },
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(
        s.contact(ws.id, bob.id).await.unwrap(),
        Some(bob.clone()),
        "a refused change changes nothing"
    );
    // Setting the same external id on its own contact again is not a conflict.
    let again = s
        .update_contact(
            ws.id,
            alice.id,
            ContactChanges {
                external_id: Some("user-1".to_owned()),
                ..ContactChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again, verified);

    // The same external id in another workspace is another person.
    let carol = s
        .update_contact(
            other_ws.id,
            carol.id,
            ContactChanges {
                external_id: Some("user-1".to_owned()),
                verified: Some(true),
                ..ContactChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        s.contact_by_external_id(other_ws.id, "user-1")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(carol.id)
    );
    assert_eq!(
        s.contact_by_external_id(ws.id, "user-1")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(alice.id)
    );
    assert_eq!(
        s.contact_by_external_id(ws.id, "user-2").await.unwrap(),
        None
    );
    assert_eq!(
        s.contact_by_external_id(Uuid::now_v7(), "user-1")
            .await
            .unwrap(),
        None
    );
    // Many contacts may have no external id.
    let bob2 = s
        .update_contact(
            ws.id,
            bob.id,
            ContactChanges {
                external_id: Some("user-2".to_owned()),
                ..ContactChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bob2.external_id.as_deref(), Some("user-2"));
    let dave = contact(s, &web).await;
    let erin = contact(s, &web).await;
    assert_eq!((dave.external_id, erin.external_id), (None, None));

    // Another workspace cannot change a contact; an unknown contact is NotFound.
    for (workspace_id, contact_id) in [(other_ws.id, alice.id), (ws.id, Uuid::now_v7())] {
        let got = s
            .update_contact(
                workspace_id,
                contact_id,
                ContactChanges {
                    name: Some("Mallory".to_owned()),
                    ..ContactChanges::default()
                },
            )
            .await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
    }
    assert_eq!(s.contact(ws.id, alice.id).await.unwrap(), Some(verified));
}

on_both_backends!(
    #[tokio::test]
    contacts_update_and_external_ids_are_unique_per_workspace
        => contacts_update_and_external_ids_are_unique_per_workspace_on_sqlite,
           contacts_update_and_external_ids_are_unique_per_workspace_on_postgres
);

async fn further_visitor_sessions_name_the_existing_contact(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = workspace(s, "Acme").await;
    let web = inbox(s, &ws, "Website").await;
    let first_hash = token();
    let alice = s
        .create_visitor(&web, &first_hash, FAR_FUTURE, None)
        .await
        .unwrap();
    let bob = contact(s, &web).await;

    let second_hash = token();
    s.create_visitor_session(&alice, &second_hash, 9_000)
        .await
        .unwrap();
    assert_eq!(
        s.visitor_session(&second_hash, 8_999).await.unwrap(),
        Some(VisitorSession {
            contact_id: alice.id,
            inbox_id: web.id,
            workspace_id: ws.id,
            expires_at: 9_000,
        })
    );
    assert_eq!(
        s.visitor_session(&second_hash, 9_000).await.unwrap(),
        None,
        "expired at expires_at"
    );
    // The first session still works, for the same contact.
    assert_eq!(
        s.visitor_session(&first_hash, 1)
            .await
            .unwrap()
            .map(|v| v.contact_id),
        Some(alice.id)
    );
    // Sessions for two contacts stay apart.
    let bobs_hash = token();
    s.create_visitor_session(&bob, &bobs_hash, FAR_FUTURE)
        .await
        .unwrap();
    assert_eq!(
        s.visitor_session(&bobs_hash, 1)
            .await
            .unwrap()
            .map(|v| v.contact_id),
        Some(bob.id)
    );
    // A token hash is one session only.
    let reused = s
        .create_visitor_session(&bob, &second_hash, FAR_FUTURE)
        .await;
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");
    assert_eq!(
        s.visitor_session(&second_hash, 1)
            .await
            .unwrap()
            .map(|v| v.contact_id),
        Some(alice.id)
    );
}

on_both_backends!(
    #[tokio::test]
    further_visitor_sessions_name_the_existing_contact
        => create_visitor_session_then_visitor_session_finds_that_contact_on_sqlite,
           create_visitor_session_then_visitor_session_finds_that_contact_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 14. Page views
// ---------------------------------------------------------------------------------------------

fn view(contact: &Contact, n: i64, viewed_at: i64) -> PageView {
    PageView {
        contact_id: contact.id,
        url: format!("https://shop.example/p/{n}"),
        title: (n % 2 == 0).then(|| format!("Page {n}")),
        referrer: (n % 3 == 0).then(|| "https://search.example/?q=x".to_owned()),
        viewed_at,
    }
}

async fn page_views_are_newest_first_and_capped_per_contact(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let bob = contact(s, &w.inbox).await;
    assert!(s.page_views(w.contact.id, 100).await.unwrap().is_empty());

    let mut added = Vec::new();
    for n in 0..150 {
        let v = view(&w.contact, n, 1_000 + n);
        s.add_page_view(&v).await.unwrap();
        added.push(v);
    }
    let bobs = view(&bob, 7, 5_000);
    s.add_page_view(&bobs).await.unwrap();

    // Only the newest 100 are kept, newest first, every field intact.
    let got = s.page_views(w.contact.id, 1_000).await.unwrap();
    let newest: Vec<PageView> = added.iter().rev().take(100).cloned().collect();
    assert_eq!(got.len(), 100, "capped at 100");
    assert_eq!(got, newest);
    assert_eq!(
        s.page_views(w.contact.id, 3).await.unwrap(),
        newest[..3].to_vec(),
        "the limit takes the newest"
    );
    assert_eq!(s.page_views(w.contact.id, 0).await.unwrap(), Vec::new());

    // Per contact.
    assert_eq!(s.page_views(bob.id, 100).await.unwrap(), vec![bobs]);
    assert!(s.page_views(Uuid::now_v7(), 100).await.unwrap().is_empty());

    // One more pushes the oldest kept one out.
    let latest = view(&w.contact, 150, 1_150);
    s.add_page_view(&latest).await.unwrap();
    let got = s.page_views(w.contact.id, 1_000).await.unwrap();
    assert_eq!(got.len(), 100);
    assert_eq!(got[0], latest);
    assert_eq!(got[99].viewed_at, 1_051);
}

on_both_backends!(
    #[tokio::test]
    page_views_are_newest_first_and_capped_per_contact
        => page_views_are_newest_first_and_capped_at_100_per_contact_on_sqlite,
           page_views_are_newest_first_and_capped_at_100_per_contact_on_postgres
);

/// Views reported within one millisecond share `viewed_at`: the cap must still hold.
async fn page_view_cap_holds_for_equal_timestamps(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    for n in 0..120 {
        s.add_page_view(&view(&w.contact, n, 7_000)).await.unwrap();
    }
    let got = s.page_views(w.contact.id, 1_000).await.unwrap();
    assert_eq!(
        got.len(),
        100,
        "the newest 100 are kept, even with equal timestamps"
    );
}

on_both_backends!(
    #[tokio::test]
    page_view_cap_holds_for_equal_timestamps
        => page_view_cap_holds_for_views_in_the_same_millisecond_on_sqlite,
           page_view_cap_holds_for_views_in_the_same_millisecond_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 15. Conversation status and assignee
// ---------------------------------------------------------------------------------------------

async fn conversation_status_and_assignee_change_within_the_workspace(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let elsewhere = world(s).await;
    assert_eq!(c.status, ConversationStatus::Open);
    assert_eq!(c.assignee_id, None);
    tick().await;

    // Status alone.
    let resolved = s
        .update_conversation(w.ws.id, c.id, Some(ConversationStatus::Resolved), None)
        .await
        .unwrap();
    assert_eq!(resolved.status, ConversationStatus::Resolved);
    assert_eq!(resolved.assignee_id, None);
    assert_eq!((resolved.id, resolved.last_seq), (c.id, c.last_seq));
    assert!(
        resolved.updated_at > c.updated_at,
        "a change moves updated_at"
    );
    assert_eq!(
        s.conversation(w.ws.id, c.id).await.unwrap(),
        Some(resolved.clone())
    );
    assert_eq!(
        ids(&s
            .list_conversations(&ConversationFilter {
                status: Some(ConversationStatus::Resolved),
                ..filter(&w.ws)
            })
            .await
            .unwrap()),
        [c.id]
    );

    // Assignee alone: the status stays.
    let assigned = s
        .update_conversation(w.ws.id, c.id, None, Some(Some(w.agent.id)))
        .await
        .unwrap();
    assert_eq!(assigned.assignee_id, Some(w.agent.id));
    assert_eq!(assigned.status, ConversationStatus::Resolved);

    // An agent of another workspace, or no agent at all, cannot be assigned; a refused
    // change changes nothing, not even the status sent along.
    for assignee in [elsewhere.agent.id, Uuid::now_v7()] {
        let got = s
            .update_conversation(
                w.ws.id,
                c.id,
                Some(ConversationStatus::Pending),
                Some(Some(assignee)),
            )
            .await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
    }
    let now = s.conversation(w.ws.id, c.id).await.unwrap().unwrap();
    assert_eq!(now.assignee_id, Some(w.agent.id));
    assert_eq!(now.status, ConversationStatus::Resolved);

    // Another workspace cannot change it; an unknown conversation is NotFound.
    for (workspace_id, id) in [(elsewhere.ws.id, c.id), (w.ws.id, Uuid::now_v7())] {
        let got = s
            .update_conversation(workspace_id, id, Some(ConversationStatus::Snoozed), None)
            .await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
        let got = s
            .update_conversation(workspace_id, id, None, Some(None))
            .await;
        assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
    }
    let got = s
        .update_conversation(elsewhere.ws.id, c.id, None, Some(Some(elsewhere.agent.id)))
        .await;
    assert!(matches!(got, Err(StoreError::NotFound)), "{got:?}");
    assert_eq!(
        s.conversation(w.ws.id, c.id).await.unwrap(),
        Some(now.clone())
    );
    assert_eq!(
        s.conversation(elsewhere.ws.id, elsewhere.conversation.id)
            .await
            .unwrap(),
        Some(elsewhere.conversation.clone()),
        "the other workspace's conversation is untouched"
    );

    // Both at once; then None unassigns.
    let both = s
        .update_conversation(
            w.ws.id,
            c.id,
            Some(ConversationStatus::Open),
            Some(Some(w.agent.id)),
        )
        .await
        .unwrap();
    assert_eq!(
        (both.status, both.assignee_id),
        (ConversationStatus::Open, Some(w.agent.id))
    );
    let unassigned = s
        .update_conversation(w.ws.id, c.id, None, Some(None))
        .await
        .unwrap();
    assert_eq!(unassigned.assignee_id, None);
    assert_eq!(unassigned.status, ConversationStatus::Open);
    // Nothing asked, nothing changed.
    let same = s
        .update_conversation(w.ws.id, c.id, None, None)
        .await
        .unwrap();
    assert_eq!(same, unassigned);
    assert_eq!(s.conversation(w.ws.id, c.id).await.unwrap(), Some(same));
}

on_both_backends!(
    #[tokio::test]
    conversation_status_and_assignee_change_within_the_workspace
        => conversation_status_and_assignee_change_within_the_workspace_on_sqlite,
           conversation_status_and_assignee_change_within_the_workspace_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 16. Delivery and read receipts
// ---------------------------------------------------------------------------------------------

async fn receipts_move_forward_only(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let r = |agent_delivered, agent_read, contact_delivered, contact_read| Receipts {
        agent_delivered,
        agent_read,
        contact_delivered,
        contact_read,
    };
    use ReceiptStatus::{Delivered, Read};
    use Side::{Agent as A, Contact as C};

    // Nothing to receive yet.
    assert_eq!(s.record_receipt(c.id, A, Delivered, 1).await.unwrap(), None);
    for i in 1..=5 {
        append(
            s,
            record(
                c,
                by_contact(&w.contact),
                MessageKind::Text,
                &format!("m{i}"),
                "x",
            ),
        )
        .await;
    }

    let steps: [(Side, ReceiptStatus, i64, Option<Receipts>); 16] = [
        (A, Delivered, 2, Some(r(2, 0, 0, 0))),
        (A, Delivered, 2, None), // the same again
        (A, Delivered, 1, None), // backwards
        (A, Delivered, 6, None), // beyond last_seq
        (A, Delivered, 0, None),
        (A, Delivered, -3, None),
        (A, Read, 4, Some(r(4, 4, 0, 0))), // read raises delivered
        (A, Delivered, 3, None),
        (A, Read, 3, None),
        (A, Read, 6, None),
        (A, Delivered, 5, Some(r(5, 4, 0, 0))),
        (A, Read, 5, Some(r(5, 5, 0, 0))),
        (C, Delivered, 5, Some(r(5, 5, 5, 0))), // the sides are independent
        (C, Read, 3, Some(r(5, 5, 5, 3))),      // read never lowers delivered
        (C, Read, 3, None),
        (C, Read, 5, Some(r(5, 5, 5, 5))),
    ];
    for (i, (side, status, seq, expected)) in steps.into_iter().enumerate() {
        let got = s.record_receipt(c.id, side, status, seq).await.unwrap();
        assert_eq!(got, expected, "step {i}: {side:?} {status:?} {seq}");
    }
    let stored = s.conversation(w.ws.id, c.id).await.unwrap().unwrap();
    assert_eq!(stored.receipts, r(5, 5, 5, 5));
    assert_eq!(stored.last_seq, 5);

    // Another conversation's receipts are its own; an unknown conversation records nothing.
    let other = conversation(s, &contact(s, &w.inbox).await).await;
    append(
        s,
        record(&other, by_agent(&w.agent), MessageKind::Text, "o1", "x"),
    )
    .await;
    assert_eq!(
        s.record_receipt(other.id, C, Read, 1).await.unwrap(),
        Some(r(0, 0, 1, 1))
    );
    assert_eq!(
        s.conversation(w.ws.id, c.id)
            .await
            .unwrap()
            .unwrap()
            .receipts,
        r(5, 5, 5, 5)
    );
    assert_eq!(
        s.record_receipt(Uuid::now_v7(), A, Read, 1).await.unwrap(),
        None
    );
}

on_both_backends!(
    #[tokio::test]
    receipts_move_forward_only
        => receipts_move_forward_only_and_never_past_last_seq_on_sqlite,
           receipts_move_forward_only_and_never_past_last_seq_on_postgres
);

// ---------------------------------------------------------------------------------------------
// 17. Attachments
// ---------------------------------------------------------------------------------------------

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn new_attachment(
    workspace_id: Uuid,
    conversation_id: Uuid,
    uploader: &Contact,
    data: Vec<u8>,
) -> NewAttachment {
    NewAttachment {
        workspace_id,
        conversation_id,
        uploader_kind: AuthorKind::Contact,
        uploader_id: uploader.id,
        name: "screen shot é.png".to_owned(),
        content_type: "image/png".to_owned(),
        data,
    }
}

fn assert_same_record(got: &AttachmentRecord, expected: &AttachmentRecord) {
    assert_eq!(got.attachment, expected.attachment);
    assert_eq!(got.conversation_id, expected.conversation_id);
    assert_eq!(got.uploader_kind, expected.uploader_kind);
    assert_eq!(got.uploader_id, expected.uploader_id);
}

async fn attachments_round_trip_and_are_scoped(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let elsewhere = world(s).await;

    let png = s
        .create_attachment(new_attachment(
            w.ws.id,
            w.conversation.id,
            &w.contact,
            PNG.to_vec(),
        ))
        .await
        .unwrap();
    assert_eq!(png.attachment.name, "screen shot é.png");
    assert_eq!(png.attachment.content_type, "image/png");
    assert_eq!(png.attachment.size, PNG.len() as i64);
    assert_eq!(png.conversation_id, w.conversation.id);
    assert_eq!(png.uploader_kind, AuthorKind::Contact);
    assert_eq!(png.uploader_id, w.contact.id);
    let found = s
        .attachment(w.ws.id, png.attachment.id)
        .await
        .unwrap()
        .unwrap();
    assert_same_record(&found, &png);
    assert_eq!(
        s.attachment_data(w.ws.id, png.attachment.id)
            .await
            .unwrap()
            .as_deref(),
        Some(PNG)
    );

    // A 1 MiB blob with every byte value (NUL and invalid UTF-8 included), by an agent.
    let blob: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let big = s
        .create_attachment(NewAttachment {
            uploader_kind: AuthorKind::Agent,
            uploader_id: w.agent.id,
            name: "dump.bin".to_owned(),
            content_type: "application/octet-stream".to_owned(),
            ..new_attachment(w.ws.id, w.conversation.id, &w.contact, blob.clone())
        })
        .await
        .unwrap();
    assert_eq!(big.attachment.size, 1024 * 1024);
    assert_eq!(big.uploader_kind, AuthorKind::Agent);
    assert_eq!(big.uploader_id, w.agent.id);
    assert_same_record(
        &s.attachment(w.ws.id, big.attachment.id)
            .await
            .unwrap()
            .unwrap(),
        &big,
    );
    let data = s
        .attachment_data(w.ws.id, big.attachment.id)
        .await
        .unwrap()
        .unwrap();
    assert!(data == blob, "the 1 MiB blob comes back byte for byte");
    assert_ne!(png.attachment.id, big.attachment.id);

    // Read through its own workspace only.
    for id in [png.attachment.id, big.attachment.id] {
        assert!(s.attachment(elsewhere.ws.id, id).await.unwrap().is_none());
        assert!(s
            .attachment_data(elsewhere.ws.id, id)
            .await
            .unwrap()
            .is_none());
    }
    assert!(s
        .attachment(w.ws.id, Uuid::now_v7())
        .await
        .unwrap()
        .is_none());
    assert!(s
        .attachment_data(w.ws.id, Uuid::now_v7())
        .await
        .unwrap()
        .is_none());

    // Created only in a conversation of the named workspace.
    let refused = [
        (elsewhere.ws.id, w.conversation.id),
        (w.ws.id, elsewhere.conversation.id),
        (w.ws.id, Uuid::now_v7()),
    ];
    for (workspace_id, conversation_id) in refused {
        let got = s
            .create_attachment(new_attachment(
                workspace_id,
                conversation_id,
                &w.contact,
                PNG.to_vec(),
            ))
            .await;
        assert!(
            matches!(got, Err(StoreError::NotFound)),
            "{workspace_id} {conversation_id}: {:?}",
            got.map(|r| r.attachment)
        );
    }
}

on_both_backends!(
    #[tokio::test]
    attachments_round_trip_and_are_scoped
        => attachments_round_trip_byte_for_byte_and_are_scoped_to_their_workspace_on_sqlite,
           attachments_round_trip_byte_for_byte_and_are_scoped_to_their_workspace_on_postgres
);

async fn messages_carry_their_attachment(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let png = s
        .create_attachment(new_attachment(w.ws.id, c.id, &w.contact, PNG.to_vec()))
        .await
        .unwrap();
    let expected = Attachment {
        id: png.attachment.id,
        name: "screen shot é.png".to_owned(),
        content_type: "image/png".to_owned(),
        size: PNG.len() as i64,
    };

    let plain = append(
        s,
        record(c, by_contact(&w.contact), MessageKind::Text, "m1", "hello"),
    )
    .await;
    let with_file = NewMessageRecord {
        body: MessageBody::caption(String::new(), 10_000).unwrap(),
        attachment: Some(png.attachment.clone()),
        event: None,
        ..record(c, by_contact(&w.contact), MessageKind::Text, "m2", "unused")
    };
    let sent = append(s, with_file.clone()).await;
    assert_eq!(sent.message.attachment.as_ref(), Some(&expected));
    assert_eq!(sent.message.body, "");
    assert_eq!(plain.message.attachment, None);

    // Read back by agents and visitors, forwards and backwards.
    for audience in [Audience::Agent, Audience::Visitor] {
        let after = s.messages_after(c.id, 0, 100, audience).await.unwrap();
        assert_eq!(after, vec![plain.message.clone(), sent.message.clone()]);
        let before = s
            .messages_before(c.id, i64::MAX, 100, audience)
            .await
            .unwrap();
        assert_eq!(before, after);
    }
    // A retry returns the stored message, attachment included.
    let retry = append(s, with_file).await;
    assert!(retry.duplicate);
    assert_eq!(retry.message, sent.message);
}

/// An attachment is visible to the contact once it is in a message they can see: not while
/// only uploaded, not when only in a private note.
async fn attachments_become_visible_to_the_contact_when_sent(store: Arc<dyn Store>) {
    let s = &*store;
    let w = world(s).await;
    let c = &w.conversation;
    let by_agent_upload = |name: &str| NewAttachment {
        uploader_kind: AuthorKind::Agent,
        uploader_id: w.agent.id,
        name: name.to_owned(),
        ..new_attachment(w.ws.id, c.id, &w.contact, PNG.to_vec())
    };
    let visible = |id: Uuid| async move {
        s.attachment(w.ws.id, id)
            .await
            .unwrap()
            .expect("attachment exists")
            .visible_to_contact
    };
    let sent = s
        .create_attachment(by_agent_upload("sent.png"))
        .await
        .unwrap();
    let noted = s
        .create_attachment(by_agent_upload("noted.png"))
        .await
        .unwrap();
    assert!(!sent.visible_to_contact, "only uploaded");
    assert!(!visible(sent.attachment.id).await);

    let with = |kind, id: &str, attachment: &AttachmentRecord| NewMessageRecord {
        body: MessageBody::caption(String::new(), 10_000).unwrap(),
        attachment: Some(attachment.attachment.clone()),
        event: None,
        ..record(c, by_agent(&w.agent), kind, id, "unused")
    };
    append(s, with(MessageKind::Note, "n1", &noted)).await;
    assert!(
        !visible(noted.attachment.id).await,
        "in a private note only"
    );
    append(s, with(MessageKind::Text, "t1", &sent)).await;
    assert!(visible(sent.attachment.id).await, "sent in a text message");
    assert!(!visible(noted.attachment.id).await);
    // Once also sent openly, the noted one is visible too.
    append(s, with(MessageKind::Text, "t2", &noted)).await;
    assert!(visible(noted.attachment.id).await);
}

on_both_backends!(
    #[tokio::test]
    attachments_become_visible_to_the_contact_when_sent
        => attachments_become_visible_to_the_contact_when_sent_in_a_non_note_message_on_sqlite,
           attachments_become_visible_to_the_contact_when_sent_in_a_non_note_message_on_postgres
);

on_both_backends!(
    #[tokio::test]
    messages_carry_their_attachment
        => a_message_appended_with_an_attachment_returns_it_in_messages_after_on_sqlite,
           a_message_appended_with_an_attachment_returns_it_in_messages_after_on_postgres
);

// ---------------------------------------------------------------------------------------------
// The team's organisation (after the macro and helpers it uses)
// ---------------------------------------------------------------------------------------------

#[path = "conformance/directory.rs"]
mod directory;
#[path = "conformance/routing.rs"]
mod routing;
