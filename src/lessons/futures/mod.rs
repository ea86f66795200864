//! `futures`: procdemo's own executor with the semantics of Python 3.11's
//! `ProcessPoolExecutor`, on real worker processes: `submit` returns a
//! future, `as_completed` yields in completion order and `map` in input
//! order, an error is raised by `result()` while its worker goes on,
//! `shutdown(wait=True)` and `shutdown(wait=False)`, workers started all at
//! once (fork) or on demand (other start methods), and a worker killed
//! mid-task breaking the executor.

use std::path::Path;

use anyhow::{Context, Result};
use nix::unistd::{Pid, getpid};

use crate::lab::futures::manager::Proxy;
use crate::lab::futures::{Executor, Outcome, Start, TaskResult};
use crate::lab::{ChildSide, Gate, Lab, PARENT, raw_pids};
use crate::model::Report;
use crate::os::procfs;

mod broken;
mod managed;
mod reports;
pub use reports::*;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub(crate) const MAX_WORKERS: usize = 2;

/// What one task does in its worker.
pub(crate) enum Work<'g> {
    /// Sleeps this many ms (real ones, whatever the pace: the order of
    /// completion is the point), then returns `input²`.
    Sleep { ms: u64, input: u64 },
    /// `input / by`, checked: dividing by 0 raises.
    Divide { input: u64, by: u64 },
    /// Says it runs, then holds until procdemo opens the gate; returns `input²`.
    Hold { gate: &'g Gate, input: u64 },
    /// Connects to the manager at `path`, puts an item, says so, and holds
    /// until procdemo opens the gate; returns `input`.
    /// Waits for the manager to listen first.
    Put {
        listening: &'g Gate,
        gate: &'g Gate,
        path: &'g Path,
        input: u64,
    },
}

fn run_task(side: &ChildSide, task: usize, work: &Work) -> Result<TaskResult> {
    Ok(match work {
        Work::Sleep { ms, input } => {
            std::thread::sleep(std::time::Duration::from_millis(*ms));
            Ok(input * input)
        }
        Work::Divide { input, by } => input
            .checked_div(*by)
            .ok_or_else(|| "division by zero".to_string()),
        Work::Hold { gate, input } => {
            side.wait_for(gate)?;
            Ok(input * input)
        }
        Work::Put {
            listening,
            gate,
            path,
            input,
        } => {
            side.wait_for(listening)?;
            let mut proxy = Proxy::connect(path)?;
            // As Python's `q.put((task, os.getpid()))` shows the tuple.
            proxy.put(&format!("({task}, {})", getpid()))?;
            side.tell(&ProxyConnected {
                task,
                fd: proxy.fd(),
                socket: proxy.socket()?,
            })?;
            side.wait_for(gate)?;
            Ok(*input)
        }
    })
}

/// The pool task of an executor whose task `n` is `plan[n]`.
pub(crate) fn body<'a>(plan: &'a [Work<'a>]) -> impl Fn(&ChildSide, usize) -> Result<u64> + 'a {
    move |side, task| {
        if let Work::Hold { .. } = plan[task] {
            side.tell(&TaskRunning { task })?;
        }
        Executor::pool_result(side, task, run_task(side, task, &plan[task])?)
    }
}

/// procdemo's children in `/proc` now.
fn children(lab: &Lab) -> Result<Vec<procfs::ProcStat>> {
    procfs::children_of(lab.pid()).context("reading procdemo's children in /proc")
}

fn state_of(pid: Pid) -> Result<String> {
    Ok(procfs::stat(pid)
        .with_context(|| format!("reading /proc/{pid}/stat"))?
        .state
        .to_string())
}

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    // What a `kill -9` of an earlier run left (its manager's directory and
    // socket), removed before anything else.
    crate::os::private_dir::sweep(managed::DIR);
    basics(lab)?;
    on_demand(lab)?;
    broken::broken(lab)?;
    managed::managed_queue(lab)
}

