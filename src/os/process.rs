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
    // A count that cannot be read (no descriptor left under `ulimit -n`)
    // is no second thread.
    debug_assert!(
        super::procfs::own_thread_count().is_none_or(|count| count == 1),
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

/// Asks for SIGKILL when the parent dies, then checks that `expected_parent`
/// is still the parent: it may have died between `fork()` and `prctl()`.
/// Returns false in that case, and the caller must end.
pub fn die_with_parent(expected_parent: Pid) -> bool {
    prctl::set_pdeathsig(Signal::SIGKILL).is_ok() && getppid() == expected_parent
}

/// SIGALRM ends this process after `lifetime`, whatever else happens, so that
/// even `kill -9 procdemo` leaves nothing running for long.
pub fn cap_lifetime(lifetime: Duration) {
    let seconds = u32::try_from(lifetime.as_secs().max(1)).unwrap_or(u32::MAX);
    alarm::set(seconds);
}

/// Polls `getppid()` until it is no longer `first_parent`, and returns the
/// new parent: the process that adopted this one when its parent ended.
pub fn wait_for_adoption(first_parent: Pid) -> Pid {
    loop {
        let parent = getppid();
        if parent != first_parent {
            return parent;
        }
        // The kernel sends no notice of adoption; the lifetime cap bounds this loop.
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The steps that turn a process into a Unix daemon once it runs in a
/// session of its own: working directory `/`, a known umask, and standard
/// streams on `/dev/null`. Returns the umask it replaced.
pub fn settle_as_daemon(umask: u32) -> Result<u32, Errno> {
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::{Mode, umask as set_umask};
    nix::unistd::chdir("/")?;
    let previous = set_umask(Mode::from_bits_truncate(umask as libc::mode_t));
    let null = open("/dev/null", OFlag::O_RDWR, Mode::empty())?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&null)?;
    Ok(previous.bits() as u32)
}

/// `setsid()`: a new session and process group, led by this process, with no
/// controlling terminal. Fails with EPERM in a process-group leader.
pub fn new_session() -> Result<Pid, Errno> {
    nix::unistd::setsid()
}

/// This user's limit on processes (`ulimit -u`, RLIMIT_NPROC); `None` when
/// there is none.
pub fn process_limit() -> Result<Option<u64>, Errno> {
    use nix::sys::resource::{Resource, getrlimit};
    let (soft, _) = getrlimit(Resource::RLIMIT_NPROC)?;
    Ok((soft != libc::RLIM_INFINITY).then_some(soft))
}

/// Replaces this process's program with a fresh copy of procdemo's own
/// (`/proc/self/exe`), run with `args`: what a "spawn" start method does.
/// Returns only if `execv` fails.
pub fn exec_self(args: &[String]) -> Errno {
    use std::ffi::CString;
    let Ok(program) = CString::new("/proc/self/exe") else {
        return Errno::EINVAL;
    };
    let mut argv = vec![CString::new("procdemo").unwrap_or_default()];
    for arg in args {
        match CString::new(arg.as_str()) {
            Ok(arg) => argv.push(arg),
            Err(_) => return Errno::EINVAL,
        }
    }
    match nix::unistd::execv(&program, &argv) {
        Err(errno) => errno,
        Ok(never) => match never {},
    }
}

/// CLOCK_MONOTONIC now, in nanoseconds: the clock every process shares,
/// across `exec` too.
pub fn monotonic_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|now| now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64)
        .unwrap_or(0)
}

/// Sends `signal` to `pid`, as `kill(1)` does.
pub fn send_signal(pid: Pid, signal: Signal) -> Result<(), Errno> {
    nix::sys::signal::kill(pid, signal)
}

/// True if this process adopts orphaned descendants (`PR_GET_CHILD_SUBREAPER`).
pub fn is_subreaper() -> bool {
    prctl::get_child_subreaper().unwrap_or(false)
}

/// Makes procdemo adopt every orphaned descendant, so that an orphan is shown
/// and reaped by procdemo instead of by pid 1.
pub fn become_subreaper() -> Result<(), Errno> {
    prctl::set_child_subreaper(true)
}
