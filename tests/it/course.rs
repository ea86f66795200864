//! The course as a whole: `procdemo tour` runs every lesson in course order
//! (recording each in the progress file), carries piped quiz answers from
//! one lesson to the next and stops cleanly on a signal; `completions` and
//! `man` describe the command line without its internal command.

use std::path::Path;
use std::process::Stdio;

use crate::common::{
    self, Live, Output, answered, assert_no_leftovers, assert_no_queue_left, children_of, fact,
    fresh_state_home, interrupted_line, listed_lessons, pids_seen, procdemo_in, read_progress,
    report, right_answers, run, run_args, run_with_input, step,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::COURSE;
use procdemo::model::{Done, Ended, Score};
use serde_json::{Value, json};

/// The ids of the lessons in course order, from `list --json`.
fn course() -> Vec<String> {
    listed_lessons("en")
        .iter()
        .map(|lesson| {
            lesson["lesson"]
                .as_str()
                .unwrap_or_else(|| panic!("a listed lesson without an id: {lesson}"))
                .to_string()
        })
        .collect()
}

/// A tour's stdout split into its lessons' events, in order, and its last
/// line (the tour's own).
fn split_tour(stdout: &str) -> (Vec<(String, Vec<Value>)>, Value) {
    let mut lines = common::parse_events(stdout);
    let last = lines.pop().expect("a tour prints at least its last line");
    let mut lessons: Vec<(String, Vec<Value>)> = Vec::new();
    for event in lines {
        let lesson = event["lesson"]
            .as_str()
            .unwrap_or_else(|| panic!("an event without a lesson: {event}"))
            .to_string();
        match lessons.last_mut() {
            Some((current, events)) if *current == lesson => events.push(event),
            _ => lessons.push((lesson, vec![event])),
        }
    }
    (lessons, last)
}

/// The tour's last line: `{"lesson": "tour", "step": …, "facts": …}`.
fn assert_tour_line(line: &Value, step: &str, reason: Value, finished: &[String], quiz: Value) {
    assert_eq!(
        line,
        &json!({
            "lesson": "tour",
            "step": step,
            "facts": {
                "reason": reason,
                "lessons_finished": finished,
                "lessons_failed": [],
                "quiz": quiz,
            },
        }),
    );
}

/// Checks that each lesson of a finished tour ran once, in course order,
/// from procdemo itself, to its `done`; returns the lessons' events.
fn check_whole_tour(output: &Output, course: &[String]) -> Vec<(String, Vec<Value>)> {
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let (lessons, _) = split_tour(&output.stdout);
    let ran: Vec<&String> = lessons.iter().map(|(id, _)| id).collect();
    assert_eq!(
        ran,
        course.iter().collect::<Vec<_>>(),
        "every lesson once, in course order"
    );
    for (id, events) in &lessons {
        let done = events.last().expect("events");
        assert_eq!(step(done), "done", "`{id}` must end with done");
        assert_eq!(
            common::pid(done),
            output.pid,
            "the tour's own process runs each lesson"
        );
        common::assert_no_leftovers(&pids_seen(events));
    }
    assert_no_queue_left(output.pid);
    lessons
}

/// The lessons recorded in the progress file under `state`, each with its entry.
fn recorded(state: &Path) -> serde_json::Map<String, Value> {
    let progress = read_progress(state).expect("a tour records progress");
    progress["lessons"]
        .as_object()
        .unwrap_or_else(|| panic!("`lessons` must be an object: {progress}"))
        .clone()
}

#[test]
fn a_tour_runs_every_lesson_in_course_order_and_records_each() {
    let state = fresh_state_home("tour");
    let course = course();
    let output = run(procdemo_in(
        &state,
        &["tour", "--json", "--pace", "0", "--lang", "en"],
    ));
    check_whole_tour(&output, &course);
    let (_, last) = split_tour(&output.stdout);
    assert_tour_line(&last, "done", Value::Null, &course, Value::Null);
    // Without --quiz nothing is asked.
    assert!(!output.stdout.contains("\"quiz-question\""));

    let lessons = recorded(&state);
    let mut ids: Vec<&String> = lessons.keys().collect();
    ids.sort();
    let mut expected: Vec<&String> = course.iter().collect();
    expected.sort();
    assert_eq!(ids, expected, "every lesson recorded");
    for (id, entry) in &lessons {
        assert_eq!(entry["finished"], 1, "{id}: {entry}");
        assert_eq!(entry["quiz"], Value::Null, "{id}: {entry}");
    }
    // Every lesson done, no quiz answered yet: the first lesson, with --quiz.
    let welcome = run(procdemo_in(&state, &["--json"]));
    assert_eq!(
        welcome.events().pop().expect("a last line"),
        json!({"next": "procdemo fork --quiz", "finished": COURSE.len(), "lessons": COURSE.len()})
    );
}

/// Answers piped to a tour are read one line per question, across lessons:
/// the second lesson starts where the first stopped reading. Every other
/// answer is wrong, so that a shift by one line would show.
#[test]
fn a_tour_carries_piped_quiz_answers_from_one_lesson_to_the_next() {
    let state = fresh_state_home("tour-quiz");
    let course = course();
    let lessons = listed_lessons("en");
    // (lesson, quiz step, the line given, right or not), in course order.
    let mut plan: Vec<(String, String, String, bool)> = Vec::new();
    for (lesson, (id, answers)) in lessons.iter().zip(right_answers(&lessons)) {
        let quizzes = lesson["quizzes"].as_array().expect("quizzes");
        for (quiz, right) in quizzes.iter().zip(answers) {
            let choices = quiz["choices"].as_u64().expect("choices");
            let is_right = plan.len().is_multiple_of(2);
            let given = if is_right { right } else { right % choices + 1 };
            let quiz_step = quiz["step"].as_str().expect("step").to_string();
            plan.push((id.clone(), quiz_step, given.to_string(), is_right));
        }
    }
    let input: String = plan
        .iter()
        .map(|(_, _, given, _)| format!("{given}\n"))
        .collect();
    let output = answered(&state, &["tour"], &input);
    let ran = check_whole_tour(&output, &course);

    let answered: Vec<(String, String, String, bool)> = ran
        .iter()
        .flat_map(|(id, events)| {
            events
                .iter()
                .filter(|event| step(event) == "quiz-answer")
                .map(move |event| {
                    (
                        id.clone(),
                        fact(event, "quiz").as_str().unwrap_or_default().to_string(),
                        fact(event, "given")
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        fact(event, "correct") == true,
                    )
                })
        })
        .collect();
    assert_eq!(answered, plan, "each lesson got its own answers");

    let right = plan.iter().filter(|(_, _, _, is_right)| *is_right).count();
    let (_, last) = split_tour(&output.stdout);
    assert_tour_line(
        &last,
        "done",
        Value::Null,
        &course,
        json!({"asked": plan.len(), "right": right}),
    );
    // Each lesson's `done` and its record hold its own score.
    let recorded = recorded(&state);
    for (id, events) in &ran {
        let asked = plan.iter().filter(|(lesson, ..)| lesson == id).count();
        let right = plan
            .iter()
            .filter(|(lesson, _, _, is_right)| lesson == id && *is_right)
            .count();
        let score = json!({"asked": asked, "right": right});
        let done = events.last().expect("done");
        assert_eq!(
            report::<Done>(done).quiz,
            Some(Score { asked, right }),
            "{id}"
        );
        assert_eq!(recorded[id]["quiz"], score, "{id}");
        assert_eq!(recorded[id]["best_quiz"], score, "{id}");
    }
}

/// A signal while a lesson of the tour waits for an answer: the lesson ends
/// as any interrupted lesson does, then the tour's own last line, exit
/// 128 + the signal's number; the lessons finished before it stay recorded,
/// and nothing is left running.
fn interrupt_a_tour(signal: Signal, exit_code: i32) {
    let state = fresh_state_home(&format!("tour-{}", signal.as_str()));
    let mut command = procdemo_in(
        &state,
        &["tour", "--quiz", "--json", "--pace", "0", "--lang", "en"],
    );
    command.stdin(Stdio::piped());
    let mut live = Live::spawn_command(command);
    // The answers to the first lesson's questions, and no more: the second
    // lesson's first question waits on a pipe kept open and empty.
    let fork_answers = b"2\n3\n2\n";
    {
        use std::io::Write;
        let stdin = live.child.stdin.as_mut().expect("stdin piped");
        stdin
            .write_all(fork_answers)
            .expect("writing fork's answers");
        stdin.flush().expect("flushing stdin");
    }
    while live.read_until("quiz-question")["lesson"] != "pids" {}
    let procdemo_pid = live.pid();
    let running = children_of(procdemo_pid);
    kill(Pid::from_raw(procdemo_pid), signal).expect("signalling the tour");

    // Every stdout line must be an event: `finish` fails on anything else.
    let (status, mut events, stderr) = live.finish();
    let shown = format!("status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    assert_eq!(status.code(), Some(exit_code), "{shown}");
    let tour_line = events.pop().expect("the tour's last line");
    assert_tour_line(
        &tour_line,
        "ended",
        json!(signal.as_str()),
        &["fork".to_string()],
        json!({"asked": 3, "right": 3}),
    );
    let ended = events.last().expect("the lesson's last line");
    assert_eq!(step(ended), "ended", "{shown}");
    assert_eq!(ended["lesson"], "pids", "{shown}");
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, signal.as_str(), "{ended}");
    assert_eq!(facts.processes_reaped, facts.processes_started, "{ended}");
    interrupted_line(&stderr, signal.as_str());
    let recorded: Vec<String> = recorded(&state).keys().cloned().collect();
    assert_eq!(recorded, ["fork"], "only the finished lesson is recorded");
    let mut pids = pids_seen(&events);
    pids.extend(running);
    assert_no_leftovers(&pids);
    assert_no_queue_left(procdemo_pid);
}

#[test]
fn sigint_during_a_tour_ends_it_with_130_and_leaves_nothing() {
    interrupt_a_tour(Signal::SIGINT, 130);
}

#[test]
fn sigterm_during_a_tour_ends_it_with_143_and_leaves_nothing() {
    interrupt_a_tour(Signal::SIGTERM, 143);
}

#[test]
fn sighup_during_a_tour_ends_it_with_129_and_leaves_nothing() {
    interrupt_a_tour(Signal::SIGHUP, 129);
}

/// `q` as an answer during a tour ends the tour: exit 0, reason `quit`.
#[test]
fn q_during_a_tour_ends_it() {
    let state = fresh_state_home("tour-q");
    let output = answered(&state, &["tour"], "2\n3\n2\nq\n");
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let (lessons, last) = split_tour(&output.stdout);
    assert_tour_line(
        &last,
        "ended",
        json!("quit"),
        &["fork".to_string()],
        json!({"asked": 3, "right": 3}),
    );
    let (id, events) = lessons.last().expect("lessons");
    assert_eq!(id, "pids");
    let ended = events.last().expect("events");
    assert_eq!(report::<Ended>(ended).reason, "quit", "{ended}");
    let recorded: Vec<String> = recorded(&state).keys().cloned().collect();
    assert_eq!(recorded, ["fork"]);
    assert_no_leftovers(&pids_seen(&events[..]));
}

/// The commands a user types (`__spawned` is procdemo's own business).
const COMMANDS: &[&str] = &[
    "fork",
    "pids",
    "join",
    "zombie",
    "orphan",
    "daemon",
    "exec",
    "signals",
    "states",
    "threads",
    "costs",
    "pipe",
    "queue",
    "memory",
    "lock",
    "semaphore",
    "ipc",
    "pool",
    "futures",
    "observe",
    "list",
    "tour",
    "reset",
    "completions",
    "man",
];

#[test]
fn completions_for_every_shell_name_the_commands_but_not_the_internal_one() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = run_args(&["completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            output.describe()
        );
        assert!(output.stderr.is_empty(), "{shell}: {}", output.describe());
        let script = &output.stdout;
        assert!(script.contains("procdemo"), "{shell}:\n{script}");
        for command in COMMANDS {
            assert!(
                script.contains(command),
                "{shell} does not complete `{command}`"
            );
        }
        for option in ["quiz", "step", "json", "lang"] {
            // fish names a long option `-l quiz`, the others `--quiz`.
            let written = match shell {
                "fish" => format!("-l {option}"),
                _ => format!("--{option}"),
            };
            assert!(
                script.contains(&written),
                "{shell} does not complete `--{option}`"
            );
        }
        assert!(
            !script.contains("__spawned"),
            "{shell} offers the internal command"
        );
    }
    let output = run_args(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2), "{}", output.describe());
}

