//! Group commit: every `append_message` of a SQLite store goes through one writer task, which
//! takes whatever appends are queued (up to [`MAX_BATCH`] or [`MAX_BATCH_BYTES`]), stores them
//! in one transaction and answers each caller only after that transaction committed. With
//! `synchronous = FULL` that is one fsync per batch instead of one per message; an ack still
//! means "on disk".
//!
//! The writer never waits for a batch to fill: an append arriving when nothing is in flight
//! is committed at once, alone. Batches form from the appends that queue up while a commit is
//! in flight.
//!
//! After a commit, once its callers are answered and before the next batch, the task tells
//! the commit listener of the messages it stored, in the order it gave them their seqs: that
//! is what makes events leave in seq order by construction (the callers, woken together, run
//! in any order).
//!
//! Each append keeps the meaning it has on its own:
//! - the conversation must exist in the named workspace, or that append alone fails with
//!   `NotFound`;
//! - a `(conversation, author, client_msg_id)` already stored, or taken by an earlier append
//!   of the same batch, answers with that message and `duplicate = true`, and uses no seq;
//! - every other append takes its conversation's next seq, in queue order.
//!
//! SQLite has a single writer connection, and this task is the only one that appends, so
//! reading `last_seq` and the duplicates first and writing afterwards, in one transaction, is
//! exact. If a batch fails for any other reason (the database refused a statement, the commit
//! failed), nothing of it was committed; its appends are then retried one by one, each in a
//! transaction of its own, so one bad append cannot fail the others.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use livedesk_core::store::{Appended, CommittedMessage, NewMessageRecord, StoreError, StoreResult};
use livedesk_core::WallClock;
use livedesk_protocol::model::Message;
use sqlx::{QueryBuilder, Row as _, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::codec;
use crate::queries::MESSAGE_COLS;
use crate::Committed;

/// Appends committed in one transaction at most.
pub const MAX_BATCH: usize = 256;

/// Yields after a commit while they bring new appends, at most.
const MAX_FILL_YIELDS: usize = 8;
/// Message bytes (bodies and attachment descriptions) in one transaction at most; a batch
/// always takes at least one append, however large.
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// Appends waiting for the writer at most; further callers wait to be queued.
const QUEUE: usize = 4096;
/// What an append costs beyond its body, for the byte cap.
const ROW_OVERHEAD: usize = 128;

struct Job {
    new: NewMessageRecord,
    reply: oneshot::Sender<StoreResult<Appended>>,
}

impl Job {
    fn bytes(&self) -> usize {
        let attachment = self
            .new
            .attachment
            .as_ref()
            .map_or(0, |a| a.name.len() + a.content_type.len() + ROW_OVERHEAD);
        self.new.body.as_str().len() + attachment + ROW_OVERHEAD
    }
}

/// The queue to the writer task. Dropping it lets the task finish what is queued and stop.
pub struct GroupCommit {
    queue: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Spawns the writer task on the current Tokio runtime.
    pub fn start(writer: SqlitePool, committed: Committed, clock: Arc<dyn WallClock>) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, jobs, committed, clock));
        Self { queue }
    }

    /// Queues an append and waits until the transaction that holds it committed.
    pub async fn append(&self, new: NewMessageRecord) -> StoreResult<Appended> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { new, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite writer task has stopped".into())
}

async fn run(
    pool: SqlitePool,
    mut jobs: mpsc::Receiver<Job>,
    committed: Committed,
    clock: Arc<dyn WallClock>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.recv().await {
        let mut bytes = first.bytes();
        batch.push(first);
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            let Ok(job) = jobs.try_recv() else { break };
            bytes += job.bytes();
            batch.push(job);
        }
        commit(&pool, &mut batch, &committed, &*clock).await;
        // The callers just answered are runnable, and many send their next message at once:
        // let them queue it before the next batch is cut, so that batches stay full instead
        // of alternating between one append and the rest. Yields, not a timer: with nothing
        // else to run a yield returns at once, and an append arriving when idle never waits.
        // One yield is not always enough: the runtime resumes a yielding task after a bounded
        // number of others, and the sockets woken by the commit's events are among them. So
        // it yields again while the last yield brought new appends.
        let mut queued = jobs.len();
        for _ in 0..MAX_FILL_YIELDS {
            tokio::task::yield_now().await;
            let now = jobs.len();
            if now == queued || now >= MAX_BATCH {
                break;
            }
            queued = now;
        }
    }
}

