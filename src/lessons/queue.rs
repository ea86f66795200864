//! `queue`: a real kernel message queue (POSIX `mq_*`) used with the
//! semantics of Python's `multiprocessing.Queue`: the notes' `Queue(3)`
//! walk-through (full, a put that times out, `put_nowait`, FIFO gets,
//! `Empty`), a writer and an endless reader that is terminated, and many
//! producers and consumers with every message delivered exactly once.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;
use serde_json::{Value, json};

use crate::config::within;
use crate::lab::{Lab, PARENT};
use crate::os::mqueue::{self, Queue, Refused};
use crate::os::shm::SharedCounters;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The queue's capacity in messages: Queue(N) (1 to the kernel's limit in /proc/sys/fs/mqueue/msg_max)
    #[arg(long, value_name = "N", default_value = "3", value_parser = parse_queue_size, allow_negative_numbers = true)]
    pub size: usize,

    /// Producers in the many-to-many part (1 to 8)
    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=8_usize, "the number of producers or consumers must be a whole number from 1 to 8"), allow_negative_numbers = true)]
    pub producers: usize,

    /// Consumers in the many-to-many part (1 to 8)
    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=8_usize, "the number of producers or consumers must be a whole number from 1 to 8"), allow_negative_numbers = true)]
    pub consumers: usize,

    /// Messages in the many-to-many part (1 to 10000)
    #[arg(long, value_name = "N", default_value = "20", value_parser = within(1..=10_000_usize, "the number of messages must be a whole number from 1 to 10000"), allow_negative_numbers = true)]
    pub messages: usize,

    /// Seed for the writer's random pauses, to repeat a run exactly [default: a new one each run, shown in the output]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

fn parse_queue_size(text: &str) -> Result<usize, String> {
    let limit = crate::os::mqueue::capacity_limit().unwrap_or(10);
    // The kernel's limit is read when a size is given, not on every start.
    within(
        1..=limit,
        format!(
            "the queue size must be a whole number from 1 to {limit}: {limit} is this kernel's limit for a message queue, \
             in /proc/sys/fs/mqueue/msg_max (root can raise it, e.g. `sysctl fs.mqueue.msg_max=64`)"
        ),
    )(text)
}

const WRITER: &str = "writer";
const READER: &str = "reader";
const PRODUCER: &str = "producer";
const CONSUMER: &str = "consumer";

/// Tells a consumer that no more messages will come, like putting `None` in Python.
const STOP: &[u8] = b"STOP";
/// Large enough for every message of this lesson.
const MESSAGE_SIZE: usize = 64;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    mqueue::sweep_orphaned_queues();
    walk_through(lab, args.size)?;
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    writer_and_reader(lab, args.size, seed)?;
    many_to_many(lab, args)
}

