//! `daemon`: two meanings of one word. Python's `daemon=True` children are
//! stopped when the parent's main code ends, cut off mid-loop, while a
//! non-daemonic child keeps the parent waiting. A Unix daemon is a service
//! detached from any terminal: fork, `setsid`, fork again, `chdir("/")`,
//! `umask`, standard streams on `/dev/null`, each property proved from
//! `/proc` while it runs, and then it is stopped.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::{Pid, getpgrp, getpid};

use crate::lab::{CHILD, ChildSide, Lab, PARENT, Tie};
use crate::model::Report;
use crate::os::process::{new_session, settle_as_daemon, wait_for_adoption};
use crate::os::procfs;

mod reports;
pub use reports::*;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

const DAEMONIC: &str = "daemonic";
const NON_DAEMONIC: &str = "non-daemonic";
const GRANDCHILD: &str = "grandchild";
const DAEMON: &str = "daemon";

/// The common three-children example: `MyProcess(2)`, `MyProcess(3)`, `MyProcess(4)`.
const LOOPS: [u32; 3] = [2, 3, 4];
/// The umask the daemon sets: its files are not writable by its group, nor readable by others.
const DAEMON_UMASK: u32 = 0o027;

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    // In the common example the loops sleep one second and the parent joins
    // each child for one second: this part is about that race, so its tick keeps a floor
    // even at --pace 0, where the loops would otherwise all finish at once.
    let tick = Duration::from_secs_f64(lab.pace().max(0.2));
    daemonic_children(lab, tick)?;
    non_daemonic_child(lab, tick)?;
    unix_daemon(lab)
}

/// One child of the common example: `loops` rounds of sleep-then-report.
fn count_loops(side: &ChildSide, loops: u32, tick: Duration) -> Result<i32> {
    for count in 0..loops {
        std::thread::sleep(tick);
        side.tell(&LoopCount { count, loops })?;
    }
    Ok(0)
}

fn daemonic_children(lab: &mut Lab, tick: Duration) -> Result<()> {
    // Python's main code runs its joins back to back; procdemo's pauses for
    // the reader must not slow it down, so the race is shown once it is over.
    lab.hold();
    // The first child reports its own child only after procdemo has told
    // `daemonic-start`, so that the telling keeps the text's order.
    let started = lab.gate()?;
    let mut children = Vec::new();
    for (at, loops) in LOOPS.into_iter().enumerate() {
        let child = lab.fork(DAEMONIC, |side| {
            if at == 0 {
                side.wait_for(&started)?;
                // Python forbids a daemonic process to start children; the
                // kernel does not: this one forks and reaps a child of its own.
                let grandchild = side.fork(GRANDCHILD, Tie::ToParent, |_| Ok(0))?;
                let status = side.wait(grandchild)?;
                side.tell(&OsAllowsChildren {
                    grandchild_pid: grandchild.as_raw(),
                    grandchild_exit_code: status.code(),
                })?;
            }
            count_loops(side, loops, tick)
        })?;
        children.push((child.pid, loops));
    }
    lab.tell(
        PARENT,
        &DaemonicStart {
            pids: children.iter().map(|(pid, _)| pid.as_raw()).collect(),
            loops: LOOPS.to_vec(),
            tick_ms: tick.as_millis() as u64,
        },
    )?;
    lab.open(&started);

    for (pid, _) in &children {
        let since = Instant::now();
        let ended = lab.wait_timeout(*pid, Some(tick))?;
        lab.tell(
            PARENT,
            &JoinOneTick {
                pid: pid.as_raw(),
                waited_ms: since.elapsed().as_millis() as u64,
                is_alive: ended.is_none(),
            },
        )?;
    }

    // The main code ends: Python's exit handler terminates every daemonic
    // child still running (SIGTERM), then joins it. The 3-loop child's last
    // report and the 4-loop child's third fall at the third tick, when the
    // main code ends: every event of the step says how that race fell, so
    // that the step's text can follow it.
    let mut ends = Vec::new();
    for (pid, loops) in &children {
        let running = !lab.has_ended(*pid);
        if running {
            lab.signal(*pid, Signal::SIGTERM)?;
        }
        let status = lab.wait(*pid)?;
        let done = lab.reports_of::<LoopCount>(*pid)?.len();
        ends.push((*pid, *loops, done, running, status.python_exitcode()));
    }
    let race = |loops: u32| {
        ends.iter()
            .find(|end| end.1 == loops)
            .map(|end| (end.2, end.4))
            .expect("a child of each number of loops")
    };
    let (three_loop_done, three_loop_exitcode) = race(3);
    let (four_loop_done, _) = race(4);
    for (pid, loops, done, running, exitcode) in ends {
        lab.tell(
            PARENT,
            &MainEnds {
                pid: pid.as_raw(),
                loops,
                iterations_done: done,
                terminated: running,
                exitcode,
                three_loop_done,
                three_loop_exitcode,
                four_loop_done,
            },
        )?;
    }
    lab.show_held()
}

