//! Lessons stopped mid-way: Ctrl-C (SIGINT) and SIGTERM end the lesson
//! cleanly, with an `ended` event, exit code 130/143, one line on stderr and
//! every process reaped; `kill -9` on procdemo still leaves nothing running,
//! thanks to the children's parent-death signal.
//!
//! Each lesson runs at `--pace 20`, so that it is certainly still in the
//! middle when the signal comes; the signal is sent as soon as a mid-lesson
//! event arrives, so each test takes a fraction of a second (about one for
//! the one without `--json`, whose pauses are not shortened).
//!
//! The `daemon` lesson needs two exceptions:
//! - Its first part, the `daemon=True` race, is held back: procdemo shows
//!   its events only once the race is over (three joins of one tick each,
//!   20 s a tick at pace 20). So the moment to interrupt it is found from
//!   `/proc` instead, once procdemo has its three daemonic children and
//!   waits, and the processes that must be gone afterwards are those
//!   `/proc` listed.
//! - Its Unix daemon appears only after that part, and there is no option
//!   to skip it. Those tests run at `--pace 0.5`: the daemon is proved
//!   alive about 2.5 s in, and the lesson then pauses 1 s (2 s × pace)
//!   before it stops the daemon itself. The signal is sent as soon as
//!   `daemon-proved` is read, so that second is a wide margin; the tests
//!   also check that the lesson had not stopped the daemon itself before
//!   the signal came. At pace 0 that pause would be 0 s, and at pace 1 the
//!   test would take over 5 s.
//!
//! The lessons `pipe`, `queue` and `memory` need others:
//! - `pipe` first waits 1 s × pace for an end of file that cannot come, so
//!   at pace 20 the full pipe would come 20 s in. It runs at `--pace 1`:
//!   about 1 s in, a writer sleeps on the full pipe while procdemo pauses
//!   1.5 s before it reads; the signal is sent as soon as `writer-blocked`
//!   is read, and the test checks that procdemo had not read yet.
//! - `queue` first spends 1 s × pace in `put(timeout=1)` on its full queue,
//!   with no child alive. It runs at `--pace 0.5 --seed 117`: the writer
//!   pauses 0.2 to 1 s × pace before each of its three puts (0.25, 0.86
//!   and 0.84 s × pace with seed 117), and the reader runs until procdemo
//!   terminates it after the third. The signal is sent when the reader has
//!   got `A`, about 0.65 s in: both run, the writer with two pauses to go
//!   (0.85 s; 0.2 s at least whatever the seed). The wait in
//!   `put(timeout=…)` itself is tested at pace 20, where it lasts 20 s.
//! - `memory` has no demonstrative pause with `--json`: at any pace its
//!   steps follow each other as fast as the machine goes, so the child that
//!   copied half the buffer lives a few microseconds after it reports. For
//!   people procdemo pauses 0.35 s × pace before each new step, and that
//!   child waits at a gate until procdemo has shown `parent-view`: the test
//!   runs it for people at `--pace 1.5` and finds the moment from `/proc`.
//!
//! The lessons `lock` and `semaphore` too:
//! - `lock` first runs its two adders without a lock, 1 s × pace, and then
//!   with it, each holding the lock 1 s × pace. It runs at `--pace 0.5`:
//!   the signal is sent at the first `locked-adder` print, about 0.5 s in,
//!   when the adder that has the lock has 0.5 s of holding to go and the
//!   other sleeps in `sem_wait`; the test checks that the waiting adder had
//!   not printed. Its scale part is interrupted at `--pace 0` with
//!   `--workers 4 --increments 300000`: the locked workers take some
//!   tenths of a second, and the signal is sent as soon as all four run.
//! - `semaphore` runs at `--pace 20`: a worker inside holds its permit for
//!   12 s while the others wait for one.
//!
//! After every interrupted or killed run no message queue of it is left.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, LOCK_HELD_ARGS, Live, assert_no_leftovers, assert_no_queue_left, check_interrupted,
    check_kill_9, children_of, held_at_question, interrupted_line, lesson_path, pid, proc_stat,
    procdemo, report, role, sorted, step, still_running, wait_with_deadline,
};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use procdemo::lessons::daemon::{DaemonProved, DaemonicStart};
use procdemo::lessons::zombie::ZombieState;
use procdemo::model::Ended;
use serde_json::Value;

