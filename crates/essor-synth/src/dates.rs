//! Dates as days since 1970-01-01, written `AAAA-MM-JJ` (Howard Hinnant's civil algorithms).

use crate::csvbuf::{digit, push_padded};

/// Days since 1970-01-01 of a civil date.
pub(crate) const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day.
pub(crate) const fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The state of the synthetic stock: the file published at the start of November 2026.
pub(crate) const SNAPSHOT: i64 = days_from_civil(2026, 10, 31);

pub(crate) fn year_of(day: i64) -> i64 {
    civil_from_days(day).0
}

/// Years the fast path writes: 1900 to 2027.
const FIRST_YEAR: i64 = 1900;
const YEARS: usize = 128;

/// Small tables (a few kilobytes, so they stay in the first-level cache): the first day of
/// each year, each year written, and `MM-JJ` for each day of a common and of a leap year.
struct Tables {
    year_start: [i64; YEARS + 1],
    year_text: [[u8; 4]; YEARS],
    month_day: [[[u8; 5]; 366]; 2],
}

static TABLES: std::sync::LazyLock<Tables> = std::sync::LazyLock::new(|| {
    let mut tables = Tables {
        year_start: [0; YEARS + 1],
        year_text: [[b'0'; 4]; YEARS],
        month_day: [[[b'0'; 5]; 366]; 2],
    };
    for (year, start) in (FIRST_YEAR..).zip(tables.year_start.iter_mut()) {
        *start = days_from_civil(year, 1, 1);
    }
    for (year, text) in (FIRST_YEAR..).zip(tables.year_text.iter_mut()) {
        let mut buf = Vec::with_capacity(4);
        push_padded(&mut buf, year.unsigned_abs(), 4);
        text.copy_from_slice(&buf);
    }
    // Month and day of each day of 2001 (common) and 2000 (leap).
    for (leap, year) in [(0, 2001), (1, 2000)] {
        let start = days_from_civil(year, 1, 1);
        let end = days_from_civil(year + 1, 1, 1);
        for (day, slot) in (start..end).zip(tables.month_day[leap].iter_mut()) {
            let mut buf = Vec::with_capacity(10);
            format_date(&mut buf, day);
            slot.copy_from_slice(&buf[5..10]);
        }
    }
    tables
});

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Writes `AAAA-MM-JJ`.
#[inline]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "indices and years checked against the tables' bounds"
)]
pub(crate) fn push_date(buf: &mut Vec<u8>, day: i64) {
    let t = &*TABLES;
    if day < t.year_start[0] || day >= t.year_start[YEARS] {
        format_date(buf, day);
        return;
    }
    let mut y = (((day - t.year_start[0]) * 400 / 146_097) as usize).min(YEARS - 1);
    while t.year_start[y + 1] <= day {
        y += 1;
    }
    while t.year_start[y] > day {
        y -= 1;
    }
    let doy = (day - t.year_start[y]) as usize;
    let leap = usize::from(is_leap(FIRST_YEAR + y as i64));
    buf.extend_from_slice(&t.year_text[y]);
    buf.push(b'-');
    buf.extend_from_slice(&t.month_day[leap][doy]);
}

#[allow(
    clippy::cast_sign_loss,
    reason = "every date of the stock is after year 0"
)]
fn format_date(buf: &mut Vec<u8>, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_padded(buf, y as u64, 4);
    buf.push(b'-');
    buf.extend_from_slice(&[b'0' + digit(m as u64 / 10), b'0' + digit(m as u64 % 10)]);
    buf.push(b'-');
    buf.extend_from_slice(&[b'0' + digit(d as u64 / 10), b'0' + digit(d as u64 % 10)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNKNOWN: i64 = days_from_civil(1900, 1, 1);

    #[test]
    fn the_fast_path_writes_every_day_as_the_slow_one() {
        for day in days_from_civil(1899, 12, 1)..days_from_civil(2028, 2, 1) {
            let mut fast = Vec::new();
            let mut slow = Vec::new();
            push_date(&mut fast, day);
            format_date(&mut slow, day);
            assert_eq!(fast, slow, "{day}");
        }
    }

    #[test]
    fn days_round_trip_and_are_written_as_insee_writes_them() {
        for day in [UNKNOWN, 0, 11_016, SNAPSHOT] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        let mut buf = Vec::new();
        push_date(&mut buf, UNKNOWN);
        buf.push(b' ');
        push_date(&mut buf, days_from_civil(2024, 3, 5));
        assert_eq!(buf, b"1900-01-01 2024-03-05");
        assert_eq!(year_of(SNAPSHOT), 2026);
    }
}
