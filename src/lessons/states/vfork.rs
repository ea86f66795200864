//! State `D`: a child in `vfork()` sleeps uninterruptibly until its own
//! child ends; a SIGSTOP waits until then.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;

use super::{SETTLE, Uninterruptible, VFORK_CHILD, VFORK_PARENT, VforkEnds};
use crate::lab::{Lab, PARENT};
use crate::os::procfs;
use crate::os::states::{ps_line, wchan_text};

/// How long procdemo leaves a SIGSTOP to take effect before it reads the
/// state again: a process in `S` would be `T` well within it.
const STOP_GRACE: Duration = Duration::from_millis(20);

/// Shows a vfork parent in `D`, then lets its vfork child end; returns the
/// letter it had while it waited.
pub(super) fn uninterruptible(lab: &mut Lab) -> Result<String> {
    let gate = lab.gate()?;
    let parent = lab.fork(VFORK_PARENT, |side| {
        let child = side.vfork_until(VFORK_CHILD, &gate)?;
        side.wait(child)?;
        Ok(0)
    })?;
    let waiting = lab.wait_for_state(parent.pid, 'D', SETTLE)?;
    let children = procfs::children_of(parent.pid).context("listing the vfork child")?;
    let Some(child) = children
        .first()
        .map(|child| nix::unistd::Pid::from_raw(child.pid))
    else {
        bail!("the vfork parent {} has no child in /proc", parent.pid);
    };
    // The vfork child blocks in read() at the gate: on its way there, it runs.
    let child_state = lab.wait_for_state(child, 'S', SETTLE)?;
    let wchan = wchan_text(parent.pid).context("reading the vfork parent's wchan")?;
    let child_wchan = wchan_text(child).context("reading the vfork child's wchan")?;
    let ps_shows = ps_line(parent.pid);
    lab.signal(parent.pid, Signal::SIGSTOP)?;
    // Not an ordering: a state that does not change must be given time to.
    lab.sleep_for(STOP_GRACE)?;
    let after_stop = procfs::stat(parent.pid).context("reading the vfork parent's state")?;
    lab.tell(
        PARENT,
        &Uninterruptible {
            vfork_parent_pid: parent.pid.as_raw(),
            state: waiting.to_string(),
            wchan,
            ps_shows,
            vfork_child_pid: child.as_raw(),
            vfork_child_state: child_state.to_string(),
            vfork_child_wchan: child_wchan,
            state_after_sigstop: after_stop.state.to_string(),
        },
    )?;

    lab.open(&gate);
    let once_ended = lab.wait_for_state(parent.pid, 'T', SETTLE)?;
    lab.signal(parent.pid, Signal::SIGCONT)?;
    let status = lab.wait(parent.pid)?;
    lab.tell(
        PARENT,
        &VforkEnds {
            vfork_parent_pid: parent.pid.as_raw(),
            state: once_ended.to_string(),
            python_exitcode: status.python_exitcode(),
        },
    )?;
    Ok(waiting.to_string())
}