/// A lesson, its arguments at a slow pace, and how to tell it is half-way,
/// with children alive.
struct Lesson {
    args: &'static [&'static str],
    middle: Middle,
}

/// A lesson interrupted once event `name` has arrived.
const fn at_step(
    args: &'static [&'static str],
    name: &'static str,
    running: fn(&[Value], i32) -> Vec<i32>,
) -> Lesson {
    Lesson {
        args,
        middle: Middle::Step { name, running },
    }
}

enum Middle {
    /// When this event arrives; `running` picks the processes that run then
    /// from the events read so far and procdemo's pid.
    Step {
        name: &'static str,
        running: fn(&[Value], i32) -> Vec<i32>,
    },
    /// When `/proc` shows procdemo with at least this many children and
    /// asleep, waiting for them (for a part of a lesson whose events are
    /// held back until it is over); those children are the processes that
    /// run then.
    Children(usize),
}

const FORK: Lesson = at_step(
    &["fork", "--json", "--pace", "20", "--lang", "en"],
    "child-changes-w",
    children_seen,
);
const PIDS: Lesson = at_step(
    &[
        "pids",
        "--json",
        "--pace",
        "20",
        "--lang",
        "en",
        "--children",
        "4",
    ],
    "ancestry",
    children_seen,
);
/// The child works 20 s, and procdemo waits for it in join().
const JOIN: Lesson = at_step(
    &["join", "--json", "--pace", "20", "--lang", "en"],
    "child-works",
    children_seen,
);
/// procdemo has drawn three generations and at once lets the child end: the
/// signal comes about when the grandchild is orphaned, adopted and ties
/// itself to procdemo, in whichever order. Only the grandchild is sure to
/// run then.
const ORPHAN_EARLY: Lesson = at_step(
    &["orphan", "--json", "--pace", "20", "--lang", "en"],
    "tree-before",
    the_grandchild,
);
/// The child is gone; the orphan, adopted by procdemo, waits at a gate while
/// procdemo pauses 30 s.
const ORPHAN_ADOPTED: Lesson = at_step(
    &["orphan", "--json", "--pace", "20", "--lang", "en"],
    "tree-after",
    the_orphan,
);
/// Three daemonic children in the race, on 20 s ticks.
const DAEMON_RACE: Lesson = Lesson {
    args: &["daemon", "--json", "--pace", "20", "--lang", "en"],
    middle: Middle::Children(3),
};
/// The Unix daemon, in a session of its own and adopted by procdemo, runs
/// while procdemo pauses 1 s (see the top of this file for the pace).
const DAEMON_PROVED: Lesson = at_step(
    &["daemon", "--json", "--pace", "0.5", "--lang", "en"],
    "daemon-proved",
    the_daemon,
);
/// The child has ended and is not reaped: a zombie, while procdemo pauses 40 s.
const ZOMBIE: Lesson = at_step(
    &["zombie", "--json", "--pace", "20", "--lang", "en"],
    "zombie-state",
    nobody,
);

/// A writer sleeps in `write()` on the full pipe while procdemo pauses
/// 1.5 s before it reads (see the top of this file for the pace).
const PIPE_FULL: Lesson = at_step(
    &["pipe", "--json", "--pace", "1", "--lang", "en"],
    "writer-blocked",
    the_blocked_writer,
);
/// The reader has got `A`; the writer pauses before `B` and `C` (see the
/// top of this file for the pace and the seed).
const QUEUE_WRITER_READER: Lesson = at_step(
    &[
        "queue", "--json", "--pace", "0.5", "--lang", "en", "--seed", "117",
    ],
    "reader-gets",
    children_now,
);

/// The last event of `name` read so far.
fn last_of<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .rev()
        .find(|event| step(event) == name)
        .unwrap_or_else(|| panic!("no `{name}` event in {events:?}"))
}

fn the_grandchild(events: &[Value], _procdemo: i32) -> Vec<i32> {
    vec![pid(last_of(events, "grandchild-born"))]
}

fn the_orphan(events: &[Value], _procdemo: i32) -> Vec<i32> {
    vec![pid(last_of(events, "adopted"))]
}

fn the_daemon(events: &[Value], _procdemo: i32) -> Vec<i32> {
    vec![report::<DaemonProved>(last_of(events, "daemon-proved")).daemon_pid]
}