fn open(capacity: usize) -> Result<Queue> {
    Queue::open_unlinked(capacity, MESSAGE_SIZE).with_context(|| {
        format!(
            "mq_open() could not create a message queue of {capacity} messages; the kernel limits queues per user \
             (/proc/sys/fs/mqueue/queues_max) and their memory (ulimit -q)"
        )
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What Python raises for a refused put or get.
fn raised(refused: Refused, put: bool) -> Value {
    json!({ "raised": if put { "queue.Full" } else { "queue.Empty" }, "errno": refused.errno_name() })
}

fn walk_through(lab: &mut Lab, size: usize) -> Result<()> {
    let queue = open(size)?;
    lab.emit(
        PARENT,
        "queue-created",
        json!({
            "capacity": queue.capacity,
            "message_size": queue.message_size,
            "name": queue.name,
            "name_removed": queue.name_is_gone(),
            "kernel_limit": mqueue::capacity_limit(),
        }),
    )?;
    for number in 1..=size {
        let item = format!("message {number}");
        queue.put(item.as_bytes()).context("mq_send()")?;
        lab.emit(
            PARENT,
            "put",
            json!({ "item": item, "qsize": queue.qsize()? }),
        )?;
    }
    let length = queue.qsize()?;
    lab.emit(
        PARENT,
        "full",
        json!({ "qsize": length, "full": length == size, "empty": length == 0 }),
    )?;

    let timeout = Duration::from_secs_f64(lab.pace());
    let since = Instant::now();
    let Err(refused) = put_waiting(lab, &queue, b"one too many", Some(timeout))? else {
        bail!("a put into a full queue succeeded");
    };
    let mut facts = raised(refused, true);
    facts["timeout_s"] = json!(timeout.as_secs_f64());
    facts["waited_ms"] = json!(since.elapsed().as_millis() as u64);
    lab.emit(PARENT, "put-timeout", facts)?;

    let since = Instant::now();
    let Err(refused) = queue.try_put(b"one too many")? else {
        bail!("put_nowait into a full queue succeeded");
    };
    let mut facts = raised(refused, true);
    facts["waited_ms"] = json!(since.elapsed().as_millis() as u64);
    lab.emit(PARENT, "put-nowait", facts)?;

    for _ in 0..size {
        let Ok(item) = queue.try_get()? else {
            bail!("a message put into the queue was not there");
        };
        lab.emit(
            PARENT,
            "get-nowait",
            json!({ "item": text(&item), "qsize": queue.qsize()? }),
        )?;
    }
    let Err(refused) = queue.try_get()? else {
        bail!("get_nowait on an empty queue returned a message");
    };
    let mut facts = raised(refused, false);
    facts["empty"] = json!(queue.qsize()? == 0);
    lab.emit(PARENT, "get-empty", facts)
}

fn writer_and_reader(lab: &mut Lab, size: usize, seed: u64) -> Result<()> {
    let queue = open(size)?;
    let mut random = fastrand::Rng::with_seed(seed);
    // The notes' writer sleeps a random while between puts.
    let pauses: Vec<f64> = (0..3).map(|_| 0.2 + random.f64() * 0.8).collect();
    let writer = lab.fork(WRITER, |side| {
        for (item, pause) in ["A", "B", "C"].into_iter().zip(&pauses) {
            side.sleep(*pause);
            queue.put(item.as_bytes())?;
            side.report(
                "writer-puts",
                json!({ "item": item, "pause_ms": (side.scaled(*pause) * 1000.0) as u64 }),
            )?;
        }
        Ok(0)
    })?;
    let reader = lab.fork(READER, |side| {
        // As in the notes: `while True: value = q.get(True)`. It never ends by itself.
        loop {
            let item = queue.get()?;
            side.report("reader-gets", json!({ "item": text(&item) }))?;
        }
    })?;
    lab.wait(writer.pid)?;
    let got = lab.expect_reports(reader.pid, "reader-gets", 3)?;
    lab.signal(reader.pid, Signal::SIGTERM)?;
    let status = lab.wait(reader.pid)?;
    let items: Vec<Value> = got
        .iter()
        .filter_map(|event| event.fact("item").cloned())
        .collect();
    lab.emit(
        PARENT,
        "reader-terminated",
        json!({ "seed": seed, "items_in_order": items, "exitcode": status.python_exitcode() }),
    )
}

fn many_to_many(lab: &mut Lab, args: &Args) -> Result<()> {
    let queue = open(args.size)?;
    let delivered =
        SharedCounters::new(args.messages).context("mmap() for the delivery counters")?;
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
            side.report("producer-done", json!({ "sent": ids.len() }))?;
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
            side.report("consumer-done", json!({ "received": received }))?;
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
        let received = lab
            .reports(*pid, "consumer-done")
            .first()
            .and_then(|event| event.fact("received").cloned());
        per_consumer.push(received.unwrap_or(Value::Null));
    }
    let counts: Vec<u32> = delivered
        .counters()
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect();
    lab.emit(
        PARENT,
        "delivered",
        json!({
            "messages": args.messages,
            "producers": args.producers,
            "consumers": args.consumers,
            "received_per_consumer": per_consumer,
            "delivered_exactly_once": counts.iter().all(|count| *count == 1),
            "missing": counts.iter().filter(|count| **count == 0).count(),
            "duplicated": counts.iter().filter(|count| **count > 1).count(),
        }),
    )
}

/// A put that waits at most `limit` (`None`: as long as it takes) and
/// still lets Ctrl-C through: it waits in short slices, showing events and
/// checking for signals between them.
fn put_waiting(
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
