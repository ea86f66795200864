//! A pool of pre-forked workers, as Python's `multiprocessing.Pool` has:
//! chunks of tasks go to the workers through one shared pipe (each record
//! is written whole, so each worker reads whole records), workers report
//! each task through the event pipe, and the pool replaces a worker that
//! leaves (`maxtasksperchild`) or dies.

mod worker;

use std::collections::VecDeque;
use std::io::{PipeReader, PipeWriter};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use serde_json::Value;

use super::{ChildSide, Gate, Lab, PARENT, Wake};
use crate::model::{Event, Report};
use crate::os::pipe;
use crate::os::shm::SharedCounters;
use crate::os::wait::{self, ExitStatus};
use crate::report;

/// One record on the task pipe: kind, chunk, first task, count (four u32,
/// big-endian): far below PIPE_BUF, so written and read whole.
const RECORD: usize = 16;
const CHUNK: u32 = 1;
const STOP: u32 = 0;

pub const WORKER: &str = "worker";

/// What a worker does with one task; returns its result.
pub type TaskBody<'a> = dyn Fn(&ChildSide, usize) -> Result<u64> + 'a;

pub struct Pool<'body> {
    read_end: PipeReader,
    /// procdemo's, like `results_read`: `None` in a worker, which closes its
    /// copy as soon as it starts.
    write_end: Option<OwnedFd>,
    /// Records not yet written because the pipe was full.
    pending: VecDeque<[u8; RECORD]>,
    pub workers: Vec<Pid>,
    body: &'body TaskBody<'body>,
    max_chunks: Option<usize>,
    /// For each chunk, the pid of the worker that took it: a worker that
    /// dies takes its chunk with it, and this says which.
    pub claims: SharedCounters,
    /// Narrated: workers report each task's start and end as events.
    /// Otherwise (many tasks) they write each task's facts into shared
    /// memory and one small record per chunk (and every few milliseconds
    /// within a long one) into the results pipe, which is what makes the
    /// pool fast; procdemo then reports the tasks.
    announce_starts: bool,
    results_read: Option<OwnedFd>,
    results_write: PipeWriter,
    slots: SharedCounters,
    unread: Vec<u8>,
    events_since_look: usize,
}

/// How many events may pass between two looks for workers that left.
const LOOK_EVERY: usize = 32;

report! {
    /// A worker took a task (reported only when the run is told one by one).
    "task-start" => pub struct TaskStart { pub task: usize }

    /// A task finished: the worker that ran it, its result, and when it ran
    /// (lesson µs). The worker reports it itself, or procdemo for it from
    /// what the worker left in shared memory.
    "task-end" => pub struct TaskEnd {
        pub task: usize,
        pub worker: i32,
        pub result: u64,
        pub started_us: u64,
        pub ended_us: u64,
    }
}

/// Per task, in shared memory (fast mode): result (two halves), start, end, worker.
const SLOT: usize = 5;
/// A record on the results pipe (fast mode): the first task ended and how
/// many after it (a chunk, or the part of it done since the last record).
const DONE_RECORD: usize = 8;

/// How a worker left the pool.
pub struct Departure {
    pub pid: Pid,
    pub status: ExitStatus,
}

/// How the pool's workers are set up.
pub struct Settings {
    pub workers: usize,
    pub tasks: usize,
    pub chunks: usize,
    pub max_chunks_per_worker: Option<usize>,
    pub announce_starts: bool,
}

impl<'body> Pool<'body> {
    /// Forks the workers, which run `body` for every task they are given.
    pub fn start(lab: &mut Lab, settings: &Settings, body: &'body TaskBody<'body>) -> Result<Self> {
        let (read_end, write_end) = pipe::pipe().context("pipe() for the tasks")?;
        // procdemo must never block on a full task pipe: it keeps the rest.
        pipe::set_nonblocking(write_end.as_fd()).context("fcntl(O_NONBLOCK) on the task pipe")?;
        let claims =
            SharedCounters::new(settings.chunks).context("mmap() for the chunks' claims")?;
        let (results_read, results_write) = pipe::pipe().context("pipe() for the results")?;
        pipe::set_nonblocking(results_read.as_fd())
            .context("fcntl(O_NONBLOCK) on the results pipe")?;
        let slots =
            SharedCounters::new(settings.tasks * SLOT).context("mmap() for the tasks' results")?;
        let mut pool = Self {
            read_end: read_end.into(),
            write_end: Some(write_end),
            pending: VecDeque::new(),
            workers: Vec::new(),
            body,
            max_chunks: settings.max_chunks_per_worker,
            claims,
            announce_starts: settings.announce_starts,
            results_read: Some(results_read),
            results_write: results_write.into(),
            slots,
            unread: Vec::new(),
            events_since_look: 0,
        };
        for _ in 0..settings.workers {
            pool.add_worker(lab, None)?;
        }
        Ok(pool)
    }

