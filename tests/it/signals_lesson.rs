//! `procdemo signals`: SIGTERM and SIGKILL end children (-15, -9), SIGKILL
//! cannot be handled (EINVAL), SIGSTOP stops (T) and SIGCONT resumes, the
//! sets of `/proc/<pid>/status` decode to what the child set, a blocked
//! signal stays pending and two of them run the handler once, `sigqueue`
//! carries its value, SIGCHLD names the ended child, fork keeps handlers
//! and exec keeps only what is ignored, and `killpg` ends one group and
//! spares another; checked from the JSON events of real runs, from `/proc`
//! while the lesson waits at a question (each step holds until then), and
//! after interrupts. (`signals.rs` is about
//! procdemo's own stop signals.)

use std::io::Write;
use std::process::{ChildStdin, Command, Stdio};
use std::thread;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::common::{
    LessonRun, Live, check_interrupted, check_kill_9, children_of, only, pid, ppid, proc_stat,
    procdemo, report, role,
};
use procdemo::lessons::signals::{
    AcrossExec, AcrossFork, Continued, Groups, Handler, KillRefused, Killed, Killpg, Masks, OneBit,
    Pending, SetUp, Sigchld, Sigqueue, Stopped, Terminate,
};

/// The signals a mask of `/proc/<pid>/status` holds, by number (bit n-1 is
/// signal n), decoded here apart from procdemo's own decoding.
fn numbers(hex: &str) -> Vec<i32> {
    let mask = u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("not hex: {hex:?}"));
    (1..=64).filter(|n| mask & (1 << (n - 1)) != 0).collect()
}

fn names(numbers: &[i32]) -> Vec<String> {
    numbers
        .iter()
        .map(|n| Signal::try_from(*n).map_or(format!("signal {n}"), |s| s.as_str().to_string()))
        .collect()
}

fn has(list: &[String], name: &str) -> bool {
    list.iter().any(|item| item == name)
}

/// Runs the lesson in several threads at once (the scheduler varies), and
/// checks each run.
fn runs(count: usize) -> Vec<LessonRun> {
    let handles: Vec<_> = (0..count)
        .map(|_| thread::spawn(|| LessonRun::run("signals", &[])))
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("a run"))
        .collect()
}

#[test]
fn the_facts_of_every_step_hold() {
    for run in runs(3) {
        check_default_actions(&run);
        check_masks_and_pending(&run);
        check_sigchld_fork_and_exec(&run);
        check_groups(&run);
    }
}

fn check_default_actions(run: &LessonRun) {
    let term: Terminate = run.procdemo_report();
    assert_eq!(term.killed_by, Some(15), "{term:?}");
    assert_eq!(term.wait_status, 15, "{term:?}");
    assert_eq!(term.python_exitcode, -15, "{term:?}");

    let refused_event = only(&run.events, "kill-refused");
    run.assert_from_a_child(refused_event, "child");
    let refused: KillRefused = report(refused_event);
    assert_eq!(refused.handler_errno.as_deref(), Some("EINVAL"));
    assert_eq!(refused.ignore_errno.as_deref(), Some("EINVAL"));
    let killed: Killed = run.procdemo_report();
    assert_eq!(killed.child_pid, pid(refused_event), "the child that tried");
    assert_eq!(killed.killed_by, Some(9), "{killed:?}");
    assert_eq!(killed.python_exitcode, -9, "{killed:?}");

    let stop: Stopped = run.procdemo_report();
    assert_eq!(stop.state_before, "S", "{stop:?}");
    assert_eq!(stop.stopped_by, "SIGSTOP", "{stop:?}");
    assert_eq!(stop.state_stopped, "T", "{stop:?}");
    let cont: Continued = run.procdemo_report();
    assert_eq!(cont.child_pid, stop.child_pid);
    assert!(cont.continued_seen, "{cont:?}");
    assert_eq!(cont.state_after, "S", "asleep at its gate again: {cont:?}");
}

