//! `procdemo states`: each letter read from `/proc/<pid>/stat` at its step
//! (R, S, T, R, Z, gone after reaping, R for every competing spinner, D in
//! a vfork parent), run-queue waits and context switches from the
//! scheduler's counters, an observer outside procdemo that sees the same
//! letters while the lesson holds at each step, and interrupts and
//! `kill -9` that leave nothing running.

use std::io::Write;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, LessonRun, Live, PINNED, UNPINNED, check_interrupted, check_kill_9, children_of,
    done_of, only, proc_stat, procdemo, report, run_behind, step,
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
    run.assert_steps_in_order(&[
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
    ]);
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

/// Whose state a quiz's step is about, and the letter the lesson says.
fn subject(event: &Value) -> (i32, String) {
    match step(event) {
        "running" => {
            let facts: Running = report(event);
            (facts.child_pid, facts.state)
        }
        "sleeping" => {
            let facts: Sleeping = report(event);
            (facts.child_pid, facts.state)
        }
        "stopped" => {
            let facts: Stopped = report(event);
            (facts.child_pid, facts.state)
        }
        "zombie" => {
            let facts: Zombie = report(event);
            (facts.child_pid, facts.state)
        }
        "uninterruptible" => {
            let facts: Uninterruptible = report(event);
            (facts.vfork_parent_pid, facts.state)
        }
        other => panic!("no subject for {other}"),
    }
}

/// procdemo's children and grandchildren now, with their states.
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
    found
}

/// With `--quiz` and answers from a pipe, the lesson waits for an answer
/// before each step that has a question, while the child holds the state
/// that step shows. The test reads `/proc` itself then, answers, and finds
/// the same letter in the step's event.
#[test]
fn an_outside_observer_sees_each_letter_while_the_lesson_holds() {
    let mut command = procdemo(&["states", "--json", "--quiz", "--pace", "0", "--lang", "en"]);
    command.stdin(Stdio::piped());
    let mut live = Live::spawn_command(command);
    let mut answers = live.child.stdin.take().expect("stdin");
    let procdemo_pid = live.pid();
    let mut checked = Vec::new();
    let mut shown: Option<(i32, String)> = None;
    for quiz in [
        "running",
        "sleeping",
        "stopped",
        "zombie",
        "ready",
        "uninterruptible",
    ] {
        let question = live.read_until("quiz-question");
        assert_eq!(question["facts"]["quiz"], quiz, "{question}");
        let seen = descendants(procdemo_pid);
        // The step shown last, followed straight by this question, still
        // holds its state while people read it.
        if let Some((pid, letter)) = shown.take()
            && matches!(quiz, "sleeping" | "stopped" | "zombie")
        {
            let held = seen.iter().find(|(child, _)| *child == pid);
            assert_eq!(
                held.map(|(_, state)| state.to_string()),
                Some(letter),
                "at {quiz}'s question: {seen:?}"
            );
        }
        // Held: the same states a moment later.
        thread::sleep(Duration::from_millis(30));
        let again = descendants(procdemo_pid);
        answers.write_all(b"1\n").expect("answer");
        let event = live.read_until(quiz);
        if quiz == "ready" {
            // Its spinners were read while they ran, then ended.
            continue;
        }
        let (pid, letter) = subject(&event);
        for states in [&seen, &again] {
            let observed = states
                .iter()
                .find(|(child, _)| *child == pid)
                .unwrap_or_else(|| panic!("{quiz}: {pid} not seen from outside: {states:?}"));
            assert_eq!(observed.1.to_string(), letter, "{quiz}: {event}");
        }
        shown = Some((pid, letter.clone()));
        checked.push(letter);
    }
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    assert_eq!(checked, ["R", "S", "T", "Z", "D"]);
}

/// A run held at `quiz`'s question (answers from a pipe that is never
/// written), with the processes running then.
fn held_at(quiz: &str) -> (Live, Vec<i32>) {
    let mut command = procdemo(&["states", "--json", "--quiz", "--pace", "0", "--lang", "en"]);
    command.stdin(Stdio::piped());
    let mut live = Live::spawn_command(command);
    let mut answers = live.child.stdin.take().expect("stdin");
    loop {
        let question = live.read_until("quiz-question");
        if question["facts"]["quiz"] == quiz {
            break;
        }
        answers.write_all(b"1\n").expect("answer");
    }
    // Kept open: the lesson waits for this answer.
    std::mem::forget(answers);
    let running = descendants(live.pid())
        .iter()
        .map(|(pid, _)| *pid)
        .collect();
    (live, running)
}

#[test]
fn interrupts_at_each_held_state_leave_nothing() {
    let cases = [
        ("running", Signal::SIGINT, 130, 1),
        ("sleeping", Signal::SIGTERM, 143, 2),
        ("stopped", Signal::SIGINT, 130, 2),
        ("zombie", Signal::SIGTERM, 143, 2),
        ("uninterruptible", Signal::SIGINT, 130, 6),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(quiz, signal, code, started)| {
            thread::spawn(move || {
                let (live, running) = held_at(quiz);
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

#[test]
fn kill_9_in_the_vfork_wait_leaves_nothing() {
    let (live, running) = held_at("uninterruptible");
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