fn nobody(_events: &[Value], _procdemo: i32) -> Vec<i32> {
    Vec::new()
}

fn the_blocked_writer(events: &[Value], _procdemo: i32) -> Vec<i32> {
    vec![pid(last_of(events, "pipe-full"))]
}

/// procdemo's children as `/proc` shows them now, whether they reported yet or not.
fn children_now(_events: &[Value], procdemo: i32) -> Vec<i32> {
    children_of(procdemo)
}

/// The pids of the children seen so far (every event not from procdemo).
fn children_seen(events: &[Value], procdemo: i32) -> Vec<i32> {
    let mut children: Vec<i32> = events
        .iter()
        .map(pid)
        .filter(|pid| *pid != procdemo)
        .collect();
    children.sort_unstable();
    children.dedup();
    children
}

/// Starts the lesson, waits for its middle, checks that children are
/// running, and returns the live run with the pids of the processes that
/// run at that moment.
fn start_and_reach_the_middle(lesson: &Lesson, command: Command) -> (Live, Vec<i32>) {
    let mut live = Live::spawn_command(command);
    let procdemo_pid = live.pid();
    let (running, middle) = match lesson.middle {
        Middle::Step { name, running } => {
            live.read_until(name);
            let children = children_seen(&live.events, procdemo_pid);
            assert!(!children.is_empty(), "no child reported before `{name}`");
            (running(&live.events, procdemo_pid), format!("`{name}`"))
        }
        Middle::Children(count) => {
            let deadline = Instant::now() + DEADLINE;
            loop {
                let children = children_of(procdemo_pid);
                // Between its forks procdemo runs; it sleeps once it waits.
                let asleep = proc_stat(procdemo_pid).is_some_and(|(_, state)| state == 'S');
                if children.len() >= count && asleep {
                    break (children, format!("{count} children"));
                }
                assert!(
                    Instant::now() < deadline,
                    "procdemo never had {count} children"
                );
                assert!(
                    matches!(live.child.try_wait(), Ok(None)),
                    "procdemo ended before it had {count} children"
                );
                thread::sleep(Duration::from_millis(5));
            }
        }
    };
    assert!(
        running
            .iter()
            .all(|child| *child != procdemo_pid && still_running(*child)),
        "these processes run at {middle}: {:?}",
        running
            .iter()
            .map(|child| (child, proc_stat(*child)))
            .collect::<Vec<_>>()
    );
    (live, running)
}

fn command_for(lesson: &Lesson) -> Command {
    procdemo(lesson.args)
}

/// Sends `signal` to procdemo mid-lesson and checks the clean ending;
/// returns every event.
fn interrupt(lesson: &Lesson, signal: Signal, exit_code: i32) -> Vec<Value> {
    let (live, running) = start_and_reach_the_middle(lesson, command_for(lesson));
    let procdemo_pid = live.pid();
    kill(Pid::from_raw(procdemo_pid), signal).expect("send the signal");
    check_clean_ending(live, signal, exit_code, &running)
}

/// Checks the clean ending of the procdemo of `live`, sent `signal`
/// (`common::check_interrupted`, with at least one process started and none
/// left, whether it reported or is one of `running`), and that `ended` comes
/// from procdemo and counts every child that reported.
fn check_clean_ending(live: Live, signal: Signal, exit_code: i32, running: &[i32]) -> Vec<Value> {
    let procdemo_pid = live.pid();
    let events = check_interrupted(live, signal, exit_code, 1, running);
    let ended = events.last().expect("events");
    assert_eq!(role(ended), "parent");
    // Every child that reported is among those started.
    assert!(
        children_seen(&events, procdemo_pid).len() as u64
            <= report::<Ended>(ended).processes_started,
        "{events:#?}"
    );
    events
}

#[test]
fn sigint_ends_fork_cleanly() {
    interrupt(&FORK, Signal::SIGINT, 130);
}

#[test]
fn sigint_ends_pids_cleanly() {
    interrupt(&PIDS, Signal::SIGINT, 130);
}

#[test]
fn sigterm_ends_fork_cleanly() {
    interrupt(&FORK, Signal::SIGTERM, 143);
}

#[test]
fn sigterm_ends_pids_cleanly() {
    interrupt(&PIDS, Signal::SIGTERM, 143);
}

