//! What stdout is, for a lesson that must stop once nobody can read it.

use std::io;
use std::os::fd::AsFd;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::{SFlag, fstat, major, minor};

/// True when stdout is a pipe or a socket: a reader at its other end may
/// go away while procdemo writes nothing (`procdemo daemon | head -3`).
pub fn is_pipe_or_socket() -> bool {
    fstat(io::stdout().as_fd()).is_ok_and(|stat| {
        let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
        kind == SFlag::S_IFIFO || kind == SFlag::S_IFSOCK
    })
}

/// True when the reader of stdout has gone: Linux reports `POLLERR` on a
/// pipe's write end once no read end is open, `POLLHUP` on a socket whose
/// peer closed. Both are reported whatever events are asked for, so none is.
pub fn reader_gone() -> bool {
    let out = io::stdout();
    let mut polled = [PollFd::new(out.as_fd(), PollFlags::empty())];
    match poll(&mut polled, PollTimeout::ZERO) {
        Ok(_) => polled[0]
            .revents()
            .is_some_and(|events| events.intersects(PollFlags::POLLERR | PollFlags::POLLHUP)),
        Err(_) => false,
    }
}

/// True when procdemo started with stdout closed (`procdemo fork >&-`).
/// Rust's runtime opens /dev/null read-write in place of a closed standard
/// descriptor before `main`, so every write would vanish; a shell opens
/// /dev/null for `> /dev/null` write-only. (`1<>/dev/null` looks closed too.)
pub fn closed_at_start() -> bool {
    let out = io::stdout();
    let null_device = fstat(out.as_fd()).is_ok_and(|stat| {
        let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
        kind == SFlag::S_IFCHR && major(stat.st_rdev) == 1 && minor(stat.st_rdev) == 3
    });
    null_device
        && fcntl(out.as_fd(), FcntlArg::F_GETFL)
            .is_ok_and(|flags| OFlag::from_bits_truncate(flags) & OFlag::O_ACCMODE == OFlag::O_RDWR)
}

/// The errno of a failed write, as the kernel gave it; `EIO` when the
/// failure was no system call's (a write of zero bytes).
pub fn errno_of(error: &io::Error) -> Errno {
    error.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
