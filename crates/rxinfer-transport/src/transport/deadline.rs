//! Call deadlines that share timer entries.
//!
//! A tokio `Sleep` per call costs a registration in the runtime's timer
//! wheel and its removal (under callgrind about 640 instructions a call),
//! and keeps one wheel entry per call in flight. Calls that start within
//! [`GRANULARITY`] of each other on one thread (and runtime) share one
//! timer instead: a [`Batch`], which expires at the latest of their
//! deadlines and wakes them all. Each call waits at most `GRANULARITY` past
//! its own deadline, on top of tokio's own millisecond rounding. Measured
//! with the `token_roles` bench at concurrency 32 (three runs each), the
//! client's CPU per call over a bare hyper-util request went from 0.60 to
//! 0.52 µs. (Callgrind cannot show it: slowed fifty-fold, calls no longer
//! start together.)
//!
//! A batch's timer is registered with its first call and kept while the
//! batch is its thread's current one, so that calls made one after the
//! other (concurrency 1) share it too instead of registering and cancelling
//! a timer each: at concurrency 1 that took the client's CPU per call from
//! 1.032x to 1.017x a bare hyper-util request's (12 interleaved runs
//! each). Once the thread has opened a newer batch, or ended, the old one's
//! timer goes with its last call. So a thread keeps at most one timer past
//! its calls, due at most its longest timeout after the batch opened. With
//! tokio's paused clock, an idle runtime auto-advances to its next timer:
//! this one too, even with no call in flight (as to the pool's idle timer;
//! `Config::timeout` says so). A fired timer is dropped at once.
//!
//! A batch's timer belongs to the runtime the batch was opened on. If that
//! runtime shuts down first, the batch is orphaned and each of its calls
//! falls back to a `Sleep` of its own.

