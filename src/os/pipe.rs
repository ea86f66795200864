//! Pipes: the event pipe children report through, and gates that hold
//! children until the parent lets them go.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::{read, write};

use super::retry;

/// Writes up to this many bytes to a pipe in one piece, never interleaved
/// with another process's write (POSIX PIPE_BUF).
pub const ATOMIC_WRITE_LIMIT: usize = libc::PIPE_BUF;

/// A new pipe: (read end, write end), both closed on exec.
pub fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC)
}

pub fn set_nonblocking(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK)).map(drop)
}

/// Writes `bytes` in one `write()`, which the kernel keeps whole because it is
/// no longer than PIPE_BUF.
pub fn write_atomic(fd: BorrowedFd<'_>, bytes: &[u8]) -> Result<(), Errno> {
    if bytes.len() > ATOMIC_WRITE_LIMIT {
        return Err(Errno::EMSGSIZE);
    }
    if write_once(fd, bytes)? == bytes.len() {
        Ok(())
    } else {
        Err(Errno::EIO)
    }
}

/// Appends whatever a non-blocking read end holds now. Returns true at end of
/// file (every write end closed).
pub fn read_available(fd: BorrowedFd<'_>, into: &mut Vec<u8>) -> Result<bool, Errno> {
    let mut chunk = [0u8; 4096];
    loop {
        match retry(|| read(fd, &mut chunk)) {
            Ok(0) => return Ok(true),
            Ok(count) => into.extend_from_slice(&chunk[..count]),
            Err(Errno::EAGAIN) => return Ok(false),
            Err(error) => return Err(error),
        }
    }
}

/// Blocks until every write end of the pipe is closed.
pub fn wait_for_eof(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut chunk = [0u8; 64];
    while retry(|| read(fd, &mut chunk))? > 0 {}
    Ok(())
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: no
/// limit). Returns which were readable; all false after a timeout or when a
/// signal interrupted the wait.
pub fn wait_readable(
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
) -> Result<Vec<bool>, Errno> {
    wait_readable_watching(fds, None, timeout)
}

/// `wait_readable`, which also ends when `watched` reports an error or a
/// hang-up (stdout, whose reader may go away); whether it is readable is
/// never asked.
pub fn wait_readable_watching(
    fds: &[BorrowedFd<'_>],
    watched: Option<BorrowedFd<'_>>,
    timeout: Option<Duration>,
) -> Result<Vec<bool>, Errno> {
    let mut polled: Vec<PollFd> = fds
        .iter()
        .map(|fd| PollFd::new(fd.as_fd(), PollFlags::POLLIN))
        .chain(watched.map(|fd| PollFd::new(fd, PollFlags::empty())))
        .collect();
    let timeout = match timeout {
        None => PollTimeout::NONE,
        Some(limit) => PollTimeout::try_from(limit.as_millis().min(i32::MAX as u128) as i32)
            .unwrap_or(PollTimeout::MAX),
    };
    match poll(&mut polled, timeout) {
        Ok(_) => Ok(polled[..fds.len()]
            .iter()
            .map(|fd| {
                fd.revents()
                    .is_some_and(|events| events.intersects(PollFlags::POLLIN | PollFlags::POLLHUP))
            })
            .collect()),
        Err(Errno::EINTR) => Ok(vec![false; fds.len()]),
        Err(error) => Err(error),
    }
}

/// Lets `fd` survive `exec` (clears `FD_CLOEXEC`), for a child that runs a
/// new program and must still report through it.
pub fn keep_across_exec(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    fcntl(fd, FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty())).map(drop)
}

/// Takes ownership of descriptor `fd`, inherited across `exec`, after
/// checking that it is an open pipe.
pub fn adopt_inherited_pipe(fd: i32) -> Result<OwnedFd, Errno> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).map_err(|_| Errno::EBADF)?;
    if !link.to_string_lossy().starts_with("pipe:") {
        return Err(Errno::EBADF);
    }
    // SAFETY: `fd` is open (it has a /proc/self/fd entry) and is a pipe this
    // process inherited across exec; nothing else in this fresh program
    // owns the number, so this is its only owner.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// A connected pair of Unix stream sockets: what Python's duplex `Pipe()`
/// is made of. Both ends read and write.
pub fn socket_pair() -> io::Result<(UnixStream, UnixStream)> {
    UnixStream::pair()
}

/// How many bytes the pipe holds before a writer blocks (`F_GETPIPE_SZ`).
pub fn capacity(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    fcntl(fd, FcntlArg::F_GETPIPE_SZ).map(|size| size as usize)
}

/// How many bytes wait in the pipe or socket to be read (`FIONREAD`).
pub fn bytes_waiting(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which points to
    // `count`, alive for the whole call; `fd` is an open descriptor.
    let result = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut count) };
    Errno::result(result).map(|_| count as usize)
}

/// One `write()`: returns how many bytes the kernel took.
pub fn write_once(fd: BorrowedFd<'_>, bytes: &[u8]) -> Result<usize, Errno> {
    retry(|| write(fd, bytes))
}

/// One `read()` of at most `limit` bytes; empty at end of file.
pub fn read_once(fd: BorrowedFd<'_>, limit: usize) -> Result<Vec<u8>, Errno> {
    let mut buffer = vec![0u8; limit];
    let count = retry(|| read(fd, &mut buffer))?;
    buffer.truncate(count);
    Ok(buffer)
}

/// Reads exactly `count` bytes; `None` if the pipe ends first.
pub fn read_exact(mut from: impl Read, count: usize) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = vec![0u8; count];
    match from.read_exact(&mut bytes) {
        Ok(()) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(error) => Err(error),
    }
}

/// The header Python's `Connection.send_bytes` puts before each message:
/// its length as a 4-byte big-endian integer.
pub fn frame_header(length: usize) -> [u8; 4] {
    u32::try_from(length).unwrap_or(u32::MAX).to_be_bytes()
}

/// Sends one message with its length in front, as `Connection` does.
pub fn send_frame(mut to: impl Write, message: &[u8]) -> io::Result<()> {
    let mut framed = frame_header(message.len()).to_vec();
    framed.extend_from_slice(message);
    to.write_all(&framed)
}

/// Receives one framed message; `None` at end of file.
pub fn receive_frame(mut from: impl Read) -> io::Result<Option<Vec<u8>>> {
    let Some(header) = read_exact(&mut from, 4)? else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    read_exact(from, length)
}
