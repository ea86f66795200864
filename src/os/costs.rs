//! What the `costs` lesson times: creating and reaping a process, a thread,
//! a round trip through a pipe or a channel, a copy-on-write fault; and the
//! figures it reads (`smaps_rollup`, `getrusage`). Each timer keeps only
//! the operation between its two clock reads: no allocation, no `/proc`
//! read, no report inside.

use std::fs;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::unistd::{Pid, read, write};

use super::retry;
use super::wait::{ExitStatus, wait_blocking};

/// `fork()`, a child that `_exit(0)`s at once, and `waitpid()` for it: the
/// time from just before the fork to the reaped status.
pub fn time_fork_wait() -> Result<(Duration, ExitStatus), Errno> {
    let start = Instant::now();
    // SAFETY: the child calls only `_exit`, which is async-signal-safe; it
    // never returns into Rust, so no lock another thread might hold matters.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(Errno::last()),
        0 => {
            // SAFETY: `_exit` never returns.
            unsafe { libc::_exit(0) }
        }
        pid => {
            let status = wait_blocking(Pid::from_raw(pid))?;
            Ok((start.elapsed(), status))
        }
    }
}

/// `pthread_create` of a thread that does nothing, and `pthread_join`: the
/// calls C makes. Not `std::thread::spawn`, whose every thread also maps,
/// installs and unmaps a signal stack of its own (`sigaltstack`), reads
/// its affinity and allocates its name: Rust's cost, not the kernel's.
/// Only in a demo child: procdemo's own process stays single-threaded.
pub fn time_thread_create_join() -> io::Result<Duration> {
    extern "C" fn nothing(_: *mut libc::c_void) -> *mut libc::c_void {
        std::ptr::null_mut()
    }
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    let start = Instant::now();
    // SAFETY: `thread` is valid for writing a `pthread_t`; default attributes
    // (a null pointer) make a joinable thread; `nothing` touches no memory,
    // cannot unwind, and its argument is unused.
    let created = unsafe {
        libc::pthread_create(
            thread.as_mut_ptr(),
            std::ptr::null(),
            nothing,
            std::ptr::null_mut(),
        )
    };
    if created != 0 {
        return Err(io::Error::from_raw_os_error(created));
    }
    // SAFETY: `pthread_create` succeeded, so it wrote the thread's id; the
    // thread is joinable and joined exactly once, here; its result (a null
    // pointer) is not asked for.
    let joined = unsafe { libc::pthread_join(thread.assume_init(), std::ptr::null_mut()) };
    let took = start.elapsed();
    if joined != 0 {
        return Err(io::Error::from_raw_os_error(joined));
    }
    Ok(took)
}

/// SIGCHLD blocked in this process while it lives: its timed rounds then
/// run no signal handler (procdemo's SIGCHLD handler writes to its
/// self-pipe) between a child's end and the clock read. The kernel keeps
/// one SIGCHLD pending and delivers it when the guard restores the mask,
/// so the lab still wakes, once, after the rounds. Children forked
/// meanwhile inherit the mask; the timed ones only exit or exec
/// `/bin/true`.
pub struct SigchldBlocked {
    before: SigSet,
}

impl SigchldBlocked {
    pub fn new() -> Result<Self, Errno> {
        let mut before = SigSet::empty();
        let mut chld = SigSet::empty();
        chld.add(Signal::SIGCHLD);
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&chld), Some(&mut before))?;
        Ok(Self { before })
    }
}

impl Drop for SigchldBlocked {
    fn drop(&mut self) {
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.before), None);
    }
}

/// Sends one byte to a second thread through a channel and waits for it to
/// come back through another, `rounds` times; the time of each round trip.
/// Only in a demo child: the thread is joined before this returns.
pub fn time_channel_round_trips(rounds: usize) -> io::Result<Vec<Duration>> {
    let (to_echo, echo_in) = mpsc::channel::<u8>();
    let (echo_out, back) = mpsc::channel::<u8>();
    let echo = std::thread::Builder::new().spawn(move || {
        while let Ok(byte) = echo_in.recv() {
            if echo_out.send(byte).is_err() {
                break;
            }
        }
    })?;
    let mut times = Vec::with_capacity(rounds);
    let mut outcome = Ok(());
    for round in 0..rounds {
        let start = Instant::now();
        let sent = to_echo.send(round as u8);
        let came_back = back.recv();
        let took = start.elapsed();
        if sent.is_err() || came_back != Ok(round as u8) {
            outcome = Err(io::Error::other("the echo thread stopped answering"));
            break;
        }
        times.push(took);
    }
    drop(to_echo);
    echo.join()
        .map_err(|_| io::Error::other("the echo thread panicked"))?;
    outcome.map(|()| times)
}

