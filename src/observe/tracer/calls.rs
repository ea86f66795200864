//! System calls and signals: what a syscall stop's entry and exit show (an
//! exec that failed, a wait that reaped), and each signal passed on.

use anyhow::Result;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::{Entered, Held, Tracer};
use crate::model::observe as facts;
use crate::os::procfs;
use crate::os::ptrace::{self, Call, Origin, SyscallStop};

impl Tracer<'_> {
    pub(super) fn syscall(&mut self, tid: Pid, stop: SyscallStop) -> Result<()> {
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

    pub(super) fn syscall_exit(&mut self, tid: Pid, value: i64, is_error: bool) -> Result<Held> {
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

    pub(super) fn signal(&mut self, tid: Pid, signal: Signal, origin: Origin) -> Result<()> {
        let tgid = self.tasks.get(&tid).map_or(tid, |task| task.tgid);
        // Without a tracer the kernel drops a signal the process ignores
        // when it is sent; a tracer is shown it anyway.
        let ignored = procfs::ignores_signal(tid, signal as i32).unwrap_or(false);
        if ignored {
            self.signals_ignored += 1;
        } else {
            self.signals_delivered += 1;
        }
        let (origin, sender) = match origin {
            // The kernel's SIGPIPE for a write with no reader left: it
            // labels it as sent by the writer itself (SI_USER).
            Origin::Kill(pid) if signal == Signal::SIGPIPE && pid == tgid => {
                ("pipe", Some(pid.as_raw()))
            }
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
                ignored,
            },
        );
        self.go_on(tid, Some(signal))
    }
}
