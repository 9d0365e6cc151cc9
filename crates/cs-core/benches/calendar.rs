//! Criterion benchmarks of business-hours calendar queries (issue 15, item 4: a deadline
//! must not cost time in proportion to the holidays it crosses).
//!
//! - `calendar/deadline_5k_holidays`: a 1-hour deadline counted from the first day of a
//!   run of 5,000 consecutive holidays on a Monday-to-Friday 09:00-17:00 calendar.
//! - `calendar/deadline_4k_weekday_holidays`: a 1-hour deadline on a calendar whose
//!   weekdays are nearly all holidays for 19 years (4,900 of them; one in fifty is left
//!   open), from the start.
//! - `calendar/deadline_no_holidays`: the same calendar without holidays, for comparison.
//! - `calendar/deadline_berlin`: an 8-hour deadline on an `Europe/Berlin` office calendar,
//!   across the spring change.
//! - `calendar/compile_berlin`: compiling that calendar (its zone's changes are read once).

use criterion::{Criterion, criterion_group, criterion_main};
use cs_core::Timestamp;
use cs_core::calendar::{Calendar, CalendarSpec};
use std::hint::black_box;

/// Monday 5 January 2026 plus `days`, as `YYYY-MM-DD` (proleptic Gregorian, by civil-date
/// arithmetic, so the bench needs no date crate).
fn date(days: i64) -> String {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = 20_458 + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn office(holidays: &[String], zone: Option<&str>) -> Calendar {
    let list: Vec<String> = holidays.iter().map(|h| format!("{h:?}")).collect();
    let zone = zone.map_or(String::new(), |z| format!("time_zone = {z:?}\n"));
    let text = format!(
        "name = \"office\"\n{zone}holidays = [{}]\n[hours]\nmon = [\"09:00-17:00\"]\ntue = [\"09:00-17:00\"]\n\
         wed = [\"09:00-17:00\"]\nthu = [\"09:00-17:00\"]\nfri = [\"09:00-17:00\"]\n",
        list.join(", ")
    );
    let spec: CalendarSpec = toml::from_str(&text).expect("spec parses");
    Calendar::compile(&spec).expect("calendar compiles")
}

const HOUR_MS: i64 = 3_600_000;

fn holidays(c: &mut Criterion) {
    let start = Timestamp::parse("2026-01-05T10:00:00Z").unwrap();
    let mut g = c.benchmark_group("calendar");
    let consecutive: Vec<String> = (0..5_000).map(date).collect();
    let cal = office(&consecutive, None);
    g.bench_function("deadline_5k_holidays", |b| b.iter(|| cal.add_business_ms(black_box(start), HOUR_MS)));
    // Weekdays only (day 0 is a Monday), all but one in fifty.
    let weekdays: Vec<String> = (0..7_000).filter(|d| d % 7 < 5 && d % 50 != 25).map(date).collect();
    let cal = office(&weekdays, None);
    g.bench_function("deadline_4k_weekday_holidays", |b| b.iter(|| cal.add_business_ms(black_box(start), HOUR_MS)));
    let cal = office(&[], None);
    g.bench_function("deadline_no_holidays", |b| b.iter(|| cal.add_business_ms(black_box(start), HOUR_MS)));
    g.finish();
}

fn berlin(c: &mut Criterion) {
    let mut g = c.benchmark_group("calendar");
    let friday = Timestamp::parse("2026-03-27T12:00:00Z").unwrap();
    let cal = office(&[], Some("Europe/Berlin"));
    g.bench_function("deadline_berlin", |b| b.iter(|| cal.add_business_ms(black_box(friday), 8 * HOUR_MS)));
    g.bench_function("compile_berlin", |b| b.iter(|| office(black_box(&[]), Some("Europe/Berlin"))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = holidays, berlin
}
criterion_main!(benches);
