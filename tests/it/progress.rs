//! The learner's progress: `progress.json` under `$XDG_STATE_HOME/procdemo`
//! (else `~/.local/state/procdemo`), written when a lesson finishes and
//! only then, with the quiz score of a `--quiz` run; a damaged or unusable
//! file is reported and never stops a command; the welcome and `list` show
//! it, and `reset` forgets it.
//!
//! Every test has a state directory of its own (`fresh_state_home`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::{
    self, Live, Output, answered, check_interrupted, children_of, fresh_state_home, listed_lessons,
    procdemo_in, progress_path, read_progress, report, right_answers, run, step,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::COURSE;
use procdemo::model::{Done, Ended};
use serde_json::{Value, json};

/// Runs `procdemo <args>` under `state` and checks that it succeeded.
fn succeeds(state: &Path, args: &[&str]) -> Output {
    exits_with(state, args, 0)
}

/// Runs `procdemo <args>` under `state` and checks its exit status.
fn exits_with(state: &Path, args: &[&str], status: i32) -> Output {
    let output = run(procdemo_in(state, args));
    assert_eq!(
        output.status.code(),
        Some(status),
        "procdemo {args:?}:\n{}",
        output.describe()
    );
    output
}

/// Runs the lesson `lesson` to its end (`--json --pace 0`) under `state`.
fn finish(state: &Path, lesson: &str) -> Output {
    ended_with_done(succeeds(
        state,
        &[lesson, "--json", "--pace", "0", "--lang", "en"],
    ))
}

/// Runs `lesson` with `--quiz` and `answers` on stdin, to its end.
fn finish_with_quiz(state: &Path, lesson: &str, answers: &str) -> Output {
    let output = answered(state, &[lesson], answers);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    ended_with_done(output)
}

