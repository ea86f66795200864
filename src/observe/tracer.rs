//! The tracer: one loop that takes every stop the kernel reports for the
//! program's tasks, keeps a record of each process, and turns what it saw
//! into events. A process stops at every system call only while that can
//! tell something (between its fork and its first exec, where an exec may
//! fail; while it has children not yet reaped, where a wait may reap one);
//! otherwise only at forks, execs, signals and its end, which costs little.

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use anyhow::Result;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use serde_json::Value;

use super::python;
use super::reports::{self as facts, ChannelEnd};
use crate::model::Report;
use crate::os::procfs;
use crate::os::ptrace::{self, Call, Creation, Origin, Resume, Stop, SyscallStop};

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
    /// Every pipe and socket end it was seen holding.
    pub ends: Vec<ChannelEnd>,
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
            exec_failures: 0,
            programs_run: 0,
            orphans: 0,
            emit,
        };
        tracer.add_process(main, procdemo, "procdemo".into(), String::new(), None);
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
                && self.process(tid).is_some_and(|p| p.exited_us.is_some())
            {
                self.reaped(tid, self.procdemo, Some(Call::Wait4));
                return Ok(());
            }
            self.early.entry(tid).or_default().push(stop);
            return Ok(());
        }
        match stop {
            Stop::Exited { tid, code } => self.task_ended(tid, Ending::Code(code)),
            Stop::Killed {
                tid,
                signal,
                core_dumped,
            } => self.task_ended(tid, Ending::Signal(signal, core_dumped)),
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

    fn created(&mut self, tid: Pid, new: Pid, how: Creation) -> Result<()> {
        let Some(tgid) = self.tasks.get(&tid).map(|task| task.tgid) else {
            return Ok(());
        };
        let is_thread = how == Creation::Clone
            && procfs::status_field(new, "Tgid").and_then(|tgid| tgid.parse::<i32>().ok())
                == Some(tgid.as_raw());
        if is_thread {
            self.tasks.insert(
                new,
                Task {
                    tgid,
                    creating: None,
                    entered: None,
                },
            );
            let threads = self.process_mut(tgid).map_or(0, |process| {
                process.tasks.push(new);
                process.threads_created += 1;
                process.tasks.len() as u32
            });
            self.say(
                tgid,
                "observed",
                &facts::ThreadCreated {
                    tid: new.as_raw(),
                    by_tid: tid.as_raw(),
                    threads,
                },
            );
            self.go_on(tid, None)?;
        } else {
            let had_children = self.unreaped_children.get(&tgid).is_some_and(|&n| n > 0);
            let (name, program, parent_role) = self
                .process(tgid)
                .map(|p| (p.name.clone(), p.program.clone(), p.python))
                .unwrap_or_default();
            // A vfork child shares its parent's memory only until it execs
            // or exits: it is no copy of the parent that runs on.
            let role = (how != Creation::Vfork)
                .then(|| python::role_of_fork(&program, parent_role))
                .flatten();
            self.add_process(new, tgid, name, program, role);
            self.births.insert(
                new,
                Birth {
                    parent_tid: tid,
                    how,
                    child_saw: None,
                    parent_saw: None,
                    parent_held: false,
                },
            );
            if let Some(task) = self.tasks.get_mut(&tid) {
                task.creating = (how != Creation::Vfork).then_some(new);
            }
            // Its other threads stop at syscalls too from now on, so that
            // a wait in any of them is seen.
            if !had_children {
                let siblings: Vec<Pid> = self
                    .process(tgid)
                    .map(|p| p.tasks.iter().copied().filter(|&t| t != tid).collect())
                    .unwrap_or_default();
                for sibling in siblings {
                    ptrace::interrupt(sibling)?;
                }
            }
            self.go_on(tid, None)?;
        }
        if let Some(stops) = self.early.remove(&new) {
            for stop in stops {
                self.on_stop(stop)?;
            }
        }
        Ok(())
    }

    /// A task's first stop (or one procdemo asked for).
    fn trap(&mut self, tid: Pid) -> Result<()> {
        if let Some(birth) = self.births.get_mut(&tid)
            && birth.child_saw.is_none()
        {
            birth.child_saw = Some(ptrace::return_register(tid)?);
            return self.maybe_born(tid);
        }
        self.go_on(tid, None)
    }

    /// Tells a process's creation once both sides are known, and lets the
    /// child run: it was held at its first stop so that nothing it does is
    /// told before it was born.
    fn maybe_born(&mut self, child: Pid) -> Result<()> {
        let Some(birth) = self.births.get(&child) else {
            return Ok(());
        };
        let vfork = birth.how == Creation::Vfork;
        let (Some(child_saw), true) = (birth.child_saw, birth.parent_saw.is_some() || vfork) else {
            return Ok(());
        };
        let Some(birth) = self.births.remove(&child) else {
            return Ok(());
        };
        let Some((parent, name, python)) = self
            .process(child)
            .map(|p| (p.parent, p.name.clone(), p.python.map(str::to_string)))
        else {
            return Ok(());
        };
        self.say(
            child,
            "observed",
            &facts::ProcessCreated {
                parent_pid: parent.as_raw(),
                by_tid: birth.parent_tid.as_raw(),
                call: match birth.how {
                    Creation::Fork => "fork",
                    Creation::Vfork => "vfork",
                    Creation::Clone => "clone",
                }
                .into(),
                parent_saw: birth.parent_saw,
                child_saw,
                name,
                python,
            },
        );
        self.channels(child, "fork");
        self.go_on(child, None)?;
        if birth.parent_held {
            self.go_on(birth.parent_tid, None)?;
        }
        Ok(())
    }

    /// The pipes and sockets `pid` holds now, told when it holds any.
    pub fn channels(&mut self, pid: Pid, at: &str) {
        let Ok(ends) = procfs::channel_ends(pid) else {
            return;
        };
        if ends.is_empty() {
            return;
        }
        let ends: Vec<ChannelEnd> = ends
            .into_iter()
            .map(|end| ChannelEnd {
                fd: end.fd,
                kind: end.kind.into(),
                inode: end.inode,
                access: end.access.into(),
            })
            .collect();
        if let Some(process) = self.process_mut(pid) {
            for end in &ends {
                if !process.ends.contains(end) {
                    process.ends.push(end.clone());
                }
            }
        }
        self.say(
            pid,
            "observed",
            &facts::Channels {
                at: at.into(),
                ends,
            },
        );
    }

    fn execed(&mut self, tid: Pid, former: Pid) -> Result<()> {
        if former != tid {
            self.tasks.remove(&former);
        }
        let tgid = self.tasks.get(&tid).map_or(tid, |task| task.tgid);
        if let Some(task) = self.tasks.get_mut(&tid) {
            task.entered = None;
        }
        let program = procfs::link(tgid, "exe").unwrap_or_default();
        let argv = procfs::command_line(tgid).unwrap_or_default();
        let name = procfs::stat(tgid).map(|stat| stat.comm).unwrap_or_default();
        let role = python::role_after_exec(&argv);
        let previous = match self.process_mut(tgid) {
            Some(process) => {
                process.tasks.retain(|&task| task == tid || task != former);
                let previous = std::mem::replace(&mut process.name, name);
                process.program = program.clone();
                process.python = role;
                process.execed = true;
                previous
            }
            None => String::new(),
        };
        self.programs_run += 1;
        self.say(
            tgid,
            "observed",
            &facts::Exec {
                program,
                argv,
                previous,
                pid_kept: true,
                python: role.map(str::to_string),
            },
        );
        self.channels(tgid, "exec");
        self.go_on(tid, None)
    }

    fn syscall(&mut self, tid: Pid, stop: SyscallStop) -> Result<()> {
        match stop {
            SyscallStop::Entry { call, args } => {
                let entered = match call {
                    Some(call @ (Call::Execve | Call::Execveat)) => {
                        let at = if call == Call::Execve {
                            args[0]
                        } else {
                            args[1]
                        };
                        Some(Entered::Exec {
                            call,
                            path: ptrace::read_string(tid, at).unwrap_or_default(),
                        })
                    }
                    Some(call @ Call::Wait4) => Some(Entered::Wait {
                        call,
                        info_at: 0,
                        nowait: false,
                    }),
                    Some(call @ Call::Waitid) => Some(Entered::Wait {
                        call,
                        info_at: args[2],
                        nowait: args[3] & libc::WNOWAIT as u64 != 0,
                    }),
                    _ => None,
                };
                if let Some(task) = self.tasks.get_mut(&tid) {
                    task.entered = entered;
                }
            }
            SyscallStop::Exit { value, is_error } => {
                if self.syscall_exit(tid, value, is_error)? == Held::Yes {
                    return Ok(());
                }
            }
            SyscallStop::Other => {}
        }
        self.go_on(tid, None)
    }

    fn syscall_exit(&mut self, tid: Pid, value: i64, is_error: bool) -> Result<Held> {
        let Some(task) = self.tasks.get_mut(&tid) else {
            return Ok(Held::No);
        };
        let tgid = task.tgid;
        if let Some(child) = task.creating.take() {
            let Some(birth) = self.births.get_mut(&child) else {
                return Ok(Held::No);
            };
            birth.parent_saw = Some(value);
            if birth.child_saw.is_none() {
                birth.parent_held = true;
                return Ok(Held::Yes);
            }
            self.maybe_born(child)?;
            return Ok(Held::No);
        }
        match task.entered.take() {
            Some(Entered::Exec { call, path }) if is_error => {
                self.exec_failures += 1;
                let errno = Errno::from_raw(-value as i32);
                self.say(
                    tgid,
                    "observed",
                    &facts::ExecFailed {
                        path,
                        errno: format!("{errno:?}"),
                        call: call.name().into(),
                    },
                );
            }
            Some(Entered::Wait {
                call,
                info_at,
                nowait,
            }) if !is_error && !nowait => {
                let pid = match call {
                    Call::Waitid if value == 0 => ptrace::read_siginfo_pid(tid, info_at).ok(),
                    Call::Wait4 if value > 0 => Some(Pid::from_raw(value as i32)),
                    _ => None,
                };
                if let Some(pid) = pid
                    && self
                        .process(pid)
                        .is_some_and(|p| p.exited_us.is_some() && p.current_parent == tgid)
                {
                    self.gone.remove(&pid);
                    self.reaped(pid, tgid, Some(call));
                }
                self.settle_gone(tgid);
            }
            Some(Entered::Wait { .. }) => self.settle_gone(tgid),
            _ => {}
        }
        Ok(Held::No)
    }

    fn signal(&mut self, tid: Pid, signal: Signal, origin: Origin) -> Result<()> {
        self.signals_delivered += 1;
        let tgid = self.tasks.get(&tid).map_or(tid, |task| task.tgid);
        let (origin, sender) = match origin {
            Origin::Kill(pid) => ("kill", Some(pid.as_raw())),
            Origin::Tgkill(pid) => ("tgkill", Some(pid.as_raw())),
            Origin::Sigqueue(pid) => ("sigqueue", Some(pid.as_raw())),
            Origin::Child(pid) => ("child", Some(pid.as_raw())),
            Origin::Kernel => ("kernel", None),
        };
        self.say(
            tgid,
            "observed",
            &facts::SignalDelivered {
                tid: tid.as_raw(),
                signal: signal.as_str().into(),
                number: signal as i32,
                origin: origin.into(),
                sender_pid: sender,
                delivered: true,
            },
        );
        self.go_on(tid, Some(signal))
    }

    fn task_ended(&mut self, tid: Pid, ending: Ending) {
        let Some(task) = self.tasks.remove(&tid) else {
            return;
        };
        if task.tgid != tid {
            let threads = self.process_mut(task.tgid).map_or(0, |process| {
                process.tasks.retain(|&t| t != tid);
                process.tasks.len() as u32
            });
            self.say(
                task.tgid,
                "observed",
                &facts::ThreadEnded {
                    tid: tid.as_raw(),
                    threads,
                },
            );
            return;
        }
        let now = self.now_us();
        let Some(process) = self.process_mut(tid) else {
            return;
        };
        process.exited_us = Some(now);
        process.ending = Some(ending);
        process.tasks.clear();
        let (exit_code, signal, core_dumped) = match ending {
            Ending::Code(code) => (Some(code), None, false),
            Ending::Signal(signal, core) => (None, Some(signal.as_str().to_string()), core),
        };
        let report = facts::Exited {
            exit_code,
            signal,
            core_dumped,
            lived_us: now.saturating_sub(process.created_us),
            threads_created: process.threads_created,
        };
        let parent = process.current_parent;
        self.say(tid, "observed", &report);
        // procdemo is the parent of the first process and of the orphans it
        // adopted: its own wait just took the entry.
        if parent == self.procdemo {
            self.reaped(tid, self.procdemo, Some(Call::Wait4));
        }
        self.orphans_of(tid);
    }

    /// The children of `pid`, which has just ended, have a new parent: the
    /// nearest subreaper (procdemo, unless the program made one).
    fn orphans_of(&mut self, pid: Pid) {
        let orphans: Vec<Pid> = self
            .live
            .values()
            .map(|&at| &self.records[at])
            .filter(|process| process.current_parent == pid && process.reap.is_none())
            .map(|process| process.pid)
            .collect();
        for orphan in orphans {
            let Ok(stat) = procfs::stat(orphan) else {
                continue;
            };
            let adopter = Pid::from_raw(stat.ppid);
            let procdemo = self.procdemo;
            let Some(process) = self.process_mut(orphan) else {
                continue;
            };
            process.current_parent = adopter;
            process.adopted = true;
            let zombie = process.exited_us.is_some();
            self.orphans += 1;
            self.move_child(pid, adopter);
            self.say(
                orphan,
                "observed",
                &facts::Adopted {
                    old_parent_pid: pid.as_raw(),
                    new_parent_pid: adopter.as_raw(),
                    by_procdemo: adopter == procdemo,
                    zombie,
                },
            );
        }
    }

    fn move_child(&mut self, from: Pid, to: Pid) {
        if let Some(count) = self.unreaped_children.get_mut(&from) {
            *count = count.saturating_sub(1);
        }
        *self.unreaped_children.entry(to).or_default() += 1;
    }

    /// Looks at the pidfd of every zombie: one that hung up was reaped.
    pub fn look_for_reaps(&mut self) {
        let now = self.now_us();
        let gone: Vec<(Pid, Pid)> = self
            .live
            .values()
            .map(|&at| &self.records[at])
            .filter(|p| p.exited_us.is_some() && p.reap.is_none())
            .filter(|p| p.pidfd.as_ref().is_some_and(ptrace::reaped))
            .map(|p| (p.pid, p.current_parent))
            .collect();
        for (pid, parent) in gone {
            if self.gone.contains_key(&pid) {
                continue;
            }
            // Its parent is inside a wait: that call's exit says more.
            if self.waiting(parent) {
                self.gone.insert(pid, now);
            } else {
                self.reaped(pid, parent, None);
            }
        }
    }

    fn waiting(&self, tgid: Pid) -> bool {
        self.tasks
            .values()
            .any(|task| task.tgid == tgid && matches!(task.entered, Some(Entered::Wait { .. })))
    }

    /// The zombies of `tgid` seen gone while it waited, once no wait of
    /// its own is left to name the call.
    fn settle_gone(&mut self, tgid: Pid) {
        if self.waiting(tgid) {
            return;
        }
        let settled: Vec<Pid> = self
            .gone
            .keys()
            .copied()
            .filter(|&pid| self.process(pid).is_some_and(|p| p.current_parent == tgid))
            .collect();
        for pid in settled {
            self.gone.remove(&pid);
            self.reaped(pid, tgid, None);
        }
    }

    fn reaped(&mut self, pid: Pid, reaper: Pid, call: Option<Call>) {
        let now = self.now_us();
        let procdemo = self.procdemo;
        let kernel = call.is_none() && procfs::ignores_sigchld(reaper) == Some(true);
        let Some(process) = self.process_mut(pid) else {
            return;
        };
        if process.reap.is_some() {
            return;
        }
        let kind = if reaper == procdemo {
            "procdemo"
        } else if kernel {
            "kernel"
        } else if process.adopted {
            "adopter"
        } else {
            "parent"
        };
        let zombie_us = now.saturating_sub(process.exited_us.unwrap_or(now));
        process.reap = Some(Reap {
            at_us: now,
            reaper,
            kind,
            call,
        });
        process.pidfd = None;
        let parent = process.current_parent;
        if let Some(count) = self.unreaped_children.get_mut(&parent) {
            *count = count.saturating_sub(1);
        }
        self.say(
            pid,
            "observed",
            &facts::Reaped {
                reaper_pid: reaper.as_raw(),
                reaper: kind.into(),
                call: call.map(|call| call.name().into()),
                zombie_us,
            },
        );
        self.live.remove(&pid);
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
