//! SIGHUP (the terminal closed, an SSH link dropped) and SIGQUIT (Ctrl-\)
//! end a lesson as SIGTERM does: the lesson stops, every process of it is
//! reaped, `ended` names the signal, one line goes to stderr, and procdemo
//! exits with 128 + the signal's number (129, 131).
//!
//! The signal comes at a random moment of the lesson: after its first event
//! (procdemo has started, with its handlers) and within a window the lesson
//! certainly lasts at its pace. The moment is printed, to replay a failure.
//! On a terminal, Ctrl-\ is pressed at the prompts procdemo waits at.

use std::thread;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rexpect::process::WaitStatus;

use crate::common::{
    DEADLINE, Live, assert_no_leftovers, check_interrupted, children_of, fresh_state_home,
    procdemo_on_terminal,
};
use crate::terminal::procdemo_pid;

/// `args`, signalled with `signal` at a random moment within `window` of
/// its first event: a clean ending with exit code `code`.
fn at_a_random_moment(args: &[&str], window: Duration, signal: Signal, code: i32) {
    let mut live = Live::spawn(args);
    assert!(
        live.read_to_count(1),
        "{args:?} ended before its first event"
    );
    let delay = window.mul_f64(fastrand::f64());
    println!("{signal} {delay:?} after the first event of {args:?}");
    thread::sleep(delay);
    let procdemo = live.pid();
    let running = children_of(procdemo);
    kill(Pid::from_raw(procdemo), signal).expect("send the signal");
    check_interrupted(live, signal, code, 0, &running);
}

/// About 2 s in all at pace 2.
const FORK: &[&str] = &["fork", "--json", "--pace", "2", "--lang", "en"];
const FORK_WINDOW: Duration = Duration::from_millis(1500);
/// About 2.8 s in all on two workers at pace 0.2.
const POOL: &[&str] = &[
    "pool", "--tasks", "40", "--json", "--pace", "0.2", "--lang", "en",
];
const POOL_WINDOW: Duration = Duration::from_millis(2000);
/// 11 s in all: the `daemon=True` race, then the Unix daemon from about 3 s.
const DAEMON: &[&str] = &["daemon", "--json", "--pace", "1", "--lang", "en"];
const DAEMON_WINDOW: Duration = Duration::from_millis(4000);

#[test]
fn sighup_ends_fork_cleanly_with_129() {
    at_a_random_moment(FORK, FORK_WINDOW, Signal::SIGHUP, 129);
}

#[test]
fn sigquit_ends_fork_cleanly_with_131() {
    at_a_random_moment(FORK, FORK_WINDOW, Signal::SIGQUIT, 131);
}

#[test]
fn sighup_ends_pool_cleanly_with_129() {
    at_a_random_moment(POOL, POOL_WINDOW, Signal::SIGHUP, 129);
}

#[test]
fn sigquit_ends_pool_cleanly_with_131() {
    at_a_random_moment(POOL, POOL_WINDOW, Signal::SIGQUIT, 131);
}

#[test]
fn sighup_ends_daemon_cleanly_with_129() {
    at_a_random_moment(DAEMON, DAEMON_WINDOW, Signal::SIGHUP, 129);
}

#[test]
fn sigquit_ends_daemon_cleanly_with_131() {
    at_a_random_moment(DAEMON, DAEMON_WINDOW, Signal::SIGQUIT, 131);
}

/// Ctrl-\ on a terminal 60 columns wide, at the last of `prompts` (Enter
/// at each before it), in procdemo run with `args` on `rows` rows: exit
/// 131, and one line saying so, with `said` in it.
fn ctrl_backslash_at(name: &str, args: &[&str], rows: &str, prompts: &[&str], said: &str) {
    let state = fresh_state_home(name);
    let mut command = procdemo_on_terminal(&state, args);
    command.env("COLUMNS", "60").env("LINES", rows);
    let what = format!("{command:?}");
    let mut session = rexpect::session::spawn_command(command, Some(10_000))
        .unwrap_or_else(|error| panic!("{what}: cannot start on a pty: {error}"));
    // rexpect reads one `char` per byte.
    let as_read = |text: &str| -> String { text.bytes().map(char::from).collect() };
    for (at, prompt) in prompts.iter().enumerate() {
        session
            .exp_string(&as_read(prompt))
            .unwrap_or_else(|error| panic!("{what}: no prompt `{prompt}`: {error}"));
        if at + 1 < prompts.len() {
            session
                .send_line("")
                .unwrap_or_else(|error| panic!("{what}: cannot press Enter: {error}"));
        }
    }
    let procdemo = procdemo_pid(&state);
    let running = children_of(procdemo);
    session
        .send_control('\\')
        .unwrap_or_else(|error| panic!("{what}: cannot press Ctrl-\\: {error}"));
    let rest = session
        .exp_eof()
        .unwrap_or_else(|error| panic!("{what}: the output did not end: {error}"));
    let rest: Vec<u8> = rest.chars().map(|c| c as u32 as u8).collect();
    let rest = String::from_utf8_lossy(&rest).into_owned();
    let deadline = std::time::Instant::now() + DEADLINE;
    let code = loop {
        match session.process().status() {
            Some(WaitStatus::StillAlive) => {}
            Some(WaitStatus::Exited(_, code)) => break code,
            other => panic!("{what}: ended with {other:?}\n{rest}"),
        }
        assert!(std::time::Instant::now() < deadline, "{what}: did not exit");
        thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(code, 131, "{what}\n{rest}");
    let lines: Vec<&str> = rest
        .lines()
        .map(|line| line.trim_matches(|c: char| c == '\r' || c.is_whitespace()))
        .filter(|line| line.contains("SIGQUIT"))
        .collect();
    assert_eq!(lines.len(), 1, "{what}: one line names SIGQUIT\n{rest}");
    assert!(lines[0].contains(said), "{what}\n{rest}");
    assert!(!rest.contains("core dumped"), "{what}\n{rest}");
    assert_no_leftovers(&running);
}

#[test]
fn ctrl_backslash_at_the_enter_prompt_ends_the_lesson_with_131() {
    ctrl_backslash_at(
        "signals-enter-en",
        &["fork", "--pace", "0", "--lang", "en", "--color", "never"],
        "24",
        &["Enter: next step"],
        "lesson interrupted by SIGQUIT; ",
    );
}

#[test]
fn ctrl_backslash_at_the_enter_prompt_in_chinese_ends_the_lesson_with_131() {
    ctrl_backslash_at(
        "signals-enter-zh",
        &["fork", "--pace", "0", "--lang", "zh", "--color", "never"],
        "24",
        &["回车"],
        "本课被 SIGQUIT 中断",
    );
}

/// The "more" prompt reads one key with line mode off: Ctrl-\ must still
/// be Ctrl-\ there.
#[test]
fn ctrl_backslash_at_the_more_prompt_ends_the_lesson_with_131() {
    ctrl_backslash_at(
        "signals-more",
        &["fork", "--pace", "0", "--lang", "en", "--color", "never"],
        "6",
        &["Enter: next step", "more: Enter or space"],
        "lesson interrupted by SIGQUIT; ",
    );
}
