//! `pipe`: how two processes that share no memory pass bytes. A one-way
//! kernel pipe and a two-way socket pair carry the notes' producer/consumer
//! exchange, and `/proc/<pid>/fd` shows each end is one kernel object seen
//! from two processes. Then: end of file needs every write end closed,
//! writing with no reader gives SIGPIPE/EPIPE, a full pipe blocks its writer,
//! and a byte stream keeps no message boundaries unless they are framed.

use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::unistd::{Pid, getpid};
use serde_json::{Value, json};

use crate::lab::{ChildSide, Gate, Lab, PARENT, signal_name};
use crate::os::pipe::{self as kernel, wait_readable};
use crate::os::procfs;
use crate::os::signals::default_sigpipe;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

const PRODUCER: &str = "producer";
const CONSUMER: &str = "consumer";
const WRITER: &str = "writer";

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    one_way(lab)?;
    two_way(lab)?;
    end_of_file(lab)?;
    broken_pipe(lab)?;
    full_pipe(lab)?;
    boundaries(lab)
}

/// (read end, write end)
type Ends = (PipeReader, PipeWriter);

/// `pipe()`, with ends that std's `Read` and `Write` work on.
fn pipe() -> Result<Ends> {
    let (read_end, write_end) = kernel::pipe().context("pipe()")?;
    Ok((read_end.into(), write_end.into()))
}

/// The ends out of `slot`, for a child to own: `fork()` copied procdemo's
/// memory, slot included, so taking them out of the child's copy leaves
/// procdemo's in place, and the child can close the end it does not use.
fn take_ends(slot: &mut Option<Ends>) -> Result<Ends> {
    slot.take()
        .context("the pipe's ends were already taken in this process")
}

/// What `/proc/<pid>/fd/<n>` names for `fd` in this process: `pipe:[inode]`.
fn link_of(fd: &impl AsRawFd) -> Value {
    procfs::link(getpid(), &format!("fd/{}", fd.as_raw_fd()))
        .map_or(Value::Null, |link| json!(link))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Waits for both reports and both ends, and returns the `fd_link` each reported.
fn links_reported(
    lab: &mut Lab,
    first: (Pid, &str),
    second: (Pid, &str),
) -> Result<(Value, Value)> {
    let link = |event: crate::model::Event| event.fact("fd_link").cloned().unwrap_or(Value::Null);
    let first_link = link(lab.expect(first.0, first.1)?);
    let second_link = link(lab.expect(second.0, second.1)?);
    lab.wait(first.0)?;
    lab.wait(second.0)?;
    Ok((first_link, second_link))
}

fn receive(from: impl Read) -> Result<String> {
    kernel::receive_frame(from)?
        .map(|bytes| text(&bytes))
        .context("the other end closed first")
}

fn one_way(lab: &mut Lab) -> Result<()> {
    let mut ends = Some(pipe()?);
    let producer = lab.fork(PRODUCER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(read_end);
        // Reported before the write, so that it is told before the consumer's report.
        side.report(
            "pipe-send",
            json!({ "message": "Producer Words", "fd_link": link_of(&write_end) }),
        )?;
        kernel::send_frame(&write_end, b"Producer Words")?;
        Ok(0)
    })?;
    let consumer = lab.fork(CONSUMER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(write_end);
        let message = receive(&read_end)?;
        side.report(
            "pipe-receive",
            json!({ "message": message, "fd_link": link_of(&read_end) }),
        )?;
        Ok(0)
    })?;
    let (sent, received) = links_reported(
        lab,
        (producer.pid, "pipe-send"),
        (consumer.pid, "pipe-receive"),
    )?;
    lab.emit(
        PARENT,
        "same-pipe",
        json!({
            "producer_write_end": sent,
            "consumer_read_end": received,
            "same_object": sent == received && !sent.is_null(),
        }),
    )
}

