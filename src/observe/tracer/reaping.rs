//! Ends: a task's exit, the zombie it leaves, the wait (or pidfd) that
//! shows its reap, and the orphans its end leaves to an adopter.

use anyhow::Result;
use nix::unistd::Pid;

use super::{Ending, Entered, Reap, Tracer};
use crate::model::observe as facts;
use crate::os::procfs;
use crate::os::ptrace::{self, Call};

impl Tracer<'_> {
    pub(super) fn task_ended(&mut self, tid: Pid, ending: Ending) -> Result<()> {
        let Some(task) = self.tasks.remove(&tid) else {
            return Ok(());
        };
        // Killed before its first stop: its birth is told now, with what
        // is known, and a parent held for it goes on.
        self.tell_birth(tid)?;
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
            return Ok(());
        }
        let now = self.now_us();
        let Some(process) = self.process_mut(tid) else {
            return Ok(());
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
        Ok(())
    }

    /// The children of `pid`, which has just ended, have a new parent: the
    /// nearest subreaper (procdemo, unless the program made one).
    pub(super) fn orphans_of(&mut self, pid: Pid) {
        let orphans: Vec<Pid> = self
            .live
            .values()
            .map(|&at| &self.records[at])
            .filter(|process| process.current_parent == pid && process.reap.is_none())
            .map(|process| process.pid)
            .collect();
        for orphan in orphans {
            // Gone already: procdemo's own wait took it, and told it.
            let Ok(stat) = procfs::stat(orphan) else {
                continue;
            };
            self.adopted(orphan, pid, Pid::from_raw(stat.ppid));
        }
    }

    /// Tells that `orphan`'s parent `from` ended and `adopter` took it.
    pub(super) fn adopted(&mut self, orphan: Pid, from: Pid, adopter: Pid) {
        let procdemo = self.procdemo;
        let Some(process) = self.process_mut(orphan) else {
            return;
        };
        process.current_parent = adopter;
        process.adopted = true;
        let zombie = process.exited_us.is_some();
        self.orphans += 1;
        self.move_child(from, adopter);
        self.say(
            orphan,
            "observed",
            &facts::Adopted {
                old_parent_pid: from.as_raw(),
                new_parent_pid: adopter.as_raw(),
                by_procdemo: adopter == procdemo,
                zombie,
            },
        );
    }

    pub(super) fn move_child(&mut self, from: Pid, to: Pid) {
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
            // Its parent has ended: the zombie went to an adopter, whose
            // wait (procdemo's, as the subreaper) tells the reap.
            let parent_ended = self.process(parent).is_none_or(|p| p.exited_us.is_some());
            if self.gone.contains_key(&pid) || (parent_ended && parent != self.procdemo) {
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

    pub(super) fn waiting(&self, tgid: Pid) -> bool {
        self.tasks
            .values()
            .any(|task| task.tgid == tgid && matches!(task.entered, Some(Entered::Wait { .. })))
    }

    /// The zombies of `tgid` seen gone while it waited, once no wait of
    /// its own is left to name the call.
    pub(super) fn settle_gone(&mut self, tgid: Pid) {
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

    pub(super) fn reaped(&mut self, pid: Pid, reaper: Pid, call: Option<Call>) {
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
}