/// Stores `batch`, answers every caller, tells the listener, and leaves `batch` empty.
async fn commit(
    pool: &SqlitePool,
    batch: &mut Vec<Job>,
    committed: &Committed,
    clock: &dyn WallClock,
) {
    // Other transactions that commit messages (timeline lines written with a change) hold
    // the turn too, so the listener hears every commit's messages in seq order.
    let _turn = committed.turn(uuid::Uuid::nil()).await;
    let started = std::time::Instant::now();
    let outcomes = append_batch(pool, batch.iter().map(|job| &job.new), clock.now_ms()).await;
    tracing::trace!(
        appends = batch.len(),
        micros = started.elapsed().as_micros() as u64,
        ok = outcomes.is_ok(),
        "group commit"
    );
    let (outcomes, messages) = match outcomes {
        Ok(done) => done,
        Err(err) if batch.len() == 1 => (vec![Err(err)], Vec::new()),
        Err(err) => {
            tracing::warn!(
                error = %err,
                appends = batch.len(),
                "group commit failed; storing its appends one by one"
            );
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut messages = Vec::new();
            for job in batch.iter() {
                let outcome =
                    super::append_in_transaction(pool, job.new.clone(), clock.now_ms()).await;
                outcomes.push(outcome.map(|(appended, message)| {
                    messages.extend(message);
                    appended
                }));
            }
            (outcomes, messages)
        }
    };
    for (job, outcome) in batch.drain(..).zip(outcomes) {
        // A caller that went away no longer needs its answer; its message is stored anyway
        // (and a retry of it is a duplicate).
        let _ = job.reply.send(outcome);
    }
    // The listener hears the batch after its callers are answered, still within this turn and
    // before the next batch: the order stays the seq order. Answering first lets each caller
    // queue its acknowledgement before its socket's writer wakes for the message's event, so
    // the writer wakes once for both (telling first woke every sender's writer twice a
    // message, which cost a fifth of the persisted messages per second).
    committed.tell(&messages);
}

/// The duplicate key, compared as the `messages_dedupe` index does: a missing author id
/// counts as the nil UUID.
type Key = (Uuid, &'static str, Uuid, String);

fn key_of(new: &NewMessageRecord) -> Key {
    (
        new.conversation_id,
        codec::author_kind_str(new.author.kind),
        new.author.id.unwrap_or(Uuid::nil()),
        new.client_msg_id.as_str().to_owned(),
    )
}

fn key_of_stored(message: &Message) -> Key {
    (
        message.conversation_id,
        codec::author_kind_str(message.author.kind),
        message.author.id.unwrap_or(Uuid::nil()),
        message.client_msg_id.clone().unwrap_or_default(),
    )
}

/// What the key of an append already names.
enum Known {
    /// The `usize`th message found stored.
    Stored(usize),
    /// The `usize`th message this batch inserts.
    InBatch(usize),
}

enum Planned {
    Fails(StoreError),
    /// Of the `usize`th message found stored.
    Duplicate(usize),
    /// Of the `usize`th message this batch inserts.
    DuplicateInBatch(usize),
    /// As the `usize`th message this batch inserts.
    Inserted(usize),
}

struct ConversationSeq {
    workspace_id: Uuid,
    inbox_id: Uuid,
    contact_id: Uuid,
    last_seq: i64,
    waiting_since: Option<i64>,
    touched: bool,
}

/// The stored messages with the keys of `lookups`: one seek in `messages_dedupe` per key.
/// The keys are the outer loop (`CROSS JOIN`) and the index is named (`INDEXED BY`): left to
/// itself, SQLite 3.46 plans a batch's worth of keys (a few hundred) as a scan of the whole
/// index with a Bloom filter on the keys, which costs as much as the table is large; under
/// load batches grow, so commits got slower exactly when they had to be fast (a full batch
/// took 0.5–1 s on a table of 230 000 messages, 5 ms with the seeks). Named, a plan without
/// the index is an error instead.
fn duplicates_query<'a>(lookups: &[&'a NewMessageRecord]) -> QueryBuilder<'a, Sqlite> {
    let mut q =
        QueryBuilder::<Sqlite>::new("WITH k (k_conversation, k_kind, k_author, k_cmid) AS (");
    q.push_values(lookups, |mut row, new| {
        row.push_bind(new.conversation_id)
            .push_bind(codec::author_kind_str(new.author.kind))
            .push_bind(new.author.id)
            .push_bind(new.client_msg_id.as_str());
    });
    q.push(format!(
        ") SELECT {MESSAGE_COLS} FROM k CROSS JOIN messages AS m INDEXED BY messages_dedupe \
         ON m.client_msg_id = k.k_cmid AND m.conversation_id = k.k_conversation \
         AND m.author_kind = k.k_kind \
         AND COALESCE(m.author_id, {nil}) = COALESCE(k.k_author, {nil})",
        nil = super::NIL_UUID
    ));
    q
}

