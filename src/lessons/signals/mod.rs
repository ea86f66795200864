//! `signals`: a number the kernel delivers. Default actions (SIGTERM ends,
//! SIGKILL cannot be caught, SIGSTOP stops and SIGCONT resumes), a handler
//! that runs while the process carries on, the caught, ignored, blocked
//! and pending sets read from `/proc/<pid>/status`, one bit for a standard
//! signal and an integer with `sigqueue`, SIGCHLD with its siginfo, what
//! fork and exec keep, and a process group signalled as Ctrl-C does.

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::signal::Signal;
use nix::unistd::{Pid, getpgrp, getpid, getppid};

use crate::lab::{CHILD, ChildSide, Lab, PARENT, SpawnedSide, Tie};
use crate::os::procfs;
use crate::os::sigaction::{self as sig, decode_mask};

mod reports;
pub use reports::*;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

const GRANDCHILD: &str = "grandchild";
const MEMBER: &str = "member";
const SPARED: &str = "spared";
const EXECED: &str = "exec";

/// What procdemo sends while the handler is installed and neither SIGUSR1 nor
/// SIGUSR2 is blocked (only SIGTERM is).
const SENT_UNBLOCKED: [Signal; 3] = [Signal::SIGUSR1, Signal::SIGUSR1, Signal::SIGUSR2];
/// How many SIGUSR1 procdemo sends while the child blocks it.
const SENT_BLOCKED: usize = 2;
/// The integer `sigqueue` carries.
const VALUE: i32 = 42;
/// The exit code of the grandchild whose end SIGCHLD reports.
const GRANDCHILD_EXIT: i32 = 3;

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    default_actions(lab)?;
    stop_and_continue(lab)?;
    handler_masks_and_bits(lab)?;
    sigchld(lab)?;
    across_fork_and_exec(lab)?;
    process_group(lab)
}

/// A child that only waits at `gate`, and ends 0 once it opens.
fn sleeper(side: &ChildSide, gate: &crate::lab::Gate) -> Result<i32> {
    side.wait_for(gate)?;
    Ok(0)
}

fn default_actions(lab: &mut Lab) -> Result<()> {
    let gate = lab.gate()?;
    let child = lab.fork(CHILD, |side| sleeper(side, &gate))?;
    lab.wait_until_asleep(child.pid)?;
    lab.signal(child.pid, Signal::SIGTERM)?;
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &Terminate {
            child_pid: child.pid.as_raw(),
            wait_status: status.0,
            killed_by: status.signal(),
            python_exitcode: status.python_exitcode(),
        },
    )?;

    lab.before("kill-refused")?;
    let child = lab.fork(CHILD, |side| {
        let (handler, ignore) = sig::try_catch_and_ignore(Signal::SIGKILL);
        side.tell(&KillRefused {
            handler_errno: handler.err().map(|errno| format!("{errno:?}")),
            ignore_errno: ignore.err().map(|errno| format!("{errno:?}")),
        })?;
        sleeper(side, &gate)
    })?;
    lab.expect_report::<KillRefused>(child.pid)?;
    // Until people move on, the child that tried sits at its gate (S).
    lab.before("killed")?;
    lab.signal(child.pid, Signal::SIGKILL)?;
    let status = lab.wait(child.pid)?;
    lab.open(&gate);
    lab.tell(
        PARENT,
        &Killed {
            child_pid: child.pid.as_raw(),
            wait_status: status.0,
            killed_by: status.signal(),
            python_exitcode: status.python_exitcode(),
        },
    )
}

fn state_of(pid: Pid) -> Result<String> {
    Ok(procfs::stat(pid)
        .with_context(|| format!("reading /proc/{pid}/stat"))?
        .state
        .to_string())
}

