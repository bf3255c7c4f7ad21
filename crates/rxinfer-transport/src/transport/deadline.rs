//! A call's deadline on tokio's timer, set when the call is first polled so
//! that building a call needs no runtime.
//!
//! An earlier version let calls that started together share one timer. The
//! `token_roles` bench showed no gain above its noise (the figures are in
//! the benchmark's notes), so the plain timer stays.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::{Instant, Sleep, sleep_until};

/// What tokio uses for a deadline too far to represent: thirty years.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// One call's deadline: unset until the call is first pending.
#[derive(Debug)]
pub(super) struct Deadline {
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Deadline {
    /// A deadline `timeout` after the call is first pending.
    pub(super) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            sleep: None,
        }
    }

    /// How long after its start the call expires.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When the call expires: its deadline once it has started waiting,
    /// else its timeout from now (`None`: too far to represent).
    pub(super) fn expiry(&self) -> Option<Instant> {
        match &self.sleep {
            Some(sleep) => Some(sleep.deadline()),
            None => Instant::now().checked_add(self.timeout),
        }
    }

    /// Ready once the deadline has passed; otherwise `cx` is woken when it
    /// does.
    pub(super) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let timeout = self.timeout;
        self.sleep
            .get_or_insert_with(|| {
                let now = Instant::now();
                Box::pin(sleep_until(now.checked_add(timeout).unwrap_or(now + FAR)))
            })
            .as_mut()
            .poll(cx)
    }

    /// Stops waiting: the call has its answer, and its timer entry goes now
    /// rather than when the call is dropped.
    pub(super) fn leave(&mut self) {
        self.sleep = None;
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