fn two_way(lab: &mut Lab) -> Result<()> {
    let (producer_end, consumer_end) = kernel::socket_pair().context("socketpair()")?;
    let producer = lab.fork(PRODUCER, |side| {
        let got = receive(&producer_end)?;
        // Reported before the answer goes out, so it is told before the consumer's report.
        side.report(
            "duplex-producer",
            json!({ "received": got, "sent": "Producer Words", "fd_link": link_of(&producer_end) }),
        )?;
        kernel::send_frame(&producer_end, b"Producer Words")?;
        Ok(0)
    })?;
    let consumer = lab.fork(CONSUMER, |side| {
        kernel::send_frame(&consumer_end, b"Consumer Words")?;
        let got = receive(&consumer_end)?;
        side.report(
            "duplex-consumer",
            json!({ "sent": "Consumer Words", "received": got, "fd_link": link_of(&consumer_end) }),
        )?;
        Ok(0)
    })?;
    let (producer_link, consumer_link) = links_reported(
        lab,
        (producer.pid, "duplex-producer"),
        (consumer.pid, "duplex-consumer"),
    )?;
    lab.emit(
        PARENT,
        "same-socket",
        json!({
            "procdemo_producer_end": link_of(&producer_end),
            "producer_end": producer_link,
            "procdemo_consumer_end": link_of(&consumer_end),
            "consumer_end": consumer_link,
            "same_end_same_object": link_of(&producer_end) == producer_link
                && link_of(&consumer_end) == consumer_link,
            "two_ends_two_sockets": producer_link != consumer_link,
        }),
    )
}

fn end_of_file(lab: &mut Lab) -> Result<()> {
    let mut ends = Some(pipe()?);
    let writer = lab.fork(WRITER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(read_end);
        kernel::send_frame(&write_end, b"last words")?;
        Ok(0)
    })?;
    let (read_end, write_end) = take_ends(&mut ends)?;
    // The writer has ended and its write end is closed; procdemo "forgot"
    // to close its own copy.
    lab.wait(writer.pid)?;
    let message = receive(&read_end)?;
    let object = procfs::link(getpid(), &format!("fd/{}", read_end.as_raw_fd()))
        .context("reading /proc/self/fd")?;
    let limit = Duration::from_secs_f64((lab.pace() * 1.0).max(0.05));
    let since = Instant::now();
    let ready = wait_readable(&[read_end.as_fd()], Some(limit)).context("poll()")?;
    lab.emit(
        PARENT,
        "eof-waits",
        json!({
            "message": message,
            "write_end_held_by": procfs::writers_of(&object).context("looking for the pipe's writers in /proc")?,
            "waited_ms": since.elapsed().as_millis() as u64,
            "end_of_file": ready[0],
        }),
    )?;
    drop(write_end);
    let last = kernel::read_once(read_end.as_fd(), 64).context("read()")?;
    lab.emit(
        PARENT,
        "eof-arrives",
        json!({
            "write_end_held_by": procfs::writers_of(&object).context("looking for the pipe's writers in /proc")?,
            "read_returned": last.len(),
            "end_of_file": last.is_empty(),
        }),
    )
}

fn broken_pipe(lab: &mut Lab) -> Result<()> {
    let (read_end, write_end) = pipe()?;
    // Nobody will read: the only read end is closed before the writer starts.
    drop(read_end);
    let writer = lab.fork(WRITER, |_| {
        default_sigpipe();
        kernel::write_once(write_end.as_fd(), b"anyone there?")?;
        Ok(0)
    })?;
    let status = lab.wait(writer.pid)?;
    let error = match kernel::write_once(write_end.as_fd(), b"anyone there?") {
        Err(errno) => errno,
        Ok(_) => bail!("write() to a pipe without readers succeeded"),
    };
    lab.emit(
        PARENT,
        "broken-pipe",
        json!({
            "child_killed_by": status.signal().map(signal_name),
            "child_exitcode": status.python_exitcode(),
            "procdemo_write_error": error.desc(),
            "procdemo_errno": format!("{error:?}"),
        }),
    )
}

