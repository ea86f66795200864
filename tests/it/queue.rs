//! `procdemo queue`: a POSIX message queue with the semantics of Python's
//! `Queue(N)`: puts fill it, a put with a timeout and `put_nowait` are
//! refused when it is full, gets come out first in first out, a get on an
//! empty queue is refused; a writer and an endless reader that procdemo
//! terminates; many producers and consumers with every message delivered
//! exactly once. Checked from the JSON events of real runs, and after each
//! run no process and no message queue is left (`run_lesson` checks both;
//! see `common::queues_left` for how a queue is looked for).

use std::collections::BTreeSet;

use crate::common::{
    LessonRun, Live, assert_no_leftovers, assert_no_queue_left, events_of, msg_max, only, pid,
    pids_seen, ppid, queue_exists, queues_left, report, reports, role, step,
};
use nix::mqueue::{MQ_OFlag, MqAttr, mq_close, mq_open, mq_unlink};
use nix::sys::signal::{Signal, kill};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use procdemo::lessons::queue::{
    ConsumerDone, Delivered, Full, GetEmpty, GetNowait, ProducerDone, Put, PutNowait, PutTimeout,
    QueueCreated, ReaderGets, ReaderTerminated, WriterPuts,
};
use procdemo::model::{Done, Ended, Event, Lang};
use procdemo::text::Block;

/// The `Queue(size)` walk-through, checked for one run.
fn check_walk_through(run: &LessonRun, size: usize) {
    let created = run.by_procdemo("queue-created");
    let facts: QueueCreated = report(created);
    assert_eq!(facts.capacity, size, "{created}");
    assert!(facts.message_size > 0, "{created}");
    assert!(facts.name_removed, "{created}");
    assert_eq!(facts.kernel_limit, Some(msg_max() as usize), "{created}");
    let name = facts.name.as_str();
    assert!(
        name.starts_with(&format!("/procdemo-{}-", run.procdemo)),
        "the name carries procdemo's pid: {created}"
    );
    // procdemo has exited: the name is gone, and so is the queue.
    assert!(!queue_exists(name), "{name} still exists");

    let puts = events_of(&run.events, "put");
    assert_eq!(puts.len(), size, "one put per place");
    for (number, put) in (1..).zip(&puts) {
        assert_eq!(role(put), "parent", "{put}");
        let facts: Put = report(put);
        assert_eq!(facts.item, format!("message {number}"), "{put}");
        assert_eq!(facts.qsize, number, "{put}");
    }

    let full: Full = run.procdemo_report();
    assert_eq!(full.qsize, size, "{full:?}");
    assert!(full.full, "{full:?}");
    assert!(!full.empty, "{full:?}");

    let timeout: PutTimeout = run.procdemo_report();
    assert_eq!(timeout.raised, "queue.Full", "{timeout:?}");
    assert_eq!(timeout.errno, "ETIMEDOUT", "{timeout:?}");
    let nowait: PutNowait = run.procdemo_report();
    assert_eq!(nowait.raised, "queue.Full", "{nowait:?}");
    assert_eq!(nowait.errno, "EAGAIN", "{nowait:?}");

    let gets = events_of(&run.events, "get-nowait");
    assert_eq!(gets.len(), size, "one get per message");
    for (number, get) in (1..).zip(&gets) {
        assert_eq!(role(get), "parent", "{get}");
        let facts: GetNowait = report(get);
        assert_eq!(
            facts.item,
            format!("message {number}"),
            "first in, first out: {get}"
        );
        assert_eq!(facts.qsize, size - number, "{get}");
    }

    let empty: GetEmpty = run.procdemo_report();
    assert_eq!(empty.raised, "queue.Empty", "{empty:?}");
    assert_eq!(empty.errno, "EAGAIN", "{empty:?}");
    assert!(empty.empty, "{empty:?}");

    let order = [
        ("queue-created", "put"),
        ("put", "full"),
        ("full", "put-timeout"),
        ("put-timeout", "put-nowait"),
        ("put-nowait", "get-nowait"),
        ("get-nowait", "get-empty"),
    ];
    for (before, after) in order {
        assert!(
            run.last_position(before) < run.position(after),
            "every `{before}` comes before `{after}`"
        );
    }
}