/// One transaction for the whole batch: `Err` when the batch as a whole failed (nothing
/// committed), otherwise one outcome per append, in order, and the messages committed, in
/// the order their seqs were given.
async fn append_batch<'a>(
    pool: &SqlitePool,
    news: impl ExactSizeIterator<Item = &'a NewMessageRecord> + Clone,
    now: i64,
) -> StoreResult<(Vec<StoreResult<Appended>>, Vec<CommittedMessage>)> {
    let classify = crate::classify;
    let mut tx = pool
        .begin_with(<sqlx::Sqlite as crate::WriteTx>::BEGIN)
        .await
        .map_err(classify)?;

    // The conversations, with their workspace and current last_seq.
    let mut conversations: HashMap<Uuid, ConversationSeq> = HashMap::new();
    let mut ids: Vec<Uuid> = news.clone().map(|n| n.conversation_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT id, workspace_id, last_seq, waiting_since, inbox_id, contact_id \
         FROM conversations WHERE id IN (",
    );
    let mut list = q.separated(", ");
    for id in &ids {
        list.push_bind(*id);
    }
    q.push(")");
    for row in q.build().fetch_all(&mut *tx).await.map_err(classify)? {
        let id: Uuid = row.try_get(0).map_err(classify)?;
        conversations.insert(
            id,
            ConversationSeq {
                workspace_id: row.try_get(1).map_err(classify)?,
                last_seq: row.try_get(2).map_err(classify)?,
                waiting_since: row.try_get(3).map_err(classify)?,
                inbox_id: row.try_get(4).map_err(classify)?,
                contact_id: row.try_get(5).map_err(classify)?,
                touched: false,
            },
        );
    }
    let in_workspace = |new: &NewMessageRecord, conversations: &HashMap<Uuid, ConversationSeq>| {
        conversations
            .get(&new.conversation_id)
            .is_some_and(|c| c.workspace_id == new.workspace_id)
    };

    // The keys already stored: one lookup in `messages_dedupe` per append.
    let mut known: HashMap<Key, Known> = HashMap::new();
    let mut stored: Vec<Message> = Vec::new();
    let lookups: Vec<&NewMessageRecord> = news
        .clone()
        .filter(|new| in_workspace(new, &conversations))
        .collect();
    if !lookups.is_empty() {
        let mut q = duplicates_query(&lookups);
        for row in q.build().fetch_all(&mut *tx).await.map_err(classify)? {
            let message = super::message_from_row(&row).map_err(classify)?;
            known.insert(key_of_stored(&message), Known::Stored(stored.len()));
            stored.push(message);
        }
    }

    // Seqs in queue order; keys repeated within the batch answer with the first.
    let mut inserts: Vec<Message> = Vec::new();
    let mut plan: Vec<Planned> = Vec::with_capacity(news.len());
    for new in news {
        if !in_workspace(new, &conversations) {
            plan.push(Planned::Fails(StoreError::NotFound));
            continue;
        }
        match known.entry(key_of(new)) {
            Entry::Occupied(seen) => plan.push(match seen.get() {
                Known::Stored(i) => Planned::Duplicate(*i),
                Known::InBatch(i) => Planned::DuplicateInBatch(*i),
            }),
            Entry::Vacant(slot) => {
                let Some(conversation) = conversations.get_mut(&new.conversation_id) else {
                    plan.push(Planned::Fails(StoreError::NotFound));
                    continue;
                };
                conversation.last_seq += 1;
                conversation.waiting_since = livedesk_core::store::waiting_after(
                    conversation.waiting_since,
                    new.author.kind,
                    new.kind,
                    now,
                );
                conversation.touched = true;
                slot.insert(Known::InBatch(inserts.len()));
                plan.push(Planned::Inserted(inserts.len()));
                inserts.push(Message {
                    id: Uuid::now_v7(),
                    conversation_id: new.conversation_id,
                    seq: conversation.last_seq,
                    client_msg_id: Some(new.client_msg_id.as_str().to_owned()),
                    author: new.author.clone(),
                    kind: new.kind,
                    body: new.body.as_str().to_owned(),
                    attachment: new.attachment.clone(),
                    event: new.event.clone(),
                    created_at: now,
                });
            }
        }
    }

    if !inserts.is_empty() {
        let touched: Vec<(&Uuid, &ConversationSeq)> =
            conversations.iter().filter(|(_, c)| c.touched).collect();
        let mut q = QueryBuilder::<Sqlite>::new("WITH v (v_id, v_seq, v_waiting) AS (");
        q.push_values(&touched, |mut row, (id, c)| {
            row.push_bind(**id)
                .push_bind(c.last_seq)
                .push_bind(c.waiting_since);
        });
        q.push(") UPDATE conversations SET last_seq = v.v_seq, waiting_since = v.v_waiting, updated_at = ")
            .push_bind(now)
            .push(" FROM v WHERE conversations.id = v.v_id");
        let done = q.build().execute(&mut *tx).await.map_err(classify)?;
        if done.rows_affected() != touched.len() as u64 {
            return Err(StoreError::Internal(
                format!(
                    "group commit updated {} of {} conversations",
                    done.rows_affected(),
                    touched.len()
                )
                .into(),
            ));
        }

        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO messages (conversation_id, seq, id, client_msg_id, author_kind, author_id, \
             author_name, kind, body, attachment, attachment_id, event, created_at) ",
        );
        q.push_values(&inserts, |mut row, m| {
            row.push_bind(m.conversation_id)
                .push_bind(m.seq)
                .push_bind(m.id)
                .push_bind(m.client_msg_id.as_deref())
                .push_bind(codec::author_kind_str(m.author.kind))
                .push_bind(m.author.id)
                .push_bind(m.author.name.as_deref())
                .push_bind(codec::kind_str(m.kind))
                .push_bind(m.body.as_str())
                .push_bind(m.attachment.as_ref().map(codec::json_to))
                .push_bind(m.attachment.as_ref().map(|a| a.id))
                .push_bind(m.event.as_ref().map(codec::json_to))
                .push_bind(m.created_at);
        });
        q.build().execute(&mut *tx).await.map_err(classify)?;
    }
    tx.commit().await.map_err(classify)?;

    let committed = inserts
        .iter()
        .filter_map(|m| {
            let c = conversations.get(&m.conversation_id)?;
            Some(CommittedMessage {
                workspace_id: c.workspace_id,
                inbox_id: c.inbox_id,
                contact_id: c.contact_id,
                message: m.clone(),
            })
        })
        .collect();
    let outcomes = plan
        .into_iter()
        .map(|planned| match planned {
            Planned::Fails(err) => Err(err),
            Planned::Duplicate(i) => Ok(Appended {
                message: stored[i].clone(),
                duplicate: true,
            }),
            Planned::DuplicateInBatch(i) => Ok(Appended {
                message: inserts[i].clone(),
                duplicate: true,
            }),
            Planned::Inserted(i) => Ok(Appended {
                message: inserts[i].clone(),
                duplicate: false,
            }),
        })
        .collect();
    Ok((outcomes, committed))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use livedesk_core::store::{Audience, Store};
    use livedesk_core::values::{ClientMsgId, DisplayName, MessageBody};
    use livedesk_protocol::model::{Author, AuthorKind, Conversation, MessageKind};

    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::SqliteSynchronous;

    async fn open() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            &dir.path().join("t.db"),
            SqliteSynchronous::Full,
            2,
            Arc::new(livedesk_core::SystemClock),
        )
        .await
        .unwrap();
        (dir, store)
    }

    async fn conversation(store: &SqliteStore) -> Conversation {
        let ws = store
            .create_workspace(&DisplayName::parse("Acme").unwrap())
            .await
            .unwrap();
        let inbox = store
            .create_inbox(ws.id, &DisplayName::parse("Site").unwrap(), &[])
            .await
            .unwrap();
        let contact = store
            .create_visitor(&inbox, Uuid::new_v4().as_bytes(), i64::MAX, None)
            .await
            .unwrap();
        store
            .create_conversation(ws.id, inbox.id, contact.id)
            .await
            .unwrap()
    }

    fn new(c: &Conversation, author: Option<Uuid>, cmid: &str, body: &str) -> NewMessageRecord {
        NewMessageRecord {
            workspace_id: c.workspace_id,
            conversation_id: c.id,
            client_msg_id: ClientMsgId::parse(cmid.to_owned()).unwrap(),
            author: Author {
                kind: if author.is_some() {
                    AuthorKind::Contact
                } else {
                    AuthorKind::System
                },
                id: author,
                name: None,
            },
            kind: MessageKind::Text,
            body: MessageBody::parse(body.to_owned(), 10_000).unwrap(),
            attachment: None,
            event: None,
        }
    }

    fn seq_of(outcome: &StoreResult<Appended>) -> (i64, bool) {
        let appended = outcome.as_ref().unwrap();
        (appended.message.seq, appended.duplicate)
    }

    #[tokio::test]
    async fn committed_messages_reach_the_database_file_without_a_checkpoint_in_the_writer() {
        let (dir, store) = open().await;
        // 300 appends write far fewer WAL pages than the writer's own checkpoint waits for.
        let threshold: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(threshold, 10_000);
        let c = conversation(&store).await;
        let contact = Some(c.contact_id);
        for i in 0..300 {
            store
                .append_message(new(&c, contact, &format!("m{i}"), "hello"))
                .await
                .unwrap();
        }
        // The checkpointer runs every 250 ms; the database file alone (no WAL) then holds
        // every message.
        let copy = dir.path().join("copy.db");
        let mut found = 0;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            std::fs::copy(dir.path().join("t.db"), &copy).unwrap();
            let file = SqlitePool::connect(&format!("sqlite://{}?immutable=1", copy.display()))
                .await
                .unwrap();
            found = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM messages")
                .fetch_one(&file)
                .await
                .unwrap_or(0);
            file.close().await;
            if found == 300 {
                break;
            }
        }
        assert_eq!(found, 300);
    }

    #[tokio::test]
    async fn the_duplicate_check_seeks_the_dedupe_index_and_scans_nothing() {
        let (_dir, store) = open().await;
        let c = conversation(&store).await;
        // As many keys as a batch holds: with many, SQLite's own choice was a scan.
        let news: Vec<NewMessageRecord> = (0..MAX_BATCH)
            .map(|i| new(&c, Some(Uuid::now_v7()), &format!("k{i}"), "x"))
            .collect();
        let q = duplicates_query(&news.iter().collect::<Vec<_>>());
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {}", q.sql()))
            .fetch_all(&store.writer)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>(3))
            .collect();
        assert!(
            plan.iter()
                .any(|d| d.starts_with("SEARCH m USING INDEX messages_dedupe")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|d| d.starts_with("SCAN m")), "{plan:?}");
    }

    #[tokio::test]
    async fn one_batch_keeps_the_meaning_of_each_append() {
        let (_dir, store) = open().await;
        let a = conversation(&store).await;
        let b = conversation(&store).await;
        let contact = Some(a.contact_id);
        let stored = store
            .append_message(new(&a, contact, "stored", "before"))
            .await
            .unwrap();

        let batch = [
            new(&a, contact, "a1", "a1"),
            NewMessageRecord {
                conversation_id: Uuid::now_v7(),
                ..new(&a, contact, "unknown", "x")
            },
            new(&a, contact, "stored", "retry of a stored message"),
            NewMessageRecord {
                workspace_id: b.workspace_id,
                ..new(&a, contact, "foreign", "x")
            },
            new(&b, Some(b.contact_id), "b1", "b1"),
            new(&a, contact, "a1", "retry within the batch"),
            new(&a, None, "a1", "same id, system author: another key"),
            new(&a, None, "a1", "and its retry"),
            new(&b, Some(b.contact_id), "b2", "b2"),
        ];
        let (out, committed) = append_batch(&store.writer, batch.iter(), livedesk_core::now_ms())
            .await
            .expect("the batch itself succeeds, no fallback");
        assert_eq!(out.len(), batch.len());
        let told: Vec<(Uuid, i64, Uuid, Uuid)> = committed
            .iter()
            .map(|c| {
                (
                    c.message.conversation_id,
                    c.message.seq,
                    c.inbox_id,
                    c.contact_id,
                )
            })
            .collect();
        assert_eq!(
            told,
            [
                (a.id, 2, a.inbox_id, a.contact_id),
                (b.id, 1, b.inbox_id, b.contact_id),
                (a.id, 3, a.inbox_id, a.contact_id),
                (b.id, 2, b.inbox_id, b.contact_id),
            ],
            "the new messages only, in the order their seqs were given, with their routing keys"
        );
        assert_eq!(seq_of(&out[0]), (2, false));
        assert!(matches!(out[1], Err(StoreError::NotFound)), "{:?}", out[1]);
        assert_eq!(seq_of(&out[2]), (1, true));
        assert_eq!(out[2].as_ref().unwrap().message, stored.message);
        assert!(matches!(out[3], Err(StoreError::NotFound)), "{:?}", out[3]);
        assert_eq!(seq_of(&out[4]), (1, false));
        assert_eq!(seq_of(&out[5]), (2, true));
        assert_eq!(
            out[5].as_ref().unwrap().message,
            out[0].as_ref().unwrap().message
        );
        assert_eq!(seq_of(&out[6]), (3, false));
        assert_eq!(seq_of(&out[7]), (3, true));
        assert_eq!(seq_of(&out[8]), (2, false));

        let in_a = store
            .messages_after(a.id, 0, 100, Audience::Agent)
            .await
            .unwrap();
        let bodies: Vec<&str> = in_a.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(
            bodies,
            ["before", "a1", "same id, system author: another key"]
        );
        assert_eq!(in_a[1], out[0].as_ref().unwrap().message);
        let a_now = store.conversation(a.workspace_id, a.id).await.unwrap();
        assert_eq!(a_now.unwrap().last_seq, 3);
        let b_now = store.conversation(b.workspace_id, b.id).await.unwrap();
        assert_eq!(b_now.unwrap().last_seq, 2);
    }

    #[tokio::test]
    async fn a_failing_batch_is_stored_one_by_one() {
        let (_dir, store) = open().await;
        let c = conversation(&store).await;
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.body = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        let author = Some(c.contact_id);
        let batch = [
            new(&c, author, "m1", "fine"),
            new(&c, author, "m2", "poison"),
            new(&c, author, "m3", "fine too"),
        ];
        assert!(
            append_batch(&store.writer, batch.iter(), livedesk_core::now_ms())
                .await
                .is_err()
        );

        let (mut jobs, answers): (Vec<Job>, Vec<_>) = batch
            .iter()
            .map(|new| {
                let (reply, answer) = oneshot::channel();
                let job = Job {
                    new: new.clone(),
                    reply,
                };
                (job, answer)
            })
            .unzip();
        let listener = std::sync::Arc::new(Recorder::default());
        let committed = Committed::new(1);
        committed.set(listener.clone());
        commit(
            &store.writer,
            &mut jobs,
            &committed,
            &livedesk_core::SystemClock,
        )
        .await;
        assert!(jobs.is_empty());
        let told: Vec<i64> = listener
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.message.seq)
            .collect();
        assert_eq!(
            told,
            [1, 2],
            "the fallback tells of each message it stored, in order"
        );
        let mut out = Vec::new();
        for answer in answers {
            out.push(answer.await.unwrap());
        }
        assert_eq!(seq_of(&out[0]), (1, false));
        assert!(
            matches!(out[1], Err(StoreError::Internal(_))),
            "{:?}",
            out[1]
        );
        assert_eq!(seq_of(&out[2]), (2, false), "the failed append took no seq");
        let now = store.conversation(c.workspace_id, c.id).await.unwrap();
        assert_eq!(now.unwrap().last_seq, 2);
    }

    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<CommittedMessage>>);

    impl livedesk_core::store::CommitListener for Recorder {
        fn committed(&self, messages: &[CommittedMessage]) {
            self.0.lock().unwrap().extend_from_slice(messages);
        }
    }
}
