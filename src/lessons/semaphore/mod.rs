//! `semaphore`: a semaphore counts permits. Workers compete for
//! `Semaphore(N)` and never more than N are inside at once; then the common
//! producer and consumer share a bounded buffer in shared memory, guarded by
//! `empty`, `full` and a lock, each blocking when it must, every item
//! consumed exactly once, and the lesson ends by itself.

use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use nix::unistd::Pid;
use serde_json::json;

use crate::lab::{ChildSide, Lab, PARENT, span};
use crate::model::Report;
use crate::os::semaphore::SharedSemaphore;
use crate::os::shm::SharedCounters;

mod buffer;
mod options;
mod reports;
use buffer::{Buffer, acquire_noting};
pub use options::Args;
pub use reports::*;

const WORKER: &str = "worker";
const PRODUCER: &str = "producer";
const CONSUMER: &str = "consumer";

/// The common example's buffer: two places (`empty = Semaphore(2)`).
const SLOTS: usize = 2;
/// Items the producer makes; the common example's loops never end, this one does.
const ITEMS: usize = 6;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    limit_concurrency(lab, args)?;
    bounded_buffer(lab)
}

/// The slot of the shared page: the most workers inside at once, as the
/// workers read it from the semaphore.
const MOST_INSIDE: usize = 0;

fn limit_concurrency(lab: &mut Lab, args: &Args) -> Result<()> {
    let permits =
        SharedSemaphore::new(args.permits as u32).context("sem_init() for the permits")?;
    let shared = SharedCounters::new(1).context("mmap() for the most inside")?;
    let start = lab.gate()?;
    let mut lanes = Vec::new();
    for _ in 0..args.workers {
        let child = lab.fork(WORKER, |side| {
            side.wait_for(&start)?;
            let asked = side.now_us();
            permits.acquire()?;
            let entered = side.now_us();
            // What it tells is one reading of the semaphore: the permits
            // left, and the workers holding one (itself included) at the
            // same instant. Two readings could disagree: another worker can
            // take or give back a permit between them. The most inside at
            // once is kept from the same reading, so it is never below an
            // `inside_now` a worker told.
            let value = permits.value()?;
            let inside_now = u32::try_from(args.permits as i32 - value)
                .context("the semaphore's value above its permits")?;
            shared.counters()[MOST_INSIDE].fetch_max(inside_now, Ordering::SeqCst);
            side.tell(&WorkerEnters {
                inside_now,
                semaphore_value: value,
            })?;
            // The work done with a permit.
            side.sleep(0.6);
            // The time is taken before the permit goes back, or the next
            // worker's entry could be drawn before this one's exit.
            let left = side.now_us();
            permits.release()?;
            side.tell(&WorkerLeaves {
                semaphore_value: permits.value()?,
                spans: vec![span("wait", asked, entered), span("inside", entered, left)],
            })?;
            Ok(0)
        })?;
        lanes.push((child.pid, format!("{WORKER} {}", child.pid)));
    }
    lab.open(&start);
    for (pid, _) in &lanes {
        lab.wait(*pid)?;
    }
    let mut samples: Vec<(u64, i32)> = Vec::new();
    for (pid, _) in &lanes {
        for (t_us, entered) in timed::<WorkerEnters>(lab, *pid)? {
            samples.push((t_us, entered.semaphore_value));
        }
        for (t_us, left) in timed::<WorkerLeaves>(lab, *pid)? {
            samples.push((t_us, left.semaphore_value));
        }
    }
    samples.sort_by_key(|(t_us, _)| *t_us);
    let most = shared.counters()[MOST_INSIDE].load(Ordering::SeqCst);
    let counter = json!({ "name": "semaphore value", "samples": samples.iter().map(|(t, v)| json!([t, v])).collect::<Vec<_>>() });
    let timeline = lab.timeline(&lanes, vec![counter]);
    lab.tell(
        PARENT,
        &AtMostPermits {
            workers: args.workers,
            permits: args.permits,
            most_inside_at_once: most,
            never_more_than_permits: most as usize <= args.permits,
            semaphore_value_at_end: permits.value()?,
            timeline,
        },
    )
}

/// Every report of `R` that `pid` made so far, with its time (`t_us`).
fn timed<R: Report>(lab: &Lab, pid: Pid) -> Result<Vec<(u64, R)>> {
    lab.reports(pid, R::STEP)
        .iter()
        .map(|event| Ok((event.t_us, event.read()?)))
        .collect()
}

fn bounded_buffer(lab: &mut Lab) -> Result<()> {
    let empty = SharedSemaphore::new(SLOTS as u32).context("sem_init() for empty")?;
    let full = SharedSemaphore::new(0).context("sem_init() for full")?;
    let lock = SharedSemaphore::new(1).context("sem_init() for the lock")?;
    let buffer = Buffer::new()?;
    let producer = lab.fork(PRODUCER, |side| {
        for item in 0..ITEMS as u32 {
            // Fast at first, so the buffer fills and the producer must wait.
            if item >= 3 {
                side.sleep(0.4);
            }
            let blocked = acquire_noting(&empty)?;
            lock.acquire()?;
            let fill = buffer.put(item);
            let at_us = side.now_us();
            lock.release()?;
            full.release()?;
            side.tell(&Produced {
                item,
                fill,
                at_us,
                blocked_on_empty: blocked,
            })?;
        }
        Ok(0)
    })?;
    let consumer = lab.fork(CONSUMER, |side| {
        consume(side, &buffer, &empty, &full, &lock)
    })?;
    lab.wait(producer.pid)?;
    lab.wait(consumer.pid)?;
    let produced: Vec<Produced> = lab.expect_reports_of(producer.pid, ITEMS)?;
    let consumed: Vec<Consumed> = lab.expect_reports_of(consumer.pid, ITEMS)?;
    let mut fill: Vec<(u64, u32)> = produced
        .iter()
        .map(|put| (put.at_us, put.fill))
        .chain(consumed.iter().map(|took| (took.at_us, took.fill)))
        .collect();
    fill.sort_by_key(|(t_us, _)| *t_us);
    let max_fill = fill
        .iter()
        .map(|(_, level)| *level)
        .max()
        .context("neither the producer nor the consumer reported the buffer's fill")?;
    let samples: Vec<_> = fill.iter().map(|(t, v)| json!([t, v])).collect();
    lab.tell(
        PARENT,
        &BufferSummary {
            items: ITEMS,
            slots: SLOTS,
            producer_blocked: produced.iter().filter(|put| put.blocked_on_empty).count(),
            consumer_blocked: consumed.iter().filter(|took| took.blocked_on_full).count(),
            max_fill,
            consumed_exactly_once: buffer.consumed().iter().all(|count| *count == 1),
            timeline: json!({
                "lanes": [],
                "counters": [{ "name": "buffer fill", "samples": samples }],
            }),
        },
    )
}

fn consume(
    side: &ChildSide,
    buffer: &Buffer,
    empty: &SharedSemaphore,
    full: &SharedSemaphore,
    lock: &SharedSemaphore,
) -> Result<i32> {
    for taken in 0..ITEMS {
        // Slow at first, so the producer fills the buffer; fast later, so it must wait for items.
        if taken < 3 {
            side.sleep(0.4);
        }
        let blocked = acquire_noting(full)?;
        lock.acquire()?;
        let (item, fill) = buffer.take();
        let at_us = side.now_us();
        lock.release()?;
        empty.release()?;
        buffer.note_consumed(item);
        side.tell(&Consumed {
            item,
            fill,
            at_us,
            blocked_on_full: blocked,
        })?;
    }
    Ok(0)
}
