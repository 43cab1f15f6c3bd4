//! The server's clock: the wall-clock time it stores (when a conversation was assigned, until
//! when it is snoozed), the monotonic instants its rate limits and the offline grace measure
//! with, and the waits of its background work (the snooze waker, the re-offer worker, the
//! offline check after an agent's last console closed).
//!
//! [`Clock::system`] is the machine's clock, what `main` runs on. A [`ManualClock`] stands
//! still until a test moves it with [`ManualClock::advance`], which wakes every wait that came
//! due and returns once the work they started has finished: a test says "three seconds later
//! the conversation has been re-offered" with no sleep and no polling, and takes no longer
//! than the work itself.
//!
//! Why not tokio's paused time (`time::pause` and `advance`): it stops the clock of the whole
//! runtime the test runs in, HTTP client and database driver included, and jumps it to the
//! next timer whenever the runtime idles, say while PostgreSQL answers, so pool and request
//! timeouts would fire at random; it also needs a current-thread runtime. And it cannot move
//! wall-clock time: `snoozed_until` and `assigned_at` are stored Unix milliseconds. A clock of
//! the server's own moves both and nothing else. The store is opened with the same clock (it
//! implements `livedesk_core::WallClock`), so the times the store writes itself, such as a
//! message's `created_at` that tells whether an assignment was answered, agree with the
//! times the server gives it.
//!
//! What is not on this clock keeps tokio's: socket heartbeats and timeouts, shutdown grace,
//! TLS reloads; and session expiry, hours and days away, reads the system time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use livedesk_protocol::model::Millis;
use tokio::sync::watch;
use tokio::time::Instant;

/// How long [`ManualClock::advance`] waits for the work it woke before it gives up.
const SETTLE_WITHIN: Duration = Duration::from_secs(20);

/// What the server reads the time from; cheap to clone.
#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    Manual(Arc<Manual>),
}

impl Clock {
    /// The machine's clock (tokio's for instants and waits, so unit tests may still pause it).
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// Unix time in milliseconds.
    pub fn now_ms(&self) -> Millis {
        match &self.0 {
            Source::System => livedesk_core::now_ms(),
            Source::Manual(m) => {
                m.start_ms + i64::try_from(m.elapsed().as_millis()).unwrap_or(i64::MAX)
            }
        }
    }

    /// A monotonic instant, for measuring how long since something happened.
    pub fn now(&self) -> Instant {
        match &self.0 {
            Source::System => Instant::now(),
            Source::Manual(m) => m.start + m.elapsed(),
        }
    }

    /// A wait of `duration` from now, the moment of this call (not of the first poll): what
    /// happened before the waiting task first ran cannot shift it.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        Sleep(match &self.0 {
            Source::System => SleepOn::System(Instant::now() + duration),
            Source::Manual(m) => SleepOn::Manual(Waiter::new(m, m.elapsed() + duration)),
        })
    }

    /// Ticks at once, then at every multiple of `every` from now. Ticks missed (a manual
    /// clock moved several periods at once, a stalled system) are one tick: the workers on it
    /// catch up in one pass, and the next tick keeps the beat.
    pub fn ticker(&self, every: Duration) -> Ticker {
        let every = every.max(Duration::from_millis(1));
        Ticker {
            every,
            on: match &self.0 {
                Source::System => {
                    let mut interval = tokio::time::interval(every);
                    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                    TickOn::System(interval)
                }
                Source::Manual(m) => TickOn::Manual(Waiter::new(m, m.elapsed())),
            },
        }
    }
}

impl livedesk_core::WallClock for Clock {
    fn now_ms(&self) -> i64 {
        Clock::now_ms(self)
    }
}

/// A clock for tests: starts at the system's time and stands still until [`Self::advance`]d.
#[derive(Clone)]
pub struct ManualClock(Arc<Manual>);

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    pub fn new() -> Self {
        Self(Arc::new(Manual {
            start_ms: livedesk_core::now_ms(),
            start: Instant::now(),
            state: watch::Sender::new(Waits::default()),
        }))
    }

    /// The clock to build the server with.
    pub fn clock(&self) -> Clock {
        Clock(Source::Manual(Arc::clone(&self.0)))
    }

    pub fn now_ms(&self) -> Millis {
        self.clock().now_ms()
    }

    /// Moves the clock `by` ahead, then waits until every wait that came due has run the work
    /// it started (a worker's pass, an offline check) to its end. Panics if that takes more
    /// than 20 seconds: the work is stuck, and the test would only hang.
    pub async fn advance(&self, by: Duration) {
        self.0.state.send_modify(|w| w.elapsed += by);
        let mut changes = self.0.state.subscribe();
        let settled =
            changes.wait_for(|w| w.running == 0 && w.due.values().all(|&d| d > w.elapsed));
        if tokio::time::timeout(SETTLE_WITHIN, settled).await.is_err() {
            panic!("the work due after advancing the clock by {by:?} did not finish within {SETTLE_WITHIN:?}");
        }
    }
}

struct Manual {
    /// The system's time when the clock was made; it shows that plus `Waits::elapsed`.
    start_ms: Millis,
    start: Instant,
    /// One lock and one notification for the time and the waits on it, so that `advance`
    /// never sees the one moved without the other.
    state: watch::Sender<Waits>,
}

impl Manual {
    fn elapsed(&self) -> Duration {
        self.state.borrow().elapsed
    }
}

#[derive(Default)]
struct Waits {
    /// How far the clock has been moved.
    elapsed: Duration,
    /// When each pending wait comes due (on `elapsed`'s scale), by id.
    due: HashMap<u64, Duration>,
    next_id: u64,
    /// Waits that came due whose work still runs (their [`Pass`] is alive).
    running: usize,
}