/// Ctrl-C in a terminal signals the whole foreground process group, children
/// included. `pids` is used because procdemo is then sleeping with its
/// children parked at a gate: a child dying first only wakes it, and its own
/// SIGINT ends the lesson. (In `fork` the parent is in waitpid() at that
/// point, and a child killed just before procdemo sees its own signal would
/// let the lesson finish normally: a legitimate race this test avoids.)
#[test]
fn ctrl_c_to_the_whole_process_group_ends_pids_cleanly() {
    let mut command = command_for(&PIDS);
    command.process_group(0);
    let (live, running) = start_and_reach_the_middle(&PIDS, command);
    let procdemo_pid = live.pid();
    killpg(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("signal the process group");
    check_clean_ending(live, Signal::SIGINT, 130, &running);
}

/// `kill -9 procdemo`: it cannot clean up, but its children die with it
/// (parent-death signal). They are reparented to pid 1 or a subreaper, which
/// may leave them as zombies for a moment: a zombie no longer runs.
/// Returns every event.
fn kill_hard(lesson: &Lesson) -> Vec<Value> {
    let (live, running) = start_and_reach_the_middle(lesson, command_for(lesson));
    let mut children = children_seen(&live.events, live.pid());
    children.extend_from_slice(&running);
    check_kill_9(live, &children, "children")
}

#[test]
fn kill_9_during_fork_leaves_nothing_running() {
    kill_hard(&FORK);
}

#[test]
fn kill_9_during_pids_leaves_nothing_running() {
    kill_hard(&PIDS);
}

/// Without `--json`: the same clean ending, told to people on stderr. The
/// moment to interrupt is found from /proc (procdemo has a child), not from
/// the text; at pace 3 the lesson is then seconds away from its end.
#[test]
fn sigint_ends_a_lesson_for_people_cleanly() {
    let mut live = Live::spawn(&["fork", "--pace", "3", "--lang", "en", "--color", "never"]);
    let procdemo_pid = live.pid();
    let deadline = Instant::now() + DEADLINE;
    let children = loop {
        let children = children_of(procdemo_pid);
        if !children.is_empty() {
            break children;
        }
        assert!(Instant::now() < deadline, "procdemo started no child");
        assert!(
            matches!(live.child.try_wait(), Ok(None)),
            "procdemo ended before it forked"
        );
        thread::sleep(Duration::from_millis(5));
    };
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let status = wait_with_deadline(&mut live.child, deadline, "fork for people, interrupted");
    assert_eq!(status.code(), Some(130), "{status:?}");
    let (_, _, stderr) = live.finish_text();
    interrupted_line(&stderr, "SIGINT");
    assert_no_leftovers(&children);
}

// The lessons `join`, `zombie`, `orphan` and `daemon`, stopped mid-way.

#[test]
fn sigint_ends_join_cleanly() {
    interrupt(&JOIN, Signal::SIGINT, 130);
}

/// A zombie is not running, but it is procdemo's to reap: the interrupted
/// lesson reaps it like any other child.
#[test]
fn sigint_while_a_zombie_waits_reaps_it() {
    let (live, _) = start_and_reach_the_middle(&ZOMBIE, command_for(&ZOMBIE));
    let procdemo_pid = live.pid();
    let zombie = report::<ZombieState>(last_of(&live.events, "zombie-state")).child_pid;
    assert_eq!(
        proc_stat(zombie),
        Some(("procdemo".to_string(), 'Z')),
        "a zombie of procdemo's when the signal is sent"
    );
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let events = check_clean_ending(live, Signal::SIGINT, 130, &[zombie]);
    let ended = events.last().expect("events");
    let facts: Ended = report(ended);
    assert_eq!(facts.processes_started, 1, "{ended}");
    assert_eq!(facts.processes_reaped, 1, "{ended}");
    assert!(
        !events.iter().any(|event| step(event) == "reap"),
        "the lesson had not reaped it itself: {events:?}"
    );
    // Reaped, not left to whoever adopts procdemo's orphans.
    assert_ne!(
        proc_stat(zombie),
        Some(("procdemo".to_string(), 'Z')),
        "the zombie is still there"
    );
}

/// Whether the grandchild is still the child's, or already procdemo's, the
/// cleanup must find and end it: killing the child orphans it, and procdemo,
/// as subreaper, adopts it and kills it in its next round.
#[test]
fn sigint_ends_orphan_cleanly_as_the_child_ends() {
    let events = interrupt(&ORPHAN_EARLY, Signal::SIGINT, 130);
    let ended = events.last().expect("events");
    assert_eq!(report::<Ended>(ended).processes_started, 2, "{ended}");
}

#[test]
fn sigint_ends_orphan_cleanly_while_the_adopted_orphan_runs() {
    let events = interrupt(&ORPHAN_ADOPTED, Signal::SIGINT, 130);
    let ended = events.last().expect("events");
    assert_eq!(report::<Ended>(ended).processes_started, 2, "{ended}");
    assert!(
        !events.iter().any(|event| step(event) == "orphan-reaped"),
        "{events:?}"
    );
}

#[test]
fn sigterm_ends_orphan_cleanly_while_the_adopted_orphan_runs() {
    interrupt(&ORPHAN_ADOPTED, Signal::SIGTERM, 143);
}

#[test]
fn sigint_ends_daemon_cleanly_during_the_daemonic_race() {
    interrupt(&DAEMON_RACE, Signal::SIGINT, 130);
}

/// The race's events are held back while it runs, but the ones that
/// happened before the signal belong in the record, as do the children's
/// late events that procdemo adds after any early end: a reader of the
/// JSON must learn which processes `ended` counts.
#[test]
fn an_interrupted_daemonic_race_keeps_its_events_in_the_record() {
    let (live, running) = start_and_reach_the_middle(&DAEMON_RACE, command_for(&DAEMON_RACE));
    let procdemo_pid = live.pid();
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let (status, events, stderr) = live.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_no_leftovers(&running);
    let starts: Vec<&Value> = events
        .iter()
        .filter(|event| step(event) == "daemonic-start")
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "`daemonic-start` happened before SIGINT, yet the record lacks it: {events:?}"
    );
    let pids = sorted(&report::<DaemonicStart>(starts[0]).pids);
    assert_eq!(pids, sorted(&running), "{}", starts[0]);
    assert_eq!(events.last().map(step), Some("ended"), "{events:?}");
}

