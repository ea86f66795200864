//! `pool`: a real pool of pre-forked workers with the semantics of Python's
//! `multiprocessing.Pool`: tasks in chunks, worker reuse, results in input
//! or completion order by mode, close/join or terminate, replacement after
//! `maxtasksperchild`, a worker killed mid-task, and the speed-up measured.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::json;

use crate::lab::pool::{Departure, Pool, Settings};
use crate::lab::{ChildSide, Lab, PARENT, raw_pids, signal_name};
use crate::model::{Lang, Report};
use crate::os::limits;

mod options;
mod reports;
mod run;
mod task;
use options::name;
pub use options::{Args, PoolMode, Work, refusal};
pub use reports::*;
use run::Run;
use task::Tasks;
pub use task::{WORK_LIMIT_S, durations};

/// Above this many tasks people see a progress bar instead of a line per task.
const TASKS_TOLD_ONE_BY_ONE: usize = 24;

/// The memory procdemo needs for each task, at the most: its duration, its
/// end, its result in the run's summary and that summary's JSON. Measured
/// as about 250 bytes a task (the peak of 100000 tasks, less that of 10).
const BYTES_PER_TASK: usize = 320;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    // The command line refuses these already; a caller that skipped it
    // gets the same reason.
    if let Some(reason) = refusal(args, Lang::En) {
        bail!(reason);
    }
    // The tasks' memory is many small allocations, most of them in the
    // summary, which cannot all be fallible: its room is made sure of
    // before any worker starts, so that a limit (`ulimit -v`) ends the
    // lesson with a reason and not an abort.
    let room = args.tasks * BYTES_PER_TASK;
    limits::room_for(room).map_err(|_| lab.no_memory("--tasks", args.tasks, room))?;
    let workers = workers(args);
    let chunksize = chunksize(args, workers);
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let tasks = Tasks::new(args, seed);
    // Were one worker to run every task, its life would hold them all.
    lab.expect_work(tasks.total());
    let body = |side: &ChildSide, task: usize| tasks.run(side, task);
    let told_one_by_one = args.tasks <= TASKS_TOLD_ONE_BY_ONE;
    if !told_one_by_one {
        lab.in_bulk(&[TaskEnd::STEP], TaskEnd::STEP, args.tasks as u64);
    }
    let chunks: Vec<(usize, usize)> = (0..args.tasks)
        .step_by(chunksize)
        .map(|first| (first, chunksize.min(args.tasks - first)))
        .collect();

    let settings = Settings {
        workers,
        tasks: args.tasks,
        chunks: chunks.len(),
        max_chunks_per_worker: args.maxtasksperchild,
        announce_starts: told_one_by_one,
    };
    // terminate() after a given time is a race with the tasks: procdemo's
    // pauses for the reader must not stretch it, and which steps it brings
    // (so their count) is known only once it is decided; the whole run is
    // shown afterwards.
    if args.terminate_after.is_some() {
        lab.hold();
    }
    let mut pool = Pool::start(lab, &settings, &body)?;
    lab.tell(
        PARENT,
        &PoolStart {
            workers: raw_pids(&pool.workers),
            mode: name(args.mode),
            tasks: args.tasks,
            work: name(args.work),
            seed,
        },
    )?;
    // apply waits for each result before it submits the next task.
    let submit_all = args.mode != PoolMode::Apply;
    let mut submitted = if submit_all { chunks.len() } else { 1 };
    for (chunk, (first, count)) in chunks[..submitted].iter().enumerate() {
        pool.submit(chunk, *first, *count);
    }
    lab.tell(
        PARENT,
        &Submit {
            chunks: chunks.len(),
            chunksize,
            submitted_at_once: submitted,
        },
    )?;

    let mut run =
        Run::new(args.tasks, chunksize).map_err(|_| lab.no_memory("--tasks", args.tasks, room))?;
    run.workers = raw_pids(&pool.workers);
    // Counted from the moment the tasks are out, as a program would after map_async().
    let terminate = args
        .terminate_after
        .map(|after_s| (after_s, Instant::now() + Duration::from_secs_f64(after_s)));

    let mut terminated = false;
    while !run.all_settled() {
        let (finished, departures) = pool.next(lab, Duration::from_millis(20))?;
        for task in finished {
            if !told_one_by_one {
                // The worker left the facts in shared memory; procdemo tells
                // them, built only if someone reads them (numbers only: they
                // always serialise).
                lab.emit_bulk(TaskEnd::STEP, || json!(task))?;
            }
            run.finish(task);
        }
        if !submit_all && submitted < chunks.len() && run.chunk_done(submitted - 1) {
            let (first, count) = chunks[submitted];
            pool.submit(submitted, first, count);
            submitted += 1;
        }
        for departure in departures {
            handle_departure(lab, &mut pool, &mut run, &departure)?;
        }
        if let Some((after_s, at)) = terminate
            && Instant::now() >= at
        {
            let cut_off: Vec<usize> = (0..args.tasks).filter(|task| !run.settled(*task)).collect();
            let stopped = pool.terminate(lab)?;
            for departure in &stopped {
                if run.any_unsettled(&pool.chunks_of(departure.pid)) {
                    run.died_at_work.push(departure.pid.as_raw());
                }
            }
            lab.tell(
                PARENT,
                &Terminate {
                    after_s,
                    tasks_cut_off: cut_off.len(),
                    cut_off,
                    workers_stopped: exitcodes(&stopped),
                },
            )?;
            terminated = true;
            break;
        }
    }
    if args.terminate_after.is_some() {
        // The race is decided: the steps it brought are numbered.
        lab.plan(steps_after_race(terminated, &lab.held_steps()));
    }
    lab.show_held()?;
    if !terminated {
        pool.close();
        lab.tell(
            PARENT,
            &Close {
                stop_records: pool.workers.len(),
                tasks_lost: run.lost.len(),
            },
        )?;
        // The workers wait for their stop records until people are done
        // with close().
        lab.before(Join::STEP)?;
        let left = pool.join(lab)?;
        lab.tell(
            PARENT,
            &Join {
                workers_exited: left.len(),
                exit_codes: exitcodes(&left),
            },
        )?;
    }
    let completed = run.completed();
    let yielded = match args.mode {
        PoolMode::ImapUnordered => run.arrival.clone(),
        PoolMode::Apply | PoolMode::ApplyAsync | PoolMode::Map | PoolMode::Imap => {
            completed.clone()
        }
    };
    lab.tell(
        PARENT,
        &Results {
            mode: name(args.mode),
            arrival_order: run.arrival.clone(),
            in_input_order: yielded.windows(2).all(|pair| pair[0] < pair[1]),
            yield_order: yielded,
        },
    )?;
    let busy_us = run.busy_us();
    // At least 1 µs, to divide by: with no task ended, 0 ms and no speed-up.
    let wall_us = run.wall_us().map_or(1, |wall_us| wall_us.max(1));
    lab.tell(
        PARENT,
        &PoolSummary {
            tasks: args.tasks,
            completed: completed.len(),
            lost: run.lost.clone(),
            wall_ms: wall_us / 1000,
            task_ms_sum: busy_us / 1000,
            speedup: (busy_us as f64 / wall_us as f64 * 100.0).round() / 100.0,
            tasks_per_worker: run.per_worker(),
            idle_workers: run.idle_workers(),
            timeline: run.timeline(told_one_by_one),
        },
    )
}

