//! The processes of a run: each one forked by the lab, by a child, or
//! adopted, and how it ended; the tree of what ran is drawn from them.

use anyhow::{Context, Result};
use nix::unistd::Pid;
use serde_json::{Value, json};

use super::{Lab, PARENT, tree};
use crate::os::wait::{self, ExitStatus};

/// One process of the run (forked by the lab, by a child, or adopted), and
/// how it ended.
pub(super) struct Process {
    pub(super) pid: Pid,
    pub(super) role: String,
    /// The process that forked it.
    pub(super) parent: Pid,
    /// A name the lesson gave it (Python's `Process-1`, …), shown instead of the role.
    pub(super) label: Option<String>,
    pub(super) status: Option<ExitStatus>,
}

impl Process {
    pub(super) fn note(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.role)
    }
}

impl Lab {
    /// Counts `count` processes the lesson started and reaped itself, one
    /// at a time, to time how long that takes (fork + wait, posix_spawn):
    /// `done` says how many, so its count of processes stays true, and its
    /// tree leaves them out.
    pub fn measured(&mut self, count: u64) {
        self.measured += count;
    }

    /// Gives process `pid` a name of the lesson's, shown in trees.
    pub fn label(&mut self, pid: Pid, label: &str) {
        if let Some(process) = self.processes.iter_mut().find(|process| process.pid == pid) {
            process.label = Some(label.to_string());
        }
    }

    /// True once `pid` has ended, reaped or not.
    pub fn has_ended(&self, pid: Pid) -> bool {
        self.process(pid)
            .is_some_and(|process| process.status.is_some())
            || wait::has_ended(pid)
    }

    /// procdemo and its descendants as `/proc` shows them now, as a `tree` fact.
    pub fn live_tree(&mut self) -> Result<Value> {
        self.pump()?;
        let mut root = tree::live(self.owner, &self.processes)
            .context("reading procdemo's descendants in /proc")?;
        root["note"] = json!(PARENT);
        Ok(root)
    }

    pub(super) fn process(&self, pid: Pid) -> Option<&Process> {
        self.processes.iter().find(|process| process.pid == pid)
    }

    /// A child forked `pid`; an orphan may have been reaped (as "adopted")
    /// before this note arrived.
    pub(super) fn record_fork(&mut self, pid: Pid, role: &str, parent: Pid) {
        match self.processes.iter_mut().find(|process| process.pid == pid) {
            Some(known) => {
                known.role = role.to_string();
                known.parent = parent;
            }
            None => self.processes.push(Process {
                pid,
                role: role.to_string(),
                parent,
                label: None,
                status: None,
            }),
        }
    }

    pub(super) fn record_end(&mut self, pid: Pid, status: ExitStatus) {
        match self.processes.iter_mut().find(|process| process.pid == pid) {
            Some(process) => process.status = Some(status),
            None => self.processes.push(Process {
                pid,
                role: "adopted".to_string(),
                parent: self.owner,
                label: None,
                status: Some(status),
            }),
        }
    }

    /// Every process of the run: forked by the lab or a child, or adopted.
    pub(super) fn started_count(&self) -> u64 {
        self.processes.len() as u64
    }

    pub(super) fn reaped_count(&self) -> u64 {
        self.processes
            .iter()
            .filter(|process| process.status.is_some())
            .count() as u64
    }
}