fn check_masks_and_pending(run: &LessonRun) {
    let set_up_event = only(&run.events, "set-up");
    run.assert_from_a_child(set_up_event, "child");
    let child = pid(set_up_event);
    let set_up: SetUp = report(set_up_event);
    let masks: Masks = run.procdemo_report();
    assert_eq!(masks.child_pid, child);
    // Decoded as the test decodes them, and holding what the child set.
    assert_eq!(masks.caught, names(&numbers(&masks.sig_cgt)), "{masks:?}");
    assert_eq!(masks.ignored, names(&numbers(&masks.sig_ign)), "{masks:?}");
    assert_eq!(masks.blocked, names(&numbers(&masks.sig_blk)), "{masks:?}");
    assert!(has(&masks.caught, &set_up.handled), "{masks:?}");
    assert!(has(&masks.ignored, &set_up.ignored), "{masks:?}");
    assert_eq!(masks.blocked, vec![set_up.blocked.clone()], "{masks:?}");
    assert_eq!(numbers(&masks.sig_pnd), Vec::<i32>::new());
    assert_eq!(numbers(&masks.shd_pnd), Vec::<i32>::new());

    let handler_event = only(&run.events, "handler");
    assert_eq!(pid(handler_event), child);
    let handler: Handler = report(handler_event);
    assert_eq!(handler.sent, ["SIGUSR1", "SIGUSR1", "SIGUSR2"]);
    assert!(
        matches!(handler.handler_runs, 1 | 2),
        "two SIGUSR1, merged or not: {handler:?}"
    );

    let pending: Pending = run.procdemo_report();
    assert_eq!(pending.child_pid, child);
    assert_eq!(pending.process_pending, ["SIGUSR1"], "{pending:?}");
    assert_eq!(numbers(&pending.shd_pnd), [10], "{pending:?}");
    assert!(pending.thread_pending.is_empty(), "{pending:?}");
    assert!(has(&pending.blocked, "SIGUSR1"), "{pending:?}");

    let one_bit: OneBit = report(only(&run.events, "one-bit"));
    assert_eq!(one_bit.sent_while_blocked, 2);
    assert_eq!(one_bit.runs_after_unblock, 1, "one bit: {one_bit:?}");

    let queued_event = only(&run.events, "sigqueue");
    assert_eq!(pid(queued_event), child);
    let queued: Sigqueue = report(queued_event);
    assert_eq!(queued.values_received, [42], "{queued:?}");
    assert_eq!(queued.sender_pids, [run.procdemo], "{queued:?}");
    assert_eq!(queued.parent_pid, run.procdemo);
}

fn check_sigchld_fork_and_exec(run: &LessonRun) {
    let chld: Sigchld = report(only(&run.events, "sigchld"));
    assert_eq!(chld.signal, "SIGCHLD");
    assert_eq!(chld.si_pid, chld.grandchild_pid, "{chld:?}");
    assert_eq!(chld.si_code, "CLD_EXITED", "{chld:?}");
    assert_eq!(chld.si_status, 3, "{chld:?}");

    let fork_event = only(&run.events, "across-fork");
    assert_eq!(role(fork_event), "grandchild");
    let fork: AcrossFork = report(fork_event);
    assert!(has(&fork.parent_caught, "SIGUSR1"), "{fork:?}");
    assert!(has(&fork.parent_ignored, "SIGUSR2"), "{fork:?}");
    assert_eq!(fork.caught, fork.parent_caught, "{fork:?}");
    assert_eq!(fork.ignored, fork.parent_ignored, "{fork:?}");
    assert!(fork.same_caught && fork.same_ignored, "{fork:?}");

    let exec_event = only(&run.events, "across-exec");
    // The process that forked the grandchild, after its exec.
    assert_eq!(pid(exec_event), ppid(fork_event));
    assert_eq!(ppid(exec_event), run.procdemo);
    let exec: AcrossExec = report(exec_event);
    assert!(!has(&exec.caught, "SIGUSR1"), "{exec:?}");
    assert!(has(&exec.ignored, "SIGUSR2"), "{exec:?}");
    assert!(!exec.handler_kept && exec.ignore_kept, "{exec:?}");
}

fn check_groups(run: &LessonRun) {
    let groups: Groups = run.procdemo_report();
    assert_ne!(groups.group, groups.procdemo_pgid, "{groups:?}");
    assert_eq!(
        groups.group, groups.members[0],
        "led by the first: {groups:?}"
    );
    assert_eq!(groups.member_groups, [groups.group; 2], "{groups:?}");
    assert_eq!(groups.spared_group, groups.spared_pid, "{groups:?}");
    assert_ne!(groups.spared_group, groups.group, "{groups:?}");
    let killpg: Killpg = run.procdemo_report();
    assert_eq!(killpg.signal, "SIGINT");
    assert_eq!(killpg.group, groups.group);
    assert_eq!(killpg.member_exitcodes, [-2, -2], "{killpg:?}");
    assert_eq!(killpg.spared_state, "S", "{killpg:?}");
    assert_eq!(killpg.spared_exitcode, 0, "{killpg:?}");
}

/// `/proc/<pid>/status`'s `field`.
fn status_field(pid: i32, field: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .trim()
        .to_string()
}