use std::{
    cell::RefCell,
    future::Future,
    mem,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use tokio::{
    runtime::{Handle, Id},
    task::coop::unconstrained,
    time::{Instant, Sleep, sleep_until},
};

/// How far apart the deadlines of calls sharing a timer may be.
const GRANULARITY: Duration = Duration::from_millis(1);

/// What tokio uses for a deadline too far to represent: thirty years.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

thread_local! {
    /// The batch calls starting on this thread join, while it is young
    /// enough. Kept while the thread lives, so that calls one after the
    /// other reuse it and its timer.
    static CURRENT: Current = const { Current(RefCell::new(None)) };
}

/// This thread's current batch; retired when the thread ends.
struct Current(RefCell<Option<Arc<Batch>>>);

impl Drop for Current {
    fn drop(&mut self) {
        if let Some(batch) = self.0.get_mut().take() {
            batch.retire();
        }
    }
}

/// One call's deadline: unset until the call is first pending.
#[derive(Debug)]
pub(super) struct Deadline {
    timeout: Duration,
    waiting: Waiting,
}

#[derive(Debug)]
enum Waiting {
    NotYet,
    Shared {
        batch: Arc<Batch>,
        slot: usize,
        at: Instant,
    },
    Own(Pin<Box<Sleep>>),
    Left,
}

impl Deadline {
    /// A deadline `timeout` after the call is first pending.
    pub(super) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            waiting: Waiting::NotYet,
        }
    }

    /// How long after its start the call expires.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When the call expires: its deadline once it has started waiting,
    /// else its timeout from now (`None`: too far to represent).
    pub(super) fn expiry(&self) -> Option<Instant> {
        match &self.waiting {
            Waiting::Shared { at, .. } => Some(*at),
            Waiting::Own(sleep) => Some(sleep.deadline()),
            Waiting::NotYet | Waiting::Left => Instant::now().checked_add(self.timeout),
        }
    }

    /// Ready once the deadline has passed; otherwise `cx` is woken when it
    /// does.
    pub(super) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.waiting {
                Waiting::NotYet => {
                    let now = Instant::now();
                    let at = now.checked_add(self.timeout).unwrap_or(now + FAR);
                    self.waiting = join(at, cx.waker());
                }
                Waiting::Shared { batch, slot, at } => match batch.poll(*slot, cx.waker()) {
                    Some(Fired::Expired) => return Poll::Ready(()),
                    Some(Fired::Orphaned) => {
                        let own = Box::pin(sleep_until(*at));
                        self.leave();
                        self.waiting = Waiting::Own(own);
                    }
                    None => return Poll::Pending,
                },
                Waiting::Own(sleep) => return sleep.as_mut().poll(cx),
                Waiting::Left => return Poll::Pending,
            }
        }
    }

    /// Stops waiting: the call has its answer. Its batch forgets its waker
    /// at once rather than when the call is dropped.
    pub(super) fn leave(&mut self) {
        if let Waiting::Shared { batch, slot, .. } = mem::replace(&mut self.waiting, Waiting::Left)
        {
            batch.leave(slot);
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Joins this thread's current batch, or opens one for `at`.
fn join(at: Instant, waker: &Waker) -> Waiting {
    // Outside a runtime, tokio's own `Sleep` says what is wrong; while the
    // thread is ending, a call keeps a timer of its own.
    let own = || Waiting::Own(Box::pin(sleep_until(at)));
    let Ok(runtime) = Handle::try_current().map(|handle| handle.id()) else {
        return own();
    };
    let shared = CURRENT.try_with(|current| {
        let mut current = current.0.try_borrow_mut().ok()?;
        let young = current
            .as_ref()
            .filter(|batch| batch.accepts(runtime, at))
            .map(Arc::clone);
        let batch = match young {
            Some(batch) => batch,
            None => {
                let batch = Arc::new(Batch::new(runtime, at)?);
                if let Some(old) = current.replace(Arc::clone(&batch)) {
                    old.retire();
                }
                batch
            }
        };
        let slot = batch.enter(waker)?;
        Some(Waiting::Shared { batch, slot, at })
    });
    // A batch that fired already (a zero timeout) takes no calls: a timer of
    // the call's own answers at once.
    shared.ok().flatten().unwrap_or_else(own)
}

/// Calls sharing one timer.
#[derive(Debug)]
struct Batch {
    runtime: Id,
    expires: Instant,
    /// `GRANULARITY` before `expires`: the earliest deadline it takes.
    earliest: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    fired: Option<Fired>,
    /// The calls' wakers; a slot is `None` once its call has left.
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
    waiting: usize,
    /// The shared timer, while the batch has calls or is its thread's
    /// current batch, and has not fired.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether calls starting on its thread no longer join it.
    retired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fired {
    Expired,
    /// Woken before its time: its runtime shut down.
    Orphaned,
}

impl Batch {
    /// A batch for calls due from `earliest` on, expiring `GRANULARITY`
    /// later, with no calls and no timer yet.
    fn new(runtime: Id, earliest: Instant) -> Option<Self> {
        Some(Self {
            runtime,
            expires: earliest.checked_add(GRANULARITY)?,
            earliest,
            state: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; a poisoned lock still holds
        // consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a call on `runtime` due at `at` may share this timer: it
    /// fires no earlier than `at`, and no later than `GRANULARITY` past.
    fn accepts(&self, runtime: Id, at: Instant) -> bool {
        // Compared, not subtracted: a subtraction of instants costs more
        // than the rest of joining.
        self.runtime == runtime && self.earliest <= at && at <= self.expires
    }

    /// Adds a call, registering the timer if the batch had none; `None`
    /// when the batch has fired already.
    fn enter(self: &Arc<Self>, waker: &Waker) -> Option<usize> {
        let mut state = self.lock();
        if state.fired.is_some() {
            return None;
        }
        if state.timer.is_none() {
            // Armed outside the lock: tokio may wake the batch from inside
            // the poll (a timer fired by another thread mid-registration),
            // and the wake-up takes the lock. Only this thread arms this
            // batch (it is this thread's current one), so no other timer
            // can be installed meanwhile.
            drop(state);
            let timer = self.arm();
            state = self.lock();
            if state.fired.is_some() {
                drop(state);
                drop(timer);
                return None;
            }
            state.timer = Some(timer);
        }
        state.waiting += 1;
        let waker = Some(waker.clone());
        Some(match state.free.pop() {
            Some(slot) => {
                state.wakers[slot] = waker;
                slot
            }
            None => {
                state.wakers.push(waker);
                state.wakers.len() - 1
            }
        })
    }

    /// A timer registered to wake this batch at `expires`; if that has
    /// passed already, the batch is marked expired.
    fn arm(self: &Arc<Self>) -> Pin<Box<Sleep>> {
        let mut timer = Box::pin(sleep_until(self.expires));
        // Unconstrained: a task out of tokio's budget would get `Pending`
        // without a registration, and a wake-up that looks like its runtime
        // shutting down.
        let registered = Pin::new(&mut unconstrained(timer.as_mut()))
            .poll(&mut Context::from_waker(&Waker::from(Arc::clone(self))));
        if registered.is_ready() {
            self.lock().fired = Some(Fired::Expired);
        }
        timer
    }

    /// Whether the batch has fired; if not, `slot` will be woken with
    /// `waker` when it does.
    fn poll(&self, slot: usize, waker: &Waker) -> Option<Fired> {
        let mut state = self.lock();
        if state.fired.is_some() {
            return state.fired;
        }
        let stored = state.wakers.get_mut(slot)?;
        if stored.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return None;
        }
        let previous = stored.replace(waker.clone());
        drop(state);
        // Dropped outside the lock: the last waker of a task drops the
        // task, which may hold a call of this batch.
        drop(previous);
        None
    }

    /// No call joins it any more: its thread opened another batch, or
    /// ended. Without calls, its timer goes at once; otherwise with the
    /// last call.
    fn retire(&self) {
        let mut state = self.lock();
        state.retired = true;
        let timer = if state.waiting == 0 {
            state.timer.take()
        } else {
            None
        };
        drop(state);
        drop(timer);
    }

    /// Removes a call. The last call of a retired batch cancels its timer.
    fn leave(&self, slot: usize) {
        let mut state = self.lock();
        let waker = state.wakers.get_mut(slot).and_then(Option::take);
        if waker.is_some() {
            state.waiting -= 1;
            state.free.push(slot);
        }
        let timer = if state.waiting == 0 && state.retired {
            state.timer.take()
        } else {
            None
        };
        drop(state);
        // Dropped outside the lock: the timer takes the runtime's, and holds
        // a waker of this batch.
        drop((waker, timer));
    }
}

/// The timer's wake-up: the batch has expired, unless it comes early,
/// from a runtime shutting down.
impl Wake for Batch {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.lock();
        if state.fired.is_some() {
            return;
        }
        // tokio's clock, which a paused test clock moves. Reached only from
        // tokio's timer, never from a thread-local's destructor (where
        // tokio's own thread-local may be gone): `Current` drops timers,
        // it does not fire them.
        state.fired = Some(if Instant::now() >= self.expires {
            Fired::Expired
        } else {
            Fired::Orphaned
        });
        let wakers: Vec<Waker> = state.wakers.iter_mut().filter_map(Option::take).collect();
        state.waiting = 0;
        // A fired timer has done its work; kept, it would hold a runtime
        // that shut down (its driver, its files) while this thread lives.
        // tokio wakes timers outside its own lock, so dropping one here is
        // safe.
        let timer = state.timer.take();
        drop(state);
        drop(timer);
        for waker in wakers {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(deadline: &mut Deadline) -> Poll<()> {
        deadline.poll_expired(&mut Context::from_waker(Waker::noop()))
    }

    fn batch_of(deadline: &Deadline) -> Option<Arc<Batch>> {
        match &deadline.waiting {
            Waiting::Shared { batch, .. } => Some(Arc::clone(batch)),
            _ => None,
        }
    }

    fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn expires_after_its_timeout_and_at_most_a_tick_later() {
        let mut deadline = Deadline::new(Duration::from_millis(10));
        assert!(poll(&mut deadline).is_pending());
        tokio::time::advance(Duration::from_millis(9)).await;
        assert!(poll(&mut deadline).is_pending());
        let started = Instant::now();
        std::future::poll_fn(|cx| deadline.poll_expired(cx)).await;
        assert!(started.elapsed() <= GRANULARITY + Duration::from_millis(2));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_starting_together_share_one_timer_and_later_ones_do_not() {
        let (mut first, mut second) = (
            Deadline::new(Duration::from_secs(30)),
            Deadline::new(Duration::from_secs(30)),
        );
        let _ = (poll(&mut first), poll(&mut second));
        let shared = batch_of(&first).zip(batch_of(&second));
        assert!(shared.is_some_and(|(a, b)| Arc::ptr_eq(&a, &b)));

        tokio::time::advance(GRANULARITY * 2).await;
        let mut later = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut later);
        let apart = batch_of(&first).zip(batch_of(&later));
        assert!(apart.is_some_and(|(a, b)| !Arc::ptr_eq(&a, &b)));
    }

    fn has_timer(batch: Option<&Arc<Batch>>) -> bool {
        batch.is_some_and(|batch| batch.lock().timer.is_some())
    }

    #[tokio::test(start_paused = true)]
    async fn the_current_batch_keeps_its_timer_for_the_next_call_and_a_retired_one_does_not() {
        let mut first = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut first);
        let batch = batch_of(&first);
        first.leave();
        assert!(has_timer(batch.as_ref()), "kept for the next call");

        // Past the batch's window, the next call opens another batch: the
        // empty one drops its timer at once.
        tokio::time::advance(GRANULARITY * 2).await;
        let mut later = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut later);
        assert!(!has_timer(batch.as_ref()));
        assert!(has_timer(batch_of(&later).as_ref()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retired_batch_drops_its_timer_with_its_last_call() {
        let mut first = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut first);
        let batch = batch_of(&first);
        tokio::time::advance(GRANULARITY * 2).await;
        let mut later = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut later);
        assert!(has_timer(batch.as_ref()), "its call still waits");
        first.leave();
        assert!(!has_timer(batch.as_ref()));
    }

    #[test]
    fn a_thread_that_ends_before_its_runtime_leaves_no_timer_behind() -> std::io::Result<()> {
        let runtime = runtime()?;
        let handle = runtime.handle().clone();
        let batch = std::thread::spawn(move || {
            let mut call = Deadline::new(Duration::from_secs(30));
            let _ = handle.block_on(async { poll(&mut call) });
            let batch = batch_of(&call);
            call.leave();
            batch.filter(|batch| has_timer(Some(batch)))
        })
        .join()
        .map_err(|_| std::io::Error::other("the thread panicked"))?;
        // The runtime lives on; the thread's batch did not keep its timer.
        assert!(batch.is_some());
        assert!(!has_timer(batch.as_ref()));
        drop(runtime);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_whose_calls_all_left_takes_the_next_and_expires() {
        let mut first = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut first);
        let batch = batch_of(&first);
        let mut second = Deadline::new(Duration::from_secs(30));
        let _ = poll(&mut second);
        first.leave();
        second.leave();
        let mut third = Deadline::new(Duration::from_secs(30));
        assert!(poll(&mut third).is_pending());
        assert!(
            batch
                .zip(batch_of(&third))
                .is_some_and(|(a, b)| Arc::ptr_eq(&a, &b))
        );
        tokio::time::advance(Duration::from_secs(30) + GRANULARITY).await;
        assert!(poll(&mut third).is_ready());
    }

    #[tokio::test]
    async fn a_task_out_of_budget_still_shares_a_live_timer() {
        let mut call = Deadline::new(Duration::from_secs(30));
        let first = std::future::poll_fn(|cx| {
            while tokio::task::coop::has_budget_remaining() {
                let _ = std::pin::pin!(tokio::task::coop::consume_budget()).poll(cx);
            }
            Poll::Ready(call.poll_expired(cx))
        })
        .await;
        assert!(first.is_pending());
        tokio::task::yield_now().await;
        let fired = batch_of(&call).map(|batch| batch.lock().fired);
        assert_eq!(fired, Some(None), "not orphaned, not expired");
    }

    #[test]
    fn a_batch_on_another_runtime_is_not_joined() -> std::io::Result<()> {
        let (idle, driven) = (runtime()?, runtime()?);
        let mut on_idle = Deadline::new(Duration::from_millis(20));
        assert!(idle.block_on(async { poll(&mut on_idle) }).is_pending());
        // `idle` is not driven from here on: a call sharing its timer would
        // never expire.
        driven.block_on(async {
            let mut call = Deadline::new(Duration::from_millis(20));
            let expired = tokio::time::timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| call.poll_expired(cx)),
            );
            expired.await.map_err(std::io::Error::other)
        })
    }

    #[test]
    fn calls_of_a_runtime_that_shut_down_fall_back_to_their_own_timer() -> std::io::Result<()> {
        let mut call = Deadline::new(Duration::from_millis(20));
        let gone = runtime()?;
        assert!(gone.block_on(async { poll(&mut call) }).is_pending());
        drop(gone);
        let batch = batch_of(&call);
        // Orphaned, and no longer holding the runtime that is gone.
        assert!(
            batch
                .as_ref()
                .is_some_and(|batch| batch.lock().fired == Some(Fired::Orphaned))
        );
        assert!(!has_timer(batch.as_ref()));
        runtime()?.block_on(async {
            let expired = tokio::time::timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| call.poll_expired(cx)),
            );
            expired.await.map_err(std::io::Error::other)
        })?;
        assert!(matches!(call.waiting, Waiting::Own(_)));
        Ok(())
    }
}
