//! The last resort: kill every descendant and reap until the kernel says
//! there is no child left.

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, getpid};

use super::procfs::children_of;
use super::wait::{ExitStatus, try_reap_any};

/// Kills every child of this process with SIGKILL and reaps until `ECHILD`.
/// Grandchildren are handled too: when their parent dies they either die with
/// it (parent-death signal) or, procdemo being a subreaper, become procdemo's
/// children and are killed on the next round. Gives up after `limit` and
/// returns the pids still there as the error.
pub fn kill_and_reap_all(limit: Duration) -> Result<Vec<(Pid, ExitStatus)>, Vec<i32>> {
    let deadline = Instant::now() + limit;
    let mut reaped = Vec::new();
    loop {
        let living = children_of(getpid()).unwrap_or_default();
        for child in &living {
            let _ = kill(Pid::from_raw(child.pid), Signal::SIGKILL);
        }
        loop {
            match try_reap_any() {
                Ok(Some(ended)) => reaped.push(ended),
                Ok(None) => break,
                Err(Errno::ECHILD) => return Ok(reaped),
                Err(_) => break,
            }
        }
        if Instant::now() > deadline {
            return Err(living.iter().map(|child| child.pid).collect());
        }
        // A killed process takes a moment to become reapable.
        std::thread::sleep(Duration::from_millis(2));
    }
}
