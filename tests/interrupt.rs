//! Lessons stopped mid-way: Ctrl-C (SIGINT) and SIGTERM end the lesson
//! cleanly, with an `ended` event, exit code 130/143, one line on stderr and
//! every process reaped; `kill -9` on procdemo still leaves nothing running,
//! thanks to the children's parent-death signal.
//!
//! Each lesson runs at `--pace 20`, so that it is certainly still in the
//! middle when the signal comes; the signal is sent as soon as a mid-lesson
//! event arrives, so each test takes a fraction of a second (about one for
//! the one without `--json`, whose pauses are not shortened).

mod common;

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{
    DEADLINE, Live, assert_no_leftovers, children_of, fact, fact_i64, pid, pids_seen, proc_stat,
    procdemo, role, step, still_running, wait_with_deadline,
};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::Value;

/// A lesson, its arguments at a slow pace, and an event that comes when it is
/// half-way, with children alive.
struct Lesson {
    args: &'static [&'static str],
    mid_step: &'static str,
}

const FORK: Lesson = Lesson {
    args: &["fork", "--json", "--pace", "20", "--lang", "en"],
    mid_step: "child-changes-w",
};
const PIDS: Lesson = Lesson {
    args: &[
        "pids",
        "--json",
        "--pace",
        "20",
        "--lang",
        "en",
        "--children",
        "4",
    ],
    mid_step: "ancestry",
};

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

/// Starts the lesson, waits for its mid-lesson event, checks that children
/// are running, and returns the live run.
fn start_and_reach_the_middle(lesson: &Lesson, command: Command) -> Live {
    let mut live = Live::spawn_command(command);
    live.read_until(lesson.mid_step);
    let children = children_seen(&live.events, live.pid());
    assert!(
        !children.is_empty(),
        "no child reported before `{}`",
        lesson.mid_step
    );
    assert!(
        children.iter().all(|child| still_running(*child)),
        "the children run mid-lesson: {children:?}"
    );
    live
}

fn command_for(lesson: &Lesson) -> Command {
    procdemo(lesson.args)
}

/// Sends `signal` to procdemo mid-lesson and checks the clean ending.
fn interrupt(lesson: &Lesson, signal: Signal, exit_code: i32) {
    let live = start_and_reach_the_middle(lesson, command_for(lesson));
    let procdemo_pid = live.pid();
    kill(Pid::from_raw(procdemo_pid), signal).expect("send the signal");
    check_clean_ending(live, procdemo_pid, signal, exit_code);
}

fn check_clean_ending(live: Live, procdemo_pid: i32, signal: Signal, exit_code: i32) {
    let (status, events, stderr) = live.finish();
    let shown = format!("status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    assert_eq!(status.code(), Some(exit_code), "{shown}");

    let ended = events.last().expect("events");
    assert_eq!(
        step(ended),
        "ended",
        "the last line must be `ended`: {shown}"
    );
    assert!(
        !events.iter().any(|event| step(event) == "done"),
        "an interrupted lesson is not done: {shown}"
    );
    assert_eq!(pid(ended), procdemo_pid);
    assert_eq!(role(ended), "parent");
    assert_eq!(fact(ended, "reason"), signal.as_str(), "{ended}");
    let started = fact_i64(ended, "processes_started");
    assert!(started >= 1, "{ended}");
    assert_eq!(fact_i64(ended, "processes_reaped"), started, "{ended}");
    // Every child that reported is among those started.
    assert!(
        children_seen(&events, procdemo_pid).len() as i64 <= started,
        "{shown}"
    );

    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "stderr must be one line: {stderr:?}");
    assert!(
        lines[0].contains("interrupted"),
        "stderr must say the lesson was interrupted: {stderr:?}"
    );
    assert!(
        lines[0].contains(signal.as_str()),
        "stderr must name {signal}: {stderr:?}"
    );

    assert_no_leftovers(&pids_seen(&events));
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
    let live = start_and_reach_the_middle(&PIDS, command);
    let procdemo_pid = live.pid();
    killpg(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("signal the process group");
    check_clean_ending(live, procdemo_pid, Signal::SIGINT, 130);
}

/// `kill -9 procdemo`: it cannot clean up, but its children die with it
/// (parent-death signal). They are reparented to pid 1 or a subreaper, which
/// may leave them as zombies for a moment: a zombie no longer runs.
fn kill_hard(lesson: &Lesson) {
    let live = start_and_reach_the_middle(lesson, command_for(lesson));
    let procdemo_pid = live.pid();
    let children = children_seen(&live.events, procdemo_pid);
    kill(Pid::from_raw(procdemo_pid), Signal::SIGKILL).expect("kill -9");
    // `finish` also waits for stdout to close, which needs every child gone.
    let (status, events, _stderr) = live.finish();
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status:?}");
    assert!(
        !events
            .iter()
            .any(|event| matches!(step(event), "done" | "ended")),
        "{events:?}"
    );

    let deadline = Instant::now() + DEADLINE;
    loop {
        let running: Vec<i32> = children
            .iter()
            .copied()
            .filter(|child| still_running(*child))
            .collect();
        if running.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "children still running after kill -9 procdemo: {:?}",
            running
                .iter()
                .map(|child| (child, proc_stat(*child)))
                .collect::<Vec<_>>()
        );
        thread::sleep(Duration::from_millis(10));
    }
    assert_no_leftovers(&pids_seen(&events));
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
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "stderr must be one line: {stderr:?}");
    assert!(
        lines[0].contains("interrupted") && lines[0].contains("SIGINT"),
        "{stderr:?}"
    );
    assert_no_leftovers(&children);
}