/// The daemon runs in a session of its own, so a signal to procdemo's
/// process group would not reach it: procdemo's cleanup must.
#[test]
fn sigint_ends_daemon_cleanly_while_the_unix_daemon_runs() {
    let events = interrupt(&DAEMON_PROVED, Signal::SIGINT, 130);
    assert!(
        !events.iter().any(|event| step(event) == "daemon-stopped"),
        "the signal came after the lesson had stopped the daemon itself: {events:?}"
    );
    let ended = events.last().expect("events");
    assert_eq!(report::<Ended>(ended).processes_started, 7, "{ended}");
}

#[test]
fn kill_9_during_join_leaves_nothing_running() {
    kill_hard(&JOIN);
}

/// Before its adoption the grandchild has no parent-death signal: if
/// procdemo dies then, pid 1 (or another subreaper) adopts it, it ties
/// itself to that one instead, and must still not outlive the run (it ends
/// when it can no longer report). After its adoption it dies with procdemo.
#[test]
fn kill_9_during_orphan_as_the_child_ends_leaves_nothing_running() {
    kill_hard(&ORPHAN_EARLY);
}

/// After adoption the orphan asked for the parent-death signal again, tied
/// to procdemo: it dies with it.
#[test]
fn kill_9_during_orphan_after_the_adoption_leaves_nothing_running() {
    kill_hard(&ORPHAN_ADOPTED);
}

#[test]
fn kill_9_during_the_daemonic_race_leaves_nothing_running() {
    kill_hard(&DAEMON_RACE);
}

/// The daemon, adopted by procdemo, re-armed its parent-death signal: it
/// dies with procdemo even in a session of its own.
#[test]
fn kill_9_during_daemon_while_the_unix_daemon_runs_leaves_nothing_running() {
    let events = kill_hard(&DAEMON_PROVED);
    assert!(
        !events.iter().any(|event| step(event) == "daemon-stopped"),
        "the signal came after the lesson had stopped the daemon itself: {events:?}"
    );
}

// The lessons `pipe`, `queue` and `memory`, stopped mid-way.

