//! What a child gets instead of the lab: a way to report, gates, paced
//! pauses, and children of its own.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::unistd::{Pid, getpid};
use serde_json::json;

use super::fork::fork_failed;
use crate::model::{CHILD_FAILED, Event, FORKED, MEASURED, REAPED, micros_since};
use crate::os::pipe;
use crate::os::process::{ForkReturn, cap_lifetime, die_with_parent, fork_child, monotonic_ns};
use crate::os::wait::{self, ExitStatus};

/// Holds children until the parent opens it. Every process that inherits the
/// write end closes it at once (the lab sees to that), so the parent's
/// `open` is the only thing that ends the wait.
pub struct Gate {
    pub(super) index: usize,
    pub(super) read: OwnedFd,
}

/// How a new process is tied to the one that forked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tie {
    /// It dies with its parent (parent-death signal) and has a lifetime cap.
    ToParent,
    /// Only the lifetime cap: for a process meant to outlive its parent (an
    /// orphan, a daemon). Once adopted it calls `ChildSide::die_with_adopter`.
    LifetimeOnly,
}

pub struct ChildSide<'a> {
    pub(super) lesson: &'static str,
    pub(super) role: &'static str,
    pub(super) pace: f64,
    pub(super) lifetime: Duration,
    pub(super) started: Instant,
    pub(super) events: BorrowedFd<'a>,
    pub(super) returned: ForkReturn,
}

impl ChildSide<'_> {
    /// What `fork()` returned in this process: always 0 in a child.
    pub fn fork_returned(&self) -> i32 {
        self.returned.value
    }

    /// When this child first ran after `fork()`, in lesson microseconds.
    pub fn resumed_us(&self) -> u64 {
        micros_since(self.started, self.returned.at)
    }

    /// Sends one event to the parent through the event pipe.
    pub fn report(&self, step: &str, facts: serde_json::Value) -> Result<()> {
        let event = Event::observed(self.lesson, self.started, self.role, step, facts);
        pipe::write_atomic(self.events, event.to_line().as_bytes())
            .with_context(|| format!("the {} could not report step `{step}`", self.role))
    }

    /// Microseconds since the lesson began, on the clock every process shares.
    pub fn now_us(&self) -> u64 {
        micros_since(self.started, Instant::now())
    }

    /// `seconds` at pace 1, scaled by `--pace`.
    pub fn scaled(&self, seconds: f64) -> f64 {
        (seconds * self.pace).max(0.0)
    }

    /// A demonstrative pause of `seconds` at pace 1, scaled by `--pace`.
    pub fn sleep(&self, seconds: f64) {
        std::thread::sleep(Duration::from_secs_f64(self.scaled(seconds)));
    }

    /// Closes this child's copy of `fd`; the parent's stays open. By value,
    /// so that no `OwnedFd` is left holding the number this closes.
    pub fn close(&self, fd: impl Into<OwnedFd>) {
        drop(fd.into());
    }

    /// Blocks until the parent opens `gate`.
    pub fn wait_for(&self, gate: &Gate) -> Result<()> {
        pipe::wait_for_eof(gate.read.as_fd()).context("waiting at a gate")
    }

    /// Forks a child of this child. The lab learns of it through the event
    /// pipe, shows it in the tree of what ran and reaps it if it is orphaned.
    pub fn fork(
        &self,
        role: &'static str,
        tie: Tie,
        body: impl FnOnce(&ChildSide) -> Result<i32>,
    ) -> Result<Pid> {
        let parent = getpid();
        let forked = fork_child(|returned| self.in_new_child(role, tie, parent, returned, body));
        let (pid, _) = forked.map_err(fork_failed)?;
        self.forked(role, pid)
    }

    /// What a child of this child runs once forked from `parent`: the
    /// lifetime cap, the tie, then `body` as `role`.
    pub(super) fn in_new_child(
        &self,
        role: &'static str,
        tie: Tie,
        parent: Pid,
        returned: ForkReturn,
        body: impl FnOnce(&ChildSide) -> Result<i32>,
    ) -> i32 {
        cap_lifetime(self.lifetime);
        if tie == Tie::ToParent && !die_with_parent(parent) {
            return 1;
        }
        let side = ChildSide {
            role,
            returned,
            ..*self
        };
        run_body(&side, body)
    }

    /// Tells the lab that this child forked `pid` as `role`.
    pub(super) fn forked(&self, role: &'static str, pid: Pid) -> Result<Pid> {
        self.report(FORKED, json!({ "pid": pid.as_raw(), "role": role }))?;
        Ok(pid)
    }

    /// Tells the lab that this child started and reaped `count` processes
    /// of its own only to time them: `done` and an interrupted lesson's
    /// line count them, the tree does not.
    pub fn measured(&self, count: u64) -> Result<()> {
        self.report(MEASURED, json!({ "count": count }))
    }

    /// Waits for a child of this child, tells the lab how it ended, and
    /// reaps it.
    pub fn wait(&self, pid: Pid) -> Result<ExitStatus> {
        let status = wait::wait_until_ended(pid)
            .with_context(|| format!("waitid({pid}) in the {}", self.role))?;
        // Told before it is reaped: if this process is killed in between,
        // the zombie passes to procdemo, which reaps it. Either way the lab
        // learns how it ended, and the count of reaped processes is true.
        self.report(
            REAPED,
            json!({ "pid": pid.as_raw(), "wait_status": status.0 }),
        )?;
        wait::wait_blocking(pid).with_context(|| format!("waitpid({pid}) in the {}", self.role))?;
        Ok(status)
    }

    /// After adoption: die with the new parent, as with the first. Returns
    /// false if `adopter` is already gone.
    pub fn die_with_adopter(&self, adopter: Pid) -> bool {
        die_with_parent(adopter)
    }
}

/// Runs a child's body and gives the exit code it ends with: what the body
/// returned, or 1 after reporting the error to the parent.
pub(super) fn run_body(side: &ChildSide, body: impl FnOnce(&ChildSide) -> Result<i32>) -> i32 {
    match body(side) {
        Ok(code) => code,
        Err(error) => {
            let _ = side.report(CHILD_FAILED, json!({ "error": format!("{error:#}") }));
            1
        }
    }
}

/// A child started by "spawn": a fresh procdemo, exec'd by its parent, that
/// reports through the event pipe it inherited across `exec`.
pub struct SpawnedSide {
    pub(super) lesson: String,
    pub(super) role: String,
    /// The lesson's start on CLOCK_MONOTONIC, passed down by the parent.
    pub(super) started_ns: u64,
    pub(super) events: OwnedFd,
}

impl SpawnedSide {
    pub fn report(&self, step: &str, facts: serde_json::Value) -> Result<()> {
        let mut event = Event::observed(&self.lesson, Instant::now(), &self.role, step, facts);
        event.t_us = monotonic_ns().saturating_sub(self.started_ns) / 1000;
        pipe::write_atomic(self.events.as_fd(), event.to_line().as_bytes())
            .with_context(|| format!("the spawned {} could not report step `{step}`", self.role))
    }
}
