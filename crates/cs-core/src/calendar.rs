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
//! utc_offset = "+01:00"                     # fixed offset from UTC; default "Z"
//! holidays = ["2026-12-25", "2026-12-26"]   # local dates, closed all day
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
//! - **Local time is UTC plus a fixed offset.** `utc_offset = "+01:00"` means local
//!   09:00 is 08:00 UTC, all year round. Daylight-saving time is out of scope: a centre
//!   that follows DST needs one calendar per offset, switched by whoever builds the
//!   config.
//! - **Periods are half-open** `[start, end)` in local time: `"09:00-17:00"` is open at
//!   09:00:00.000 and closed at 17:00:00.000. `"24:00"` is allowed as an end and means the
//!   end of the local day, so `"00:00-24:00"` is a whole day. A weekday missing from
//!   `hours` (or given an empty list) is closed. Periods on one day may be listed in any
//!   order; periods that touch (`"08:00-12:00"`, `"12:00-13:00"`) are merged, and
//!   overlapping ones are refused. Open time runs on across midnight when one day's period
//!   ends at `24:00` and the next day's starts at `00:00`.
//! - **Holidays are whole local days**: from local 00:00 to the next local 00:00 the
//!   calendar is closed, whatever its hours say.
//! - **`always_open`** calendars are open at every instant; [`Calendar::always_open`]
//!   builds one without a spec.
//! - A calendar with no open time at all is refused at compile time, because deadlines
//!   measured on it would never arrive.
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
//! Queries walk period by period and day by day, and skip whole weeks at once using the
//! weekly open total and a prefix sum of the open time that holidays remove, both
//! computed at compile time. A query costs O(periods in a week + holidays crossed + log
//! holidays), independent of the length of the target. Results that would lie beyond the
//! range of [`Timestamp`] saturate at [`Timestamp::MAX`] (or [`i64::MAX`] milliseconds).

use std::collections::BTreeMap;

use chrono::NaiveDate;
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
    /// 18:00 either way. Defaults to `"Z"`.
    #[serde(default = "utc_offset_default")]
    pub utc_offset: String,
    /// Open at every instant. Then `hours` and `holidays` must be empty.
    #[serde(default, skip_serializing_if = "is_false")]
    pub always_open: bool,
    /// Local dates (`"YYYY-MM-DD"`) on which the calendar is closed all day; no
    /// duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Weekday (`mon` .. `sun`) to a list of local opening periods `"HH:MM-HH:MM"`. A
    /// missing day is closed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hours: BTreeMap<String, Vec<String>>,
}

impl Default for CalendarSpec {
    /// A spec with an empty name, offset `"Z"`, no hours and no holidays (which does not
    /// compile until it gets a name and some hours).
    fn default() -> CalendarSpec {
        CalendarSpec {
            name: String::new(),
            utc_offset: utc_offset_default(),
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
    /// A holiday is not a valid local date `"YYYY-MM-DD"`.
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
            | CalendarError::NeverOpen { calendar } => calendar,
        }
    }
}

/// One open period of a local day, `[start_ms, end_ms)` in milliseconds since local
/// midnight, with `0 <= start_ms < end_ms <= DAY_MS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start_ms: i64,
    end_ms: i64,
}

/// A validated business-hours calendar, ready to answer queries.
///
/// Build one with [`Calendar::compile`] or [`Calendar::always_open`]. All queries are
/// pure, exact to the millisecond and allocation-free; see the
/// [module documentation](self) for the conventions at period edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    utc_offset_ms: i64,
    always_open: bool,
    /// Open spans per weekday (Monday first), sorted, disjoint and not touching.
    week: [Vec<Span>; 7],
    /// Open milliseconds per weekday (Monday first).
    day_open_ms: [i64; 7],
    /// Open milliseconds in any seven consecutive days without holidays; always > 0.
    week_open_ms: i64,
    /// Holidays as local day numbers (days since 1970-01-01), sorted, distinct.
    holidays: Vec<i64>,
    /// `holiday_open_ms_prefix[i]` is the open time the first `i` holidays remove;
    /// one longer than `holidays`.
    holiday_open_ms_prefix: Vec<i64>,
}

