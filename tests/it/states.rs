//! `procdemo states`: each letter read from `/proc/<pid>/stat` at its step
//! (R, S, T, R, Z, gone after reaping, R for every competing spinner, D in
//! a vfork parent), run-queue waits and context switches from the
//! scheduler's counters, an observer outside procdemo that sees the same
//! letters while the lesson holds at each step, and interrupts and
//! `kill -9` that leave nothing running.

use std::io::Write;
use std::process::{ChildStdin, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, LessonRun, Live, PINNED, UNPINNED, assert_no_leftovers, check_interrupted,
    check_kill_9, children_of, done_of, held_at_question, only, pids_seen, proc_stat, procdemo,
    report, run_behind, step,
};
use nix::sched::{CpuSet, sched_getaffinity};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::states::{
    Continued, Ready, Reaped, Running, Sleeping, SpinnerStarts, Stopped, ThreeStates,
    Uninterruptible, VforkEnds, Zombie,
};
use serde_json::Value;

const ARGS: &[&str] = &["states", "--json", "--pace", "0", "--lang", "en"];

/// The lesson's steps, in order.
const STEPS: [&str; 12] = [
    "spinner-starts",
    "running",
    "sleeping",
    "stopped",
    "zombie",
    "continued",
    "reaped",
    "ready",
    "uninterruptible",
    "three-states",
    "vfork-ends",
    "done",
];