#[test]
fn queue_3_by_default_fills_refuses_and_empties_in_order() {
    let run = LessonRun::run("queue", &[]);
    check_walk_through(&run, 3);
}

#[test]
fn queue_5_fills_refuses_and_empties_in_order() {
    let run = LessonRun::run("queue", &["--size", "5"]);
    check_walk_through(&run, 5);
}

/// The titles and paragraphs told for the walk-through's steps in this
/// run (the telling chosen by the event that opens each step).
fn told_walk_through(run: &LessonRun, lang: Lang) -> Vec<String> {
    let lesson = procdemo::lessons::find("queue").expect("the queue lesson");
    let text = lesson.text(lang).expect("the lesson text parses");
    let mut told = Vec::new();
    for name in ["put", "full", "get-nowait"] {
        let opening = events_of(&run.events, name)[0];
        let event: Event = serde_json::from_value(opening.clone()).expect("an event");
        let (_, step) = text.step(name).expect("the step has text");
        let (title, blocks) = step.told_for(&event);
        told.push(title.to_string());
        for block in blocks {
            if let Block::Paragraph(lines) = block {
                told.extend(lines.iter().cloned());
            }
        }
    }
    told
}

/// With `--size 5` the puts, the full queue and the gets are five: the
/// text told for them counts nothing ("three" was once in the titles), in
/// either language.
#[test]
fn the_walk_through_text_follows_the_size() {
    let run = LessonRun::run("queue", &["--size", "5"]);
    check_walk_through(&run, 5);
    let counts: [(Lang, &[&str]); 2] = [(Lang::En, &["three", "Three"]), (Lang::Zh, &["三"])];
    for (lang, counts) in counts {
        for line in told_walk_through(&run, lang) {
            for count in counts {
                assert!(!line.contains(count), "{lang:?}: `{line}` says {count}");
            }
        }
    }
}

#[test]
fn a_writer_puts_a_b_c_and_the_endless_reader_gets_them_in_order() {
    let run = LessonRun::run("queue", &[]);
    let puts = events_of(&run.events, "writer-puts");
    let gets = events_of(&run.events, "reader-gets");
    let put_facts = reports::<WriterPuts>(&run.events);
    let put_items: Vec<&str> = put_facts.iter().map(|put| put.item.as_str()).collect();
    let got: Vec<String> = reports::<ReaderGets>(&run.events)
        .into_iter()
        .map(|get| get.item)
        .collect();
    assert_eq!(put_items, ["A", "B", "C"]);
    assert_eq!(got, ["A", "B", "C"]);
    let writer = pid(puts[0]);
    let reader = pid(gets[0]);
    assert_ne!(writer, reader);
    for (event, expected) in puts
        .iter()
        .map(|event| (event, writer))
        .chain(gets.iter().map(|event| (event, reader)))
    {
        assert_eq!(pid(event), expected, "{event}");
        assert_ne!(pid(event), run.procdemo, "{event}");
        assert_eq!(ppid(event), run.procdemo, "{event}");
    }
    assert!(puts.iter().all(|event| role(event) == "writer"));
    assert!(gets.iter().all(|event| role(event) == "reader"));
    // At pace 0 the writer does not pause.
    for put in &put_facts {
        assert_eq!(put.pause_ms, 0, "{put:?}");
    }

    let terminated: ReaderTerminated = run.procdemo_report();
    assert_eq!(terminated.items_in_order, ["A", "B", "C"], "{terminated:?}");
    assert_eq!(terminated.exitcode, -15, "{terminated:?}");
    assert!(run.last_position("reader-gets") < run.position("reader-terminated"));
    assert!(run.last_position("writer-puts") < run.position("reader-terminated"));

    // The tree agrees: the reader ended by SIGTERM, the writer by itself.
    let done = only(&run.events, "done");
    let children = run.done_children();
    let node = |wanted: i32| {
        children
            .iter()
            .find(|child| child["pid"] == wanted)
            .unwrap_or_else(|| panic!("{wanted} is not in {done}"))
            .clone()
    };
    assert_eq!(node(reader)["signal"], "SIGTERM", "{done}");
    assert_eq!(node(writer)["exit_code"], 0, "{done}");
}