/// A wait registered with a manual clock from its creation on; dropping it withdraws it.
struct Waiter {
    clock: Arc<Manual>,
    id: u64,
}

impl Waiter {
    fn new(clock: &Arc<Manual>, due: Duration) -> Self {
        let mut id = 0;
        clock.state.send_modify(|w| {
            id = w.next_id;
            w.next_id += 1;
            w.due.insert(id, due);
        });
        Self {
            clock: Arc::clone(clock),
            id,
        }
    }

    /// Resolves once the clock reached the wait's time; then it is due again at the next beat
    /// of `every` (a ticker) or no more, and its work counts as running until the pass is
    /// dropped.
    async fn until_due(&self, every: Option<Duration>) -> Pass {
        let id = self.id;
        let mut changes = self.clock.state.subscribe();
        // The sender lives in `self.clock`, so this cannot fail.
        let _ = changes
            .wait_for(|w| w.due.get(&id).is_none_or(|&d| w.elapsed >= d))
            .await;
        self.clock.state.send_modify(|w| {
            let due = w.due.remove(&id).unwrap_or(w.elapsed);
            if let Some(every) = every {
                w.due.insert(id, next_beat(due, every, w.elapsed));
            }
            w.running += 1;
        });
        Pass(Some(Arc::clone(&self.clock)))
    }
}

/// The first of `due + k * every` (k ≥ 1) after `now`.
fn next_beat(due: Duration, every: Duration, now: Duration) -> Duration {
    let missed = now.saturating_sub(due).as_nanos() / every.as_nanos();
    let ahead = every.as_nanos() * (missed + 1);
    due + Duration::from_nanos(u64::try_from(ahead).unwrap_or(u64::MAX))
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let id = self.id;
        self.clock.state.send_modify(|w| {
            w.due.remove(&id);
        });
    }
}

/// Held while the work a wait started runs: [`ManualClock::advance`] returns only after it
/// is dropped. Nothing on the system clock.
#[must_use = "the work a wait starts runs while its pass is held"]
pub struct Pass(Option<Arc<Manual>>);

impl Drop for Pass {
    fn drop(&mut self) {
        if let Some(clock) = self.0.take() {
            clock.state.send_modify(|w| w.running -= 1);
        }
    }
}

/// See [`Clock::sleep`].
pub struct Sleep(SleepOn);

enum SleepOn {
    System(Instant),
    Manual(Waiter),
}

impl Sleep {
    /// Resolves when the wait is over, with the pass to hold while acting on it.
    pub async fn done(self) -> Pass {
        match &self.0 {
            SleepOn::System(at) => {
                tokio::time::sleep_until(*at).await;
                Pass(None)
            }
            SleepOn::Manual(waiter) => waiter.until_due(None).await,
        }
    }
}

/// See [`Clock::ticker`].
pub struct Ticker {
    every: Duration,
    on: TickOn,
}

enum TickOn {
    System(tokio::time::Interval),
    Manual(Waiter),
}

impl Ticker {
    /// Resolves at the next tick, with the pass to hold during the pass of work.
    pub async fn tick(&mut self) -> Pass {
        match &mut self.on {
            TickOn::System(interval) => {
                interval.tick().await;
                Pass(None)
            }
            TickOn::Manual(waiter) => waiter.until_due(Some(self.every)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_advanced_and_moves_wall_and_monotonic_time_alike() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let (ms, at) = (clock.now_ms(), clock.now());
        tokio::task::yield_now().await;
        assert_eq!((clock.now_ms(), clock.now()), (ms, at));
        manual.advance(3 * SEC).await;
        assert_eq!(clock.now_ms(), ms + 3000);
        assert_eq!(clock.now() - at, 3 * SEC);
    }

    #[tokio::test]
    async fn advance_returns_after_the_work_of_the_waits_it_woke() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let sleep = clock.sleep(2 * SEC);
        let worker = tokio::spawn({
            let done = Arc::clone(&done);
            async move {
                let _pass = sleep.done().await;
                // Work that takes a while after the wait is over.
                tokio::time::sleep(Duration::from_millis(50)).await;
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        manual.advance(SEC).await;
        assert_eq!(
            done.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "not due yet"
        );
        manual.advance(SEC).await;
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 1);
        let _ = worker.await;
    }

    #[tokio::test]
    async fn a_ticker_ticks_at_once_then_on_its_beat_and_once_for_ticks_missed() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let passes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut ticker = clock.ticker(5 * SEC);
        let count = Arc::clone(&passes);
        let worker = tokio::spawn(async move {
            loop {
                let _pass = ticker.tick().await;
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        let passes_now = || passes.load(std::sync::atomic::Ordering::SeqCst);
        // The first tick is due at once: advancing by nothing waits for it.
        manual.advance(Duration::ZERO).await;
        assert_eq!(passes_now(), 1);
        manual.advance(4 * SEC).await;
        assert_eq!(passes_now(), 1);
        manual.advance(SEC).await;
        assert_eq!(passes_now(), 2);
        // Far ahead (to 64 s): one catch-up pass, not one per tick missed ...
        manual.advance(59 * SEC).await;
        assert_eq!(passes_now(), 3);
        // ... and the beat is kept: the next tick is at 65 s.
        manual.advance(SEC).await;
        assert_eq!(passes_now(), 4);
        worker.abort();
    }

    #[tokio::test]
    async fn a_dropped_wait_holds_nothing_up() {
        let manual = ManualClock::new();
        let sleep = manual.clock().sleep(SEC);
        drop(sleep);
        manual.advance(2 * SEC).await;
    }
}
