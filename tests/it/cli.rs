//! The command line: global options in any position, help and list, bad
//! input, colours, `--step` without a terminal, the language taken from the
//! locale, and a reader that closes stdout early.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{ChildStdout, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    self, DEADLINE, Output, assert_no_leftovers, assert_no_queue_left, assert_well_formed,
    fresh_state_home, has_ansi, has_chinese, listed_lessons, msg_max, pid, procdemo, procdemo_in,
    read_text_on_thread, report, run, run_args, step, still_running, wait_with_deadline,
};
use procdemo::lessons::fork::AfterFork;
use serde_json::Value;

fn assert_complete_json_run(output: &Output, lesson: &str) -> Vec<Value> {
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let events = output.events();
    assert_well_formed(&events, lesson, output.pid);
    assert_eq!(
        events.last().map(step),
        Some("done"),
        "{}",
        output.describe()
    );
    events
}

#[test]
fn global_options_work_before_and_after_the_lesson_name() {
    for args in [
        &["--json", "fork", "--pace", "0", "--lang", "en"][..],
        &["fork", "--json", "--pace", "0", "--lang", "en"],
        &["--json", "--pace", "0", "--lang", "en", "fork"],
        &[
            "--pace",
            "0",
            "pids",
            "--children",
            "2",
            "--json",
            "--lang",
            "zh",
        ],
    ] {
        let output = run_args(args);
        let lesson = if args.contains(&"fork") {
            "fork"
        } else {
            "pids"
        };
        let events = assert_complete_json_run(&output, lesson);
        assert!(!has_ansi(&output.stdout), "{args:?}");
        assert_no_leftovers(&common::pids_seen(&events));
    }
}

