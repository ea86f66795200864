//! `join`: waiting for a child. `join()` blocks until the child ends;
//! `join(timeout)` gives up while it still runs; every exit code Python
//! reports comes from a real child; joining in order differs from waiting for
//! whichever ends first; and joining one child before starting the next keeps
//! their work apart.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::config::within;
use crate::lab::{CHILD, Lab, PARENT, raw_pids, signal_name};
use crate::model::Report;
use crate::os::procfs;
use crate::os::wait::ExitStatus;

mod reports;
pub use reports::*;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = within(0.1..=10.0, "the timeout must be a number of seconds from 0.1 to 10: long enough to see join() give up, short enough to wait for", "超时必须是 0.1 到 10 之间的秒数：既要长到能看见 join() 放弃等待，又要短到等得起"), allow_negative_numbers = true)]
    pub timeout: f64,
}

/// The five ways a child ends that Python's `exitcode` tells apart.
#[derive(Clone, Copy)]
enum Ending {
    Returns,
    SysExit3,
    UncaughtError,
    Terminated,
    Killed,
}

const ENDINGS: [(Ending, &str); 5] = [
    (Ending::Returns, "target returns"),
    (Ending::SysExit3, "sys.exit(3)"),
    (Ending::UncaughtError, "uncaught exception"),
    (Ending::Terminated, "p.terminate()"),
    (Ending::Killed, "p.kill()"),
];

/// Seconds of work at pace 1: the first child started is the last to end.
const DURATIONS: [f64; 3] = [0.9, 0.3, 0.6];

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    join_blocks(lab)?;
    join_with_timeout(lab, Duration::from_secs_f64(args.timeout))?;
    exit_codes(lab)?;
    in_order_then_first_ended(lab)?;
    join_before_start(lab)
}

fn join_blocks(lab: &mut Lab) -> Result<()> {
    // The child works once people see that it does (the step's prompt
    // comes before that), so that join() has its whole work to wait for.
    let shown = lab.gate()?;
    let child = lab.fork(CHILD, |side| {
        side.tell(&ChildWorks {
            work_ms: (1000.0 * side.scaled(1.0)) as u64,
        })?;
        side.wait_for(&shown)?;
        // The child's work: one second at pace 1.
        side.sleep(1.0);
        Ok(0)
    })?;
    lab.expect_report::<ChildWorks>(child.pid)?;
    lab.open(&shown);
    let since = Instant::now();
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &JoinWaits {
            child_pid: child.pid.as_raw(),
            waited_ms: since.elapsed().as_millis() as u64,
            is_alive: false,
            exitcode: status.python_exitcode(),
        },
    )
}

fn join_with_timeout(lab: &mut Lab, timeout: Duration) -> Result<()> {
    // The child and the timeout start once the step before is read.
    lab.before(JoinTimeout::STEP)?;
    // The child works until procdemo lets it go, so join(timeout) must time out.
    let release = lab.gate()?;
    let child = lab.fork(CHILD, |side| {
        side.wait_for(&release)?;
        Ok(0)
    })?;
    let since = Instant::now();
    let ended = lab.wait_timeout(child.pid, Some(timeout))?;
    let state = procfs::stat(child.pid)
        .ok()
        .map(|stat| stat.state.to_string());
    lab.tell(
        PARENT,
        &JoinTimeout {
            timeout_s: timeout.as_secs_f64(),
            waited_ms: since.elapsed().as_millis() as u64,
            is_alive: ended.is_none(),
            exitcode: ended.map(ExitStatus::python_exitcode),
            state,
        },
    )?;
    // The child still runs while people read that join(timeout) gave up.
    lab.before(JoinAgain::STEP)?;
    lab.open(&release);
    let since = Instant::now();
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &JoinAgain {
            waited_ms: since.elapsed().as_millis() as u64,
            is_alive: false,
            exitcode: status.python_exitcode(),
        },
    )
}

