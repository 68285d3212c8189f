//! Zero-copy data paths on Linux: `sendfile` from a file to the data socket
//! (uploads) and `splice` from the data socket through a pipe into a file
//! (downloads), so the bytes never pass through user space. Elsewhere, and
//! when the kernel refuses, callers fall back to copying through a buffer.
//! [`Copier`] copies with the same waits as sendfile, for servers on this
//! machine, where copying is faster.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::{OFlag, SpliceFFlags, splice};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::sendfile::sendfile;
use nix::unistd::pipe2;

use super::wait::Deadline;

/// How much one splice may move: a pipe holds 64 KiB unless enlarged.
const CHUNK: usize = 64 * 1024;

/// How much one sendfile may move. The socket is non-blocking, so a call
/// ends anyway once the socket's send buffer is full (at most 4 MiB by
/// Linux's default `tcp_wmem`); a larger step only saves calls. Measured
/// with 512 MiB uploads to vsftpd and pyftpdlib on loopback: 4 MiB took a
/// fifth less CPU than 64 KiB, in the same time.
pub(crate) const SEND_STEP: usize = 4 * 1024 * 1024;

/// How much one write of a [`Copier`] sends: what the server's one read
/// takes, so each of its reads finds one whole write waiting. Measured with
/// 512 MiB uploads to pyftpdlib on loopback (the server's own time, 20
/// runs each): 64 KiB took 0.333 s, like lftp's 64 KiB writes; 128 KiB
/// 0.352 s and 1 MiB 0.388 s.
pub(crate) const COPY_STEP: usize = 64 * 1024;

/// Sends up to [`SEND_STEP`] bytes of `file` (from its current position) to
/// `socket`; 0 at the end of the file. A `TimedOut` error once `deadline`
/// passed with no room in the socket for a single byte.
///
/// Give it a non-blocking socket: a blocking sendfile waits once for every
/// page it moves, each time with the socket's whole send timeout, so one
/// call to a server that reads a page now and then (or whose buffers free
/// some room now and then) outlasts the timeout many times over. Here the
/// only wait is `poll`, and it ends at the deadline.
pub(crate) fn send_chunk(socket: &TcpStream, file: &File, deadline: Deadline) -> io::Result<usize> {
    loop {
        match sendfile(socket, file, None, SEND_STEP) {
            Ok(n) => return Ok(n),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => wait_for_room(socket, deadline)?,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Sends a file through a buffer of its own, on a non-blocking socket like
/// [`send_chunk`], so that a server that stops reading fails the upload
/// within the timeout (a blocking write waits a whole timeout for each
/// part of the buffer the server takes).
pub(crate) struct Copier {
    buffer: Vec<u8>,
    /// What is still to send: `buffer[start..end]`.
    start: usize,
    end: usize,
}

impl Copier {
    /// A copier with a buffer of `size` bytes.
    pub(crate) fn new(size: usize) -> Copier {
        Copier { buffer: vec![0; size], start: 0, end: 0 }
    }

    /// Sends some of what the buffer holds, refilling it from `file` (at its
    /// current position) when empty; 0 at the end of the file. A `TimedOut`
    /// error once `deadline` passed with no room in the socket.
    pub(crate) fn send_chunk(&mut self, mut socket: &TcpStream, file: &File, deadline: Deadline) -> io::Result<usize> {
        if self.start == self.end {
            self.end = read_some(file, &mut self.buffer)?;
            self.start = 0;
            if self.end == 0 {
                return Ok(0);
            }
        }
        loop {
            match socket.write(&self.buffer[self.start..self.end]) {
                // Never 0 for the end of the file: that would end the upload short.
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "the data connection took nothing")),
                Ok(n) => {
                    self.start += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_for_room(socket, deadline)?,
                Err(e) => return Err(e),
            }
        }
    }
}

/// One read of `file` into `buffer`, tried again when interrupted.
fn read_some(mut file: &File, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buffer) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Waits until `socket` takes more bytes, or `deadline` passed (then a
/// `TimedOut` error); an error or hang-up on the socket also ends the wait,
/// for the next send to report.
fn wait_for_room(socket: &TcpStream, deadline: Deadline) -> io::Result<()> {
    let left = deadline.left()?;
    // Longer waits are cut into polls of 65 s, the most a u16 holds.
    let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLOUT)];
    match poll(&mut fds, PollTimeout::from(millis)) {
        Ok(_) | Err(Errno::EINTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A pipe to splice through: socket → pipe → file.
pub(crate) struct Splicer {
    read: OwnedFd,
    write: OwnedFd,
    /// The file turned splice down: every later chunk is copied by the caller.
    pub(crate) file_refuses: bool,
}

impl Splicer {
    /// A new pipe.
    pub(crate) fn new() -> io::Result<Splicer> {
        let (read, write) = pipe2(OFlag::O_CLOEXEC)?;
        Ok(Splicer { read, write, file_refuses: false })
    }

    /// Moves what the socket has (up to `CHUNK` bytes) into the pipe; 0
    /// when the socket is at its end. [`Splicer::drain_to`] must follow.
    pub(crate) fn fill(&mut self, socket: &TcpStream) -> io::Result<usize> {
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_MORE;
        retry(|| splice(socket, None, &self.write, None, CHUNK, flags))
    }

    /// Moves `moved` bytes from the pipe into `file` at its current position.
    pub(crate) fn drain_to(&mut self, file: &File, moved: usize) -> io::Result<()> {
        let mut left = moved;
        while left > 0 {
            let n = match retry(|| splice(&self.read, None, file, None, left, SpliceFFlags::SPLICE_F_MOVE)) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "the file took no more data")),
                Ok(n) => n,
                // Some files cannot be spliced into: hand over what the pipe
                // holds the ordinary way, and tell the caller to copy from now on.
                Err(e) if matches!(errno(&e), Some(Errno::EINVAL | Errno::ENOSYS | Errno::EOPNOTSUPP)) => {
                    self.file_refuses = true;
                    return self.copy_from_pipe(file, left);
                }
                Err(e) => return Err(e),
            };
            left -= n;
        }
        Ok(())
    }

    /// Reads `left` bytes out of the pipe and writes them to `file`.
    fn copy_from_pipe(&mut self, mut file: &File, mut left: usize) -> io::Result<()> {
        use std::io::{Read, Write};
        let mut pipe = File::from(self.read.try_clone()?);
        let mut buffer = vec![0u8; left.min(CHUNK)];
        while left > 0 {
            let n = pipe.read(&mut buffer[..left.min(CHUNK)])?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the pipe ran dry"));
            }
            file.write_all(&buffer[..n])?;
            left -= n;
        }
        Ok(())
    }
}

