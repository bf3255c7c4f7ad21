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
//! An earlier version let calls that started together share one timer. The
//! `token_roles` bench showed no gain above its noise (the figures are in
//! the benchmark's notes), so the plain timer stays.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    runtime::{Handle, Id},
    task::coop::{Unconstrained, unconstrained},
    time::{Instant, Sleep, sleep_until},
};

/// What tokio uses for a deadline too far to represent: thirty years.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

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
    runtime: Option<Id>,
    sleep: Pin<Box<Unconstrained<Sleep>>>,
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
            sleep: Box::pin(unconstrained(sleep_until(at))),
        }
    }

    /// When it is due, on the clock of the runtime it last ran on.
    pub(super) fn at(&self) -> Instant {
        self.at
    }

    /// Ready once it is due; otherwise `cx` is woken when it is.
    pub(super) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let here = Handle::try_current().ok().map(|handle| handle.id());
        match self.runtime {
            Some(runtime) if here.is_some_and(|here| here != runtime) => {
                *self = Self::after(self.left);
                self.runtime = here;
            }
            _ => {
                self.runtime = self.runtime.or(here);
                self.left = self.at.saturating_duration_since(Instant::now());
            }
        }
        self.sleep.as_mut().poll(cx)
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
