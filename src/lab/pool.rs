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
use serde_json::json;

use super::{ChildSide, Lab};
use crate::narrate::Event;
use crate::os::pipe;
use crate::os::shm::SharedCounters;
use crate::os::wait::ExitStatus;

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
    /// Whether workers report each task's start too, not only its end.
    announce_starts: bool,
}

/// How a worker left the pool.
pub struct Departure {
    pub pid: Pid,
    pub status: ExitStatus,
}

/// How the pool's workers are set up.
pub struct Settings {
    pub workers: usize,
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
        let mut pool = Self {
            read_end,
            write_end,
            pending: VecDeque::new(),
            workers: Vec::new(),
            body,
            max_chunks: settings.max_chunks_per_worker,
            claims,
            announce_starts: settings.announce_starts,
        };
        for _ in 0..settings.workers {
            pool.add_worker(lab)?;
        }
        Ok(pool)
    }

    /// Forks one more worker; returns its pid.
    pub fn add_worker(&mut self, lab: &mut Lab) -> Result<Pid> {
        let (read_end, write_end, claims) = (&self.read_end, &self.write_end, &self.claims);
        let (body, max_chunks, announce_starts) =
            (self.body, self.max_chunks, self.announce_starts);
        let worker = lab.fork(WORKER, |side| {
            side.close(write_end);
            work(side, read_end, claims, body, max_chunks, announce_starts)
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

    /// The next worker event, feeding the pipe and noticing workers that
    /// left while it waits. No event after `timeout`.
    pub fn next(
        &mut self,
        lab: &mut Lab,
        timeout: Duration,
    ) -> Result<(Option<Event>, Vec<Departure>)> {
        self.feed()?;
        let event = lab.next_report(timeout)?;
        let mut departures = Vec::new();
        while let Some((pid, status)) = lab.try_wait_any()? {
            if let Some(at) = self.workers.iter().position(|worker| *worker == pid) {
                self.workers.remove(at);
                departures.push(Departure { pid, status });
            }
        }
        Ok((event, departures))
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
fn work(
    side: &ChildSide,
    tasks: &OwnedFd,
    claims: &SharedCounters,
    body: &TaskBody<'_>,
    max_chunks: Option<usize>,
    announce_starts: bool,
) -> Result<i32> {
    let mut chunks = 0;
    loop {
        let Some(bytes) = pipe::read_exact(tasks.as_fd(), RECORD)? else {
            return Ok(0);
        };
        let field = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        if field(0) == STOP {
            return Ok(0);
        }
        let (chunk, first, count) = (field(4) as usize, field(8) as usize, field(12) as usize);
        if let Some(claim) = claims.counters().get(chunk) {
            claim.store(getpid().as_raw() as u32, Ordering::SeqCst);
        }
        for task in first..first + count {
            let started = side.now_us();
            if announce_starts {
                side.report("task-start", json!({ "task": task }))?;
            }
            let result = body(side, task)?;
            side.report("task-end", json!({ "task": task, "result": result, "started_us": started, "ended_us": side.now_us() }))?;
        }
        chunks += 1;
        if max_chunks.is_some_and(|most| chunks >= most) {
            return Ok(0);
        }
    }
}
