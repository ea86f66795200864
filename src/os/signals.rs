//! Ctrl-C, SIGTERM and SIGCHLD, caught without a thread: each handler stores
//! the signal in a flag and writes a byte to a socket pair that the lab polls
//! beside the event pipe, so a signal wakes a sleeping or waiting parent at
//! once and never races with the poll.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use nix::sys::signal::{SigHandler, Signal, signal};
use signal_hook::consts::{SIGCHLD, SIGINT, SIGTERM};

pub struct Signals {
    caught: Arc<AtomicUsize>,
    wake: UnixStream,
}

/// The handlers, installed once per process: a tour runs lesson after
/// lesson, and each must not add handlers of its own.
static INSTALLED: OnceLock<Signals> = OnceLock::new();

impl Signals {
    /// The handlers for SIGINT, SIGTERM and SIGCHLD, installed on first use.
    pub fn get() -> io::Result<&'static Signals> {
        if let Some(signals) = INSTALLED.get() {
            return Ok(signals);
        }
        let signals = Self::install()?;
        Ok(INSTALLED.get_or_init(|| signals))
    }

    fn install() -> io::Result<Self> {
        let caught = Arc::new(AtomicUsize::new(0));
        let (wake, wake_writer) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        for stop in [SIGINT, SIGTERM] {
            signal_hook::flag::register_usize(stop, Arc::clone(&caught), stop as usize)?;
            signal_hook::low_level::pipe::register(stop, wake_writer.try_clone()?)?;
        }
        signal_hook::low_level::pipe::register(SIGCHLD, wake_writer)?;
        Ok(Self { caught, wake })
    }

    /// The stop signal (SIGINT or SIGTERM) that arrived, if any.
    pub fn caught(&self) -> Option<Signal> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            number => Signal::try_from(number as i32).ok(),
        }
    }

    /// Readable whenever a signal arrived since the last `drain`.
    pub fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    pub fn drain(&self) {
        let mut sink = [0u8; 64];
        while matches!((&self.wake).read(&mut sink), Ok(read) if read > 0) {}
    }
}

/// In a child: SIGINT and SIGTERM kill it again, as in any program, and
/// SIGCHLD no longer writes into the parent's wake-up socket.
pub fn restore_defaults() {
    for default in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGCHLD] {
        // SAFETY: SIG_DFL installs no handler code, so nothing can run in a
        // signal context; the previous handler is not used again.
        let _ = unsafe { signal(default, SigHandler::SigDfl) };
    }
}

/// In a child: writing to a pipe nobody reads kills it with SIGPIPE, as in
/// a C program (Rust and Python both ignore SIGPIPE and get EPIPE instead).
pub fn default_sigpipe() {
    // SAFETY: SIG_DFL installs no handler code.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// The exit code a shell reports for a process ended by this signal.
pub fn shell_exit_code(stop: Signal) -> u8 {
    128u8.saturating_add(stop as u8)
}
