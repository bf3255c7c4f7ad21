//! Timestamps as the server writes them, kept as written.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A point in time as the server writes it, kept exactly as sent, so no
/// precision or form is lost in a round trip: `created_at` carries an
/// offset (`2025-10-31T10:15:02.123+00:00`), event timestamps do not
/// (`2024-03-20T12:00:00`). Nothing about the text is assumed when
/// decoding, so an unusual form never fails a response.
///
/// With the `time` feature it converts to and from the `time` crate's
/// types.
///
/// ```
/// use rxinfer_models::Timestamp;
///
/// let created = Timestamp::new("2025-10-31T10:15:02.123+00:00");
/// let event = Timestamp::new("2024-03-20T12:00:00");
/// assert!(created.has_offset());
/// assert!(!event.has_offset());
/// assert_eq!(serde_json::to_string(&event)?, r#""2024-03-20T12:00:00""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    /// A timestamp written as `text`, such as `2024-03-20T12:00:00Z`.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, unwrapped.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether the text ends in an offset (`Z`, `+02:00`, `-0500`): whether
    /// it names an instant rather than a wall-clock time.
    pub fn has_offset(&self) -> bool {
        // The time of day starts after the ten characters of the date.
        let Some(time) = self.0.get(11..) else {
            return false;
        };
        time.ends_with(['Z', 'z']) || time.contains(['+', '-'])
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Timestamp {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Timestamp {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

#[cfg(feature = "time")]
mod with_time {
    use time::{
        Date, OffsetDateTime, PrimitiveDateTime, Time,
        format_description::well_known::{Iso8601, Rfc3339},
    };

    use super::Timestamp;

    impl Timestamp {
        /// Now, in UTC, with the offset written (`...Z`).
        pub fn now_utc() -> Self {
            Self::from(OffsetDateTime::now_utc())
        }

        /// The instant, for a timestamp with an offset.
        ///
        /// # Errors
        ///
        /// When the text is not an ISO 8601 date-time with an offset.
        pub fn to_offset_date_time(&self) -> Result<OffsetDateTime, time::error::Parse> {
            OffsetDateTime::parse(&self.iso(), &Iso8601::DEFAULT)
        }

        /// The wall-clock date and time, ignoring any offset, as the server
        /// stores event timestamps.
        ///
        /// # Errors
        ///
        /// When the text is not an ISO 8601 date-time.
        pub fn to_primitive_date_time(&self) -> Result<PrimitiveDateTime, time::error::Parse> {
            match self.to_offset_date_time() {
                Ok(instant) => Ok(PrimitiveDateTime::new(instant.date(), instant.time())),
                Err(_) => PrimitiveDateTime::parse(&self.iso(), &Iso8601::DEFAULT),
            }
        }

        /// The wall-clock time RxInferServer stores this timestamp as on an
        /// event: the offset dropped, the fraction cut to milliseconds, a
        /// date alone at midnight. `None` when the server cannot read it.
        /// Two timestamps name the same stored event time exactly when
        /// these are equal.
        ///
        /// ```
        /// use rxinfer_models::Timestamp;
        ///
        /// let sent = Timestamp::new("2024-03-20T12:00:00.1239+02:00");
        /// let stored = Timestamp::new("2024-03-20T12:00:00.123");
        /// assert_eq!(sent.as_event_time(), stored.as_event_time());
        /// assert_eq!(
        ///     Timestamp::new("2024-03-20").as_event_time(),
        ///     Timestamp::new("2024-03-20T00:00:00").as_event_time()
        /// );
        /// assert_eq!(Timestamp::new("yesterday").as_event_time(), None);
        /// ```
        pub fn as_event_time(&self) -> Option<PrimitiveDateTime> {
            let wall = self.to_primitive_date_time().ok().or_else(|| {
                Date::parse(self.as_str(), &Iso8601::DEFAULT)
                    .ok()
                    .map(|date| PrimitiveDateTime::new(date, Time::MIDNIGHT))
            })?;
            let time = wall.time();
            let millis = Time::from_hms_milli(
                time.hour(),
                time.minute(),
                time.second(),
                time.millisecond(),
            )
            .ok()?;
            Some(PrimitiveDateTime::new(wall.date(), millis))
        }

        /// The text with a `T` between date and time, as ISO 8601 wants it
        /// (the server also writes and reads a space there).
        fn iso(&self) -> String {
            let mut text = self.0.clone();
            if text.as_bytes().get(10) == Some(&b' ') {
                text.replace_range(10..11, "T");
            }
            text
        }
    }

    impl From<OffsetDateTime> for Timestamp {
        /// RFC 3339, keeping the fraction of a second.
        fn from(instant: OffsetDateTime) -> Self {
            Self(
                instant
                    .format(&Rfc3339)
                    .unwrap_or_else(|_| instant.to_string()),
            )
        }
    }

    impl From<PrimitiveDateTime> for Timestamp {
        /// ISO 8601 without an offset, as the server writes event times.
        fn from(wall_clock: PrimitiveDateTime) -> Self {
            let (date, time) = (wall_clock.date(), wall_clock.time());
            let mut text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                date.year(),
                u8::from(date.month()),
                date.day(),
                time.hour(),
                time.minute(),
                time.second()
            );
            if time.millisecond() != 0 {
                text.push_str(&format!(".{:03}", time.millisecond()));
            }
            Self(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_round_trip_unchanged() -> Result<(), serde_json::Error> {
        for text in [
            "2025-10-31T10:15:02.123+00:00",
            "2024-03-20T12:00:00",
            "2024-03-20T12:00:00.123456789Z",
            "2024-03-20 12:00:00",
            "2024-03-20",
            "not a date at all",
        ] {
            let json = serde_json::to_string(text)?;
            let decoded: Timestamp = serde_json::from_str(&json)?;
            assert_eq!(decoded.as_str(), text);
            assert_eq!(serde_json::to_string(&decoded)?, json);
        }
        Ok(())
    }

    #[test]
    fn offsets_are_recognised() {
        for (text, offset) in [
            ("2025-10-31T10:15:02.123+00:00", true),
            ("2025-10-31T10:15:02Z", true),
            ("2025-10-31T10:15:02-0500", true),
            ("2024-03-20T12:00:00", false),
            ("2024-03-20", false),
            ("", false),
            ("é", false),
        ] {
            assert_eq!(Timestamp::new(text).has_offset(), offset, "{text}");
        }
    }

    #[cfg(feature = "time")]
    #[test]
    fn converts_to_and_from_time() -> Result<(), Box<dyn std::error::Error>> {
        let created = Timestamp::new("2025-10-31T10:15:02.123+02:00");
        let instant = created.to_offset_date_time()?;
        assert_eq!(instant.millisecond(), 123);
        assert_eq!(instant.offset().whole_hours(), 2);
        let event = Timestamp::new("2024-03-20 12:00:00");
        let wall = event.to_primitive_date_time()?;
        assert_eq!(wall.hour(), 12);
        assert!(event.to_offset_date_time().is_err());
        assert_eq!(Timestamp::from(wall).as_str(), "2024-03-20T12:00:00");
        // The wall-clock fields of an instant, its offset dropped.
        assert_eq!(
            Timestamp::from(created.to_primitive_date_time()?).as_str(),
            "2025-10-31T10:15:02.123"
        );
        assert!(Timestamp::now_utc().has_offset());
        Ok(())
    }
}
