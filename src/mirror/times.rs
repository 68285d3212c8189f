//! Modification times kept across a mirror: a downloaded file gets the
//! server's time, an uploaded one the local file's time on the server.

use super::compare::{Precision, Stamp};
use crate::localfs::Beneath;
use crate::protocol::{Client, FileTime};
use crate::transfer::TransferError;

/// Gives the downloaded `local` the server's time for `remote`: the
/// listing's when it was exact (MLSD), else MDTM's, else the listing's
/// minute or day (LIST), which later runs compare at that precision.
///
/// MDTM's answer is `learned` when the download asked it before its RETR
/// (for the `.part`'s identity), else it is asked now. When it is newer
/// than the listing (taken before the download) showed, the file changed
/// since, and the bytes may be the older version's or a mix: the listing's
/// older time then makes the next run fetch it again, where MDTM's would
/// make it look current for good.
pub fn keep_download_time(
    client: &mut Client,
    remote: &str,
    local: &Beneath,
    listed: Option<Stamp>,
    learned: Option<FileTime>,
) -> Result<(), TransferError> {
    let time = match listed {
        Some(stamp) if stamp.precision == Precision::Exact => Some(stamp.time),
        // The download asked MDTM before its RETR (for the `.part`'s
        // identity): that answer does, and saves a round trip per file.
        _ => match learned.map(Ok).unwrap_or_else(|| client.mdtm(remote)) {
            Ok(time) => match listed {
                Some(stamp) if Stamp::exact(time.to_system_time()).newer_than(stamp) => Some(stamp.time),
                _ => Some(time.to_system_time()),
            },
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

/// What became of the time of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadTime {
    /// The server keeps it.
    Kept,
    /// The server can set no time (none of the ways is there).
    ServerCannot,
    /// The server refused it for this file, saying this.
    Refused(String),
}

/// Gives the uploaded `remote` the time `local` was listed with (`listed`;
/// its time now when unknown).
///
/// The listed time, not the file's time after the upload: a file rewritten
/// while it was sent would otherwise get its new time beside the old
/// bytes, and look the same as the local file to every later run. With the
/// older time, the next run sends it again.
pub fn keep_upload_time(
    client: &mut Client,
    local: &Beneath,
    remote: &str,
    listed: Option<Stamp>,
) -> Result<UploadTime, TransferError> {
    let modified = match listed {
        Some(stamp) => stamp.time,
        None => modified_now(local)?,
    };
    match client.set_modified(remote, FileTime::from_system_time(modified)) {
        Ok(true) => Ok(UploadTime::Kept),
        Ok(false) => Ok(UploadTime::ServerCannot),
        Err(e) if !client.is_connected() => Err(e.into()),
        // A refusal about this file (permissions): the next run sees its
        // time differ, and sends it again; nothing is lost.
        Err(e) => Ok(UploadTime::Refused(e.to_string())),
    }
}

/// The modification time `local` has now.
fn modified_now(local: &Beneath) -> Result<std::time::SystemTime, TransferError> {
    let shown = local.display_path();
    let read_error = |source| TransferError::Local { context: format!("cannot read {}", shown.display()), source };
    let (folder, name) = local.open_parent().map_err(read_error)?;
    folder.open_read(&name).and_then(|f| f.metadata()).and_then(|m| m.modified()).map_err(read_error)
}
