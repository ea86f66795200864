//! The tracer: one loop that takes every stop the kernel reports for the
//! program's tasks, keeps a record of each process, and turns what it saw
//! into events. A process stops at every system call only while that can
//! tell something (between its fork and its first exec, where an exec may
//! fail; while it has children not yet reaped, where a wait may reap one);
//! otherwise only at forks, execs, signals and its end, which costs little.

mod births;
mod calls;
mod reaping;

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use anyhow::Result;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use serde_json::Value;

use crate::model::Report;
use crate::model::observe::{self as facts, ChannelEnd};
use crate::os::procfs;
use crate::os::ptrace::{self, Call, Creation, Resume, Stop};

/// How a process ended.
#[derive(Clone, Copy, Debug)]
pub enum Ending {
    Code(i32),
    Signal(Signal, bool),
}

/// Who took a zombie's entry, and how procdemo knows.
#[derive(Clone, Debug)]
pub struct Reap {
    pub at_us: u64,
    pub reaper: Pid,
    pub kind: &'static str,
    pub call: Option<Call>,
}

/// One process of the program, from its creation to its reap.
pub struct Process {
    pub pid: Pid,
    /// The process that created it (procdemo for the first one).
    pub parent: Pid,
    /// Its parent now: the adopter once its parent has ended.
    pub current_parent: Pid,
    pub name: String,
    pub program: String,
    pub python: Option<&'static str>,
    pub created_us: u64,
    pub exited_us: Option<u64>,
    pub ending: Option<Ending>,
    pub reap: Option<Reap>,
    pub threads_created: u32,
    /// Its live tasks (threads), the leader included.
    pub tasks: Vec<Pid>,
    /// Whether it has run a program of its own since it was created.
    pub execed: bool,
    pub adopted: bool,
    pub pidfd: Option<OwnedFd>,
    /// The pipe and socket ends it held when last looked at, and when
    /// that was (`fork` or `exec`).
    pub ends: Vec<ChannelEnd>,
    pub ends_at: &'static str,
}

/// One traced thread, and what its next syscall exit completes.
struct Task {
    tgid: Pid,
    /// The process this task's fork/clone is making: its syscall exit
    /// tells what the call returned in the parent.
    creating: Option<Pid>,
    entered: Option<Entered>,
}

/// Whether a stopped task stays stopped for now.
#[derive(PartialEq, Eq)]
enum Held {
    Yes,
    No,
}

/// A system call a task is inside, as its entry stop showed.
enum Entered {
    Exec {
        call: Call,
        path: String,
    },
    Wait {
        call: Call,
        info_at: u64,
        nowait: bool,
    },
}

/// A process whose creation is being put together: the child's side
/// (its first stop) and the parent's (its syscall exit) come in any order.
struct Birth {
    parent_tid: Pid,
    how: Creation,
    child_saw: Option<i64>,
    parent_saw: Option<i64>,
    /// The parent came back from the call before the child's first stop:
    /// it waits, so that nothing it does (its end, its child's adoption)
    /// is told before the child's birth.
    parent_held: bool,
}

/// Everything the tracer knows, and where its events go.
pub struct Tracer<'a> {
    started: std::time::Instant,
    pub procdemo: Pid,
    pub main: Pid,
    tasks: HashMap<Pid, Task>,
    pub records: Vec<Process>,
    /// The record of each pid still in the process table (not yet reaped).
    live: HashMap<Pid, usize>,
    unreaped_children: HashMap<Pid, u32>,
    births: HashMap<Pid, Birth>,
    /// Stops of tasks whose creator's event has not come yet.
    early: HashMap<Pid, Vec<Stop>>,
    /// Zombies whose pidfd said "reaped" while their parent was inside a
    /// wait call: its exit will say which call it was.
    gone: HashMap<Pid, u64>,
    pub signals_delivered: u64,
    pub signals_ignored: u64,
    pub exec_failures: u64,
    pub programs_run: u64,
    pub orphans: u64,
    emit: &'a mut dyn FnMut(crate::model::Event),
}

