//! What the `states` lesson needs of the lab: waiting until `/proc` shows a
//! process in a given state, and a child's vfork whose child waits at a gate.

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::unistd::Pid;
use serde_json::json;

use super::waiting::Wake;
use super::{ChildSide, Gate, Lab};
use crate::model::FORKED;
use crate::os::procfs;
use crate::os::states::vfork_until_eof;

impl Lab {
    /// Waits until `/proc/<pid>/stat` shows `state` (a process on its way
    /// there: a signal being delivered, a call about to block), and returns
    /// the last letter read: `state`, or another once `within` has passed.
    pub fn wait_for_state(&mut self, pid: Pid, state: char, within: Duration) -> Result<char> {
        let deadline = Instant::now() + within;
        let mut last = None;
        // A change of state sends no signal: /proc is read every millisecond.
        let found = self.poll_until(
            Some(deadline),
            Wake::EventOrAfter(Duration::from_millis(1)),
            |_| {
                let now = procfs::stat(pid)
                    .with_context(|| format!("reading /proc/{pid}/stat"))?
                    .state;
                last = Some(now);
                Ok((now == state).then_some(now))
            },
        )?;
        found
            .or(last)
            .with_context(|| format!("/proc/{pid}/stat was never read"))
    }
}

impl ChildSide<'_> {
    /// `vfork()` in this child: its own child (role `role`) waits at
    /// `gate` and ends once the parent opens it, while this process sleeps
    /// in the kernel until then. Returns the vfork child's pid, ended and
    /// not yet reaped (the lab knows of it, for its tree).
    pub fn vfork_until(&self, role: &str, gate: &Gate) -> Result<Pid> {
        let pid = vfork_until_eof(gate.read.as_fd()).context("vfork (clone with CLONE_VFORK)")?;
        self.report(FORKED, json!({ "pid": pid.as_raw(), "role": role }))?;
        Ok(pid)
    }
}
