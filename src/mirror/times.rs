//! Modification times kept across a mirror: a downloaded file gets the
//! server's time, an uploaded one the local file's time on the server.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::compare::{Precision, Stamp};
use crate::localfs::Beneath;
use crate::protocol::{self, Client, FileTime};
use crate::transfer::TransferError;

/// Gives the downloaded `local` the server's time for `remote`: the
/// listing's when it was exact (MLSD), else MDTM's, else the listing's
/// minute or day (LIST), which later runs compare at that precision.
pub fn keep_download_time(
    client: &mut Client,
    remote: &str,
    local: &Beneath,
    listed: Option<Stamp>,
) -> Result<(), TransferError> {
    let time = match listed {
        Some(stamp) if stamp.precision == Precision::Second => Some(stamp.time),
        _ => match client.mdtm(remote) {
            Ok(time) => Some(time.to_system_time()),
            Err(e) if !client.is_connected() => return Err(e.into()),
            Err(_) => listed.map(|s| s.time),
        },
    };
    let Some(time) = time else { return Ok(()) };
    local.set_modified(time).map_err(|source| TransferError::Local {
        context: format!("cannot set the time of {}", local.display_path().display()),
        source,
    })
}

/// Gives the uploaded `remote` the time of `local`; false when the server
/// cannot set times.
pub fn keep_upload_time(client: &mut Client, local: &Beneath, remote: &str) -> Result<bool, TransferError> {
    let shown = local.display_path();
    let read_error = |source| TransferError::Local { context: format!("cannot read {}", shown.display()), source };
    let (folder, name) = local.open_parent().map_err(read_error)?;
    let modified = folder.open_read(&name).and_then(|f| f.metadata()).and_then(|m| m.modified()).map_err(read_error)?;
    set_remote_time(client, remote, file_time(modified))
}

/// Sets a remote file's time with MFMT where the server announces it.
fn set_remote_time(client: &mut Client, remote: &str, time: FileTime) -> Result<bool, TransferError> {
    if !client.features().has("MFMT") {
        return Ok(false);
    }
    let stamp =
        format!("{:04}{:02}{:02}{:02}{:02}{:02}", time.year, time.month, time.day, time.hour, time.minute, time.second);
    let command = protocol::Command::with_arg("MFMT", &format!("{stamp} {remote}"))?;
    match client.void_command(&command) {
        Ok(_) => Ok(true),
        Err(e) if !client.is_connected() => Err(e.into()),
        Err(_) => Ok(false),
    }
}

/// The UTC calendar time of `time` (times before 1970 become 1970).
pub fn file_time(time: SystemTime) -> FileTime {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = since.as_secs();
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let in_day = seconds % 86_400;
    FileTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: (in_day / 3600) as u8,
        minute: (in_day % 3600 / 60) as u8,
        second: (in_day % 60) as u8,
        nanos: since.subsec_nanos(),
    }
}

/// The date of a day counted from 1970-01-01 (the inverse of the
/// Gregorian day count in `protocol::listing`; Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_times_round_trip() {
        for text in ["19700101000000", "20000229235959", "20261201225630", "21000301000000", "19991231235960"] {
            let time = FileTime::parse(text).unwrap();
            let back = file_time(time.to_system_time());
            // A leap second (60) is the next minute's first second.
            if time.second == 60 {
                assert_eq!((back.minute, back.second), ((time.minute + 1) % 60, 0));
            } else {
                assert_eq!(back, time, "{text}");
            }
        }
    }
}