impl<'a> Tracer<'a> {
    pub fn new(
        started: std::time::Instant,
        main: Pid,
        emit: &'a mut dyn FnMut(crate::model::Event),
    ) -> Self {
        let procdemo = nix::unistd::getpid();
        let mut tracer = Self {
            started,
            procdemo,
            main,
            tasks: HashMap::new(),
            records: Vec::new(),
            live: HashMap::new(),
            unreaped_children: HashMap::new(),
            births: HashMap::new(),
            early: HashMap::new(),
            gone: HashMap::new(),
            signals_delivered: 0,
            signals_ignored: 0,
            exec_failures: 0,
            programs_run: 0,
            orphans: 0,
            emit,
        };
        tracer.add_process(main, procdemo, "procdemo".into(), String::new(), None);
        // The first process was forked at the start, before its exec.
        if let Some(first) = tracer.records.first_mut() {
            first.created_us = 0;
        }
        tracer
    }

    pub fn now_us(&self) -> u64 {
        crate::model::micros_since(self.started, std::time::Instant::now())
    }

    fn add_process(
        &mut self,
        pid: Pid,
        parent: Pid,
        name: String,
        program: String,
        python: Option<&'static str>,
    ) {
        let created_us = self.now_us();
        self.tasks.insert(
            pid,
            Task {
                tgid: pid,
                creating: None,
                entered: None,
            },
        );
        self.live.insert(pid, self.records.len());
        *self.unreaped_children.entry(parent).or_default() += 1;
        self.records.push(Process {
            pid,
            parent,
            current_parent: parent,
            name,
            program,
            python,
            created_us,
            exited_us: None,
            ending: None,
            reap: None,
            threads_created: 0,
            tasks: vec![pid],
            execed: false,
            adopted: false,
            pidfd: ptrace::pidfd(pid).ok(),
            ends: Vec::new(),
            ends_at: "fork",
        });
    }

    fn process(&self, pid: Pid) -> Option<&Process> {
        self.live.get(&pid).map(|&at| &self.records[at])
    }

    fn process_mut(&mut self, pid: Pid) -> Option<&mut Process> {
        self.live.get(&pid).map(|&at| &mut self.records[at])
    }

    /// Emits one event about process `pid`.
    pub fn say<R: Report>(&mut self, pid: Pid, role: &str, report: &R) {
        let ppid = self
            .process(pid)
            .map_or(nix::unistd::getppid(), |process| process.current_parent);
        let facts = report.facts().unwrap_or_default();
        let event = crate::model::Event {
            t_us: self.now_us(),
            lesson: "observe".into(),
            pid: pid.as_raw(),
            ppid: ppid.as_raw(),
            role: role.into(),
            step: R::STEP.into(),
            facts,
        };
        (self.emit)(event);
    }

    /// The processes not yet ended.
    pub fn running(&self) -> Vec<&Process> {
        self.records
            .iter()
            .filter(|process| process.exited_us.is_none())
            .collect()
    }

    pub fn main_reaped(&self) -> bool {
        self.records
            .iter()
            .any(|process| process.pid == self.main && process.reap.is_some())
    }

    /// Whether any process is still in the process table (running, or a
    /// zombie not yet reaped).
    pub fn anything_left(&self) -> bool {
        !self.live.is_empty()
    }

