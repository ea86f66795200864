//! Counts that never drift: every lesson of the course, interrupted with
//! SIGINT right after its k-th event line for k across the whole lesson,
//! ends with exit 130 and an `ended` event that counts as many processes
//! reaped as started, and leaves no process and no message queue behind.
//!
//! The lessons run at `--pace 0`, so near their end a lesson may finish
//! before the signal arrives: its last lines are often written together
//! with `done`. Such a run must end like any finished run (exit 0, `done`
//! last, the same two counts equal); each lesson must still be interrupted
//! at some k.
//!
//! The `daemon` lesson holds its first part back until that part is over,
//! so no event line comes during it: a test of its own interrupts it right
//! after procdemo's third fork, found from `/proc`, while the first child
//! forks, waits for and reaps a child of its own.
//!
//! The soak (`cargo test --test it drift:: -- --ignored`) interrupts 300 runs of
//! random lessons at random event lines, half of them after a random delay
//! of up to a millisecond more; `DRIFT_SEED` repeats a soak whose seed it
//! printed.

use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    LessonRun, Live, assert_no_leftovers, assert_no_queue_left, children_of, interrupted_line,
    listed_lessons, pid, pids_seen, report, step,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::model::{Done, Ended};

/// At most this many event lines of one lesson are interrupted at; the
/// rest of the lesson's lines are skipped evenly, so that the whole test
/// stays within some seconds on two busy cores.
const MOST_POSITIONS: usize = 8;

/// How many times the daemonic race is interrupted: it used to drift about
/// one time in four.
const RACE_RUNS: usize = 20;

const SOAK_RUNS: usize = 300;

/// A lesson of the course and how many event lines a whole run of it writes.
struct Lesson {
    id: String,
    lines: usize,
}

/// How an interrupted run ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    Interrupted,
    /// The lesson reached `done` before the signal came.
    Finished,
}

/// Every lesson `procdemo list --json` names, each run once to its end to
/// count its lines.
fn course() -> Vec<Lesson> {
    let listed = listed_lessons("en");
    two_at_a_time(&listed, |listed| {
        let id = listed["lesson"]
            .as_str()
            .unwrap_or_else(|| panic!("a listed lesson without an id: {listed}"))
            .to_string();
        let lines = LessonRun::run(&id, &[]).events.len();
        Lesson { id, lines }
    })
}

/// The event lines to interrupt at: from the first to the one before `done`,
/// at most `MOST_POSITIONS` of them, spread evenly.
fn positions(lines: usize) -> Vec<usize> {
    let last = lines.saturating_sub(1).max(1);
    let count = last.min(MOST_POSITIONS);
    let mut positions: Vec<usize> = (0..count)
        .map(|at| 1 + at * (last - 1) / (count - 1).max(1))
        .collect();
    positions.dedup();
    positions
}

/// Runs `lesson`, sends SIGINT right after its `k`-th event line (and
/// `delay`), and checks how it ended.
fn interrupt_after_line(lesson: &str, k: usize, delay: Duration) -> Ending {
    let mut live = Live::spawn(&[lesson, "--json", "--pace", "0", "--lang", "en"]);
    if live.read_to_count(k) {
        thread::sleep(delay);
        send_sigint(&live);
    }
    check_ending(live, &format!("{lesson}, SIGINT after line {k}"))
}

fn send_sigint(live: &Live) {
    kill(Pid::from_raw(live.pid()), Signal::SIGINT).expect("send SIGINT");
}

/// Waits for the end of `live`, to which SIGINT may have come too late,
/// and checks it: interrupted (exit 130, `ended` last, one line on stderr)
/// or finished (exit 0, `done` last); either way as many processes reaped
/// as started, and nothing of the run left.
fn check_ending(live: Live, what: &str) -> Ending {
    let procdemo = live.pid();
    // Whatever runs now must be gone once procdemo has exited.
    let running = descendants(procdemo);
    let (status, events, stderr) = live.finish();
    let shown = format!("{what}: status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    let last = events
        .last()
        .unwrap_or_else(|| panic!("no events: {shown}"));
    assert_eq!(pid(last), procdemo, "{shown}");
    // (how it ended, processes started, processes reaped)
    let (ending, started, reaped) = match (status.code(), step(last)) {
        (Some(130), "ended") => {
            let ended: Ended = report(last);
            assert_eq!(ended.reason, "SIGINT", "{shown}");
            interrupted_line(&stderr, "SIGINT");
            (
                Ending::Interrupted,
                ended.processes_started,
                ended.processes_reaped,
            )
        }
        (Some(0), "done") => {
            let done: Done = report(last);
            (
                Ending::Finished,
                done.processes_started,
                done.processes_reaped,
            )
        }
        _ => panic!(
            "neither interrupted nor finished (signal {:?}): {shown}",
            status.signal()
        ),
    };
    assert_eq!(reaped, started, "the counts drifted: {shown}");
    let mut pids = pids_seen(&events);
    pids.extend(running);
    assert_no_leftovers(&pids);
    assert_no_queue_left(procdemo);
    ending
}

/// `pid`'s descendants as `/proc` lists them now.
fn descendants(pid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        for child in children_of(parent) {
            found.push(child);
            parents.push(child);
        }
    }
    found
}