#[test]
fn help_names_every_lesson_and_list() {
    let output = run_args(&["--help"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    for word in [
        "fork", "pids", "list", "--json", "--pace", "--lang", "--color", "--step",
    ] {
        assert!(
            output.stdout.contains(word),
            "--help does not mention {word}:\n{}",
            output.stdout
        );
    }
}

/// `procdemo` alone runs no lesson: it welcomes, lists the course and says
/// what to run next.
#[test]
fn no_arguments_welcomes_and_names_the_next_command() {
    let state = fresh_state_home("cli-welcome");
    let output = run(procdemo_in(&state, &[]));
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert!(
        !output.stdout.contains("\"step\""),
        "no lesson may run: {}",
        output.describe()
    );
    assert!(
        output.stdout.contains("Start here: procdemo fork"),
        "the welcome must name a command to run: {}",
        output.describe()
    );
}

#[test]
fn list_names_fork_then_pids_with_titles_and_summaries_in_both_languages() {
    for lang in ["en", "zh"] {
        let lessons = listed_lessons(lang);
        let ids: Vec<&str> = lessons
            .iter()
            .map(|lesson| lesson["lesson"].as_str().expect("id"))
            .collect();
        assert!(ids.len() >= 2, "{ids:?}");
        assert_eq!(ids[..2], ["fork", "pids"], "course order ({lang})");
        for lesson in &lessons {
            for field in ["title", "summary"] {
                let text = lesson[field].as_str().unwrap_or_default();
                assert!(!text.trim().is_empty(), "empty {field} in {lang}: {lesson}");
            }
        }
    }
}

#[test]
fn list_for_people_names_every_lesson() {
    let output = run_args(&["list", "--lang", "en", "--color", "never"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert!(
        output.stdout.contains("fork") && output.stdout.contains("pids"),
        "{}",
        output.stdout
    );
}

#[test]
fn an_unknown_lesson_fails_and_suggests_the_nearest() {
    let output = run_args(&["frok", "--json", "--pace", "0", "--lang", "en"]);
    assert!(!output.status.success(), "{}", output.describe());
    assert!(output.stdout.is_empty(), "{}", output.describe());
    assert!(
        output.stderr.contains("'fork'") || output.stderr.contains("`fork`"),
        "{}",
        output.stderr
    );
}

/// Bad input fails at once, before any lesson starts (no event, so no
/// process, and no message queue), with a message that names the limit.
/// Returns the output.
fn assert_rejected(args: &[&str], option: &str, limit_words: &[&str]) -> Output {
    let output = run_args(args);
    assert_no_queue_left(output.pid);
    let shown = format!("procdemo {args:?}:\n{}", output.describe());
    assert!(!output.status.success(), "{shown}");
    assert!(output.stdout.is_empty(), "nothing may run: {shown}");
    assert!(
        output.stderr.contains(option),
        "the message must name {option}: {shown}"
    );
    for word in limit_words {
        assert!(
            has_word(&output.stderr, word),
            "the message must name the limit ({word}): {shown}"
        );
    }
    output
}

/// True if `word` appears in `text` as a whole word or number.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .any(|piece| piece.trim_end_matches('.') == word)
}

/// A lesson with one bad option, as the tests run lessons.
fn lesson_with(
    lesson: &'static str,
    option: &'static str,
    value: &'static str,
) -> Vec<&'static str> {
    vec![
        lesson, "--json", "--pace", "0", "--lang", "en", option, value,
    ]
}

/// `lesson` with each of `values` for `option` is rejected, with a message
/// that names the `limits` (see `assert_rejected`).
fn assert_each_rejected(
    lesson: &'static str,
    option: &'static str,
    values: &[&'static str],
    limits: &[&str],
) {
    for value in values {
        assert_rejected(&lesson_with(lesson, option, value), option, limits);
    }
}

#[test]
fn an_unknown_language_is_rejected() {
    assert_rejected(
        &["fork", "--json", "--pace", "0", "--lang", "fr"],
        "--lang",
        &["en", "zh"],
    );
}

#[test]
fn a_negative_pace_is_rejected() {
    assert_rejected(
        &["fork", "--json", "--lang", "en", "--pace", "-1"],
        "--pace",
        &["0", "20"],
    );
}

#[test]
fn a_pace_that_is_not_a_number_is_rejected() {
    assert_rejected(
        &["fork", "--json", "--lang", "en", "--pace", "abc"],
        "--pace",
        &["0", "20"],
    );
}

#[test]
fn a_pace_above_the_limit_is_rejected() {
    assert_rejected(
        &["fork", "--json", "--lang", "en", "--pace", "21"],
        "--pace",
        &["0", "20"],
    );
}

#[test]
fn zero_children_are_rejected() {
    assert_each_rejected("pids", "--children", &["0"], &["1", "16"]);
}

#[test]
fn a_thousand_children_are_rejected() {
    assert_each_rejected("pids", "--children", &["1000"], &["1", "16"]);
}

#[test]
fn a_negative_number_of_children_is_rejected_with_the_limit() {
    assert_each_rejected("pids", "--children", &["-3"], &["1", "16"]);
}

/// `join --timeout` takes seconds from 0.1 to 10: zero, negative, too long
/// and not a number are all refused, naming the limits.
#[test]
fn a_join_timeout_out_of_range_is_rejected_with_the_limits() {
    assert_each_rejected(
        "join",
        "--timeout",
        &["0", "-1", "11", "abc", "0.05"],
        &["0.1", "10"],
    );
}

#[test]
fn a_lifetime_of_zero_is_rejected() {
    assert_each_rejected("fork", "--lifetime", &["0"], &["1", "86400"]);
}

/// Like `--children -3` and `--pace -1`, a negative lifetime is refused with
/// a message that names the option and its limits.
#[test]
fn a_negative_lifetime_is_rejected_with_the_limit() {
    assert_each_rejected("fork", "--lifetime", &["-1"], &["1", "86400"]);
}

/// Like `--pace abc`, a lifetime that is not a whole number of seconds is
/// refused with a message that names the limits.
#[test]
fn a_lifetime_that_is_not_a_whole_number_is_rejected_with_the_limit() {
    assert_each_rejected("fork", "--lifetime", &["abc", "1.5"], &["1", "86400"]);
}

/// `queue --size` takes 1 to the kernel's limit: the message names the file
/// that holds it, and its value here.
#[test]
fn a_queue_size_out_of_range_is_rejected_naming_msg_max() {
    // The kernel's ceiling on a queue's capacity, which `--size` may not pass.
    let limit = msg_max().to_string();
    for size in ["0", "1000", "-1"] {
        let output = assert_rejected(
            &lesson_with("queue", "--size", size),
            "--size",
            &["1", &limit],
        );
        assert!(
            output.stderr.contains("/proc/sys/fs/mqueue/msg_max"),
            "the message must name msg_max for --size {size}: {}",
            output.describe()
        );
    }
}

#[test]
fn a_number_of_queue_messages_out_of_range_is_rejected_with_the_limits() {
    assert_each_rejected("queue", "--messages", &["0", "10001"], &["1", "10000"]);
}

#[test]
fn a_number_of_producers_or_consumers_out_of_range_is_rejected_with_the_limits() {
    assert_each_rejected("queue", "--producers", &["0"], &["1", "8"]);
    assert_each_rejected("queue", "--consumers", &["9"], &["1", "8"]);
}

#[test]
fn a_memory_buffer_out_of_range_is_rejected_with_the_limits() {
    assert_each_rejected("memory", "--mib", &["0", "5000", "-1"], &["1", "1024"]);
}

/// The hidden `__spawned` command is procdemo's own: run by hand, with a
/// descriptor that is not open, it fails with a message that names it, and
/// reports nothing on stdout, with or without `--json`.
#[test]
#[allow(
    unsafe_code,
    reason = "only pre_exec can close a descriptor in the child alone"
)]
fn spawned_by_hand_without_its_pipe_fails_clearly_and_prints_nothing() {
    for json in [false, true] {
        let mut args = vec![
            "__spawned",
            "--lesson",
            "memory",
            "--role",
            "spawned",
            "--events-fd",
            "99",
            "--started-ns",
            "0",
        ];
        if json {
            args.push("--json");
        }
        let mut command = procdemo(&args);
        // SAFETY: close() is async-signal-safe and touches no memory of the
        // parent; it only makes sure that descriptor 99 is not open.
        unsafe {
            command.pre_exec(|| {
                libc::close(99);
                Ok(())
            });
        }
        let output = run(command);
        let shown = format!("procdemo {args:?}:\n{}", output.describe());
        assert!(!output.status.success(), "{shown}");
        assert!(output.stdout.is_empty(), "no event on stdout: {shown}");
        assert!(
            output.stderr.contains("descriptor") && has_word(&output.stderr, "99"),
            "the message must name descriptor 99: {shown}"
        );
    }
}

/// The human output of `fork` with these extra arguments and environment.
fn human_fork(extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["fork", "--pace", "0"];
    args.extend_from_slice(extra);
    let mut command = procdemo(&args);
    command.envs(env.iter().copied());
    let output = run(command);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert!(!output.stdout.is_empty(), "{}", output.describe());
    output
}

#[test]
fn color_always_colours_even_a_pipe() {
    assert!(has_ansi(
        &human_fork(&["--lang", "en", "--color", "always"], &[]).stdout
    ));
}

#[test]
fn color_never_and_no_color_give_plain_text() {
    assert!(!has_ansi(
        &human_fork(&["--lang", "en", "--color", "never"], &[]).stdout
    ));
    assert!(!has_ansi(
        &human_fork(&["--lang", "en"], &[("NO_COLOR", "1")]).stdout
    ));
    assert!(!has_ansi(
        &human_fork(&["--lang", "en", "--color", "auto"], &[("NO_COLOR", "1")]).stdout
    ));
    // A pipe is not a terminal: no colour by default.
    assert!(!has_ansi(&human_fork(&["--lang", "en"], &[]).stdout));
}

#[test]
fn clicolor_force_colours_a_pipe_in_auto_mode() {
    assert!(has_ansi(
        &human_fork(
            &["--lang", "en", "--color", "auto"],
            &[("CLICOLOR_FORCE", "1")]
        )
        .stdout
    ));
}

#[test]
fn json_is_never_coloured() {
    for env in [&[][..], &[("CLICOLOR_FORCE", "1")]] {
        let mut command = procdemo(&[
            "fork", "--json", "--pace", "0", "--lang", "en", "--color", "always",
        ]);
        command.envs(env.iter().copied());
        let output = run(command);
        assert_complete_json_run(&output, "fork");
        assert!(!has_ansi(&output.stdout), "{}", output.stdout);
    }
}

#[test]
fn step_without_a_terminal_runs_through_and_says_so() {
    // `procdemo` makes stdin /dev/null: not a terminal.
    let output = run_args(&[
        "fork", "--step", "--pace", "0", "--lang", "en", "--color", "never",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert!(
        output.stderr.contains("without pauses"),
        "{}",
        output.describe()
    );
    assert_eq!(output.stderr.lines().count(), 1, "{}", output.describe());
}

#[test]
fn step_with_q_on_a_pipe_runs_through() {
    // --step pauses only on a terminal: "q" on a pipe is never read as an answer.
    let mut command = procdemo(&[
        "fork", "--step", "--pace", "0", "--lang", "en", "--color", "never",
    ]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(b"q\n");
    drop(stdin);
    let stdout = read_text_on_thread(child.stdout.take().expect("stdout"));
    let stderr = read_text_on_thread(child.stderr.take().expect("stderr"));
    let status = wait_with_deadline(&mut child, Instant::now() + DEADLINE, "fork --step with q");
    let stderr = stderr.recv_timeout(DEADLINE).expect("stderr closes");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("without pauses"), "{stderr}");
    let stdout = stdout.recv_timeout(DEADLINE).expect("stdout closes");
    assert!(!stdout.is_empty());
}

#[test]
fn step_is_ignored_with_json() {
    let mut command = procdemo(&["fork", "--json", "--step", "--pace", "0", "--lang", "en"]);
    command.stdin(Stdio::piped());
    let output = run(command);
    let events = assert_complete_json_run(&output, "fork");
    assert_eq!(
        events
            .iter()
            .filter(|event| step(event) == "after-fork")
            .count(),
        2
    );
}

#[test]
fn the_language_comes_from_lang() {
    let output = human_fork(&["--color", "never"], &[("LANG", "zh_CN.UTF-8")]);
    assert!(has_chinese(&output.stdout), "{}", output.stdout);
    let output = human_fork(&["--color", "never"], &[("LANG", "en_US.UTF-8")]);
    assert!(!has_chinese(&output.stdout), "{}", output.stdout);
    // No locale at all: English.
    assert!(!has_chinese(&human_fork(&["--color", "never"], &[]).stdout));
}

#[test]
fn lc_all_wins_over_lang() {
    let env = [("LC_ALL", "en_US.UTF-8"), ("LANG", "zh_CN.UTF-8")];
    assert!(!has_chinese(
        &human_fork(&["--color", "never"], &env).stdout
    ));
    let env = [("LC_ALL", "zh_CN.UTF-8"), ("LANG", "en_US.UTF-8")];
    assert!(has_chinese(&human_fork(&["--color", "never"], &env).stdout));
}

#[test]
fn lc_messages_wins_over_lang() {
    let env = [("LC_MESSAGES", "zh_CN.UTF-8"), ("LANG", "en_US.UTF-8")];
    assert!(has_chinese(&human_fork(&["--color", "never"], &env).stdout));
}

#[test]
fn the_lang_option_wins_over_the_locale() {
    let env = [("LC_ALL", "zh_CN.UTF-8"), ("LANG", "zh_CN.UTF-8")];
    assert!(!has_chinese(
        &human_fork(&["--color", "never", "--lang", "en"], &env).stdout
    ));
    let env = [("LC_ALL", "en_US.UTF-8")];
    assert!(has_chinese(
        &human_fork(&["--color", "never", "--lang", "zh"], &env).stdout
    ));
}

/// Reads `lines` lines (or `bytes` bytes when `lines` is 0) from stdout on a
/// thread, then closes the pipe as `head` would, and hands over what it read.
fn read_then_close(mut stdout: ChildStdout, lines: usize, bytes: usize) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut read = Vec::new();
        let mut byte = [0u8; 1];
        while (lines > 0 && read.iter().filter(|b| **b == b'\n').count() < lines)
            || (lines == 0 && read.len() < bytes)
        {
            match stdout.read(&mut byte) {
                Ok(1) => read.push(byte[0]),
                _ => break,
            }
        }
        drop(stdout);
        let _ = sender.send(String::from_utf8_lossy(&read).into_owned());
    });
    receiver
}

