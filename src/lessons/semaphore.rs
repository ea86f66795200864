//! `semaphore`: a semaphore counts permits. Workers compete for
//! `Semaphore(N)` and never more than N are inside at once; then the notes'
//! producer and consumer share a bounded buffer in shared memory, guarded by
//! `empty`, `full` and a lock, each blocking when it must, every item
//! consumed exactly once, and the lesson ends by itself.

use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use nix::unistd::Pid;
use serde_json::{Value, json};

use crate::config::within;
use crate::lab::{ChildSide, Lab, PARENT, span};
use crate::os::semaphore::SharedSemaphore;
use crate::os::shm::SharedCounters;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Worker processes competing for the permits (1 to 16)
    #[arg(long, value_name = "N", default_value = "5", value_parser = within(1..=16_usize, "the number of workers must be a whole number from 1 to 16 (this machine has few cores; more only queue up)"), allow_negative_numbers = true)]
    pub workers: usize,

    /// Permits: how many workers may be inside at once, Semaphore(N) (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=16_usize, "the permits must be a whole number from 1 to 16: Semaphore(0) would let no one in"), allow_negative_numbers = true)]
    pub permits: usize,
}

const WORKER: &str = "worker";
const PRODUCER: &str = "producer";
const CONSUMER: &str = "consumer";

/// The notes' buffer: two places (`empty = Semaphore(2)`).
const SLOTS: usize = 2;
/// Items the producer makes; the notes' loops never end, this one does.
const ITEMS: usize = 6;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    limit_concurrency(lab, args)?;
    bounded_buffer(lab)
}

/// Slots of the shared page: how many are inside now, and the most ever.
const INSIDE: usize = 0;
const MOST_INSIDE: usize = 1;

fn limit_concurrency(lab: &mut Lab, args: &Args) -> Result<()> {
    let permits =
        SharedSemaphore::new(args.permits as u32).context("sem_init() for the permits")?;
    let shared = SharedCounters::new(2).context("mmap() for the counts")?;
    let start = lab.gate()?;
    let mut lanes = Vec::new();
    for _ in 0..args.workers {
        let child = lab.fork(WORKER, |side| {
            side.wait_for(&start)?;
            let asked = side.now_us();
            permits.acquire()?;
            let entered = side.now_us();
            let inside = shared.counters()[INSIDE].fetch_add(1, Ordering::SeqCst) + 1;
            shared.counters()[MOST_INSIDE].fetch_max(inside, Ordering::SeqCst);
            side.report("worker-enters", json!({ "inside_now": inside, "semaphore_value": permits.value()? }))?;
            // The work done with a permit.
            side.sleep(0.6);
            // The time is taken before the permit goes back, or the next
            // worker's entry could be drawn before this one's exit.
            let left = side.now_us();
            shared.counters()[INSIDE].fetch_sub(1, Ordering::SeqCst);
            permits.release()?;
            side.report(
                "worker-leaves",
                json!({ "semaphore_value": permits.value()?, "spans": [span("wait", asked, entered), span("inside", entered, left)] }),
            )?;
            Ok(0)
        })?;
        lanes.push((child.pid, format!("{WORKER} {}", child.pid)));
    }
    lab.open(&start);
    for (pid, _) in &lanes {
        lab.wait(*pid)?;
    }
    let mut samples: Vec<(u64, Value)> = Vec::new();
    for (pid, _) in &lanes {
        for step in ["worker-enters", "worker-leaves"] {
            for event in lab.reports(*pid, step) {
                samples.push((
                    event.t_us,
                    event
                        .fact("semaphore_value")
                        .cloned()
                        .unwrap_or(Value::Null),
                ));
            }
        }
    }
    samples.sort_by_key(|(t_us, _)| *t_us);
    let most = shared.counters()[MOST_INSIDE].load(Ordering::SeqCst);
    let counter = json!({ "name": "semaphore value", "samples": samples.iter().map(|(t, v)| json!([t, v])).collect::<Vec<_>>() });
    let timeline = lab.timeline(&lanes, vec![counter]);
    lab.emit(
        PARENT,
        "at-most-permits",
        json!({
            "workers": args.workers,
            "permits": args.permits,
            "most_inside_at_once": most,
            "never_more_than_permits": most as usize <= args.permits,
            "semaphore_value_at_end": permits.value()?,
            "timeline": timeline,
        }),
    )
}

/// The buffer's shared page: the items' places, where the next put and
/// take go, how full it is, and how often each item was consumed.
struct Buffer {
    cells: SharedCounters,
    consumed: SharedCounters,
}

const HEAD: usize = SLOTS;
const TAIL: usize = SLOTS + 1;
const FILL: usize = SLOTS + 2;