/// The writer's pauses come from `--seed`: the same seed gives the same
/// pauses. They are scaled by the pace, so they are compared at a small
/// pace above 0 (at 0 they are all 0).
#[test]
fn the_same_seed_gives_the_writer_the_same_pauses() {
    let pauses = |run: &LessonRun| -> Vec<u64> {
        reports::<WriterPuts>(&run.events)
            .iter()
            .map(|put| put.pause_ms)
            .collect()
    };
    let first = LessonRun::run_at_pace("queue", "0.01", &["--seed", "7"]);
    let second = LessonRun::run_at_pace("queue", "0.01", &["--seed", "7"]);
    let (one, two) = (pauses(&first), pauses(&second));
    assert_eq!(one.len(), 3, "{one:?}");
    assert_eq!(one, two, "--seed 7 twice");
    // A pause is below one second at pace 1: at most 10 ms at pace 0.01.
    assert!(one.iter().all(|pause| (0..=10).contains(pause)), "{one:?}");
    for run in [&first, &second] {
        let terminated: ReaderTerminated = run.procdemo_report();
        assert_eq!(terminated.seed, 7, "{terminated:?}");
    }
}

/// Checks the many-to-many part of one run made with these counts.
fn check_delivered(run: &LessonRun, messages: usize, producers: usize, consumers: usize) {
    let delivered: Delivered = run.procdemo_report();
    assert_eq!(delivered.messages, messages, "{delivered:?}");
    assert_eq!(delivered.producers, producers);
    assert_eq!(delivered.consumers, consumers);
    assert!(delivered.delivered_exactly_once, "{delivered:?}");
    assert_eq!(delivered.missing, 0, "{delivered:?}");
    assert_eq!(delivered.duplicated, 0, "{delivered:?}");
    let per_consumer = &delivered.received_per_consumer;
    assert_eq!(per_consumer.len(), consumers, "{delivered:?}");
    assert_eq!(
        per_consumer.iter().sum::<usize>(),
        messages,
        "{delivered:?}"
    );

    // The producers' and consumers' own reports agree.
    let producer_done = events_of(&run.events, "producer-done");
    assert_eq!(producer_done.len(), producers);
    let producer_pids: BTreeSet<i32> = producer_done.iter().map(|event| pid(event)).collect();
    assert_eq!(producer_pids.len(), producers, "one report per producer");
    let sent: usize = producer_done
        .iter()
        .map(|event| report::<ProducerDone>(event).sent)
        .sum();
    assert_eq!(sent, messages);
    let consumer_done = events_of(&run.events, "consumer-done");
    assert_eq!(consumer_done.len(), consumers);
    let consumer_pids: BTreeSet<i32> = consumer_done.iter().map(|event| pid(event)).collect();
    assert_eq!(consumer_pids.len(), consumers, "one report per consumer");
    assert!(producer_pids.is_disjoint(&consumer_pids));
    let mut reported: Vec<usize> = consumer_done
        .iter()
        .map(|event| report::<ConsumerDone>(event).received)
        .collect();
    let mut counted = per_consumer.clone();
    reported.sort_unstable();
    counted.sort_unstable();
    assert_eq!(reported, counted, "{delivered:?}");
    for event in producer_done.iter().chain(&consumer_done) {
        assert_eq!(ppid(event), run.procdemo, "{event}");
    }
    assert!(run.last_position("producer-done") < run.position("delivered"));
    assert!(run.last_position("consumer-done") < run.position("delivered"));

    // The writer and the reader, then every producer and consumer.
    let done = only(&run.events, "done");
    let facts: Done = report(done);
    let started = facts.processes_started;
    assert_eq!(facts.processes_reaped, started, "{done}");
    assert_eq!(started, 2 + (producers + consumers) as u64, "{done}");
}

