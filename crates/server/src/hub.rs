//! The in-process fan-out: which sockets of this node listen to which topic.
//!
//! Publishing never waits: each socket has a bounded queue, and a socket whose queue is full
//! is told to close as "slow" (it resumes from its cursors on reconnect). An event is shared
//! by every queue it is in ([`Shared`]), so a queue slot is one pointer, not a copy.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use livedesk_core::fanout::{Event, EventKind, Fanout, Topic};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// An event as the sockets' queues hold it.
pub type Shared = Arc<Event>;

/// The inboxes whose events a socket carries: `None` for all (admins, supervisors, and
/// visitors, whose topic is their own).
pub type Scope = Option<Arc<HashSet<Uuid>>>;

/// What a socket may see, shared by its reader (which reads it from the store), its writer
/// (which checks every event against it) and the hub (which revokes it when an
/// [`EventKind::AccessChanged`] arrives, before anything else can be written or handled).
/// A lock rather than a `watch` channel: a watch channel's shared state (with its eight
/// notifiers) was several hundred bytes of every idle socket.
#[derive(Default)]
pub struct Access {
    scope: RwLock<Scope>,
    changed: Notify,
}

impl Access {
    pub fn allows(&self, inbox_id: Uuid) -> bool {
        let scope = self.scope.read().unwrap_or_else(PoisonError::into_inner);
        scope
            .as_ref()
            .is_none_or(|allowed| allowed.contains(&inbox_id))
    }

    /// Sets the scope; whether it changed.
    pub fn set(&self, scope: Scope) -> bool {
        let mut current = self.scope.write().unwrap_or_else(PoisonError::into_inner);
        let changed = *current != scope;
        *current = scope;
        changed
    }

    /// No inbox until the reader has read the access again.
    fn revoke(&self) {
        self.set(Some(Arc::default()));
        self.changed.notify_one();
    }

    /// Resolves once after each revocation.
    pub async fn changed(&self) {
        self.changed.notified().await
    }
}

struct Subscriber {
    id: u64,
    tx: mpsc::Sender<Shared>,
    slow: CancellationToken,
    access: Option<Arc<Access>>,
}

#[derive(Default)]
pub struct Hub {
    topics: RwLock<HashMap<Topic, Vec<Subscriber>>>,
    next_id: AtomicU64,
}

/// Unsubscribes when dropped.
pub struct Subscription {
    hub: Arc<Hub>,
    topic: Topic,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut topics) = self.hub.topics.write() {
            if let Some(subs) = topics.get_mut(&self.topic) {
                subs.retain(|s| s.id != self.id);
                if subs.is_empty() {
                    topics.remove(&self.topic);
                }
            }
        }
    }
}

impl Hub {
    pub fn subscribe(
        self: &Arc<Self>,
        topic: Topic,
        tx: mpsc::Sender<Shared>,
        slow: CancellationToken,
        access: Option<Arc<Access>>,
    ) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut topics) = self.topics.write() {
            topics.entry(topic).or_default().push(Subscriber {
                id,
                tx,
                slow,
                access,
            });
        }
        Subscription {
            hub: Arc::clone(self),
            topic,
            id,
        }
    }

    /// Hands the event to every local subscriber of its topic.
    pub fn deliver(&self, event: &Shared) {
        let Ok(topics) = self.topics.read() else {
            return;
        };
        let Some(subs) = topics.get(&event.topic) else {
            return;
        };
        if event.kind == EventKind::AccessChanged {
            for access in subs.iter().filter_map(|s| s.access.as_ref()) {
                access.revoke();
            }
            return;
        }
        for sub in subs {
            match sub.tx.try_send(Arc::clone(event)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => sub.slow.cancel(),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    pub fn has_subscribers(&self, topic: &Topic) -> bool {
        self.topics
            .read()
            .map(|t| t.get(topic).is_some_and(|s| !s.is_empty()))
            .unwrap_or(false)
    }

    pub fn subscriber_count(&self) -> usize {
        self.topics
            .read()
            .map(|t| t.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}

/// Single-node fan-out: publish goes straight to this node's sockets.
pub struct LocalFanout(pub Arc<Hub>);

impl Fanout for LocalFanout {
    fn publish(&self, event: Event) {
        self.0.deliver(&Arc::new(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use uuid::Uuid;

    fn event(topic: Topic) -> Shared {
        Arc::new(Event {
            topic,
            payload: Bytes::from_static(b"{}"),
            message_seq: None,
            committed_at: std::time::Instant::now(),
            inbox_id: None,
            kind: EventKind::Frame,
        })
    }

    #[test]
    fn only_subscribers_of_the_topic_receive_and_a_full_queue_marks_the_socket_slow() {
        let hub = Arc::new(Hub::default());
        let a = Topic::Visitor {
            contact_id: Uuid::now_v7(),
        };
        let b = Topic::Visitor {
            contact_id: Uuid::now_v7(),
        };
        let (tx, mut rx) = mpsc::channel(1);
        let slow = CancellationToken::new();
        let sub = hub.subscribe(a, tx, slow.clone(), None);
        hub.deliver(&event(b));
        assert!(rx.try_recv().is_err());
        hub.deliver(&event(a));
        assert!(rx.try_recv().is_ok());
        hub.deliver(&event(a));
        assert!(!slow.is_cancelled());
        hub.deliver(&event(a));
        assert!(slow.is_cancelled());
        drop(sub);
        assert_eq!(hub.subscriber_count(), 0);
    }
}