/// Waits for procdemo to exit after its reader went away, then for stderr to
/// close: stderr is shared by every process of the run, so its end means none
/// is left holding it.
fn wait_after_early_close(mut child: std::process::Child, what: &str) {
    let deadline = Instant::now() + DEADLINE;
    let stderr = child.stderr.take().expect("stderr");
    let stderr = read_text_on_thread(stderr);
    let _status = wait_with_deadline(&mut child, deadline, what);
    stderr
        .recv_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_secs(1)),
        )
        .unwrap_or_else(|_| {
            panic!("{what}: stderr stayed open after procdemo exited: a process of the run is left")
        });
}

#[test]
fn json_stdout_closed_early_still_ends_and_leaves_nothing() {
    // Slow enough that the lesson is still running when the pipe closes.
    let mut command = procdemo(&["fork", "--json", "--pace", "0.5", "--lang", "en"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let procdemo_pid = child.id() as i32;
    let first_lines = read_then_close(child.stdout.take().expect("stdout"), 2, 0);
    let text = first_lines
        .recv_timeout(DEADLINE)
        .expect("the first lines arrive");
    let events: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    // The second line is an after-fork event: it names the child.
    let child_pid = events
        .iter()
        .find(|event| step(event) == "after-fork")
        .map(|event| match report::<AfterFork>(event).fork_returned {
            0 => pid(event),
            forked => forked,
        })
        .unwrap_or_else(|| panic!("no after-fork in {text:?}"));
    wait_after_early_close(child, "fork --json with stdout closed early");
    assert_no_leftovers(&[procdemo_pid, child_pid]);
    assert!(!still_running(child_pid));
}

#[test]
fn human_stdout_closed_early_still_ends_and_leaves_nothing() {
    // Like `procdemo fork | head -c 100`.
    let mut command = procdemo(&["fork", "--pace", "0.5", "--lang", "en", "--color", "never"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let procdemo_pid = child.id() as i32;
    let first_bytes = read_then_close(child.stdout.take().expect("stdout"), 0, 100);
    let text = first_bytes
        .recv_timeout(DEADLINE)
        .expect("the first bytes arrive");
    assert!(!text.is_empty());
    wait_after_early_close(child, "fork | head -c 100");
    assert_no_leftovers(&[procdemo_pid]);
}

/// `lock --workers` and `semaphore --workers` take 1 to 16 processes.
#[test]
fn a_number_of_lock_or_semaphore_workers_out_of_range_is_rejected_with_the_limits() {
    for lesson in ["lock", "semaphore"] {
        assert_each_rejected(lesson, "--workers", &["0", "1000", "-1"], &["1", "16"]);
    }
}

/// `lock --increments` takes 1 to 1000000 per worker.
#[test]
fn a_number_of_lock_increments_out_of_range_is_rejected_with_the_limits() {
    assert_each_rejected(
        "lock",
        "--increments",
        &["0", "2000000", "-5"],
        &["1", "1000000"],
    );
}

/// `semaphore --permits` takes 1 to 16: `Semaphore(0)` would let no one in.
#[test]
fn a_number_of_semaphore_permits_out_of_range_is_rejected_with_the_limits() {
    assert_each_rejected("semaphore", "--permits", &["0", "17", "-2"], &["1", "16"]);
}

/// Help lines that are neither an option's name nor a blank line: the
/// words a reader reads, which must be in Chinese.
fn worded_lines(help: &str) -> impl Iterator<Item = &str> {
    help.lines().map(str::trim).filter(|line| {
        !line.is_empty() && !line.starts_with('-') && !line.starts_with('<') && *line != "procdemo"
    })
}

/// `help` is Chinese throughout: Chinese headings, no English left.
fn assert_chinese_help(help: &str, shown: &str) {
    assert!(help.contains("用法："), "no 用法：: {shown}");
    for english in [
        "Usage:",
        "Options:",
        "options:",
        "Arguments:",
        "[default:",
        "possible values",
    ] {
        assert!(!help.contains(english), "English {english:?} left: {shown}");
    }
    for line in worded_lines(help) {
        assert!(
            !is_english(line),
            "an English line in the Chinese help: {line:?}\n{shown}"
        );
    }
}

/// A line of English prose: two of its words are common English words
/// (a command, a path or an option name alone is not).
fn is_english(line: &str) -> bool {
    const COMMON: &[&str] = &[
        "the", "a", "of", "to", "and", "or", "is", "for", "in", "with", "print",
    ];
    line.split_whitespace()
        .filter(|word| COMMON.contains(&word.to_lowercase().as_str()))
        .count()
        >= 2
}

#[test]
fn lesson_help_is_chinese_with_lang_zh_or_a_chinese_locale() {
    let by_flag = run_args(&["fork", "--help", "--lang", "zh"]);
    let mut by_locale = procdemo(&["fork", "--help"]);
    by_locale.env("LANG", "zh_CN.UTF-8");
    for output in [by_flag, run(by_locale)] {
        assert_eq!(output.status.code(), Some(0), "{}", output.describe());
        assert!(
            output.stdout.contains("本课选项："),
            "{}",
            output.describe()
        );
        assert_chinese_help(&output.stdout, &output.describe());
    }
}

#[test]
fn every_lesson_and_command_has_its_help_in_both_languages() {
    let mut commands = vec!["list", "tour", "reset", "completions", "man"];
    commands.extend(
        listed_lessons("en")
            .iter()
            .map(|lesson| lesson["lesson"].as_str().expect("id").to_string().leak() as &str),
    );
    thread::scope(|scope| {
        for command in &commands {
            scope.spawn(move || {
                let english = run_args(&[command, "--help", "--lang", "en"]);
                assert_eq!(english.status.code(), Some(0), "{}", english.describe());
                assert!(english.stdout.contains("Usage:"), "{}", english.describe());
                let chinese = run_args(&[command, "--help", "--lang", "zh"]);
                assert_eq!(chinese.status.code(), Some(0), "{}", chinese.describe());
                assert_chinese_help(&chinese.stdout, &chinese.describe());
            });
        }
    });
    let root = run_args(&["--help", "--lang", "zh"]);
    assert!(root.stdout.contains("课程与命令："), "{}", root.describe());
    for line in worded_lines(&root.stdout) {
        assert!(
            !line.is_ascii() || line.split_whitespace().count() == 1,
            "{line:?}"
        );
    }
}

#[test]
fn a_bad_value_with_lang_zh_is_answered_in_chinese() {
    let output = run_args(&["pool", "--workers", "0", "--lang", "zh"]);
    assert_eq!(output.status.code(), Some(2), "{}", output.describe());
    assert!(output.stdout.is_empty(), "{}", output.describe());
    assert!(output.stderr.starts_with("错误："), "{}", output.describe());
    assert!(output.stderr.contains("1 到 64"), "{}", output.describe());
    assert!(has_chinese(&output.stderr), "{}", output.describe());
    let english = run_args(&["pool", "--workers", "0", "--lang", "en"]);
    assert!(
        english.stderr.contains("from 1 to 64"),
        "{}",
        english.describe()
    );
    let mut by_locale = procdemo(&["lock", "--increments", "0"]);
    by_locale.env("LC_MESSAGES", "zh_TW.UTF-8");
    let by_locale = run(by_locale);
    assert_eq!(by_locale.status.code(), Some(2), "{}", by_locale.describe());
    assert!(
        by_locale.stderr.contains("1 到 1000000"),
        "{}",
        by_locale.describe()
    );
}

#[test]
fn clap_errors_are_framed_in_chinese() {
    for args in [
        &["fork", "--no-such-option", "--lang", "zh"][..],
        &["--lang=zh", "frok"],
        &["--lang", "zh", "pids", "--children"],
    ] {
        let output = run_args(args);
        let shown = format!("{args:?}: {}", output.describe());
        assert_eq!(output.status.code(), Some(2), "{shown}");
        assert!(output.stderr.starts_with("错误："), "{shown}");
        assert!(output.stderr.contains(" --help --lang zh。"), "{shown}");
        for english in ["error:", "tip:", "Usage:", "For more information"] {
            assert!(!output.stderr.contains(english), "{english} left: {shown}");
        }
    }
}

/// As clap paints its English errors (CLICOLOR_FORCE stands for a
/// terminal on stderr), and plain with NO_COLOR.
#[test]
fn a_chinese_clap_error_is_coloured_as_the_english_one() {
    for (lang, help) in [("en", "--help"), ("zh", "procdemo fork --help --lang zh")] {
        let mut forced = procdemo(&["fork", "--pace", "99", "--lang", lang]);
        forced.env("CLICOLOR_FORCE", "1").env_remove("NO_COLOR");
        let forced = run(forced);
        assert_eq!(forced.status.code(), Some(2), "{}", forced.describe());
        assert!(
            forced.stderr.starts_with("\x1b[1"),
            "{lang}: {}",
            forced.describe()
        );
        let painted_help = format!("\x1b[1m{help}");
        assert!(
            forced.stderr.contains(&painted_help),
            "{lang}: {}",
            forced.describe()
        );
        let mut plain = procdemo(&["fork", "--pace", "99", "--lang", lang]);
        plain.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
        let plain = run(plain);
        assert!(
            !plain.stderr.contains('\x1b'),
            "{lang}: {}",
            plain.describe()
        );
    }
}

#[test]
fn the_manual_page_has_its_sections_in_both_languages_and_no_backticks() {
    for (lang, sections) in [
        (
            "en",
            ["EXAMPLES", "FILES", "ENVIRONMENT", "\"EXIT STATUS\""],
        ),
        ("zh", ["示例", "文件", "环境变量", "退出状态"]),
    ] {
        let output = run_args(&["man", "--lang", lang]);
        assert_eq!(output.status.code(), Some(0), "{}", output.describe());
        let page = &output.stdout;
        for section in sections {
            assert!(
                page.contains(&format!(".SH {section}\n")),
                "{lang}: no {section}"
            );
        }
        for word in [
            "progress.json",
            "XDG_STATE_HOME",
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "COLUMNS",
            "130",
            "143",
        ] {
            assert!(page.contains(word), "{lang}: the page does not name {word}");
        }
        // Every exit status procdemo uses, each an entry of its own.
        for status in ["0", "1", "2", "129", "130", "131", "141", "143"] {
            assert!(
                page.contains(&format!(".TP\n\\fB{status}\\fR\n")),
                "{lang}: EXIT STATUS has no entry for {status}"
            );
        }
        assert!(!page.contains('`'), "{lang}: a raw backtick in the roff");
    }
}

#[test]
fn man_and_completions_offer_no_lesson_flags() {
    for command in ["man", "completions"] {
        let help = run_args(&[command, "--help", "--lang", "en"]).stdout;
        for flag in [
            "--json",
            "--pace",
            "--step",
            "--quiz",
            "--lifetime",
            "--trace",
            "--python",
        ] {
            assert!(
                !help.contains(flag),
                "{command} --help offers {flag}:\n{help}"
            );
        }
    }
    let script = run_args(&["completions", "bash"]).stdout;
    let options_of = |command: &str| {
        let case = format!("procdemo__subcmd__{command})");
        let after = script.split(&case).nth(1).expect("the command's case");
        after
            .lines()
            .find_map(|line| line.trim().strip_prefix("opts="))
            .expect("its opts")
            .to_string()
    };
    for command in ["man", "completions"] {
        let options = options_of(command);
        assert!(
            !options.contains("--pace") && !options.contains("--json"),
            "{command}: {options}"
        );
    }
    assert!(
        options_of("fork").contains("--pace"),
        "a lesson keeps its flags"
    );
}

#[test]
fn man_dir_says_what_it_wrote() {
    let dir = fresh_state_home("cli-man-dir").join("man1");
    let dir_text = dir.to_string_lossy().to_string();
    let output = run_args(&["man", "--dir", &dir_text, "--lang", "en"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    assert!(output.stdout.is_empty(), "{}", output.describe());
    for page in ["procdemo.1", "procdemo-fork.1", "procdemo-man.1"] {
        assert!(dir.join(page).is_file(), "{page} not written");
        assert!(
            output.stderr.contains(page),
            "{page} not said: {}",
            output.describe()
        );
    }
    assert!(output.stderr.contains(&dir_text), "{}", output.describe());
}

#[test]
fn help_names_a_command_in_the_learners_language() {
    let english = run_args(&["help", "fork", "--lang", "en"]);
    assert_eq!(english.status.code(), Some(0), "{}", english.describe());
    assert!(
        english.stdout.contains("Usage: procdemo fork"),
        "{}",
        english.describe()
    );
    let chinese = run_args(&["help", "pool", "--lang", "zh"]);
    assert_eq!(chinese.status.code(), Some(0), "{}", chinese.describe());
    assert!(
        chinese.stdout.contains("用法：procdemo pool"),
        "{}",
        chinese.describe()
    );
    assert_chinese_help(&chinese.stdout, &chinese.describe());
}