impl Calendar {
    /// Validates a spec into a calendar, or says precisely what is wrong with it.
    ///
    /// Checks, in this order: the name, `utc_offset`, `always_open` against `hours` and
    /// `holidays`, the day keys, each day's periods (syntax, order, overlap), that some
    /// day is open, and the holidays (syntax, duplicates).
    pub fn compile(spec: &CalendarSpec) -> Result<Calendar, CalendarError> {
        let calendar = || spec.name.clone();
        if spec.name.trim().is_empty() {
            return Err(CalendarError::EmptyName { calendar: calendar() });
        }
        let utc_offset_ms = parse_utc_offset_ms(&spec.utc_offset)
            .ok_or_else(|| CalendarError::BadUtcOffset { calendar: calendar(), value: spec.utc_offset.clone() })?;
        if spec.always_open {
            if !spec.hours.is_empty() {
                return Err(CalendarError::AlwaysOpenWithHours { calendar: calendar() });
            }
            if !spec.holidays.is_empty() {
                return Err(CalendarError::AlwaysOpenWithHolidays { calendar: calendar() });
            }
            return Ok(Calendar::always_open_named(calendar(), utc_offset_ms));
        }

        if let Some(day) = spec.hours.keys().find(|key| !DAY_KEYS.contains(&key.as_str())) {
            return Err(CalendarError::UnknownDay { calendar: calendar(), day: day.clone() });
        }
        let mut week: [Vec<Span>; 7] = Default::default();
        for (spans, day) in week.iter_mut().zip(DAY_KEYS) {
            if let Some(periods) = spec.hours.get(day) {
                *spans = compile_day(&spec.name, day, periods)?;
            }
        }
        let day_open_ms = week.each_ref().map(|spans| spans.iter().map(Span::len_ms).sum());
        let week_open_ms: i64 = day_open_ms.iter().sum();
        if week_open_ms == 0 {
            return Err(CalendarError::NeverOpen { calendar: calendar() });
        }

        // Keyed by day so duplicates are found in input order and the days come out sorted.
        let mut holiday_index_by_day: BTreeMap<i64, usize> = BTreeMap::new();
        for (index, value) in spec.holidays.iter().enumerate() {
            let day = parse_local_day(value).ok_or_else(|| CalendarError::BadHoliday {
                calendar: calendar(),
                index,
                value: value.clone(),
            })?;
            if let Some(&first_index) = holiday_index_by_day.get(&day) {
                return Err(CalendarError::DuplicateHoliday {
                    calendar: calendar(),
                    index,
                    value: value.clone(),
                    first_index,
                });
            }
            holiday_index_by_day.insert(day, index);
        }
        let holidays: Vec<i64> = holiday_index_by_day.into_keys().collect();
        let mut holiday_open_ms_prefix = Vec::with_capacity(holidays.len() + 1);
        let mut removed_ms = 0;
        holiday_open_ms_prefix.push(removed_ms);
        for &day in &holidays {
            removed_ms += day_open_ms[weekday(day)];
            holiday_open_ms_prefix.push(removed_ms);
        }

        Ok(Calendar {
            name: spec.name.clone(),
            utc_offset_ms,
            always_open: false,
            week,
            day_open_ms,
            week_open_ms,
            holidays,
            holiday_open_ms_prefix,
        })
    }

    /// A 24/7 calendar named `"always"`: open at every instant, so business time is
    /// elapsed time. A natural default for SLA policies that name no calendar.
    pub fn always_open() -> Calendar {
        Calendar::always_open_named(ALWAYS_OPEN_NAME.to_owned(), 0)
    }

    fn always_open_named(name: String, utc_offset_ms: i64) -> Calendar {
        // The whole-day spans make the general algorithms correct for this calendar too;
        // the `always_open` flag only lets the queries take a shortcut.
        let full_day = Span { start_ms: 0, end_ms: DAY_MS };
        Calendar {
            name,
            utc_offset_ms,
            always_open: true,
            week: std::array::from_fn(|_| vec![full_day]),
            day_open_ms: [DAY_MS; 7],
            week_open_ms: WEEK_DAYS * DAY_MS,
            holidays: Vec::new(),
            holiday_open_ms_prefix: vec![0],
        }
    }

