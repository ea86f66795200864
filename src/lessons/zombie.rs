//! `zombie`: a child that has ended but has not been reaped. Its state is `Z`
//! in `/proc` (`<defunct>` in `ps`), the kernel still holds its exit status,
//! `kill -9` cannot remove it, and only the parent's `waitpid()` does.

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use serde_json::{Value, json};

use crate::lab::{CHILD, Lab, PARENT};
use crate::os::process::process_limit;
use crate::os::procfs;
use crate::os::wait::held_status;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Distinct from 0 and 1, so that it is clearly the child's own code coming back.
const EXIT_CODE: i32 = 7;

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    let child = lab.fork(CHILD, |side| {
        side.report("child-exits", json!({ "exit_code": EXIT_CODE }))?;
        Ok(EXIT_CODE)
    })?;

    // On purpose, no waitpid() yet: the child stays a zombie until the
    // `reap` step (and the lab would reap it if the lesson stopped early).
    lab.wait_until_ended(child.pid)?;
    let stat = procfs::stat(child.pid).context("reading the zombie's /proc/<pid>/stat")?;
    let held_exit_code = match held_status(child.pid) {
        Some(WaitStatus::Exited(_, code)) => json!(code),
        _ => Value::Null,
    };
    lab.emit(
        PARENT,
        "zombie-state",
        json!({
            "child_pid": child.pid.as_raw(),
            "state": stat.state.to_string(),
            "ps_shows": procfs::ps_line(child.pid),
            "held_exit_code": held_exit_code,
            "memory_kb": procfs::status_field(child.pid, "VmRSS"),
            "ppid": stat.ppid,
        }),
    )?;
    // Time to look: `ps -el | grep Z` in another terminal shows it too.
    lab.sleep(2.0)?;

    lab.signal(child.pid, Signal::SIGKILL)?;
    let after = procfs::stat(child.pid).context("reading the zombie's state after SIGKILL")?;
    lab.emit(
        PARENT,
        "kill-zombie",
        json!({ "signal": "SIGKILL", "kill_succeeded": true, "state_after": after.state.to_string() }),
    )?;

    let status = lab.wait(child.pid)?;
    lab.emit(
        PARENT,
        "reap",
        json!({
            "wait_status": status.0,
            "exit_code": status.code(),
            "python_exitcode": status.python_exitcode(),
            "proc_entry_exists": procfs::exists(child.pid),
        }),
    )?;

    let (processes, zombies) = procfs::count_processes().context("counting processes in /proc")?;
    let user_limit = match process_limit() {
        Ok(Some(limit)) => json!(limit),
        Ok(None) => json!("unlimited"),
        Err(_) => Value::Null,
    };
    lab.emit(
        PARENT,
        "at-scale",
        json!({
            "pid_max": procfs::read_number("/proc/sys/kernel/pid_max"),
            "user_process_limit": user_limit,
            "processes_now": processes,
            "zombies_now": zombies,
        }),
    )
}
