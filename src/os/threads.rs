//! What the `threads` lesson asks the kernel: a thread's own id, the tasks
//! of a process in `/proc/<pid>/task`, `ps -L`, a real invalid memory
//! access (with core dumps off first), a fork from a process that has
//! several threads, and pinning a process to one CPU.

use std::fs;
use std::io;
use std::num::NonZeroUsize;

use nix::errno::Errno;
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous};
use nix::sys::resource::{Resource, setrlimit};
use nix::unistd::Pid;

use super::process::{ForkReturn, exit_now};

/// `gettid()`: the id of the calling thread (the pid, for the first).
pub fn gettid() -> i32 {
    nix::unistd::gettid().as_raw()
}

/// The ids in `/proc/<pid>/task`, one per thread, sorted.
pub fn task_ids(pid: Pid) -> io::Result<Vec<i32>> {
    let mut ids: Vec<i32> = fs::read_dir(format!("/proc/{pid}/task"))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// `Tgid` and `Pid` of one task, from `/proc/<pid>/task/<tid>/status`:
/// what `getpid()` and `gettid()` return in that thread.
pub fn task_ids_of(pid: Pid, tid: i32) -> io::Result<(i32, i32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<i32>().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("no {name} for task {tid}"),
                )
            })
    };
    Ok((field("Tgid:")?, field("Pid:")?))
}

/// A task's name, from `/proc/<pid>/task/<tid>/comm`.
pub fn task_name(pid: Pid, tid: i32) -> io::Result<String> {
    Ok(fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))?
        .trim_end()
        .to_string())
}

/// What `ps -L -o pid=,lwp=,stat=,comm= -p <pid>` prints (one line per
/// thread, `; ` between them), or `None` where `ps` is not installed.
pub fn ps_threads(pid: Pid) -> Option<String> {
    let text = super::procfs::ps(&["-L", "-o", "pid=,lwp=,stat=,comm=", "-p", &pid.to_string()])?;
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

/// `setrlimit(RLIMIT_CORE, 0)`: a process that a signal ends writes no
/// core file (a deliberate crash must leave nothing behind).
pub fn no_core_dumps() -> Result<(), Errno> {
    setrlimit(Resource::RLIMIT_CORE, 0, 0)
}

/// A real invalid memory access: a write to a page mapped with no access
/// at all. The kernel sends SIGSEGV to the process; Rust's handler (there
/// for stack overflows) sees a fault outside a guard page, restores the
/// default action and returns, the write faults again and the kernel ends
/// the whole process. Returns only if the mapping cannot be made.
pub fn invalid_write() -> Errno {
    let Some(length) = NonZeroUsize::new(4096) else {
        return Errno::EINVAL;
    };
    // SAFETY: a fresh anonymous mapping that nothing else refers to.
    let page = match unsafe {
        mmap_anonymous(None, length, ProtFlags::PROT_NONE, MapFlags::MAP_PRIVATE)
    } {
        Ok(page) => page,
        Err(errno) => return errno,
    };
    // SAFETY: the write is meant to fault (PROT_NONE): the kernel stops it
    // before any memory changes, and the process ends with SIGSEGV.
    unsafe { std::ptr::write_volatile(page.as_ptr().cast::<u8>(), 1) };
    Errno::EFAULT
}

/// `fork()` from a process that has several threads. In the child, runs
/// `child` and ends with `_exit` and its code. Only the calling thread is
/// copied into the child: a lock another thread held at the fork stays
/// held there, with no thread left to release it.
pub fn fork_from_threads(child: impl FnOnce(ForkReturn) -> i32) -> Result<Pid, Errno> {
    // SAFETY: the caller's other threads are parked at known points (a
    // blocking read of a gate, a mutex held while waiting), none inside the
    // allocator, and glibc resets its allocator locks in the child; the
    // child only reads /proc, tries a lock, reports and leaves through
    // `_exit`, never returning into the caller.
    let value = unsafe { libc::fork() };
    let at = std::time::Instant::now();
    match value {
        -1 => Err(Errno::last()),
        0 => {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                child(ForkReturn { value, at })
            }))
            .unwrap_or(super::process::PANIC_EXIT_CODE);
            exit_now(code)
        }
        pid => Ok(Pid::from_raw(pid)),
    }
}

/// The CPUs this process may run on (`sched_getaffinity`).
pub fn affinity() -> Result<CpuSet, Errno> {
    sched_getaffinity(Pid::from_raw(0))
}

/// Pins this process (its threads from now on, and its children) to `cpu`.
pub fn pin_to(cpu: usize) -> Result<(), Errno> {
    let mut set = CpuSet::new();
    set.set(cpu)?;
    sched_setaffinity(Pid::from_raw(0), &set)
}

/// Puts back a set `affinity` returned.
pub fn restore_affinity(set: &CpuSet) -> Result<(), Errno> {
    sched_setaffinity(Pid::from_raw(0), set)
}

/// One task's state letter (`R`, `S`, `Z`, ...), from the `State:` line of
/// `/proc/<pid>/task/<tid>/status`.
pub fn task_state(pid: Pid, tid: i32) -> io::Result<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("State:")?.split_whitespace().next())
        .map(str::to_string)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no State line"))
}

/// Where the kernel would write a core file: `/proc/sys/kernel/core_pattern`
/// (a name, relative to the crashing process's directory, or `|program`).
pub fn core_pattern() -> io::Result<String> {
    Ok(fs::read_to_string("/proc/sys/kernel/core_pattern")?
        .trim_end()
        .to_string())
}

/// The load averages over 1, 5 and 15 minutes, as `/proc/loadavg` gives
/// them (tasks running or waiting to run, averaged).
pub fn load_average() -> io::Result<String> {
    let text = fs::read_to_string("/proc/loadavg")?;
    Ok(text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" "))
}
