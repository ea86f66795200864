//! Forking a child safely, and the settings every demo child starts with.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::unistd::{Pid, alarm, getppid};

/// Exit code of a child whose body panicked: distinct from the codes lessons use.
pub const PANIC_EXIT_CODE: i32 = 70;

/// What `fork()` gave back on one side, and when that side got it back.
#[derive(Clone, Copy, Debug)]
pub struct ForkReturn {
    /// The raw return value: the child's pid in the parent, 0 in the child.
    pub value: i32,
    /// Taken as the very first thing after `fork()` returned on this side.
    pub at: Instant,
}

/// Forks. In the parent, returns the child's pid and when the parent resumed.
/// In the child, runs `child` and ends the process with `_exit` and the code
/// `child` returned: the child never returns into the caller's code, so it
/// cannot run the parent's cleanup, flush the parent's buffers or fall through
/// into the rest of the lesson.
pub fn fork_child(child: impl FnOnce(ForkReturn) -> i32) -> Result<(Pid, ForkReturn), Errno> {
    debug_assert_eq!(
        super::procfs::own_thread_count(),
        Some(1),
        "fork() while another thread runs: the child would inherit locks held by threads that do not exist in it"
    );
    // Bytes still buffered would be written twice: once by each process.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: procdemo is single-threaded at every fork (checked above in debug
    // builds), so the child can run ordinary Rust; the child leaves only
    // through `_exit` below and never returns into the caller.
    let value = unsafe { libc::fork() };
    let at = Instant::now();
    let returned = ForkReturn { value, at };
    match value {
        -1 => Err(Errno::last()),
        0 => {
            let code =
                catch_unwind(AssertUnwindSafe(|| child(returned))).unwrap_or(PANIC_EXIT_CODE);
            exit_now(code)
        }
        pid => Ok((Pid::from_raw(pid), returned)),
    }
}

/// Ends this process at once with `_exit`: no atexit handlers, no flushing of
/// buffers copied from the parent, no destructors.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` takes a plain int and never returns; skipping atexit
    // handlers and destructors is the point.
    unsafe { libc::_exit(code) }
}

/// Settings every demo child takes first: die with the parent, and never live
/// longer than `lifetime`, so that even `kill -9 procdemo` leaves nothing
/// running for long. Returns false if the parent is already gone (it died
/// between `fork()` and `prctl()`), in which case the child must end.
pub fn tie_to_parent(expected_parent: Pid, lifetime: Duration) -> bool {
    if prctl::set_pdeathsig(Signal::SIGKILL).is_err() {
        return false;
    }
    let seconds = u32::try_from(lifetime.as_secs().max(1)).unwrap_or(u32::MAX);
    alarm::set(seconds);
    getppid() == expected_parent
}

/// Makes procdemo adopt every orphaned descendant, so that an orphan is shown
/// and reaped by procdemo instead of by pid 1.
pub fn become_subreaper() -> Result<(), Errno> {
    prctl::set_child_subreaper(true)
}
