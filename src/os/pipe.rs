//! Pipes: the event pipe children report through, and gates that hold
//! children until the parent lets them go.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::{read, write};

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
    loop {
        match write(fd, bytes) {
            Ok(written) if written == bytes.len() => return Ok(()),
            Ok(_) => return Err(Errno::EIO),
            Err(Errno::EINTR) => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Appends whatever a non-blocking read end holds now. Returns true at end of
/// file (every write end closed).
pub fn read_available(fd: BorrowedFd<'_>, into: &mut Vec<u8>) -> Result<bool, Errno> {
    let mut chunk = [0u8; 4096];
    loop {
        match read(fd, &mut chunk) {
            Ok(0) => return Ok(true),
            Ok(count) => into.extend_from_slice(&chunk[..count]),
            Err(Errno::EAGAIN) => return Ok(false),
            Err(Errno::EINTR) => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Blocks until every write end of the pipe is closed.
pub fn wait_for_eof(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut chunk = [0u8; 64];
    loop {
        match read(fd, &mut chunk) {
            Ok(0) => return Ok(()),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: no
/// limit). Returns which were readable; all false after a timeout or when a
/// signal interrupted the wait.
pub fn wait_readable(
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
) -> Result<Vec<bool>, Errno> {
    let mut polled: Vec<PollFd> = fds
        .iter()
        .map(|fd| PollFd::new(fd.as_fd(), PollFlags::POLLIN))
        .collect();
    let timeout = match timeout {
        None => PollTimeout::NONE,
        Some(limit) => PollTimeout::try_from(limit.as_millis().min(i32::MAX as u128) as i32)
            .unwrap_or(PollTimeout::MAX),
    };
    match poll(&mut polled, timeout) {
        Ok(_) => Ok(polled
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