fn stop_and_continue(lab: &mut Lab) -> Result<()> {
    let gate = lab.gate()?;
    lab.before("stopped")?;
    let child = lab.fork(CHILD, |side| sleeper(side, &gate))?;
    lab.wait_until_asleep(child.pid)?;
    let state_before = state_of(child.pid)?;
    lab.signal(child.pid, Signal::SIGSTOP)?;
    let stopped_by = sig::wait_stopped(child.pid).context("waitid(WSTOPPED)")?;
    let state_stopped = state_of(child.pid)?;
    lab.tell(
        PARENT,
        &Stopped {
            child_pid: child.pid.as_raw(),
            state_before,
            stopped_by: stopped_by.as_str().to_string(),
            state_stopped,
        },
    )?;
    // Stopped until people move on: `ps -o pid,stat` elsewhere shows T.
    lab.before("continued")?;
    lab.signal(child.pid, Signal::SIGCONT)?;
    sig::wait_continued(child.pid).context("waitid(WCONTINUED)")?;
    // Once continued, the child goes back to its read at the gate.
    lab.wait_until_asleep(child.pid)?;
    lab.tell(
        PARENT,
        &Continued {
            child_pid: child.pid.as_raw(),
            continued_seen: true,
            state_after: state_of(child.pid)?,
        },
    )?;
    // Asleep again until people move on; then it ends and is reaped.
    lab.before("set-up")?;
    lab.open(&gate);
    lab.wait(child.pid)?;
    Ok(())
}

/// A field of `/proc/<pid>/status` (`SigCgt`, …) as it stands, and the
/// signal names it decodes to.
fn mask(pid: impl std::fmt::Display, field: &str) -> Result<(String, Vec<String>)> {
    let hex = procfs::status_field(&pid, field)
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))?;
    let names = decode_mask(&hex).ok_or_else(|| anyhow!("{field} is not a mask: {hex:?}"))?;
    Ok((hex, names))
}

fn handler_masks_and_bits(lab: &mut Lab) -> Result<()> {
    let first = lab.gate()?;
    let second = lab.gate()?;
    let third = lab.gate()?;
    let child = lab.fork(CHILD, |side| {
        sig::count_runs(Signal::SIGUSR1).context("sigaction(SIGUSR1)")?;
        sig::ignore(Signal::SIGUSR2).context("ignoring SIGUSR2")?;
        sig::block(&[Signal::SIGTERM]).context("blocking SIGTERM")?;
        side.tell(&SetUp {
            handled: Signal::SIGUSR1.as_str().into(),
            ignored: Signal::SIGUSR2.as_str().into(),
            blocked: Signal::SIGTERM.as_str().into(),
        })?;
        side.wait_for(&first)?;
        let handler_runs = sig::runs_counted();
        sig::block(&[Signal::SIGUSR1]).context("blocking SIGUSR1")?;
        side.tell(&Handler {
            sent: SENT_UNBLOCKED
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            handler_runs,
            now_blocked: Signal::SIGUSR1.as_str().into(),
        })?;
        side.wait_for(&second)?;
        let before = sig::runs_counted();
        sig::unblock(&[Signal::SIGUSR1]).context("unblocking SIGUSR1")?;
        let runs_after_unblock = sig::runs_counted() - before;
        sig::record_values(Signal::SIGUSR1).context("sigaction(SIGUSR1, SA_SIGINFO)")?;
        side.tell(&OneBit {
            sent_while_blocked: SENT_BLOCKED,
            runs_after_unblock,
        })?;
        side.wait_for(&third)?;
        let (values_received, sender_pids) = sig::values_recorded().into_iter().unzip();
        side.tell(&Sigqueue {
            value_sent: VALUE,
            values_received,
            sender_pids,
            parent_pid: getppid().as_raw(),
        })?;
        Ok(0)
    })?;
    let pid = child.pid;
    lab.expect_report::<SetUp>(pid)?;
    // Asleep at the gate: done with its set-up, so the sets hold still.
    lab.wait_until_asleep(pid)?;
    let (sig_cgt, caught) = mask(pid, "SigCgt")?;
    let (sig_ign, ignored) = mask(pid, "SigIgn")?;
    let (sig_blk, blocked) = mask(pid, "SigBlk")?;
    let (sig_pnd, _) = mask(pid, "SigPnd")?;
    let (shd_pnd, _) = mask(pid, "ShdPnd")?;
    lab.tell(
        PARENT,
        &Masks {
            child_pid: pid.as_raw(),
            sig_cgt,
            caught,
            sig_ign,
            ignored,
            sig_blk,
            blocked,
            sig_pnd,
            shd_pnd,
        },
    )?;
    // The sets hold until people move on (`grep Sig /proc/<pid>/status`).
    lab.before("handler")?;

    for signal in SENT_UNBLOCKED {
        lab.signal(pid, signal)?;
    }
    // Sent before the gate opens: the child meets them on its way back from
    // the read, before its next line runs.
    lab.open(&first);
    lab.expect_report::<Handler>(pid)?;

    lab.before("pending")?;
    for _ in 0..SENT_BLOCKED {
        lab.signal(pid, Signal::SIGUSR1)?;
    }
    let (sig_blk, blocked) = mask(pid, "SigBlk")?;
    let (sig_pnd, thread_pending) = mask(pid, "SigPnd")?;
    let (shd_pnd, process_pending) = mask(pid, "ShdPnd")?;
    lab.tell(
        PARENT,
        &Pending {
            child_pid: pid.as_raw(),
            sent: SENT_BLOCKED,
            sig_blk,
            blocked,
            sig_pnd,
            thread_pending,
            shd_pnd,
            process_pending,
        },
    )?;
    // Pending while the child blocks it, until people move on.
    lab.before("one-bit")?;
    lab.open(&second);
    lab.expect_report::<OneBit>(pid)?;

    lab.before("sigqueue")?;
    sig::queue(pid, Signal::SIGUSR1, VALUE).context("sigqueue(SIGUSR1)")?;
    lab.open(&third);
    lab.expect_report::<Sigqueue>(pid)?;
    lab.wait(pid)?;
    Ok(())
}

