//! `queue`: a real kernel message queue (POSIX `mq_*`) used with the
//! semantics of Python's `multiprocessing.Queue`: a `Queue(N)` walk-through
//! (`--size N`: full, a put that times out, `put_nowait`, FIFO gets,
//! `Empty`), a writer and an endless reader that is terminated, and many
//! producers and consumers with every message delivered exactly once.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::sys::signal::Signal;

use crate::lab::{Lab, PARENT};
use crate::model::Report;
use crate::os::mqueue;
use crate::os::shm::SharedCounters;

mod calls;
mod options;
mod reports;
use calls::{EMPTY, FULL, open, put_waiting, text};
pub use options::Args;
pub use reports::*;

const WRITER: &str = "writer";
const READER: &str = "reader";
const PRODUCER: &str = "producer";
const CONSUMER: &str = "consumer";

/// Tells a consumer that no more messages will come, like putting `None` in Python.
const STOP: &[u8] = b"STOP";

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    mqueue::sweep_orphaned_queues();
    walk_through(lab, args.size)?;
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    writer_and_reader(lab, args.size, seed)?;
    many_to_many(lab, args)
}

fn walk_through(lab: &mut Lab, size: usize) -> Result<()> {
    let queue = open(lab, size)?;
    lab.tell(
        PARENT,
        &QueueCreated {
            capacity: queue.capacity,
            message_size: queue.message_size,
            name: queue.name.clone(),
            name_removed: queue.name_is_gone(),
            kernel_limit: mqueue::capacity_limit(),
        },
    )?;
    for number in 1..=size {
        let item = format!("message {number}");
        queue.put(item.as_bytes()).context("mq_send()")?;
        let qsize = queue.qsize()?;
        lab.tell(PARENT, &Put { item, qsize })?;
    }
    let length = queue.qsize()?;
    lab.tell(
        PARENT,
        &Full {
            qsize: length,
            full: length == size,
            empty: length == 0,
        },
    )?;

    let timeout = Duration::from_secs_f64(lab.pace());
    let since = Instant::now();
    let Err(refused) = put_waiting(lab, &queue, b"one too many", Some(timeout))? else {
        bail!("a put into a full queue succeeded");
    };
    lab.tell(
        PARENT,
        &PutTimeout {
            raised: FULL.to_string(),
            errno: refused.errno_name().to_string(),
            timeout_s: timeout.as_secs_f64(),
            waited_ms: since.elapsed().as_millis() as u64,
        },
    )?;

    let since = Instant::now();
    let Err(refused) = queue.try_put(b"one too many")? else {
        bail!("put_nowait into a full queue succeeded");
    };
    lab.tell(
        PARENT,
        &PutNowait {
            raised: FULL.to_string(),
            errno: refused.errno_name().to_string(),
            waited_ms: since.elapsed().as_millis() as u64,
        },
    )?;

    for _ in 0..size {
        let Ok(item) = queue.try_get()? else {
            bail!("a message put into the queue was not there");
        };
        let qsize = queue.qsize()?;
        lab.tell(
            PARENT,
            &GetNowait {
                item: text(&item),
                qsize,
            },
        )?;
    }
    let Err(refused) = queue.try_get()? else {
        bail!("get_nowait on an empty queue returned a message");
    };
    lab.tell(
        PARENT,
        &GetEmpty {
            raised: EMPTY.to_string(),
            errno: refused.errno_name().to_string(),
            empty: queue.qsize()? == 0,
        },
    )
}

fn writer_and_reader(lab: &mut Lab, size: usize, seed: u64) -> Result<()> {
    let queue = open(lab, size)?;
    let mut random = fastrand::Rng::with_seed(seed);
    // The common example's writer sleeps a random while between puts.
    let pauses: Vec<f64> = (0..3).map(|_| 0.2 + random.f64() * 0.8).collect();
    let writer = lab.fork(WRITER, |side| {
        for (item, pause) in ["A", "B", "C"].into_iter().zip(&pauses) {
            side.sleep(*pause);
            queue.put(item.as_bytes())?;
            side.tell(&WriterPuts {
                item: item.to_string(),
                pause_ms: (side.scaled(*pause) * 1000.0) as u64,
            })?;
        }
        Ok(0)
    })?;
    let reader = lab.fork(READER, |side| {
        // As in the common example: `while True: value = q.get(True)`.
        // It never ends by itself.
        loop {
            let item = queue.get()?;
            side.tell(&ReaderGets { item: text(&item) })?;
        }
    })?;
    lab.wait(writer.pid)?;
    let got: Vec<ReaderGets> = lab.expect_reports_of(reader.pid, 3)?;
    // The endless reader goes on while people read about it.
    lab.before(ReaderTerminated::STEP)?;
    lab.signal(reader.pid, Signal::SIGTERM)?;
    let status = lab.wait(reader.pid)?;
    lab.tell(
        PARENT,
        &ReaderTerminated {
            seed,
            items_in_order: got.into_iter().map(|got| got.item).collect(),
            exitcode: status.python_exitcode(),
        },
    )
}

fn many_to_many(lab: &mut Lab, args: &Args) -> Result<()> {
    let queue = open(lab, args.size)?;
    let counters = args.messages * size_of::<u32>();
    let delivered = SharedCounters::new(args.messages).map_err(|errno| match errno {
        Errno::ENOMEM => lab.no_memory("--messages", args.messages, counters),
        other => anyhow!("mmap() for the delivery counters: {other}"),
    })?;
    let mut producers = Vec::new();
    for first in 0..args.producers {
        let child = lab.fork(PRODUCER, |side| {
            let ids: Vec<u32> = (first..args.messages)
                .step_by(args.producers)
                .map(|id| id as u32)
                .collect();
            for id in &ids {
                queue.put(&id.to_be_bytes())?;
            }
            side.tell(&ProducerDone { sent: ids.len() })?;
            Ok(0)
        })?;
        producers.push(child.pid);
    }
    let mut consumers = Vec::new();
    for _ in 0..args.consumers {
        let child = lab.fork(CONSUMER, |side| {
            let mut received = 0;
            loop {
                let message = queue.get()?;
                if message == STOP {
                    break;
                }
                let id = u32::from_be_bytes(message[..4].try_into()?) as usize;
                // Counted in memory shared by every process: a message
                // delivered twice would show as 2.
                delivered.counters()[id].fetch_add(1, Ordering::SeqCst);
                received += 1;
            }
            side.tell(&ConsumerDone { received })?;
            Ok(0)
        })?;
        consumers.push(child.pid);
    }
    for pid in &producers {
        lab.wait(*pid)?;
    }
    // One STOP for each consumer, after every real message.
    for _ in &consumers {
        // Without a limit the put only ends by succeeding.
        if put_waiting(lab, &queue, STOP, None)?.is_err() {
            bail!("a put without a time limit gave up");
        }
    }
    let mut per_consumer = Vec::new();
    for pid in &consumers {
        lab.wait(*pid)?;
        per_consumer.push(lab.expect_report::<ConsumerDone>(*pid)?.received);
    }
    let counts: Vec<u32> = delivered
        .counters()
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect();
    lab.tell(
        PARENT,
        &Delivered {
            messages: args.messages,
            producers: args.producers,
            consumers: args.consumers,
            received_per_consumer: per_consumer,
            delivered_exactly_once: counts.iter().all(|count| *count == 1),
            missing: counts.iter().filter(|count| **count == 0).count(),
            duplicated: counts.iter().filter(|count| **count > 1).count(),
        },
    )
}