fn exit_codes(lab: &mut Lab) -> Result<()> {
    // The first of these children ends at once: it comes after the step
    // before is read, or `ps` shows a zombie that step does not speak of.
    lab.before(ExitCase::STEP)?;
    for (ending, case) in ENDINGS {
        // The children that are stopped by a signal wait here until it comes.
        let hold = lab.gate()?;
        let child = lab.fork(CHILD, |side| {
            side.tell(&ExitCase {
                case: case.to_string(),
            })?;
            Ok(match ending {
                Ending::Returns => 0,
                Ending::SysExit3 => 3,
                // What Python does after printing the traceback.
                Ending::UncaughtError => 1,
                Ending::Terminated | Ending::Killed => {
                    side.wait_for(&hold)?;
                    0
                }
            })
        })?;
        // Signals only after the child reported: by then it has SIGTERM's
        // default action again, not procdemo's handler.
        lab.expect_report::<ExitCase>(child.pid)?;
        match ending {
            Ending::Terminated => lab.signal(child.pid, Signal::SIGTERM)?,
            Ending::Killed => lab.signal(child.pid, Signal::SIGKILL)?,
            Ending::Returns | Ending::SysExit3 | Ending::UncaughtError => {}
        }
        let status = lab.wait(child.pid)?;
        lab.open(&hold);
        lab.tell(
            PARENT,
            &ExitCode {
                case: case.to_string(),
                wait_status: status.0,
                exit_code: status.code(),
                signal: status.signal().map(signal_name),
                python_exitcode: status.python_exitcode(),
            },
        )?;
    }
    Ok(())
}

fn start_three(lab: &mut Lab) -> Result<Vec<Pid>> {
    let mut started = Vec::new();
    for seconds in DURATIONS {
        let child = lab.fork(CHILD, |side| {
            // The work: how long each child runs is what the order of endings shows.
            side.sleep(seconds);
            side.tell(&ChildEnds {
                worked_ms: (1000.0 * side.scaled(seconds)) as u64,
            })?;
            Ok(0)
        })?;
        started.push(child.pid);
    }
    Ok(started)
}

fn in_order_then_first_ended(lab: &mut Lab) -> Result<()> {
    // The race of the three starts once people are done with the exit
    // codes: their prompt would otherwise come in the middle of it, and the
    // children would all end while people read.
    lab.before(ChildEnds::STEP)?;
    let started = start_three(lab)?;
    let mut ended_before_join = Vec::new();
    let since = Instant::now();
    for pid in &started {
        ended_before_join.push(lab.has_ended(*pid));
        lab.wait(*pid)?;
    }
    let ended = end_order(lab, &started);
    lab.tell(
        PARENT,
        &JoinInOrder {
            start_order: raw_pids(&started),
            reap_order: raw_pids(&started),
            already_ended_when_joined: ended_before_join,
            waited_ms: since.elapsed().as_millis() as u64,
            first_ended_last: ended.last() == started.first(),
        },
    )?;

    let started = start_three(lab)?;
    // Once ended, a child stays ended until it is reaped: if all three have
    // ended here, they had all ended before the first waitpid(-1).
    let all_ended_before_first_call = started.iter().all(|pid| lab.has_ended(*pid));
    let mut reaped = Vec::new();
    for _ in &started {
        reaped.push(lab.wait_any()?.0);
    }
    let ended = end_order(lab, &started);
    lab.tell(
        PARENT,
        &WaitAny {
            start_order: raw_pids(&started),
            end_order: raw_pids(&ended),
            reap_order: raw_pids(&reaped),
            all_ended_before_first_call,
            reaped_in_end_order: reaped == ended,
        },
    )
}

/// The children in the order they reported their end (`child-ends`).
fn end_order(lab: &Lab, started: &[Pid]) -> Vec<Pid> {
    let mut ended = started.to_vec();
    ended.sort_by_key(|pid| {
        lab.reports(*pid, ChildEnds::STEP)
            .first()
            .map_or(u64::MAX, |event| event.t_us)
    });
    ended
}

fn join_before_start(lab: &mut Lab) -> Result<()> {
    // The common example's list. The first child appends to it through a reference into
    // procdemo's memory: in a thread that would change procdemo's list; in a
    // process it changes the child's own copy.
    let mut nums: Vec<i64> = vec![11, 22];
    let shared = &mut nums;
    let first = lab.fork(CHILD, |side| {
        for value in 0..3 {
            shared.push(value);
            side.sleep(0.3);
            side.tell(&FirstAppends {
                nums: shared.clone(),
            })?;
        }
        Ok(0)
    })?;
    lab.wait(first.pid)?;
    let first_reaped_us = lab.now_us();

    let second = lab.fork(CHILD, |side| {
        side.tell(&SecondSees {
            nums: nums.clone(),
            resumed_us: side.resumed_us(),
        })?;
        Ok(0)
    })?;
    let seen: SecondSees = lab.expect_report(second.pid)?;
    lab.wait(second.pid)?;
    let first_done_us = lab
        .reports(first.pid, FirstAppends::STEP)
        .last()
        .map(|event| event.t_us)
        .context("the first child reported nothing")?;
    let second_started_us = seen.resumed_us;
    lab.tell(
        PARENT,
        &NoOverlap {
            first_done_us,
            first_reaped_us,
            second_started_us,
            overlap: second_started_us < first_done_us,
            parent_nums: nums,
        },
    )
}
