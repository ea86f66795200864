//! The common example's bounded buffer, in memory shared by the producer and the
//! consumer: the items' places, where the next put and take go, how full
//! it is, and how often each item was consumed. The semaphores that guard
//! it are the lesson's; this is only the bookkeeping.

use std::sync::atomic::Ordering;

use anyhow::{Context, Result};

use super::{ITEMS, SLOTS};
use crate::os::semaphore::SharedSemaphore;
use crate::os::shm::SharedCounters;

pub struct Buffer {
    cells: SharedCounters,
    consumed: SharedCounters,
}

const HEAD: usize = SLOTS;
const TAIL: usize = SLOTS + 1;
const FILL: usize = SLOTS + 2;

impl Buffer {
    pub fn new() -> Result<Self> {
        Ok(Self {
            cells: SharedCounters::new(SLOTS + 3).context("mmap() for the buffer")?,
            consumed: SharedCounters::new(ITEMS).context("mmap() for the tally")?,
        })
    }

    /// One put or take, under the buffer's lock; returns the fill level after it.
    /// Callers note the time under the lock too, so the samples keep the real order.
    pub fn put(&self, item: u32) -> u32 {
        let cells = self.cells.counters();
        let tail = cells[TAIL].load(Ordering::SeqCst) as usize;
        cells[tail].store(item, Ordering::SeqCst);
        cells[TAIL].store(((tail + 1) % SLOTS) as u32, Ordering::SeqCst);
        cells[FILL].fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn take(&self) -> (u32, u32) {
        let cells = self.cells.counters();
        let head = cells[HEAD].load(Ordering::SeqCst) as usize;
        let item = cells[head].load(Ordering::SeqCst);
        cells[HEAD].store(((head + 1) % SLOTS) as u32, Ordering::SeqCst);
        (item, cells[FILL].fetch_sub(1, Ordering::SeqCst) - 1)
    }

    /// Counts one more consumption of `item`, in the shared tally.
    pub fn note_consumed(&self, item: u32) {
        self.consumed.counters()[item as usize].fetch_add(1, Ordering::SeqCst);
    }

    /// How often each item was consumed.
    pub fn consumed(&self) -> Vec<u32> {
        self.consumed
            .counters()
            .iter()
            .map(|count| count.load(Ordering::SeqCst))
            .collect()
    }
}

/// Takes a unit of `semaphore`, saying whether that had to wait.
pub fn acquire_noting(semaphore: &SharedSemaphore) -> Result<bool> {
    if semaphore.try_acquire()? {
        return Ok(false);
    }
    semaphore.acquire()?;
    Ok(true)
}
