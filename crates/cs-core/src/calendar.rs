//! Business-hours calendars: when a contact centre's SLA clocks count.
//!
//! An SLA target such as "reply to e-mail within 2 h" is usually measured in business
//! time: the hours the contact centre is open. A [`Calendar`] says which instants are
//! open, and answers the questions the SLA clocks ask of it, exactly to the millisecond
//! and without allocating:
//!
//! - [`Calendar::is_open`]: is this instant open?
//! - [`Calendar::add_business_ms`]: when have `ms` milliseconds of open time elapsed?
//! - [`Calendar::business_ms_between`]: how much open time lies between two instants?
//! - [`Calendar::next_open`]: when does counting (re)start?
//!
//! A calendar is configured as a [`CalendarSpec`] (for example in TOML) and validated once
//! by [`Calendar::compile`], which refuses a bad spec with a [`CalendarError`] that names
//! the calendar, the field and the value:
//!
//! ```toml
//! [[calendars]]
//! name = "office"
//! time_zone = "Europe/Berlin"               # IANA zone; or utc_offset = "+01:00"
//! holidays = [
//!     "2026-12-25",                         # closed all day
//!     { date = "2026-12-24", hours = ["09:00-13:00"] },   # special hours that day
//! ]
//! [calendars.hours]                         # local opening periods per weekday
//! mon = ["08:00-12:00", "13:00-17:00"]
//! tue = ["08:00-17:00"]
//! sat = ["10:00-14:00"]
//!
//! [[calendars]]
//! name = "always"
//! always_open = true                        # 24/7: no hours, no holidays
//! ```
//!
//! # Semantics
//!
//! - **Local time** is either UTC plus a fixed offset (`utc_offset = "+01:00"`: local 09:00
//!   is 08:00 UTC all year), or the wall clock of an IANA time zone (`time_zone =
//!   "Europe/Berlin"`, from the `chrono-tz` database), whose offset changes with
//!   daylight-saving time exactly as the region's clocks do.
//! - **Periods are half-open** `[start, end)` in local wall-clock time: `"09:00-17:00"` is
//!   open at 09:00:00.000 and closed at 17:00:00.000. `"24:00"` is allowed as an end and
//!   means the next local midnight, so `"00:00-24:00"` is a whole day. A weekday missing
//!   from `hours` (or given an empty list) is closed. Periods on one day may be listed in
//!   any order; periods that touch (`"08:00-12:00"`, `"12:00-13:00"`) are merged, and
//!   overlapping ones are refused. Open time runs on across midnight when one day's period
//!   ends at `24:00` and the next day's starts at `00:00`.
//! - **Each period boundary is one instant**: the first instant at which the wall clock
//!   shows that time or later. So a boundary in the hour the spring change skips (02:30
//!   in Berlin on the last Sunday of March) is the change itself (03:00 CEST), and one in
//!   the hour the autumn change repeats is its first occurrence (02:30 CEST, not CET). A
//!   period is open from its start instant to its end instant: `"00:00-24:00"` counts 23
//!   hours on the spring-change day and 25 on the autumn one, `"01:00-04:00"` 2 and 4
//!   hours, a period wholly inside the skipped hour nothing; `"09:00-17:00"` is 8 hours
//!   every day of the year.
//! - **Holidays** are local dates: a date alone is closed all day (from its local midnight
//!   to the next); a date with `hours` has those periods that day instead of the weekday's
//!   (partial holidays, special hours; `hours = []` is closed).
//! - **`always_open`** calendars are open at every instant; [`Calendar::always_open`]
//!   builds one without a spec.
//! - A calendar with no weekly open time at all is refused at compile time, because
//!   deadlines measured on it would never arrive.
//! - Time-zone rules come from the IANA database as `chrono-tz` ships it, with every
//!   change from 1900 on; before 1900 the zone's 1900 offset applies, and after the last
//!   change it knows of (2100 for zones with daylight-saving time) the last offset does.
//!
//! # Edge conventions
//!
//! [`Calendar::add_business_ms`]`(start, ms)` is defined as the **earliest instant `t >=
//! start` with `business_ms_between(start, t) >= ms`**. Consequences:
//!
//! - `add_business_ms(start, 0) == start`, even when `start` is closed: a zero target is
//!   due at once. Negative `ms` is treated as zero.
//! - For `ms > 0` the result is the instant at which the `ms`-th millisecond of open time
//!   ends; counting starts at `start` if it is open, else at the next opening. So the
//!   result is always open time or exactly the end of a period: a deadline that uses up
//!   the last open millisecond of the day is due at 17:00 that day, not at 09:00 the next
//!   morning, while one millisecond more is due at 09:00:00.001 the next open day.
//! - Because of this definition the following identities hold for every `start`, every
//!   `a, b >= 0` and every `x <= y <= z` (up to saturation at [`Timestamp::MAX`]):
//!   - `business_ms_between(start, add_business_ms(start, a)) == a`;
//!   - `add_business_ms(add_business_ms(start, a), b) == add_business_ms(start, a + b)`
//!     (splitting a target, for example around a pause, never moves its deadline);
//!   - `add_business_ms(x, a) <= add_business_ms(y, a)` and
//!     `add_business_ms(start, a) <= add_business_ms(start, a + b)` (monotone);
//!   - `business_ms_between(x, z) == business_ms_between(x, y) + business_ms_between(y, z)`
//!     for `x <= y <= z`;
//!   - on an always-open calendar `add_business_ms(start, a) == start + a`.
//! - [`Calendar::next_open`]`(t)` is `t` when `t` is open, else the start of the next open
//!   period; `business_ms_between(t, next_open(t)) == 0`.
//!
//! # Cost
//!
//! The timeline is cut into local days. A day whose open time differs from its weekday's
//! (a holiday, special hours, a daylight-saving change) is a *special day*, kept sorted
//! with a prefix sum of how much each changes the open time, so the open time of any run
//! of days is the weekly arithmetic plus a difference of two prefix sums. A deadline
//! consumes what is left of its first day, jumps by binary search over the special days
//! wholly before it, skips whole weeks, and walks at most a couple of weeks of days: a
//! query costs O(periods in a week + log special days), independent of the length of the
//! target and of how many holidays it crosses. Results that would lie beyond the range of
//! [`Timestamp`] saturate at [`Timestamp::MAX`] (or [`i64::MAX`] milliseconds).

use std::collections::BTreeMap;

use chrono::{NaiveDate, Offset, TimeZone};
use serde::{Deserialize, Serialize};

use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp};

/// Day keys of [`CalendarSpec::hours`], Monday first; the index is the weekday number.
const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Days in a week.
const WEEK_DAYS: i64 = 7;

/// The largest accepted distance from UTC, as in ISO 8601 practice (real zones stay
/// within -12:00..+14:00; anything beyond 18 h is surely a typo).
const UTC_OFFSET_MS_MAX: i64 = 18 * HOUR_MS;

/// The name of the calendar [`Calendar::always_open`] builds.
const ALWAYS_OPEN_NAME: &str = "always";

/// A business-hours calendar as written in configuration (TOML or JSON).
///
/// Validate it into a [`Calendar`] with [`Calendar::compile`]. See the
/// [module documentation](self) for the meaning of each field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// The name SLA policies use to refer to this calendar; must not be blank.
    pub name: String,
    /// Fixed offset of local time from UTC: `"Z"`, `"+HH:MM"` or `"-HH:MM"`, at most
    /// 18:00 either way. Defaults to `"Z"`. Not together with `time_zone`.
    #[serde(default = "utc_offset_default")]
    pub utc_offset: String,
    /// An IANA time zone (`"Europe/Berlin"`): local time is that region's wall clock,
    /// daylight-saving changes included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Open at every instant. Then `hours` and `holidays` must be empty.
    #[serde(default, skip_serializing_if = "is_false")]
    pub always_open: bool,
    /// Local dates closed all day (`"YYYY-MM-DD"`) or with special hours (`{ date =
    /// "2026-12-24", hours = ["09:00-13:00"] }`); no date twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<HolidaySpec>,
    /// Weekday (`mon` .. `sun`) to a list of local opening periods `"HH:MM-HH:MM"`. A
    /// missing day is closed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hours: BTreeMap<String, Vec<String>>,
}

/// A holiday: a local date closed all day, or with special hours instead of its weekday's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HolidaySpec {
    /// `"YYYY-MM-DD"`: closed all day.
    Closed(String),
    /// `{ date, hours }`: open only during `hours` that day (none: closed).
    Hours(SpecialHoursSpec),
}

/// A date with special opening hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialHoursSpec {
    /// The local date, `"YYYY-MM-DD"`.
    pub date: String,
    /// Its opening periods, `"HH:MM-HH:MM"`, as in `hours`.
    pub hours: Vec<String>,
}

impl HolidaySpec {
    /// The date as written.
    pub fn date(&self) -> &str {
        match self {
            HolidaySpec::Closed(date) => date,
            HolidaySpec::Hours(h) => &h.date,
        }
    }
}

impl From<&str> for HolidaySpec {
    fn from(date: &str) -> HolidaySpec {
        HolidaySpec::Closed(date.to_owned())
    }
}

impl Default for CalendarSpec {
    /// A spec with an empty name, offset `"Z"`, no hours and no holidays (which does not
    /// compile until it gets a name and some hours).
    fn default() -> CalendarSpec {
        CalendarSpec {
            name: String::new(),
            utc_offset: utc_offset_default(),
            time_zone: None,
            always_open: false,
            holidays: Vec::new(),
            hours: BTreeMap::new(),
        }
    }
}

