//! `pool`: a real pool of pre-forked workers with the semantics of Python's
//! `multiprocessing.Pool`: tasks in chunks, worker reuse, results in input
//! or completion order by mode, close/join or terminate, replacement after
//! `maxtasksperchild`, a worker killed mid-task, and the speed-up measured.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use nix::sys::signal::Signal;
use nix::unistd::getpid;
use serde_json::{Value, json};

use crate::lab::pool::{Departure, Finished, Pool, Settings};
use crate::lab::{ChildSide, Lab, PARENT, raw_pids, signal_name};
use crate::os::process::send_signal;

mod options;
pub use options::{Args, PoolMode, Work};

/// Above this many tasks people see a progress bar instead of a line per task.
const TASKS_TOLD_ONE_BY_ONE: usize = 24;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    if let Some(crash) = args.crash_task.filter(|task| *task >= args.tasks) {
        bail!(
            "--crash-task {crash} is not one of the tasks: they are numbered 0 to {}",
            args.tasks - 1
        );
    }
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(64)
    });
    let chunksize = args.chunksize.unwrap_or(match args.mode {
        // Python's map: about four chunks per worker.
        PoolMode::Map => args.tasks.div_ceil(workers * 4).max(1),
        PoolMode::Apply | PoolMode::ApplyAsync | PoolMode::Imap | PoolMode::ImapUnordered => 1,
    });
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let mut random = fastrand::Rng::with_seed(seed);
    // Seconds at pace 1, different for each task, so that reuse shows.
    let durations: Vec<f64> = (0..args.tasks)
        .map(|_| {
            if args.work == Work::None {
                0.0
            } else {
                0.2 + random.f64() * 0.8
            }
        })
        .collect();
    let (work, crash) = (args.work, args.crash_task);
    let body = |side: &ChildSide, task: usize| -> Result<u64> {
        let seconds = side.scaled(durations[task]);
        if crash == Some(task) {
            // Half-way through its task, this worker is killed, as by the OOM killer or a segfault.
            std::thread::sleep(Duration::from_secs_f64(seconds / 2.0));
            send_signal(getpid(), Signal::SIGKILL)?;
        }
        match work {
            Work::Sleep => std::thread::sleep(Duration::from_secs_f64(seconds)),
            Work::Spin => spin(Duration::from_secs_f64(seconds)),
            Work::None => {}
        }
        Ok((task as u64) * (task as u64))
    };
    let told_one_by_one = args.tasks <= TASKS_TOLD_ONE_BY_ONE;
    if !told_one_by_one {
        lab.in_bulk(&["task-end"], "task-end", args.tasks as u64);
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
    let mut pool = Pool::start(lab, &settings, &body)?;
    lab.emit(
        PARENT,
        "pool-start",
        json!({ "workers": raw_pids(&pool.workers), "mode": name(args.mode), "tasks": args.tasks, "work": name(args.work), "seed": seed }),
    )?;
    // apply waits for each result before it submits the next task.
    let submit_all = args.mode != PoolMode::Apply;
    let mut submitted = if submit_all { chunks.len() } else { 1 };
    for (chunk, (first, count)) in chunks[..submitted].iter().enumerate() {
        pool.submit(chunk, *first, *count);
    }
    lab.emit(
        PARENT,
        "submit",
        json!({ "chunks": chunks.len(), "chunksize": chunksize, "submitted_at_once": submitted }),
    )?;

    let mut run = Run::new(args.tasks, chunksize);
    // terminate() after a given time is a race with the tasks: procdemo's
    // pauses for the reader must not stretch it, so it is shown afterwards.
    if args.terminate_after.is_some() {
        lab.hold();
    }
    // Counted from the moment the tasks are out, as a program would after map_async().
    let terminate_at = args
        .terminate_after
        .map(|seconds| Instant::now() + Duration::from_secs_f64(seconds));

    let mut terminated = false;
    while !run.all_settled() {
        let (finished, departures) = pool.next(lab, Duration::from_millis(20))?;
        for task in finished {
            if !told_one_by_one {
                // The worker left the facts in shared memory; procdemo tells them.
                lab.emit_bulk("task-end", || {
                    json!({ "task": task.task, "worker": task.worker, "result": task.result, "started_us": task.started_us, "ended_us": task.ended_us })
                })?;
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
        if terminate_at.is_some_and(|at| Instant::now() >= at) {
            let cut_off: Vec<usize> = (0..args.tasks).filter(|task| !run.settled(*task)).collect();
            let stopped = pool.terminate(lab)?;
            lab.emit(
                PARENT,
                "terminate",
                json!({ "after_s": args.terminate_after, "tasks_cut_off": cut_off.len(), "cut_off": cut_off, "workers_stopped": stopped.iter().map(|d| d.status.python_exitcode()).collect::<Vec<_>>() }),
            )?;
            terminated = true;
            break;
        }
    }
    lab.show_held()?;
    if !terminated {
        pool.close();
        lab.emit(
            PARENT,
            "close",
            json!({ "stop_records": pool.workers.len() }),
        )?;
        let left = pool.join(lab)?;
        lab.emit(PARENT, "join", json!({ "workers_exited": left.len(), "exit_codes": left.iter().map(|d| d.status.python_exitcode()).collect::<Vec<_>>() }))?;
    }
    let completed: Vec<usize> = (0..args.tasks)
        .filter(|task| run.ended[*task].is_some())
        .collect();
    let yielded = match args.mode {
        PoolMode::ImapUnordered => run.arrival.clone(),
        PoolMode::Apply | PoolMode::ApplyAsync | PoolMode::Map | PoolMode::Imap => {
            completed.clone()
        }
    };
    lab.emit(
        PARENT,
        "results",
        json!({ "mode": name(args.mode), "arrival_order": run.arrival, "yield_order": yielded, "in_input_order": yielded.windows(2).all(|pair| pair[0] < pair[1]) }),
    )?;
    let busy_us: u64 = run
        .ended
        .iter()
        .flatten()
        .map(|end| end.to_us - end.from_us)
        .sum();
    // From the first task's start to the last one's end: the pool's own
    // start-up and the narration's pauses are not the tasks' time.
    let first_start = run
        .ended
        .iter()
        .flatten()
        .map(|end| end.from_us)
        .min()
        .unwrap_or(0);
    let last_end = run
        .ended
        .iter()
        .flatten()
        .map(|end| end.to_us)
        .max()
        .unwrap_or(0);
    let wall_us = last_end.saturating_sub(first_start).max(1);
    lab.emit(
        PARENT,
        "pool-summary",
        json!({
            "tasks": args.tasks,
            "completed": completed.len(),
            "lost": run.lost,
            "wall_ms": wall_us / 1000,
            "task_ms_sum": busy_us / 1000,
            "speedup": (busy_us as f64 / wall_us as f64 * 100.0).round() / 100.0,
            "tasks_per_worker": run.per_worker(),
            "timeline": run.timeline(told_one_by_one),
        }),
    )
}

/// The option's spelling on the command line: `imap-unordered`, `sleep`.
fn name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |possible| possible.get_name().to_string())
}

