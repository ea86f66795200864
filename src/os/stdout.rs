//! What stdout is, for a lesson that must stop once nobody can read it.

use std::io;
use std::os::fd::AsFd;

use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::{SFlag, fstat};

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

/// Whether fd 1 was closed when procdemo started (`procdemo fork >&-`).
static CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Looks at fd 1 before `main`, and before Rust's runtime opens /dev/null
/// in place of a closed standard descriptor (after which every write would
/// vanish, and /dev/null opened by a parent, as Python's
/// `subprocess.DEVNULL` does, would look the same).
#[used]
#[unsafe(link_section = ".init_array")]
static LOOK_AT_STDOUT: extern "C" fn() = look_at_stdout;

extern "C" fn look_at_stdout() {
    // SAFETY: F_GETFD only reads the flags of descriptor 1, whether or not
    // it is open; nothing else runs yet.
    let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) };
    CLOSED_AT_START.store(flags == -1, Ordering::Relaxed);
}

/// True when procdemo started with stdout closed.
pub fn closed_at_start() -> bool {
    CLOSED_AT_START.load(Ordering::Relaxed)
}

/// The errno of a failed write, as the kernel gave it; `EIO` when the
/// failure was no system call's (a write of zero bytes).
pub fn errno_of(error: &io::Error) -> Errno {
    error.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
