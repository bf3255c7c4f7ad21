//! Timestamps written as the real server writes them: `created_at` with an
//! offset, event times without one, milliseconds only when not zero.

use rxinfer_models::Timestamp;
use time::{OffsetDateTime, PrimitiveDateTime, Time};

/// Now, as `created_at` is written: `2025-10-31T10:15:02.123+00:00`.
pub(crate) fn now() -> Timestamp {
    let now = OffsetDateTime::now_utc();
    let wall = Timestamp::from(truncate(PrimitiveDateTime::new(now.date(), now.time())));
    Timestamp::new(format!("{wall}+00:00"))
}

/// An event's time: the one given with its offset dropped and its fraction
/// cut to milliseconds, or now. `None` when the given text is not a date
/// the server reads, which the server fails on.
pub(crate) fn event_time(given: Option<&Timestamp>) -> Option<Timestamp> {
    let Some(given) = given else {
        let now = OffsetDateTime::now_utc();
        return Some(Timestamp::from(truncate(PrimitiveDateTime::new(
            now.date(),
            now.time(),
        ))));
    };
    given.as_event_time().map(Timestamp::from)
}

fn truncate(wall: PrimitiveDateTime) -> PrimitiveDateTime {
    let time = wall.time();
    let time = Time::from_hms_milli(
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond(),
    )
    .unwrap_or(time);
    PrimitiveDateTime::new(wall.date(), time)
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
}