    /// The calendar's name, as given in its spec.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fixed offset of local time from UTC, in milliseconds (local = UTC + offset).
    pub fn utc_offset_ms(&self) -> i64 {
        self.utc_offset_ms
    }

    /// Whether the calendar is open at every instant.
    pub fn is_always_open(&self) -> bool {
        self.always_open
    }

    /// Open milliseconds in a week without holidays (`7 * DAY_MS` for 24/7); never 0.
    pub fn weekly_open_ms(&self) -> i64 {
        self.week_open_ms
    }

    /// Whether `t` is in open time. Periods include their start and exclude their end;
    /// holidays are closed all (local) day.
    pub fn is_open(&self, t: Timestamp) -> bool {
        if self.always_open {
            return true;
        }
        let (day, ms_of_day) = self.local_day_and_ms(t);
        self.spans(day).iter().any(|span| (span.start_ms..span.end_ms).contains(&ms_of_day))
    }

    /// `t` if it is open, else the start of the next open period (saturating at
    /// [`Timestamp::MAX`]).
    ///
    /// Counting business time from `t` effectively starts here:
    /// `business_ms_between(t, next_open(t)) == 0`.
    pub fn next_open(&self, t: Timestamp) -> Timestamp {
        if self.always_open {
            return t;
        }
        let (day, ms_of_day) = self.local_day_and_ms(t);
        if let Some(span) = self.spans(day).iter().find(|span| ms_of_day < span.end_ms) {
            return if span.start_ms <= ms_of_day { t } else { self.instant(day, span.start_ms) };
        }
        // Terminates: some weekday has open time, and there are finitely many holidays.
        let mut day = day + 1;
        loop {
            if let Some(span) = self.spans(day).first() {
                return self.instant(day, span.start_ms);
            }
            day += 1;
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
        if ms <= 0 {
            return start;
        }
        if self.always_open {
            return start.plus_ms(ms);
        }
        let (mut day, ms_of_day) = self.local_day_and_ms(start);
        let mut remaining_ms = ms;
        if let Some(due) = self.consume_day(day, ms_of_day, &mut remaining_ms) {
            return due;
        }
        day += 1;
        // Skip whole weeks while more than a week's open time remains. Skipping one week
        // fewer than `remaining_ms / week_open_ms` guarantees the deadline is not inside
        // the skipped range, even where holidays removed none of its open time.
        while remaining_ms > self.week_open_ms {
            let weeks = (remaining_ms - 1) / self.week_open_ms;
            let end_day = day + weeks * WEEK_DAYS;
            remaining_ms -= weeks * self.week_open_ms - self.holiday_open_ms(day, end_day);
            day = end_day;
        }
        // Terminates: every seven days without a holiday consume a whole week's open time.
        loop {
            if let Some(due) = self.consume_day(day, 0, &mut remaining_ms) {
                return due;
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
        let (day_a, ms_a) = self.local_day_and_ms(a);
        let (day_b, ms_b) = self.local_day_and_ms(b);
        if day_a == day_b {
            return self.open_ms_in_day(day_a, ms_a, ms_b);
        }
        let total = i128::from(self.open_ms_in_day(day_a, ms_a, DAY_MS))
            + self.open_ms_in_days(day_a + 1, day_b)
            + i128::from(self.open_ms_in_day(day_b, 0, ms_b));
        saturate(total)
    }

    /// The local day number (days since 1970-01-01 in local time) of `t` and the
    /// milliseconds since that local midnight.
    fn local_day_and_ms(&self, t: Timestamp) -> (i64, i64) {
        // i128 so that instants near the ends of the range cannot overflow.
        let local_ms = i128::from(t.0) + i128::from(self.utc_offset_ms);
        let day = local_ms.div_euclid(i128::from(DAY_MS));
        let ms_of_day = local_ms.rem_euclid(i128::from(DAY_MS));
        // |day| < 2^47 for any i64 instant, and 0 <= ms_of_day < DAY_MS.
        (day as i64, ms_of_day as i64)
    }

    /// The instant `ms_of_day` milliseconds after local midnight starting `day`,
    /// saturating at the ends of the timestamp range.
    fn instant(&self, day: i64, ms_of_day: i64) -> Timestamp {
        let utc_ms = i128::from(day) * i128::from(DAY_MS) + i128::from(ms_of_day) - i128::from(self.utc_offset_ms);
        Timestamp(saturate(utc_ms))
    }

    fn is_holiday(&self, day: i64) -> bool {
        self.holidays.binary_search(&day).is_ok()
    }

    /// The open spans of a local day: none on a holiday.
    fn spans(&self, day: i64) -> &[Span] {
        if self.is_holiday(day) { &[] } else { &self.week[weekday(day)] }
    }

    /// Open milliseconds of local `day` within `[from_ms, to_ms)` of that day.
    fn open_ms_in_day(&self, day: i64, from_ms: i64, to_ms: i64) -> i64 {
        self.spans(day).iter().map(|span| (span.end_ms.min(to_ms) - span.start_ms.max(from_ms)).max(0)).sum()
    }

    /// Open milliseconds of the whole local days `[first_day, end_day)`.
    fn open_ms_in_days(&self, first_day: i64, end_day: i64) -> i128 {
        if end_day <= first_day {
            return 0;
        }
        let weeks = (end_day - first_day) / WEEK_DAYS;
        let weeks_end_day = first_day + weeks * WEEK_DAYS;
        let mut total = i128::from(weeks) * i128::from(self.week_open_ms)
            - i128::from(self.holiday_open_ms(first_day, weeks_end_day));
        for day in weeks_end_day..end_day {
            if !self.is_holiday(day) {
                total += i128::from(self.day_open_ms[weekday(day)]);
            }
        }
        total
    }

    /// Open time that holidays remove from the local days `[first_day, end_day)`.
    fn holiday_open_ms(&self, first_day: i64, end_day: i64) -> i64 {
        let first = self.holidays.partition_point(|&day| day < first_day);
        let end = self.holidays.partition_point(|&day| day < end_day);
        self.holiday_open_ms_prefix[end] - self.holiday_open_ms_prefix[first]
    }

    /// Consumes the open time of local `day` from `from_ms` on, period by period. Returns
    /// the instant the last of `remaining_ms` ends if it ends on this day; otherwise
    /// subtracts the day's open time from `remaining_ms` and returns `None`.
    fn consume_day(&self, day: i64, from_ms: i64, remaining_ms: &mut i64) -> Option<Timestamp> {
        for span in self.spans(day) {
            if span.end_ms <= from_ms {
                continue;
            }
            let begin_ms = span.start_ms.max(from_ms);
            let available_ms = span.end_ms - begin_ms;
            if *remaining_ms <= available_ms {
                return Some(self.instant(day, begin_ms + *remaining_ms));
            }
            *remaining_ms -= available_ms;
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

/// Parses, checks, sorts and merges one day's periods.
fn compile_day(calendar: &str, day: &str, periods: &[String]) -> Result<Vec<Span>, CalendarError> {
    let mut parsed = Vec::with_capacity(periods.len());
    for (index, value) in periods.iter().enumerate() {
        let Some((start_ms, end_ms)) = parse_period(value) else {
            return Err(CalendarError::BadPeriod {
                calendar: calendar.to_owned(),
                day: day.to_owned(),
                index,
                value: value.clone(),
            });
        };
        if end_ms < start_ms {
            return Err(CalendarError::PeriodEndsBeforeStart {
                calendar: calendar.to_owned(),
                day: day.to_owned(),
                index,
                value: value.clone(),
            });
        }
        if end_ms == start_ms {
            return Err(CalendarError::EmptyPeriod {
                calendar: calendar.to_owned(),
                day: day.to_owned(),
                index,
                value: value.clone(),
            });
        }
        parsed.push(Span { start_ms, end_ms });
    }
    parsed.sort_by_key(|span| (span.start_ms, span.end_ms));
    // Sorted by start, so checking each period against the one before it finds any
    // overlap, and the message can quote both periods as written.
    for pair in parsed.windows(2) {
        if pair[1].start_ms < pair[0].end_ms {
            return Err(CalendarError::OverlappingPeriods {
                calendar: calendar.to_owned(),
                day: day.to_owned(),
                first: format_period(pair[0]),
                second: format_period(pair[1]),
            });
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
    use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDateTime, Timelike};
    use proptest::prelude::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse(rfc3339).unwrap()
    }

    fn spec(name: &str, utc_offset: &str, hours: &[(&str, &[&str])], holidays: &[&str]) -> CalendarSpec {
        CalendarSpec {
            name: name.to_owned(),
            utc_offset: utc_offset.to_owned(),
            always_open: false,
            holidays: holidays.iter().map(|date| (*date).to_owned()).collect(),
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
        assert_eq!(c.utc_offset_ms(), HOUR_MS);
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
        assert_eq!(c.utc_offset_ms(), -8 * HOUR_MS);
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
        assert_eq!(office.holidays, ["2026-12-25", "2026-12-26"]);
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

    /// An independent model of a spec: converts every instant with chrono and compares
    /// local dates and clock times with the spec's strings, minute by minute.
    struct Oracle {
        always_open: bool,
        offset: FixedOffset,
        hours: [Vec<(u32, u32)>; 7],
        holidays: Vec<NaiveDate>,
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
            let mut hours: [Vec<(u32, u32)>; 7] = Default::default();
            for (day, periods) in &spec.hours {
                let weekday = DAY_KEYS.iter().position(|key| key == day).unwrap();
                for period in periods {
                    let (start, end) = period.split_once('-').unwrap();
                    hours[weekday].push((minutes(start), minutes(end)));
                }
            }
            Oracle {
                always_open: spec.always_open,
                offset: FixedOffset::east_opt(offset_s).unwrap(),
                hours,
                holidays: spec
                    .holidays
                    .iter()
                    .map(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap())
                    .collect(),
            }
        }

        fn local(&self, t: Timestamp) -> NaiveDateTime {
            DateTime::from_timestamp_millis(t.0).unwrap().with_timezone(&self.offset).naive_local()
        }

        fn is_open(&self, t: Timestamp) -> bool {
            if self.always_open {
                return true;
            }
            let local = self.local(t);
            if self.holidays.contains(&local.date()) {
                return false;
            }
            let minute = local.hour() * 60 + local.minute();
            let weekday = local.weekday().num_days_from_monday() as usize;
            self.hours[weekday].iter().any(|&(start, end)| start <= minute && minute < end)
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

    fn window_start() -> Timestamp {
        at("2026-11-16T00:00:00Z")
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

    /// Random valid specs: any weekly hours, offsets from -12:00 to +14:00, holidays within
    /// the first 90 days of the test window; one in ten is 24/7.
    fn arb_spec() -> impl Strategy<Value = CalendarSpec> {
        let with_hours =
            (proptest::array::uniform7(arb_day()), -48i64..=56, proptest::collection::btree_set(0u64..90, 0..8))
                .prop_map(|(days, offset_quarters, holiday_days)| {
                    let mut hours: BTreeMap<String, Vec<String>> = DAY_KEYS
                        .iter()
                        .zip(days)
                        .filter(|(_, periods)| !periods.is_empty())
                        .map(|(day, periods)| ((*day).to_owned(), periods))
                        .collect();
                    if hours.is_empty() {
                        hours.insert("wed".to_owned(), vec!["10:00-12:00".to_owned()]);
                    }
                    let utc_offset = if offset_quarters == 0 {
                        "Z".to_owned()
                    } else {
                        let sign = if offset_quarters < 0 { '-' } else { '+' };
                        format!("{sign}{}", quarter_clock(offset_quarters.abs()))
                    };
                    let first = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
                    let holidays = holiday_days
                        .into_iter()
                        .map(|day| first.checked_add_days(Days::new(day)).unwrap().to_string())
                        .collect();
                    CalendarSpec { name: "random".to_owned(), utc_offset, always_open: false, holidays, hours }
                });
        let always = Just(CalendarSpec { name: "always".to_owned(), always_open: true, ..CalendarSpec::default() });
        prop_oneof![9 => with_hours, 1 => always]
    }

    /// Instants in a 60-day window, often within a millisecond of a quarter hour, where
    /// every period boundary lies.
    fn arb_instant() -> impl Strategy<Value = Timestamp> {
        let base = window_start();
        prop_oneof![
            (0..60 * DAY_MS).prop_map(move |offset_ms| base.plus_ms(offset_ms)),
            (0..60 * DAY_MS / QUARTER_MS, -1i64..=1)
                .prop_map(move |(quarter, nudge)| base.plus_ms(quarter * QUARTER_MS + nudge)),
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