/// Writes one byte into `to` and reads one back from `from` (another
/// process echoes it): the time of one round trip.
pub fn time_pipe_round_trip(to: BorrowedFd<'_>, from: BorrowedFd<'_>) -> Result<Duration, Errno> {
    let mut byte = [0u8; 1];
    let start = Instant::now();
    retry(|| write(to, b"x"))?;
    let count = retry(|| read(from, &mut byte))?;
    let took = start.elapsed();
    if count == 1 {
        Ok(took)
    } else {
        Err(Errno::EPIPE)
    }
}

/// The echoing side: reads a byte from `from` and writes it to `to`, until
/// end of file. Gives how many bytes it echoed.
pub fn echo(from: BorrowedFd<'_>, to: BorrowedFd<'_>) -> Result<usize, Errno> {
    let mut byte = [0u8; 1];
    let mut echoed = 0;
    while retry(|| read(from, &mut byte))? == 1 {
        retry(|| write(to, &byte))?;
        echoed += 1;
    }
    Ok(echoed)
}

/// This process's counts so far (`getrusage(RUSAGE_SELF)`).
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub minor_faults: u64,
    /// It gave up the CPU to wait (a read on an empty pipe).
    pub voluntary_switches: u64,
    /// The scheduler took the CPU from it (a woken task preempted it).
    pub involuntary_switches: u64,
}

pub fn own_usage() -> Result<Usage, Errno> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    Ok(Usage {
        minor_faults: usage.minor_page_faults() as u64,
        voluntary_switches: usage.voluntary_context_switches() as u64,
        involuntary_switches: usage.involuntary_context_switches() as u64,
    })
}

/// Anonymous private memory, `pages` pages long, every page written once
/// (so that each is present and this process's own before a fork).
pub struct Pages {
    start: NonNull<libc::c_void>,
    length: usize,
    page: usize,
}

impl Pages {
    pub fn touched(pages: usize) -> Result<Self, Errno> {
        let page = page_size()?;
        let length = pages.max(1) * page;
        let size = NonZeroUsize::new(length).ok_or(Errno::EINVAL)?;
        // SAFETY: a fresh anonymous private mapping, at an address the kernel
        // chooses; nothing else refers to it.
        let start = unsafe {
            mmap_anonymous(
                None,
                size,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )?
        };
        let pages = Self {
            start,
            length,
            page,
        };
        for index in 0..pages.count() {
            pages.write(index, 1);
        }
        Ok(pages)
    }

    pub fn count(&self) -> usize {
        self.length / self.page
    }

    pub fn page_size(&self) -> usize {
        self.page
    }

    fn write(&self, index: usize, value: u8) {
        // SAFETY: `index` is below `count()`, so the byte is inside the
        // mapping, which is readable and writable and lives as long as `self`.
        unsafe {
            self.start
                .as_ptr()
                .cast::<u8>()
                .add(index * self.page)
                .write_volatile(value)
        };
    }

    /// Writes one byte into page `index`: after a fork, the first write to a
    /// page still shared takes a copy-on-write fault. Its time.
    pub fn time_write(&self, index: usize, value: u8) -> Duration {
        let start = Instant::now();
        self.write(index % self.count(), value);
        start.elapsed()
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `touched` with this length and
        // nothing refers to it once `self` goes.
        let _ = unsafe { munmap(self.start, self.length) };
    }
}

fn page_size() -> Result<usize, Errno> {
    // SAFETY: `sysconf` reads a constant of the system; no memory of ours.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).map_err(|_| Errno::last())
}

/// The first `name` that is an executable file in a directory of `$PATH`.
pub fn on_path(name: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(name))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
        .map(|found| found.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chld_blocked() -> bool {
        let mut now = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_BLOCK, None, Some(&mut now)).expect("sigprocmask");
        now.contains(Signal::SIGCHLD)
    }

    #[test]
    fn sigchld_is_blocked_while_the_guard_lives_and_restored_after() {
        assert!(!chld_blocked());
        let guard = SigchldBlocked::new().expect("blocking SIGCHLD");
        assert!(chld_blocked());
        drop(guard);
        assert!(!chld_blocked());
    }
}
