//! The queue calls the lesson makes as Python does: a queue that leaves no
//! name behind, a put that waits and still lets Ctrl-C through, and
//! messages as text.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::lab::Lab;
use crate::os::mqueue::{Queue, Refused};

/// Large enough for every message of this lesson.
const MESSAGE_SIZE: usize = 64;

pub fn open(capacity: usize) -> Result<Queue> {
    Queue::open_unlinked(capacity, MESSAGE_SIZE).with_context(|| {
        format!(
            "mq_open() could not create a message queue of {capacity} messages; the kernel limits queues per user \
             (/proc/sys/fs/mqueue/queues_max) and their memory (ulimit -q)"
        )
    })
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What Python raises for a refused put, and for a refused get.
pub const FULL: &str = "queue.Full";
pub const EMPTY: &str = "queue.Empty";

/// A put that waits at most `limit` (`None`: as long as it takes) and
/// still lets Ctrl-C through: it waits in short slices, showing events and
/// checking for signals between them.
pub fn put_waiting(
    lab: &mut Lab,
    queue: &Queue,
    message: &[u8],
    limit: Option<Duration>,
) -> Result<Result<(), Refused>> {
    let deadline = limit.map(|limit| Instant::now() + limit);
    loop {
        let left = deadline.map_or(SLICE, |deadline| {
            deadline.saturating_duration_since(Instant::now())
        });
        match queue
            .put_within(message, left.min(SLICE))
            .context("mq_timedsend()")?
        {
            Ok(()) => return Ok(Ok(())),
            Err(refused) if left <= SLICE && deadline.is_some() => return Ok(Err(refused)),
            Err(_) => lab.sleep_for(Duration::ZERO)?,
        }
    }
}

/// How long one wait inside `put_waiting` lasts before it looks for signals.
const SLICE: Duration = Duration::from_millis(50);