fn sigchld(lab: &mut Lab) -> Result<()> {
    lab.before("sigchld")?;
    let child = lab.fork(CHILD, |side| {
        sig::block(&[Signal::SIGCHLD]).context("blocking SIGCHLD")?;
        let grandchild = side.fork(GRANDCHILD, Tie::ToParent, |_| Ok(GRANDCHILD_EXIT))?;
        let info = sig::wait_for(Signal::SIGCHLD).context("sigwaitinfo(SIGCHLD)")?;
        side.tell(&Sigchld {
            grandchild_pid: grandchild.as_raw(),
            signal: sig::signal_name(info.signal),
            si_pid: info.sender,
            si_code: sig::child_code_name(info.code),
            si_status: info.status,
        })?;
        side.wait(grandchild)?;
        Ok(0)
    })?;
    lab.expect_report::<Sigchld>(child.pid)?;
    lab.wait(child.pid)?;
    Ok(())
}

/// Sets a handler for SIGUSR1 and ignores SIGUSR2, then reads this
/// process's caught and ignored sets.
fn handle_and_ignore() -> Result<(Vec<String>, Vec<String>)> {
    sig::count_runs(Signal::SIGUSR1).context("sigaction(SIGUSR1)")?;
    sig::ignore(Signal::SIGUSR2).context("ignoring SIGUSR2")?;
    Ok((mask(getpid(), "SigCgt")?.1, mask(getpid(), "SigIgn")?.1))
}