/// The writer sleeps in the kernel, inside a `write()` that cannot finish
/// until someone reads: the cleanup must still end it.
#[test]
fn sigint_ends_pipe_cleanly_while_a_writer_sleeps_on_the_full_pipe() {
    let (live, running) = start_and_reach_the_middle(&PIPE_FULL, command_for(&PIPE_FULL));
    let procdemo_pid = live.pid();
    let writer = running[0];
    assert_eq!(
        proc_stat(writer).map(|(_, state)| state),
        Some('S'),
        "the writer sleeps on the full pipe"
    );
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let events = check_clean_ending(live, Signal::SIGINT, 130, &running);
    assert!(
        !events.iter().any(|event| step(event) == "reader-drains"),
        "the signal came after procdemo had read from the full pipe: {events:?}"
    );
    let ended = events.last().expect("events");
    // Two children for each of the one-way and two-way parts, the writers of
    // end of file and broken pipe, and the one on the full pipe.
    assert_eq!(report::<Ended>(ended).processes_started, 7, "{ended}");
}

/// The writer sleeps between its puts and the reader waits in `get()` on
/// the queue that both share: both are ended, and the queue goes with them.
#[test]
fn sigint_ends_queue_cleanly_while_the_writer_and_the_reader_run() {
    let events = interrupt(&QUEUE_WRITER_READER, Signal::SIGINT, 130);
    assert!(
        !events
            .iter()
            .any(|event| step(event) == "reader-terminated"),
        "the signal came after the lesson had ended the reader itself: {events:?}"
    );
    let ended = events.last().expect("events");
    // The walk-through starts no process: the writer and the reader.
    assert_eq!(report::<Ended>(ended).processes_started, 2, "{ended}");
}

/// procdemo cannot clean up, but the writer and the reader die with it, and
/// the queue, whose name was removed at once, with the last of them.
#[test]
fn kill_9_during_queue_leaves_nothing_running_and_no_queue() {
    let events = kill_hard(&QUEUE_WRITER_READER);
    assert!(
        !events
            .iter()
            .any(|event| step(event) == "reader-terminated"),
        "{events:?}"
    );
}

/// `put(timeout=1)` on the full queue waits 1 s × pace, 20 s at `--pace 20`,
/// with no child alive. Ctrl-C ends a lesson at any moment, this one too: a
/// procdemo that sits the wait out before it looks at the signal overruns
/// the deadline of `Live` (15 s), and this test fails.
#[test]
fn sigint_during_put_with_a_timeout_ends_queue_without_sitting_out_the_wait() {
    let mut live = Live::spawn(&["queue", "--json", "--pace", "20", "--lang", "en"]);
    let procdemo_pid = live.pid();
    live.read_until("full");
    // Then procdemo waits in mq_timedsend(): asleep.
    let deadline = Instant::now() + DEADLINE;
    while proc_stat(procdemo_pid).is_none_or(|(_, state)| state != 'S') {
        assert!(Instant::now() < deadline, "procdemo never waited");
        thread::sleep(Duration::from_millis(2));
    }
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let (status, events, stderr) = live.finish();
    let shown = format!("status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    assert_eq!(status.code(), Some(130), "{shown}");
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{shown}");
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, "SIGINT", "{ended}");
    assert_eq!(facts.processes_started, 0, "{ended}");
    assert_eq!(facts.processes_reaped, 0, "{ended}");
    assert!(
        !events.iter().any(|event| step(event) == "put-timeout"),
        "{shown}"
    );
    assert!(
        stderr.contains("interrupted") && stderr.contains("SIGINT"),
        "{shown}"
    );
    assert_no_queue_left(procdemo_pid);
}

