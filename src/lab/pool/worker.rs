//! A worker of the pool, in its own process: it takes chunks from the task
//! pipe and reports each task, as events or through shared memory.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Result;
use nix::unistd::getpid;

use super::{DONE_RECORD, Pool, RECORD, SLOT, STOP, TaskEnd, TaskStart};
use crate::lab::ChildSide;
use crate::os::pipe;

/// How often a worker in fast mode tells the tasks it ended, at most (and
/// at the end of each chunk): often enough for a progress bar that moves
/// task by task, seldom enough to cost nothing next to the tasks.
const TELL_EVERY: Duration = Duration::from_millis(10);

/// Writes one record on the results pipe: `count` tasks from `first` ended.
fn tell_done(pool: &Pool, first: usize, count: usize) -> Result<()> {
    let mut record = [0u8; DONE_RECORD];
    record[..4].copy_from_slice(&(first as u32).to_be_bytes());
    record[4..].copy_from_slice(&(count as u32).to_be_bytes());
    // Under PIPE_BUF: one write(), which no other worker's splits.
    (&pool.results_write).write_all(&record)?;
    Ok(())
}

/// A worker's life: take a chunk, run its tasks, until a stop record, the
/// end of the pipe, or `max_chunks` chunks done.
pub(super) fn work(side: &ChildSide, pool: &Pool) -> Result<i32> {
    let me = getpid().as_raw();
    let mut chunks = 0;
    loop {
        let Some(bytes) = pipe::read_exact(&pool.read_end, RECORD)? else {
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
        // Fast mode: the tasks ended so far are told at the chunk's end, and
        // now and then before it, so that procdemo sees them as they go.
        let mut untold = first;
        let mut told_at = Instant::now();
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
                if task + 1 == first + count || told_at.elapsed() >= TELL_EVERY {
                    tell_done(pool, untold, task + 1 - untold)?;
                    untold = task + 1;
                    told_at = Instant::now();
                }
            }
        }
        chunks += 1;
        if pool.max_chunks.is_some_and(|most| chunks >= most) {
            return Ok(0);
        }
    }
}
