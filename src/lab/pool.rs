//! A pool of pre-forked workers, as Python's `multiprocessing.Pool` has:
//! chunks of tasks go to the workers through one shared pipe (each record
//! is written whole, so each worker reads whole records), workers report
//! each task through the event pipe, and the pool replaces a worker that
//! leaves (`maxtasksperchild`) or dies.

use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::{Pid, getpid};

use super::{ChildSide, Gate, Lab};
use crate::model::Report;
use crate::os::pipe;
use crate::os::shm::SharedCounters;
use crate::os::wait::ExitStatus;
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
    read_end: OwnedFd,
    write_end: OwnedFd,
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
    /// memory and one small record per chunk into the results pipe, which
    /// is what makes the pool fast; procdemo then reports the tasks.
    announce_starts: bool,
    results_read: OwnedFd,
    results_write: OwnedFd,
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
/// A record on the results pipe (fast mode): the chunk done, and by whom.
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
            read_end,
            write_end,
            pending: VecDeque::new(),
            workers: Vec::new(),
            body,
            max_chunks: settings.max_chunks_per_worker,
            claims,
            announce_starts: settings.announce_starts,
            results_read,
            results_write,
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
        let pool: &Pool = self;
        let worker = lab.fork(WORKER, |side| {
            side.close(&pool.write_end);
            side.close(&pool.results_read);
            if let Some(gate) = wait_at {
                side.wait_for(gate)?;
            }
            work(side, pool)
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
        while let Some(next) = self.pending.front() {
            match pipe::write_once(self.write_end.as_fd(), next) {
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

    /// Every chunk reported done on the results pipe, after waiting at most
    /// `timeout` for news (`None`: not at all).
    fn finished_from_results(
        &mut self,
        lab: &mut Lab,
        timeout: Option<Duration>,
    ) -> Result<Vec<TaskEnd>> {
        pipe::read_available(self.results_read.as_fd(), &mut self.unread)
            .context("read() of the results pipe")?;
        if let Some(timeout) = timeout
            && self.unread.len() < DONE_RECORD
        {
            lab.idle_on(self.results_read.as_fd(), timeout)?;
            pipe::read_available(self.results_read.as_fd(), &mut self.unread)
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

/// A worker's life: take a chunk, run its tasks, until a stop record, the
/// end of the pipe, or `max_chunks` chunks done.
fn work(side: &ChildSide, pool: &Pool) -> Result<i32> {
    let me = getpid().as_raw();
    let mut chunks = 0;
    loop {
        let Some(bytes) = pipe::read_exact(pool.read_end.as_fd(), RECORD)? else {
            return Ok(0);
        };
        let field = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        if field(0) == STOP {
            return Ok(0);
        }
        let (chunk, first, count) = (field(4) as usize, field(8) as usize, field(12) as usize);
        if let Some(claim) = pool.claims.counters().get(chunk) {
            claim.store(me as u32, Ordering::SeqCst);
        }
        for task in first..first + count {
            let started = side.now_us();
            if pool.announce_starts {
                side.tell(&TaskStart { task })?;
            }
            let result = (pool.body)(side, task)?;
            let ended = side.now_us();
            if pool.announce_starts {
                side.tell(&TaskEnd {
                    task,
                    worker: me,
                    result,
                    started_us: started,
                    ended_us: ended,
                })?;
            } else {
                let slots = pool.slots.counters();
                let at = task * SLOT;
                for (offset, value) in [
                    result as u32,
                    (result >> 32) as u32,
                    started as u32,
                    ended as u32,
                    me as u32,
                ]
                .into_iter()
                .enumerate()
                {
                    slots[at + offset].store(value, Ordering::SeqCst);
                }
            }
        }
        if !pool.announce_starts {
            let mut record = [0u8; DONE_RECORD];
            record[..4].copy_from_slice(&(first as u32).to_be_bytes());
            record[4..].copy_from_slice(&(count as u32).to_be_bytes());
            pipe::write_all(pool.results_write.as_fd(), &record)?;
        }
        chunks += 1;
        if pool.max_chunks.is_some_and(|most| chunks >= most) {
            return Ok(0);
        }
    }
}