/// The title of `step` in the English text of `lesson`.
fn step_title(lesson: &str, step: &str) -> String {
    let path = lesson_path("en", lesson);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let heading = format!("## {step}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&heading))
        .map(|title| title.trim().to_string())
        .unwrap_or_else(|| panic!("no `{step}` in {}", path.display()))
}

/// The private memory of `pid` in kB (`Private_Clean` + `Private_Dirty` in
/// `/proc/<pid>/smaps_rollup`), or None when it cannot be read.
fn private_kb(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let mut total = 0;
    for line in text.lines() {
        if let Some(rest) = line
            .strip_prefix("Private_Clean:")
            .or_else(|| line.strip_prefix("Private_Dirty:"))
        {
            total += rest.split_whitespace().next()?.parse::<u64>().ok()?;
        }
    }
    Some(total)
}

/// The copy-on-write child has written one byte in each page of the first
/// half of a 16 MiB buffer, so 8 MiB of copies are its own, and waits at a
/// gate while procdemo shows its steps (see the top of this file for why
/// this lesson is interrupted in its output for people). Ctrl-C then: the
/// child and its copies are gone, and the lesson stopped before
/// `parent-view`, which comes only once the child was let go.
#[test]
fn sigint_ends_memory_cleanly_while_the_child_holds_its_copied_pages() {
    let mut live = Live::spawn(&[
        "memory", "--pace", "1.5", "--lang", "en", "--color", "never", "--mib", "16",
    ]);
    let procdemo_pid = live.pid();
    let copies_kb = 0.9 * 8.0 * 1024.0;
    let deadline = Instant::now() + DEADLINE;
    let copier = loop {
        let holder = children_of(procdemo_pid).into_iter().find(|child| {
            proc_stat(*child).is_some_and(|(_, state)| state == 'S')
                && private_kb(*child).is_some_and(|kb| kb as f64 >= copies_kb)
        });
        if let Some(child) = holder {
            break child;
        }
        assert!(
            Instant::now() < deadline,
            "no child of procdemo ever held 8 MiB of copies"
        );
        assert!(
            matches!(live.child.try_wait(), Ok(None)),
            "procdemo ended before a child held its copies"
        );
        thread::sleep(Duration::from_millis(5));
    };
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let (status, stdout, stderr) = live.finish_text();
    assert_eq!(status.code(), Some(130), "{status:?}\n{stderr}");
    let line = interrupted_line(&stderr, "SIGINT");
    // Reaped: the two children of the list, by the lesson, and the copier,
    // by the cleanup: every process started.
    let numbers: Vec<&str> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|piece| !piece.is_empty())
        .collect();
    assert_eq!(numbers, ["3"], "three processes reaped: {stderr:?}");
    let parent_view = step_title("memory", "parent-view");
    assert!(
        !stdout.iter().any(|line| line.contains(&parent_view)),
        "the signal came after the child was let go: {stdout:#?}"
    );
    assert_no_leftovers(&[procdemo_pid, copier]);
}

// The lessons `lock` and `semaphore`, stopped mid-way.

/// The first adder with the lock has printed and holds it; the other sleeps
/// in `sem_wait` (see the top of this file for the pace).
const LOCK_HELD: Lesson = at_step(LOCK_HELD_ARGS, "locked-adder", children_now);
/// Two workers hold a permit each for 12 s; three wait for one.
const SEMAPHORE: Lesson = at_step(
    &["semaphore", "--json", "--pace", "20", "--lang", "en"],
    "worker-enters",
    children_now,
);

/// The kernel function `pid` sleeps in, where the kernel says.
fn wchan(pid: i32) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/wchan")).ok()?;
    let text = text.trim();
    (!text.is_empty() && text != "0").then(|| text.to_string())
}

/// Ctrl-C while one adder holds the lock and the other sleeps waiting for
/// it: both are ended, and the one waiting never got the lock.
#[test]
fn sigint_ends_lock_cleanly_while_one_adder_holds_the_lock_and_the_other_waits() {
    let (live, running) = start_and_reach_the_middle(&LOCK_HELD, command_for(&LOCK_HELD));
    let procdemo_pid = live.pid();
    let holder = pid(last_of(&live.events, "locked-adder"));
    assert!(running.contains(&holder), "{running:?}");
    let waiters: Vec<i32> = running
        .iter()
        .copied()
        .filter(|child| *child != holder)
        .collect();
    assert_eq!(waiters.len(), 1, "the other adder: {running:?}");
    let waiter = waiters[0];
    // It may be on its way from the start gate to the lock: give it a moment.
    let deadline = Instant::now() + DEADLINE;
    loop {
        let asleep = proc_stat(waiter).is_some_and(|(_, state)| state == 'S');
        let in_futex = wchan(waiter).is_none_or(|name| name.contains("futex"));
        if asleep && in_futex {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other adder never slept on the lock: {:?} {:?}",
            proc_stat(waiter),
            wchan(waiter)
        );
        thread::sleep(Duration::from_millis(1));
    }
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let events = check_clean_ending(live, Signal::SIGINT, 130, &running);
    assert!(
        !events
            .iter()
            .any(|event| step(event) == "locked-adder" && pid(event) == waiter),
        "the waiting adder got the lock before the signal: {events:?}"
    );
    assert!(
        !events.iter().any(|event| step(event) == "adders-in-turn"),
        "{events:?}"
    );
    let ended = events.last().expect("events");
    // Two adders without the lock, two with it.
    assert_eq!(report::<Ended>(ended).processes_started, 4, "{ended}");
}