/// `output`, checked to end with `done`.
fn ended_with_done(output: Output) -> Output {
    let last = output.events().last().map(step).map(str::to_string);
    assert_eq!(last.as_deref(), Some("done"), "{}", output.describe());
    output
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// The entry of `lesson` in the progress file under `state`.
fn entry(state: &Path, lesson: &str) -> Value {
    let progress = read_progress(state)
        .unwrap_or_else(|| panic!("no progress file under {}", state.display()));
    assert_eq!(progress["version"], 1, "{progress}");
    progress["lessons"][lesson].clone()
}

/// The lessons the progress file under `state` records.
fn recorded(state: &Path) -> Vec<String> {
    read_progress(state)
        .map(|progress| {
            progress["lessons"]
                .as_object()
                .unwrap_or_else(|| panic!("`lessons` must be an object: {progress}"))
                .keys()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn assert_whole(value: &Value, what: &str) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{what} must be a whole number: {value}"))
}

#[test]
fn a_finished_lesson_is_recorded_with_the_score_of_its_last_and_best_quiz() {
    let state = fresh_state_home("finished");
    let before = now_s();
    finish(&state, "fork");
    let after = now_s();
    let fork = entry(&state, "fork");
    assert_eq!(fork["finished"], 1, "{fork}");
    let first = assert_whole(&fork["first_finished"], "first_finished");
    assert!(
        (before..=after).contains(&first),
        "{fork}: not {before}..={after}"
    );
    assert_eq!(fork["last_finished"], fork["first_finished"], "{fork}");
    assert_eq!(fork["quiz"], Value::Null, "no quiz without --quiz: {fork}");
    assert_eq!(fork["best_quiz"], Value::Null, "{fork}");
    assert_eq!(recorded(&state), ["fork"], "only the lesson that ran");

    // All wrong (fork's right answers are 2, 3, 2), then all right, then
    // all wrong again: the last score and the best one.
    let scores = [
        (
            "1\n1\n1\n",
            json!({"asked": 3, "right": 0}),
            json!({"asked": 3, "right": 0}),
        ),
        (
            "2\n3\n2\n",
            json!({"asked": 3, "right": 3}),
            json!({"asked": 3, "right": 3}),
        ),
        (
            "1\n1\n1\n",
            json!({"asked": 3, "right": 0}),
            json!({"asked": 3, "right": 3}),
        ),
    ];
    for (runs, (answers, last, best)) in (2..).zip(scores) {
        let output = finish_with_quiz(&state, "fork", answers);
        let done = output.events().pop().expect("done");
        let score = report::<Done>(&done)
            .quiz
            .unwrap_or_else(|| panic!("no quiz score: {done}"));
        assert_eq!(json!(score), last, "{done}");
        let fork = entry(&state, "fork");
        assert_eq!(fork["finished"], runs, "{fork}");
        assert_eq!(
            fork["first_finished"], first,
            "the first time stays: {fork}"
        );
        let last_finished = assert_whole(&fork["last_finished"], "last_finished");
        assert!(last_finished >= first && last_finished <= now_s(), "{fork}");
        assert_eq!(fork["quiz"], last, "{fork}");
        assert_eq!(fork["best_quiz"], best, "{fork}");
    }

    // list --json shows the same.
    let listed = run(procdemo_in(&state, &["list", "--json", "--lang", "en"]));
    let fork = listed
        .events()
        .into_iter()
        .find(|lesson| lesson["lesson"] == "fork")
        .expect("fork is listed");
    assert_eq!(fork["finished"], 4, "{fork}");
    assert_eq!(fork["quiz"], json!({"asked": 3, "right": 0}), "{fork}");
    assert_eq!(fork["best_quiz"], json!({"asked": 3, "right": 3}), "{fork}");
}

/// Stops `fork` with `signal` while its child is alive (at pace 20 procdemo
/// pauses long after `child-changes-w`, as in tests/interrupt.rs).
fn interrupt_fork(state: &Path, signal: Signal, exit_code: i32) {
    let mut live = Live::spawn_command(procdemo_in(
        state,
        &["fork", "--json", "--pace", "20", "--lang", "en"],
    ));
    live.read_until("child-changes-w");
    let running = children_of(live.pid());
    kill(Pid::from_raw(live.pid()), signal).expect("signalling procdemo");
    check_interrupted(live, signal, exit_code, 1, &running);
}

#[test]
fn an_interrupted_lesson_is_not_recorded() {
    let state = fresh_state_home("interrupted");
    interrupt_fork(&state, Signal::SIGINT, 130);
    assert_eq!(read_progress(&state), None, "{}", state.display());

    // Nor does it touch what was recorded before.
    finish(&state, "fork");
    let before = read_progress(&state).expect("progress after fork");
    interrupt_fork(&state, Signal::SIGTERM, 143);
    assert_eq!(read_progress(&state), Some(before));
}

#[test]
fn a_lesson_ended_with_q_is_not_recorded() {
    let state = fresh_state_home("quit");
    let output = answered(&state, &["pids"], "q\n");
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let events = output.events();
    let ended = events.last().expect("events");
    assert_eq!(report::<Ended>(ended).reason, "quit", "{ended}");
    assert_eq!(read_progress(&state), None);
}

/// The set-aside copies of the progress file under `state`: (name, content).
fn set_aside(state: &Path) -> Vec<(String, String)> {
    let dir = state.join("procdemo");
    let mut found: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry"))
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("progress.json.damaged-")
        })
        .map(|entry| {
            let content = std::fs::read_to_string(entry.path()).unwrap_or_default();
            (entry.file_name().to_string_lossy().into_owned(), content)
        })
        .collect();
    found.sort();
    found
}

/// Writes `content` as the progress file under `state`.
fn write_progress(state: &Path, content: &str) -> PathBuf {
    let path = progress_path(state);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("creating procdemo/");
    std::fs::write(&path, content).expect("writing progress.json");
    path
}

/// Checks that stderr says the file at `path` is damaged and where it went.
fn assert_said_damaged(output: &Output, path: &Path) {
    let stderr = &output.stderr;
    assert!(
        stderr.contains(&path.display().to_string()) && stderr.contains("damaged"),
        "stderr must name {} and say it is damaged:\n{}",
        path.display(),
        output.describe()
    );
    assert!(
        stderr.contains("progress.json.damaged-"),
        "stderr must say where the file went:\n{}",
        output.describe()
    );
}

#[test]
fn a_damaged_file_is_set_aside_with_a_message_and_a_fresh_one_written() {
    let state = fresh_state_home("damaged");
    let path = write_progress(&state, "this is not JSON");
    let output = finish(&state, "fork");
    assert_said_damaged(&output, &path);
    let aside = set_aside(&state);
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(aside[0].1, "this is not JSON", "kept as it was");
    assert_eq!(entry(&state, "fork")["finished"], 1);
    assert_eq!(recorded(&state), ["fork"]);

    // `list` and the welcome too go on, from scratch.
    let path = write_progress(&state, "{\"version\": 1, \"lessons\": [");
    let output = succeeds(&state, &["list", "--json", "--lang", "en"]);
    assert_said_damaged(&output, &path);
    let lessons = output.events();
    assert_eq!(lessons.len(), COURSE.len(), "{}", output.describe());
    assert!(lessons.iter().all(|lesson| lesson["finished"] == 0));
    assert!(!path.exists(), "the damaged file was moved");
    write_progress(&state, "\u{0}\u{1} binary garbage");
    let output = succeeds(&state, &["--json", "--lang", "en"]);
    assert_said_damaged(&output, &path);
    let last = output.events().pop().expect("a last line");
    assert_eq!(
        last,
        json!({"next": "procdemo fork --lang en", "finished": 0, "lessons": COURSE.len()})
    );
}

/// A directory where the file should be cannot be read: it is moved aside
/// like a damaged file, and the next finished lesson writes a fresh file.
#[test]
fn a_directory_in_place_of_the_file_is_set_aside() {
    let state = fresh_state_home("directory");
    let path = progress_path(&state);
    std::fs::create_dir_all(path.join("inside")).expect("a directory at progress.json");
    let output = finish(&state, "fork");
    assert_said_damaged(&output, &path);
    assert!(path.is_file(), "a fresh progress file is written");
    assert_eq!(entry(&state, "fork")["finished"], 1);
}

/// Set-aside files are kept "for whoever wants to look": setting aside a
/// file must not overwrite one set aside before, even within one second.
#[test]
fn setting_aside_a_damaged_file_keeps_those_set_aside_before() {
    let state = fresh_state_home("damaged-twice");
    // Files set aside earlier, named as procdemo names them, for every
    // second this test may run in.
    let now = now_s();
    let earlier: Vec<(String, String)> = (now.saturating_sub(1)..=now + 10)
        .map(|second| {
            let name = format!("progress.json.damaged-{second}");
            (name.clone(), format!("set aside at {second}"))
        })
        .collect();
    for (name, content) in &earlier {
        write_progress(&state, content);
        std::fs::rename(progress_path(&state), state.join("procdemo").join(name))
            .expect("placing an earlier set-aside file");
    }
    let path = write_progress(&state, "damaged again");
    let output = succeeds(&state, &["list", "--json", "--lang", "en"]);
    assert_said_damaged(&output, &path);
    let aside = set_aside(&state);
    for kept in &earlier {
        let now_there = aside.iter().find(|(name, _)| *name == kept.0);
        assert_eq!(
            now_there,
            Some(kept),
            "{} was overwritten by the file set aside now\nstderr: {}",
            kept.0,
            output.stderr
        );
    }
    assert!(
        aside.iter().any(|(_, content)| content == "damaged again"),
        "the newly damaged file is kept too: {aside:?}"
    );
}

/// A file that can be neither read nor moved (here the state directory's
/// `procdemo` is a file, so `procdemo/progress.json` cannot exist): every
/// command says so on stderr and still succeeds; nothing is written.
#[test]
fn an_unusable_file_is_reported_without_a_crash() {
    let state = fresh_state_home("unusable");
    let blocker = state.join("procdemo");
    std::fs::write(&blocker, "not a directory").expect("writing a file named procdemo");
    let path = progress_path(&state);
    let says_unusable = |output: &Output| {
        assert!(
            output.stderr.contains(&path.display().to_string())
                && output.stderr.contains("cannot be used"),
            "{}",
            output.describe()
        );
        assert!(!output.stderr.contains("panicked"), "{}", output.describe());
    };
    // A finished lesson says its progress could not be saved.
    let output = finish(&state, "fork");
    assert!(
        output.stderr.starts_with("procdemo: ")
            && output.stderr.contains(&blocker.display().to_string()),
        "{}",
        output.describe()
    );
    assert!(!output.stderr.contains("panicked"), "{}", output.describe());
    let output = succeeds(&state, &["list", "--json", "--lang", "en"]);
    says_unusable(&output);
    assert!(output.events().iter().all(|lesson| lesson["finished"] == 0));
    let output = succeeds(&state, &["--json"]);
    says_unusable(&output);
    assert_eq!(
        output.events().pop().expect("a last line")["next"],
        "procdemo fork"
    );
    says_unusable(&succeeds(&state, &["reset", "--yes"]));
    assert_eq!(
        std::fs::read_to_string(&blocker).expect("the file is still there"),
        "not a directory"
    );
}

/// `procdemo` with XDG_STATE_HOME as given (None: unset), HOME and the
/// working directory.
fn with_env(args: &[&str], state: Option<&str>, home: Option<&Path>, cwd: &Path) -> Command {
    let mut command = common::procdemo(args);
    match state {
        Some(value) => command.env("XDG_STATE_HOME", value),
        None => command.env_remove("XDG_STATE_HOME"),
    };
    match home {
        Some(home) => command.env("HOME", home),
        None => command.env_remove("HOME"),
    };
    command.current_dir(cwd);
    command
}

#[test]
fn without_xdg_state_home_progress_goes_under_home() {
    let dir = fresh_state_home("home-fallback");
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("a home");
    let fork = ["fork", "--json", "--pace", "0", "--lang", "en"];
    for state in [None, Some("")] {
        let output = run(with_env(&fork, state, Some(&home), &dir));
        assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    }
    let state_home = home.join(".local").join("state");
    assert_eq!(entry(&state_home, "fork")["finished"], 2);
}

/// The XDG spec says to ignore a relative XDG_STATE_HOME: HOME is used.
#[test]
fn a_relative_xdg_state_home_is_ignored() {
    let dir = fresh_state_home("relative");
    let (home, cwd) = (dir.join("home"), dir.join("cwd"));
    for made in [&home, &cwd] {
        std::fs::create_dir_all(made).expect("a directory");
    }
    let output = run(with_env(
        &["fork", "--json", "--pace", "0", "--lang", "en"],
        Some("relative/state"),
        Some(&home),
        &cwd,
    ));
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert_eq!(
        entry(&home.join(".local").join("state"), "fork")["finished"],
        1
    );
    assert!(
        !cwd.join("relative").exists(),
        "nothing may be written under the relative path"
    );
}

/// Neither XDG_STATE_HOME nor HOME: the lesson runs, and says that its
/// progress cannot be saved.
#[test]
fn with_no_place_for_progress_the_lesson_still_runs_and_says_so() {
    let dir = fresh_state_home("no-place");
    let output = run(with_env(
        &["fork", "--json", "--pace", "0", "--lang", "en"],
        None,
        None,
        &dir,
    ));
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert_eq!(output.events().last().map(step), Some("done"));
    assert!(
        output.stderr.contains("XDG_STATE_HOME") && output.stderr.contains("HOME"),
        "{}",
        output.describe()
    );
    let output = run(with_env(&["--json"], None, None, &dir));
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
}

/// The welcome's JSON line, as a grader reads it: the command to run next
/// (none when all is done) and how many of the course's lessons are finished.
fn assert_welcome(state: &Path, next: Option<&str>, finished: usize) {
    assert_eq!(
        welcome_line(state, &[]),
        json!({"next": next, "finished": finished, "lessons": COURSE.len()})
    );
}

fn welcome_line(state: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let output = succeeds(state, &args);
    let lines = output.events();
    assert_eq!(
        lines.len(),
        COURSE.len() + 1,
        "every lesson and a last line: {}",
        output.describe()
    );
    for (lesson, listed) in lines.iter().zip(listed_lessons("en")) {
        assert_eq!(lesson["lesson"], listed["lesson"], "course order");
    }
    lines.last().cloned().expect("a last line")
}

/// The welcome for people.
fn welcome_text(state: &Path) -> String {
    succeeds(state, &["--lang", "en", "--color", "never"]).stdout
}

/// The row of `lesson` in a table of lessons (welcome or list).
fn row<'a>(table: &'a str, lesson: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.split_whitespace().any(|word| word == lesson))
        .unwrap_or_else(|| panic!("no row for {lesson} in:\n{table}"))
}