fn non_daemonic_child(lab: &mut Lab, tick: Duration) -> Result<()> {
    let loops = LOOPS[0];
    let child = lab.fork(NON_DAEMONIC, |side| count_loops(side, loops, tick))?;
    // The main code ends at once; the exit handler joins a non-daemonic child
    // without a timeout.
    let since = Instant::now();
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &NonDaemonicWaits {
            pid: child.pid.as_raw(),
            loops,
            iterations_done: lab.reports_of::<LoopCount>(child.pid)?.len(),
            waited_ms: since.elapsed().as_millis() as u64,
            exitcode: status.python_exitcode(),
        },
    )
}

fn unix_daemon(lab: &mut Lab) -> Result<()> {
    // The first child stays until procdemo has read its session from /proc;
    // the daemon has no work to do and waits here until SIGTERM ends it.
    let leader_seen = lab.gate()?;
    let no_work = lab.gate()?;
    let first = lab.fork(CHILD, |side| {
        let sid = new_session().context("setsid()")?;
        // Passed down, not read with getppid() in the daemon: the daemon may
        // first run after this process has already exited.
        let first_parent = getpid();
        side.tell(&Setsid {
            getpid: getpid().as_raw(),
            sid: sid.as_raw(),
            pgid: getpgrp().as_raw(),
        })?;
        let daemon = side.fork(DAEMON, Tie::LifetimeOnly, |daemon| {
            let adopter = wait_for_adoption(first_parent);
            if !daemon.die_with_adopter(adopter) {
                return Ok(1);
            }
            let previous = settle_as_daemon(DAEMON_UMASK).context("chdir, umask and /dev/null")?;
            daemon.tell(&DaemonReady {
                ppid_before: first_parent.as_raw(),
                ppid_after: adopter.as_raw(),
                umask_before: format!("{previous:04o}"),
            })?;
            daemon.wait_for(&no_work)?;
            Ok(0)
        })?;
        side.tell(&SecondFork {
            daemon_pid: daemon.as_raw(),
        })?;
        side.wait_for(&leader_seen)?;
        Ok(0)
    })?;

    let second_fork: SecondFork = lab.expect_report(first.pid)?;
    let daemon = Pid::from_raw(second_fork.daemon_pid);
    let leader = procfs::stat(first.pid).context("reading the first child's /proc/<pid>/stat")?;
    let own = procfs::stat(getpid()).context("reading procdemo's /proc/<pid>/stat")?;
    lab.tell(
        PARENT,
        &SessionLeader {
            first_child: leader.pid,
            sid: leader.session,
            sid_equals_pid: leader.session == leader.pid,
            tty_nr: leader.tty_nr,
            procdemo_sid: own.session,
            procdemo_tty_nr: own.tty_nr,
        },
    )?;
    // The session leader stays while people read about it.
    lab.before(DaemonReady::STEP)?;
    lab.open(&leader_seen);
    lab.wait(first.pid)?;

    // Adopted by procdemo once the first child ended: now procdemo's own child.
    lab.expect_report::<DaemonReady>(daemon)?;
    let stat = procfs::stat(daemon).context("reading the daemon's /proc/<pid>/stat")?;
    let link = |name: &str| procfs::link(daemon, name).ok();
    lab.tell(
        PARENT,
        &DaemonProved {
            daemon_pid: stat.pid,
            ppid: stat.ppid,
            ppid_is_procdemo: stat.ppid == lab.pid().as_raw(),
            sid: stat.session,
            leads_session: stat.session == stat.pid,
            tty_nr: stat.tty_nr,
            cwd: link("cwd"),
            umask: procfs::status_field(stat.pid, "Umask"),
            stdin: link("fd/0"),
            stdout: link("fd/1"),
            stderr: link("fd/2"),
        },
    )?;
    // Time to look, e.g. `ps -o pid,ppid,sid,tty,cmd -p <pid>` in another terminal.
    lab.sleep(2.0)?;

    // The daemon runs on until people are done with its proof.
    lab.before(DaemonStopped::STEP)?;
    lab.signal(daemon, Signal::SIGTERM)?;
    let status = lab.wait(daemon)?;
    lab.tell(
        PARENT,
        &DaemonStopped {
            signal: "SIGTERM".to_string(),
            exitcode: status.python_exitcode(),
            proc_entry_exists: procfs::exists(daemon),
        },
    )
}