#[test]
fn every_lesson_interrupted_anywhere_reaps_as_many_as_it_started() {
    let started = Instant::now();
    let course = course();
    assert!(!course.is_empty(), "procdemo list names no lesson");
    let runs: Vec<Run> = course
        .iter()
        .flat_map(|lesson| {
            positions(lesson.lines).into_iter().map(move |line| Run {
                lesson,
                line,
                delay: Duration::ZERO,
            })
        })
        .collect();
    let tally = interrupt_all(&course, &runs);
    eprintln!(
        "{} runs in {:.1} s, {}",
        runs.len(),
        started.elapsed().as_secs_f64(),
        summary(&tally)
    );
    for (lesson, interrupted, _) in tally {
        assert!(
            interrupted > 0,
            "{}: every run finished before the signal came",
            lesson.id
        );
    }
}

/// One run to interrupt: SIGINT after this line of this lesson, and then
/// this long.
struct Run<'a> {
    lesson: &'a Lesson,
    line: usize,
    delay: Duration,
}

/// Checks every run of `runs`; returns, per lesson of `course`, how many
/// of its runs were interrupted and how many there were.
fn interrupt_all<'a>(course: &'a [Lesson], runs: &[Run]) -> Vec<(&'a Lesson, usize, usize)> {
    let endings = two_at_a_time(runs, |run| {
        interrupt_after_line(&run.lesson.id, run.line, run.delay)
    });
    course
        .iter()
        .map(|lesson| {
            let of_lesson: Vec<&Ending> = runs
                .iter()
                .zip(&endings)
                .filter(|(run, _)| run.lesson.id == lesson.id)
                .map(|(_, ending)| ending)
                .collect();
            let interrupted = of_lesson
                .iter()
                .filter(|ending| ***ending == Ending::Interrupted)
                .count();
            (lesson, interrupted, of_lesson.len())
        })
        .collect()
}

fn summary(tally: &[(&Lesson, usize, usize)]) -> String {
    let lessons: Vec<String> = tally
        .iter()
        .map(|(lesson, interrupted, runs)| format!("{}: {interrupted}/{runs}", lesson.id))
        .collect();
    format!("interrupted/runs per lesson: {}", lessons.join(", "))
}

/// `check` on every item of `items`, two at a time (one per core), the
/// answers in the items' order.
fn two_at_a_time<T: Sync, A: Send>(items: &[T], check: impl Fn(&T) -> A + Sync) -> Vec<A> {
    let next = AtomicUsize::new(0);
    let mut answers: Vec<(usize, A)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut answers = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Ordering::SeqCst);
                        let Some(item) = items.get(at) else {
                            return answers;
                        };
                        answers.push((at, check(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a check failed"))
            .collect()
    });
    answers.sort_by_key(|(at, _)| *at);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

/// The first daemonic child forks a grandchild, waits for it and reaps it
/// while the race is held back; SIGINT then must still count it reaped,
/// whichever of the two reaped it, and however late its notes are read.
#[test]
fn the_daemonic_race_interrupted_after_the_third_fork_reaps_as_many_as_it_started() {
    for run in 0..RACE_RUNS {
        let live = Live::spawn(&["daemon", "--json", "--pace", "0", "--lang", "en"]);
        let deadline = Instant::now() + crate::common::DEADLINE;
        while child_count(live.pid()) < 3 {
            assert!(
                Instant::now() < deadline,
                "procdemo never had its three daemonic children"
            );
        }
        send_sigint(&live);
        let ending = check_ending(live, &format!("daemon race, run {run}"));
        assert_eq!(ending, Ending::Interrupted);
    }
}

/// How many children `pid` has now: from its `children` file, which is
/// fast enough to catch the moment of a fork, where the kernel has one.
fn child_count(pid: i32) -> usize {
    match std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
        Ok(children) => children.split_whitespace().count(),
        Err(_) => children_of(pid).len(),
    }
}

#[test]
#[ignore = "long: 300 runs; cargo test --test it drift:: -- --ignored"]
fn soak_300_interrupts_at_random_lines_of_random_lessons() {
    let seed = std::env::var("DRIFT_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("DRIFT_SEED={seed}");
    let mut random = fastrand::Rng::with_seed(seed);
    let course = course();
    let started = Instant::now();
    let runs: Vec<Run> = (0..SOAK_RUNS)
        .map(|_| {
            let lesson = &course[random.usize(..course.len())];
            Run {
                lesson,
                line: random.usize(1..lesson.lines.max(2)),
                delay: Duration::from_micros(random.u64(0..=1000) * u64::from(random.bool())),
            }
        })
        .collect();
    let tally = interrupt_all(&course, &runs);
    eprintln!(
        "{SOAK_RUNS} runs in {:.1} s, {}",
        started.elapsed().as_secs_f64(),
        summary(&tally)
    );
}