/// submit, as_completed, map, an error, shutdown(wait=True): workers forked
/// all at once.
fn basics(lab: &mut Lab) -> Result<()> {
    let release = lab.gate()?;
    let durations = [60, 20, 50, 50, 10, 30];
    let mut plan: Vec<Work> = durations
        .iter()
        .enumerate()
        .map(|(task, ms)| Work::Sleep {
            ms: *ms,
            input: task as u64 + 1,
        })
        .collect();
    plan.push(Work::Divide { input: 7, by: 0 });
    plan.push(Work::Hold {
        gate: &release,
        input: 8,
    });
    plan.push(Work::Hold {
        gate: &release,
        input: 9,
    });
    let task = body(&plan);
    // The first question is asked here, before the executor exists: from
    // the first submit to the end of as_completed nothing waits for the
    // reader, so the three tasks race as the step says.
    lab.before(FirstSubmit::STEP)?;
    let mut executor = Executor::new(lab, MAX_WORKERS, plan.len(), Start::AllAtOnce, &task)?;
    let workers_before_submit = children(lab)?.len();

    // Three submits back to back; the facts are told once all are out.
    let t0 = lab.now_us();
    // Each submit's moment is taken as it is called: the first also forks
    // the workers, and a task may start before its submit returns.
    let first = executor.submit(lab)?;
    let mut submitted_us = vec![0];
    let workers_in_proc = children(lab)?.len();
    let workers = raw_pids(executor.workers());
    let mut futures = vec![first];
    let mut done_at_submit = vec![executor.done(first)];
    for _ in 0..2 {
        let called = lab.now_us() - t0;
        let future = executor.submit(lab)?;
        submitted_us.push(called);
        done_at_submit.push(executor.done(future));
        futures.push(future);
    }
    executor.wait_completed(lab, 3)?;

    lab.tell(
        PARENT,
        &FirstSubmit {
            rule_of: "fork".to_string(),
            max_workers: MAX_WORKERS,
            future: first,
            workers_before_submit,
            workers_in_proc,
            workers,
        },
    )?;
    lab.tell(
        PARENT,
        &Submit {
            futures: futures.clone(),
            durations_ms: durations[..3].to_vec(),
            done_at_submit,
            submitted_us: submitted_us.clone(),
        },
    )?;

    let order = executor.completed[..3].to_vec();
    let (workers, ended) = ends(&executor, &order);
    let ended_us = ended
        .iter()
        .map(|end| {
            end.checked_sub(t0)
                .context("a task ended before the first submit began")
        })
        .collect::<Result<Vec<u64>>>()?;
    // From submit to start: end − submit − duration (the wait for a free
    // worker and a CPU, and the sleep's overshoot).
    let waited_us = order
        .iter()
        .zip(&ended_us)
        .map(|(future, end)| {
            *end as i64 - submitted_us[*future] as i64 - durations[*future] as i64 * 1000
        })
        .collect();
    let mut by_length = order.clone();
    by_length.sort_by_key(|future| durations[*future]);
    lab.tell(
        PARENT,
        &AsCompleted {
            by_duration: by_length == order,
            by_submission: order.windows(2).all(|pair| pair[0] < pair[1]),
            order,
            workers,
            ended_us,
            waited_us,
        },
    )?;

    let mapped = executor.submit_all(lab, 3)?;
    let mut results = Vec::new();
    for future in &mapped {
        if let Outcome::Done { result, .. } = executor.wait_for(lab, *future)? {
            results.push(*result);
        }
    }
    let input = |future: &usize| *future as u64 + 1;
    let completed_order: Vec<u64> = executor.completed[3..6].iter().map(input).collect();
    let yielded_order: Vec<u64> = mapped.iter().map(input).collect();
    lab.tell(
        PARENT,
        &Map {
            inputs: yielded_order.clone(),
            durations_ms: durations[3..6].to_vec(),
            completion_differs: completed_order != yielded_order,
            completed_order,
            yielded_order,
            results,
        },
    )?;

    let failing = executor.submit(lab)?;
    let held = [executor.submit(lab)?, executor.submit(lab)?];
    let outcome = executor.wait_for(lab, failing)?.clone();
    let Outcome::Raised { error, worker, .. } = outcome else {
        anyhow::bail!("the dividing task did not raise: {outcome:?}");
    };
    let worker_pid = Pid::from_raw(worker);
    // Each held task keeps its worker: the two are on the two workers.
    let running = lab.expect_reports_of::<TaskRunning>(worker_pid, 1)?;
    let runs_now = running
        .iter()
        .map(|running| running.task)
        .find(|task| held.contains(task))
        .context("the worker that raised runs no held task")?;
    lab.tell(
        PARENT,
        &ResultRaises {
            future: failing,
            error,
            worker,
            worker_state: state_of(worker_pid)?,
            worker_runs_now: runs_now,
            same_worker: true,
        },
    )?;

    lab.before(Shutdown::STEP)?;
    lab.open(&release);
    let started = lab.now_us();
    let pids = raw_pids(executor.workers());
    let left = executor.shutdown(lab)?;
    let took_us = lab.now_us() - started;
    let exitcodes = left
        .iter()
        .map(|left| left.status.python_exitcode())
        .collect();
    let left_in_proc = pids
        .iter()
        .filter(|pid| procfs::exists(Pid::from_raw(**pid)))
        .count();
    lab.tell(
        PARENT,
        &Shutdown {
            workers: raw_pids(&left.iter().map(|left| left.pid).collect::<Vec<_>>()),
            exitcodes,
            left_in_proc,
            took_us,
        },
    )
}

