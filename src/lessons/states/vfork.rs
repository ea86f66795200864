//! State `D`: a child in `vfork()` sleeps uninterruptibly until its own
//! child ends; a SIGSTOP waits until then.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;

use super::{SETTLE, Uninterruptible, VFORK_CHILD, VFORK_PARENT, VforkEnds};
use crate::lab::{Gate, Lab, PARENT};
use crate::os::procfs;
use crate::os::states::{ps_line, wchan_text};

/// How long procdemo leaves a SIGSTOP to take effect before it reads the
/// state again: a process in `S` would be `T` well within it.
const STOP_GRACE: Duration = Duration::from_millis(20);

/// A vfork parent held in its wait: the letter read, and the gate that
/// ends the wait.
pub(super) struct Held {
    pub(super) state: char,
    parent: nix::unistd::Pid,
    gate: Gate,
}

/// Shows a vfork parent in `D` (and a SIGSTOP waiting), and leaves it
/// there until `release`.
pub(super) fn hold_in_d(lab: &mut Lab) -> Result<Held> {
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
    // The vfork child blocks in read() at the gate: on its way there, it
    // runs, and it can read `S` before /proc names where it sleeps.
    let asleep = lab.wait_until_asleep(child)?;
    let child_state = asleep.state;
    let child_wchan = match asleep.wchan {
        Some(named) => named,
        None => wchan_text(child).context("reading the vfork child's wchan")?,
    };
    let wchan = wchan_text(parent.pid).context("reading the vfork parent's wchan")?;
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
            vfork_child_state: child_state,
            vfork_child_wchan: child_wchan,
            state_after_sigstop: after_stop.state.to_string(),
        },
    )?;
    Ok(Held {
        state: waiting,
        parent: parent.pid,
        gate,
    })
}

/// Lets the vfork child end: its parent takes the stop it held back, and
/// ends after SIGCONT (unless it was killed from outside before).
pub(super) fn release(lab: &mut Lab, held: Held) -> Result<()> {
    let Held { parent, gate, .. } = held;
    let before = procfs::stat(parent).context("reading the vfork parent's state")?;
    lab.open(&gate);
    // A parent that had ended already (killed from outside) stops no more.
    let once_ended = match before.state {
        'Z' => {
            procfs::stat(parent)
                .context("reading the vfork parent's state")?
                .state
        }
        _ => lab.wait_for_state(parent, 'T', SETTLE)?,
    };
    lab.signal(parent, Signal::SIGCONT)?;
    let status = lab.wait(parent)?;
    lab.tell(
        PARENT,
        &VforkEnds {
            vfork_parent_pid: parent.as_raw(),
            state_before: before.state.to_string(),
            state: once_ended.to_string(),
            python_exitcode: status.python_exitcode(),
        },
    )
}
