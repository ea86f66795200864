//! A child's fork from a process with several threads (the `threads`
//! lesson): `ChildSide::fork` checks that only one thread runs, this one is
//! the deliberate exception.

use anyhow::Result;
use nix::unistd::{Pid, getpid};
use serde_json::json;

use super::child::{ChildSide, run_body};
use super::fork::fork_failed;
use crate::model::FORKED;
use crate::os::process::{cap_lifetime, die_with_parent};
use crate::os::threads::fork_from_threads;

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
            cap_lifetime(self.lifetime);
            if !die_with_parent(parent) {
                return 1;
            }
            let side = ChildSide {
                role,
                returned,
                ..*self
            };
            run_body(&side, body)
        })
        .map_err(fork_failed)?;
        self.report(FORKED, json!({ "pid": pid.as_raw(), "role": role }))?;
        Ok(pid)
    }
}
