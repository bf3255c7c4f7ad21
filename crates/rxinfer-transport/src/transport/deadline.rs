//! A call's deadline on tokio's timer, set when the call is first polled so
//! that building a call needs no runtime.
//!
//! The timer ([`Timer`], also the wait before a retry) is polled outside
//! tokio's cooperative budget, as tokio's own `time::Timeout` polls its: a
//! service that spends the budget at every poll would otherwise keep the
//! timer from ever registering. A call polled on another runtime than the
//! one its timer belongs to (the first shut down) takes a timer of the new
//! runtime, for the time that was left.
//!
//! A finished timer stays registered as its thread's spare, having
//! forgotten its call's waker, and the thread's next call resets it: tokio
//! extends a registered timer to a later instant without its driver's
//! lock, where a new timer costs a registration and a removal. At
//! concurrency 1 this took the client's CPU per call from 1.139 to 1.085
//! times a bare hyper-util request's (`token_roles`, 15 interleaved pairs;
//! the benchmark's notes). So a thread keeps one timer past its calls,
//! due at most one timeout after its last call began; with tokio's paused
//! clock, an idle runtime advances to it as to any timer (it wakes no one).

use std::{
    cell::Cell,
    pin::Pin,
    task::{Context, Poll, Waker},
    time::Duration,
};

use tokio::{
    runtime::{Handle, Id},
    task::coop::unconstrained,
    time::{Instant, Sleep, sleep_until},
};

/// What tokio uses for a deadline too far to represent: thirty years.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

thread_local! {
    /// The timer the thread's last finished call left, with its runtime:
    /// the next call resets it rather than registering a timer of its own.
    static SPARE: Cell<Option<(Id, Pin<Box<Sleep>>)>> = const { Cell::new(None) };
}

/// One call's deadline: unset until the call is first pending.
#[derive(Debug)]
pub(super) struct Deadline {
    timeout: Duration,
    timer: Option<Timer>,
}

/// A timer that follows its call: polled outside tokio's cooperative
/// budget, and remade on the runtime polling it when that is another one
/// (the first shut down), for the time that was left, so that a paused
/// clock's instants do not travel to another clock. (tokio may reuse a
/// finished runtime's id; it does not today.)
pub(super) struct Timer {
    at: Instant,
    /// What was left at the last poll, on the timer's own runtime.
    left: Duration,
    /// The runtime its `Sleep` belongs to; both are set at the first poll.
    runtime: Option<Id>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timer")
            .field("at", &self.at)
            .field("runtime", &self.runtime)
            .finish_non_exhaustive()
    }
}

impl Timer {
    /// A timer due `delay` from now (`FAR` when too far to represent); it
    /// belongs to the runtime that first polls it.
    pub(super) fn after(delay: Duration) -> Self {
        let now = Instant::now();
        let at = now.checked_add(delay).unwrap_or(now + FAR);
        Self {
            at,
            left: at.saturating_duration_since(now),
            runtime: None,
            sleep: None,
        }
    }

    /// When it is due, on the clock of the runtime it last ran on.
    pub(super) fn at(&self) -> Instant {
        self.at
    }

    /// Ready once it is due; otherwise `cx` is woken when it is.
    pub(super) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let here = Handle::try_current().ok().map(|handle| handle.id());
        let sleep = match &mut self.sleep {
            Some(sleep) if self.runtime == here => {
                self.left = self.at.saturating_duration_since(Instant::now());
                sleep
            }
            stale => {
                if stale.take().is_some() {
                    let now = Instant::now();
                    self.at = now.checked_add(self.left).unwrap_or(now + FAR);
                }
                self.runtime = here;
                stale.insert(sleep_on(here, self.at))
            }
        };
        poll_sleep(sleep, cx)
    }
}

/// A `Sleep` due `at`: the thread's spare when it belongs to `runtime`,
/// else a new one (outside a runtime, tokio's own panic says what is
/// wrong). Resetting a registered timer to a later instant, as consecutive
/// calls do, costs tokio no lock; registering and removing one costs two.
fn sleep_on(runtime: Option<Id>, at: Instant) -> Pin<Box<Sleep>> {
    let spare = SPARE.try_with(Cell::take).ok().flatten();
    match spare {
        Some((owner, mut sleep)) if Some(owner) == runtime => {
            sleep.as_mut().reset(at);
            sleep
        }
        _ => Box::pin(sleep_until(at)),
    }
}

/// Polls outside tokio's cooperative budget, as tokio's `Timeout` does.
fn poll_sleep(sleep: &mut Pin<Box<Sleep>>, cx: &mut Context<'_>) -> Poll<()> {
    std::future::Future::poll(Pin::new(&mut unconstrained(sleep.as_mut())), cx)
}

impl Drop for Timer {
    /// Leaves the `Sleep` as the thread's spare while its runtime is the
    /// one running, having it forget the call's waker: an unused spare
    /// wakes no one when it fires.
    fn drop(&mut self) {
        let (Some(mut sleep), Some(runtime)) = (self.sleep.take(), self.runtime) else {
            return;
        };
        if Handle::try_current().is_ok_and(|handle| handle.id() == runtime) {
            let mut forget = Context::from_waker(Waker::noop());
            let _ = poll_sleep(&mut sleep, &mut forget);
            let _ = SPARE.try_with(|spare| spare.set(Some((runtime, sleep))));
        }
    }
}

impl std::future::Future for Timer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_due(cx)
    }
}

impl Deadline {
    /// A deadline `timeout` after the call is first pending.
    pub(super) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            timer: None,
        }
    }

    /// How long after its start the call expires.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When the call expires: its deadline once it has started waiting,
    /// else its timeout from now (`None`: too far to represent).
    pub(super) fn expiry(&self) -> Option<Instant> {
        match &self.timer {
            Some(timer) => Some(timer.at()),
            None => Instant::now().checked_add(self.timeout),
        }
    }

    /// Ready once the deadline has passed; otherwise `cx` is woken when it
    /// does.
    pub(super) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let timeout = self.timeout;
        self.timer
            .get_or_insert_with(|| Timer::after(timeout))
            .poll_due(cx)
    }

    /// Stops waiting: the call has its answer, and its timer entry goes now
    /// rather than when the call is dropped.
    pub(super) fn leave(&mut self) {
        self.timer = None;
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn expires_at_its_timeout_after_the_first_poll_and_not_before() {
        let mut deadline = Deadline::new(Duration::from_millis(50));
        tokio::time::advance(Duration::from_secs(1)).await;
        let started = Instant::now();
        assert!(
            poll_fn(|cx| Poll::Ready(deadline.poll_expired(cx)))
                .await
                .is_pending()
        );
        tokio::time::advance(Duration::from_millis(49)).await;
        assert!(
            poll_fn(|cx| Poll::Ready(deadline.poll_expired(cx)))
                .await
                .is_pending()
        );
        poll_fn(|cx| deadline.poll_expired(cx)).await;
        assert_eq!(started.elapsed(), Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_too_far_to_represent_never_expires_soon() {
        let mut deadline = Deadline::new(Duration::MAX);
        assert_eq!(deadline.expiry(), None);
        assert!(
            poll_fn(|cx| Poll::Ready(deadline.poll_expired(cx)))
                .await
                .is_pending()
        );
        let expiry = deadline.expiry().expect("set at the first poll");
        assert!(expiry > Instant::now() + Duration::from_secs(86_400 * 365));
    }
}
