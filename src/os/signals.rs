//! The stop signals (Ctrl-C's SIGINT, SIGTERM, a closed terminal's SIGHUP,
//! Ctrl-\'s SIGQUIT) and SIGCHLD, caught without a thread: each handler stores
//! the signal in a flag and writes a byte to a socket pair that the lab polls
//! beside the event pipe, so a signal wakes a sleeping or waiting parent at
//! once and never races with the poll.

use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use nix::sys::signal::{SigHandler, Signal, signal};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM};

/// The signals that stop a lesson: each is caught, the lesson's processes
/// are killed and reaped, and procdemo exits with 128 + its number, as a
/// shell reports a process the signal killed.
const STOPS: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

pub struct Signals {
    caught: Arc<AtomicUsize>,
    wake: UnixStream,
    /// The end every handler writes to: one descriptor for all of them, so
    /// that a low `ulimit -n` leaves the lessons theirs. Kept for the life of
    /// the process (the handlers hold its number).
    _wake_writer: UnixStream,
}

/// The handlers, installed once per process: a tour runs lesson after
/// lesson, and each must not add handlers of its own.
static INSTALLED: OnceLock<Signals> = OnceLock::new();

impl Signals {
    /// The handlers for the stop signals and SIGCHLD, installed on first
    /// use: `main` calls this before anything else, so that no signal finds
    /// procdemo without them.
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
        let writer = wake_writer.as_raw_fd();
        for stop in STOPS {
            // `nohup procdemo …` asked for it to outlive the terminal. (A
            // shell without job control ignores SIGINT and SIGQUIT for what
            // it runs with `&`: those stay caught, so that Ctrl-C and kill
            // end a lesson cleanly however it was started.)
            if stop == SIGHUP && ignored(stop) {
                IGNORED.fetch_or(1 << stop, Ordering::SeqCst);
                continue;
            }
            let caught = Arc::clone(&caught);
            // SAFETY: the action is async-signal-safe: an atomic store and
            // send(2) with MSG_DONTWAIT (a full socket only drops a wake-up
            // that is waiting anyway); signal-hook keeps errno. `writer`
            // stays open as long as the process: `Signals` lives in a static.
            unsafe {
                signal_hook::low_level::register(stop, move || {
                    caught.store(stop as usize, Ordering::SeqCst);
                    wake_up(writer);
                })?;
            }
        }
        // SAFETY: as above, without the flag.
        unsafe { signal_hook::low_level::register(SIGCHLD, move || wake_up(writer))? };
        Ok(Self {
            caught,
            wake,
            _wake_writer: wake_writer,
        })
    }

    /// The stop signal that arrived, if any.
    pub fn caught(&self) -> Option<Signal> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            number => Signal::try_from(number as i32).ok(),
        }
    }

    /// The stop signal that arrived since the last `take`, if any, which
    /// is then forgotten: for a command that goes on after some of them.
    pub fn take(&self) -> Option<Signal> {
        match self.caught.swap(0, Ordering::SeqCst) {
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

/// The stop signals procdemo found ignored when it started and leaves so
/// (SIGHUP under `nohup`), one bit each: they stay ignored, in procdemo and
/// in its children.
static IGNORED: AtomicU64 = AtomicU64::new(0);

/// Whether `signal` is ignored (SIG_IGN) in this process now.
fn ignored(signal: i32) -> bool {
    let mut current = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `current`,
    // which is large enough and zero-initialised.
    let read = unsafe { libc::sigaction(signal, std::ptr::null(), current.as_mut_ptr()) };
    // SAFETY: sigaction filled it, or it stayed zeroed (SIG_DFL is 0).
    read == 0 && unsafe { current.assume_init() }.sa_sigaction == libc::SIG_IGN
}

/// Writes one byte to the wake-up socket, from a signal handler.
fn wake_up(writer: RawFd) {
    // SAFETY: send(2) is async-signal-safe and reads one byte of a live buffer.
    let _ = unsafe { libc::send(writer, [1u8].as_ptr().cast(), 1, libc::MSG_DONTWAIT) };
}

/// In a child: the stop signals kill it again, as in any program (those
/// procdemo found ignored stay ignored), and SIGCHLD no longer writes into
/// the parent's wake-up socket.
pub fn restore_defaults() {
    let ignored = IGNORED.load(Ordering::SeqCst);
    for default in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGCHLD,
    ] {
        if ignored & (1 << default as i32) != 0 {
            continue;
        }
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