    /// The pidfds of the zombies whose reap procdemo waits to see.
    pub fn zombie_pidfds(&self) -> Vec<BorrowedFd<'_>> {
        self.live
            .values()
            .map(|&at| &self.records[at])
            .filter(|process| process.exited_us.is_some())
            .filter_map(|process| process.pidfd.as_ref().map(AsFd::as_fd))
            .collect()
    }

    /// Takes every stop waiting now. `Ok(false)` when procdemo has no
    /// tracee or child left.
    pub fn take_stops(&mut self) -> Result<bool> {
        loop {
            match ptrace::next_stop() {
                Ok(Some(stop)) => self.on_stop(stop)?,
                Ok(None) => return Ok(true),
                Err(Errno::ECHILD) => return Ok(false),
                Err(errno) => return Err(errno.into()),
            }
        }
    }

    fn on_stop(&mut self, stop: Stop) -> Result<()> {
        let tid = stop_tid(&stop);
        if !self.tasks.contains_key(&tid) {
            // A zombie procdemo adopted is reported once more, to its new
            // parent: that report is the reap.
            if let Stop::Exited { .. } | Stop::Killed { .. } = stop
                && let Some(parent) = self
                    .process(tid)
                    .filter(|p| p.exited_us.is_some())
                    .map(|p| p.current_parent)
            {
                // Its parent ended before procdemo took that end: the
                // zombie was procdemo's to reap from then on.
                if parent != self.procdemo {
                    self.adopted(tid, parent, self.procdemo);
                }
                self.reaped(tid, self.procdemo, Some(Call::Wait4));
                return Ok(());
            }
            self.early.entry(tid).or_default().push(stop);
            return Ok(());
        }
        match stop {
            Stop::Exited { tid, code } => self.task_ended(tid, Ending::Code(code))?,
            Stop::Killed {
                tid,
                signal,
                core_dumped,
            } => self.task_ended(tid, Ending::Signal(signal, core_dumped))?,
            Stop::Created { tid, new, how } => self.created(tid, new, how)?,
            Stop::Execed { tid, former } => self.execed(tid, former)?,
            Stop::Syscall { tid, call } => self.syscall(tid, call)?,
            Stop::Signal {
                tid,
                signal,
                origin,
            } => self.signal(tid, signal, origin)?,
            Stop::GroupStop { tid, .. } => ptrace::listen(tid)?,
            Stop::Trap { tid } => self.trap(tid)?,
        }
        Ok(())
    }

    /// How `tid` goes on: at every syscall while its process may fail an
    /// exec or reap a child, or while a call's return is awaited.
    fn mode(&self, tid: Pid) -> Resume {
        let Some(task) = self.tasks.get(&tid) else {
            return Resume::Continue;
        };
        // A call whose entry was seen is followed to its exit.
        let watched = task.creating.is_some()
            || task.entered.is_some()
            || self
                .process(task.tgid)
                .is_some_and(|process| !process.execed)
            || self
                .unreaped_children
                .get(&task.tgid)
                .is_some_and(|&n| n > 0);
        if watched {
            Resume::EverySyscall
        } else {
            Resume::Continue
        }
    }

    fn go_on(&self, tid: Pid, signal: Option<Signal>) -> Result<()> {
        Ok(ptrace::resume(tid, self.mode(tid), signal)?)
    }

    /// The state letter of every process still in the table, for `remaining`.
    pub fn left(&self) -> Vec<facts::RemainingProcess> {
        self.live
            .values()
            .map(|&at| &self.records[at])
            .map(|process| facts::RemainingProcess {
                pid: process.pid.as_raw(),
                name: process.name.clone(),
                state: procfs::stat(process.pid)
                    .map(|stat| stat.state.to_string())
                    .unwrap_or_else(|_| "?".into()),
            })
            .collect()
    }

    /// The tree and the summary's facts, from the records.
    pub fn tree(&self) -> Value {
        super::ending::tree(&self.records, self.main)
    }
}

fn stop_tid(stop: &Stop) -> Pid {
    match *stop {
        Stop::Exited { tid, .. }
        | Stop::Killed { tid, .. }
        | Stop::Created { tid, .. }
        | Stop::Execed { tid, .. }
        | Stop::Syscall { tid, .. }
        | Stop::Signal { tid, .. }
        | Stop::GroupStop { tid, .. }
        | Stop::Trap { tid } => tid,
    }
}
