//! Timestamps written as the real server writes them: `created_at` with an
//! offset, event times without one, milliseconds only when not zero.
//!
//! The real server stamps with `Dates.now()`, the wall clock to the
//! millisecond, and each of its requests takes longer than a millisecond
//! (MongoDB round trips, RxInfer): so an instance's default episode is
//! never stamped before the instance, and requests sent one after another
//! get increasing stamps (its own tests check both: `created_at >= mcat`,
//! `allunique(e["timestamp"] ...)`). The stand-in answers in microseconds,
//! so it keeps both properties on purpose: stamps never go backwards (one
//! clock per process, clamped), and an answer that carries a stamp is not
//! sent before the wall clock has passed that stamp's millisecond
//! ([`after_its_stamps`]). Stamps taken within one request may still be
//! equal, as on the real server (events attached together).

use std::{
    cell::Cell,
    future::Future,
    sync::atomic::{AtomicI64, Ordering},
    time::Duration,
};

use rxinfer_models::Timestamp;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The latest stamp handed out in this process, in milliseconds since the
/// Unix epoch.
static LATEST: AtomicI64 = AtomicI64::new(i64::MIN);

tokio::task_local! {
    /// The latest stamp the request at hand has taken.
    static TAKEN: Cell<Option<i64>>;
}

/// The longest an answer waits for the wall clock to pass its stamps: the
/// millisecond itself, with room for a clock stepped back a little. A
/// clock stepped back further only costs the strict order, never an answer.
const MAX_SETTLE: Duration = Duration::from_millis(5);

/// Now, as `created_at` is written: `2025-10-31T10:15:02.123+00:00`.
pub(crate) fn now() -> Timestamp {
    let wall = Timestamp::from(stamp());
    Timestamp::new(format!("{wall}+00:00"))
}

/// An event's time: the one given with its offset dropped and its fraction
/// cut to milliseconds, or now. `None` when the given text is not a date
/// the server reads, which the server fails on.
pub(crate) fn event_time(given: Option<&Timestamp>) -> Option<Timestamp> {
    match given {
        Some(given) => given.as_event_time().map(Timestamp::from),
        None => Some(Timestamp::from(stamp())),
    }
}

/// Runs `answer` (one request's handling), then waits until the wall clock
/// has left the millisecond of every stamp it took, so that the next
/// request, or the client's own clock, sees a later time.
pub(crate) async fn after_its_stamps<F: Future>(answer: F) -> F::Output {
    TAKEN
        .scope(Cell::new(None), async {
            let output = answer.await;
            if let Some(taken) = TAKEN.with(Cell::get) {
                settle(taken).await;
            }
            output
        })
        .await
}

/// Sleeps until the wall clock is past millisecond `taken`, at most
/// [`MAX_SETTLE`].
async fn settle(taken: i64) {
    let ahead = taken + 1 - wall_millis();
    if ahead > 0 {
        let wait = Duration::from_millis(ahead.unsigned_abs()).min(MAX_SETTLE);
        tokio::time::sleep(wait).await;
    }
}

/// The wall clock in UTC, in whole milliseconds since the epoch.
fn wall_millis() -> i64 {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos.div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// A new stamp: the wall clock to the millisecond, never before an earlier
/// stamp of this process.
fn stamp() -> PrimitiveDateTime {
    let millis = source::next();
    // Outside a request (unit tests calling the store directly) nothing
    // waits for the stamp.
    let _ = TAKEN.try_with(|taken| taken.set(Some(taken.get().map_or(millis, |t| t.max(millis)))));
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    PrimitiveDateTime::new(at.date(), at.time())
}

/// The wall clock, clamped so that it never goes back.
fn clamped_wall() -> i64 {
    let wall = wall_millis();
    wall.max(LATEST.fetch_max(wall, Ordering::SeqCst))
}

/// Where stamps come from: the clamped wall clock, or in this crate's unit
/// tests, on a thread that asks for it, a clock that ticks one millisecond
/// per stamp, so that every race between two stamps happens.
#[cfg(not(test))]
mod source {
    pub(super) fn next() -> i64 {
        super::clamped_wall()
    }
}

#[cfg(test)]
pub(crate) mod source {
    use std::cell::Cell;

    thread_local! {
        /// The last stamp of a ticking thread.
        static TICKING: Cell<Option<i64>> = const { Cell::new(None) };
    }

    pub(super) fn next() -> i64 {
        match TICKING.with(Cell::get) {
            Some(last) => {
                let next = (last + 1).max(super::wall_millis());
                TICKING.with(|ticking| ticking.set(Some(next)));
                next
            }
            None => super::clamped_wall(),
        }
    }

    /// Makes this thread's stamps one millisecond apart, each one taken
    /// after the other, apart from the rest of the process.
    pub(crate) fn tick_on_every_stamp() {
        TICKING.with(|ticking| ticking.set(Some(super::wall_millis())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_keep_the_wall_clock_and_lose_the_offset() {
        for (given, stored) in [
            ("2024-03-20T12:00:00Z", "2024-03-20T12:00:00"),
            ("2024-03-20T12:00:00+02:00", "2024-03-20T12:00:00"),
            ("2024-03-20 12:00:00", "2024-03-20T12:00:00"),
            ("2024-03-20T12:00:00.123456", "2024-03-20T12:00:00.123"),
            ("2024-03-20", "2024-03-20T00:00:00"),
        ] {
            let stored_as = event_time(Some(&Timestamp::new(given)));
            assert_eq!(
                stored_as.as_ref().map(Timestamp::as_str),
                Some(stored),
                "{given}"
            );
        }
        assert_eq!(event_time(Some(&Timestamp::new("yesterday"))), None);
        assert!(!event_time(None).is_some_and(|t| t.has_offset()));
    }

    #[test]
    fn created_at_carries_an_offset() {
        let created = now();
        assert!(created.as_str().ends_with("+00:00"), "{created}");
        assert!(created.to_offset_date_time().is_ok());
    }

    #[test]
    fn stamps_never_go_backwards() {
        let stamps: Vec<PrimitiveDateTime> = (0..1000).map(|_| stamp()).collect();
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    }

    /// Two requests one after the other: the second one's stamp is later,
    /// since the first answer waited for its millisecond to pass.
    #[tokio::test]
    async fn an_answer_leaves_after_the_millisecond_of_its_stamp() {
        let first = after_its_stamps(async { stamp() }).await;
        let second = after_its_stamps(async { stamp() }).await;
        assert!(first < second, "{first} then {second}");
    }
}
