//! Directory listings: MLSD entries with their facts (RFC 3659 §7), LIST
//! lines in the Unix (`ls -l`) and DOS (IIS) styles, and the RFC 3659 §2.3
//! time-val used by MDTM and the `modify` fact.

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
    Some(MlsdEntry { name: name.to_string(), facts })
}

/// What a directory entry is, as far as a recursive transfer cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirEntryKind {
    /// A file to transfer.
    File,
    /// A folder to descend into.
    Dir,
    /// A symbolic link: never followed, so a tree cannot lead out of itself.
    Link,
    /// Anything else (devices, `.` and `..`, unknown types): skipped.
    Other,
}

/// One entry of a folder, from MLSD or a parsed LIST line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name, as the server sent it (not yet checked for safety).
    pub name: String,
    /// What it is.
    pub kind: DirEntryKind,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
    /// The server's identity for it (MLSD's `unique` fact): the same folder
    /// reached twice, through a link, has the same one.
    pub unique: Option<String>,
}

impl From<MlsdEntry> for DirEntry {
    fn from(entry: MlsdEntry) -> DirEntry {
        let kind = match entry.kind() {
            Some(EntryKind::File) => DirEntryKind::File,
            Some(EntryKind::Dir) => DirEntryKind::Dir,
            Some(EntryKind::Other(other)) if other.to_ascii_lowercase().contains("link") => DirEntryKind::Link,
            _ => DirEntryKind::Other,
        };
        let unique = entry.facts.get("unique").cloned();
        DirEntry { size: entry.size(), name: entry.name, kind, unique }
    }
}

/// Parses one LIST line in the Unix style (`-rw-r--r-- 1 u g 1234 Nov 26 03:47 name`)
/// or the DOS style (`11-26-26  03:47AM  <DIR>  name`). `None` for lines
/// that are neither, such as `total 12`.
pub fn parse_list_line(line: &str) -> Option<DirEntry> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    parse_unix_line(line).or_else(|| parse_dos_line(line))
}

/// The first `n` whitespace-separated fields of `line`, with where each ends.
fn fields(line: &str, n: usize) -> Vec<(&str, usize)> {
    let mut found = Vec::with_capacity(n);
    let mut at = 0;
    while found.len() < n {
        let rest = &line[at..];
        let Some(start) = rest.find(|c: char| c != ' ' && c != '\t') else {
            break;
        };
        let token = &rest[start..];
        let len = token.find([' ', '\t']).unwrap_or(token.len());
        at += start + len;
        found.push((&token[..len], at));
    }
    found
}

fn parse_unix_line(line: &str) -> Option<DirEntry> {
    let kind = match line.as_bytes().first()? {
        b'-' => DirEntryKind::File,
        b'd' => DirEntryKind::Dir,
        b'l' => DirEntryKind::Link,
        b'b' | b'c' | b'p' | b's' => DirEntryKind::Other,
        _ => return None,
    };
    // mode links owner [group] size month day time-or-year name: find the
    // month, since some servers leave out the group.
    let fields = fields(line, 9);
    if fields.first()?.0.len() < 10 {
        return None;
    }
    // The month is the field after a number (the size) and before a day and
    // a time or year: an owner or group named "jun" is not a month.
    let is_day = |f: &str| f.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d));
    let is_time_or_year = |f: &str| {
        (f.len() == 4 && f.bytes().all(|b| b.is_ascii_digit()))
            || f.split_once(':').is_some_and(|(h, m)| !h.is_empty() && h.len() <= 2 && m.len() == 2)
    };
    let month_at = (2..fields.len().saturating_sub(2)).rev().find(|&i| {
        is_month(fields[i].0)
            && fields[i - 1].0.bytes().all(|b| b.is_ascii_digit())
            && is_day(fields[i + 1].0)
            && is_time_or_year(fields[i + 2].0)
    })?;
    let (_, time_end) = *fields.get(month_at + 2)?;
    let size = fields[month_at - 1].0.parse().ok();
    // One space separates the time from the name, which may itself start
    // with spaces.
    let name = line.get(time_end + 1..)?;
    let name = match kind {
        DirEntryKind::Link => name.split(" -> ").next().unwrap_or(name),
        _ => name,
    };
    if name.is_empty() || name == "." || name == ".." {
        return None;
    }
    Some(DirEntry { name: name.to_string(), kind, size, unique: None })
}

fn is_month(field: &str) -> bool {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    MONTHS.contains(&field.to_ascii_lowercase().as_str())
}