/// The CPUs this test may use; procdemo, started from it, inherits them.
fn usable_cpus() -> usize {
    let set = sched_getaffinity(Pid::from_raw(0)).expect("sched_getaffinity");
    (0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .count()
}

#[test]
fn each_step_reads_the_letter_it_shows() {
    let run = LessonRun::run("states", &[]);
    run.assert_steps_in_order(&STEPS);
    let events = &run.events;
    let starts: SpinnerStarts = report(only(events, "spinner-starts"));
    assert_eq!(starts.usable_cpus, usable_cpus());

    let running: Running = report(only(events, "running"));
    assert_eq!(running.state, "R");
    assert_eq!(running.wchan, "0", "a running process waits nowhere");
    assert!(running.run_us > 0);

    let sleeping: Sleeping = report(only(events, "sleeping"));
    assert_eq!(sleeping.state, "S");
    assert_eq!(
        sleeping.wchan_named,
        !sleeping.wchan.is_empty() && sleeping.wchan != "0"
    );
    assert_ne!(sleeping.child_pid, running.child_pid);

    let stopped: Stopped = report(only(events, "stopped"));
    assert_eq!(
        (stopped.child_pid, stopped.state.as_str()),
        (running.child_pid, "T")
    );
    assert_eq!(stopped.signal, "SIGSTOP");
    let continued: Continued = report(only(events, "continued"));
    assert_eq!(
        (continued.child_pid, continued.state.as_str()),
        (running.child_pid, "R")
    );
    let zombie: Zombie = report(only(events, "zombie"));
    assert_eq!(
        (zombie.child_pid, zombie.state.as_str()),
        (sleeping.child_pid, "Z")
    );
    let reaped: Reaped = report(only(events, "reaped"));
    assert_eq!(reaped.python_exitcode, -15, "SIGTERM, as terminate()");
    assert!(!reaped.proc_entry_exists);

    let d: Uninterruptible = report(only(events, "uninterruptible"));
    assert_eq!(d.state, "D", "a vfork parent sleeps uninterruptibly");
    assert_eq!(d.state_after_sigstop, "D", "SIGSTOP waits");
    assert_eq!(d.vfork_child_state, "S", "the vfork child waits at a pipe");
    let ends: VforkEnds = report(only(events, "vfork-ends"));
    assert_eq!(ends.vfork_parent_pid, d.vfork_parent_pid);
    assert_eq!(ends.state_before, "D", "held through three-states");
    assert_eq!(ends.state, "T", "the held-back SIGSTOP arrives");
    assert_eq!(ends.python_exitcode, 0);

    let map: ThreeStates = report(only(events, "three-states"));
    assert_eq!(map.running, "R");
    assert_eq!(map.ready, "R");
    assert_eq!(map.waiting, "S, D");
    assert_eq!(map.stopped, "T");
    assert_eq!(map.ended, "Z");
    assert!(map.machine_now.contains("S "), "{}", map.machine_now);

    // A spinner, a sleeper, one spinner more than the CPUs, the vfork
    // parent and its child, each reaped.
    let started = 2 + usable_cpus() as u64 + 1 + 2;
    let done = done_of(events, run.procdemo, started);
    let text = done.tree.to_string();
    assert!(text.contains("vfork-child"), "{text}");
    for pid in [
        running.child_pid,
        sleeping.child_pid,
        d.vfork_parent_pid,
        d.vfork_child_pid,
    ] {
        assert!(proc_stat(pid).is_none_or(|(comm, _)| comm != "procdemo"));
    }
}

/// Pinned to one CPU, two spinners share it: both are `R` at every
/// reading, both waited in the run queue, and both were switched out by
/// force far more often than they gave up the CPU; the sleeper gave it up
/// itself.
#[test]
fn pinned_spinners_are_all_r_and_wait_in_the_run_queue() {
    let run = run_behind(PINNED, ARGS);
    let ready: Ready = report(only(&run.events, "ready"));
    assert_eq!((ready.usable_cpus, ready.spinners), (1, 2), "{ready:?}");
    assert!(ready.all_runnable, "{ready:?}");
    assert_eq!(ready.letters_seen, "R");
    assert!(ready.samples >= 2, "{ready:?}");
    for (index, wait) in ready.wait_ms.iter().enumerate() {
        assert!(*wait > 0, "spinner {index} never waited: {ready:?}");
        assert!(
            ready.nonvoluntary[index] > ready.voluntary[index],
            "spinner {index}: {ready:?}"
        );
    }
    assert_eq!(ready.total_wait_ms, ready.wait_ms.iter().sum::<u64>());
    // It went to sleep once: a voluntary switch (pinned beside a spinner,
    // it may also have been preempted before).
    assert!(ready.sleeper_voluntary >= 1, "{ready:?}");
}

#[test]
fn unpinned_there_is_one_spinner_more_than_cpus_and_they_wait() {
    let run = run_behind(UNPINNED, ARGS);
    let ready: Ready = report(only(&run.events, "ready"));
    assert_eq!(ready.usable_cpus, usable_cpus());
    assert_eq!(ready.spinners, usable_cpus() + 1);
    assert_eq!(ready.spinner_pids.len(), ready.spinners);
    assert_eq!(ready.letters_seen, "R", "{ready:?}");
    assert!(ready.total_wait_ms > 0, "{ready:?}");
    assert!(ready.window_ms >= 300, "{ready:?}");
}

/// The one letter of `/proc/<pid>/stat` that `state` (as a step reports
/// it) holds.
fn letter(state: &str) -> char {
    let mut letters = state.chars();
    let first = letters.next().expect("a state");
    assert_eq!(letters.next(), None, "one letter: {state}");
    first
}

/// procdemo's children and grandchildren now, with their states, by pid.
fn descendants(procdemo: i32) -> Vec<(i32, char)> {
    let mut found = Vec::new();
    let mut parents = vec![procdemo];
    while let Some(parent) = parents.pop() {
        for child in children_of(parent) {
            if let Some((_, state)) = proc_stat(child) {
                found.push((child, state));
            }
            parents.push(child);
        }
    }
    found.sort_unstable();
    found
}

/// The steps with a question, in order (every step but the first, the
/// summary and `done`): the lesson asks each one before it acts for that
/// step.
fn quizzes() -> impl Iterator<Item = &'static str> {
    STEPS
        .into_iter()
        .filter(|step| !matches!(*step, "spinner-starts" | "three-states" | "done"))
}

