//! Directory listings: MLSD entries with their facts (RFC 3659 §7), LIST
//! lines in the Unix (`ls -l`) and DOS (IIS) styles, and the RFC 3659 §2.3
//! time-val used by MDTM and the `modify` fact.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::times::{ListedTime, Precision, civil_time, file_time_from_unix, resolve_yearless};

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
    /// Its modification time, UTC, from MLSD's `modify` fact (RFC 3659
    /// §7.5.3). `LIST` lines give none here: see `listed_time`.
    pub modified: Option<FileTime>,
    /// The time a `LIST` line shows, with its precision (to the minute or
    /// the day, and in the server's time zone, taken as UTC). `None` for
    /// MLSD entries, whose time is `modified`.
    pub listed_time: Option<ListedTime>,
}

impl DirEntry {
    /// The best time known: MLSD's exact `modify`, else the LIST time.
    pub fn time(&self) -> Option<ListedTime> {
        self.modified.map(ListedTime::exact).or(self.listed_time)
    }
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
        DirEntry { size: entry.size(), modified: entry.modified(), listed_time: None, name: entry.name, kind, unique }
    }
}

/// What one line of a folder listing turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListedLine {
    /// An entry of the folder.
    Entry(DirEntry),
    /// A line that names nothing: `total 12`, a blank line, `.` or `..`.
    NotAnEntry,
    /// A line in no format rftp understands, as the server sent it: callers
    /// that walk trees must not skip it in silence, since it may be a file.
    Unparsed(String),
}

/// Parses one LIST line in the Unix style (`-rw-r--r-- 1 u g 1234 Nov 26 03:47 name`)
/// or the DOS style (`11-26-26  03:47AM  <DIR>  name`). `None` for lines
/// that name no entry (such as `total 12`) and for lines in no known format;
/// [`classify_list_line`] tells these apart.
pub fn parse_list_line(line: &str) -> Option<DirEntry> {
    parse_list_line_at(line, SystemTime::now())
}

/// [`parse_list_line`], with `now` deciding the year of a year-less date.
pub fn parse_list_line_at(line: &str, now: SystemTime) -> Option<DirEntry> {
    match classify_list_line_at(line, now) {
        ListedLine::Entry(entry) => Some(entry),
        ListedLine::NotAnEntry | ListedLine::Unparsed(_) => None,
    }
}

/// Classifies one LIST line: an entry (Unix or DOS style, with English,
/// localized or ISO dates), a line that names nothing, or an unparsed line.
pub fn classify_list_line(line: &str) -> ListedLine {
    classify_list_line_at(line, SystemTime::now())
}

/// [`classify_list_line`], with `now` deciding the year of a year-less
/// date such as `Jan  5 12:34` ([`resolve_yearless`]).
pub fn classify_list_line_at(line: &str, now: SystemTime) -> ListedLine {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if let Some(entry) = parse_unix_line(line, now).or_else(|| parse_dos_line(line)) {
        if entry.name == "." || entry.name == ".." {
            return ListedLine::NotAnEntry;
        }
        return ListedLine::Entry(entry);
    }
    if line.trim().is_empty() || is_total_line(line) {
        return ListedLine::NotAnEntry;
    }
    ListedLine::Unparsed(line.to_string())
}

/// Classifies one MLSD line (RFC 3659 §7): its entry, or an unparsed line.
pub fn classify_mlsd_line(line: &str) -> ListedLine {
    match parse_mlsd_line(line) {
        // The folder itself and its parent, whatever name the server gives
        // them (`.`, its path, or its plain name, which reads as an entry).
        Some(entry) if matches!(entry.kind(), Some(EntryKind::CurrentDir | EntryKind::ParentDir)) => {
            ListedLine::NotAnEntry
        }
        Some(entry) => ListedLine::Entry(entry.into()),
        None if line.trim().is_empty() => ListedLine::NotAnEntry,
        None => ListedLine::Unparsed(line.strip_suffix('\r').unwrap_or(line).to_string()),
    }
}