    /// Forks one more worker; returns its pid. With `wait_at`, the worker
    /// takes no task before that gate opens (its arrival is told first).
    pub fn add_worker(&mut self, lab: &mut Lab, wait_at: Option<&Gate>) -> Result<Pid> {
        let pool: &mut Pool = self;
        let worker = lab.fork(WORKER, |side| {
            // `fork()` gave the worker its own copy of the pool: emptying these
            // slots closes the worker's descriptors and leaves procdemo's open.
            // procdemo must be the task pipe's only writer, or no worker would
            // ever see the pipe end.
            pool.write_end.take();
            pool.results_read.take();
            if let Some(gate) = wait_at {
                side.wait_for(gate)?;
            }
            worker::work(side, pool)
        })?;
        self.workers.push(worker.pid);
        Ok(worker.pid)
    }

    /// Queues chunk number `chunk`: the tasks `first..first + count`.
    pub fn submit(&mut self, chunk: usize, first: usize, count: usize) {
        self.pending.push_back(record(CHUNK, chunk, first, count));
    }

    /// Queues one stop record per worker: Python's `close()`.
    pub fn close(&mut self) {
        for _ in 0..self.workers.len() {
            self.pending.push_back(record(STOP, 0, 0, 0));
        }
    }

    /// Writes what fits into the task pipe now.
    fn feed(&mut self) -> Result<()> {
        let Some(write_end) = &self.write_end else {
            return Ok(());
        };
        while let Some(next) = self.pending.front() {
            match pipe::write_once(write_end.as_fd(), next) {
                Ok(_) => {
                    self.pending.pop_front();
                }
                Err(Errno::EAGAIN) => break,
                Err(error) => return Err(error).context("write() to the task pipe"),
            }
        }
        Ok(())
    }

    /// The tasks finished since the last call, feeding the task pipe and
    /// noticing workers that left. Waits at most `timeout` for news.
    pub fn next(
        &mut self,
        lab: &mut Lab,
        timeout: Duration,
    ) -> Result<(Vec<TaskEnd>, Vec<Departure>)> {
        self.feed()?;
        let mut finished = if self.announce_starts {
            self.finished_from_events(lab, Some(timeout))?
        } else {
            self.finished_from_results(lab, Some(timeout))?
        };
        let mut departures = Vec::new();
        // Workers rarely leave: look when there is a lull, and now and then.
        self.events_since_look += 1;
        if !finished.is_empty() && self.events_since_look < LOOK_EVERY {
            return Ok((finished, departures));
        }
        self.events_since_look = 0;
        while let Some((pid, status)) = lab.try_wait_any()? {
            if let Some(at) = self.workers.iter().position(|worker| *worker == pid) {
                self.workers.remove(at);
                departures.push(Departure { pid, status });
            }
        }
        if !departures.is_empty() {
            // What a worker reported before it died is in the pipes by now:
            // take it all, so that only really unfinished tasks count as lost.
            finished.extend(if self.announce_starts {
                self.finished_from_events(lab, None)?
            } else {
                self.finished_from_results(lab, None)?
            });
        }
        Ok((finished, departures))
    }

    /// Every `task-end` event waiting, after waiting at most `timeout` for the first.
    fn finished_from_events(
        &mut self,
        lab: &mut Lab,
        timeout: Option<Duration>,
    ) -> Result<Vec<TaskEnd>> {
        let mut finished = Vec::new();
        let mut wait = timeout.unwrap_or(Duration::ZERO);
        while let Some(event) = lab.next_report(wait)? {
            wait = Duration::ZERO;
            // Of the workers' reports, only the ends of tasks are news.
            if event.step == TaskEnd::STEP {
                finished.push(event.read()?);
            }
        }
        Ok(finished)
    }

    /// Every task reported done on the results pipe, after waiting at most
    /// `timeout` for news (`None`: not at all).
    fn finished_from_results(
        &mut self,
        lab: &mut Lab,
        timeout: Option<Duration>,
    ) -> Result<Vec<TaskEnd>> {
        let Some(results_read) = &self.results_read else {
            return Ok(Vec::new());
        };
        pipe::read_available(results_read.as_fd(), &mut self.unread)
            .context("read() of the results pipe")?;
        if let Some(timeout) = timeout
            && self.unread.len() < DONE_RECORD
        {
            lab.idle_on(results_read.as_fd(), timeout)?;
            pipe::read_available(results_read.as_fd(), &mut self.unread)
                .context("read() of the results pipe")?;
        }
        let whole = self.unread.len() / DONE_RECORD * DONE_RECORD;
        let records: Vec<u8> = self.unread.drain(..whole).collect();
        let slots = self.slots.counters();
        let load = |index: usize| u64::from(slots[index].load(Ordering::SeqCst));
        let mut finished = Vec::new();
        for record in records.chunks_exact(DONE_RECORD) {
            let (first, count) = (
                u32::from_be_bytes([record[0], record[1], record[2], record[3]]) as usize,
                u32::from_be_bytes([record[4], record[5], record[6], record[7]]) as usize,
            );
            for task in first..first + count {
                let at = task * SLOT;
                finished.push(TaskEnd {
                    task,
                    result: load(at) | (load(at + 1) << 32),
                    started_us: load(at + 2),
                    ended_us: load(at + 3),
                    worker: load(at + 4) as i32,
                });
            }
        }
        Ok(finished)
    }

