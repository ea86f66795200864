//! `zombie`: a child that has ended but has not been reaped. Its state is `Z`
//! in `/proc` (`<defunct>` in `ps`), the kernel still holds its exit status,
//! `kill -9` cannot remove it, and only the parent's `waitpid()` does.

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use serde::{Deserialize, Serialize};

use crate::lab::{CHILD, Lab, PARENT};
use crate::model::Report;
use crate::os::process::process_limit;
use crate::os::procfs;
use crate::os::wait::held_status;
use crate::report;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Distinct from 0 and 1, so that it is clearly the child's own code coming back.
const EXIT_CODE: i32 = 7;

report! {
    /// The exit code the child is about to return.
    "child-exits" => pub struct ChildExits { pub exit_code: i32 }

    /// The unreaped child as `/proc` and `ps` show it (`ps_shows` null
    /// without `ps`), the status the kernel holds for it (read with
    /// `WNOWAIT`), its memory (null: a zombie has no `VmRSS`) and its parent.
    "zombie-state" => pub struct ZombieState {
        pub child_pid: i32,
        pub state: String,
        pub ps_shows: Option<String>,
        pub held_exit_code: Option<i32>,
        pub memory_kb: Option<String>,
        pub ppid: i32,
    }

    /// SIGKILL sent to the zombie, and its state afterwards (still `Z`).
    "kill-zombie" => pub struct KillZombie { pub signal: String, pub kill_succeeded: bool, pub state_after: String }

    /// The parent's `waitpid()` and what it returned; the `/proc` entry is gone.
    "reap" => pub struct Reap {
        pub wait_status: i32,
        pub exit_code: Option<i32>,
        pub python_exitcode: i32,
        pub proc_entry_exists: bool,
    }

    /// The machine's limits and how many processes and zombies it has now
    /// (`pid_max` and `user_process_limit` null where they cannot be read).
    "at-scale" => pub struct AtScale {
        pub pid_max: Option<u64>,
        pub user_process_limit: Option<ProcessLimit>,
        pub processes_now: usize,
        pub zombies_now: usize,
    }
}

/// `RLIMIT_NPROC`: a number, or the word `"unlimited"`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
pub enum ProcessLimit {
    Processes(u64),
    Unlimited(Unlimited),
}

/// The word `"unlimited"`, and no other.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Unlimited {
    Unlimited,
}

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    let child = lab.fork(CHILD, |side| {
        side.tell(&ChildExits {
            exit_code: EXIT_CODE,
        })?;
        Ok(EXIT_CODE)
    })?;

    // On purpose, no waitpid() yet: the child stays a zombie until the
    // `reap` step (and the lab would reap it if the lesson stopped early).
    lab.wait_until_ended(child.pid)?;
    let stat = procfs::stat(child.pid).context("reading the zombie's /proc/<pid>/stat")?;
    let held_exit_code = match held_status(child.pid) {
        Some(WaitStatus::Exited(_, code)) => Some(code),
        _ => None,
    };
    lab.tell(
        PARENT,
        &ZombieState {
            child_pid: child.pid.as_raw(),
            state: stat.state.to_string(),
            ps_shows: procfs::ps_line(child.pid),
            held_exit_code,
            memory_kb: procfs::status_field(child.pid, "VmRSS"),
            ppid: stat.ppid,
        },
    )?;
    // Time to look: `ps -el | grep Z` in another terminal shows it too.
    lab.sleep(2.0)?;

    lab.signal(child.pid, Signal::SIGKILL)?;
    let after = procfs::stat(child.pid).context("reading the zombie's state after SIGKILL")?;
    lab.tell(
        PARENT,
        &KillZombie {
            signal: "SIGKILL".to_string(),
            kill_succeeded: true,
            state_after: after.state.to_string(),
        },
    )?;

    // The zombie stays until people have read that it survived the kill.
    lab.before(Reap::STEP)?;
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &Reap {
            wait_status: status.0,
            exit_code: status.code(),
            python_exitcode: status.python_exitcode(),
            proc_entry_exists: procfs::exists(child.pid),
        },
    )?;

    let (processes, zombies) = procfs::count_processes().context("counting processes in /proc")?;
    let user_process_limit = match process_limit() {
        Ok(Some(limit)) => Some(ProcessLimit::Processes(limit)),
        Ok(None) => Some(ProcessLimit::Unlimited(Unlimited::Unlimited)),
        Err(_) => None,
    };
    lab.tell(
        PARENT,
        &AtScale {
            pid_max: procfs::read_number("/proc/sys/kernel/pid_max"),
            user_process_limit,
            processes_now: processes,
            zombies_now: zombies,
        },
    )
}