/// `/proc/<pid>/stat`'s process group.
fn pgrp(pid: i32) -> i32 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = &text[text.rfind(')').expect(")") + 1..];
    after
        .split_whitespace()
        .nth(2)
        .expect("pgrp")
        .parse()
        .expect("a number")
}

fn state(pid: i32) -> Option<char> {
    proc_stat(pid).map(|(_, state)| state)
}

/// A run with `--quiz` and answers from a pipe: the lesson asks each
/// question before it acts for that step, so the step before stays as it
/// was shown until the answer comes.
struct Quizzed {
    live: Live,
    answers: Option<ChildStdin>,
}

impl Quizzed {
    fn spawn(mut command: Command) -> Self {
        command.stdin(Stdio::piped());
        let mut live = Live::spawn_command(command);
        let answers = live.child.stdin.take();
        Self { live, answers }
    }

    fn start() -> Self {
        Self::spawn(procdemo(QUIZZED))
    }

    /// Reads up to the question of `step`, answering the ones before.
    fn question_of(&mut self, step: &str) {
        loop {
            let question = self.live.read_until("quiz-question");
            if question["facts"]["quiz"] == step {
                return;
            }
            self.answer();
        }
    }

    fn answer(&mut self) {
        let answers = self.answers.as_mut().expect("stdin open");
        answers.write_all(b"1\n").expect("answer");
    }

    /// The last event of `step` read so far.
    fn seen(&self, step: &str) -> Value {
        self.live
            .events
            .iter()
            .rev()
            .find(|event| crate::common::step(event) == step)
            .unwrap_or_else(|| panic!("no {step} yet"))
            .clone()
    }
}

const QUIZZED: &[&str] = &["signals", "--json", "--quiz", "--pace", "0", "--lang", "en"];

/// While the lesson asks the question of a step, what `/proc` shows from
/// outside is what the step before said, and still is a moment later; each
/// step's facts then match. SIGTERM at the last question ends the run with
/// nothing left, children in other process groups included.
#[test]
fn an_outside_observer_sees_what_the_lesson_says() {
    let mut run = Quizzed::start();
    let procdemo = run.live.pid();

    // `terminate` is on screen: its child is reaped, the next not forked.
    run.question_of("kill-refused");
    let term: Terminate = report(&run.seen("terminate"));
    assert_eq!(state(term.child_pid), None, "{term:?}");
    assert_eq!(
        children_of(procdemo),
        Vec::<i32>::new(),
        "nothing forked yet"
    );
    run.answer();

    // `stopped` is on screen: its child stays in T.
    run.question_of("continued");
    let stopped: Stopped = report(&run.seen("stopped"));
    for _ in 0..2 {
        assert_eq!(state(stopped.child_pid), Some('T'), "{stopped:?}");
        thread::sleep(Duration::from_millis(30));
    }
    run.answer();
    let cont: Continued = report(&run.live.read_until("continued"));
    assert_eq!(cont.child_pid, stopped.child_pid);
    assert_eq!(cont.state_after, "S", "{cont:?}");

    // `masks` is on screen: the sets are as read, nothing pending yet.
    run.question_of("handler");
    let masks: Masks = report(&run.seen("masks"));
    let child = masks.child_pid;
    for _ in 0..2 {
        assert_eq!(state(child), Some('S'));
        assert_eq!(status_field(child, "SigCgt"), masks.sig_cgt);
        assert_eq!(status_field(child, "SigIgn"), masks.sig_ign);
        assert_eq!(status_field(child, "SigBlk"), masks.sig_blk);
        assert_eq!(names(&numbers(&status_field(child, "SigBlk"))), ["SIGTERM"]);
        assert_eq!(numbers(&status_field(child, "ShdPnd")), Vec::<i32>::new());
        thread::sleep(Duration::from_millis(30));
    }
    run.answer();

    // `pending` is on screen: SIGUSR1 stays pending, blocked.
    run.question_of("one-bit");
    let pending: Pending = report(&run.seen("pending"));
    assert_eq!(pending.child_pid, child);
    for _ in 0..2 {
        assert_eq!(numbers(&status_field(child, "ShdPnd")), [10], "SIGUSR1");
        assert_eq!(status_field(child, "SigBlk"), pending.sig_blk);
        thread::sleep(Duration::from_millis(30));
    }
    run.answer();
    let one_bit: OneBit = report(&run.live.read_until("one-bit"));
    assert_eq!(one_bit.runs_after_unblock, 1, "{one_bit:?}");

    // `across-fork` is on screen: the grandchild's parent has not called
    // exec yet, and still catches SIGUSR1.
    run.question_of("across-exec");
    let forker = ppid(&run.seen("across-fork"));
    for _ in 0..2 {
        assert!(
            numbers(&status_field(forker, "SigCgt")).contains(&10),
            "{forker} before exec"
        );
        thread::sleep(Duration::from_millis(30));
    }
    run.answer();
    let exec_event = run.live.read_until("across-exec");
    assert_eq!(pid(&exec_event), forker);
    let exec: AcrossExec = report(&exec_event);
    assert!(!exec.handler_kept, "{exec:?}");

    // `groups` is on screen: both groups stand, every child asleep.
    run.question_of("killpg");
    let groups: Groups = report(&run.seen("groups"));
    for _ in 0..2 {
        for member in &groups.members {
            assert_eq!(pgrp(*member), groups.group, "member {member}");
            assert_eq!(state(*member), Some('S'), "member {member}");
        }
        assert_eq!(pgrp(groups.spared_pid), groups.spared_pid);
        assert_eq!(state(groups.spared_pid), Some('S'));
        assert_ne!(pgrp(procdemo), groups.group);
        thread::sleep(Duration::from_millis(30));
    }
    // Then SIGTERM while those children are in groups of their own.
    let mut running = children_of(procdemo);
    running.extend(&groups.members);
    running.push(groups.spared_pid);
    kill(Pid::from_raw(procdemo), Signal::SIGTERM).expect("send SIGTERM");
    check_interrupted(run.live, Signal::SIGTERM, 143, 1, &running);
}