fn utc_offset_default() -> String {
    "Z".to_owned()
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Why a [`CalendarSpec`] was refused. Every variant names the calendar, and the field
/// and value at fault, so the message alone is enough to fix the config.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The name is empty or only white space.
    #[error("calendar {calendar:?}: name must not be empty")]
    EmptyName {
        /// The calendar's name as given.
        calendar: String,
    },
    /// `utc_offset` is not `"Z"`, `"+HH:MM"` or `"-HH:MM"` within 18:00 of UTC.
    #[error(
        "calendar {calendar:?}: utc_offset = {value:?}: expected \"Z\", \"+HH:MM\" or \"-HH:MM\" no further than 18:00 from UTC"
    )]
    BadUtcOffset {
        /// The calendar's name.
        calendar: String,
        /// The offset as given.
        value: String,
    },
    /// `always_open = true` together with opening hours.
    #[error(
        "calendar {calendar:?}: always_open = true cannot be combined with hours (a 24/7 calendar has no opening hours)"
    )]
    AlwaysOpenWithHours {
        /// The calendar's name.
        calendar: String,
    },
    /// `always_open = true` together with holidays.
    #[error(
        "calendar {calendar:?}: always_open = true cannot be combined with holidays (a 24/7 calendar has no holidays)"
    )]
    AlwaysOpenWithHolidays {
        /// The calendar's name.
        calendar: String,
    },
    /// A key of `hours` is not one of `mon` .. `sun`.
    #[error("calendar {calendar:?}: hours: unknown day {day:?} (expected mon, tue, wed, thu, fri, sat or sun)")]
    UnknownDay {
        /// The calendar's name.
        calendar: String,
        /// The key as given.
        day: String,
    },
    /// A period is not `"HH:MM-HH:MM"` with times from 00:00 to 24:00.
    #[error(
        "calendar {calendar:?}: hours.{day}[{index}] = {value:?}: expected \"HH:MM-HH:MM\" in local time, from 00:00 up to 24:00 (24:00 only as an end)"
    )]
    BadPeriod {
        /// The calendar's name.
        calendar: String,
        /// The weekday key (`mon` .. `sun`).
        day: String,
        /// The position of the period in that day's list, from 0.
        index: usize,
        /// The period as given.
        value: String,
    },
    /// A period ends before it starts (periods never wrap past midnight; split them
    /// into `"22:00-24:00"` on one day and `"00:00-06:00"` on the next).
    #[error("calendar {calendar:?}: hours.{day}[{index}] = {value:?}: period ends before it starts")]
    PeriodEndsBeforeStart {
        /// The calendar's name.
        calendar: String,
        /// The weekday key (`mon` .. `sun`).
        day: String,
        /// The position of the period in that day's list, from 0.
        index: usize,
        /// The period as given.
        value: String,
    },
    /// A period ends where it starts, so it would never be open.
    #[error("calendar {calendar:?}: hours.{day}[{index}] = {value:?}: period is empty (it ends where it starts)")]
    EmptyPeriod {
        /// The calendar's name.
        calendar: String,
        /// The weekday key (`mon` .. `sun`).
        day: String,
        /// The position of the period in that day's list, from 0.
        index: usize,
        /// The period as given.
        value: String,
    },
    /// Two periods of one day overlap (periods that merely touch are merged instead).
    #[error("calendar {calendar:?}: hours.{day}: periods {first} and {second} overlap")]
    OverlappingPeriods {
        /// The calendar's name.
        calendar: String,
        /// The weekday key (`mon` .. `sun`).
        day: String,
        /// The earlier-starting period, as `HH:MM-HH:MM`.
        first: String,
        /// The later-starting period, as `HH:MM-HH:MM`.
        second: String,
    },
    /// A holiday's date is not a valid local date `"YYYY-MM-DD"`.
    #[error("calendar {calendar:?}: holidays[{index}] = {value:?}: expected a local date \"YYYY-MM-DD\"")]
    BadHoliday {
        /// The calendar's name.
        calendar: String,
        /// The position of the holiday in the list, from 0.
        index: usize,
        /// The holiday as given.
        value: String,
    },
    /// The same date is listed twice among the holidays.
    #[error("calendar {calendar:?}: holidays[{index}] = {value:?}: duplicate of holidays[{first_index}]")]
    DuplicateHoliday {
        /// The calendar's name.
        calendar: String,
        /// The position of the repeated date, from 0.
        index: usize,
        /// The holiday as given.
        value: String,
        /// The position of the date's first listing, from 0.
        first_index: usize,
    },
    /// `time_zone` is not an IANA time zone name.
    #[error(
        "calendar {calendar:?}: time_zone = {value:?}: not an IANA time zone name (such as \"Europe/Berlin\" or \"America/New_York\")"
    )]
    BadTimeZone {
        /// The calendar's name.
        calendar: String,
        /// The zone as given.
        value: String,
    },
    /// Both `time_zone` and a `utc_offset` other than `"Z"`.
    #[error(
        "calendar {calendar:?}: utc_offset = {utc_offset:?} given with time_zone = {time_zone:?}; give one: a time zone's offset changes with daylight-saving time"
    )]
    OffsetWithTimeZone {
        /// The calendar's name.
        calendar: String,
        /// The offset as given.
        utc_offset: String,
        /// The zone as given.
        time_zone: String,
    },
    /// A holiday's special hours are not valid periods.
    #[error("calendar {calendar:?}: holidays[{index}].hours{reason}")]
    BadHolidayHours {
        /// The calendar's name.
        calendar: String,
        /// The position of the holiday in the list, from 0.
        index: usize,
        /// What is wrong, from the period's position on (`[1] = "13:00-12:00": period
        /// ends before it starts`).
        reason: String,
    },
    /// No day has any opening hours and `always_open` is not set.
    #[error(
        "calendar {calendar:?}: never open: no day has opening hours and always_open is not set, so SLA deadlines on it would never arrive"
    )]
    NeverOpen {
        /// The calendar's name.
        calendar: String,
    },
}

impl CalendarError {
    /// The name of the calendar that was refused.
    pub fn calendar(&self) -> &str {
        match self {
            CalendarError::EmptyName { calendar }
            | CalendarError::BadUtcOffset { calendar, .. }
            | CalendarError::AlwaysOpenWithHours { calendar }
            | CalendarError::AlwaysOpenWithHolidays { calendar }
            | CalendarError::UnknownDay { calendar, .. }
            | CalendarError::BadPeriod { calendar, .. }
            | CalendarError::PeriodEndsBeforeStart { calendar, .. }
            | CalendarError::EmptyPeriod { calendar, .. }
            | CalendarError::OverlappingPeriods { calendar, .. }
            | CalendarError::BadHoliday { calendar, .. }
            | CalendarError::DuplicateHoliday { calendar, .. }
            | CalendarError::BadTimeZone { calendar, .. }
            | CalendarError::OffsetWithTimeZone { calendar, .. }
            | CalendarError::BadHolidayHours { calendar, .. }
            | CalendarError::NeverOpen { calendar } => calendar,
        }
    }
}

/// One open period of a local day, `[start_ms, end_ms)` in milliseconds of wall-clock
/// time since local midnight, with `0 <= start_ms < end_ms <= DAY_MS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start_ms: i64,
    end_ms: i64,
}

/// The offsets of local time from UTC: a constant one, or a time zone's, as eras of
/// constant offset (every change of a zone from 1900 on).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Zone {
    /// `(first instant, offset ms)`, sorted; the first era starts at `i64::MIN`.
    eras: Vec<(i64, i64)>,
    /// Per era, the largest wall-clock time (ms) reached by the end of it or any earlier
    /// era (`i128::MAX` for the last): non-decreasing, so a binary search finds the first
    /// era whose wall clock reaches a given time.
    wall_reached: Vec<i128>,
}

impl Zone {
    fn fixed(offset_ms: i64) -> Zone {
        Zone::of(vec![(i64::MIN, offset_ms)])
    }

    fn of(eras: Vec<(i64, i64)>) -> Zone {
        let mut wall_reached = Vec::with_capacity(eras.len());
        let mut reached = i128::MIN;
        for (i, &(_, offset)) in eras.iter().enumerate() {
            let end = eras.get(i + 1).map_or(i128::MAX, |&(next, _)| i128::from(next) + i128::from(offset));
            reached = reached.max(end);
            wall_reached.push(reached);
        }
        Zone { eras, wall_reached }
    }

    /// The zone's eras from the IANA database, 1900 to the last change it knows of. The
    /// database is searched day by day (no zone changes twice within a day) and each change
    /// is pinned to the second by bisection.
    fn of_tz(tz: chrono_tz::Tz) -> Zone {
        let offset_s = |t: i64| -> i64 {
            let utc = chrono::DateTime::from_timestamp(t, 0).expect("in range").naive_utc();
            i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc())
        };
        const FIRST_S: i64 = -2_208_988_800; // 1900-01-01T00:00:00Z
        const LAST_S: i64 = 4_133_980_800; // 2101-01-01T00:00:00Z
        const DAY_S: i64 = 86_400;
        let mut eras = vec![(i64::MIN, offset_s(FIRST_S) * 1000)];
        let mut t = FIRST_S;
        let mut current = offset_s(t);
        // Midnight UTC of each day, stepped as a date (cheaper than from a timestamp).
        let mut date = chrono::DateTime::from_timestamp(FIRST_S, 0).expect("in range").date_naive();
        while t < LAST_S {
            let next = t + DAY_S;
            date = date.succ_opt().expect("in range");
            let o = i64::from(tz.offset_from_utc_date(&date).fix().local_minus_utc());
            debug_assert_eq!(o, offset_s(next));
            if o != current {
                // The change lies in (t, next]: find its first second.
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset_s(mid) == current { lo = mid } else { hi = mid }
                }
                eras.push((hi * 1000, o * 1000));
                current = o;
            }
            t = next;
        }
        Zone::of(eras)
    }

    /// The offset in force at instant `t`.
    fn offset_at(&self, t: i64) -> i64 {
        if self.eras.len() == 1 {
            return self.eras[0].1;
        }
        let i = self.eras.partition_point(|&(start, _)| start <= t);
        self.eras[i - 1].1
    }

    /// The first instant at which the wall clock shows `wall` or later: the instant of a
    /// wall-clock time, its first occurrence when the clock goes back, the change itself
    /// when the clock skips it.
    fn resolve(&self, wall: i128) -> i128 {
        if self.eras.len() == 1 {
            return wall - i128::from(self.eras[0].1);
        }
        let i = self.wall_reached.partition_point(|&reached| reached <= wall);
        let (start, offset) = self.eras[i];
        (wall - i128::from(offset)).max(i128::from(start))
    }

    /// Whether the offset ever changes.
    fn is_fixed(&self) -> bool {
        self.eras.len() == 1
    }
}

/// A local day whose open time may differ from its weekday's.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Special {
    /// Local day number (days since 1970-01-01).
    day: i64,
    /// Its periods instead of the weekday's (a holiday: none), if any.
    spans: Option<Vec<Span>>,
    /// Its open time in real milliseconds (a daylight-saving change included).
    open_ms: i64,
}

/// A validated business-hours calendar, ready to answer queries.
///
/// Build one with [`Calendar::compile`] or [`Calendar::always_open`]. All queries are
/// pure, exact to the millisecond and allocation-free; see the
/// [module documentation](self) for the conventions at period edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    zone: Zone,
    always_open: bool,
    /// Open spans per weekday (Monday first), sorted, disjoint and not touching.
    week: [Vec<Span>; 7],
    /// Open milliseconds per weekday (Monday first), on a day without a change of offset.
    day_open_ms: [i64; 7],
    /// Open milliseconds in any seven consecutive ordinary days; always > 0.
    week_open_ms: i64,
    /// Days whose open time may differ from their weekday's, sorted by day, distinct.
    specials: Vec<Special>,
    /// `special_delta_ms_prefix[i]`: how much the first `i` special days add to (or, as
    /// negative, take from) their weekdays' open time; one longer than `specials`.
    special_delta_ms_prefix: Vec<i64>,
}

/// Counts the work a query does (days visited and binary-search steps over the special
/// days), so tests can bound it without timing anything.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Steps(pub(crate) u64);