fn across_fork_and_exec(lab: &mut Lab) -> Result<()> {
    let gate = lab.gate()?;
    lab.before("across-fork")?;
    let execed = lab.spawn_after(EXECED, &[], |side| {
        let (parent_caught, parent_ignored) = handle_and_ignore()?;
        let grandchild = side.fork(GRANDCHILD, Tie::ToParent, |side| {
            let caught = mask(getpid(), "SigCgt")?.1;
            let ignored = mask(getpid(), "SigIgn")?.1;
            side.tell(&AcrossFork {
                same_caught: caught == parent_caught,
                same_ignored: ignored == parent_ignored,
                parent_caught: parent_caught.clone(),
                parent_ignored: parent_ignored.clone(),
                caught,
                ignored,
            })?;
            Ok(0)
        })?;
        side.wait(grandchild)?;
        // Not exec'd yet while `across-fork` is on screen: its handler
        // is still there for `grep SigCgt`.
        side.wait_for(&gate)
    })?;
    lab.expect_any_report::<AcrossFork>()?;
    lab.before("across-exec")?;
    lab.open(&gate);
    lab.expect_report::<AcrossExec>(execed.pid)?;
    lab.wait(execed.pid)?;
    Ok(())
}

/// The far side of `exec`: a fresh procdemo in the same process reads what
/// it kept (its sets before exec are the `parent_*` facts of `across-fork`).
pub fn spawned(side: &SpawnedSide) -> Result<()> {
    let caught = mask(getpid(), "SigCgt")?.1;
    let ignored = mask(getpid(), "SigIgn")?.1;
    let usr1 = Signal::SIGUSR1.as_str().to_string();
    let usr2 = Signal::SIGUSR2.as_str().to_string();
    side.tell(&AcrossExec {
        handler_kept: caught.contains(&usr1),
        ignore_kept: ignored.contains(&usr2),
        caught,
        ignored,
    })
}

fn process_group(lab: &mut Lab) -> Result<()> {
    let gate = lab.gate()?;
    lab.before("groups")?;
    let leader = lab.fork(MEMBER, |side| sleeper(side, &gate))?;
    sig::set_group(leader.pid, leader.pid).context("setpgid(leader, leader)")?;
    let member = lab.fork(MEMBER, |side| sleeper(side, &gate))?;
    sig::set_group(member.pid, leader.pid).context("setpgid(member, leader)")?;
    let spared = lab.fork(SPARED, |side| sleeper(side, &gate))?;
    sig::set_group(spared.pid, spared.pid).context("setpgid(spared, spared)")?;
    let members = [leader.pid, member.pid];
    // Asleep at the gate: past the reset of the stop signals each child
    // makes first, so SIGINT's default action applies.
    for pid in members.iter().chain([&spared.pid]) {
        lab.wait_until_asleep(*pid)?;
    }
    let procdemo_pgid = getpgrp();
    let group = sig::group_of(leader.pid).context("getpgid(leader)")?;
    if group == procdemo_pgid {
        bail!("the children's group {group} is procdemo's own: not signalling it");
    }
    let member_groups = members
        .iter()
        .map(|pid| sig::group_of(*pid).map(Pid::as_raw))
        .collect::<Result<Vec<_>, _>>()
        .context("getpgid(member)")?;
    let spared_group = sig::group_of(spared.pid).context("getpgid(spared)")?;
    lab.tell(
        PARENT,
        &Groups {
            procdemo_pgid: procdemo_pgid.as_raw(),
            group: group.as_raw(),
            members: crate::lab::raw_pids(&members),
            member_groups,
            spared_pid: spared.pid.as_raw(),
            spared_group: spared_group.as_raw(),
        },
    )?;
    // The groups hold until people move on (`ps -o pid,pgid,stat`).
    lab.before("killpg")?;
    sig::signal_group(group, Signal::SIGINT).with_context(|| format!("killpg({group}, SIGINT)"))?;
    let mut member_exitcodes = Vec::new();
    for pid in members {
        member_exitcodes.push(lab.wait(pid)?.python_exitcode());
    }
    let spared_state = state_of(spared.pid)?;
    lab.open(&gate);
    let spared_exitcode = lab.wait(spared.pid)?.python_exitcode();
    lab.tell(
        PARENT,
        &Killpg {
            signal: Signal::SIGINT.as_str().into(),
            group: group.as_raw(),
            member_exitcodes,
            spared_state,
            spared_exitcode,
        },
    )
}