    /// The chunks `pid` took.
    pub fn chunks_of(&self, pid: Pid) -> Vec<usize> {
        let claimed = pid.as_raw() as u32;
        self.claims
            .counters()
            .iter()
            .enumerate()
            .filter(|(_, claim)| claim.load(Ordering::SeqCst) == claimed)
            .map(|(chunk, _)| chunk)
            .collect()
    }

    /// Python's `terminate()`: SIGTERM to every worker, then reap them.
    pub fn terminate(&mut self, lab: &mut Lab) -> Result<Vec<Departure>> {
        for pid in &self.workers {
            lab.signal(*pid, Signal::SIGTERM)?;
        }
        self.join(lab)
    }

    /// Python's `join()`: waits for every worker to leave.
    pub fn join(&mut self, lab: &mut Lab) -> Result<Vec<Departure>> {
        let mut departures = Vec::new();
        while let Some(pid) = self.workers.first().copied() {
            self.feed()?;
            if let Some(status) = lab.wait_timeout(pid, Some(Duration::from_millis(20)))? {
                self.workers.remove(0);
                departures.push(Departure { pid, status });
            }
        }
        Ok(departures)
    }
}

fn record(kind: u32, chunk: usize, first: usize, count: usize) -> [u8; RECORD] {
    let mut bytes = [0u8; RECORD];
    for (at, value) in [kind, chunk as u32, first as u32, count as u32]
        .into_iter()
        .enumerate()
    {
        bytes[at * 4..at * 4 + 4].copy_from_slice(&value.to_be_bytes());
    }
    bytes
}

// What only the pool asks of the lab: its workers report fast and many,
// so it takes events one by one, sleeps on its own results pipe too, and
// tells most tasks with a progress bar.
impl Lab {
    /// The next event any child reported that this function has not returned
    /// yet, waiting at most `timeout` for one (`None` then).
    pub fn next_report(&mut self, timeout: Duration) -> Result<Option<Event>> {
        // Events already read are handed out without another read().
        if self.handed_out < self.received.len() {
            self.check_signal()?;
            return Ok(self.hand_out());
        }
        let deadline = Instant::now() + timeout;
        self.poll_until(Some(deadline), Wake::Event, |lab| Ok(lab.hand_out()))
    }

    fn hand_out(&mut self) -> Option<Event> {
        let event = self.received.get(self.handed_out).cloned()?;
        self.handed_out += 1;
        Some(event)
    }

    /// Sleeps until `fd` is readable, an event arrives, a signal comes, or
    /// `timeout`; shows events meanwhile.
    pub fn idle_on(&mut self, fd: BorrowedFd<'_>, timeout: Duration) -> Result<()> {
        // Back to the pool after one sleep, whatever woke it: a worker's end
        // (SIGCHLD) is news to the pool as much as its results are.
        let mut slept = false;
        let deadline = Instant::now() + timeout;
        self.poll_until(Some(deadline), Wake::EventOrReadable(fd), |_| {
            Ok(std::mem::replace(&mut slept, true).then_some(()))
        })
        .map(drop)
    }

    /// Reaps a child that has ended, if any has, without waiting.
    pub fn try_wait_any(&mut self) -> Result<Option<(Pid, ExitStatus)>> {
        match wait::try_reap_any() {
            Ok(Some((pid, status))) => {
                self.record_end(pid, status);
                Ok(Some((pid, status)))
            }
            Ok(None) | Err(Errno::ECHILD) => Ok(None),
            Err(errno) => bail!("waitpid(-1) failed: {errno}"),
        }
    }

    /// Reports a bulk step observed by procdemo (see `in_bulk`); the facts
    /// are only built when someone reads them (JSON or `--trace`).
    pub fn emit_bulk(&mut self, step: &str, facts: impl FnOnce() -> Value) -> Result<()> {
        if self.narrator.needs_every_event() {
            let event = Event::observed(self.lesson, self.started, PARENT, step, facts());
            // Held back with the rest, so that the record stays in order.
            match &mut self.held {
                Some(held) => held.push(event),
                None => {
                    self.narrator.show(&event);
                }
            }
        } else {
            self.narrator.count(step);
        }
        Ok(())
    }

    /// Events at these steps come in bulk: people see a progress bar that
    /// advances with each `counted` event (out of `total`) instead of a line
    /// per event; JSON still carries every one.
    pub fn in_bulk(&mut self, steps: &[&str], counted: &str, total: u64) {
        self.narrator.in_bulk(steps, counted, total);
    }
}
