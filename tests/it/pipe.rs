//! `procdemo pipe`: a one-way pipe and a two-way socket pair carry the
//! common producer/consumer exchange, each end one kernel object seen from
//! two processes; end of file needs every write end closed; writing with no
//! reader gives SIGPIPE or EPIPE; a full pipe puts its writer to sleep until
//! someone reads; and a byte stream keeps no message boundaries unless they
//! are framed. Checked from the JSON events of real runs.

use crate::common::{LessonRun, events_of, only, pid, ppid, report, t_us};
use procdemo::lessons::pipe::{
    BrokenPipe, DuplexConsumer, DuplexProducer, EofArrives, EofWaits, Framed, NoBoundaries,
    PipeFull, PipeReceive, PipeSend, ReaderDrains, SamePipe, SameSocket, TwoWrites, WriterBlocked,
    WriterResumes,
};
use procdemo::model::Done;
use serde_json::Value;

/// One finished run of the lesson.
fn pipe_run() -> LessonRun {
    LessonRun::run("pipe", &[])
}

/// The pace of the run that times the blocked writer: procdemo pauses
/// 1.5 s at pace 1 between seeing the writer asleep and reading, so
/// `PAUSE_MS` here (a pause at `--pace 0` could be too short to measure).
const PAUSE_PACE: &str = "0.02";
const PAUSE_MS: u64 = 30;

/// A link in `/proc/<pid>/fd` to a kernel object of `kind`: `pipe:[N]` or
/// `socket:[N]`, N the inode number.
fn is_kernel_object(link: Option<&str>, kind: &str) -> bool {
    link.and_then(|link| link.strip_prefix(kind))
        .and_then(|rest| rest.strip_prefix(":["))
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|inode| !inode.is_empty() && inode.parse::<u64>().is_ok())
}

#[test]
fn the_producer_and_the_consumer_share_one_pipe() {
    let run = pipe_run();
    let sent = only(&run.events, "pipe-send");
    let received = only(&run.events, "pipe-receive");
    run.assert_from_a_child(sent, "producer");
    run.assert_from_a_child(received, "consumer");
    assert_ne!(pid(sent), pid(received), "two different children");
    let send: PipeSend = report(sent);
    let receive: PipeReceive = report(received);
    assert_eq!(send.message, "Producer Words", "{sent}");
    assert_eq!(receive.message, "Producer Words", "{received}");

    let write_end = send.fd_link;
    let read_end = receive.fd_link;
    assert!(is_kernel_object(write_end.as_deref(), "pipe"), "{sent}");
    assert!(is_kernel_object(read_end.as_deref(), "pipe"), "{received}");
    assert_eq!(write_end, read_end, "both ends name one pipe");

    let same = only(&run.events, "same-pipe");
    run.assert_from_procdemo(same);
    let facts: SamePipe = report(same);
    assert!(facts.same_object, "{same}");
    assert_eq!(facts.producer_write_end, write_end, "{same}");
    assert_eq!(facts.consumer_read_end, read_end, "{same}");
    // procdemo compares once both children have reported.
    assert!(run.position("pipe-send") < run.position("same-pipe"));
    assert!(run.position("pipe-receive") < run.position("same-pipe"));
}