/// What the processes of the lesson are after `event` (the step `quiz`),
/// as that step's text says: `before` changed by the step's action, with
/// the letters the step reports.
fn after_step(quiz: &str, event: &Value, mut before: Vec<(i32, char)>) -> Vec<(i32, char)> {
    let mut set = |pid: i32, state: &str| {
        before.retain(|(known, _)| *known != pid);
        before.push((pid, letter(state)));
    };
    match quiz {
        "running" => {
            let facts: Running = report(event);
            set(facts.child_pid, &facts.state);
        }
        "sleeping" => {
            let facts: Sleeping = report(event);
            set(facts.child_pid, &facts.state);
        }
        "stopped" => {
            let facts: Stopped = report(event);
            set(facts.child_pid, &facts.state);
        }
        "zombie" => {
            let facts: Zombie = report(event);
            set(facts.child_pid, &facts.state);
        }
        "continued" => {
            let facts: Continued = report(event);
            set(facts.child_pid, &facts.state);
        }
        "reaped" => {
            let facts: Reaped = report(event);
            assert!(!facts.proc_entry_exists);
            before.retain(|(pid, _)| *pid != facts.child_pid);
        }
        "ready" => {
            // The first spinner ended before the crowd; the crowd runs on.
            let facts: Ready = report(event);
            before = facts.spinner_pids.iter().map(|&pid| (pid, 'R')).collect();
        }
        "uninterruptible" => {
            // The crowd ended before the vfork parent started.
            let facts: Uninterruptible = report(event);
            before = vec![
                (facts.vfork_parent_pid, letter(&facts.state)),
                (facts.vfork_child_pid, letter(&facts.vfork_child_state)),
            ];
        }
        "vfork-ends" => before.clear(),
        other => panic!("no question at {other}"),
    }
    before.sort_unstable();
    before
}

/// With `--quiz` and answers from a pipe, the lesson asks each step's
/// question before it acts for that step: the step shown before still
/// holds then. At every question the test reads `/proc` itself, twice,
/// and finds every process the step shown speaks about in the state that
/// step says (the spinner still `T` while `zombie` is shown, the sleeper
/// still `Z` during `continued`, the crowd of spinners `R` during `ready`,
/// the vfork parent `D` during `three-states`), and nothing more.
#[test]
fn an_outside_observer_sees_each_step_while_it_is_shown() {
    let mut command = procdemo(&["states", "--json", "--quiz", "--pace", "0", "--lang", "en"]);
    command.stdin(Stdio::piped());
    let mut live = Live::spawn_command(command);
    let mut answers = live.child.stdin.take().expect("stdin");
    let procdemo_pid = live.pid();
    let starts = live.read_until("spinner-starts");
    let mut expected = vec![(crate::common::pid(&starts), 'R')];
    let mut seen_at = Vec::new();
    for quiz in quizzes() {
        let question = live.read_until("quiz-question");
        assert_eq!(question["facts"]["quiz"], quiz, "{question}");
        // Held: the same states a moment later.
        for _ in 0..2 {
            assert_eq!(
                descendants(procdemo_pid),
                expected,
                "at {quiz}'s question, before its action"
            );
            thread::sleep(Duration::from_millis(30));
        }
        let mut letters: Vec<char> = expected.iter().map(|(_, state)| *state).collect();
        letters.sort_unstable();
        seen_at.push((quiz, letters.into_iter().collect::<String>()));
        answers.write_all(b"1\n").expect("answer");
        let event = live.read_until(quiz);
        expected = after_step(quiz, &event, expected);
    }
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    let crowd = "R".repeat(usable_cpus() + 1);
    let held: Vec<(&str, &str)> = seen_at
        .iter()
        .map(|(quiz, letters)| (*quiz, letters.as_str()))
        .collect();
    // Sorted letters of the processes seen at each question.
    assert_eq!(
        held,
        [
            ("running", "R"),
            ("sleeping", "R"),
            ("stopped", "RS"),
            ("zombie", "ST"),
            ("continued", "TZ"),
            ("reaped", "RZ"),
            ("ready", "R"),
            ("uninterruptible", crowd.as_str()),
            ("vfork-ends", "DS"),
        ]
    );
}

/// A run held at `quiz`'s question (answers from a pipe, returned: the
/// lesson waits while it is open), with the processes running then.
fn held_at(quiz: &str) -> (Live, Vec<i32>, ChildStdin) {
    let (live, answers) = held_at_question(&["states"], quiz);
    let running = descendants(live.pid())
        .iter()
        .map(|(pid, _)| *pid)
        .collect();
    (live, running, answers)
}

#[test]
fn interrupts_at_each_held_state_leave_nothing() {
    let cases = [
        ("running", Signal::SIGINT, 130, 1),
        ("sleeping", Signal::SIGTERM, 143, 1),
        ("zombie", Signal::SIGINT, 130, 2),
        ("continued", Signal::SIGTERM, 143, 2),
        ("uninterruptible", Signal::SIGINT, 130, 4),
        ("vfork-ends", Signal::SIGTERM, 143, 6),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(quiz, signal, code, started)| {
            thread::spawn(move || {
                // `_answers` stays open: the lesson waits for an answer.
                let (live, running, _answers) = held_at(quiz);
                assert!(!running.is_empty(), "{quiz}: nothing ran");
                kill(Pid::from_raw(live.pid()), signal).expect("kill");
                check_interrupted(live, signal, code, started, &running);
            })
        })
        .collect();
    for run in runs {
        run.join().expect("an interrupted run");
    }
}

