//! `procdemo pipe`: a one-way pipe and a two-way socket pair carry the
//! notes' producer/consumer exchange, each end one kernel object seen from
//! two processes; end of file needs every write end closed; writing with no
//! reader gives SIGPIPE or EPIPE; a full pipe puts its writer to sleep until
//! someone reads; and a byte stream keeps no message boundaries unless they
//! are framed. Checked from the JSON events of real runs.

use crate::common::{LessonRun, events_of, fact, fact_i64, only, pid, ppid, t_us};
use serde_json::{Value, json};

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
fn is_kernel_object(value: &Value, kind: &str) -> bool {
    value
        .as_str()
        .and_then(|link| link.strip_prefix(kind))
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
    assert_eq!(fact(sent, "message"), "Producer Words", "{sent}");
    assert_eq!(fact(received, "message"), "Producer Words", "{received}");

    let write_end = fact(sent, "fd_link");
    let read_end = fact(received, "fd_link");
    assert!(is_kernel_object(write_end, "pipe"), "{sent}");
    assert!(is_kernel_object(read_end, "pipe"), "{received}");
    assert_eq!(write_end, read_end, "both ends name one pipe");

    let same = only(&run.events, "same-pipe");
    run.assert_from_procdemo(same);
    assert_eq!(fact(same, "same_object"), &json!(true), "{same}");
    assert_eq!(fact(same, "producer_write_end"), write_end, "{same}");
    assert_eq!(fact(same, "consumer_read_end"), read_end, "{same}");
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

    assert_eq!(fact(producer, "received"), "Consumer Words", "{producer}");
    assert_eq!(fact(producer, "sent"), "Producer Words", "{producer}");
    assert_eq!(fact(consumer, "sent"), "Consumer Words", "{consumer}");
    assert_eq!(fact(consumer, "received"), "Producer Words", "{consumer}");

    let producer_end = fact(producer, "fd_link");
    let consumer_end = fact(consumer, "fd_link");
    assert!(is_kernel_object(producer_end, "socket"), "{producer}");
    assert!(is_kernel_object(consumer_end, "socket"), "{consumer}");
    assert_ne!(producer_end, consumer_end, "two ends, two sockets");

    let same = only(&run.events, "same-socket");
    run.assert_from_procdemo(same);
    assert_eq!(fact(same, "same_end_same_object"), &json!(true), "{same}");
    assert_eq!(fact(same, "two_ends_two_sockets"), &json!(true), "{same}");
    for name in [
        "procdemo_producer_end",
        "producer_end",
        "procdemo_consumer_end",
        "consumer_end",
    ] {
        assert!(is_kernel_object(fact(same, name), "socket"), "{same}");
    }
    assert_eq!(fact(same, "producer_end"), producer_end, "{same}");
    assert_eq!(fact(same, "procdemo_producer_end"), producer_end, "{same}");
    assert_eq!(fact(same, "consumer_end"), consumer_end, "{same}");
    assert_eq!(fact(same, "procdemo_consumer_end"), consumer_end, "{same}");
}

#[test]
fn end_of_file_waits_for_the_last_write_end_to_close() {
    let run = pipe_run();
    let waits = only(&run.events, "eof-waits");
    run.assert_from_procdemo(waits);
    assert_eq!(fact(waits, "message"), "last words", "{waits}");
    assert_eq!(fact(waits, "end_of_file"), &json!(false), "{waits}");
    // The writer has ended: procdemo alone still holds a write end.
    assert_eq!(
        fact(waits, "write_end_held_by"),
        &json!([run.procdemo]),
        "{waits}"
    );
    // At pace 0 the read still waits 50 ms for an end of file that cannot come.
    assert!(fact_i64(waits, "waited_ms") >= 45, "{waits}");

    let arrives = only(&run.events, "eof-arrives");
    run.assert_from_procdemo(arrives);
    assert_eq!(fact(arrives, "write_end_held_by"), &json!([]), "{arrives}");
    assert_eq!(fact_i64(arrives, "read_returned"), 0, "{arrives}");
    assert_eq!(fact(arrives, "end_of_file"), &json!(true), "{arrives}");
    assert!(run.position("eof-waits") < run.position("eof-arrives"));
}

#[test]
fn writing_where_nobody_reads_gives_sigpipe_or_epipe() {
    let run = pipe_run();
    let broken = only(&run.events, "broken-pipe");
    run.assert_from_procdemo(broken);
    assert_eq!(fact(broken, "child_killed_by"), "SIGPIPE", "{broken}");
    assert_eq!(fact_i64(broken, "child_exitcode"), -13, "{broken}");
    assert_eq!(fact(broken, "procdemo_errno"), "EPIPE", "{broken}");
    assert!(
        fact(broken, "procdemo_write_error")
            .as_str()
            .is_some_and(|error| !error.is_empty()),
        "{broken}"
    );
    // The tree of the run agrees: one writer died of SIGPIPE.
    let done = only(&run.events, "done");
    let killed: Vec<&Value> = fact(done, "tree")["children"]
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

    let capacity = fact_i64(blocked, "capacity");
    assert!(capacity > 0, "{blocked}");
    assert_eq!(fact_i64(full, "bytes_written"), capacity, "{full}");
    assert_eq!(fact_i64(blocked, "bytes_in_pipe"), capacity, "{blocked}");
    assert_eq!(fact(blocked, "writer_state"), "S", "{blocked}");

    let drains = only(&run.events, "reader-drains");
    run.assert_from_procdemo(drains);
    assert_eq!(fact_i64(drains, "bytes_read"), 4096, "{drains}");

    let resumes = only(&run.events, "writer-resumes");
    assert_eq!(pid(resumes), pid(full), "the same writer resumes");
    // The writer slept in write() from before procdemo saw it asleep until
    // procdemo read, after its pause: at least the pause (1 ms less, as
    // both are cut to whole milliseconds), and no longer than from its
    // report of the full pipe to its report of resuming.
    let blocked_ms = fact(resumes, "blocked_ms")
        .as_u64()
        .unwrap_or_else(|| panic!("blocked_ms is not a whole number: {resumes}"));
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
        fact(writes, "writes"),
        &json!(["hello", "world"]),
        "{writes}"
    );

    let glued = only(&run.events, "no-boundaries");
    run.assert_from_procdemo(glued);
    assert_eq!(fact_i64(glued, "writes"), 2, "{glued}");
    assert_eq!(fact(glued, "first_read"), "helloworld", "{glued}");
    assert_eq!(fact_i64(glued, "bytes"), 10, "{glued}");
    assert!(run.position("two-writes") < run.position("no-boundaries"));

    let framed = only(&run.events, "framed");
    run.assert_from_procdemo(framed);
    assert_eq!(fact(framed, "header_of_hello"), "00 00 00 05", "{framed}");
    assert_eq!(
        fact(framed, "messages"),
        &json!(["hello", "world"]),
        "{framed}"
    );
    assert!(run.position("no-boundaries") < run.position("framed"));
}

#[test]
fn every_child_is_reaped_and_shown_in_the_tree() {
    let run = pipe_run();
    let done = only(&run.events, "done");
    let started = fact_i64(done, "processes_started");
    assert_eq!(fact_i64(done, "processes_reaped"), started, "{done}");
    let tree = fact(done, "tree");
    assert_eq!(tree["pid"], run.procdemo, "{done}");
    let children = tree["children"].as_array().expect("children");
    assert_eq!(children.len() as i64, started, "{done}");
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