/// `total 12` as `ls -l` starts its output, in any language (`insgesamt 12`),
/// with human-readable sizes too (`total 1.5M`).
fn is_total_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let (Some(word), Some(number), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    word.chars().all(char::is_alphabetic) && number.starts_with(|c: char| c.is_ascii_digit())
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

fn parse_unix_line(line: &str, now: SystemTime) -> Option<DirEntry> {
    let kind = match line.as_bytes().first()? {
        b'-' => DirEntryKind::File,
        b'd' => DirEntryKind::Dir,
        b'l' => DirEntryKind::Link,
        b'b' | b'c' | b'p' | b's' => DirEntryKind::Other,
        _ => return None,
    };
    // mode links owner [group] size date name: find the date, since some
    // servers leave out the group (or the links), and a date takes two to
    // four fields depending on its style.
    let fields = fields(line, 12);
    if fields.first()?.0.len() < 10 {
        return None;
    }
    // The date is the first fields after a number (the size) that read as a
    // date: an owner or group named "jun" is not a month, since a day and a
    // time must follow it, and a name that looks like a date comes later.
    let last_start = fields.len().saturating_sub(1).min(7);
    let (size_at, name_start) = (2..=last_start).find_map(|i| {
        if !fields[i - 1].0.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        date_end(line, &fields[i..]).map(|end| (i - 1, end))
    })?;
    let size = fields[size_at].0.parse().ok();
    let name = line.get(name_start..)?;
    let name = match kind {
        DirEntryKind::Link => name.split(" -> ").next().unwrap_or(name),
        _ => name,
    };
    if name.is_empty() {
        return None;
    }
    let date: Vec<&str> = fields[size_at + 1..].iter().take_while(|f| f.1 < name_start).map(|f| f.0).collect();
    let listed_time = unix_time(&date, now);
    Some(DirEntry { name: name.to_string(), kind, size, unique: None, modified: None, listed_time })
}

/// The time of a Unix-style line's date fields, in any form [`date_end`]
/// knows; `None` when they name no real time.
fn unix_time(date: &[&str], now: SystemTime) -> Option<ListedTime> {
    match *date {
        [month, day, time_or_year] if is_month(month) => {
            shown(month_number(month)?, day.parse().ok()?, time_or_year, now)
        }
        [date, time, zone] if is_iso_date(date) => iso_time(date, time, Some(zone)),
        [day, month, time_or_year] => {
            let day = day.strip_suffix('.').unwrap_or(day).parse().ok()?;
            shown(month_number(month)?, day, time_or_year, now)
        }
        [date, time] if is_iso_date(date) => iso_time(date, time, None),
        [month_day, time] => {
            let (month, day) = month_day.split_once('-')?;
            let (hour, minute) = clock(time)?;
            let time = resolve_yearless(month.parse().ok()?, day.parse().ok()?, hour, minute, now)?;
            Some(ListedTime { time, precision: Precision::Minute })
        }
        [date] => {
            let (year, month, day) = iso_date(date)?;
            Some(ListedTime { time: civil_time(year, month, day, 0, 0, 0)?, precision: Precision::Day })
        }
        _ => None,
    }
}

/// `Jan  5 12:34` (the most recent such time) or `Jan  5  2024` (a day).
fn shown(month: u8, day: u8, time_or_year: &str, now: SystemTime) -> Option<ListedTime> {
    if let Some((hour, minute)) = clock(time_or_year) {
        let time = resolve_yearless(month, day, hour, minute, now)?;
        return Some(ListedTime { time, precision: Precision::Minute });
    }
    let time = civil_time(time_or_year.parse().ok()?, month, day, 0, 0, 0)?;
    Some(ListedTime { time, precision: Precision::Day })
}

/// `12:34` or `2:05` as (hour, minute).
fn clock(text: &str) -> Option<(u8, u8)> {
    let (hour, minute) = text.split_once(':')?;
    Some((hour.parse().ok()?, minute.parse().ok()?))
}

/// `2025-01-01` as (year, month, day).
fn iso_date(text: &str) -> Option<(i64, u8, u8)> {
    let mut parts = text.split('-');
    let year = parts.next()?.parse().ok()?;
    Some((year, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// `2025-01-01 12:00` (to the minute) or `2025-01-01 12:00:59.123456789
/// +0100` (exact: with a zone, the time is turned into UTC).
fn iso_time(date: &str, time: &str, zone: Option<&str>) -> Option<ListedTime> {
    let (year, month, day) = iso_date(date)?;
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut parts = whole.split(':');
    let (hour, minute) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    let Some(second) = parts.next() else {
        return Some(ListedTime { time: civil_time(year, month, day, hour, minute, 0)?, precision: Precision::Minute });
    };
    let mut time = civil_time(year, month, day, hour, minute, second.parse().ok()?)?;
    let digits: String = fraction.chars().take(9).collect();
    time.nanos = if digits.is_empty() { 0 } else { digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32) };
    if let Some(zone) = zone {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes): (i64, i64) = (zone.get(1..3)?.parse().ok()?, zone.get(3..5)?.parse().ok()?);
        let seconds = time.to_system_time().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        time = file_time_from_unix(seconds - sign * (hours * 3600 + minutes * 60), time.nanos);
    }
    Some(ListedTime { time, precision: Precision::Exact })
}

/// Where the name starts when a date starts at `fields[0]`: `Nov 26 03:47`
/// or `Nov 26  2024` (English or localized month names), `26. Nov 03:47`
/// (day first, as German `ls` prints it), `2025-01-01 12:00` and
/// `2025-01-01 12:00:00.000000000 +0100` (`ls --time-style=long-iso` and
/// `full-iso`), or `11-26 03:47` and `2024-01-01  ` (`--time-style=iso`).
/// One space separates the date from the name, which may itself start with
/// spaces.
fn date_end(line: &str, fields: &[(&str, usize)]) -> Option<usize> {
    let text = |i: usize| fields.get(i).map(|f| f.0);
    let end = |i: usize| fields.get(i).map(|f| f.1 + 1);
    let (first, second, third) = (text(0)?, text(1), text(2));
    if is_month(first) && second.is_some_and(is_day) && third.is_some_and(is_time_or_year) {
        return end(2);
    }
    if is_day(first.strip_suffix('.').unwrap_or(first))
        && second.is_some_and(is_month)
        && third.is_some_and(is_time_or_year)
    {
        return end(2);
    }
    if is_iso_date(first) && second.is_some_and(is_time) {
        if third.is_some_and(is_zone) {
            return end(2);
        }
        return end(1);
    }
    if is_iso_month_day(first) && second.is_some_and(is_time) {
        return end(1);
    }
    if is_iso_date(first) {
        // `--time-style=iso` pads old dates to the width of recent ones.
        let after = fields[0].1;
        return line.get(after..)?.starts_with("  ").then_some(after + 2);
    }
    None
}

fn is_day(field: &str) -> bool {
    field.len() <= 2 && field.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}

fn is_digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

/// `03:47`, `3:47`, or a year such as `2024`.
fn is_time_or_year(field: &str) -> bool {
    is_digits(field, 4)
        || field.split_once(':').is_some_and(|(h, m)| (is_digits(h, 1) || is_digits(h, 2)) && is_digits(m, 2))
}

/// `12:00`, `12:00:59` or `12:00:59.123456789`.
fn is_time(field: &str) -> bool {
    let (whole, fraction) = field.split_once('.').unwrap_or((field, "0"));
    let mut parts = whole.split(':');
    let hour_minute = parts.next().is_some_and(|h| is_digits(h, 2)) && parts.next().is_some_and(|m| is_digits(m, 2));
    let second = parts.next().is_none_or(|s| is_digits(s, 2));
    hour_minute
        && second
        && parts.next().is_none()
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// `2025-01-01`.
fn is_iso_date(field: &str) -> bool {
    let mut parts = field.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(y), Some(m), Some(d), None) if is_digits(y, 4) && is_digits(m, 2) && is_digits(d, 2)
    )
}

/// `11-26`.
fn is_iso_month_day(field: &str) -> bool {
    field.split_once('-').is_some_and(|(m, d)| is_digits(m, 2) && is_digits(d, 2))
}

/// `+0100` or `-0500`.
fn is_zone(field: &str) -> bool {
    field.strip_prefix(['+', '-']).is_some_and(|z| is_digits(z, 4))
}

/// A month's abbreviated name as `ls` prints it in English and the common
/// European languages (glibc's `abmon`, with or without a trailing dot), or
/// `11月`/`11월` (Chinese, Japanese, Korean).
fn is_month(field: &str) -> bool {
    month_number(field).is_some()
}

/// The month (1 to 12) a name of [`is_month`] stands for.
fn month_number(field: &str) -> Option<u8> {
    // Each month's names: English, German, Dutch, Scandinavian, Portuguese,
    // French, Spanish, Italian, Polish, Czech, Finnish, Russian, Turkish.
    const MONTHS: [&[&str]; 12] = [
        &["jan", "janv", "ene", "gen", "sty", "led", "tammi", "янв", "oca"],
        &["feb", "fev", "févr", "fév", "lut", "úno", "helmi", "фев", "şub"],
        &["mar", "mär", "mrz", "mrt", "mars", "bře", "maalis", "мар"],
        &["apr", "avr", "abr", "kwi", "dub", "huhti", "апр", "nis"],
        &["may", "mai", "mei", "maj", "mag", "kvě", "touko", "май", "мая"],
        &["jun", "juin", "giu", "cze", "čvn", "kesä", "июн", "haz"],
        &["jul", "juil", "lug", "lip", "čvc", "heinä", "июл", "tem"],
        &["aug", "août", "aoû", "ago", "sie", "srp", "elo", "авг", "ağu"],
        &["sep", "set", "sept", "wrz", "zář", "syys", "сен", "eyl"],
        &["oct", "okt", "out", "ott", "paź", "říj", "loka", "окт", "eki"],
        &["nov", "lis", "marras", "ноя", "kas"],
        &["dec", "dez", "déc", "dic", "gru", "pro", "joulu", "дек", "ara"],
    ];
    let lower = field.to_lowercase();
    let word = lower.strip_suffix('.').unwrap_or(&lower);
    if let Some(index) = MONTHS.iter().position(|names| names.contains(&word)) {
        return Some(index as u8 + 1);
    }
    let number = word.strip_suffix('月').or_else(|| word.strip_suffix('월'))?;
    number.parse::<u8>().ok().filter(|m| (1..=12).contains(m))
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
    let listed_time = dos_time(date, &time);
    Some(DirEntry { name: name.to_string(), kind, size, unique: None, modified: None, listed_time })
}

/// `01-05-24` or `01/05/2024` (month first, as IIS shows it) or
/// `2024-01-05`, and `12:34PM` or `12:34`: a time to the minute. Two-digit
/// years are 1970 to 2069.
fn dos_time(date: &str, time: &str) -> Option<ListedTime> {
    let parts: Vec<&str> = date.split(['-', '/']).collect();
    let (year, month, day) = match parts[..] {
        [year, month, day] if year.len() == 4 => (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?),
        [month, day, year] => {
            let year: i64 = year.parse().ok()?;
            let year = match (year, parts[2].len()) {
                (y, 2) if y >= 70 => 1900 + y,
                (y, 2) => 2000 + y,
                (y, _) => y,
            };
            (year, month.parse().ok()?, day.parse().ok()?)
        }
        _ => return None,
    };
    let (clock_text, afternoon) = match time.strip_suffix("AM") {
        Some(clock_text) => (clock_text, Some(false)),
        None => match time.strip_suffix("PM") {
            Some(clock_text) => (clock_text, Some(true)),
            None => (time, None),
        },
    };
    let (hour, minute) = clock(clock_text)?;
    let hour = match afternoon {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    Some(ListedTime { time: civil_time(year, month, day, hour, minute, 0)?, precision: Precision::Minute })
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
pub(super) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
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
    fn iso_dates() {
        let entry = |line| parse_list_line(line).unwrap();
        let long_iso = entry("-rw-r--r-- 1 user group 1234 2025-01-01 12:00 report 2024.pdf");
        assert_eq!((long_iso.name.as_str(), long_iso.size), ("report 2024.pdf", Some(1234)));
        let dir = entry("drwxr-xr-x 2 user group 4096 2025-01-01 12:00 photos");
        assert_eq!((dir.name.as_str(), dir.kind), ("photos", DirEntryKind::Dir));
        let full_iso = entry("-rw-r--r-- 1 u g 7 2025-01-01 12:00:59.123456789 +0100 a b");
        assert_eq!((full_iso.name.as_str(), full_iso.size), ("a b", Some(7)));
        let seconds = entry("-rw-r--r-- 1 u g 7 2025-01-01 12:00:59 c");
        assert_eq!(seconds.name, "c");
        let recent_iso = entry("-rw-r--r-- 1 u g 8 11-26 03:47 recent");
        assert_eq!((recent_iso.name.as_str(), recent_iso.size), ("recent", Some(8)));
        let old_iso = entry("-rw-r--r-- 1 u g 9 2024-01-01  old");
        assert_eq!((old_iso.name.as_str(), old_iso.size), ("old", Some(9)));
        let no_group = entry("-rw-r--r-- 1 owner 42 2025-03-04 05:06 x");
        assert_eq!((no_group.name.as_str(), no_group.size), ("x", Some(42)));
        let dos_iso = entry("2025-01-01  12:00       <DIR>          Program Files");
        assert_eq!((dos_iso.name.as_str(), dos_iso.kind), ("Program Files", DirEntryKind::Dir));
    }

    #[test]
    fn localized_month_names() {
        let parsed = |line| {
            let e = parse_list_line(line).unwrap_or_else(|| panic!("{line}"));
            (e.name, e.size)
        };
        let expect = |name: &str, size| (name.to_string(), Some(size));
        // German, month first and day first (`ls -l` in de_DE).
        assert_eq!(parsed("-rw-r--r-- 1 u g 10 Mär 3 10:00 märz.txt"), expect("märz.txt", 10));
        assert_eq!(parsed("-rw-r--r-- 1 u g 11 Okt 12  2024 okt"), expect("okt", 11));
        assert_eq!(parsed("-rw-r--r-- 1 u g 12 24. Dez 18:00 heiligabend"), expect("heiligabend", 12));
        assert_eq!(parsed("drwxr-xr-x 2 u g 4096 1. Mai 2023 mai ordner"), expect("mai ordner", 4096));
        // French, with the dots of the abbreviations.
        assert_eq!(parsed("-rw-r--r-- 1 u g 13 janv. 5 09:30 a"), expect("a", 13));
        assert_eq!(parsed("-rw-r--r-- 1 u g 14 févr. 28  2023 b"), expect("b", 14));
        assert_eq!(parsed("-rw-r--r-- 1 u g 15 5 août 09:30 c"), expect("c", 15));
        assert_eq!(parsed("-rw-r--r-- 1 u g 16 déc. 31 23:59 d"), expect("d", 16));
        // Spanish, Italian, Dutch, Portuguese, Polish, Russian, Japanese.
        assert_eq!(parsed("-rw-r--r-- 1 u g 17 ene 2 10:00 e"), expect("e", 17));
        assert_eq!(parsed("-rw-r--r-- 1 u g 18 dic 2 10:00 f"), expect("f", 18));
        assert_eq!(parsed("-rw-r--r-- 1 u g 19 ott 2 10:00 g"), expect("g", 19));
        assert_eq!(parsed("-rw-r--r-- 1 u g 20 mrt 2 10:00 h"), expect("h", 20));
        assert_eq!(parsed("-rw-r--r-- 1 u g 21 out 2 10:00 i"), expect("i", 21));
        assert_eq!(parsed("-rw-r--r-- 1 u g 22 paź 2 10:00 j"), expect("j", 22));
        assert_eq!(parsed("-rw-r--r-- 1 u g 23 окт 2 10:00 k"), expect("k", 23));
        assert_eq!(parsed("-rw-r--r-- 1 u g 24 11月 26 03:47 l"), expect("l", 24));
    }

    #[test]
    fn lines_are_entries_non_entries_or_unparsed() {
        assert!(matches!(classify_list_line("-rw-r--r-- 1 u g 5 Nov 26 03:47 f"), ListedLine::Entry(_)));
        for nothing in ["total 12", "insgesamt 1234", "total 1.5M", "", "  \r", "drwxr-xr-x 2 u g 4096 Nov 26 03:47 ."]
        {
            assert_eq!(classify_list_line(nothing), ListedLine::NotAnEntry, "{nothing:?}");
        }
        for odd in [
            "-rw-r--r-- 1 u g 5 Smarch 26 03:47 f",
            "just a name.txt",
            "-rw-r--r-- 1 u g 5 Nov 26 03:47",
            "total 12 files",
        ] {
            assert_eq!(classify_list_line(&format!("{odd}\r")), ListedLine::Unparsed(odd.to_string()), "{odd:?}");
        }
        assert!(matches!(classify_mlsd_line("type=file;size=1; f"), ListedLine::Entry(_)));
        assert_eq!(classify_mlsd_line(""), ListedLine::NotAnEntry);
        assert_eq!(classify_mlsd_line("nospace"), ListedLine::Unparsed("nospace".into()));
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
        let dated: DirEntry = parse_mlsd_line("type=file;modify=20250102030405.5; f").unwrap().into();
        assert_eq!(dated.modified, FileTime::parse("20250102030405.5"));
        assert_eq!(file.modified, None);
        let listed = parse_list_line("-rw-r--r-- 1 u g 9 Jan  2 03:04 f").unwrap();
        assert_eq!(listed.modified, None, "LIST times are local");
        assert_eq!(listed.time().map(|t| t.precision), Some(Precision::Minute));
        assert_eq!(dated.time(), Some(ListedTime::exact(FileTime::parse("20250102030405.5").unwrap())));
    }

    /// The time and precision a LIST line shows, seen on 2026-06-15 12:00 UTC.
    fn shown_time(line: &str) -> Option<(String, Precision)> {
        let now = FileTime::parse("20260615120000").unwrap().to_system_time();
        let entry = parse_list_line_at(line, now).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(entry.modified, None);
        entry.listed_time.map(|t| (format!("{}.{:09}", t.time.to_time_val(), t.time.nanos), t.precision))
    }

    fn expect(time_val: &str, precision: Precision) -> Option<(String, Precision)> {
        Some((format!("{time_val}.000000000"), precision))
    }

    #[test]
    fn unix_list_times() {
        use Precision::*;
        let t = shown_time;
        assert_eq!(t("-rw-r--r-- 1 u g 5 Jan  5 12:34 f"), expect("20260105123400", Minute));
        assert_eq!(
            t("-rw-r--r-- 1 u g 5 Dec 31 23:59 f"),
            expect("20251231235900", Minute),
            "a year-less date ahead is last year's"
        );
        assert_eq!(t("-rw-r--r-- 1 u g 5 Jun 16 11:00 f"), expect("20260616110000", Minute), "less than a day ahead");
        assert_eq!(t("-rw-r--r-- 1 u g 5 Feb 29 08:00 leap"), expect("20240229080000", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 5 Jan  5  2024 f"), expect("20240105000000", Day));
        assert_eq!(t("-rw-r--r-- 1 u g 5 Mar 3 9:05 f"), expect("20260303090500", Minute));
        assert_eq!(t("lrwxrwxrwx 1 u g 7 Mar 3 10:00 link -> /etc/passwd"), expect("20260303100000", Minute));
        assert_eq!(t("drwxr-xr-x 2 0 0 4096 Nov 26  1999 old"), expect("19991126000000", Day));
        assert_eq!(t("-rw-r--r--   1 owner   42 Dec 31 23:59 -dash"), expect("20251231235900", Minute));
        assert_eq!(t("-rw-r--r-- 1 jun mar 1234 Nov 26 03:47 file"), expect("20251126034700", Minute));
        // A date no calendar has: the entry stays, without a time.
        assert_eq!(t("-rw-r--r-- 1 u g 5 Feb 30 08:00 f"), None);
        assert_eq!(t("-rw-r--r-- 1 u g 5 Jan 5 25:00 f"), None);
        assert_eq!(t("-rw-r--r-- 1 u g 5 Apr 31  2024 f"), None);
    }

    #[test]
    fn localized_and_iso_list_times() {
        use Precision::*;
        let t = shown_time;
        assert_eq!(t("-rw-r--r-- 1 u g 10 Mär 3 10:00 m"), expect("20260303100000", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 12 24. Dez 18:00 h"), expect("20251224180000", Minute));
        assert_eq!(t("drwxr-xr-x 2 u g 4096 1. Mai 2023 d"), expect("20230501000000", Day));
        assert_eq!(t("-rw-r--r-- 1 u g 13 janv. 5 09:30 a"), expect("20260105093000", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 15 5 août 09:30 c"), expect("20250805093000", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 23 окт 2 10:00 k"), expect("20251002100000", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 24 11月 26 03:47 l"), expect("20251126034700", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 22 paź 2  2020 j"), expect("20201002000000", Day));
        assert_eq!(t("-rw-r--r-- 1 u g 7 2025-01-01 12:00 a b"), expect("20250101120000", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 7 2025-01-01 12:00:59 c"), expect("20250101120059", Exact));
        assert_eq!(
            t("-rw-r--r-- 1 u g 7 2025-01-01 12:00:59.123456789 +0100 a b"),
            Some(("20250101110059.123456789".into(), Exact)),
            "full-iso carries its zone: UTC is an hour earlier"
        );
        assert_eq!(
            t("-rw-r--r-- 1 u g 7 2024-12-31 22:30:00.5 -0200 z"),
            Some(("20250101003000.500000000".into(), Exact))
        );
        assert_eq!(t("-rw-r--r-- 1 u g 8 11-26 03:47 recent"), expect("20251126034700", Minute));
        assert_eq!(t("-rw-r--r-- 1 u g 9 2024-01-01  old"), expect("20240101000000", Day));
    }

    #[test]
    fn dos_list_times() {
        use Precision::*;
        let t = shown_time;
        assert_eq!(t("01-05-24  12:34PM       <DIR>          d"), expect("20240105123400", Minute));
        assert_eq!(t("01-05-24  12:34AM                 5 f"), expect("20240105003400", Minute));
        assert_eq!(t("11-26-99  03:47AM                 5 f"), expect("19991126034700", Minute));
        assert_eq!(t("01-02-2024  11:05PM            1,234 f"), expect("20240102230500", Minute));
        assert_eq!(t("2025-01-01  12:00       <DIR>          Program Files"), expect("20250101120000", Minute));
        assert_eq!(t("01/05/24  07:00                  5 f"), expect("20240105070000", Minute));
        assert_eq!(t("13-05-24  12:34PM                 5 f"), None, "no 13th month");
        assert_eq!(t("01-05-24  13:34PM                 5 f"), None, "no 13 PM");
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
            let _ = classify_list_line(&text);
            let _ = classify_mlsd_line(&text);
            if let Some(t) = FileTime::parse(&text) { let _ = t.to_system_time(); }
        }

        #[test]
        fn unix_dates_never_panic(rest in "[0-9a-zA-Zäéû月:.+\\- ]{0,40}") {
            let _ = classify_list_line(&format!("-rw-r--r-- 1 u g 5 {rest}"));
            let _ = classify_list_line(&format!("drwxr-xr-x 1 5 {rest}"));
            let _ = classify_list_line(&format!("{rest} 5 f"));
        }
    }
}