fn full_pipe(lab: &mut Lab) -> Result<()> {
    let (read_end, write_end) = pipe()?;
    let capacity = kernel::capacity(read_end.as_fd()).context("fcntl(F_GETPIPE_SZ)")?;
    // Holds the writer's report of its resumption until procdemo has shown
    // the read that woke it: the telling keeps the kernel's order.
    let drain_shown = lab.gate()?;
    let mut ends = Some((read_end, write_end));
    let writer = lab.fork(WRITER, |side| {
        fill_then_block(side, take_ends(&mut ends)?, capacity, &drain_shown)
    })?;
    let (read_end, _write_end) = take_ends(&mut ends)?;
    lab.expect(writer.pid, "pipe-full")?;
    let state = lab.wait_until_asleep(writer.pid)?;
    lab.emit(
        PARENT,
        "writer-blocked",
        json!({
            "capacity": capacity,
            "bytes_in_pipe": kernel::bytes_waiting(read_end.as_fd()).ok(),
            "writer_state": state,
            "writer_wchan": procfs::wchan(writer.pid),
        }),
    )?;
    // The writer stays blocked for as long as nobody reads: a moment to look.
    lab.sleep(1.5)?;
    let drained = kernel::read_once(read_end.as_fd(), 4096).context("read()")?;
    lab.emit(
        PARENT,
        "reader-drains",
        json!({ "bytes_read": drained.len() }),
    )?;
    lab.open(&drain_shown);
    lab.expect(writer.pid, "writer-resumes")?;
    let rest = kernel::read_exact(&read_end, capacity + 1 - drained.len()).context("read()")?;
    lab.wait(writer.pid)?;
    if rest.is_none() {
        bail!("the pipe ended before every byte written was read");
    }
    Ok(())
}

fn fill_then_block(
    side: &ChildSide,
    (read_end, write_end): Ends,
    capacity: usize,
    drain_shown: &Gate,
) -> Result<i32> {
    side.close(read_end);
    (&write_end).write_all(&vec![b'x'; capacity])?;
    side.report("pipe-full", json!({ "bytes_written": capacity }))?;
    let since = Instant::now();
    // One byte more than the pipe holds: this write sleeps until the reader reads.
    (&write_end).write_all(b"y")?;
    let blocked_ms = since.elapsed().as_millis() as u64;
    side.wait_for(drain_shown)?;
    side.report("writer-resumes", json!({ "blocked_ms": blocked_ms }))?;
    Ok(0)
}

fn boundaries(lab: &mut Lab) -> Result<()> {
    let mut ends = Some(pipe()?);
    let writer = lab.fork(WRITER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(read_end);
        kernel::write_once(write_end.as_fd(), b"hello")?;
        kernel::write_once(write_end.as_fd(), b"world")?;
        side.report("two-writes", json!({ "writes": ["hello", "world"] }))?;
        kernel::send_frame(&write_end, b"hello")?;
        kernel::send_frame(&write_end, b"world")?;
        Ok(0)
    })?;
    let (read_end, _write_end) = take_ends(&mut ends)?;
    // Both writes are in the pipe before procdemo reads: it waits for the report.
    lab.expect(writer.pid, "two-writes")?;
    let one_read = kernel::read_once(read_end.as_fd(), 10).context("read()")?;
    lab.emit(
        PARENT,
        "no-boundaries",
        json!({ "writes": 2, "first_read": text(&one_read), "bytes": one_read.len() }),
    )?;
    lab.wait(writer.pid)?;
    let header = kernel::frame_header(5)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    let first = receive(&read_end)?;
    let second = receive(&read_end)?;
    lab.emit(
        PARENT,
        "framed",
        json!({ "header_of_hello": header, "messages": [first, second] }),
    )
}
