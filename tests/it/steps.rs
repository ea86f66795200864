//! Step numbers: "step N of M" counts the steps this run shows. Each
//! lesson's plan (`Lesson::plan`, from its options) names the steps a run
//! reports; every coverage run reports exactly those, and a run for people
//! numbers its headings 1 to M, M being the plan less the steps shown as a
//! progress bar.

use std::thread;

use procdemo::lessons::{COURSE, Lesson};
use procdemo::model::Lang;
use regex::Regex;

use crate::common::{fresh_state_home, procdemo_in, run, run_lesson, step};

/// Steps of every lesson that are not the lesson's own.
const BUILT_IN_STEPS: &[&str] = &["done", "ended"];

/// Above this many tasks the pool's task ends are a progress bar, not a
/// step (`TASKS_TOLD_ONE_BY_ONE` in the pool lesson).
const POOL_TASKS_ONE_BY_ONE: usize = 24;

/// Every lesson with each of its coverage runs' arguments.
fn coverage_runs() -> Vec<(&'static Lesson, &'static [&'static str])> {
    COURSE
        .iter()
        .flat_map(|lesson| {
            lesson
                .optional
                .coverage_runs
                .iter()
                .map(move |args| (lesson, *args))
        })
        .collect()
}

fn plan(lesson: &Lesson, args: &[&str]) -> Vec<String> {
    let options = lesson
        .options_from(args)
        .unwrap_or_else(|error| panic!("{} {args:?}: {error:#}", lesson.id));
    let text = lesson.text(Lang::En).expect("the lesson's text");
    lesson
        .plan(&options, &text)
        .unwrap_or_else(|error| panic!("{} {args:?}: {error:#}", lesson.id))
}

/// Where `step` is in the lesson's text, from 0.
fn text_position(lesson: &Lesson, step: &str) -> usize {
    lesson
        .text(Lang::En)
        .expect("the lesson's text")
        .step(step)
        .unwrap_or_else(|| panic!("{}: `{step}` is not a step of the text", lesson.id))
        .0
}

/// The steps people see as a progress bar rather than as a numbered step.
fn shown_as_a_bar(lesson: &Lesson, args: &[&str]) -> Vec<&'static str> {
    let tasks = args
        .iter()
        .position(|arg| *arg == "--tasks")
        .and_then(|at| args.get(at + 1))
        .map(|tasks| tasks.parse::<usize>().expect("a number of tasks"));
    match (lesson.id, tasks) {
        ("pool", Some(tasks)) if tasks > POOL_TASKS_ONE_BY_ONE => vec!["task-end"],
        _ => Vec::new(),
    }
}

/// The (N, M) of every "step N of M" counter in `stdout`, as `counter`
/// (with N and M as its groups 1 and 2) finds them.
fn step_numbers(stdout: &str, counter: &Regex) -> Vec<(usize, usize)> {
    stdout
        .lines()
        .filter_map(|line| counter.captures(line.trim_end()))
        .map(|found| (found[1].parse().expect("N"), found[2].parse().expect("M")))
        .collect()
}

/// Runs `check` for every coverage run, on threads of their own (the runs
/// are short but many), and fails with the first failure.
fn for_every_run(check: impl Fn(&'static Lesson, &'static [&'static str]) + Sync) {
    thread::scope(|scope| {
        let check = &check;
        let handles: Vec<_> = coverage_runs()
            .into_iter()
            .map(|(lesson, args)| scope.spawn(move || check(lesson, args)))
            .collect();
        for handle in handles {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// The plan lists steps in text order; a run may reach some in another
/// order (the pool's crash run races task-end, task-lost and
/// worker-replaced), and people's numbers follow the order shown. Steps
/// shown as a bar are left out on both sides: they are no numbered step,
/// and whether any comes before terminate() is a race.
#[test]
fn every_coverage_run_reports_the_steps_of_its_plan() {
    for_every_run(|lesson, args| {
        let plan = plan(lesson, args);
        let bar = shown_as_a_bar(lesson, args);
        let positions: Vec<usize> = plan
            .iter()
            .map(|step| text_position(lesson, step))
            .collect();
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "{} {args:?}: the plan {plan:?} is not in text order",
            lesson.id
        );
        let (_, events) = run_lesson(lesson.id, "en", args);
        let mut seen: Vec<String> = Vec::new();
        for event in &events {
            let name = step(event);
            if !BUILT_IN_STEPS.contains(&name)
                && !bar.contains(&name)
                && !seen.iter().any(|step| step == name)
            {
                seen.push(name.to_string());
            }
        }
        seen.sort_by_key(|step| text_position(lesson, step));
        let numbered: Vec<String> = plan
            .into_iter()
            .filter(|step| !bar.contains(&step.as_str()))
            .collect();
        assert_eq!(seen, numbered, "{} {args:?}: steps reported", lesson.id);
    });
}

/// "step N of M" (en) or "第 N 步 / 共 M 步" (zh) of a run for people:
/// N counts 1 to M in the order shown, and M is the plan less its bar.
#[test]
fn people_read_step_numbers_from_1_to_the_steps_this_run_shows() {
    let state = fresh_state_home("step-numbers");
    let counters = [
        ("en", Regex::new(r"step (\d+) of (\d+)$").expect("regex")),
        (
            "zh",
            Regex::new(r"第 (\d+) 步 / 共 (\d+) 步$").expect("regex"),
        ),
    ];
    for_every_run(|lesson, args| {
        let bar = shown_as_a_bar(lesson, args);
        let shown = plan(lesson, args)
            .into_iter()
            .filter(|step| !bar.contains(&step.as_str()))
            .count();
        for (lang, counter) in &counters {
            let mut command = vec![lesson.id, "--pace", "0", "--color", "never", "--stream"];
            command.extend(["--lang", lang]);
            command.extend_from_slice(args);
            let output = run(procdemo_in(&state, &command));
            assert_eq!(output.status.code(), Some(0), "{}", output.describe());
            let numbers = step_numbers(&output.stdout, counter);
            let expected: Vec<(usize, usize)> = (1..=shown).map(|at| (at, shown)).collect();
            assert_eq!(
                numbers, expected,
                "procdemo {command:?}:\n{}",
                output.stdout
            );
        }
    });
}

/// `--terminate-after` races terminate() against the tasks: when the tasks
/// win, close() and join() come instead of terminate(), and the numbers
/// still count the steps shown, from the first.
#[test]
fn a_terminate_race_the_tasks_win_is_numbered_as_shown() {
    let state = fresh_state_home("step-numbers-race");
    let counter = Regex::new(r"step (\d+) of (\d+)$").expect("regex");
    let output = run(procdemo_in(
        &state,
        &[
            "pool",
            "--terminate-after",
            "600",
            "--pace",
            "0",
            "--color",
            "never",
            "--stream",
            "--lang",
            "en",
        ],
    ));
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let numbers = step_numbers(&output.stdout, &counter);
    let shown = numbers.len();
    let expected: Vec<(usize, usize)> = (1..=shown).map(|at| (at, shown)).collect();
    assert_eq!(numbers, expected, "{}", output.stdout);
    assert!(output.stdout.contains("join(): wait"), "{}", output.stdout);
}