#[test]
fn the_welcome_and_list_show_what_is_finished_and_the_next_command_moves_on() {
    let state = fresh_state_home("welcome");
    assert_welcome(&state, Some("procdemo fork"), 0);
    // A newcomer is told where to start: one lesson, not the whole tour.
    let text = welcome_text(&state);
    assert!(
        text.contains("Start here: procdemo fork --lang en\n"),
        "{text}"
    );
    assert!(!text.contains("Next:"), "{text}");
    assert!(
        text.contains(&format!("0 of {} lessons finished.", COURSE.len())),
        "{text}"
    );
    for lesson in ["fork", "pids", "pool"] {
        assert!(
            !row(&text, lesson).contains('✓'),
            "nothing is finished yet:\n{text}"
        );
    }

    finish(&state, "fork");
    assert_welcome(&state, Some("procdemo pids"), 1);
    // A language given as a flag is repeated in the command.
    assert_eq!(
        welcome_line(&state, &["--lang", "zh"])["next"],
        "procdemo pids --lang zh"
    );
    let text = welcome_text(&state);
    assert!(text.contains("Next: procdemo pids"), "{text}");
    assert!(!text.contains("Start here"), "{text}");
    assert!(
        text.contains(&format!("1 of {} lessons finished.", COURSE.len())),
        "{text}"
    );
    assert!(
        row(&text, "fork").trim_start().starts_with("✓ fork"),
        "{text}"
    );
    assert!(!row(&text, "pids").contains('✓'), "{text}");

    // pids with the quiz, all right: its best quiz shows in `list`.
    finish_with_quiz(&state, "pids", "2\n2\n");
    assert_eq!(welcome_line(&state, &[])["next"], "procdemo join");
    let list = succeeds(&state, &["list", "--lang", "en", "--color", "never"]).stdout;
    assert!(
        row(&list, "fork").trim_start().starts_with("✓ fork"),
        "{list}"
    );
    assert!(!row(&list, "fork").contains("best quiz"), "{list}");
    let pids_row = row(&list, "pids");
    assert!(pids_row.trim_start().starts_with("✓ pids"), "{list}");
    assert!(
        list.contains("best quiz 2/2"),
        "the best quiz of pids must show:\n{list}"
    );
    assert!(!row(&list, "join").contains('✓'), "{list}");
}