fn parse_dos_line(line: &str) -> Option<DirEntry> {
    let fields = fields(line, 3);
    let [(date, _), (time, _), (size_or_dir, end)] = fields[..] else {
        return None;
    };
    let time = time.to_ascii_uppercase();
    let looks_like_date = date.len() >= 8 && date.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'/');
    let looks_like_time = time.contains(':') && (time.ends_with("AM") || time.ends_with("PM") || time.len() <= 5);
    let name = line.get(end..)?.trim_start_matches([' ', '\t']);
    if !looks_like_date || !looks_like_time || name.is_empty() {
        return None;
    }
    let (kind, size) = if size_or_dir.eq_ignore_ascii_case("<DIR>") {
        (DirEntryKind::Dir, None)
    } else {
        (DirEntryKind::File, Some(size_or_dir.replace(',', "").parse().ok()?))
    };
    Some(DirEntry { name: name.to_string(), kind, size, unique: None })
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
        let days = days_from_civil(i64::from(self.year), u32::from(self.month), u32::from(self.day));
        let seconds =
            days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
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
        let e = parse_mlsd_line("Type=file;Size=1024;Modify=20260102030405;Perm=r; my file.txt").unwrap();
        assert_eq!(e.name, "my file.txt");
        assert_eq!(e.kind(), Some(EntryKind::File));
        assert_eq!(e.size(), Some(1024));
        assert_eq!(e.modified().unwrap().to_string(), "2026-01-02 03:04:05 UTC");
        assert_eq!(e.facts["perm"], "r");

        let d = parse_mlsd_line("type=dir;modify=20200101000000; -dash dir").unwrap();
        assert_eq!((d.name.as_str(), d.kind()), ("-dash dir", Some(EntryKind::Dir)));
        assert_eq!(parse_mlsd_line("type=cdir; .").unwrap().kind(), Some(EntryKind::CurrentDir));
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
    fn unix_list_lines() {
        let entry = |line| parse_list_line(line).unwrap();
        let f = entry("-rw-r--r--    1 ftp      ftp          1234 Nov 26 03:47 my file.txt");
        assert_eq!((f.name.as_str(), f.kind, f.size), ("my file.txt", DirEntryKind::File, Some(1234)));
        let d = entry("drwxr-xr-x    2 0        0            4096 Jan  1  2024 sub dir");
        assert_eq!((d.name.as_str(), d.kind), ("sub dir", DirEntryKind::Dir));
        let l = entry("lrwxrwxrwx    1 u g 7 Mar 3 10:00 link -> /etc/passwd");
        assert_eq!((l.name.as_str(), l.kind), ("link", DirEntryKind::Link));
        let no_group = entry("-rw-r--r--   1 owner   42 Dec 31 23:59 -dash");
        assert_eq!((no_group.name.as_str(), no_group.size), ("-dash", Some(42)));
        let month_owner = entry("-rw-r--r-- 1 jun mar 1234 Nov 26 03:47 file");
        assert_eq!((month_owner.name.as_str(), month_owner.size), ("file", Some(1234)));
        let libunftp = entry("-rw-r--r--            1            0            0              6 Nov 26 03:35 a.txt");
        assert_eq!((libunftp.name.as_str(), libunftp.size), ("a.txt", Some(6)));
        assert_eq!(entry("-rw-r--r-- 1 u g 5 Nov 26 03:47  two spaces").name, " two spaces");
        assert_eq!(parse_list_line("total 12"), None);
        assert_eq!(parse_list_line("drwxr-xr-x 2 u g 4096 Nov 26 03:47 ."), None);
        assert_eq!(parse_list_line("drwxr-xr-x 2 u g 4096 Nov 26 03:47 .."), None);
    }

    #[test]
    fn dos_list_lines() {
        let d = parse_list_line("11-26-26  03:47AM       <DIR>          Program Files").unwrap();
        assert_eq!((d.name.as_str(), d.kind, d.size), ("Program Files", DirEntryKind::Dir, None));
        let f = parse_list_line("01-02-2024  11:05PM            1,234,567 report.pdf").unwrap();
        assert_eq!((f.name.as_str(), f.kind, f.size), ("report.pdf", DirEntryKind::File, Some(1_234_567)));
        assert_eq!(parse_list_line("garbage line here"), None);
    }

    #[test]
    fn mlsd_entries_become_dir_entries() {
        let link: DirEntry = parse_mlsd_line("type=OS.unix=slink:/etc;size=4; l").unwrap().into();
        assert_eq!(link.kind, DirEntryKind::Link);
        let file: DirEntry = parse_mlsd_line("type=file;size=9; f").unwrap().into();
        assert_eq!((file.kind, file.size), (DirEntryKind::File, Some(9)));
        let cdir: DirEntry = parse_mlsd_line("type=cdir; .").unwrap().into();
        assert_eq!(cdir.kind, DirEntryKind::Other);
    }

    #[test]
    fn time_vals() {
        let t = FileTime::parse("20261126031336.25").unwrap();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos),
            (2026, 11, 26, 3, 13, 36, 250_000_000)
        );
        assert_eq!(FileTime::parse("19700101000000").unwrap().to_system_time(), UNIX_EPOCH);
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
            let _ = parse_list_line(&text);
            if let Some(t) = FileTime::parse(&text) { let _ = t.to_system_time(); }
        }
    }
}
