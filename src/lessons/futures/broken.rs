//! A worker killed mid-task breaks the executor: every unfinished future
//! fails at once.

use anyhow::{Context, Result};
use nix::sys::signal::Signal;

use super::{MAX_WORKERS, TaskRunning, Work, WorkerKilled, body};
use crate::lab::futures::{Executor, Outcome, Start};
use crate::lab::{Lab, PARENT, signal_name};
use crate::model::Report;

/// A worker killed mid-task breaks the executor.
pub(super) fn broken(lab: &mut Lab) -> Result<()> {
    // Never opened: the held tasks end only with their workers.
    let never = lab.gate()?;
    let plan = [
        Work::Hold {
            gate: &never,
            input: 1,
        },
        Work::Hold {
            gate: &never,
            input: 2,
        },
        Work::Sleep { ms: 10, input: 3 },
        Work::Sleep { ms: 10, input: 4 },
    ];
    let task = body(&plan);
    let mut executor = Executor::new(lab, MAX_WORKERS, plan.len(), Start::AllAtOnce, &task)?;
    executor.submit_all(lab, plan.len())?;
    let workers = executor.workers().to_vec();
    let mut victim = None;
    for worker in &workers {
        let running = lab.expect_reports_of::<TaskRunning>(*worker, 1)?;
        if running.iter().any(|running| running.task == 0) {
            victim = Some(*worker);
        }
    }
    let victim = victim.context("no worker runs task 0")?;

    lab.before(WorkerKilled::STEP)?;
    let killed_at = lab.now_us();
    lab.signal(victim, Signal::SIGKILL)?;
    executor.wait_broken(lab)?;
    // From the kill to the executor broken (every future failed, the other
    // workers sent SIGTERM and reaped).
    let noticed_after_us = lab.now_us() - killed_at;
    let killed = executor
        .departed
        .iter()
        .find(|left| left.pid == victim)
        .context("the killed worker was not reaped")?;
    let status = killed.status;
    let others: Vec<_> = executor
        .departed
        .iter()
        .filter(|left| left.pid != victim)
        .map(|left| (left.pid.as_raw(), left.status.python_exitcode()))
        .collect();
    let failed_futures = (0..plan.len())
        .filter(|future| *executor.outcome(*future) == Outcome::Broken)
        .collect();
    let signal = status
        .signal()
        .map(signal_name)
        .context("the killed worker did not end by a signal")?;
    // Python's exception: a word that the lesson's text gives in the
    // learner's language; the worker and its signal are facts of their own.
    let error = "BrokenProcessPool".to_string();
    let submit_refused = executor.submit(lab).is_err();
    lab.tell(
        PARENT,
        &WorkerKilled {
            worker: victim.as_raw(),
            task: 0,
            signal,
            exitcode: status.python_exitcode(),
            failed_futures,
            error,
            noticed_after_us,
            terminated: others.iter().map(|other| other.0).collect(),
            terminated_exitcodes: others.iter().map(|other| other.1).collect(),
            submit_refused,
        },
    )
}