/// The pool's size: as asked, else one worker per CPU.
fn workers(args: &Args) -> usize {
    args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(64)
    })
}

/// Tasks per chunk: as asked, else as Python's method would.
fn chunksize(args: &Args, workers: usize) -> usize {
    args.chunksize.unwrap_or(match args.mode {
        // Python's map: about four chunks per worker.
        PoolMode::Map => args.tasks.div_ceil(workers * 4).max(1),
        PoolMode::Apply | PoolMode::ApplyAsync | PoolMode::Imap | PoolMode::ImapUnordered => 1,
    })
}

/// The steps a run with `args` reports, in order (bulk ones included:
/// people see a bar for them, not a step). Two depend on timing as well: a
/// With `--terminate-after` the plan counts on terminate() cutting the run
/// short, until the race is decided (`steps_after_race`).
pub fn steps(args: &Args) -> Vec<&'static str> {
    let workers = workers(args);
    let chunks = args.tasks.div_ceil(chunksize(args, workers));
    let crashes = args.crash_task.is_some_and(|task| task < args.tasks);
    // Only a worker that leaves while work remains is replaced: certain
    // when the first workers cannot take every chunk between them.
    let replaced = crashes
        || args
            .maxtasksperchild
            .is_some_and(|most| chunks > workers.saturating_mul(most));
    let mut steps = vec![PoolStart::STEP, Submit::STEP];
    // Many tasks come in bulk: their ends without their starts, as a bar.
    if args.tasks <= TASKS_TOLD_ONE_BY_ONE {
        steps.push(TaskStart::STEP);
    }
    steps.push(TaskEnd::STEP);
    if args.terminate_after.is_some() {
        steps.push(Terminate::STEP);
    } else {
        if crashes {
            steps.push(TaskLost::STEP);
        }
        if replaced {
            steps.push(WorkerReplaced::STEP);
        }
        steps.extend([Close::STEP, Join::STEP]);
    }
    steps.extend([Results::STEP, PoolSummary::STEP]);
    steps
}

