//! Waiting for children and decoding what the kernel says about how they ended.

use nix::errno::Errno;
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

use super::retry;

/// The raw status `waitpid()` stores, kept whole so lessons can show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitStatus(pub i32);

impl ExitStatus {
    /// The exit code, when the process ended by `exit`/`_exit`.
    pub fn code(self) -> Option<i32> {
        libc::WIFEXITED(self.0).then(|| libc::WEXITSTATUS(self.0))
    }

    /// The signal number, when a signal ended the process.
    pub fn signal(self) -> Option<i32> {
        libc::WIFSIGNALED(self.0).then(|| libc::WTERMSIG(self.0))
    }

    /// Python's `Process.exitcode`: the code, or `-N` when signal N ended it.
    pub fn python_exitcode(self) -> i32 {
        match (self.code(), self.signal()) {
            (Some(code), _) => code,
            (None, Some(signal)) => -signal,
            (None, None) => self.0,
        }
    }
}

/// Reaps `pid` if it has ended; `None` while it still runs.
pub fn try_reap(pid: Pid) -> Result<Option<ExitStatus>, Errno> {
    reap(pid.as_raw(), libc::WNOHANG).map(|found| found.map(|(_, status)| status))
}

/// Waits for `pid` to end and reaps it.
pub fn wait_blocking(pid: Pid) -> Result<ExitStatus, Errno> {
    match reap(pid.as_raw(), 0)? {
        Some((_, status)) => Ok(status),
        None => Err(Errno::ECHILD),
    }
}

/// Waits for `pid` to end and returns how, without reaping it (`WNOWAIT`):
/// it stays a zombie until `wait_blocking`, so the caller can tell others
/// how it ended first.
pub fn wait_until_ended(pid: Pid) -> Result<ExitStatus, Errno> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
    loop {
        match waitid(Id::Pid(pid), flags) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(ExitStatus(libc::W_EXITCODE(code, 0))),
            Ok(WaitStatus::Signaled(_, signal, dumped)) => {
                let core_dumped = if dumped { 0x80 } else { 0 };
                return Ok(ExitStatus(libc::W_EXITCODE(0, signal as i32) | core_dumped));
            }
            // WEXITED alone reports only an end; a signal may cut the wait short.
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno),
        }
    }
}

/// Reaps any ended child; `Ok(None)` while children exist but none has ended,
/// `Err(ECHILD)` when there are no children left at all.
pub fn try_reap_any() -> Result<Option<(Pid, ExitStatus)>, Errno> {
    reap(-1, libc::WNOHANG)
}

fn reap(pid: libc::pid_t, options: libc::c_int) -> Result<Option<(Pid, ExitStatus)>, Errno> {
    let mut status: libc::c_int = 0;
    let found = retry(|| {
        // SAFETY: `status` is a valid, writable c_int for the whole call.
        Errno::result(unsafe { libc::waitpid(pid, &mut status, options) })
    })?;
    Ok((found != 0).then(|| (Pid::from_raw(found), ExitStatus(status))))
}

/// The status the kernel holds for an ended, unreaped `pid`, read without
/// reaping it (`WNOWAIT`): the reason a zombie exists. `None` while it runs.
pub fn held_status(pid: Pid) -> Option<WaitStatus> {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    waitid(Id::Pid(pid), flags)
        .ok()
        .filter(|status| *status != WaitStatus::StillAlive)
}

/// True once `pid` has ended, without reaping it (`WNOWAIT`): a zombie stays a
/// zombie for the lesson that wants to show one. For a process that is not
/// this one's child (a grandchild), `/proc` tells: gone, or a zombie.
pub fn has_ended(pid: Pid) -> bool {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::Pid(pid), flags) {
        Ok(WaitStatus::StillAlive) => false,
        Ok(_) => true,
        Err(_) => super::procfs::stat(pid).map_or(true, |stat| stat.state == 'Z'),
    }
}
