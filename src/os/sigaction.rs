//! The calls the `signals` lesson makes in its children: handlers that count
//! or record what arrived, ignoring and blocking, `sigqueue`, waiting for a
//! signal with its `siginfo`, stopped and continued children, process
//! groups, and the signal sets of `/proc/<pid>/status` decoded. (procdemo's
//! own stop signals are `signals.rs`, which this file never touches.)

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::{Pid, getpgrp};

use super::retry;

/// How many times the counting handler ran in this process.
static COUNTED: AtomicUsize = AtomicUsize::new(0);

/// What the recording handler saw, in arrival order: `si_value` and
/// `si_pid` of up to `RECORDS` signals.
const RECORDS: usize = 8;
static RECORDED: AtomicUsize = AtomicUsize::new(0);
static VALUES: [AtomicI32; RECORDS] = [const { AtomicI32::new(0) }; RECORDS];
static SENDERS: [AtomicI32; RECORDS] = [const { AtomicI32::new(0) }; RECORDS];

extern "C" fn count(_: libc::c_int) {
    COUNTED.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn record(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let slot = RECORDED.fetch_add(1, Ordering::SeqCst);
    if slot < RECORDS && !info.is_null() {
        // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler;
        // a signal sent by sigqueue() carries si_pid and si_value.
        let (value, sender) = unsafe {
            (
                (*info).si_value().sival_ptr as usize as i32,
                (*info).si_pid(),
            )
        };
        VALUES[slot].store(value, Ordering::SeqCst);
        SENDERS[slot].store(sender, Ordering::SeqCst);
    }
}

/// Installs the handler that counts, for `signal` (SA_RESTART: a blocked
/// read goes on after it).
pub fn count_runs(signal: Signal) -> Result<(), Errno> {
    let action = SigAction::new(
        SigHandler::Handler(count),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only adds to an atomic, which is async-signal-safe.
    unsafe { sigaction(signal, &action) }.map(drop)
}

/// How many times the counting handler has run.
pub fn runs_counted() -> usize {
    COUNTED.load(Ordering::SeqCst)
}

/// Installs an SA_SIGINFO handler for `signal` that records each arrival's
/// `si_value` and `si_pid`.
pub fn record_values(signal: Signal) -> Result<(), Errno> {
    let action = SigAction::new(
        SigHandler::SigAction(record),
        SaFlags::SA_RESTART | SaFlags::SA_SIGINFO,
        SigSet::empty(),
    );
    // SAFETY: the handler reads the siginfo the kernel gave it and stores
    // into atomics: async-signal-safe.
    unsafe { sigaction(signal, &action) }.map(drop)
}

/// `(si_value, si_pid)` of each signal the recording handler saw so far.
pub fn values_recorded() -> Vec<(i32, i32)> {
    let seen = RECORDED.load(Ordering::SeqCst).min(RECORDS);
    (0..seen)
        .map(|slot| {
            (
                VALUES[slot].load(Ordering::SeqCst),
                SENDERS[slot].load(Ordering::SeqCst),
            )
        })
        .collect()
}

/// Tries to give `signal` a handler, then to ignore it: the kernel's answer
/// to each (EINVAL for SIGKILL and SIGSTOP).
pub fn try_catch_and_ignore(signal: Signal) -> (Result<(), Errno>, Result<(), Errno>) {
    let handle = SigAction::new(
        SigHandler::Handler(count),
        SaFlags::empty(),
        SigSet::empty(),
    );
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler only adds to an atomic; ignoring installs no code.
    let caught = unsafe { sigaction(signal, &handle) }.map(drop);
    // SAFETY: as above.
    let ignored = unsafe { sigaction(signal, &ignore) }.map(drop);
    (caught, ignored)
}

/// `signal(signal, SIG_IGN)`.
pub fn ignore(signal: Signal) -> Result<(), Errno> {
    let action = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: SIG_IGN installs no handler code.
    unsafe { sigaction(signal, &action) }.map(drop)
}

/// Adds `signals` to this thread's blocked set (`sigprocmask(SIG_BLOCK)`).
pub fn block(signals: &[Signal]) -> Result<(), Errno> {
    change_mask(SigmaskHow::SIG_BLOCK, signals)
}

/// Takes `signals` out of the blocked set: a pending one is delivered before
/// this returns.
pub fn unblock(signals: &[Signal]) -> Result<(), Errno> {
    change_mask(SigmaskHow::SIG_UNBLOCK, signals)
}

fn change_mask(how: SigmaskHow, signals: &[Signal]) -> Result<(), Errno> {
    let mut set = SigSet::empty();
    for signal in signals {
        set.add(*signal);
    }
    nix::sys::signal::sigprocmask(how, Some(&set), None)
}

/// `sigqueue(pid, signal, value)`: a signal that carries an integer.
pub fn queue(pid: Pid, signal: Signal, value: i32) -> Result<(), Errno> {
    let sigval = libc::sigval {
        sival_ptr: value as usize as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes plain values; the pointer is an integer the
    // receiver reads back, never dereferenced.
    Errno::result(unsafe { libc::sigqueue(pid.as_raw(), signal as libc::c_int, sigval) }).map(drop)
}

/// What `sigwaitinfo` says about a signal.
#[derive(Clone, Copy, Debug)]
pub struct Info {
    pub signal: i32,
    pub sender: i32,
    pub code: i32,
    pub status: i32,
}

/// Waits for `signal`, which the caller has blocked, and takes it with its
/// `siginfo` (`sigwaitinfo`).
pub fn wait_for(signal: Signal) -> Result<Info, Errno> {
    let mut set = SigSet::empty();
    set.add(signal);
    let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
    let number = retry(|| {
        // SAFETY: `set` is a valid sigset and `info` a writable siginfo.
        Errno::result(unsafe { libc::sigwaitinfo(set.as_ref(), info.as_mut_ptr()) })
    })?;
    // SAFETY: sigwaitinfo filled `info`.
    let info = unsafe { info.assume_init() };
    // SAFETY: for SIGCHLD and for sent signals the kernel sets si_pid; si_status for SIGCHLD.
    let (sender, status) = unsafe { (info.si_pid(), info.si_status()) };
    Ok(Info {
        signal: number,
        sender,
        code: info.si_code,
        status,
    })
}

/// The name of a `siginfo` code for SIGCHLD.
pub fn child_code_name(code: i32) -> String {
    match code {
        libc::CLD_EXITED => "CLD_EXITED".into(),
        libc::CLD_KILLED => "CLD_KILLED".into(),
        libc::CLD_DUMPED => "CLD_DUMPED".into(),
        libc::CLD_STOPPED => "CLD_STOPPED".into(),
        libc::CLD_CONTINUED => "CLD_CONTINUED".into(),
        other => format!("code {other}"),
    }
}

/// Waits until the child `pid` has stopped (`WSTOPPED`, as `waitpid` with
/// `WUNTRACED`); returns the signal that stopped it.
pub fn wait_stopped(pid: Pid) -> Result<Signal, Errno> {
    loop {
        match retry(|| waitid(Id::Pid(pid), WaitPidFlag::WSTOPPED))? {
            WaitStatus::Stopped(_, signal) => return Ok(signal),
            _ => continue,
        }
    }
}

/// Waits until the stopped child `pid` has been continued (`WCONTINUED`).
pub fn wait_continued(pid: Pid) -> Result<(), Errno> {
    loop {
        if let WaitStatus::Continued(_) = retry(|| waitid(Id::Pid(pid), WaitPidFlag::WCONTINUED))? {
            return Ok(());
        }
    }
}

/// `setpgid(pid, pgid)` (0 for this process, or a new group led by `pid`).
pub fn set_group(pid: Pid, pgid: Pid) -> Result<(), Errno> {
    nix::unistd::setpgid(pid, pgid)
}

/// The process group of `pid` (0: this process).
pub fn group_of(pid: Pid) -> Result<Pid, Errno> {
    nix::unistd::getpgid(Some(pid))
}

/// `killpg(pgid, signal)`, what the terminal does on Ctrl-C; refused
/// (EPERM) for procdemo's own group, so that the lesson never signals
/// procdemo or whatever started it.
pub fn signal_group(pgid: Pid, signal: Signal) -> Result<(), Errno> {
    if pgid == getpgrp() || pgid.as_raw() <= 1 {
        return Err(Errno::EPERM);
    }
    nix::sys::signal::killpg(pgid, signal)
}

/// The name of signal `number`, as the kernel numbers them (real-time ones
/// as SIGRTMIN+n, counted from the C library's SIGRTMIN).
pub fn signal_name(number: i32) -> String {
    let rtmin = libc::SIGRTMIN();
    if number == rtmin {
        return "SIGRTMIN".into();
    }
    if number > rtmin && number <= libc::SIGRTMAX() {
        return format!("SIGRTMIN+{}", number - rtmin);
    }
    Signal::try_from(number)
        .map(|signal| signal.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {number}"))
}

/// The signals in a mask of `/proc/<pid>/status` (`SigCgt: 0000000000014002`):
/// bit n-1 is signal n. `None` if the text is not hexadecimal.
pub fn decode_mask(hex: &str) -> Option<Vec<String>> {
    let mask = u64::from_str_radix(hex.trim(), 16).ok()?;
    Some(
        (1..=64)
            .filter(|number| mask & (1u64 << (number - 1)) != 0)
            .map(signal_name)
            .collect(),
    )
}