impl Calendar {
    /// Validates a spec into a calendar, or says precisely what is wrong with it.
    ///
    /// Checks, in this order: the name, `utc_offset` and `time_zone`, `always_open`
    /// against `hours` and `holidays`, the day keys, each day's periods (syntax, order,
    /// overlap), that some day is open, and the holidays (dates, special hours,
    /// duplicates).
    pub fn compile(spec: &CalendarSpec) -> Result<Calendar, CalendarError> {
        let calendar = || spec.name.clone();
        if spec.name.trim().is_empty() {
            return Err(CalendarError::EmptyName { calendar: calendar() });
        }
        let utc_offset_ms = parse_utc_offset_ms(&spec.utc_offset)
            .ok_or_else(|| CalendarError::BadUtcOffset { calendar: calendar(), value: spec.utc_offset.clone() })?;
        let zone = match &spec.time_zone {
            None => Zone::fixed(utc_offset_ms),
            Some(name) => {
                if spec.utc_offset != "Z" {
                    return Err(CalendarError::OffsetWithTimeZone {
                        calendar: calendar(),
                        utc_offset: spec.utc_offset.clone(),
                        time_zone: name.clone(),
                    });
                }
                let tz: chrono_tz::Tz = name
                    .parse()
                    .map_err(|_| CalendarError::BadTimeZone { calendar: calendar(), value: name.clone() })?;
                Zone::of_tz(tz)
            }
        };
        if spec.always_open {
            if !spec.hours.is_empty() {
                return Err(CalendarError::AlwaysOpenWithHours { calendar: calendar() });
            }
            if !spec.holidays.is_empty() {
                return Err(CalendarError::AlwaysOpenWithHolidays { calendar: calendar() });
            }
            return Ok(Calendar::always_open_named(calendar(), zone));
        }

        if let Some(day) = spec.hours.keys().find(|key| !DAY_KEYS.contains(&key.as_str())) {
            return Err(CalendarError::UnknownDay { calendar: calendar(), day: day.clone() });
        }
        let mut week: [Vec<Span>; 7] = Default::default();
        for (spans, day) in week.iter_mut().zip(DAY_KEYS) {
            if let Some(periods) = spec.hours.get(day) {
                *spans = compile_day(periods).map_err(|p| p.for_weekday(&spec.name, day))?;
            }
        }
        let day_open_ms = week.each_ref().map(|spans| spans.iter().map(Span::len_ms).sum());
        let week_open_ms: i64 = day_open_ms.iter().sum();
        if week_open_ms == 0 {
            return Err(CalendarError::NeverOpen { calendar: calendar() });
        }

        // Keyed by day so duplicates are found in input order and the days come out sorted.
        let mut holidays: BTreeMap<i64, (usize, Vec<Span>)> = BTreeMap::new();
        for (index, holiday) in spec.holidays.iter().enumerate() {
            let value = holiday.date();
            let day = parse_local_day(value).ok_or_else(|| CalendarError::BadHoliday {
                calendar: calendar(),
                index,
                value: value.to_owned(),
            })?;
            if let Some(&(first_index, _)) = holidays.get(&day) {
                return Err(CalendarError::DuplicateHoliday {
                    calendar: calendar(),
                    index,
                    value: value.to_owned(),
                    first_index,
                });
            }
            let spans = match holiday {
                HolidaySpec::Closed(_) => Vec::new(),
                HolidaySpec::Hours(h) => compile_day(&h.hours).map_err(|p| CalendarError::BadHolidayHours {
                    calendar: calendar(),
                    index,
                    reason: p.reason(),
                })?,
            };
            holidays.insert(day, (index, spans));
        }

        // Days around each change of offset keep their spans but may count more or less.
        let mut days: BTreeMap<i64, Option<Vec<Span>>> =
            holidays.into_iter().map(|(day, (_, spans))| (day, Some(spans))).collect();
        for pair in zone.eras.windows(2) {
            let (change, before, after) = (i128::from(pair[1].0), pair[0].1, pair[1].1);
            for offset in [before, after] {
                let day = (change + i128::from(offset)).div_euclid(i128::from(DAY_MS)) as i64;
                for d in day - 1..=day + 1 {
                    days.entry(d).or_insert(None);
                }
            }
        }
        let mut c = Calendar {
            name: spec.name.clone(),
            zone,
            always_open: false,
            week,
            day_open_ms,
            week_open_ms,
            specials: Vec::with_capacity(days.len()),
            special_delta_ms_prefix: Vec::with_capacity(days.len() + 1),
        };
        let mut delta_ms = 0;
        c.special_delta_ms_prefix.push(delta_ms);
        for (day, spans) in days {
            let open_ms: i64 = c
                .utc_spans(day, spans.as_deref().unwrap_or(&c.week[weekday(day)]))
                .map(|(start, end)| saturate(end - start))
                .sum();
            delta_ms += open_ms - c.day_open_ms[weekday(day)];
            c.special_delta_ms_prefix.push(delta_ms);
            c.specials.push(Special { day, spans, open_ms });
        }
        Ok(c)
    }

    /// A 24/7 calendar named `"always"`: open at every instant, so business time is
    /// elapsed time. A natural default for SLA policies that name no calendar.
    pub fn always_open() -> Calendar {
        Calendar::always_open_named(ALWAYS_OPEN_NAME.to_owned(), Zone::fixed(0))
    }

    fn always_open_named(name: String, zone: Zone) -> Calendar {
        // An always-open calendar is open at every instant whatever its zone: the zone is
        // kept only to say what was configured; the queries take the `always_open`
        // shortcut and never look at days.
        let full_day = Span { start_ms: 0, end_ms: DAY_MS };
        Calendar {
            name,
            zone,
            always_open: true,
            week: std::array::from_fn(|_| vec![full_day]),
            day_open_ms: [DAY_MS; 7],
            week_open_ms: WEEK_DAYS * DAY_MS,
            specials: Vec::new(),
            special_delta_ms_prefix: vec![0],
        }
    }

    /// The calendar's name, as given in its spec.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset of local time from UTC in force at `t`, in milliseconds (local = UTC +
    /// offset): constant for a fixed offset, changing with daylight-saving time in a zone.
    pub fn utc_offset_ms_at(&self, t: Timestamp) -> i64 {
        self.zone.offset_at(t.0)
    }

    /// Whether local time keeps one offset from UTC all the time.
    pub fn has_fixed_offset(&self) -> bool {
        self.zone.is_fixed()
    }

    /// Whether the calendar is open at every instant.
    pub fn is_always_open(&self) -> bool {
        self.always_open
    }

    /// Open milliseconds in an ordinary week (no holiday, no change of offset; `7 *
    /// DAY_MS` for 24/7); never 0.
    pub fn weekly_open_ms(&self) -> i64 {
        self.week_open_ms
    }

    /// Whether `t` is in open time. Periods include their start and exclude their end;
    /// holidays are closed all (local) day, or open during their special hours only.
    pub fn is_open(&self, t: Timestamp) -> bool {
        if self.always_open {
            return true;
        }
        let t = i128::from(t.0);
        let day = self.day_of(t, &mut Steps::default());
        self.utc_spans(day, self.spans(day)).any(|(start, end)| start <= t && t < end)
    }

    /// `t` if it is open, else the start of the next open period (saturating at
    /// [`Timestamp::MAX`]).
    ///
    /// Counting business time from `t` effectively starts here:
    /// `business_ms_between(t, next_open(t)) == 0`.
    pub fn next_open(&self, t: Timestamp) -> Timestamp {
        if self.is_open(t) {
            return t;
        }
        // The end of the first open millisecond, less that millisecond.
        match self.add_business_ms(t, 1) {
            Timestamp::MAX => Timestamp::MAX,
            due => due.plus_ms(-1),
        }
    }

    /// The instant at which `ms` milliseconds of open time have elapsed, counting from
    /// `start`: the earliest `t >= start` with `business_ms_between(start, t) >= ms`.
    ///
    /// - `ms <= 0` returns `start` unchanged, even in closed time: a zero target is due
    ///   at once.
    /// - For `ms > 0` counting begins at `start` if it is open, else at the next opening,
    ///   and the result is the end of the `ms`-th open millisecond. It is therefore open
    ///   time or exactly the end of a period: 1 h from 16:00 on a 09:00-17:00 calendar is
    ///   17:00 that day, not 09:00 the next open morning.
    /// - `add_business_ms(add_business_ms(s, a), b) == add_business_ms(s, a + b)` for all
    ///   `a, b >= 0`, and the result is monotone in `start` and in `ms`.
    /// - On an always-open calendar the result is `start + ms`.
    ///
    /// Saturates at [`Timestamp::MAX`].
    pub fn add_business_ms(&self, start: Timestamp, ms: i64) -> Timestamp {
        self.add_business_ms_counted(start, ms, &mut Steps::default())
    }

    /// [`Calendar::add_business_ms`], counting its work in `steps`.
    pub(crate) fn add_business_ms_counted(&self, start: Timestamp, ms: i64, steps: &mut Steps) -> Timestamp {
        if ms <= 0 {
            return start;
        }
        if self.always_open {
            return start.plus_ms(ms);
        }
        let start = i128::from(start.0);
        let mut day = self.day_of(start, steps);
        let mut remaining_ms = ms;
        if let Some(due) = self.consume_day(day, start, &mut remaining_ms, steps) {
            return Timestamp(saturate(due));
        }
        day += 1;
        // Every special day whose end still leaves some of the target: jump past the last
        // of them at once (the open time up to the end of special day `k` grows with `k`,
        // so a binary search finds it).
        let first = self.specials.partition_point(|s| s.day < day);
        let (mut lo, mut hi) = (first, self.specials.len());
        while lo < hi {
            steps.0 += 1;
            let mid = lo + (hi - lo) / 2;
            if self.open_ms_in_days_from(day, first, mid + 1) < i128::from(remaining_ms) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo > first {
            remaining_ms -= self.open_ms_in_days_from(day, first, lo) as i64;
            day = self.specials[lo - 1].day + 1;
        }
        // Up to the next special day (if any) every day is ordinary: skip whole weeks while
        // more than a week's open time remains. Skipping one week fewer than
        // `remaining_ms / week_open_ms` guarantees the deadline is not inside the skipped
        // range.
        let next_special = self.specials.get(lo).map_or(i64::MAX, |s| s.day);
        if remaining_ms > self.week_open_ms {
            let weeks = ((remaining_ms - 1) / self.week_open_ms).min(next_special.saturating_sub(day) / WEEK_DAYS);
            remaining_ms -= weeks * self.week_open_ms;
            day = day.saturating_add(weeks * WEEK_DAYS);
        }
        // Terminates within two weeks of days: seven ordinary days hold a week's open time,
        // and the deadline lies no later than the next special day.
        loop {
            if day > i64::MAX / 2 {
                return Timestamp::MAX;
            }
            if let Some(due) = self.consume_day(day, i128::MIN, &mut remaining_ms, steps) {
                return Timestamp(saturate(due));
            }
            day += 1;
        }
    }

    /// Open milliseconds in `[a, b)`; 0 when `b <= a`. Saturates at [`i64::MAX`].
    ///
    /// Additive: `business_ms_between(a, c) == business_ms_between(a, b) +
    /// business_ms_between(b, c)` for `a <= b <= c`.
    pub fn business_ms_between(&self, a: Timestamp, b: Timestamp) -> i64 {
        if b <= a {
            return 0;
        }
        if self.always_open {
            return saturate(i128::from(b.0) - i128::from(a.0));
        }
        let (a, b) = (i128::from(a.0), i128::from(b.0));
        let steps = &mut Steps::default();
        let (day_a, day_b) = (self.day_of(a, steps), self.day_of(b, steps));
        if day_a == day_b {
            return saturate(self.open_ms_in_day(day_a, a, b));
        }
        let total = self.open_ms_in_day(day_a, a, i128::MAX)
            + self.open_ms_in_days(day_a + 1, day_b)
            + self.open_ms_in_day(day_b, i128::MIN, b);
        saturate(total)
    }

    /// The local day holding instant `t`: the day from whose first instant (its local
    /// midnight, resolved) to the next day's `t` lies.
    fn day_of(&self, t: i128, steps: &mut Steps) -> i64 {
        let local = t + i128::from(self.zone.offset_at(saturate(t)));
        let mut day = local.div_euclid(i128::from(DAY_MS)) as i64;
        if !self.zone.is_fixed() {
            // Around a change of offset the wall-clock date and the day whose resolved
            // span holds `t` may differ by one.
            while self.day_start(day + 1) <= t {
                steps.0 += 1;
                day += 1;
            }
            while self.day_start(day) > t {
                steps.0 += 1;
                day -= 1;
            }
        }
        day
    }

    /// The first instant of local `day`.
    fn day_start(&self, day: i64) -> i128 {
        self.zone.resolve(i128::from(day) * i128::from(DAY_MS))
    }

    /// `spans` of local `day` as instants `[start, end)`, empty ones left out.
    fn utc_spans<'a>(&'a self, day: i64, spans: &'a [Span]) -> impl Iterator<Item = (i128, i128)> + 'a {
        let midnight = i128::from(day) * i128::from(DAY_MS);
        spans.iter().filter_map(move |span| {
            let start = self.zone.resolve(midnight + i128::from(span.start_ms));
            let end = self.zone.resolve(midnight + i128::from(span.end_ms));
            (start < end).then_some((start, end))
        })
    }

    /// The special day `day`, if it is one.
    fn special(&self, day: i64) -> Option<&Special> {
        self.specials.binary_search_by_key(&day, |s| s.day).ok().map(|i| &self.specials[i])
    }

    /// The opening periods of a local day: its special hours (none on a holiday), else its
    /// weekday's.
    fn spans(&self, day: i64) -> &[Span] {
        match self.special(day) {
            Some(Special { spans: Some(spans), .. }) => spans,
            _ => &self.week[weekday(day)],
        }
    }

    /// Open milliseconds of local `day` within the instants `[from, to)`.
    fn open_ms_in_day(&self, day: i64, from: i128, to: i128) -> i128 {
        self.utc_spans(day, self.spans(day)).map(|(start, end)| (end.min(to) - start.max(from)).max(0)).sum()
    }

    /// Open milliseconds of the ordinary local days `[first_day, end_day)`, as if none
    /// were special.
    fn nominal_open_ms(&self, first_day: i64, end_day: i64) -> i128 {
        if end_day <= first_day {
            return 0;
        }
        let weeks = (end_day - first_day) / WEEK_DAYS;
        let mut total = i128::from(weeks) * i128::from(self.week_open_ms);
        for day in first_day + weeks * WEEK_DAYS..end_day {
            total += i128::from(self.day_open_ms[weekday(day)]);
        }
        total
    }

    /// Open milliseconds of the whole local days `[first_day, end_day)`.
    fn open_ms_in_days(&self, first_day: i64, end_day: i64) -> i128 {
        if end_day <= first_day {
            return 0;
        }
        let first = self.specials.partition_point(|s| s.day < first_day);
        let end = self.specials.partition_point(|s| s.day < end_day);
        self.nominal_open_ms(first_day, end_day)
            + i128::from(self.special_delta_ms_prefix[end] - self.special_delta_ms_prefix[first])
    }

    /// Open milliseconds of the local days from `first_day` up to the end of special day
    /// `end - 1` (or none when `end == first`), where `first` is the first special day at
    /// or after `first_day`.
    fn open_ms_in_days_from(&self, first_day: i64, first: usize, end: usize) -> i128 {
        if end <= first {
            return 0;
        }
        let end_day = self.specials[end - 1].day + 1;
        self.nominal_open_ms(first_day, end_day)
            + i128::from(self.special_delta_ms_prefix[end] - self.special_delta_ms_prefix[first])
    }

    /// Consumes the open time of local `day` from instant `from` on, period by period.
    /// Returns the instant the last of `remaining_ms` ends if it ends on this day;
    /// otherwise subtracts the day's open time from `remaining_ms` and returns `None`.
    fn consume_day(&self, day: i64, from: i128, remaining_ms: &mut i64, steps: &mut Steps) -> Option<i128> {
        steps.0 += 1;
        for (start, end) in self.utc_spans(day, self.spans(day)) {
            if end <= from {
                continue;
            }
            let begin = start.max(from);
            let available = end - begin;
            if i128::from(*remaining_ms) <= available {
                return Some(begin + i128::from(*remaining_ms));
            }
            *remaining_ms -= available as i64;
        }
        None
    }
}

impl Span {
    fn len_ms(&self) -> i64 {
        self.end_ms - self.start_ms
    }
}

/// The weekday of a local day number, Monday = 0. Day 0, 1970-01-01, was a Thursday.
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(WEEK_DAYS) as usize
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// What is wrong with one list of periods, before it is known whose list it is.
enum PeriodProblem {
    Bad { index: usize, value: String },
    EndsBeforeStart { index: usize, value: String },
    Empty { index: usize, value: String },
    Overlap { first: String, second: String },
}

impl PeriodProblem {
    /// The error for weekday `day`'s periods.
    fn for_weekday(self, calendar: &str, day: &str) -> CalendarError {
        let (calendar, day) = (calendar.to_owned(), day.to_owned());
        match self {
            PeriodProblem::Bad { index, value } => CalendarError::BadPeriod { calendar, day, index, value },
            PeriodProblem::EndsBeforeStart { index, value } => {
                CalendarError::PeriodEndsBeforeStart { calendar, day, index, value }
            }
            PeriodProblem::Empty { index, value } => CalendarError::EmptyPeriod { calendar, day, index, value },
            PeriodProblem::Overlap { first, second } => {
                CalendarError::OverlappingPeriods { calendar, day, first, second }
            }
        }
    }

