//! Births and execs: a new process or thread as its creator's event and its
//! own first stop tell it, and a program replacing another in a process.

use anyhow::Result;
use nix::unistd::Pid;

use super::{Birth, Task, Tracer};
use crate::model::observe::{self as facts, ChannelEnd};
use crate::observe::python;
use crate::os::procfs;
use crate::os::ptrace::{self, Creation};

impl Tracer<'_> {
    pub(super) fn created(&mut self, tid: Pid, new: Pid, how: Creation) -> Result<()> {
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
            // The parent's own ends as it forks: a pipe it made since its
            // exec is seen here (Pipe() before a Process starts), told
            // when they changed since it was last looked at.
            self.channels_if_changed(tgid, "forked");
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
    pub(super) fn trap(&mut self, tid: Pid) -> Result<()> {
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
    pub(super) fn maybe_born(&mut self, child: Pid) -> Result<()> {
        let Some(birth) = self.births.get(&child) else {
            return Ok(());
        };
        let parent_back = birth.parent_saw.is_some() || birth.how == Creation::Vfork;
        if birth.child_saw.is_none() || !parent_back {
            return Ok(());
        }
        self.tell_birth(child)?;
        self.go_on(child, None)
    }

    /// Tells the creation of `child` with what is known of it, and lets
    /// its parent go on if it was held for it.
    pub(super) fn tell_birth(&mut self, child: Pid) -> Result<()> {
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
                child_saw: birth.child_saw,
                name,
                python,
            },
        );
        self.channels(child, "fork");
        if birth.parent_held {
            self.go_on(birth.parent_tid, None)?;
        }
        Ok(())
    }

    /// The pipes and sockets `pid` holds now, told when they differ from
    /// what it held when last looked at.
    fn channels_if_changed(&mut self, pid: Pid, at: &'static str) {
        let Ok(ends) = procfs::channel_ends(pid) else {
            return;
        };
        let known = self.process(pid).map(|process| {
            process.ends.len() == ends.len()
                && process.ends.iter().zip(&ends).all(|(seen, now)| {
                    seen.fd == now.fd && seen.inode == now.inode && seen.access == now.access
                })
        });
        if known != Some(true) {
            self.channels(pid, at);
        }
    }

    /// The pipes and sockets `pid` holds now, told when it holds any.
    pub fn channels(&mut self, pid: Pid, at: &'static str) {
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
            process.ends = ends.clone();
            process.ends_at = at;
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

    pub(super) fn execed(&mut self, tid: Pid, former: Pid) -> Result<()> {
        let tgid = self.tasks.get(&tid).map_or(tid, |task| task.tgid);
        if let Some(task) = self.tasks.get_mut(&tid) {
            task.entered = None;
        }
        let program = procfs::link(tgid, "exe").ok();
        let argv = procfs::command_line(tgid).ok();
        let name = procfs::stat(tgid).map(|stat| stat.comm).ok();
        let role = argv.as_deref().and_then(python::role_after_exec);
        // exec ends every other thread of the process (the kernel kills
        // them before the new program starts), each told as ended; the
        // caller goes on under the process's pid (`tid` now).
        if former != tid {
            self.tasks.remove(&former);
        }
        let superseded: Vec<Pid> = self
            .process(tgid)
            .map(|p| {
                p.tasks
                    .iter()
                    .copied()
                    .filter(|&t| t != tid && t != former)
                    .collect()
            })
            .unwrap_or_default();
        for thread in superseded {
            self.tasks.remove(&thread);
            let threads = self.process_mut(tgid).map_or(0, |process| {
                process
                    .tasks
                    .retain(|&task| task != thread && task != former);
                process.tasks.len() as u32
            });
            self.say(
                tgid,
                "observed",
                &facts::ThreadEnded {
                    tid: thread.as_raw(),
                    threads,
                },
            );
        }
        if let Some(process) = self.process_mut(tgid) {
            process.tasks.retain(|&task| task == tid);
        }
        let previous = match self.process_mut(tgid) {
            Some(process) => {
                let previous = process.name.clone();
                // What could not be read stays as it was known before.
                if let Some(name) = &name {
                    process.name = name.clone();
                }
                if let Some(program) = &program {
                    process.program = program.clone();
                }
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
                name,
                by_tid: former.as_raw(),
                argv,
                previous,
                pid_kept: true,
                python: role.map(str::to_string),
            },
        );
        self.channels(tgid, "exec");
        self.go_on(tid, None)
    }
}
