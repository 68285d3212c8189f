//! Directory listings: MLSD entries with their facts (RFC 3659 §7) and the
//! RFC 3659 §2.3 time-val used by MDTM and the `modify` fact.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What kind of thing an MLSD entry names (the `type` fact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A plain file.
    File,
    /// A directory.
    Dir,
    /// The listed directory itself (`cdir`).
    CurrentDir,
    /// Its parent (`pdir`).
    ParentDir,
    /// Anything else, such as `OS.unix=symlink`, as the server wrote it.
    Other(String),
}

/// One line of an MLSD listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlsdEntry {
    /// The entry's name, exactly as sent (it may contain spaces).
    pub name: String,
    /// Every fact, keyed by its lower-cased name (`size`, `modify`, `perm`, …).
    pub facts: BTreeMap<String, String>,
}

impl MlsdEntry {
    /// The `type` fact, if the server sent one.
    pub fn kind(&self) -> Option<EntryKind> {
        let kind = self.facts.get("type")?;
        Some(match kind.to_ascii_lowercase().as_str() {
            "file" => EntryKind::File,
            "dir" => EntryKind::Dir,
            "cdir" => EntryKind::CurrentDir,
            "pdir" => EntryKind::ParentDir,
            _ => EntryKind::Other(kind.clone()),
        })
    }

    /// The `size` fact in bytes.
    pub fn size(&self) -> Option<u64> {
        self.facts.get("size")?.parse().ok()
    }

    /// The `modify` fact.
    pub fn modified(&self) -> Option<FileTime> {
        FileTime::parse(self.facts.get("modify")?)
    }
}

/// Parses one MLSD line: `fact=value;fact=value; name`.
///
/// The facts end at the first space; everything after it is the name. Returns
/// `None` for a line with no space or an empty name.
pub fn parse_mlsd_line(line: &str) -> Option<MlsdEntry> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (facts_text, name) = line.split_once(' ')?;
    if name.is_empty() {
        return None;
    }
    let facts = facts_text
        .split(';')
        .filter(|f| !f.is_empty())
        .filter_map(|fact| {
            let (key, value) = fact.split_once('=')?;
            Some((key.to_ascii_lowercase(), value.to_string()))
        })
        .collect();
    Some(MlsdEntry {
        name: name.to_string(),
        facts,
    })
}

/// A UTC time as FTP servers send it: `YYYYMMDDHHMMSS[.sss]` (RFC 3659 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileTime {
    /// Year, such as 2026.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 60 (a leap second is allowed).
    pub second: u8,
    /// Fraction of a second, in nanoseconds.
    pub nanos: u32,
}

impl FileTime {
    /// Parses a time-val; `None` when it is malformed or out of range.
    pub fn parse(text: &str) -> Option<FileTime> {
        let text = text.trim();
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let field = |range: std::ops::Range<usize>| whole[range].parse::<u16>().ok();
        let nanos = match fraction {
            None => 0,
            Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
                f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
            }
            Some(_) => return None,
        };
        let time = FileTime {
            year: field(0..4)?,
            month: field(4..6)? as u8,
            day: field(6..8)? as u8,
            hour: field(8..10)? as u8,
            minute: field(10..12)? as u8,
            second: field(12..14)? as u8,
            nanos,
        };
        let valid = (1..=12).contains(&time.month)
            && (1..=31).contains(&time.day)
            && time.hour < 24
            && time.minute < 60
            && time.second <= 60
            && time.year >= 1970;
        valid.then_some(time)
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let days = days_from_civil(
            i64::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        );
        let seconds = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        UNIX_EPOCH + Duration::new(seconds.max(0) as u64, self.nanos)
    }
}

impl fmt::Display for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil` algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlsd_lines() {
        let e = parse_mlsd_line("Type=file;Size=1024;Modify=20260102030405;Perm=r; my file.txt")
            .unwrap();
        assert_eq!(e.name, "my file.txt");
        assert_eq!(e.kind(), Some(EntryKind::File));
        assert_eq!(e.size(), Some(1024));
        assert_eq!(e.modified().unwrap().to_string(), "2026-01-02 03:04:05 UTC");
        assert_eq!(e.facts["perm"], "r");

        let d = parse_mlsd_line("type=dir;modify=20200101000000; -dash dir").unwrap();
        assert_eq!(
            (d.name.as_str(), d.kind()),
            ("-dash dir", Some(EntryKind::Dir))
        );
        assert_eq!(
            parse_mlsd_line("type=cdir; .").unwrap().kind(),
            Some(EntryKind::CurrentDir)
        );
        assert_eq!(
            parse_mlsd_line("type=OS.unix=symlink; l").unwrap().kind(),
            Some(EntryKind::Other("OS.unix=symlink".into()))
        );
        assert_eq!(parse_mlsd_line(" no-facts").unwrap().facts.len(), 0);
        assert_eq!(parse_mlsd_line("type=file;size=x; f").unwrap().size(), None);
        assert_eq!(parse_mlsd_line("nospace"), None);
        assert_eq!(parse_mlsd_line("type=file; "), None);
    }

    #[test]
    fn time_vals() {
        let t = FileTime::parse("20261126031336.25").unwrap();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos),
            (2026, 11, 26, 3, 13, 36, 250_000_000)
        );
        assert_eq!(
            FileTime::parse("19700101000000").unwrap().to_system_time(),
            UNIX_EPOCH
        );
        assert_eq!(
            FileTime::parse("20000301000000").unwrap().to_system_time(),
            UNIX_EPOCH + Duration::from_secs(951_868_800)
        );
        for bad in [
            "2026112603133",
            "20261326031336",
            "20261126241336",
            "2026112603133x",
            "20261126031336.",
            "20261126031336.1234567890",
            "",
        ] {
            assert_eq!(FileTime::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,40}") {
            let _ = parse_mlsd_line(&text);
            if let Some(t) = FileTime::parse(&text) { let _ = t.to_system_time(); }
        }
    }
}