/// Once every lesson is finished, the next command is the first lesson
/// whose best quiz is not full, with `--quiz`; then none.
#[test]
fn after_every_lesson_the_next_command_is_the_first_quiz_not_answered_in_full() {
    let state = fresh_state_home("all-finished");
    let lessons = listed_lessons("en");
    let write = |not_full: &[&str], no_quiz: &[&str]| {
        let entries: serde_json::Map<String, Value> = right_answers(&lessons)
            .into_iter()
            .map(|(id, answers)| {
                let asked = answers.len();
                let best = if no_quiz.contains(&id.as_str()) {
                    Value::Null
                } else if not_full.contains(&id.as_str()) {
                    json!({"asked": asked, "right": asked - 1})
                } else {
                    json!({"asked": asked, "right": asked})
                };
                let entry = json!({
                    "finished": 1,
                    "first_finished": 1_700_000_000,
                    "last_finished": 1_700_000_000,
                    "quiz": best,
                    "best_quiz": best,
                });
                (id, entry)
            })
            .collect();
        write_progress(
            &state,
            &json!({"version": 1, "lessons": entries}).to_string(),
        );
    };
    write(&["queue", "join"], &[]);
    assert_welcome(&state, Some("procdemo join --quiz"), COURSE.len());
    assert_eq!(
        welcome_line(&state, &["--lang", "en"])["next"],
        "procdemo join --quiz --lang en"
    );
    // A lesson never run with --quiz has no best quiz: not answered in full.
    write(&["queue"], &["zombie"]);
    assert_eq!(welcome_line(&state, &[])["next"], "procdemo zombie --quiz");
    let text = welcome_text(&state);
    assert!(
        text.contains(&format!("All {} lessons finished.", COURSE.len())),
        "{text}"
    );
    assert!(
        text.contains("Try the quizzes: procdemo zombie --quiz"),
        "{text}"
    );

    write(&[], &[]);
    assert_welcome(&state, None, COURSE.len());
    let text = welcome_text(&state);
    assert!(!text.contains("Next:"), "{text}");
    assert!(
        text.contains("Every lesson finished and every quiz answered in full."),
        "{text}"
    );
}