/// Busy work: the CPU stays in this process for `duration`.
fn spin(duration: Duration) {
    let until = Instant::now() + duration;
    let mut x: u64 = 1;
    while Instant::now() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
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
        lab.emit(
            PARENT,
            "task-lost",
            json!({ "tasks": lost, "worker": departure.pid.as_raw(), "signal": killed.map(signal_name) }),
        )?;
    }
    // A worker that left after its quota is replaced only while work
    // remains; a killed one always is, as Python's pool keeps its size.
    if killed.is_none() && run.all_settled() {
        return Ok(());
    }
    let announced = lab.gate()?;
    let replacement = pool.add_worker(lab, Some(&announced))?;
    lab.emit(
        PARENT,
        "worker-replaced",
        json!({ "old": departure.pid.as_raw(), "new": replacement.as_raw(), "reason": if killed.is_some() { "killed" } else { "maxtasksperchild" } }),
    )?;
    lab.open(&announced);
    Ok(())
}

/// A span of a lane: the (first) task, from, to.
type Span = (usize, u64, u64);

struct Ended {
    pid: i32,
    from_us: u64,
    to_us: u64,
}

/// What the parent knows about every task.
struct Run {
    chunksize: usize,
    ended: Vec<Option<Ended>>,
    lost: Vec<usize>,
    is_lost: Vec<bool>,
    /// Tasks ended or lost: counted, so that checking for the end is cheap.
    settled_count: usize,
    arrival: Vec<usize>,
}

