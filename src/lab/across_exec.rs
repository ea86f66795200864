//! Gates and arguments for spawned children: a fresh procdemo (after
//! `exec`) keeps a gate's read end, named by its number on the command
//! line, and waits there as a forked child does.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use anyhow::{Context, Result};

use super::child::{ChildSide, Gate, SpawnedSide};
use crate::os::pipe;
use crate::os::process::monotonic_ns;

impl Gate {
    /// The number of the gate's read end, the same in a child after fork:
    /// what a spawned child is told on its command line.
    pub fn number(&self) -> String {
        self.read.as_raw_fd().to_string()
    }

    /// In the child, between fork and exec: keeps the gate's read end open
    /// across `exec` (every other gate's closes there). The write ends
    /// stay with procdemo, so `Lab::open` still ends the wait.
    pub fn keep_across_exec(&self, _side: &ChildSide) -> Result<()> {
        pipe::keep_across_exec(self.read.as_fd()).context("fcntl(F_SETFD) on a gate")
    }
}

/// A gate inherited across `exec`: its read end, whose number came on the
/// command line.
pub struct InheritedGate(OwnedFd);

impl SpawnedSide {
    /// The role `Lab::spawn` gave this process.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// Microseconds since the lesson began, on the clock every process shares.
    pub fn now_us(&self) -> u64 {
        monotonic_ns().saturating_sub(self.started_ns) / 1000
    }

    /// The arguments `Lab::spawn` gave after `--` (this program's own).
    pub fn args(&self) -> Vec<String> {
        std::env::args()
            .skip_while(|arg| arg != "--")
            .skip(1)
            .collect()
    }

    /// Takes the gate whose read end is descriptor `number`.
    pub fn inherited_gate(&self, number: &str) -> Result<InheritedGate> {
        let fd: i32 = number
            .parse()
            .with_context(|| format!("`{number}` is not a descriptor number"))?;
        pipe::adopt_inherited_pipe(fd)
            .map(InheritedGate)
            .with_context(|| format!("descriptor {fd} is not an inherited gate"))
    }

    /// Blocks until procdemo opens `gate`.
    pub fn wait_for(&self, gate: &InheritedGate) -> Result<()> {
        pipe::wait_for_eof(gate.0.as_fd()).context("waiting at a gate")
    }
}