/// Runs `procdemo <args>` under `state` and checks that it was refused as a
/// usage error: exit 2, one line on stderr, nothing on stdout.
fn refused(state: &Path, args: &[&str]) -> Output {
    let output = exits_with(state, args, 2);
    assert_eq!(output.stderr.lines().count(), 1, "{}", output.describe());
    assert!(output.stdout.is_empty(), "{}", output.describe());
    output
}

/// Without a terminal on stdin there is no one to ask: `reset` forgets
/// nothing unless `--yes` says to, and says how.
#[test]
fn reset_without_a_terminal_refuses_without_yes() {
    let state = fresh_state_home("reset-refused");
    let path = progress_path(&state);
    let output = succeeds(&state, &["reset", "--lang", "en"]);
    assert!(
        output.stdout.contains("Nothing to reset"),
        "{}",
        output.describe()
    );

    finish(&state, "fork");
    let recorded = std::fs::read(&path).expect("a progress file");
    for (lang, says) in [
        ("en", "stdin is not a terminal"),
        ("zh", "标准输入不是终端"),
    ] {
        for json in [&[][..], &["--json"][..]] {
            let mut args = vec!["reset", "--lang", lang];
            args.extend_from_slice(json);
            let output = refused(&state, &args);
            assert!(
                output.stderr.starts_with("procdemo")
                    && output.stderr.contains(says)
                    && output.stderr.contains("procdemo reset --yes"),
                "{}",
                output.describe()
            );
            assert!(!output.stderr.contains("[y/N]"), "{}", output.describe());
        }
    }
    assert_eq!(
        std::fs::read(&path).ok(),
        Some(recorded),
        "the file is kept"
    );
    assert_eq!(welcome_line(&state, &[])["finished"], 1);
}