#[test]
fn a_duplex_pipe_carries_words_both_ways_through_two_sockets() {
    let run = pipe_run();
    let producer = only(&run.events, "duplex-producer");
    let consumer = only(&run.events, "duplex-consumer");
    run.assert_from_a_child(producer, "producer");
    run.assert_from_a_child(consumer, "consumer");
    assert_ne!(pid(producer), pid(consumer));
    // Not the one-way part's children.
    assert_ne!(pid(producer), pid(only(&run.events, "pipe-send")));
    assert_ne!(pid(consumer), pid(only(&run.events, "pipe-receive")));

    let producer_facts: DuplexProducer = report(producer);
    let consumer_facts: DuplexConsumer = report(consumer);
    assert_eq!(producer_facts.received, "Consumer Words", "{producer}");
    assert_eq!(producer_facts.sent, "Producer Words", "{producer}");
    assert_eq!(consumer_facts.sent, "Consumer Words", "{consumer}");
    assert_eq!(consumer_facts.received, "Producer Words", "{consumer}");

    let producer_end = producer_facts.fd_link;
    let consumer_end = consumer_facts.fd_link;
    assert!(
        is_kernel_object(producer_end.as_deref(), "socket"),
        "{producer}"
    );
    assert!(
        is_kernel_object(consumer_end.as_deref(), "socket"),
        "{consumer}"
    );
    assert_ne!(producer_end, consumer_end, "two ends, two sockets");

    let same = only(&run.events, "same-socket");
    run.assert_from_procdemo(same);
    let facts: SameSocket = report(same);
    assert!(facts.same_end_same_object, "{same}");
    assert!(facts.two_ends_two_sockets, "{same}");
    for end in [
        &facts.procdemo_producer_end,
        &facts.producer_end,
        &facts.procdemo_consumer_end,
        &facts.consumer_end,
    ] {
        assert!(is_kernel_object(end.as_deref(), "socket"), "{same}");
    }
    assert_eq!(facts.producer_end, producer_end, "{same}");
    assert_eq!(facts.procdemo_producer_end, producer_end, "{same}");
    assert_eq!(facts.consumer_end, consumer_end, "{same}");
    assert_eq!(facts.procdemo_consumer_end, consumer_end, "{same}");
}

#[test]
fn end_of_file_waits_for_the_last_write_end_to_close() {
    let run = pipe_run();
    let waits = only(&run.events, "eof-waits");
    run.assert_from_procdemo(waits);
    let facts: EofWaits = report(waits);
    assert_eq!(facts.message, "last words", "{waits}");
    assert!(!facts.end_of_file, "{waits}");
    // The writer has ended: procdemo alone still holds a write end.
    assert_eq!(facts.write_end_held_by, [run.procdemo], "{waits}");
    // At pace 0 the read still waits 50 ms for an end of file that cannot come.
    assert!(facts.waited_ms >= 45, "{waits}");

    let arrives = only(&run.events, "eof-arrives");
    run.assert_from_procdemo(arrives);
    let facts: EofArrives = report(arrives);
    assert_eq!(facts.write_end_held_by, Vec::<i32>::new(), "{arrives}");
    assert_eq!(facts.read_returned, 0, "{arrives}");
    assert!(facts.end_of_file, "{arrives}");
    assert!(run.position("eof-waits") < run.position("eof-arrives"));
}

#[test]
fn writing_where_nobody_reads_gives_sigpipe_or_epipe() {
    let run = pipe_run();
    let broken = only(&run.events, "broken-pipe");
    run.assert_from_procdemo(broken);
    let facts: BrokenPipe = report(broken);
    assert_eq!(
        facts.child_killed_by.as_deref(),
        Some("SIGPIPE"),
        "{broken}"
    );
    assert_eq!(facts.child_exitcode, -13, "{broken}");
    assert_eq!(facts.procdemo_errno, "EPIPE", "{broken}");
    assert!(!facts.procdemo_write_error.is_empty(), "{broken}");
    // The tree of the run agrees: one writer died of SIGPIPE.
    let done = only(&run.events, "done");
    let tree = report::<Done>(done).tree;
    let killed: Vec<&Value> = tree["children"]
        .as_array()
        .expect("children in the done tree")
        .iter()
        .filter(|child| child["signal"] == "SIGPIPE")
        .collect();
    assert_eq!(killed.len(), 1, "{done}");
    assert_eq!(killed[0]["note"], "writer", "{done}");
}

