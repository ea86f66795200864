//! A child's fork from a process with several threads (the `threads`
//! lesson): `ChildSide::fork` checks that only one thread runs, this one is
//! the deliberate exception.

use super::child::{ChildSide, Tie};
use super::fork::fork_failed;
use crate::os::threads::fork_from_threads;
use anyhow::Result;
use nix::unistd::{Pid, getpid};

impl ChildSide<'_> {
    /// Forks while other threads of this child run: the new process has
    /// only the calling thread. It dies with this child, has the same
    /// lifetime cap, and the lab learns of it and reaps it if orphaned.
    pub fn fork_with_threads(
        &self,
        role: &'static str,
        body: impl FnOnce(&ChildSide) -> Result<i32>,
    ) -> Result<Pid> {
        let parent = getpid();
        let pid = fork_from_threads(|returned| {
            self.in_new_child(role, Tie::ToParent, parent, returned, body)
        })
        .map_err(fork_failed)?;
        self.forked(role, pid)
    }
}
