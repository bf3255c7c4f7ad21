//! The line of calls on one instance: each call takes its place when it is
//! made and holds its turn until the server is done with it.
//!
//! A [`Line`] is a chain of turns: joining swaps the line's tail for a new
//! turn and returns the one before it, which the call waits on. A turn is
//! passed on when its holder drops it. [`Lines`] maps instance ids to their
//! lines without keeping idle ones: it holds them weakly, so a line lives
//! only while a handle or a call holds it.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, Weak,
        atomic::{AtomicI64, Ordering},
    },
};

use rxinfer_models::Timestamp;
use time::{OffsetDateTime, PrimitiveDateTime};
use tokio::sync::oneshot;

/// Held by the call whose turn it is; dropping it passes the turn on.
pub(crate) type Turn = oneshot::Sender<()>;

/// What a call waits on: the turn of the call before it.
pub(crate) type Wait = Option<oneshot::Receiver<()>>;

/// The last event timestamp handed out in this process, in milliseconds
/// since the Unix epoch. One for the process, not one per line: a line
/// goes away when idle, and its successor must not repeat a stamp.
static LAST_STAMP: AtomicI64 = AtomicI64::new(i64::MIN);

/// A timestamp for an event: now, in UTC and to the millisecond (the
/// precision the server keeps), and strictly later than every one handed
/// out before in this process, so that no two are equal. Other processes
/// keep their own.
pub(crate) fn stamp() -> Timestamp {
    let now = OffsetDateTime::now_utc();
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let next = |last: i64| now_ms.max(last.saturating_add(1));
    let previous = LAST_STAMP
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(next(last))
        })
        .unwrap_or(i64::MIN);
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(next(previous)) * 1_000_000)
        .unwrap_or(now);
    Timestamp::from(PrimitiveDateTime::new(at.date(), at.time()))
}

/// One instance's line.
#[derive(Debug, Default)]
pub(crate) struct Line {
    tail: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Line {
    /// Takes the last place in the line, now: the turn this call will
    /// hold, and what it waits on first.
    pub(crate) fn join(&self) -> (Turn, Wait) {
        let (turn, next) = oneshot::channel();
        let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        let before = tail.replace(next);
        (turn, before)
    }
}

/// The lines of every instance of one API and its clones, by id.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    by_id: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    lines: HashMap<Arc<str>, Weak<Line>>,
    /// The size after which dead entries are swept: twice the live ones at
    /// the last sweep, so sweeping costs O(1) per insertion over time.
    sweep_at: usize,
}

impl Lines {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.by_id.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The line of `id`: the one in use, or a new one.
    pub(crate) fn line(&self, id: &Arc<str>) -> Arc<Line> {
        let mut registry = self.registry();
        if let Some(line) = registry.lines.get(id).and_then(Weak::upgrade) {
            return line;
        }
        let line = Arc::new(Line::default());
        registry.lines.insert(Arc::clone(id), Arc::downgrade(&line));
        if registry.lines.len() > registry.sweep_at {
            registry.lines.retain(|_, line| line.strong_count() > 0);
            registry.sweep_at = (registry.lines.len() * 2).max(64);
        }
        line
    }

    /// How many ids have an entry, live or not yet swept.
    #[cfg(test)]
    fn entries(&self) -> usize {
        self.registry().lines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_pass_in_the_order_places_were_taken() {
        let line = Line::default();
        let (first, none) = line.join();
        assert!(none.is_none(), "the first call waits on nobody");
        let (second, after_first) = line.join();
        let (_third, after_second) = line.join();
        let mut after_first = after_first.expect("waits");
        let mut after_second = after_second.expect("waits");
        assert!(after_first.try_recv().is_err() && after_second.try_recv().is_err());
        drop(first);
        assert!(after_first.await.is_err(), "passed on by the drop");
        assert!(matches!(
            after_second.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        ));
        drop(second);
        assert!(after_second.await.is_err());
    }

    #[test]
    fn stamps_are_strictly_increasing_at_millisecond_precision() {
        let stamps: Vec<_> = (0..1000)
            .map(|_| stamp().to_primitive_date_time().expect("a date-time"))
            .collect();
        for pair in stamps.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
            assert_eq!(pair[1].nanosecond() % 1_000_000, 0, "milliseconds only");
        }
    }

    #[test]
    fn one_line_per_id_while_used_and_idle_lines_go_away() {
        let lines = Lines::default();
        let id: Arc<str> = "a".into();
        let held = lines.line(&id);
        assert!(Arc::ptr_eq(&held, &lines.line(&id)), "one line per id");
        drop(held);
        for n in 0..10_000 {
            let _ = lines.line(&Arc::from(n.to_string()));
        }
        assert!(lines.entries() <= 128, "{} entries kept", lines.entries());
    }
}