#[test]
fn reset_with_yes_without_a_terminal_removes_the_file() {
    let state = fresh_state_home("reset-yes");
    let path = progress_path(&state);
    for yes in ["--yes", "-y"] {
        finish(&state, "fork");
        assert!(path.exists());
        let output = succeeds(&state, &["reset", yes, "--lang", "en"]);
        assert!(
            output.stdout.contains("Progress forgotten"),
            "{}",
            output.describe()
        );
        assert!(!output.stderr.contains("[y/N]"), "{}", output.describe());
        assert!(!path.exists(), "{yes}: {}", output.describe());
        let output = succeeds(&state, &["reset", yes, "--lang", "en"]);
        assert!(
            output.stdout.contains("Nothing to reset"),
            "{}",
            output.describe()
        );
    }
    // The welcome starts over.
    assert_eq!(welcome_line(&state, &[])["finished"], 0);
}

/// A file from a newer procdemo, with a field this one does not know.
const NEWER: &str = "{\"version\": 99, \"lessons\": {\"fork\": {\"finished\": 2}}, \"goals\": [1]}";

/// How many times stderr says the file at `path` is from a newer procdemo.
fn said_newer(output: &Output, path: &Path, lang: &str) -> usize {
    let says = match lang {
        "zh" => "是更新版本的 procdemo 写的",
        _ => "was written by a newer procdemo",
    };
    output
        .stderr
        .lines()
        .filter(|line| line.contains(&path.display().to_string()) && line.contains(says))
        .count()
}

/// A newer procdemo's file is left byte for byte; every command says once
/// that it is newer, the lessons run and are not recorded.
#[test]
fn a_file_from_a_newer_procdemo_is_left_untouched_and_nothing_is_recorded() {
    let state = fresh_state_home("newer");
    let path = write_progress(&state, NEWER);
    for lang in ["en", "zh"] {
        let output = succeeds(&state, &["fork", "--json", "--pace", "0", "--lang", lang]);
        assert_eq!(output.events().last().map(step), Some("done"));
        assert_eq!(said_newer(&output, &path, lang), 1, "{}", output.describe());
        assert!(
            output.stderr.contains(match lang {
                "zh" => "这次运行不记进度",
                _ => "this run is not recorded",
            }),
            "{}",
            output.describe()
        );
        let output = finish_for_people(&state, &["fork"], Some(lang), "");
        assert_eq!(said_newer(&output, &path, lang), 1, "{}", output.describe());
        if lang == "en" {
            assert!(
                last_line(&output).contains("(this one not saved)"),
                "{}",
                output.describe()
            );
        }
        for command in [&["list", "--json"][..], &["--json"][..]] {
            let mut args = command.to_vec();
            args.extend(["--lang", lang]);
            let output = succeeds(&state, &args);
            assert_eq!(said_newer(&output, &path, lang), 1, "{}", output.describe());
        }
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(NEWER));
    }
    let names = files_in(&state);
    assert!(
        names
            .iter()
            .all(|name| name == "progress.json" || name == "progress.lock"),
        "nothing set aside, nothing left: {names:?}"
    );

    // reset forgets a newer file only with --yes, even where it could ask.
    for lang in ["en", "zh"] {
        let output = refused(&state, &["reset", "--lang", lang]);
        assert_eq!(said_newer(&output, &path, lang), 1, "{}", output.describe());
        assert!(
            output.stderr.contains("procdemo reset --yes"),
            "{}",
            output.describe()
        );
    }
    assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(NEWER));
    succeeds(&state, &["reset", "--yes", "--lang", "en"]);
    assert!(!path.exists());
}