#[test]
fn man_prints_a_roff_page_naming_every_command() {
    let output = run_args(&["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let page = &output.stdout;
    assert!(page.contains(".TH procdemo 1"), "not a roff page:\n{page}");
    assert!(page.contains(".SH NAME"), "{page}");
    for command in COMMANDS {
        assert!(page.contains(command), "the page does not name `{command}`");
    }
    assert!(!page.contains("__spawned"), "{page}");
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = fresh_state_home("man").join("man1");
    let output = run_args(&["man", "--dir", dir.to_str().expect("a UTF-8 path")]);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    written.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|command| format!("procdemo-{command}.1"))
        .chain(["procdemo.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    for name in &written {
        let page = std::fs::read_to_string(dir.join(name)).expect("reading a page");
        assert!(page.contains(".TH "), "{name} is not a roff page");
    }
    let fork = std::fs::read_to_string(dir.join("procdemo-fork.1")).expect("procdemo-fork.1");
    assert!(fork.contains("fork"), "{fork}");
}

/// `--step` waits for Enter only on a terminal (README: "without a terminal
/// on stdin it runs without pauses"), and `q` on a pipe is never read as an
/// answer (as tests/cli.rs checks for a lesson): the same holds for the
/// prompt a tour shows before each lesson.
#[test]
fn a_tour_with_step_and_no_terminal_runs_every_lesson_without_reading_stdin() {
    let state = fresh_state_home("tour-step-pipe");
    let course = course();
    let mut tour = procdemo_in(
        &state,
        &[
            "tour", "--step", "--pace", "0", "--lang", "en", "--color", "never",
        ],
    );
    // Wide enough for each lesson's last line whole.
    tour.env("COLUMNS", "120");
    let output = run_with_input(tour, "q\n");
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let mut from = 0;
    for (number, id) in (1..).zip(&course) {
        let heading = format!("Tour · lesson {number} of {}  procdemo {id}", COURSE.len());
        let at = output.stdout[from..].find(&heading).unwrap_or_else(|| {
            panic!(
                "`{heading}` missing or out of order; stdout:\n{}\nstderr:\n{}",
                output.stdout, output.stderr
            )
        });
        from += at + heading.len();
        // Each lesson ends saying what the tour does next, not a command to type.
        let then = match course.get(number) {
            Some(next) => format!("Next in the tour: procdemo {next}"),
            None => "The last lesson of the tour".to_string(),
        };
        let count = if number == COURSE.len() {
            format!("All {number} lessons finished")
        } else {
            format!("{number} of {} lessons finished", COURSE.len())
        };
        let end = format!("✔ Lesson {id} done · {count} · {then}\n");
        let at = output.stdout[from..]
            .find(&end)
            .unwrap_or_else(|| panic!("`{end}` missing after lesson {number}:\n{}", output.stdout));
        from += at + end.len();
    }
    assert!(
        output.stdout[from..].contains(&format!(
            "Tour over: {0} of {0} lessons finished.",
            COURSE.len()
        )),
        "{}",
        output.describe()
    );
    assert_eq!(recorded(&state).len(), COURSE.len());
}
