//! Time as the core sees it: a timestamp handed in by the caller, never read from a clock.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch, UTC.
///
/// Every command carries one and every event records one; the core never asks the
/// operating system what time it is, so replaying a log reproduces every decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// One second in milliseconds.
pub const SECOND_MS: i64 = 1_000;
/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

impl Timestamp {
    /// The earliest representable time; used as "never" for idle clocks.
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The latest representable time.
    pub const MAX: Timestamp = Timestamp(i64::MAX);
    /// The latest time a command may carry: the last millisecond of the year 9999, the
    /// last that RFC 3339 (and so an event log, and every report) can write.
    pub const LATEST: Timestamp = Timestamp(253_402_300_799_999);

    /// A timestamp `ms` milliseconds since the epoch.
    pub const fn from_ms(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// A timestamp `s` whole seconds since the epoch.
    pub const fn from_secs(s: i64) -> Timestamp {
        Timestamp(s * SECOND_MS)
    }

    /// Milliseconds since the epoch.
    pub const fn ms(self) -> i64 {
        self.0
    }

    /// This time plus `ms` milliseconds, saturating at the ends of the range.
    pub const fn plus_ms(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The same instant as a chrono UTC date-time, for calendar arithmetic and display.
    pub fn to_datetime(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(self.0)
    }

    /// Parses RFC 3339 (`2026-11-23T09:00:00Z`) or whole milliseconds since the epoch.
    pub fn parse(s: &str) -> Result<Timestamp, TimeParseError> {
        let s = s.trim();
        if let Ok(ms) = s.parse::<i64>() {
            return Ok(Timestamp(ms));
        }
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|dt| Timestamp(dt.timestamp_millis()))
            .map_err(|e| TimeParseError { input: s.to_owned(), reason: e.to_string() })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
            // Beyond the calendar chrono can write (some 262,000 years either way).
            None => write!(f, "{} ms since the epoch", self.0),
        }
    }
}

/// A time string that is neither RFC 3339 nor an integer number of milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid time {input:?}: {reason} (expected RFC 3339 such as 2026-11-23T09:00:00Z, or milliseconds since the epoch)"
)]
pub struct TimeParseError {
    /// The text that did not parse.
    pub input: String,
    /// What the parser said.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_millis() {
        assert_eq!(Timestamp::parse("1000").unwrap(), Timestamp(1000));
        assert_eq!(Timestamp::parse("1970-01-01T00:00:01Z").unwrap(), Timestamp(1000));
        assert_eq!(Timestamp::parse("1970-01-01T01:00:01+01:00").unwrap(), Timestamp(1000));
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.to_string().contains("yesterday"));
    }

    #[test]
    fn display_is_rfc3339_utc() {
        assert_eq!(Timestamp(1_500).to_string(), "1970-01-01T00:00:01.500Z");
        assert_eq!(Timestamp::LATEST.to_string(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::MAX.to_string(), "9223372036854775807 ms since the epoch");
    }
}