#[test]
fn a_full_pipe_puts_its_writer_to_sleep_until_someone_reads() {
    let run = LessonRun::run_at_pace("pipe", PAUSE_PACE, &[]);
    let full = only(&run.events, "pipe-full");
    run.assert_from_a_child(full, "writer");
    let blocked = only(&run.events, "writer-blocked");
    run.assert_from_procdemo(blocked);

    let facts: WriterBlocked = report(blocked);
    let capacity = facts.capacity;
    assert!(capacity > 0, "{blocked}");
    assert_eq!(report::<PipeFull>(full).bytes_written, capacity, "{full}");
    assert_eq!(facts.bytes_in_pipe, Some(capacity), "{blocked}");
    assert_eq!(facts.writer_state, "S", "{blocked}");
    // The text names the kernel function the writer sleeps in: procdemo
    // waits until /proc names it, so it is never missing.
    assert!(
        facts
            .writer_wchan
            .as_deref()
            .is_some_and(|name| name.contains("pipe")),
        "the writer sleeps in the kernel's pipe-writing function: {blocked}"
    );

    let drains = only(&run.events, "reader-drains");
    run.assert_from_procdemo(drains);
    assert_eq!(report::<ReaderDrains>(drains).bytes_read, 4096, "{drains}");

    let resumes = only(&run.events, "writer-resumes");
    assert_eq!(pid(resumes), pid(full), "the same writer resumes");
    // The writer slept in write() from before procdemo saw it asleep until
    // procdemo read, after its pause: at least the pause (1 ms less, as
    // both are cut to whole milliseconds), and no longer than from its
    // report of the full pipe to its report of resuming.
    let blocked_ms = report::<WriterResumes>(resumes).blocked_ms;
    assert!(
        blocked_ms + 1 >= PAUSE_MS,
        "the writer must sleep through procdemo's {PAUSE_MS} ms pause: {resumes}"
    );
    let between_us = t_us(resumes) - t_us(full);
    assert!(
        blocked_ms * 1000 <= between_us,
        "blocked for longer than the {between_us} µs from `pipe-full` to `writer-resumes`: {resumes}"
    );

    assert!(run.position("pipe-full") < run.position("writer-blocked"));
    assert!(run.position("writer-blocked") < run.position("reader-drains"));
    assert!(
        run.position("reader-drains") < run.position("writer-resumes"),
        "the read that made room is told before the writer wakes"
    );
}

#[test]
fn a_byte_stream_glues_writes_together_unless_they_are_framed() {
    let run = pipe_run();
    let writes = only(&run.events, "two-writes");
    run.assert_from_a_child(writes, "writer");
    assert_eq!(
        report::<TwoWrites>(writes).writes,
        ["hello", "world"],
        "{writes}"
    );

    let glued = only(&run.events, "no-boundaries");
    run.assert_from_procdemo(glued);
    let facts: NoBoundaries = report(glued);
    assert_eq!(facts.writes, 2, "{glued}");
    assert_eq!(facts.first_read, "helloworld", "{glued}");
    assert_eq!(facts.bytes, 10, "{glued}");
    assert!(run.position("two-writes") < run.position("no-boundaries"));

    let framed = only(&run.events, "framed");
    run.assert_from_procdemo(framed);
    let facts: Framed = report(framed);
    assert_eq!(facts.header_of_hello, "00 00 00 05", "{framed}");
    assert_eq!(facts.messages, ["hello", "world"], "{framed}");
    assert!(run.position("no-boundaries") < run.position("framed"));
}

#[test]
fn every_child_is_reaped_and_shown_in_the_tree() {
    let run = pipe_run();
    let done = only(&run.events, "done");
    let Done {
        processes_started: started,
        processes_reaped,
        tree,
        ..
    } = report(done);
    assert_eq!(processes_reaped, started, "{done}");
    assert_eq!(tree["pid"], run.procdemo, "{done}");
    let children = tree["children"].as_array().expect("children");
    assert_eq!(children.len() as u64, started, "{done}");
    // Eight children: two for each of the one-way and two-way parts, and a
    // writer for each of end of file, broken pipe, full pipe and framing.
    assert_eq!(started, 8, "{done}");
    // Every child that reported is in the tree, and every reporter is
    // procdemo or a child of it.
    for event in &run.events {
        if pid(event) == run.procdemo {
            continue;
        }
        assert_eq!(ppid(event), run.procdemo, "{event}");
        assert!(
            children.iter().any(|child| child["pid"] == pid(event)),
            "{event} is not in {done}"
        );
    }
    assert_eq!(events_of(&run.events, "done").len(), 1);
}