/// Ctrl-C while four workers take turns at the lock, 300000 increments
/// each (see the top of this file for the counts).
#[test]
fn sigint_ends_lock_cleanly_while_workers_take_turns_at_the_lock() {
    let mut live = Live::spawn(&[
        "lock",
        "--json",
        "--pace",
        "0",
        "--lang",
        "en",
        "--workers",
        "4",
        "--increments",
        "300000",
    ]);
    let procdemo_pid = live.pid();
    live.read_until("updates-lost");
    // The unlocked workers are reaped: procdemo's children now are the locked ones.
    let deadline = Instant::now() + DEADLINE;
    let workers = loop {
        let children = children_of(procdemo_pid);
        if children.len() >= 4 {
            break children;
        }
        assert!(Instant::now() < deadline, "the locked workers never ran");
        thread::sleep(Duration::from_millis(1));
    };
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let events = check_clean_ending(live, Signal::SIGINT, 130, &workers);
    assert!(
        !events
            .iter()
            .any(|event| matches!(step(event), "locked-worker" | "counter-exact")),
        "the signal came after the locked workers were through: {events:?}"
    );
    let ended = events.last().expect("events");
    // 2 + 2 adders, 2 + 2 workers forced, 4 without the lock, 4 with it.
    assert_eq!(report::<Ended>(ended).processes_started, 16, "{ended}");
}

/// Ctrl-C while two workers are inside and three wait for a permit.
#[test]
fn sigint_ends_semaphore_cleanly_while_workers_hold_and_wait_for_permits() {
    let (live, running) = start_and_reach_the_middle(&SEMAPHORE, command_for(&SEMAPHORE));
    let procdemo_pid = live.pid();
    assert_eq!(running.len(), 5, "five workers: {running:?}");
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    let events = check_clean_ending(live, Signal::SIGINT, 130, &running);
    assert!(
        !events.iter().any(|event| step(event) == "worker-leaves"),
        "a worker left before the signal: {events:?}"
    );
    let ended = events.last().expect("events");
    assert_eq!(report::<Ended>(ended).processes_started, 5, "{ended}");
}

#[test]
fn sigterm_ends_semaphore_cleanly() {
    interrupt(&SEMAPHORE, Signal::SIGTERM, 143);
}

/// The workers inside sleep, the others wait in `sem_wait`: all die with
/// procdemo by their parent-death signal.
#[test]
fn kill_9_during_semaphore_leaves_nothing_running() {
    let events = kill_hard(&SEMAPHORE);
    assert!(
        !events.iter().any(|event| step(event) == "worker-leaves"),
        "{events:?}"
    );
}

#[test]
fn kill_9_during_lock_while_an_adder_waits_for_the_lock_leaves_nothing_running() {
    kill_hard(&LOCK_HELD);
}

/// Held at the question of `orphan-reaped`, before procdemo lets the
/// adopted orphan end: a signal then ends the orphan too.
#[test]
fn signals_at_the_question_before_the_orphan_ends_leave_nothing() {
    let runs: Vec<_> = [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)]
        .into_iter()
        .map(|(signal, code)| {
            thread::spawn(move || {
                let (live, answers) = held_at_question(&["orphan"], "orphan-reaped");
                let running = children_of(live.pid());
                assert_eq!(running.len(), 1, "the orphan alone: {running:?}");
                kill(Pid::from_raw(live.pid()), signal).expect("kill");
                let events = check_clean_ending(live, signal, code, &running);
                drop(answers);
                assert!(
                    !events.iter().any(|event| step(event) == "orphan-reaped"),
                    "{events:?}"
                );
            })
        })
        .collect();
    for run in runs {
        run.join().expect("an interrupted run");
    }
}
