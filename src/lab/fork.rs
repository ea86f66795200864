//! Starting children: forked, or spawned (fork, then exec a fresh
//! procdemo); the gates that hold them; the signals sent to them.

use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::{Pid, getpid};

use super::Lab;
use super::child::{self, ChildSide, Gate, SpawnedSide};
use super::registry::Process;
use crate::model::micros_since;
use crate::os::pipe;
use crate::os::process::{
    cap_lifetime, die_with_parent, exec_self, fork_child, monotonic_ns, send_signal,
};
use crate::os::signals;

/// What the parent learns from a fork.
#[derive(Clone, Copy, Debug)]
pub struct Forked {
    pub pid: Pid,
    /// When the parent resumed after `fork()`, in lesson microseconds.
    pub resumed_us: u64,
}

impl Lab {
    /// Forks a child that runs `body` and reports through the event pipe.
    /// The child resets the stop signals to their defaults, dies with procdemo
    /// (parent-death signal), has a lifetime cap, and ends with `_exit` and
    /// the code `body` returns (1 if it fails).
    pub fn fork(
        &mut self,
        role: &'static str,
        body: impl FnOnce(&ChildSide) -> Result<i32>,
    ) -> Result<Forked> {
        self.check_signal()?;
        let parent = getpid();
        let lifetime = self.lifetime();
        let (lesson, started, pace) = (self.lesson, self.started, self.config.pace);
        let gates = &mut self.gates;
        let events_read = &mut self.events_read;
        let events = self.events_write.as_fd();
        let forked = fork_child(|returned| {
            signals::restore_defaults();
            // Close this copy of the parent's ends: a gate opens only when
            // every write end is closed, and the parent alone reads events.
            gates.clear();
            events_read.take();
            cap_lifetime(lifetime);
            if !die_with_parent(parent) {
                return 1;
            }
            let side = ChildSide {
                lesson,
                role,
                pace,
                lifetime,
                started,
                events,
                returned,
            };
            child::run_body(&side, body)
        });
        let (pid, returned) = forked.map_err(fork_failed)?;
        self.processes.push(Process {
            pid,
            role: role.to_string(),
            parent,
            label: None,
            status: None,
        });
        Ok(Forked {
            pid,
            resumed_us: micros_since(self.started, returned.at),
        })
    }

    /// Starts a child the way the "spawn" start method does: fork, then
    /// `exec` a fresh procdemo running the hidden `__spawned` command, which
    /// hands `spawned_args` to the lesson's `spawned` function.
    pub fn spawn(&mut self, role: &'static str, spawned_args: &[String]) -> Result<Forked> {
        self.spawn_after(role, spawned_args, |_| Ok(()))
    }

    /// `spawn`, with `prepare` run in the child between fork and exec (what
    /// survives `exec` is the point of some lessons).
    pub fn spawn_after(
        &mut self,
        role: &'static str,
        spawned_args: &[String],
        prepare: impl FnOnce(&ChildSide) -> Result<()>,
    ) -> Result<Forked> {
        let lesson = self.lesson.to_string();
        let elapsed = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let started_ns = monotonic_ns().saturating_sub(elapsed);
        self.fork(role, |side| {
            prepare(side)?;
            pipe::keep_across_exec(side.events).context("fcntl(F_SETFD) on the event pipe")?;
            let mut args: Vec<String> = vec![
                super::SPAWNED.into(),
                "--lesson".into(),
                lesson,
                "--role".into(),
                role.into(),
                "--events-fd".into(),
                side.events.as_raw_fd().to_string(),
                "--started-ns".into(),
                started_ns.to_string(),
                "--".into(),
            ];
            args.extend(spawned_args.iter().cloned());
            let errno = exec_self(&args);
            Err(anyhow!("execv(/proc/self/exe) failed: {errno}"))
        })
    }

    /// Sends `signal` to `pid`.
    pub fn signal(&mut self, pid: Pid, signal: Signal) -> Result<()> {
        send_signal(pid, signal).with_context(|| format!("kill({pid}, {signal}) failed"))
    }

    /// A new closed gate.
    pub fn gate(&mut self) -> Result<Gate> {
        let (read, write) = pipe::pipe().context("creating a gate pipe")?;
        self.gates.push(Some(write));
        Ok(Gate {
            index: self.gates.len() - 1,
            read,
        })
    }

    /// Lets every child waiting at `gate` go on.
    pub fn open(&mut self, gate: &Gate) {
        if let Some(slot) = self.gates.get_mut(gate.index) {
            slot.take();
        }
    }

    /// The lesson's own work (a pool's tasks, added up) may take up to
    /// `work` at pace 1: the default lifetime cap of the processes forked
    /// from now on grows by as much (times the pace). `--lifetime` stays
    /// as given.
    pub fn expect_work(&mut self, work: Duration) {
        self.work = work;
    }

    /// How long any demo process may live: `--lifetime` if given, else long
    /// enough for the slowest pace and the work the lesson expects, and for
    /// a teacher who pauses at a step.
    pub(super) fn lifetime(&self) -> Duration {
        self.config
            .lifetime
            .unwrap_or_else(|| self.default_lifetime())
    }

    /// The cap without `--lifetime`: an hour when people set the pace,
    /// else 60 s × the pace (at least 1); and the lesson's work at pace 1
    /// × the pace on top.
    pub(super) fn default_lifetime(&self) -> Duration {
        default_lifetime(self.config.waits_for_people(), self.config.pace, self.work)
    }
}

/// The default lifetime cap (see `Lab::default_lifetime`).
pub fn default_lifetime(waits_for_people: bool, pace: f64, work: Duration) -> Duration {
    let work = work.mul_f64(pace.max(1.0));
    if waits_for_people {
        Duration::from_secs(3600) + work
    } else {
        Duration::from_secs(60).mul_f64(pace.max(1.0)) + work
    }
}

/// The far side of `Lab::spawn`, in the new program: a reporter on the
/// event pipe inherited across `exec`, whose number came on the command line.
pub fn spawned_side(
    lesson: &str,
    role: &str,
    events_fd: i32,
    started_ns: u64,
) -> Result<SpawnedSide> {
    let events = pipe::adopt_inherited_pipe(events_fd).with_context(|| {
        format!(
            "descriptor {events_fd} is not an inherited pipe: __spawned is for procdemo's own use"
        )
    })?;
    Ok(SpawnedSide {
        lesson: lesson.to_string(),
        role: role.to_string(),
        started_ns,
        events,
    })
}

pub(super) fn fork_failed(errno: Errno) -> anyhow::Error {
    let advice = match errno {
        Errno::EAGAIN => {
            "this user has reached its limit on processes (see `ulimit -u`) or the system ran out of pids; \
             close some programs or raise the limit, then run the lesson again"
        }
        Errno::ENOMEM => {
            "the kernel had no memory left for a new process; close some programs and try again"
        }
        _ => "the kernel refused to create a process",
    };
    anyhow!("fork() failed with {errno}: {advice}")
}
