//! `lock`: processes that share data need a lock. The common two adders
//! interleave without one and take turns with one; a counter in shared
//! memory loses updates without a lock (once by a forced interleaving,
//! then for real at scale) and stays exact with it; the lock is a
//! process-shared semaphore of value 1, and releasing it unheld is refused.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::lab::{ChildSide, Gate, Lab, PARENT, span};
use crate::os::semaphore::SharedSemaphore;
use crate::os::shm::SharedCounters;

mod options;
mod reports;
mod twins;
pub use options::Args;
pub use reports::*;
use twins::Locking;

const ADDER: &str = "adder";
const WORKER: &str = "worker";

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    adders(lab, Locking::Without)?;
    adders(lab, Locking::With)?;
    forced_interleaving(lab, Locking::Without)?;
    forced_interleaving(lab, Locking::With)?;
    many_increments(lab, args, Locking::Without)?;
    many_increments(lab, args, Locking::With)?;
    release_unheld(lab)
}

/// The common two-adder example's `add(num, value)`: print num, then add
/// `value` twice, pausing.
fn add(
    side: &ChildSide,
    locking: Locking,
    value: i64,
    lock: Option<&SharedSemaphore>,
) -> Result<i32> {
    let asked = side.now_us();
    if let Some(lock) = lock {
        lock.acquire()?;
    }
    let got = side.now_us();
    let adder = format!("add{value}");
    // `num` is the child's own copy, as in the common example: the lock
    // guards the prints, not shared data.
    let mut num = 0;
    locking.tell_from(side, UnlockedAdder::print(&adder, num))?;
    for _ in 0..2 {
        num += value;
        side.sleep(0.5);
        locking.tell_from(side, UnlockedAdder::print(&adder, num))?;
    }
    let done = side.now_us();
    let spans = if lock.is_some() {
        vec![span("wait", asked, got), span("hold", got, done)]
    } else {
        vec![span("run", got, done)]
    };
    if let Some(lock) = lock {
        lock.release()?;
    }
    locking.tell_from(side, UnlockedAdder::finish(&adder, spans))?;
    Ok(0)
}

fn adders(lab: &mut Lab, locking: Locking) -> Result<()> {
    let lock = SharedSemaphore::new(1).context("sem_init() for the lock")?;
    // Both adders start at the same moment, so only the scheduler (and the lock) decides.
    let start = lab.gate()?;
    let mut lanes = Vec::new();
    for value in [1, 2] {
        let lock = (locking == Locking::With).then_some(&lock);
        let child = lab.fork(ADDER, |side| {
            side.wait_for(&start)?;
            add(side, locking, value, lock)
        })?;
        lab.label(child.pid, &format!("add{value}"));
        lanes.push((child.pid, format!("add{value} {}", child.pid)));
    }
    lab.open(&start);
    for (pid, _) in &lanes {
        lab.wait(*pid)?;
    }
    // The lines in the order the parent received them, which is the order
    // the narration shows them (not each adder's own clock: an adder can
    // read the clock first and still be second into the pipe).
    let pids: Vec<_> = lanes.iter().map(|(pid, _)| *pid).collect();
    let order: Vec<String> = locking
        .reports::<UnlockedAdder>(lab, &pids)?
        .into_iter()
        .filter_map(|print| Some(format!("{}:num={}", print.adder, print.num?)))
        .collect();
    // Interleaved when the lines of one adder are not all together.
    let switches = order
        .windows(2)
        .filter(|pair| pair[0][..4] != pair[1][..4])
        .count();
    let timeline = lab.timeline(&lanes, Vec::new());
    locking.tell(
        lab,
        AddersInterleave {
            first: order.first().map(|line| line[..4].to_string()),
            prints_in_order: order,
            interleaved: switches > 1,
            timeline,
        },
    )
}

/// Slots of the shared counter page.
const COUNTER: usize = 0;