/// Whether [`send_chunk`] failed because `sendfile` cannot send this file
/// (EINVAL, ENOSYS), so copying it through a buffer will do.
pub(crate) fn refuses_file(e: &io::Error) -> bool {
    matches!(errno(e), Some(Errno::EINVAL | Errno::ENOSYS))
}

/// The error number behind an I/O error, if it came from the system.
fn errno(e: &io::Error) -> Option<Errno> {
    e.raw_os_error().map(Errno::from_raw)
}

fn retry(mut call: impl FnMut() -> nix::Result<usize>) -> io::Result<usize> {
    loop {
        match call() {
            Ok(n) => return Ok(n),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};
    use std::net::TcpListener;

    fn socket_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (b, _) = listener.accept().unwrap();
        (a, b)
    }

    #[test]
    fn a_file_goes_through_sendfile_and_splice_unchanged() {
        let data: Vec<u8> = (0..3 * CHUNK as u32 + 7).map(|i| (i * 31 % 251) as u8).collect();
        let mut source = tempfile::tempfile().unwrap();
        source.write_all(&data).unwrap();
        source.rewind().unwrap();
        let (sender, receiver) = socket_pair();
        let writer = std::thread::spawn(move || {
            let mut total = 0;
            loop {
                match send_chunk(&sender, &source, Deadline::after(std::time::Duration::from_secs(10))).unwrap() {
                    0 => break,
                    n => total += n,
                }
            }
            total
        });
        let mut target = tempfile::tempfile().unwrap();
        let mut splicer = Splicer::new().unwrap();
        let mut received = 0;
        loop {
            match splicer.fill(&receiver).unwrap() {
                0 => break,
                n => {
                    splicer.drain_to(&target, n).unwrap();
                    received += n;
                }
            }
        }
        assert_eq!(writer.join().unwrap(), data.len());
        assert_eq!(received, data.len());
        let mut back = Vec::new();
        target.rewind().unwrap();
        target.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn one_sendfile_moves_more_than_a_pipe_when_the_socket_has_room() {
        let data = vec![7u8; 2 * SEND_STEP];
        let mut source = tempfile::tempfile().unwrap();
        source.write_all(&data).unwrap();
        source.rewind().unwrap();
        let (sender, _receiver) = socket_pair();
        // Room for at least 1 MiB without the receiver reading anything.
        socket2::SockRef::from(&sender).set_send_buffer_size(1 << 20).unwrap();
        sender.set_nonblocking(true).unwrap();
        let moved = send_chunk(&sender, &source, Deadline::after(std::time::Duration::from_secs(10))).unwrap();
        assert!(moved > 4 * CHUNK, "one call moved only {moved} bytes");
        assert!(moved <= SEND_STEP, "one call moved {moved} bytes");
    }

    #[test]
    fn a_file_sendfile_cannot_send_is_told_apart() {
        // sendfile refuses a folder (EINVAL): the caller copies instead.
        let folder = File::open(".").unwrap();
        let (sender, _receiver) = socket_pair();
        let error = send_chunk(&sender, &folder, Deadline::after(std::time::Duration::from_secs(10))).unwrap_err();
        assert!(refuses_file(&error), "{error}");
        assert!(!refuses_file(&io::Error::from(io::ErrorKind::BrokenPipe)));
        assert!(!refuses_file(&io::Error::from_raw_os_error(Errno::EPIPE as i32)));
    }
}
