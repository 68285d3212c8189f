//! Modification times as servers show them, with how precise each is, and
//! comparing them with local times within that precision.
//!
//! MLSD's `modify` fact and MDTM give a UTC time to the second or better
//! (RFC 3659 §2.3). A LIST line shows less: `Jan  5 12:34` (this year or
//! last, to the minute), `Jan  5  2024` (to the day), and in the server's
//! own time zone, which the client cannot know; the time is taken as shown.

use std::cmp::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::listing::{FileTime, days_from_civil};

/// How much of a time the server showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// To the second (MLSD, MDTM, `ls --full-time`); fractions are ignored
    /// when comparing, as many file systems and servers keep whole seconds.
    Exact,
    /// To the minute (`Jan  5 12:34`, DOS lines, `ls --time-style=long-iso`).
    Minute,
    /// To the day (`Jan  5  2024`).
    Day,
}

impl Precision {
    /// The precision's unit in seconds.
    fn seconds(self) -> i64 {
        match self {
            Precision::Exact => 1,
            Precision::Minute => 60,
            Precision::Day => 86_400,
        }
    }
}

/// A modification time and how precise it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedTime {
    /// The time, UTC as far as the server said (LIST lines: as shown).
    pub time: FileTime,
    /// What is known of it.
    pub precision: Precision,
}

impl ListedTime {
    /// A time known to the second, such as MLSD's `modify` or MDTM's answer.
    pub fn exact(time: FileTime) -> ListedTime {
        ListedTime { time, precision: Precision::Exact }
    }

    /// How this (remote) time compares with `local`, within the precision:
    /// both are cut to the same second, minute or day (UTC) first.
    /// `Greater` means the remote time is the newer.
    pub fn compare(&self, local: SystemTime) -> Ordering {
        let unit = self.precision.seconds();
        let remote = unix_seconds(self.time.to_system_time()).div_euclid(unit);
        remote.cmp(&unix_seconds(local).div_euclid(unit))
    }
}

/// Whether `local` and `remote` are the same time within the remote one's
/// precision: the same second, minute or day.
pub fn same_time(local: SystemTime, remote: &ListedTime) -> bool {
    remote.compare(local) == Ordering::Equal
}

/// Whether the remote time is newer than `local` beyond its precision (a
/// download under `--only-newer`).
pub fn remote_newer(local: SystemTime, remote: &ListedTime) -> bool {
    remote.compare(local) == Ordering::Greater
}

/// Whether `local` is newer than the remote time beyond its precision (an
/// upload under `--only-newer`).
pub fn local_newer(local: SystemTime, remote: &ListedTime) -> bool {
    remote.compare(local) == Ordering::Less
}

/// Whole seconds since the epoch, negative before it (rounded down).
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            if before.subsec_nanos() > 0 { -whole - 1 } else { -whole }
        }
    }
}

/// The civil date of a day counted from 1970-01-01: (year, month, day)
/// (the inverse of [`days_from_civil`], Howard Hinnant's algorithm).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// How many days `month` of `year` has.
pub(super) fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// The time of a LIST line that shows no year (`Jan  5 12:34`): the most
/// recent such time not more than a day after `now`, as `ls` shows the year
/// instead for anything older than about six months or in the future; the
/// day of slack covers the server's clock and time zone being ahead of ours.
/// Feb 29 goes back to the last leap year. `None` for a date no year has.
pub fn resolve_yearless(month: u8, day: u8, hour: u8, minute: u8, now: SystemTime) -> Option<FileTime> {
    let latest = now.checked_add(Duration::from_secs(86_400)).unwrap_or(now);
    let (this_year, _, _) = civil_from_days(unix_seconds(now).div_euclid(86_400));
    // Eight years back always reach a leap year, for Feb 29.
    (this_year - 8..=this_year + 1).rev().find_map(|year| {
        let time = civil_time(year, month, day, hour, minute, 0)?;
        (time.to_system_time() <= latest).then_some(time)
    })
}

/// A valid time in `year` (1970 to 9999), or `None`.
pub(super) fn civil_time(year: i64, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<FileTime> {
    let valid = (1970..=9999).contains(&year)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then_some(FileTime { year: year as u16, month, day, hour, minute, second, nanos: 0 })
}

/// The UTC time `seconds` after (or, negative, before) the epoch, clamped to
/// the years a [`FileTime`] holds.
pub(super) fn file_time_from_unix(seconds: i64, nanos: u32) -> FileTime {
    let seconds = seconds.clamp(0, days_from_civil(9999, 12, 31) * 86_400 + 86_399);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    FileTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: (of_day / 3600) as u8,
        minute: (of_day / 60 % 60) as u8,
        second: (of_day % 60) as u8,
        nanos,
    }
}