impl Run {
    fn new(tasks: usize, chunksize: usize) -> Self {
        Self {
            chunksize,
            ended: (0..tasks).map(|_| None).collect(),
            lost: Vec::new(),
            is_lost: vec![false; tasks],
            settled_count: 0,
            arrival: Vec::new(),
        }
    }

    fn finish(&mut self, task: Finished) {
        if task.task >= self.ended.len() || self.settled(task.task) {
            return;
        }
        self.ended[task.task] = Some(Ended {
            pid: task.worker,
            from_us: task.started_us,
            to_us: task.ended_us,
        });
        self.arrival.push(task.task);
        self.settled_count += 1;
    }

    fn settled(&self, task: usize) -> bool {
        self.ended[task].is_some() || self.is_lost[task]
    }

    fn all_settled(&self) -> bool {
        self.settled_count == self.ended.len()
    }

    fn chunk_done(&self, chunk: usize) -> bool {
        let first = chunk * self.chunksize;
        (first..(first + self.chunksize).min(self.ended.len())).all(|task| self.settled(task))
    }

    /// The unfinished tasks of `chunks`, taken by a worker that died.
    fn lose_chunks(&mut self, chunks: &[usize]) -> Vec<usize> {
        let mut lost = Vec::new();
        for chunk in chunks {
            let first = chunk * self.chunksize;
            lost.extend(
                (first..(first + self.chunksize).min(self.ended.len()))
                    .filter(|task| !self.settled(*task)),
            );
        }
        for task in &lost {
            self.is_lost[*task] = true;
        }
        self.settled_count += lost.len();
        self.lost.extend(&lost);
        lost
    }

    fn per_worker(&self) -> Value {
        let mut counts: Vec<(i32, usize)> = Vec::new();
        for end in self.ended.iter().flatten() {
            match counts.iter_mut().find(|(pid, _)| *pid == end.pid) {
                Some((_, count)) => *count += 1,
                None => counts.push((end.pid, 1)),
            }
        }
        Value::Object(
            counts
                .into_iter()
                .map(|(pid, count)| (pid.to_string(), json!(count)))
                .collect(),
        )
    }

    /// One lane per worker, each task a labelled span. With many tasks the
    /// picture is summarised: a worker's tasks that follow each other with a
    /// gap too small to draw become one span, without labels.
    fn timeline(&self, labelled: bool) -> Value {
        let mut lanes: Vec<(i32, Vec<Span>)> = Vec::new();
        let mut ends: Vec<(usize, &Ended)> = self
            .ended
            .iter()
            .enumerate()
            .filter_map(|(task, end)| Some((task, end.as_ref()?)))
            .collect();
        ends.sort_by_key(|(_, end)| end.from_us);
        let first = ends.iter().map(|(_, end)| end.from_us).min().unwrap_or(0);
        let last = ends.iter().map(|(_, end)| end.to_us).max().unwrap_or(0);
        let too_small_to_draw = (last - first) / 200;
        for (task, end) in ends {
            let lane = match lanes.iter().position(|(pid, _)| *pid == end.pid) {
                Some(lane) => lane,
                None => {
                    lanes.push((end.pid, Vec::new()));
                    lanes.len() - 1
                }
            };
            let spans = &mut lanes[lane].1;
            match spans.last_mut() {
                Some(previous)
                    if !labelled && end.from_us.saturating_sub(previous.2) <= too_small_to_draw =>
                {
                    previous.2 = previous.2.max(end.to_us);
                }
                _ => spans.push((task, end.from_us, end.to_us)),
            }
        }
        let lanes: Vec<Value> = lanes
            .into_iter()
            .map(|(pid, spans)| {
                let spans: Vec<Value> = spans
                    .into_iter()
                    .map(|(task, from_us, to_us)| {
                        let mut span =
                            json!({ "state": "task", "from_us": from_us, "to_us": to_us });
                        if labelled {
                            span["label"] = json!(task.to_string());
                        }
                        span
                    })
                    .collect();
                json!({ "label": format!("worker {pid}"), "pid": pid, "spans": spans })
            })
            .collect();
        json!({ "lanes": lanes, "counters": [] })
    }
}
