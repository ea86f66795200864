//! An executor with the semantics of Python's
//! `concurrent.futures.ProcessPoolExecutor` (3.11), on the lab's pool: each
//! `submit` is one task on the pool's shared task pipe and returns a future
//! (its number); results come back in the order tasks end; a task that fails
//! comes back as an error for its future while its worker goes on; a worker
//! that dies breaks the executor, failing every unfinished future at once.
//! Workers start all at once at the first submit (3.11 with `fork`) or one
//! per submit while none is idle (3.11 with any other start method).

pub mod manager;

use std::time::Duration;

use anyhow::{Result, bail};
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::pool::{Departure, Pool, Settings, TaskBody, TaskEnd};
use super::{ChildSide, Lab};
use crate::report;

/// A task's own result, or the error it raised (its text).
pub type TaskResult = std::result::Result<u64, String>;

/// What the pool's task returns when the executor's task raised: the error
/// itself went to procdemo as a `task-raised` report just before. No task
/// of a lesson returns this value.
const RAISED: u64 = u64::MAX;

/// How long the executor waits for news in one go before it looks again.
const LOOK: Duration = Duration::from_millis(20);

report! {
    /// A task raised an error in its worker, which sends it back and takes
    /// the next task.
    "task-raised" => pub struct TaskRaised { pub task: usize, pub error: String }
}

/// The state of one future.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Pending,
    Done {
        result: u64,
        worker: i32,
        ended_us: u64,
    },
    Raised {
        error: String,
        worker: i32,
        ended_us: u64,
    },
    /// The executor broke before the task ended.
    Broken,
}

/// How workers are started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// All `max_workers` at the first submit (3.11, start method `fork`).
    AllAtOnce,
    /// One at a submit that finds no idle worker (3.11, other start methods).
    OnDemand,
}

pub struct Executor<'body> {
    pool: Pool<'body>,
    max_workers: usize,
    start: Start,
    futures: Vec<Outcome>,
    /// Futures in the order they completed.
    pub completed: Vec<usize>,
    /// Python's `_idle_worker_semaphore`: released once per result.
    idle: usize,
    /// The workers that left, and how.
    pub departed: Vec<Departure>,
    /// Set once a worker died: every submit is refused after it.
    pub broken: bool,
    /// After `shutdown()`: workers that exit with 0 took their stop record.
    shutting_down: bool,
}

impl<'body> Executor<'body> {
    /// A new executor for at most `max_tasks` tasks; no worker starts yet.
    pub fn new(
        lab: &mut Lab,
        max_workers: usize,
        max_tasks: usize,
        start: Start,
        body: &'body TaskBody<'body>,
    ) -> Result<Self> {
        let settings = Settings {
            workers: 0,
            tasks: max_tasks,
            chunks: max_tasks,
            max_chunks_per_worker: None,
            announce_starts: false,
        };
        Ok(Self {
            pool: Pool::start(lab, &settings, body)?,
            max_workers,
            start,
            futures: Vec::new(),
            completed: Vec::new(),
            idle: 0,
            departed: Vec::new(),
            broken: false,
            shutting_down: false,
        })
    }

    /// What the pool's task returns for a task's `outcome`: its result, or,
    /// for an error, a marker, the error itself going to procdemo as a report.
    pub fn pool_result(side: &ChildSide, task: usize, outcome: TaskResult) -> Result<u64> {
        match outcome {
            Ok(result) => Ok(result),
            Err(error) => {
                side.tell(&TaskRaised { task, error })?;
                Ok(RAISED)
            }
        }
    }

    /// `submit()` `count` times.
    pub fn submit_all(&mut self, lab: &mut Lab, count: usize) -> Result<Vec<usize>> {
        (0..count).map(|_| self.submit(lab)).collect()
    }

    /// The workers alive now.
    pub fn workers(&self) -> &[Pid] {
        &self.pool.workers
    }

    /// `submit()`: queues the next task and returns its future's number.
    pub fn submit(&mut self, lab: &mut Lab) -> Result<usize> {
        if self.broken {
            bail!("submit() to a broken executor");
        }
        let future = self.futures.len();
        self.futures.push(Outcome::Pending);
        self.pool.submit(future, future, 1);
        match self.start {
            Start::AllAtOnce => {
                while self.pool.workers.len() < self.max_workers {
                    self.pool.add_worker(lab, None)?;
                }
            }
            Start::OnDemand => {
                // Python's _adjust_process_count().
                if self.idle > 0 {
                    self.idle -= 1;
                } else if self.pool.workers.len() < self.max_workers {
                    self.pool.add_worker(lab, None)?;
                }
            }
        }
        // Out to the task pipe now, not at the next look.
        self.look(lab, Duration::ZERO)?;
        Ok(future)
    }

