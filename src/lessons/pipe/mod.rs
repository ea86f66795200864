//! `pipe`: how two processes that share no memory pass bytes. A one-way
//! kernel pipe and a two-way socket pair carry a common producer/consumer
//! exchange, and `/proc/<pid>/fd` shows each end is one kernel object seen
//! from two processes. Then: end of file needs every write end closed,
//! writing with no reader gives SIGPIPE/EPIPE, a full pipe blocks its writer,
//! and a byte stream keeps no message boundaries unless they are framed.

use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::unistd::Pid;

use crate::lab::{ChildSide, Gate, Lab, PARENT, signal_name};
use crate::model::Report;
use crate::os::pipe::{self as kernel, wait_readable};
use crate::os::signals::default_sigpipe;

mod ends;
mod reports;
use ends::{Ends, header_of, link_of, object_of, pipe, receive, take_ends, text, writers_of};
pub use reports::*;

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

/// Waits for both reports and both ends, and returns the reports.
fn both_reported<First: Report, Second: Report>(
    lab: &mut Lab,
    first: Pid,
    second: Pid,
) -> Result<(First, Second)> {
    let first_report = lab.expect_report(first)?;
    let second_report = lab.expect_report(second)?;
    lab.wait(first)?;
    lab.wait(second)?;
    Ok((first_report, second_report))
}

fn one_way(lab: &mut Lab) -> Result<()> {
    let mut ends = Some(pipe()?);
    let producer = lab.fork(PRODUCER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(read_end);
        // Reported before the write, so that it is told before the consumer's report.
        side.tell(&PipeSend {
            message: "Producer Words".to_string(),
            fd_link: link_of(&write_end),
        })?;
        kernel::send_frame(&write_end, b"Producer Words")?;
        Ok(0)
    })?;
    let consumer = lab.fork(CONSUMER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(write_end);
        let message = receive(&read_end)?;
        side.tell(&PipeReceive {
            message,
            fd_link: link_of(&read_end),
        })?;
        Ok(0)
    })?;
    let (sent, received): (PipeSend, PipeReceive) = both_reported(lab, producer.pid, consumer.pid)?;
    lab.tell(
        PARENT,
        &SamePipe {
            same_object: sent.fd_link == received.fd_link && sent.fd_link.is_some(),
            producer_write_end: sent.fd_link,
            consumer_read_end: received.fd_link,
        },
    )
}