/// Held at `step`'s question (the answer never comes) with `command`, and
/// procdemo's children then (none has a child of its own at those steps).
fn held_at(command: Command, step: &str) -> (Live, Vec<i32>) {
    let mut run = Quizzed::spawn(command);
    run.question_of(step);
    // Kept open: the lesson waits for this answer.
    std::mem::forget(run.answers.take());
    let running = children_of(run.live.pid());
    (run.live, running)
}

/// Interrupted at `step`'s question by `signal` (exit `code`): the
/// children alive then are gone afterwards.
fn interrupted_at(step: &str, signal: Signal, code: i32) -> Vec<Value> {
    let (live, running) = held_at(procdemo(QUIZZED), step);
    assert!(!running.is_empty(), "children run at {step}'s question");
    kill(Pid::from_raw(live.pid()), signal).expect("send the signal");
    check_interrupted(live, signal, code, 1, &running)
}

#[test]
fn interrupts_at_several_steps_leave_nothing() {
    let cases = [
        // The child stopped (T).
        ("continued", Signal::SIGINT, 130),
        // The child with its handler, sets and gate.
        ("handler", Signal::SIGINT, 130),
        // SIGUSR1 pending in the child.
        ("one-bit", Signal::SIGTERM, 143),
        // Children in two process groups of their own.
        ("killpg", Signal::SIGINT, 130),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(step, signal, code)| thread::spawn(move || interrupted_at(step, signal, code)))
        .collect();
    for handle in handles {
        handle.join().expect("an interrupted run");
    }
}

/// Ctrl-C as a terminal sends it, to procdemo's whole group, while two
/// children sit in a group of their own that the terminal's SIGINT does not
/// reach: procdemo's cleanup ends them.
#[test]
fn sigint_to_procdemo_s_group_ends_the_children_of_other_groups_too() {
    use std::os::unix::process::CommandExt;
    let mut command = procdemo(QUIZZED);
    // procdemo leads a group of its own here, so that the test sends
    // SIGINT to that group and never to its own.
    command.process_group(0);
    let (live, mut running) = held_at(command, "killpg");
    let procdemo = live.pid();
    assert_eq!(pgrp(procdemo), procdemo);
    let groups: Groups = report(
        live.events
            .iter()
            .rev()
            .find(|event| crate::common::step(event) == "groups")
            .expect("groups"),
    );
    running.extend(&groups.members);
    nix::sys::signal::killpg(Pid::from_raw(procdemo), Signal::SIGINT).expect("killpg");
    check_interrupted(live, Signal::SIGINT, 130, 1, &running);
}

/// `kill -9` on procdemo while two children sit in a group of their own:
/// it cannot clean up, but every child dies with it (parent-death signal).
#[test]
fn kill_9_while_children_are_in_other_groups_leaves_nothing() {
    let (live, running) = held_at(procdemo(QUIZZED), "killpg");
    assert!(running.len() >= 3, "{running:?}");
    check_kill_9(live, &running, "children in other process groups");
}