impl FileTime {
    /// The same instant as a `FileTime` (UTC); times before 1970 become
    /// 1970-01-01 00:00:00.
    pub fn from_system_time(time: SystemTime) -> FileTime {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => file_time_from_unix(i64::try_from(after.as_secs()).unwrap_or(i64::MAX), after.subsec_nanos()),
            Err(_) => file_time_from_unix(0, 0),
        }
    }

    /// The time-val `YYYYMMDDHHMMSS` (RFC 3659 §2.3), whole seconds, as MFMT
    /// and SITE UTIME take it.
    pub fn to_time_val(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second.min(59)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        FileTime::parse(text).unwrap().to_system_time()
    }

    fn listed(text: &str, precision: Precision) -> ListedTime {
        ListedTime { time: FileTime::parse(text).unwrap(), precision }
    }

    #[test]
    fn times_compare_within_their_precision() {
        let exact = listed("20250105123456", Precision::Exact);
        assert!(same_time(at("20250105123456.999"), &exact), "fractions are ignored");
        assert!(!same_time(at("20250105123457"), &exact));
        assert!(local_newer(at("20250105123457"), &exact) && remote_newer(at("20250105123455.9"), &exact));

        let minute = listed("20250105123400", Precision::Minute);
        assert!(same_time(at("20250105123459"), &minute) && same_time(at("20250105123400"), &minute));
        assert!(local_newer(at("20250105123500"), &minute) && remote_newer(at("20250105123359"), &minute));

        let day = listed("20250105000000", Precision::Day);
        assert!(same_time(at("20250105235959"), &day) && same_time(at("20250105000000"), &day));
        assert!(local_newer(at("20250106000000"), &day) && remote_newer(at("20250104235959"), &day));
        assert!(!local_newer(at("20250105235959"), &day) && !remote_newer(at("20250105000000"), &day));
    }

    #[test]
    fn times_before_the_epoch_compare_too() {
        let remote = listed("19700101000000", Precision::Exact);
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert!(local_newer(UNIX_EPOCH + Duration::from_secs(1), &remote));
        assert!(remote_newer(before, &remote), "half a second before the epoch is the second before");
    }

    #[test]
    fn year_less_times_are_the_most_recent_not_more_than_a_day_ahead() {
        let now = at("20260615120000");
        let resolve = |m, d, h, min| resolve_yearless(m, d, h, min, now).map(|t| t.to_time_val());
        assert_eq!(resolve(1, 5, 12, 34).as_deref(), Some("20260105123400"));
        assert_eq!(resolve(6, 15, 18, 0).as_deref(), Some("20260615180000"), "hours ahead: this year");
        assert_eq!(resolve(6, 16, 11, 59).as_deref(), Some("20260616115900"), "just under a day ahead");
        assert_eq!(resolve(6, 16, 12, 1).as_deref(), Some("20250616120100"), "more than a day ahead: last year");
        assert_eq!(resolve(12, 31, 23, 59).as_deref(), Some("20251231235900"));
        // On New Year's Eve a file from the first of January (a server ahead of us) is next year's.
        let eve = at("20261231230000");
        assert_eq!(resolve_yearless(1, 1, 10, 0, eve).unwrap().to_time_val(), "20270101100000");
        assert_eq!(resolve_yearless(2, 29, 8, 0, now).unwrap().to_time_val(), "20240229080000");
        assert_eq!(resolve_yearless(2, 29, 8, 0, at("20280301000000")).unwrap().year, 2028);
        assert_eq!(resolve_yearless(2, 30, 8, 0, now), None);
        assert_eq!(resolve_yearless(13, 1, 8, 0, now), None);
        assert_eq!(resolve_yearless(4, 31, 8, 0, now), None);
        let far = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 - 10);
        assert_eq!(resolve_yearless(1, 1, 0, 0, far), None, "no year past 9999, and no overflow");
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-1, 0, 59, 60, 365, 10_956, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn system_times_become_file_times() {
        let t = FileTime::from_system_time(UNIX_EPOCH + Duration::new(951_782_400 + 3723, 5));
        assert_eq!((t.to_time_val(), t.nanos), ("20000229010203".to_string(), 5));
        assert_eq!(FileTime::from_system_time(UNIX_EPOCH - Duration::from_secs(5)).to_time_val(), "19700101000000");
        let now = SystemTime::now();
        let back = FileTime::from_system_time(now).to_system_time();
        assert_eq!(back, now, "a round trip keeps the instant");
    }
}