/// One put or take, under the buffer's lock; returns the fill level after it.
/// Callers note the time under the lock too, so the samples keep the real order.
fn put(buffer: &Buffer, item: u32) -> u32 {
    let cells = buffer.cells.counters();
    let tail = cells[TAIL].load(Ordering::SeqCst) as usize;
    cells[tail].store(item, Ordering::SeqCst);
    cells[TAIL].store(((tail + 1) % SLOTS) as u32, Ordering::SeqCst);
    cells[FILL].fetch_add(1, Ordering::SeqCst) + 1
}

fn take(buffer: &Buffer) -> (u32, u32) {
    let cells = buffer.cells.counters();
    let head = cells[HEAD].load(Ordering::SeqCst) as usize;
    let item = cells[head].load(Ordering::SeqCst);
    cells[HEAD].store(((head + 1) % SLOTS) as u32, Ordering::SeqCst);
    (item, cells[FILL].fetch_sub(1, Ordering::SeqCst) - 1)
}

/// Takes a unit of `semaphore`, saying whether that had to wait.
fn acquire_noting(semaphore: &SharedSemaphore) -> Result<bool> {
    if semaphore.try_acquire()? {
        return Ok(false);
    }
    semaphore.acquire()?;
    Ok(true)
}

fn bounded_buffer(lab: &mut Lab) -> Result<()> {
    let empty = SharedSemaphore::new(SLOTS as u32).context("sem_init() for empty")?;
    let full = SharedSemaphore::new(0).context("sem_init() for full")?;
    let lock = SharedSemaphore::new(1).context("sem_init() for the lock")?;
    let buffer = Buffer {
        cells: SharedCounters::new(SLOTS + 3).context("mmap() for the buffer")?,
        consumed: SharedCounters::new(ITEMS).context("mmap() for the tally")?,
    };
    let producer = lab.fork(PRODUCER, |side| {
        for item in 0..ITEMS as u32 {
            // Fast at first, so the buffer fills and the producer must wait.
            if item >= 3 {
                side.sleep(0.4);
            }
            let blocked = acquire_noting(&empty)?;
            lock.acquire()?;
            let fill = put(&buffer, item);
            let at_us = side.now_us();
            lock.release()?;
            full.release()?;
            side.report(
                "produced",
                json!({ "item": item, "fill": fill, "at_us": at_us, "blocked_on_empty": blocked }),
            )?;
        }
        Ok(0)
    })?;
    let consumer = lab.fork(CONSUMER, |side| {
        consume(side, &buffer, &empty, &full, &lock)
    })?;
    lab.wait(producer.pid)?;
    lab.wait(consumer.pid)?;
    let counts: Vec<u32> = buffer
        .consumed
        .counters()
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect();
    let blocked = |pid: Pid, step: &str, fact: &str| {
        lab.reports(pid, step)
            .iter()
            .filter(|event| event.fact(fact) == Some(&json!(true)))
            .count()
    };
    let mut fill: Vec<(u64, Value)> = Vec::new();
    for (pid, step) in [(producer.pid, "produced"), (consumer.pid, "consumed")] {
        for event in lab.reports(pid, step) {
            let at_us = event
                .fact("at_us")
                .and_then(Value::as_u64)
                .unwrap_or(event.t_us);
            fill.push((at_us, event.fact("fill").cloned().unwrap_or(Value::Null)));
        }
    }
    fill.sort_by_key(|(t_us, _)| *t_us);
    let max_fill = fill
        .iter()
        .filter_map(|(_, level)| level.as_u64())
        .max()
        .unwrap_or(0);
    let facts = json!({
        "items": ITEMS,
        "slots": SLOTS,
        "producer_blocked": blocked(producer.pid, "produced", "blocked_on_empty"),
        "consumer_blocked": blocked(consumer.pid, "consumed", "blocked_on_full"),
        "max_fill": max_fill,
        "consumed_exactly_once": counts.iter().all(|count| *count == 1),
        "timeline": {
            "lanes": [],
            "counters": [{ "name": "buffer fill", "samples": fill.iter().map(|(t, v)| json!([t, v])).collect::<Vec<_>>() }],
        },
    });
    lab.emit(PARENT, "buffer-summary", facts)
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
        let (item, fill) = take(buffer);
        let at_us = side.now_us();
        lock.release()?;
        empty.release()?;
        buffer.consumed.counters()[item as usize].fetch_add(1, Ordering::SeqCst);
        side.report(
            "consumed",
            json!({ "item": item, "fill": fill, "at_us": at_us, "blocked_on_full": blocked }),
        )?;
    }
    Ok(0)
}