    /// The problem, from the period's position on, as the weekday errors word it.
    fn reason(self) -> String {
        let text = self.for_weekday("", "").to_string();
        let prefix = r#"calendar "": hours."#;
        text.strip_prefix(prefix).map_or(text.clone(), str::to_owned)
    }
}

/// Parses, checks, sorts and merges one day's periods.
fn compile_day(periods: &[String]) -> Result<Vec<Span>, PeriodProblem> {
    let mut parsed = Vec::with_capacity(periods.len());
    for (index, value) in periods.iter().enumerate() {
        let Some((start_ms, end_ms)) = parse_period(value) else {
            return Err(PeriodProblem::Bad { index, value: value.clone() });
        };
        if end_ms < start_ms {
            return Err(PeriodProblem::EndsBeforeStart { index, value: value.clone() });
        }
        if end_ms == start_ms {
            return Err(PeriodProblem::Empty { index, value: value.clone() });
        }
        parsed.push(Span { start_ms, end_ms });
    }
    parsed.sort_by_key(|span| (span.start_ms, span.end_ms));
    // Sorted by start, so checking each period against the one before it finds any
    // overlap, and the message can quote both periods as written.
    for pair in parsed.windows(2) {
        if pair[1].start_ms < pair[0].end_ms {
            return Err(PeriodProblem::Overlap { first: format_period(pair[0]), second: format_period(pair[1]) });
        }
    }
    let mut merged: Vec<Span> = Vec::with_capacity(parsed.len());
    for span in parsed {
        match merged.last_mut() {
            Some(last) if last.end_ms == span.start_ms => last.end_ms = span.end_ms,
            _ => merged.push(span),
        }
    }
    Ok(merged)
}

/// `HH:MM-HH:MM` for a span, as a period is written in a spec.
fn format_period(span: Span) -> String {
    format!("{}-{}", format_clock(span.start_ms), format_clock(span.end_ms))
}

fn format_clock(ms_of_day: i64) -> String {
    format!("{:02}:{:02}", ms_of_day / HOUR_MS, ms_of_day % HOUR_MS / MINUTE_MS)
}

/// `"HH:MM-HH:MM"` (white space allowed around the dash) to milliseconds since local
/// midnight; the order of the two times is checked by the caller.
fn parse_period(value: &str) -> Option<(i64, i64)> {
    let (start, end) = value.trim().split_once('-')?;
    Some((parse_clock_ms(start.trim(), false)?, parse_clock_ms(end.trim(), true)?))
}

/// `"HH:MM"` from 00:00 to 23:59, or `"24:00"` when `end_of_day_allowed`, to
/// milliseconds since local midnight.
fn parse_clock_ms(value: &str, end_of_day_allowed: bool) -> Option<i64> {
    let bytes = value.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let hours = parse_digits(&bytes[..2])?;
    let minutes = parse_digits(&bytes[3..])?;
    if end_of_day_allowed && hours == 24 && minutes == 0 {
        return Some(DAY_MS);
    }
    (hours < 24 && minutes < 60).then_some(hours * HOUR_MS + minutes * MINUTE_MS)
}

/// `"Z"`, `"+HH:MM"` or `"-HH:MM"`, at most 18:00 from UTC, to milliseconds.
fn parse_utc_offset_ms(value: &str) -> Option<i64> {
    if value == "Z" {
        return Some(0);
    }
    let bytes = value.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = parse_digits(&bytes[1..3])?;
    let minutes = parse_digits(&bytes[4..])?;
    let offset_ms = hours * HOUR_MS + minutes * MINUTE_MS;
    (minutes < 60 && offset_ms <= UTC_OFFSET_MS_MAX).then_some(sign * offset_ms)
}

/// A local date `"YYYY-MM-DD"` (exactly that shape, a real date) to its day number,
/// days since 1970-01-01.
fn parse_local_day(value: &str) -> Option<i64> {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(parse_digits(&bytes[..4])?).ok()?;
    let month = u32::try_from(parse_digits(&bytes[5..7])?).ok()?;
    let day = u32::try_from(parse_digits(&bytes[8..])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some(i64::from(date.to_epoch_days()))
}

/// A short run of ASCII digits (no sign, no white space) to its value.
fn parse_digits(bytes: &[u8]) -> Option<i64> {
    let mut value = 0;
    for &byte in bytes {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(byte - b'0');
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDateTime};
    use proptest::prelude::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse(rfc3339).unwrap()
    }

    fn spec(name: &str, utc_offset: &str, hours: &[(&str, &[&str])], holidays: &[&str]) -> CalendarSpec {
        CalendarSpec {
            name: name.to_owned(),
            utc_offset: utc_offset.to_owned(),
            always_open: false,
            time_zone: None,
            holidays: holidays.iter().map(|date| HolidaySpec::from(*date)).collect(),
            hours: hours
                .iter()
                .map(|(day, periods)| {
                    let periods = periods.iter().map(|period| (*period).to_owned()).collect();
                    ((*day).to_owned(), periods)
                })
                .collect(),
        }
    }

    /// Monday to Friday, `periods` each day.
    fn weekdays_spec(utc_offset: &str, periods: &[&str], holidays: &[&str]) -> CalendarSpec {
        let hours: Vec<(&str, &[&str])> =
            ["mon", "tue", "wed", "thu", "fri"].into_iter().map(|day| (day, periods)).collect();
        spec("office", utc_offset, &hours, holidays)
    }

    fn nine_to_five(utc_offset: &str, holidays: &[&str]) -> Calendar {
        Calendar::compile(&weekdays_spec(utc_offset, &["09:00-17:00"], holidays)).unwrap()
    }

    fn refusal(spec: &CalendarSpec) -> String {
        Calendar::compile(spec).unwrap_err().to_string()
    }

    // 2026-11-23 is a Monday; 2026-11-27 a Friday; 2026-12-25 a Friday.

    #[test]
    fn deadline_crossing_closing_time_continues_next_morning() {
        let c = nine_to_five("Z", &[]);
        let tue_1630 = at("2026-11-24T16:30:00Z");
        assert_eq!(c.add_business_ms(tue_1630, HOUR_MS), at("2026-11-25T09:30:00Z"));
        // Using up the day's last open millisecond is due at closing time, not next morning.
        assert_eq!(c.add_business_ms(tue_1630, 30 * MINUTE_MS), at("2026-11-24T17:00:00Z"));
        assert_eq!(c.add_business_ms(tue_1630, 30 * MINUTE_MS + 1), at("2026-11-25T09:00:00.001Z"));
        assert_eq!(c.business_ms_between(tue_1630, at("2026-11-25T09:30:00Z")), HOUR_MS);
    }

    #[test]
    fn weekend_is_skipped() {
        let c = nine_to_five("Z", &[]);
        let fri_1600 = at("2026-11-27T16:00:00Z");
        assert_eq!(c.add_business_ms(fri_1600, HOUR_MS), at("2026-11-27T17:00:00Z"));
        assert_eq!(c.add_business_ms(fri_1600, HOUR_MS + 1), at("2026-11-30T09:00:00.001Z"));
        assert_eq!(c.add_business_ms(fri_1600, 2 * HOUR_MS), at("2026-11-30T10:00:00Z"));
        assert_eq!(c.add_business_ms(fri_1600, 9 * HOUR_MS), at("2026-11-30T17:00:00Z"));
        assert_eq!(c.add_business_ms(fri_1600, 41 * HOUR_MS), at("2026-12-04T17:00:00Z"));
        assert!(!c.is_open(at("2026-11-28T12:00:00Z")));
        assert_eq!(c.next_open(at("2026-11-28T12:00:00Z")), at("2026-11-30T09:00:00Z"));
        assert_eq!(c.business_ms_between(fri_1600, at("2026-11-30T10:00:00Z")), 2 * HOUR_MS);
        assert_eq!(c.weekly_open_ms(), 40 * HOUR_MS);
    }

    #[test]
    fn lunch_gap_is_closed() {
        let c = Calendar::compile(&weekdays_spec("Z", &["08:00-12:00", "13:00-17:00"], &[])).unwrap();
        let mon = |clock: &str| at(&format!("2026-11-23T{clock}Z"));
        assert!(c.is_open(mon("11:59:59.999")));
        assert!(!c.is_open(mon("12:00:00")));
        assert!(!c.is_open(mon("12:59:59.999")));
        assert!(c.is_open(mon("13:00:00")));
        assert_eq!(c.add_business_ms(mon("11:30:00"), HOUR_MS), mon("13:30:00"));
        assert_eq!(c.add_business_ms(mon("11:30:00"), 30 * MINUTE_MS), mon("12:00:00"));
        assert_eq!(c.add_business_ms(mon("12:30:00"), 30 * MINUTE_MS), mon("13:30:00"));
        assert_eq!(c.next_open(mon("12:30:00")), mon("13:00:00"));
        assert_eq!(c.business_ms_between(mon("00:00:00"), mon("23:59:59.999")), 8 * HOUR_MS);
        assert_eq!(c.business_ms_between(mon("11:00:00"), mon("14:00:00")), 2 * HOUR_MS);
    }

    #[test]
    fn holiday_monday_pushes_to_tuesday() {
        let c = nine_to_five("Z", &["2026-11-30"]);
        let fri_1600 = at("2026-11-27T16:00:00Z");
        assert_eq!(c.add_business_ms(fri_1600, 2 * HOUR_MS), at("2026-12-01T10:00:00Z"));
        assert!(!c.is_open(at("2026-11-30T10:00:00Z")));
        assert_eq!(c.next_open(at("2026-11-28T12:00:00Z")), at("2026-12-01T09:00:00Z"));
        let fri_0900 = at("2026-11-27T09:00:00Z");
        assert_eq!(c.business_ms_between(fri_0900, at("2026-12-01T17:00:00Z")), 16 * HOUR_MS);
        // A week containing the holiday has 32 h open, the next one 40 h.
        let mon = at("2026-11-30T00:00:00Z");
        assert_eq!(c.business_ms_between(mon, mon.plus_ms(7 * DAY_MS)), 32 * HOUR_MS);
        assert_eq!(c.business_ms_between(mon.plus_ms(7 * DAY_MS), mon.plus_ms(14 * DAY_MS)), 40 * HOUR_MS);
    }

    #[test]
    fn start_in_closed_time_counts_from_the_next_opening() {
        let c = nine_to_five("Z", &[]);
        assert_eq!(c.add_business_ms(at("2026-11-28T10:00:00Z"), 30 * MINUTE_MS), at("2026-11-30T09:30:00Z"));
        assert_eq!(c.add_business_ms(at("2026-11-24T07:00:00Z"), HOUR_MS), at("2026-11-24T10:00:00Z"));
        assert_eq!(c.add_business_ms(at("2026-11-24T20:00:00Z"), HOUR_MS), at("2026-11-25T10:00:00Z"));
        // A zero target is due at once, even in closed time.
        assert_eq!(c.add_business_ms(at("2026-11-28T10:00:00Z"), 0), at("2026-11-28T10:00:00Z"));
        assert_eq!(c.add_business_ms(at("2026-11-28T10:00:00Z"), -5), at("2026-11-28T10:00:00Z"));
        assert_eq!(c.business_ms_between(at("2026-11-28T00:00:00Z"), at("2026-11-30T00:00:00Z")), 0);
    }

    #[test]
    fn start_exactly_at_opening_and_at_closing() {
        let c = nine_to_five("Z", &[]);
        let mon_0900 = at("2026-11-23T09:00:00Z");
        let mon_1700 = at("2026-11-23T17:00:00Z");
        assert!(c.is_open(mon_0900));
        assert!(!c.is_open(mon_0900.plus_ms(-1)));
        assert!(c.is_open(mon_1700.plus_ms(-1)));
        assert!(!c.is_open(mon_1700));
        assert_eq!(c.add_business_ms(mon_0900, 1), mon_0900.plus_ms(1));
        assert_eq!(c.add_business_ms(mon_0900, 8 * HOUR_MS), mon_1700);
        assert_eq!(c.add_business_ms(mon_0900.plus_ms(-1), 8 * HOUR_MS), mon_1700);
        assert_eq!(c.add_business_ms(mon_1700, 0), mon_1700);
        assert_eq!(c.add_business_ms(mon_1700, 1), at("2026-11-24T09:00:00.001Z"));
        assert_eq!(c.next_open(mon_0900), mon_0900);
        assert_eq!(c.next_open(mon_0900.plus_ms(-1)), mon_0900);
        assert_eq!(c.next_open(mon_1700.plus_ms(-1)), mon_1700.plus_ms(-1));
        assert_eq!(c.next_open(mon_1700), at("2026-11-24T09:00:00Z"));
        assert_eq!(c.business_ms_between(mon_0900, mon_1700), 8 * HOUR_MS);
        assert_eq!(c.business_ms_between(mon_1700, mon_0900), 0);
        assert_eq!(c.business_ms_between(mon_0900, mon_0900), 0);
    }

    #[test]
    fn positive_offset_and_holiday_in_local_dates() {
        let c = nine_to_five("+01:00", &["2026-12-25"]);
        assert_eq!(c.utc_offset_ms_at(Timestamp(0)), HOUR_MS);
        // Local 09:00-17:00 is 08:00-16:00 UTC.
        assert!(c.is_open(at("2026-11-23T08:00:00Z")));
        assert!(!c.is_open(at("2026-11-23T07:59:59.999Z")));
        assert!(!c.is_open(at("2026-11-23T16:00:00Z")));
        // Thursday 24 December local 16:00 + 2 h: 1 h on Thursday, Christmas Friday and the
        // weekend closed, 1 h on Monday 28 December.
        let thu = at("2026-12-24T15:00:00Z");
        assert_eq!(c.add_business_ms(thu, 2 * HOUR_MS), at("2026-12-28T09:00:00Z"));

        // On a 24/7-hours calendar the holiday is exactly the local day.
        let days: Vec<(&str, &[&str])> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .into_iter()
            .map(|day| (day, &["00:00-24:00"][..]))
            .collect();
        let c = Calendar::compile(&spec("all", "+01:00", &days, &["2026-12-25"])).unwrap();
        assert!(c.is_open(at("2026-12-24T22:59:59.999Z")));
        assert!(!c.is_open(at("2026-12-24T23:00:00Z")));
        assert!(!c.is_open(at("2026-12-25T22:59:59.999Z")));
        assert!(c.is_open(at("2026-12-25T23:00:00Z")));
        assert_eq!(c.next_open(at("2026-12-25T12:00:00Z")), at("2026-12-25T23:00:00Z"));
        assert_eq!(c.business_ms_between(at("2026-12-24T00:00:00Z"), at("2026-12-27T00:00:00Z")), 2 * DAY_MS);
        assert_eq!(c.add_business_ms(at("2026-12-24T22:00:00Z"), 2 * HOUR_MS), at("2026-12-26T00:00:00Z"));
    }

    #[test]
    fn negative_offset_across_utc_midnight() {
        // Local 09:00-18:00 at -08:00 is 17:00 UTC to 02:00 UTC the next day.
        let c = Calendar::compile(&weekdays_spec("-08:00", &["09:00-18:00"], &[])).unwrap();
        assert_eq!(c.utc_offset_ms_at(Timestamp(0)), -8 * HOUR_MS);
        assert!(c.is_open(at("2026-11-23T17:00:00Z")));
        assert!(c.is_open(at("2026-11-24T01:59:59.999Z")));
        assert!(!c.is_open(at("2026-11-24T02:00:00Z")));
        // Monday local 17:00 + 2 h: 1 h on Monday, then Tuesday local 09:00-10:00.
        assert_eq!(c.add_business_ms(at("2026-11-24T01:00:00Z"), 2 * HOUR_MS), at("2026-11-24T18:00:00Z"));
        // Friday local 17:00 is Saturday in UTC, and still open.
        let fri_1700_local = at("2026-11-28T01:00:00Z");
        assert!(c.is_open(fri_1700_local));
        assert_eq!(c.add_business_ms(fri_1700_local, 2 * HOUR_MS), at("2026-11-30T18:00:00Z"));
        assert_eq!(c.next_open(at("2026-11-28T02:00:00Z")), at("2026-11-30T17:00:00Z"));
        let mon_local_midnight = at("2026-11-23T08:00:00Z");
        assert_eq!(c.business_ms_between(mon_local_midnight, mon_local_midnight.plus_ms(7 * DAY_MS)), 45 * HOUR_MS);

        // A local holiday on Monday 30 November is closed 08:00 UTC to 08:00 UTC next day.
        let c = Calendar::compile(&weekdays_spec("-08:00", &["09:00-18:00"], &["2026-11-30"])).unwrap();
        assert_eq!(c.add_business_ms(fri_1700_local, 2 * HOUR_MS), at("2026-12-01T18:00:00Z"));
        assert!(!c.is_open(at("2026-11-30T17:00:00Z")));
        assert!(!c.is_open(at("2026-12-01T01:59:59.999Z")));
        assert!(c.is_open(at("2026-12-01T17:00:00Z")));
    }

    #[test]
    fn always_open_counts_elapsed_time() {
        let c = Calendar::always_open();
        assert_eq!(c.name(), "always");
        assert!(c.is_always_open());
        assert_eq!(c.weekly_open_ms(), 7 * DAY_MS);
        let t = at("2026-11-28T03:04:05.006Z");
        assert!(c.is_open(t));
        assert!(c.is_open(Timestamp::MIN));
        assert_eq!(c.next_open(t), t);
        assert_eq!(c.add_business_ms(t, 0), t);
        assert_eq!(c.add_business_ms(t, 30 * DAY_MS + 7), t.plus_ms(30 * DAY_MS + 7));
        assert_eq!(c.business_ms_between(t, t.plus_ms(12_345)), 12_345);
        assert_eq!(c.business_ms_between(Timestamp::MIN, Timestamp::MAX), i64::MAX);
        assert_eq!(c.add_business_ms(Timestamp::MAX, 1), Timestamp::MAX);

        let compiled = Calendar::compile(&CalendarSpec {
            name: "always".to_owned(),
            always_open: true,
            ..CalendarSpec::default()
        })
        .unwrap();
        assert_eq!(compiled, c);
        let named = Calendar::compile(&CalendarSpec {
            name: "24/7 desk".to_owned(),
            utc_offset: "+05:30".to_owned(),
            always_open: true,
            ..CalendarSpec::default()
        })
        .unwrap();
        assert_eq!(named.name(), "24/7 desk");
        assert!(named.is_always_open());
        assert_eq!(named.add_business_ms(t, HOUR_MS), t.plus_ms(HOUR_MS));
    }

    #[test]
    fn end_of_day_and_periods_running_across_midnight() {
        let c = Calendar::compile(&spec(
            "nights",
            "Z",
            &[("fri", &["20:00-24:00"]), ("sat", &["00:00-02:00"]), ("sun", &["00:00-24:00"])],
            &[],
        ))
        .unwrap();
        assert!(c.is_open(at("2026-11-27T23:59:59.999Z")));
        assert!(c.is_open(at("2026-11-28T00:00:00Z")));
        assert!(!c.is_open(at("2026-11-28T02:00:00Z")));
        assert_eq!(c.add_business_ms(at("2026-11-27T23:00:00Z"), 2 * HOUR_MS), at("2026-11-28T01:00:00Z"));
        assert_eq!(c.next_open(at("2026-11-27T19:00:00Z")), at("2026-11-27T20:00:00Z"));
        assert_eq!(c.next_open(at("2026-11-28T03:00:00Z")), at("2026-11-29T00:00:00Z"));
        assert_eq!(c.business_ms_between(at("2026-11-27T20:00:00Z"), at("2026-11-28T02:00:00Z")), 6 * HOUR_MS);
        assert_eq!(c.business_ms_between(at("2026-11-29T00:00:00Z"), at("2026-11-30T00:00:00Z")), DAY_MS);
        // Sunday is open to its very end: 2 h from Sunday 23:00 runs to Friday 21:00.
        assert_eq!(c.add_business_ms(at("2026-11-29T23:00:00Z"), 2 * HOUR_MS), at("2026-12-04T21:00:00Z"));
    }

    #[test]
    fn touching_periods_merge_and_order_does_not_matter() {
        let split = Calendar::compile(&spec("a", "Z", &[("mon", &["12:00-13:00", "08:00-12:00"])], &[])).unwrap();
        let whole = Calendar::compile(&spec("a", "Z", &[("mon", &["08:00-13:00"])], &[])).unwrap();
        assert_eq!(split, whole);
        assert!(split.is_open(at("2026-11-23T12:00:00Z")));
        // An empty list is a closed day, like a missing one.
        let with_empty = Calendar::compile(&spec("a", "Z", &[("mon", &["08:00-13:00"]), ("tue", &[])], &[])).unwrap();
        assert_eq!(with_empty, whole);
    }

    #[test]
    fn long_targets_skip_whole_weeks_and_respect_holidays() {
        // Open 2 h a week: 30 days of business time is 360 Wednesdays.
        let hours: &[(&str, &[&str])] = &[("wed", &["10:00-12:00"])];
        let start = at("2026-11-23T00:00:00Z");
        let first_wed = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let wed_noon = |weeks: u64| {
            let date = first_wed.checked_add_days(Days::new(weeks * 7)).unwrap();
            at(&format!("{date}T12:00:00Z"))
        };
        let c = Calendar::compile(&spec("sparse", "Z", hours, &[])).unwrap();
        let due = c.add_business_ms(start, 30 * DAY_MS);
        assert_eq!(due, wed_noon(359));
        assert_eq!(c.business_ms_between(start, due), 30 * DAY_MS);

        // Three Wednesday holidays in range (and a Thursday one, which removes nothing)
        // push the deadline three weeks later.
        let holidays = ["2026-12-02", "2027-06-30", "2030-01-02", "2028-01-06"];
        let c = Calendar::compile(&spec("sparse", "Z", hours, &holidays)).unwrap();
        let due = c.add_business_ms(start, 30 * DAY_MS);
        assert_eq!(due, wed_noon(362));
        assert_eq!(c.business_ms_between(start, due), 30 * DAY_MS);
        assert_eq!(c.add_business_ms(start, 2 * HOUR_MS), wed_noon(0));
        assert_eq!(c.add_business_ms(start, 2 * HOUR_MS + 1), wed_noon(2).plus_ms(-2 * HOUR_MS + 1));
    }

    #[test]
    fn extreme_instants_saturate_without_panicking() {
        let c = nine_to_five("-08:00", &["2026-11-30"]);
        assert_eq!(c.add_business_ms(Timestamp::MAX.plus_ms(-HOUR_MS), DAY_MS), Timestamp::MAX);
        assert_eq!(c.add_business_ms(at("2026-11-23T00:00:00Z"), i64::MAX), Timestamp::MAX);
        assert_eq!(c.next_open(Timestamp::MAX), Timestamp::MAX);
        let all = c.business_ms_between(Timestamp::MIN, Timestamp::MAX);
        assert!(all > 0 && all < i64::MAX);
        let _ = c.is_open(Timestamp::MIN);
        let _ = c.is_open(Timestamp::MAX);
        let early = c.add_business_ms(Timestamp::MIN, HOUR_MS);
        assert_eq!(c.business_ms_between(Timestamp::MIN, early), HOUR_MS);
    }

    fn berlin(hours: &[&str], holidays: Vec<HolidaySpec>) -> Calendar {
        let days = DAY_KEYS.iter().map(|d| ((*d).to_owned(), hours.iter().map(|h| (*h).to_owned()).collect()));
        Calendar::compile(&CalendarSpec {
            name: "berlin".to_owned(),
            time_zone: Some("Europe/Berlin".to_owned()),
            holidays,
            hours: days.collect(),
            ..CalendarSpec::default()
        })
        .unwrap()
    }

    /// Local days in Berlin around the 2026 changes: 29 March (02:00 CET becomes 03:00
    /// CEST) and 25 October (03:00 CEST becomes 02:00 CET).
    #[test]
    fn berlin_days_follow_both_2026_changes() {
        let day = |c: &Calendar, date: &str, next: &str| {
            c.business_ms_between(at(&format!("{date}T00:00:00+01:00")), at(&format!("{next}T00:00:00+01:00")))
        };
        let all_day = berlin(&["00:00-24:00"], vec![]);
        // Local midnights: 28 March 23:00 UTC, 29 March 22:00 UTC; 24 October 22:00 UTC,
        // 25 October 23:00 UTC.
        assert_eq!(all_day.business_ms_between(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")), 23 * HOUR_MS);
        assert_eq!(all_day.business_ms_between(at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z")), 25 * HOUR_MS);
        assert_eq!(all_day.business_ms_between(at("2026-03-28T00:00:00Z"), at("2026-04-04T00:00:00Z")), 7 * DAY_MS);
        assert_eq!(all_day.utc_offset_ms_at(at("2026-03-29T00:59:59Z")), HOUR_MS);
        assert_eq!(all_day.utc_offset_ms_at(at("2026-03-29T01:00:00Z")), 2 * HOUR_MS);
        // 09:00-17:00 is 8 hours every day, at 08:00 UTC in winter and 07:00 UTC in summer.
        let office = berlin(&["09:00-17:00"], vec![]);
        assert_eq!(day(&office, "2026-03-29", "2026-03-30"), 8 * HOUR_MS);
        assert_eq!(day(&office, "2026-10-25", "2026-10-26"), 8 * HOUR_MS);
        assert!(office.is_open(at("2026-03-27T08:00:00Z")) && !office.is_open(at("2026-03-27T07:59:59.999Z")));
        assert!(office.is_open(at("2026-03-30T07:00:00Z")) && !office.is_open(at("2026-03-30T06:59:59.999Z")));
        assert_eq!(office.next_open(at("2026-03-28T20:00:00Z")), at("2026-03-29T07:00:00Z"));
    }

    /// A period boundary in the skipped hour is the change itself; one in the repeated hour
    /// is its first occurrence.
    #[test]
    fn berlin_periods_in_the_skipped_and_the_repeated_hour() {
        let spring = |hours: &[&str]| {
            berlin(hours, vec![]).business_ms_between(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"))
        };
        let autumn = |hours: &[&str]| {
            berlin(hours, vec![]).business_ms_between(at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"))
        };
        assert_eq!(spring(&["01:00-04:00"]), 2 * HOUR_MS);
        assert_eq!(spring(&["02:15-02:45"]), 0, "wholly inside the skipped hour");
        assert_eq!(spring(&["02:30-05:00"]), 2 * HOUR_MS, "opens at the change, 03:00 CEST");
        assert!(berlin(&["02:30-05:00"], vec![]).is_open(at("2026-03-29T01:00:00Z")));
        assert_eq!(autumn(&["01:00-04:00"]), 4 * HOUR_MS, "the repeated hour counts twice");
        assert_eq!(autumn(&["02:30-05:00"]), 3 * HOUR_MS + 30 * MINUTE_MS, "from the first 02:30 (CEST)");
        assert_eq!(autumn(&["00:00-02:30"]), 2 * HOUR_MS + 30 * MINUTE_MS, "to the first 02:30 (CEST)");
        let c = berlin(&["02:30-05:00"], vec![]);
        assert!(c.is_open(at("2026-10-25T00:30:00Z")) && !c.is_open(at("2026-10-25T00:29:59.999Z")));
        assert!(c.is_open(at("2026-10-25T01:15:00Z")), "02:15 CET, inside the period since the first 02:30");
    }

    /// A deadline that runs across the spring change counts real time: the hour the
    /// clocks skip is not open time.
    #[test]
    fn berlin_deadlines_run_across_the_changes() {
        let all_day = berlin(&["00:00-24:00"], vec![]);
        // Sunday 29 March 01:30 CET (00:30 UTC) + 1 h: 03:30 CEST (01:30 UTC).
        assert_eq!(all_day.add_business_ms(at("2026-03-29T00:30:00Z"), HOUR_MS), at("2026-03-29T01:30:00Z"));
        let office = berlin(&["09:00-17:00"], vec![]);
        // Friday 27 March 16:00 CET + 2 h of office time: 1 h Friday, then Saturday 28
        // March 09:00-10:00 CET (08:00-09:00 UTC).
        assert_eq!(office.add_business_ms(at("2026-03-27T15:00:00Z"), 2 * HOUR_MS), at("2026-03-28T09:00:00Z"));
        // Saturday 16:00 CET + 2 h: 1 h Saturday, then Sunday 29 March 09:00-10:00 CEST
        // (07:00-08:00 UTC).
        assert_eq!(office.add_business_ms(at("2026-03-28T15:00:00Z"), 2 * HOUR_MS), at("2026-03-29T08:00:00Z"));
        // Saturday 24 October 16:00 CEST + 2 h: Sunday 25 October 09:00-10:00 CET.
        assert_eq!(office.add_business_ms(at("2026-10-24T14:00:00Z"), 2 * HOUR_MS), at("2026-10-25T09:00:00Z"));
        // A year of office time from New Year: 365 days of 8 hours, whatever the changes.
        let new_year = at("2025-12-31T23:00:00Z");
        assert_eq!(office.business_ms_between(new_year, at("2026-12-31T23:00:00Z")), 365 * 8 * HOUR_MS);
    }

    /// Special hours for a date replace its weekday's: 24 December 09:00-13:00.
    #[test]
    fn a_partial_holiday_has_its_own_hours() {
        let special = HolidaySpec::Hours(SpecialHoursSpec {
            date: "2026-12-24".to_owned(),
            hours: vec!["09:00-13:00".to_owned()],
        });
        let c = berlin(&["09:00-17:00"], vec![special, HolidaySpec::from("2026-12-25")]);
        let day = |date: &str| {
            c.business_ms_between(at(&format!("{date}T00:00:00+01:00")), at(&format!("{date}T23:59:59+01:00")))
        };
        assert_eq!((day("2026-12-23"), day("2026-12-24"), day("2026-12-25")), (8 * HOUR_MS, 4 * HOUR_MS, 0));
        assert!(!c.is_open(at("2026-12-24T12:00:00Z")), "13:00 CET");
        // Thursday 24 December 12:00 CET + 2 h: 1 h that day, then Saturday 26 December.
        assert_eq!(c.add_business_ms(at("2026-12-24T11:00:00Z"), 2 * HOUR_MS), at("2026-12-26T09:00:00Z"));
        let bad = CalendarSpec {
            holidays: vec![HolidaySpec::Hours(SpecialHoursSpec {
                date: "2026-12-24".to_owned(),
                hours: vec!["09:00-13:00".to_owned(), "13:00-12:00".to_owned()],
            })],
            ..weekdays_spec("Z", &["09:00-17:00"], &[])
        };
        assert_eq!(
            refusal(&bad),
            r#"calendar "office": holidays[0].hours[1] = "13:00-12:00": period ends before it starts"#
        );
        let text = "[[calendars]]\nname = \"x\"\nholidays = [\"2026-12-25\", { date = \"2026-12-24\", hours = [\"09:00-13:00\"] }]\nhours = { mon = [\"09:00-17:00\"] }\n";
        let config: Config = toml::from_str(text).unwrap();
        assert_eq!(
            config.calendars[0].holidays[1],
            HolidaySpec::Hours(SpecialHoursSpec {
                date: "2026-12-24".to_owned(),
                hours: vec!["09:00-13:00".to_owned()],
            })
        );
    }

    #[test]
    fn time_zone_refusals_name_the_value() {
        let mut s = weekdays_spec("Z", &["09:00-17:00"], &[]);
        s.time_zone = Some("Europe/Berln".to_owned());
        assert_eq!(
            refusal(&s),
            r#"calendar "office": time_zone = "Europe/Berln": not an IANA time zone name (such as "Europe/Berlin" or "America/New_York")"#
        );
        s.time_zone = Some("Europe/Berlin".to_owned());
        s.utc_offset = "+01:00".to_owned();
        assert_eq!(
            refusal(&s),
            r#"calendar "office": utc_offset = "+01:00" given with time_zone = "Europe/Berlin"; give one: a time zone's offset changes with daylight-saving time"#
        );
    }

    /// Issue 15, item 4: a deadline crossing thousands of holidays used to visit every
    /// one of them, day by day. It now jumps over them by binary search.
    #[test]
    fn a_deadline_across_thousands_of_holidays_costs_a_few_steps() {
        let first = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let consecutive: Vec<String> =
            (0..5_000).map(|d| first.checked_add_days(Days::new(d)).unwrap().to_string()).collect();
        let every_weekday: Vec<String> = (0..7_000)
            .map(|d| first.checked_add_days(Days::new(d)).unwrap())
            .filter(|d| d.weekday().num_days_from_monday() < 5 && d.ordinal() % 50 != 0)
            .map(|d| d.to_string())
            .collect();
        for holidays in [consecutive, every_weekday] {
            let refs: Vec<&str> = holidays.iter().map(String::as_str).collect();
            let c = nine_to_five("Z", &refs);
            let mut steps = Steps::default();
            let start = at("2026-01-05T10:00:00Z");
            let due = c.add_business_ms_counted(start, HOUR_MS, &mut steps);
            assert!(steps.0 <= 64, "{} steps for {} holidays", steps.0, holidays.len());
            // The same answer as counting day by day from the start.
            assert_eq!(c.business_ms_between(start, due), HOUR_MS);
            assert!(c.is_open(due.plus_ms(-1)) && c.business_ms_between(start, due.plus_ms(-1)) == HOUR_MS - 1);
            let mut steps = Steps::default();
            c.add_business_ms_counted(start, 300 * HOUR_MS, &mut steps);
            assert!(steps.0 <= 64, "{} steps for a long target", steps.0);
        }
    }

    #[test]
    fn weekday_of_day_number_agrees_with_chrono() {
        for day in (-3_000..3_000).chain([-1_000_000, 1_000_000, 2_932_896]) {
            let date = NaiveDate::from_epoch_days(day).unwrap();
            let expected = date.weekday().num_days_from_monday() as usize;
            assert_eq!(weekday(i64::from(day)), expected, "{date}");
        }
    }

    #[test]
    fn refusals_name_the_calendar_field_and_value() {
        let office = |hours: &[(&str, &[&str])], holidays: &[&str]| spec("office", "Z", hours, holidays);
        let nine: &[(&str, &[&str])] = &[("mon", &["09:00-17:00"])];

        assert_eq!(refusal(&spec("", "Z", nine, &[])), r#"calendar "": name must not be empty"#);
        assert_eq!(refusal(&spec("  ", "Z", nine, &[])), r#"calendar "  ": name must not be empty"#);

        for bad in ["+1:00", "01:00", "+19:00", "-18:01", "+05:60", "UTC", "", "z", "+01:00 "] {
            assert_eq!(
                refusal(&spec("office", bad, nine, &[])),
                format!(
                    r#"calendar "office": utc_offset = {bad:?}: expected "Z", "+HH:MM" or "-HH:MM" no further than 18:00 from UTC"#
                )
            );
        }
        for good in ["Z", "+00:00", "-00:00", "+05:45", "+18:00", "-18:00", "-09:30"] {
            assert!(Calendar::compile(&spec("office", good, nine, &[])).is_ok(), "{good}");
        }

        let always = |hours: &[(&str, &[&str])], holidays: &[&str]| CalendarSpec {
            always_open: true,
            ..spec("always", "Z", hours, holidays)
        };
        assert_eq!(
            refusal(&always(nine, &[])),
            r#"calendar "always": always_open = true cannot be combined with hours (a 24/7 calendar has no opening hours)"#
        );
        assert_eq!(
            refusal(&always(&[("mon", &[])], &[])),
            r#"calendar "always": always_open = true cannot be combined with hours (a 24/7 calendar has no opening hours)"#
        );
        assert_eq!(
            refusal(&always(&[], &["2026-12-25"])),
            r#"calendar "always": always_open = true cannot be combined with holidays (a 24/7 calendar has no holidays)"#
        );

        assert_eq!(
            refusal(&office(&[("mon", &["09:00-17:00"]), ("Monday", &["09:00-17:00"])], &[])),
            r#"calendar "office": hours: unknown day "Monday" (expected mon, tue, wed, thu, fri, sat or sun)"#
        );

        for bad in [
            "8:00-12:00",
            "08:00",
            "08:00-24:01",
            "24:00-24:00",
            "08:00-12:60",
            "25:00-26:00",
            "",
            "08:00-",
            "08.00-12.00",
            "08:00-12:00-13:00",
        ] {
            assert_eq!(
                refusal(&office(&[("tue", &["07:00-08:00", bad])], &[])),
                format!(
                    r#"calendar "office": hours.tue[1] = {bad:?}: expected "HH:MM-HH:MM" in local time, from 00:00 up to 24:00 (24:00 only as an end)"#
                )
            );
        }
        for good in ["00:00-24:00", " 08:00 - 12:00 ", "23:59-24:00"] {
            assert!(Calendar::compile(&office(&[("tue", &[good])], &[])).is_ok(), "{good:?}");
        }

        assert_eq!(
            refusal(&office(&[("mon", &["08:00-12:00", "13:00-12:00"])], &[])),
            r#"calendar "office": hours.mon[1] = "13:00-12:00": period ends before it starts"#
        );
        assert_eq!(
            refusal(&office(&[("wed", &["12:00-12:00"])], &[])),
            r#"calendar "office": hours.wed[0] = "12:00-12:00": period is empty (it ends where it starts)"#
        );

        let overlap = r#"calendar "office": hours.mon: periods 08:00-12:00 and 11:00-13:00 overlap"#;
        assert_eq!(refusal(&office(&[("mon", &["08:00-12:00", "11:00-13:00"])], &[])), overlap);
        assert_eq!(refusal(&office(&[("mon", &["11:00-13:00", "08:00-12:00"])], &[])), overlap);
        assert_eq!(
            refusal(&office(&[("mon", &["08:00-10:00", "10:00-12:00", "11:00-13:00"])], &[])),
            r#"calendar "office": hours.mon: periods 10:00-12:00 and 11:00-13:00 overlap"#
        );
        assert_eq!(
            refusal(&office(&[("fri", &["08:00-12:00", "08:00-12:00"])], &[])),
            r#"calendar "office": hours.fri: periods 08:00-12:00 and 08:00-12:00 overlap"#
        );
        assert_eq!(
            refusal(&office(&[("sun", &["00:00-24:00", "09:00-10:00"])], &[])),
            r#"calendar "office": hours.sun: periods 00:00-24:00 and 09:00-10:00 overlap"#
        );

        for bad in ["2026-02-30", "2026-2-03", "26-12-25", "2026/12/25", "", "+2026-12-25", "2026-13-01", "2026-12-25 "]
        {
            assert_eq!(
                refusal(&office(nine, &["2026-12-24", bad])),
                format!(r#"calendar "office": holidays[1] = {bad:?}: expected a local date "YYYY-MM-DD""#)
            );
        }
        assert!(Calendar::compile(&office(nine, &["2028-02-29", "0001-01-01", "9999-12-31"])).is_ok());
        assert_eq!(
            refusal(&office(nine, &["2026-12-25", "2026-12-26", "2026-12-25"])),
            r#"calendar "office": holidays[2] = "2026-12-25": duplicate of holidays[0]"#
        );

        let never = r#"calendar "office": never open: no day has opening hours and always_open is not set, so SLA deadlines on it would never arrive"#;
        assert_eq!(refusal(&office(&[], &[])), never);
        assert_eq!(refusal(&office(&[("mon", &[]), ("sat", &[])], &["2026-12-25"])), never);

        let error = Calendar::compile(&office(&[("mon", &["x"])], &[])).unwrap_err();
        assert_eq!(error.calendar(), "office");
        assert_eq!(
            error,
            CalendarError::BadPeriod {
                calendar: "office".to_owned(),
                day: "mon".to_owned(),
                index: 0,
                value: "x".to_owned(),
            }
        );
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        calendars: Vec<CalendarSpec>,
    }

    #[test]
    fn spec_reads_and_writes_toml_and_json() {
        let text = r#"
            [[calendars]]
            name = "office"
            utc_offset = "+01:00"
            holidays = ["2026-12-25", "2026-12-26"]
            [calendars.hours]
            mon = ["08:00-12:00", "13:00-17:00"]
            tue = ["08:00-17:00"]
            sat = ["10:00-14:00"]

            [[calendars]]
            name = "always"
            always_open = true
        "#;
        let config: Config = toml::from_str(text).unwrap();
        let office = &config.calendars[0];
        assert_eq!(office.utc_offset, "+01:00");
        assert_eq!(office.hours["mon"], ["08:00-12:00", "13:00-17:00"]);
        assert_eq!(office.holidays, [HolidaySpec::from("2026-12-25"), HolidaySpec::from("2026-12-26")]);
        let always = &config.calendars[1];
        assert_eq!(always, &CalendarSpec { name: "always".to_owned(), always_open: true, ..CalendarSpec::default() });
        assert_eq!(always.utc_offset, "Z");

        let office = Calendar::compile(office).unwrap();
        assert_eq!(office.name(), "office");
        assert_eq!(office.weekly_open_ms(), 21 * HOUR_MS);
        assert!(office.is_open(at("2026-11-28T09:00:00Z")));
        assert!(!office.is_open(at("2026-12-26T09:00:00Z")));
        assert_eq!(Calendar::compile(always).unwrap(), Calendar::always_open());

        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<Config>(&written).unwrap(), config);
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), config);
        assert!(json.contains(r#"{"name":"always","utc_offset":"Z","always_open":true}"#), "{json}");

        let unknown = toml::from_str::<Config>("[[calendars]]\nname = \"x\"\nopen = true\n");
        assert!(unknown.unwrap_err().to_string().contains("unknown field `open`"));
        let missing_name = serde_json::from_str::<CalendarSpec>(r#"{"always_open": true}"#);
        assert!(missing_name.unwrap_err().to_string().contains("missing field `name`"));
    }

    /// Local time as the oracle sees it: chrono's own fixed offsets and time zones.
    enum OracleZone {
        Fixed(FixedOffset),
        Zone(chrono_tz::Tz),
    }

    impl OracleZone {
        fn wall(&self, t: Timestamp) -> NaiveDateTime {
            let utc = DateTime::from_timestamp_millis(t.0).unwrap();
            match self {
                OracleZone::Fixed(o) => utc.with_timezone(o).naive_local(),
                OracleZone::Zone(z) => utc.with_timezone(z).naive_local(),
            }
        }

        /// The first instant whose wall clock shows `local` or later, from chrono's answer
        /// for that wall time: the earlier of two, or in a gap the first minute after it
        /// (every zone changes on a whole minute).
        fn resolve(&self, local: NaiveDateTime) -> i64 {
            let mut local = local;
            loop {
                let found = match self {
                    OracleZone::Fixed(o) => o.from_local_datetime(&local).earliest().map(|d| d.timestamp_millis()),
                    OracleZone::Zone(z) => z.from_local_datetime(&local).earliest().map(|d| d.timestamp_millis()),
                };
                if let Some(ms) = found {
                    return ms;
                }
                local += chrono::Duration::minutes(1);
            }
        }
    }

    /// An independent model of a spec: works out each candidate local day's periods as
    /// instants with chrono and checks whether an instant lies in one, minute by minute.
    struct Oracle {
        always_open: bool,
        zone: OracleZone,
        hours: [Vec<(u32, u32)>; 7],
        holidays: BTreeMap<NaiveDate, Vec<(u32, u32)>>,
    }

    impl Oracle {
        fn new(spec: &CalendarSpec) -> Oracle {
            let offset_s = if spec.utc_offset == "Z" {
                0
            } else {
                let sign = if spec.utc_offset.starts_with('-') { -1 } else { 1 };
                let hours: i32 = spec.utc_offset[1..3].parse().unwrap();
                let minutes: i32 = spec.utc_offset[4..6].parse().unwrap();
                sign * (hours * 3_600 + minutes * 60)
            };
            let minutes = |clock: &str| {
                let (hours, minutes) = clock.trim().split_once(':').unwrap();
                hours.parse::<u32>().unwrap() * 60 + minutes.parse::<u32>().unwrap()
            };
            let periods = |list: &[String]| -> Vec<(u32, u32)> {
                list.iter()
                    .map(|period| {
                        let (start, end) = period.split_once('-').unwrap();
                        (minutes(start), minutes(end))
                    })
                    .collect()
            };
            let mut hours: [Vec<(u32, u32)>; 7] = Default::default();
            for (day, list) in &spec.hours {
                hours[DAY_KEYS.iter().position(|key| key == day).unwrap()] = periods(list);
            }
            let zone = match &spec.time_zone {
                Some(name) => OracleZone::Zone(name.parse().unwrap()),
                None => OracleZone::Fixed(FixedOffset::east_opt(offset_s).unwrap()),
            };
            let holidays = spec
                .holidays
                .iter()
                .map(|h| {
                    let date = NaiveDate::parse_from_str(h.date(), "%Y-%m-%d").unwrap();
                    let open = match h {
                        HolidaySpec::Closed(_) => Vec::new(),
                        HolidaySpec::Hours(special) => periods(&special.hours),
                    };
                    (date, open)
                })
                .collect();
            Oracle { always_open: spec.always_open, zone, hours, holidays }
        }

        fn is_open(&self, t: Timestamp) -> bool {
            if self.always_open {
                return true;
            }
            let date = self.zone.wall(t).date();
            [date.pred_opt().unwrap(), date, date.succ_opt().unwrap()].into_iter().any(|day| {
                let periods =
                    self.holidays.get(&day).unwrap_or(&self.hours[day.weekday().num_days_from_monday() as usize]);
                periods.iter().any(|&(start, end)| {
                    let at = |minute: u32| {
                        self.zone
                            .resolve(day.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(i64::from(minute)))
                    };
                    at(start) <= t.0 && t.0 < at(end)
                })
            })
        }

        /// Open milliseconds in `[a, b)`, a UTC minute at a time: every boundary and
        /// offset is a whole number of minutes, so each minute is open or closed throughout.
        fn business_ms_between(&self, a: Timestamp, b: Timestamp) -> i64 {
            let mut total = 0;
            let mut t = a.0;
            while t < b.0 {
                let end = ((t.div_euclid(MINUTE_MS) + 1) * MINUTE_MS).min(b.0);
                if self.is_open(Timestamp(t)) {
                    total += end - t;
                }
                t = end;
            }
            total
        }
    }

    #[test]
    fn a_long_range_agrees_with_the_oracle() {
        let spec = weekdays_spec(
            "-03:30",
            &["00:00-02:00", "08:00-12:00", "13:00-17:30", "22:15-24:00"],
            &["2026-12-25", "2027-01-01", "2027-04-05", "2026-12-27", "2027-12-31", "2026-01-01"],
        );
        let c = Calendar::compile(&spec).unwrap();
        let oracle = Oracle::new(&spec);
        let a = at("2026-11-20T13:37:42.123Z");
        let b = a.plus_ms(400 * DAY_MS + 12_345);
        let expected = oracle.business_ms_between(a, b);
        assert_eq!(c.business_ms_between(a, b), expected);
        let due = c.add_business_ms(a, expected);
        assert!(due <= b && c.is_open(due.plus_ms(-1)));
        assert_eq!(oracle.business_ms_between(a, due), expected);
    }

    const QUARTER_MS: i64 = 15 * MINUTE_MS;

    /// The two test windows' first days: 60 days from each hold the spring changes (New
    /// York 8 March, Santiago 5 April, Europe 29 March, Lord Howe 5 April) and the autumn
    /// ones (Lord Howe 4 October, Santiago 6 September is before, Europe 25 October, New
    /// York 1 November).
    fn window_starts() -> [NaiveDate; 2] {
        [NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 9, 25).unwrap()]
    }

    fn quarter_clock(quarter: i64) -> String {
        format!("{:02}:{:02}", quarter / 4, quarter % 4 * 15)
    }

    /// Up to three periods on quarter-hour boundaries; sometimes the first is split into
    /// two touching periods listed in reverse order.
    fn arb_day() -> impl Strategy<Value = Vec<String>> {
        (proptest::collection::btree_set(0i64..=96, 0..=6), any::<bool>()).prop_map(|(quarters, split)| {
            let quarters: Vec<i64> = quarters.into_iter().collect();
            let mut periods: Vec<String> = Vec::new();
            for (index, pair) in quarters.chunks_exact(2).enumerate() {
                let (start, end) = (pair[0], pair[1]);
                if index == 0 && split && end - start >= 2 {
                    let middle = (start + end) / 2;
                    periods.push(format!("{}-{}", quarter_clock(middle), quarter_clock(end)));
                    periods.push(format!("{}-{}", quarter_clock(start), quarter_clock(middle)));
                } else {
                    periods.push(format!("{}-{}", quarter_clock(start), quarter_clock(end)));
                }
            }
            periods
        })
    }

    /// Time zones for random specs: summer time north and south, a half-hour change (Lord
    /// Howe), none (Kolkata), and a change at midnight (Santiago).
    const ZONES: [&str; 6] = [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Santiago",
        "Europe/London",
    ];

    /// Random valid specs: any weekly hours, offsets from -12:00 to +14:00 or one of
    /// [`ZONES`], holidays (some with special hours) in the test windows; one in ten is
    /// 24/7.
    fn arb_spec() -> impl Strategy<Value = CalendarSpec> {
        let holiday = (0u64..90, any::<bool>(), proptest::option::of(arb_day()));
        let with_hours = (
            proptest::array::uniform7(arb_day()),
            -48i64..=56,
            proptest::option::of(0..ZONES.len()),
            proptest::collection::vec(holiday, 0..8),
        )
            .prop_map(|(days, offset_quarters, zone, holiday_days)| {
                let mut hours: BTreeMap<String, Vec<String>> = DAY_KEYS
                    .iter()
                    .zip(days)
                    .filter(|(_, periods)| !periods.is_empty())
                    .map(|(day, periods)| ((*day).to_owned(), periods))
                    .collect();
                if hours.is_empty() {
                    hours.insert("wed".to_owned(), vec!["10:00-12:00".to_owned()]);
                }
                let utc_offset = if offset_quarters == 0 || zone.is_some() {
                    "Z".to_owned()
                } else {
                    let sign = if offset_quarters < 0 { '-' } else { '+' };
                    format!("{sign}{}", quarter_clock(offset_quarters.abs()))
                };
                let mut seen = std::collections::BTreeSet::new();
                let holidays = holiday_days
                    .into_iter()
                    .filter_map(|(day, autumn, special)| {
                        let first = if autumn { window_starts()[1] } else { window_starts()[0] };
                        let date = first.checked_add_days(Days::new(day)).unwrap().to_string();
                        let holiday = match special {
                            None => HolidaySpec::Closed(date.clone()),
                            Some(hours) => HolidaySpec::Hours(SpecialHoursSpec { date: date.clone(), hours }),
                        };
                        seen.insert(date).then_some(holiday)
                    })
                    .collect();
                CalendarSpec {
                    name: "random".to_owned(),
                    utc_offset,
                    time_zone: zone.map(|z| ZONES[z].to_owned()),
                    always_open: false,
                    holidays,
                    hours,
                }
            });
        let always = Just(CalendarSpec { name: "always".to_owned(), always_open: true, ..CalendarSpec::default() });
        prop_oneof![9 => with_hours, 1 => always]
    }

    /// Instants in the two 60-day windows, often within a millisecond of a quarter hour,
    /// where every period boundary lies.
    fn arb_instant() -> impl Strategy<Value = Timestamp> {
        let base = |autumn: bool| at(&format!("{}T00:00:00Z", window_starts()[usize::from(autumn)]));
        prop_oneof![
            (any::<bool>(), 0..60 * DAY_MS).prop_map(move |(autumn, offset_ms)| base(autumn).plus_ms(offset_ms)),
            (any::<bool>(), 0..60 * DAY_MS / QUARTER_MS, -1i64..=1)
                .prop_map(move |(autumn, quarter, nudge)| base(autumn).plus_ms(quarter * QUARTER_MS + nudge)),
        ]
    }

    fn arb_business_ms() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(0),
            1..=4 * HOUR_MS,
            (1..=40 * 4i64).prop_map(|quarters| quarters * QUARTER_MS),
            0..=30 * DAY_MS,
            0..=400 * DAY_MS,
        ]
    }

    fn compiled(spec: &CalendarSpec) -> Calendar {
        Calendar::compile(spec).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn is_open_agrees_with_the_oracle(spec in arb_spec(), t in arb_instant()) {
            prop_assert_eq!(compiled(&spec).is_open(t), Oracle::new(&spec).is_open(t));
        }

        #[test]
        fn business_ms_between_agrees_with_the_oracle(
            spec in arb_spec(),
            a in arb_instant(),
            len_ms in prop_oneof![0..=3 * DAY_MS, (0..=3 * 96i64).prop_map(|q| q * QUARTER_MS)],
        ) {
            let b = a.plus_ms(len_ms);
            prop_assert_eq!(
                compiled(&spec).business_ms_between(a, b),
                Oracle::new(&spec).business_ms_between(a, b)
            );
        }
    }

    proptest! {
        #[test]
        fn add_then_between_gives_back_the_target(
            spec in arb_spec(),
            start in arb_instant(),
            ms in arb_business_ms(),
        ) {
            let c = compiled(&spec);
            let due = c.add_business_ms(start, ms);
            prop_assert!(due >= start);
            prop_assert_eq!(c.business_ms_between(start, due), ms);
            if ms == 0 {
                prop_assert_eq!(due, start);
            } else {
                // The due instant ends the ms-th open millisecond: it is the earliest
                // instant with that much open time behind it.
                prop_assert!(c.is_open(due.plus_ms(-1)));
                prop_assert_eq!(c.business_ms_between(start, due.plus_ms(-1)), ms - 1);
                prop_assert!(due > c.next_open(start));
            }
        }

        #[test]
        fn add_is_monotone_in_start_and_target(
            spec in arb_spec(),
            start in arb_instant(),
            later_ms in prop_oneof![0..=2 * HOUR_MS, 0..=8 * DAY_MS],
            ms in arb_business_ms(),
            more_ms in arb_business_ms(),
        ) {
            let c = compiled(&spec);
            prop_assert!(c.add_business_ms(start, ms) <= c.add_business_ms(start, ms + more_ms));
            prop_assert!(c.add_business_ms(start, ms) <= c.add_business_ms(start.plus_ms(later_ms), ms));
        }

        #[test]
        fn splitting_a_target_never_moves_the_deadline(
            spec in arb_spec(),
            start in arb_instant(),
            a in arb_business_ms(),
            b in arb_business_ms(),
        ) {
            let c = compiled(&spec);
            prop_assert_eq!(
                c.add_business_ms(c.add_business_ms(start, a), b),
                c.add_business_ms(start, a + b)
            );
        }

        #[test]
        fn business_ms_between_is_additive(
            spec in arb_spec(),
            a in arb_instant(),
            first_ms in prop_oneof![0..=3 * DAY_MS, 0..=400 * DAY_MS],
            second_ms in prop_oneof![0..=3 * DAY_MS, 0..=400 * DAY_MS],
        ) {
            let c = compiled(&spec);
            let b = a.plus_ms(first_ms);
            let end = b.plus_ms(second_ms);
            prop_assert_eq!(
                c.business_ms_between(a, end),
                c.business_ms_between(a, b) + c.business_ms_between(b, end)
            );
            prop_assert!(c.business_ms_between(a, end) <= end.since(a));
            prop_assert_eq!(c.business_ms_between(end, a), 0);
        }

        #[test]
        fn next_open_is_the_first_open_instant(spec in arb_spec(), t in arb_instant()) {
            let c = compiled(&spec);
            let next = c.next_open(t);
            prop_assert!(next >= t);
            prop_assert!(c.is_open(next));
            prop_assert_eq!(c.business_ms_between(t, next), 0);
            prop_assert_eq!(next == t, c.is_open(t));
        }

        #[test]
        fn add_undoes_between_up_to_closed_time(
            spec in arb_spec(),
            start in arb_instant(),
            len_ms in prop_oneof![0..=3 * DAY_MS, 0..=100 * DAY_MS],
        ) {
            let c = compiled(&spec);
            let end = start.plus_ms(len_ms);
            let back = c.add_business_ms(start, c.business_ms_between(start, end));
            prop_assert!(back <= end);
            if len_ms == 0 || c.is_open(end.plus_ms(-1)) {
                prop_assert_eq!(back, end);
            }
        }

        #[test]
        fn always_open_adds_elapsed_time(start in any::<i64>(), ms in 0..=i64::MAX) {
            let c = Calendar::always_open();
            let start = Timestamp(start);
            prop_assert_eq!(c.add_business_ms(start, ms), start.plus_ms(ms));
        }
    }
}
