//! What the `states` lesson asks the kernel: a process's scheduler figures
//! (`/proc/<pid>/schedstat`, the context switches in `status`), the raw
//! `wchan`, the CPUs procdemo may run on, `ps` with a wide `wchan` column,
//! and a vfork whose child blocks, so that its parent sleeps in state `D`.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::sched::{CloneFlags, CpuSet, clone, sched_getaffinity};
use nix::unistd::Pid;

use super::procfs;

/// The scheduler's figures for a process, from `/proc/<pid>/schedstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedStat {
    /// Nanoseconds spent on a CPU.
    pub run_ns: u64,
    /// Nanoseconds spent runnable in a run queue, waiting for a CPU.
    pub wait_ns: u64,
    /// Times it was given a CPU.
    pub timeslices: u64,
}

pub fn schedstat(pid: Pid) -> io::Result<SchedStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/schedstat"))?;
    let numbers: Vec<u64> = text
        .split_whitespace()
        .map(|field| field.parse::<u64>().ok())
        .collect::<Option<_>>()
        .unwrap_or_default();
    match numbers[..] {
        [run_ns, wait_ns, timeslices, ..] => Ok(SchedStat {
            run_ns,
            wait_ns,
            timeslices,
        }),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected /proc/{pid}/schedstat: {text:?}"),
        )),
    }
}

/// `voluntary_ctxt_switches` and `nonvoluntary_ctxt_switches` from
/// `/proc/<pid>/status`.
pub fn context_switches(pid: Pid) -> io::Result<(u64, u64)> {
    let field = |name: &str| {
        procfs::status_field(pid, name)
            .and_then(|value| value.parse::<u64>().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("no {name} in /proc/{pid}/status"),
                )
            })
    };
    Ok((
        field("voluntary_ctxt_switches")?,
        field("nonvoluntary_ctxt_switches")?,
    ))
}

/// `/proc/<pid>/wchan` as the kernel wrote it, trimmed: a function name,
/// `0` (a process that is not asleep, or a kernel that does not say), or
/// empty. Linux 6 names, for instance, `hrtimer_nanosleep` (a sleep),
/// `anon_pipe_read` (a read on an empty pipe), `do_signal_stop` (a
/// stopped process) and `kernel_clone` (a vfork parent).
pub fn wchan_text(pid: Pid) -> io::Result<String> {
    Ok(fs::read_to_string(format!("/proc/{pid}/wchan"))?
        .trim()
        .to_string())
}

/// The CPU a process last ran on: field 39 (`processor`) of
/// `/proc/<pid>/stat`.
pub fn last_cpu(pid: Pid) -> io::Result<u32> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which ends at the last ')': state is
    // field 3, so `processor` (39) is the 37th of them.
    text.rfind(')')
        .and_then(|close| text[close + 1..].split_whitespace().nth(36))
        .and_then(|field| field.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected /proc/{pid}/stat: {text:?}"),
            )
        })
}

/// How many CPUs this process may run on (`sched_getaffinity`): fewer than
/// the machine has under `taskset`.
pub fn usable_cpus() -> Result<usize, Errno> {
    let set = sched_getaffinity(Pid::from_raw(0))?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .count())
}

/// What `ps -o pid,stat,wchan:32,cmd -p <pid>` prints for it (header left
/// out; the plain `wchan` column is 6 characters wide and cuts names), or
/// `None` where `ps` is not installed or no longer finds the process.
pub fn ps_line(pid: Pid) -> Option<String> {
    procfs::ps_columns(pid, "pid=,stat=,wchan:32=,cmd=")
}

/// How big the vfork child's own stack is: it makes two system calls.
const VFORK_STACK: usize = 64 * 1024;

/// `vfork()`: a child that shares this process's memory, while this
/// process sleeps in the kernel, uninterruptibly (state `D`), until the
/// child execs or ends. The child reads `fd` until end of file, then ends
/// with code 0. Returns the child's pid once it has ended (it is left to
/// reap).
///
/// It is `clone(CLONE_VM | CLONE_VFORK, SIGCHLD)`, which is what `vfork()`
/// is, with the child on a stack of its own: a Rust `vfork()` would run
/// the child on the parent's stack, in a function the compiler does not
/// know returns twice.
pub fn vfork_until_eof(fd: BorrowedFd<'_>) -> Result<Pid, Errno> {
    let raw = fd.as_raw_fd();
    let mut stack = vec![0u8; VFORK_STACK];
    let child = Box::new(move || -> isize {
        let mut byte = 0u8;
        loop {
            // SAFETY: the child shares the parent's memory, which is
            // suspended in the kernel until this child ends. It touches
            // only its own stack (`byte`, on the stack allocated for it) and
            // makes raw system calls: no allocation, no lock, no buffered
            // I/O, nothing that a parent's lock or state could hold. A
            // failing call may set errno in the shared thread block, which
            // the parent does not read after `clone` returns a pid.
            let read = unsafe {
                libc::syscall(
                    libc::SYS_read,
                    raw,
                    std::ptr::from_mut(&mut byte).cast::<libc::c_void>(),
                    1usize,
                )
            };
            // End of file (the write end was closed), or an error: stop.
            if read <= 0 {
                break;
            }
        }
        // SAFETY: ends this thread of the vfork child at once, as `_exit`
        // would, without running anything of the parent's: no destructor,
        // no atexit handler, no flush of shared buffers.
        unsafe { libc::syscall(libc::SYS_exit, 0) };
        0
    });
    // SAFETY: the child runs `child` on `stack`, which lives until `clone`
    // returns, and `clone` returns in this process only once the child has
    // ended (CLONE_VFORK). The child does only what the comments above say;
    // SIGCHLD tells this process when it ends, as a fork's child would.
    unsafe {
        clone(
            child,
            &mut stack,
            CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK,
            Some(libc::SIGCHLD),
        )
    }
}