    pub fn outcome(&self, future: usize) -> &Outcome {
        &self.futures[future]
    }

    pub fn done(&self, future: usize) -> bool {
        self.futures[future] != Outcome::Pending
    }

    /// Takes what the pool has to say within `timeout`: results, errors,
    /// workers that died (which break the executor).
    fn look(&mut self, lab: &mut Lab, timeout: Duration) -> Result<()> {
        let (finished, departures) = self.pool.next(lab, timeout)?;
        for TaskEnd {
            task,
            worker,
            result,
            ended_us,
            ..
        } in finished
        {
            let outcome = if result == RAISED {
                let raised: Vec<TaskRaised> = lab
                    .expect_reports_of::<TaskRaised>(Pid::from_raw(worker), 1)?
                    .into_iter()
                    .filter(|raised| raised.task == task)
                    .collect();
                let Some(raised) = raised.into_iter().next() else {
                    bail!("task {task} raised, and worker {worker} did not say what");
                };
                Outcome::Raised {
                    error: raised.error,
                    worker,
                    ended_us,
                }
            } else {
                Outcome::Done {
                    result,
                    worker,
                    ended_us,
                }
            };
            if let Some(slot) = self.futures.get_mut(task) {
                *slot = outcome;
                self.completed.push(task);
                self.idle += 1;
            }
        }
        let died = departures
            .iter()
            .any(|left| !self.shutting_down || left.status.code() != Some(0));
        self.departed.extend(departures);
        if died && !self.broken {
            self.break_down(lab)?;
        }
        Ok(())
    }

    /// A worker died: every unfinished future fails at once, and the other
    /// workers are terminated (SIGTERM), as 3.11's `terminate_broken()` does.
    fn break_down(&mut self, lab: &mut Lab) -> Result<()> {
        self.broken = true;
        for outcome in &mut self.futures {
            if *outcome == Outcome::Pending {
                *outcome = Outcome::Broken;
            }
        }
        for pid in self.pool.workers.clone() {
            lab.signal(pid, Signal::SIGTERM)?;
        }
        let stopped = self.pool.join(lab)?;
        self.departed.extend(stopped);
        Ok(())
    }

    /// `as_completed()`'s next: the next future to complete, in the order
    /// they do, once `future` is among those completed (or it broke).
    pub fn wait_for(&mut self, lab: &mut Lab, future: usize) -> Result<&Outcome> {
        while !self.done(future) {
            self.look(lab, LOOK)?;
        }
        Ok(&self.futures[future])
    }

    /// Waits until `count` futures in all have completed (or the executor broke).
    pub fn wait_completed(&mut self, lab: &mut Lab, count: usize) -> Result<()> {
        while self.completed.len() < count && !self.broken {
            self.look(lab, LOOK)?;
        }
        Ok(())
    }

    /// Waits until a worker dies and the executor breaks.
    pub fn wait_broken(&mut self, lab: &mut Lab) -> Result<()> {
        while !self.broken {
            self.look(lab, LOOK)?;
        }
        Ok(())
    }

    /// `shutdown(wait=False)`: one stop record per worker, sent; returns at once.
    pub fn shutdown_nowait(&mut self, lab: &mut Lab) -> Result<()> {
        self.shutting_down = true;
        self.pool.close();
        self.look(lab, Duration::ZERO)
    }

    /// `shutdown(wait=True)`: every future completes, then every worker
    /// takes its stop record and leaves, and is reaped.
    pub fn shutdown(&mut self, lab: &mut Lab) -> Result<&[Departure]> {
        self.wait_completed(lab, self.futures.len())?;
        self.shutting_down = true;
        self.pool.close();
        self.join(lab)
    }

    /// Waits for the workers still there to leave and reaps them; returns
    /// every worker that left, in the order it did.
    pub fn join(&mut self, lab: &mut Lab) -> Result<&[Departure]> {
        let left = self.pool.join(lab)?;
        self.departed.extend(left);
        Ok(&self.departed)
    }
}