/// Two workers each add 1 to a shared counter, with the bad interleaving
/// forced by gates: both read before either writes.
fn forced_interleaving(lab: &mut Lab, locking: Locking) -> Result<()> {
    let counter = SharedCounters::new(1).context("mmap() for the counter")?;
    let lock = SharedSemaphore::new(1).context("sem_init() for the lock")?;
    let locked = locking == Locking::With;
    let second_may_read = lab.gate()?;
    let first_may_write = lab.gate()?;
    let second_may_write = lab.gate()?;
    let increment =
        |side: &ChildSide, before_read: Option<&Gate>, before_write: &Gate| -> Result<i32> {
            if let Some(gate) = before_read {
                side.wait_for(gate)?;
            }
            if locked {
                lock.acquire()?;
            }
            let seen = counter.counters()[COUNTER].load(Ordering::SeqCst);
            locking.tell_from(side, RaceRead { read: seen })?;
            side.wait_for(before_write)?;
            counter.counters()[COUNTER].store(seen + 1, Ordering::SeqCst);
            locking.tell_from(side, RaceWrite { wrote: seen + 1 })?;
            if locked {
                lock.release()?;
            }
            Ok(0)
        };
    let first = lab.fork(WORKER, |side| increment(side, None, &first_may_write))?;
    locking.expect::<RaceRead>(lab, first.pid)?;
    let second = lab.fork(WORKER, |side| {
        increment(side, Some(&second_may_read), &second_may_write)
    })?;
    lab.open(&second_may_read);
    if locked {
        // The second worker cannot read: it sleeps in sem_wait until the first releases.
        let asleep = lab.wait_until_asleep(second.pid)?;
        lab.tell(
            PARENT,
            &GuardedBlocked {
                worker: second.pid.as_raw(),
                state: asleep.state,
                wchan: asleep.wchan,
                lock_value: lock.value()?,
            },
        )?;
    } else {
        locking.expect::<RaceRead>(lab, second.pid)?;
    }
    // With the lock, the second worker sleeps in it while people read so.
    locking.before::<RaceWrite>(lab)?;
    lab.open(&first_may_write);
    locking.expect::<RaceWrite>(lab, first.pid)?;
    lab.open(&second_may_write);
    lab.wait(first.pid)?;
    lab.wait(second.pid)?;
    let last = counter.counters()[COUNTER].load(Ordering::SeqCst);
    locking.tell(
        lab,
        RaceResult {
            expected: 2,
            r#final: last,
            lost: 2 - i64::from(last),
        },
    )
}

/// How long a worker keeps the CPU busy between reading the counter and
/// writing it back: the window in which another process can come between.
/// CPython's `counter.value += 1` has its interpreter's work there (a
/// fraction of this); procdemo widens it so that the race shows on one CPU
/// too, where only a switch of processes inside the window loses an update.
const WINDOW: Duration = Duration::from_micros(1);

/// Keeps the CPU busy for `WINDOW`, reading the clock.
fn work_between_read_and_write() {
    let began = Instant::now();
    while began.elapsed() < WINDOW {
        std::hint::spin_loop();
    }
}

fn many_increments(lab: &mut Lab, args: &Args, locking: Locking) -> Result<()> {
    let counter = SharedCounters::new(1).context("mmap() for the counter")?;
    let lock = SharedSemaphore::new(1).context("sem_init() for the lock")?;
    let locked = locking == Locking::With;
    let start = lab.gate()?;
    let mut workers = Vec::new();
    for _ in 0..args.workers {
        let child = lab.fork(WORKER, |side| {
            side.wait_for(&start)?;
            let began = side.now_us();
            let mut waited_us = 0;
            for _ in 0..args.increments {
                let asked = side.now_us();
                if locked {
                    lock.acquire()?;
                }
                waited_us += side.now_us() - asked;
                // Read, add, write: another process can come between the
                // read and the write, and the work between makes that likely.
                let value = counter.counters()[COUNTER].load(Ordering::Relaxed);
                work_between_read_and_write();
                counter.counters()[COUNTER].store(value + 1, Ordering::Relaxed);
                if locked {
                    lock.release()?;
                }
            }
            let (increments, ran_ms) = (args.increments, (side.now_us() - began) / 1000);
            match locking {
                Locking::Without => side.tell(&UnlockedWorker {
                    increments,
                    ran_ms,
                    waited_for_lock_ms: None,
                })?,
                Locking::With => side.tell(&LockedWorker {
                    increments,
                    ran_ms,
                    waited_for_lock_ms: waited_us / 1000,
                })?,
            }
            Ok(0)
        })?;
        workers.push(child.pid);
    }
    lab.open(&start);
    for pid in &workers {
        lab.wait(*pid)?;
    }
    let expected = (args.workers * args.increments) as u64;
    let last = u64::from(counter.counters()[COUNTER].load(Ordering::SeqCst));
    locking.tell(
        lab,
        UpdatesLost {
            workers: args.workers,
            expected,
            r#final: last,
            lost: expected.saturating_sub(last),
        },
    )
}

fn release_unheld(lab: &mut Lab) -> Result<()> {
    let lock = SharedSemaphore::new(1).context("sem_init() for the lock")?;
    let before = lock.value()?;
    // What multiprocessing.Lock.release() checks: a lock at 1 is not held.
    let refused = before >= 1;
    let plain = SharedSemaphore::new(1).context("sem_init()")?;
    plain.release()?;
    lab.tell(
        PARENT,
        &ReleaseUnheld {
            lock_value: before,
            release_refused: refused,
            python_raises: "ValueError: semaphore or lock released too many times".to_string(),
            plain_semaphore_after_extra_post: plain.value()?,
        },
    )
}