/// Each future's worker and end, for completed ones.
fn ends(executor: &Executor, futures: &[usize]) -> (Vec<i32>, Vec<u64>) {
    futures
        .iter()
        .filter_map(|future| match executor.outcome(*future) {
            Outcome::Done {
                worker, ended_us, ..
            }
            | Outcome::Raised {
                worker, ended_us, ..
            } => Some((*worker, *ended_us)),
            Outcome::Pending | Outcome::Broken => None,
        })
        .unzip()
}

/// Workers started on demand, and shutdown(wait=False) while tasks run.
fn on_demand(lab: &mut Lab) -> Result<()> {
    let release = lab.gate()?;
    let plan = [
        Work::Hold {
            gate: &release,
            input: 3,
        },
        Work::Hold {
            gate: &release,
            input: 4,
        },
    ];
    let task = body(&plan);
    lab.before(OnDemand::STEP)?;
    let mut executor = Executor::new(lab, MAX_WORKERS, plan.len(), Start::OnDemand, &task)?;
    executor.submit(lab)?;
    let workers_after_first = children(lab)?.len();
    executor.submit(lab)?;
    let workers_after_second = children(lab)?.len();
    lab.tell(
        PARENT,
        &OnDemand {
            rule_of: "spawn".to_string(),
            max_workers: MAX_WORKERS,
            workers_after_first,
            workers_after_second,
            workers: raw_pids(executor.workers()),
        },
    )?;
    let workers = executor.workers().to_vec();
    for worker in &workers {
        lab.expect_reports_of::<TaskRunning>(*worker, 1)?;
    }

    lab.before(ShutdownNowait::STEP)?;
    let started = lab.now_us();
    executor.shutdown_nowait(lab)?;
    let took_us = lab.now_us() - started;
    let not_done: Vec<usize> = (0..plan.len()).filter(|f| !executor.done(*f)).collect();
    lab.tell(
        PARENT,
        &ShutdownNowait {
            took_us,
            not_done,
            workers: raw_pids(&workers),
            worker_states: workers
                .iter()
                .map(|pid| state_of(*pid))
                .collect::<Result<_>>()?,
        },
    )?;

    lab.before(AfterShutdown::STEP)?;
    lab.open(&release);
    let mut results = Vec::new();
    for future in 0..plan.len() {
        if let Outcome::Done { result, .. } = executor.wait_for(lab, future)? {
            results.push(*result);
        }
    }
    let left = executor.join(lab)?;
    lab.tell(
        PARENT,
        &AfterShutdown {
            results,
            workers: raw_pids(&left.iter().map(|left| left.pid).collect::<Vec<_>>()),
            exitcodes: left
                .iter()
                .map(|left| left.status.python_exitcode())
                .collect(),
        },
    )
}