/// The steps of a run with `--terminate-after`, once the race between
/// terminate() and the tasks is decided: those `held` back while it ran,
/// then close() and join() if the tasks won.
fn steps_after_race(terminated: bool, held: &[String]) -> Vec<String> {
    let raced = [
        TaskStart::STEP,
        TaskEnd::STEP,
        TaskLost::STEP,
        WorkerReplaced::STEP,
        Terminate::STEP,
    ];
    let mut steps = vec![PoolStart::STEP, Submit::STEP];
    steps.extend(
        raced
            .into_iter()
            .filter(|step| held.iter().any(|held| held == step)),
    );
    if !terminated {
        steps.extend([Close::STEP, Join::STEP]);
    }
    steps.extend([Results::STEP, PoolSummary::STEP]);
    steps.into_iter().map(String::from).collect()
}

/// What Python's `exitcode` says of each worker that left.
fn exitcodes(departures: &[Departure]) -> Vec<i32> {
    departures
        .iter()
        .map(|departure| departure.status.python_exitcode())
        .collect()
}

fn handle_departure(
    lab: &mut Lab,
    pool: &mut Pool,
    run: &mut Run,
    departure: &Departure,
) -> Result<()> {
    let killed = departure.status.signal();
    if killed.is_some() {
        let lost = run.lose_chunks(&pool.chunks_of(departure.pid));
        if !lost.is_empty() {
            run.died_at_work.push(departure.pid.as_raw());
        }
        lab.tell(
            PARENT,
            &TaskLost {
                tasks: lost,
                worker: departure.pid.as_raw(),
                signal: killed.map(signal_name),
            },
        )?;
    }
    // A worker that left after its quota is replaced only while work
    // remains; a killed one always is, as Python's pool keeps its size.
    if killed.is_none() && run.all_settled() {
        return Ok(());
    }
    let announced = lab.gate()?;
    let replacement = pool.add_worker(lab, Some(&announced))?;
    run.workers.push(replacement.as_raw());
    let reason = if killed.is_some() {
        "killed"
    } else {
        "maxtasksperchild"
    };
    lab.tell(
        PARENT,
        &WorkerReplaced {
            old: departure.pid.as_raw(),
            new: replacement.as_raw(),
            reason: reason.to_string(),
        },
    )?;
    lab.open(&announced);
    Ok(())
}