/// The names of the files in `procdemo/` under `state`.
fn files_in(state: &Path) -> Vec<String> {
    std::fs::read_dir(state.join("procdemo"))
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("an entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The temporary files of a save, under `state`.
fn temporary_files(state: &Path) -> Vec<String> {
    let mut names = files_in(state);
    names.retain(|name| name.starts_with("progress.json.new-"));
    names
}

/// A save killed midway (here: `kill -9` moments after the lesson's `done`,
/// while procdemo writes its progress) never leaves a file half-written,
/// and the next save removes what it left; so does a save after an older
/// procdemo's leftover `progress.json.new-<pid>`.
#[test]
fn a_save_killed_midway_leaves_a_whole_file_and_no_leftover_after_the_next_save() {
    use std::io::BufRead;
    let state = fresh_state_home("atomic");
    let dir = state.join("procdemo");
    std::fs::create_dir_all(&dir).expect("procdemo/");
    std::fs::write(dir.join("progress.json.new-4242"), "{\"vers").expect("a leftover");
    finish(&state, "fork");
    assert_eq!(temporary_files(&state), Vec::<String>::new());

    let kill_after_done = |delay_us: u64| {
        let mut child = procdemo_in(&state, &["fork", "--json", "--pace", "0", "--lang", "en"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting procdemo");
        let stdout = child.stdout.take().expect("stdout piped");
        let done = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("\"step\":\"done\""));
        assert!(done, "the lesson ran to its end");
        std::thread::sleep(std::time::Duration::from_micros(delay_us));
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
        let _ = child.wait();
        if let Some(progress) = read_progress(&state) {
            assert_eq!(progress["version"], 1, "{progress}");
        }
    };
    // Spread over the save: from before it starts to after it ends.
    std::thread::scope(|scope| {
        for thread in 0..4_u64 {
            scope.spawn(move || {
                for run in 0..8_u64 {
                    kill_after_done(fastrand::u64(0..=(thread * 8 + run) * 150));
                }
            });
        }
    });
    let finished = entry(&state, "fork")["finished"].as_u64().expect("a count");
    assert!((1..=33).contains(&finished), "{finished}");
    finish(&state, "fork");
    assert_eq!(temporary_files(&state), Vec::<String>::new());
    assert_eq!(entry(&state, "fork")["finished"], finished + 1);
}

/// A lesson for people, to its end, under `state` (`--lang` given as a flag
/// when `lang` is `Some`), with `input` on stdin.
fn finish_for_people(state: &Path, args: &[&str], lang: Option<&str>, input: &str) -> Output {
    let mut all = args.to_vec();
    all.extend(["--pace", "0", "--color", "never", "--stream"]);
    if let Some(lang) = lang {
        all.extend(["--lang", lang]);
    }
    let mut command = procdemo_in(state, &all);
    // Wide enough for the last line whole, as on a wide terminal.
    command.env("COLUMNS", "120");
    let output = common::run_with_input(command, input);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    output
}

/// The last line of `output`'s stdout.
fn last_line(output: &Output) -> &str {
    output.stdout.trim_end().lines().last().unwrap_or("")
}

#[test]
fn a_finished_lesson_ends_saying_how_far_through_the_course_and_what_to_run_next() {
    let n = COURSE.len();
    let state = fresh_state_home("lesson-end");
    let output = finish_for_people(&state, &["fork"], Some("en"), "");
    // The language came from the flag: the command repeats it.
    assert_eq!(
        last_line(&output),
        format!("✔ Lesson fork done · 1 of {n} lessons finished · Next: procdemo pids --lang en"),
        "{}",
        output.describe()
    );
    let output = finish_for_people(&state, &["pids"], Some("zh"), "");
    assert_eq!(
        last_line(&output),
        format!("✔ pids 这一课学完了 · 共 {n} 课，已学完 2 课 · 下一课：procdemo join --lang zh"),
        "{}",
        output.describe()
    );
    // Running a finished lesson again counts it once.
    let output = finish_for_people(&state, &["fork"], None, "");
    assert_eq!(
        last_line(&output),
        format!("✔ Lesson fork done · 2 of {n} lessons finished · Next: procdemo join")
    );
    // Too wide for the terminal: a line for each part, none broken.
    let mut narrow = procdemo_in(
        &state,
        &[
            "pids", "--pace", "0", "--color", "never", "--stream", "--lang", "en",
        ],
    );
    narrow.env("COLUMNS", "50");
    let output = run(narrow);
    let end: Vec<&str> = output.stdout.trim_end().lines().rev().take(3).collect();
    assert_eq!(
        end,
        [
            "Next: procdemo join --lang en",
            &format!("2 of {n} lessons finished"),
            "✔ Lesson pids done"
        ],
        "{}",
        output.describe()
    );
    // JSON has its `done` event and nothing after it.
    assert_eq!(
        finish(&state, "fork").events().last().map(step),
        Some("done")
    );
}

/// When every lesson and quiz is done, the line says so instead of a command.
#[test]
fn the_last_lesson_line_says_when_the_course_is_done() {
    let n = COURSE.len();
    let state = fresh_state_home("lesson-end-all");
    let entries: serde_json::Map<String, Value> = right_answers(&listed_lessons("en"))
        .into_iter()
        .map(|(id, answers)| {
            let full = json!({"asked": answers.len(), "right": answers.len()});
            let entry = json!({
                "finished": 1,
                "first_finished": 1_700_000_000,
                "last_finished": 1_700_000_000,
                "quiz": full,
                "best_quiz": full,
            });
            (id, entry)
        })
        .collect();
    write_progress(
        &state,
        &json!({"version": 1, "lessons": &entries}).to_string(),
    );
    let output = finish_for_people(&state, &["zombie"], Some("en"), "");
    assert_eq!(
        last_line(&output),
        format!(
            "✔ Lesson zombie done · All {n} lessons finished · The whole course is done, quizzes included"
        )
    );
    let output = finish_for_people(&state, &["zombie"], Some("zh"), "");
    assert_eq!(
        last_line(&output),
        format!("✔ zombie 这一课学完了 · {n} 课全部学完了 · 整个课程连同小测验都完成了")
    );
    // Every lesson finished, one quiz never answered: the quiz is what is left.
    let mut entries = entries;
    entries.insert(
        "fork".to_string(),
        json!({"finished": 1, "first_finished": 1_700_000_000, "last_finished": 1_700_000_000}),
    );
    write_progress(
        &state,
        &json!({"version": 1, "lessons": entries}).to_string(),
    );
    let output = finish_for_people(&state, &["zombie"], Some("en"), "");
    assert_eq!(
        last_line(&output),
        format!(
            "✔ Lesson zombie done · All {n} lessons finished · Try the quizzes: procdemo fork --quiz --lang en"
        )
    );
    let output = finish_for_people(&state, &["zombie"], Some("zh"), "");
    assert_eq!(
        last_line(&output),
        format!(
            "✔ zombie 这一课学完了 · {n} 课全部学完了 · 再试试小测验：procdemo fork --quiz --lang zh"
        )
    );
}

/// A lesson whose progress cannot be saved still counts for whoever
/// watched it, and the line says it was not saved.
#[test]
fn the_last_lesson_line_counts_a_lesson_not_saved_and_says_so() {
    let n = COURSE.len();
    let dir = fresh_state_home("lesson-end-unsaved");
    let mut command = with_env(
        &[
            "fork", "--pace", "0", "--color", "never", "--stream", "--lang", "en",
        ],
        None,
        None,
        &dir,
    );
    command.env("COLUMNS", "120");
    let output = run(command);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert_eq!(
        last_line(&output),
        format!(
            "✔ Lesson fork done · 1 of {n} lessons finished (this one not saved) · Next: procdemo pids --lang en"
        ),
        "{}",
        output.describe()
    );
}

/// After a quiz: this lesson's score, and a better one from an earlier run.
#[test]
fn after_a_quiz_the_lesson_says_its_own_score_and_the_best_so_far() {
    let state = fresh_state_home("lesson-end-quiz");
    let quiz = ["pids", "--quiz"];
    let output = finish_for_people(&state, &quiz, Some("en"), "2\n2\n");
    assert!(
        output
            .stdout
            .contains("\nQuiz in this lesson: 2 of 2 predictions right.\n"),
        "{}",
        output.describe()
    );
    assert!(
        !output.stdout.contains("Your best"),
        "{}",
        output.describe()
    );
    let output = finish_for_people(&state, &quiz, Some("en"), "1\n2\n");
    assert!(
        output
            .stdout
            .contains("\nQuiz in this lesson: 1 of 2 predictions right.\n"),
        "{}",
        output.describe()
    );
    assert!(
        output
            .stdout
            .contains("\nYour best in this lesson's quiz: 2 of 2.\n"),
        "{}",
        output.describe()
    );
    let output = finish_for_people(&state, &quiz, Some("zh"), "1\n1\n");
    assert!(
        output
            .stdout
            .contains("\n本课小测验：2 道题里预测对了 0 道。\n")
            && output
                .stdout
                .contains("\n你在本课小测验中的最好成绩：2 道题对了 2 道。\n"),
        "{}",
        output.describe()
    );
}