/// Pace 20: the spinners compete for 20 s; the signal comes while they do.
#[test]
fn an_interrupt_while_spinners_compete_leaves_none() {
    let mut live = Live::spawn(&["states", "--json", "--pace", "20", "--lang", "en"]);
    live.read_until("reaped");
    let procdemo_pid = live.pid();
    let deadline = Instant::now() + DEADLINE;
    // One spinner more than the CPUs, all running (the first spinner and
    // the sleeper have ended by then).
    let running = loop {
        let now = descendants(procdemo_pid);
        if now.len() == usable_cpus() + 1 && now.iter().all(|(_, state)| *state == 'R') {
            break now.iter().map(|(pid, _)| *pid).collect::<Vec<_>>();
        }
        assert!(Instant::now() < deadline, "the spinners never ran: {now:?}");
        thread::sleep(Duration::from_millis(5));
    };
    kill(Pid::from_raw(procdemo_pid), Signal::SIGTERM).expect("kill");
    let events = check_interrupted(live, Signal::SIGTERM, 143, 2, &running);
    assert!(!events.iter().any(|event| step(event) == "ready"));
}

/// At `vfork-ends`' question, `three-states` is shown: the vfork parent
/// still waits in `D`.
#[test]
fn kill_9_in_the_vfork_wait_leaves_nothing() {
    let (live, running, _answers) = held_at("vfork-ends");
    assert_eq!(running.len(), 2, "the vfork parent and child: {running:?}");
    check_kill_9(live, &running, "the vfork parent or child");
}

#[test]
fn kill_9_while_spinners_compete_leaves_nothing() {
    let mut live = Live::spawn(&["states", "--json", "--pace", "20", "--lang", "en"]);
    live.read_until("reaped");
    let deadline = Instant::now() + DEADLINE;
    let running = loop {
        let now = descendants(live.pid());
        if now.len() == usable_cpus() + 1 && now.iter().all(|(_, state)| *state == 'R') {
            break now.iter().map(|(pid, _)| *pid).collect::<Vec<_>>();
        }
        assert!(
            Instant::now() < deadline,
            "the spinners never started: {now:?}"
        );
        thread::sleep(Duration::from_millis(5));
    };
    check_kill_9(live, &running, "a spinner or the sleeper");
}

/// The vfork parent killed from outside while `three-states` is shown: it
/// never wakes, so `vfork-ends` reports it ended (`Z`, -9) and procdemo
/// reaps it and its child, leaving nothing.
#[test]
fn a_vfork_parent_killed_from_outside_is_told_as_ended() {
    let (mut live, running, mut answers) = held_at("vfork-ends");
    let (parent, _) = *descendants(live.pid())
        .iter()
        .find(|(_, state)| *state == 'D')
        .expect("the vfork parent in D");
    kill(Pid::from_raw(parent), Signal::SIGKILL).expect("kill -9 the vfork parent");
    let deadline = Instant::now() + DEADLINE;
    while proc_stat(parent).is_some_and(|(_, state)| state != 'Z') {
        assert!(Instant::now() < deadline, "the vfork parent never ended");
        thread::sleep(Duration::from_millis(2));
    }
    answers.write_all(b"2\n").expect("answer");
    drop(answers);
    let ends: VforkEnds = report(&live.read_until("vfork-ends"));
    assert_eq!(ends.vfork_parent_pid, parent);
    assert_eq!(
        (ends.state_before.as_str(), ends.state.as_str()),
        ("Z", "Z")
    );
    assert_eq!(ends.python_exitcode, -9);
    let procdemo_pid = live.pid();
    let (status, events, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    let started = 2 + usable_cpus() as u64 + 1 + 2;
    let done = done_of(&events, procdemo_pid, started);
    assert!(done.tree.to_string().contains("adopted"), "{}", done.tree);
    let mut pids = pids_seen(&events);
    pids.extend_from_slice(&running);
    assert_no_leftovers(&pids);
}