#[test]
fn two_producers_and_two_consumers_deliver_every_message_exactly_once() {
    let run = LessonRun::run("queue", &[]);
    check_delivered(&run, 20, 2, 2);
}

#[test]
fn eight_producers_and_eight_consumers_deliver_ten_thousand_messages_exactly_once() {
    // A queue of 10, or of the kernel's limit where that is lower.
    let size = msg_max().min(10);
    let size_arg = size.to_string();
    let run = LessonRun::run(
        "queue",
        &[
            "--producers",
            "8",
            "--consumers",
            "8",
            "--messages",
            "10000",
            "--size",
            &size_arg,
        ],
    );
    check_walk_through(&run, size as usize);
    check_delivered(&run, 10000, 8, 8);
}

/// The queue check would pass vacuously if it could not see a queue: show
/// that it finds one named as procdemo names its queues, here after this
/// test's own pid (no procdemo has it).
#[test]
fn the_queue_check_sees_a_queue_that_is_left() {
    let owner = std::process::id() as i32;
    let name = format!("/procdemo-{owner}-0");
    let descriptor = mq_open(
        name.as_str(),
        MQ_OFlag::O_CREAT | MQ_OFlag::O_EXCL | MQ_OFlag::O_RDONLY,
        Mode::S_IRUSR | Mode::S_IWUSR,
        Some(&MqAttr::new(0, 1, 16, 0)),
    )
    .unwrap_or_else(|error| panic!("mq_open({name}, O_CREAT) failed: {error}"));
    let seen = queues_left(owner);
    let exists = queue_exists(&name);
    let _ = mq_close(descriptor);
    mq_unlink(name.as_str()).expect("mq_unlink");
    assert_eq!(seen, [name.as_str()]);
    assert!(exists);
    assert_no_queue_left(owner);
}

/// The queue has no name from the start, yet lives on while procdemo holds
/// it: at `--pace 1` procdemo spends a second in `put(timeout=1)` on the
/// full queue, and meanwhile `/proc/<pid>/fd` shows a descriptor for the
/// queue marked `(deleted)` while opening it by name fails with ENOENT.
/// Then Ctrl-C ends the lesson, and nothing is left.
#[test]
fn the_queue_lives_on_without_a_name_while_procdemo_holds_it() {
    let mut live = Live::spawn(&["queue", "--json", "--pace", "1", "--lang", "en"]);
    let procdemo_pid = live.pid();
    let created = live.read_until("queue-created");
    let name = report::<QueueCreated>(&created).name;
    live.read_until("full");
    let links: Vec<String> = std::fs::read_dir(format!("/proc/{procdemo_pid}/fd"))
        .expect("procdemo's /proc/<pid>/fd")
        .flatten()
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .map(|link| link.to_string_lossy().into_owned())
        .collect();
    assert!(
        links.contains(&format!("{name} (deleted)")),
        "procdemo holds the queue {name}, its name removed: {links:?}"
    );
    assert!(!queue_exists(&name), "{name} can be opened by name");
    assert_eq!(queues_left(procdemo_pid), Vec::<String>::new());

    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let (status, events, stderr) = live.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{events:?}");
    assert_eq!(report::<Ended>(ended).reason, "SIGINT", "{ended}");
    assert_no_leftovers(&pids_seen(&events));
    assert_no_queue_left(procdemo_pid);
}