fn two_way(lab: &mut Lab) -> Result<()> {
    let (producer_end, consumer_end) = kernel::socket_pair().context("socketpair()")?;
    let producer = lab.fork(PRODUCER, |side| {
        let got = receive(&producer_end)?;
        // Reported before the answer goes out, so it is told before the consumer's report.
        side.tell(&DuplexProducer {
            received: got,
            sent: "Producer Words".to_string(),
            fd_link: link_of(&producer_end),
        })?;
        kernel::send_frame(&producer_end, b"Producer Words")?;
        Ok(0)
    })?;
    let consumer = lab.fork(CONSUMER, |side| {
        kernel::send_frame(&consumer_end, b"Consumer Words")?;
        let got = receive(&consumer_end)?;
        side.tell(&DuplexConsumer {
            sent: "Consumer Words".to_string(),
            received: got,
            fd_link: link_of(&consumer_end),
        })?;
        Ok(0)
    })?;
    let (producer_said, consumer_said): (DuplexProducer, DuplexConsumer) =
        both_reported(lab, producer.pid, consumer.pid)?;
    let (producer_link, consumer_link) = (producer_said.fd_link, consumer_said.fd_link);
    let (procdemo_producer_end, procdemo_consumer_end) =
        (link_of(&producer_end), link_of(&consumer_end));
    lab.tell(
        PARENT,
        &SameSocket {
            same_end_same_object: procdemo_producer_end == producer_link
                && procdemo_consumer_end == consumer_link,
            two_ends_two_sockets: producer_link != consumer_link,
            procdemo_producer_end,
            producer_end: producer_link,
            procdemo_consumer_end,
            consumer_end: consumer_link,
        },
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
    let object = object_of(&read_end)?;
    let limit = Duration::from_secs_f64((lab.pace() * 1.0).max(0.05));
    let since = Instant::now();
    let ready = wait_readable(&[read_end.as_fd()], Some(limit)).context("poll()")?;
    lab.tell(
        PARENT,
        &EofWaits {
            message,
            write_end_held_by: writers_of(&object)?,
            waited_ms: since.elapsed().as_millis() as u64,
            end_of_file: ready[0],
        },
    )?;
    // procdemo holds its copy while people read that it does.
    lab.before(EofArrives::STEP)?;
    drop(write_end);
    let last = kernel::read_once(read_end.as_fd(), 64).context("read()")?;
    lab.tell(
        PARENT,
        &EofArrives {
            write_end_held_by: writers_of(&object)?,
            read_returned: last.len(),
            end_of_file: last.is_empty(),
        },
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
    lab.tell(
        PARENT,
        &BrokenPipe {
            child_killed_by: status.signal().map(signal_name),
            child_exitcode: status.python_exitcode(),
            procdemo_write_error: error.desc().to_string(),
            procdemo_errno: format!("{error:?}"),
        },
    )
}

fn full_pipe(lab: &mut Lab) -> Result<()> {
    let (read_end, write_end) = pipe()?;
    let capacity = kernel::capacity(read_end.as_fd()).context("fcntl(F_GETPIPE_SZ)")?;
    let mut ends = Some((read_end, write_end));
    // Holds the writer's report of its resumption until procdemo has shown
    // the read that woke it: the telling keeps the kernel's order.
    let drain_shown = lab.gate()?;
    let writer = lab.fork(WRITER, |side| {
        fill_then_block(side, take_ends(&mut ends)?, capacity, &drain_shown)
    })?;
    let (read_end, _write_end) = take_ends(&mut ends)?;
    lab.expect_report::<PipeFull>(writer.pid)?;
    let asleep = lab.wait_until_asleep(writer.pid)?;
    lab.tell(
        PARENT,
        &WriterBlocked {
            capacity,
            bytes_in_pipe: kernel::bytes_waiting(read_end.as_fd()).ok(),
            writer_state: asleep.state,
            writer_wchan: asleep.wchan,
        },
    )?;
    // The writer stays blocked for as long as nobody reads: a moment to look.
    lab.sleep(1.5)?;
    // Still asleep in write() while people read that it is.
    lab.before(ReaderDrains::STEP)?;
    let drained = kernel::read_once(read_end.as_fd(), 4096).context("read()")?;
    lab.tell(
        PARENT,
        &ReaderDrains {
            bytes_read: drained.len(),
        },
    )?;
    // The woken writer stays until people are done with the read.
    lab.before(WriterResumes::STEP)?;
    lab.open(&drain_shown);
    lab.expect_report::<WriterResumes>(writer.pid)?;
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
    side.tell(&PipeFull {
        bytes_written: capacity,
    })?;
    let since = Instant::now();
    // One byte more than the pipe holds: this write sleeps until the reader reads.
    (&write_end).write_all(b"y")?;
    let blocked_ms = since.elapsed().as_millis() as u64;
    side.wait_for(drain_shown)?;
    side.tell(&WriterResumes { blocked_ms })?;
    Ok(0)
}

fn boundaries(lab: &mut Lab) -> Result<()> {
    let mut ends = Some(pipe()?);
    let writer = lab.fork(WRITER, |side| {
        let (read_end, write_end) = take_ends(&mut ends)?;
        side.close(read_end);
        kernel::write_once(write_end.as_fd(), b"hello")?;
        kernel::write_once(write_end.as_fd(), b"world")?;
        side.tell(&TwoWrites {
            writes: vec!["hello".to_string(), "world".to_string()],
        })?;
        kernel::send_frame(&write_end, b"hello")?;
        kernel::send_frame(&write_end, b"world")?;
        Ok(0)
    })?;
    let (read_end, _write_end) = take_ends(&mut ends)?;
    // Both writes are in the pipe before procdemo reads: it waits for the report.
    let written = lab.expect_report::<TwoWrites>(writer.pid)?;
    let one_read = kernel::read_once(read_end.as_fd(), 10).context("read()")?;
    lab.tell(
        PARENT,
        &NoBoundaries {
            writes: written.writes.len(),
            first_read: text(&one_read),
            bytes: one_read.len(),
        },
    )?;
    lab.wait(writer.pid)?;
    let first = receive(&read_end)?;
    let second = receive(&read_end)?;
    lab.tell(
        PARENT,
        &Framed {
            header_of_hello: header_of(b"hello".len()),
            messages: vec![first, second],
        },
    )
}
