//! When nobody can read procdemo's stdout: a write error (a full disk as
//! /dev/full gives it, a closed stdout) is said in one line and exits 1; a
//! reader that goes away (`| head -3`) stops the lesson at once, silently,
//! with status 141, as a shell reports a program killed by SIGPIPE. Either
//! way the lesson's processes are stopped and reaped. A `--trace` file that
//! cannot be written exits 1 too.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, Output, assert_no_leftovers, bin, children_of, fresh_state_home, procdemo,
    read_text_on_thread, run, wait_with_deadline,
};

/// What a shell reports for a program killed by SIGPIPE: 128 + 13.
const READER_GONE: i32 = 141;

/// `procdemo <args>` with stdout on /dev/full, where every write fails with
/// ENOSPC.
fn to_dev_full(args: &[&str]) -> Output {
    let full = File::options()
        .write(true)
        .open("/dev/full")
        .expect("opening /dev/full");
    let mut command = procdemo(args);
    command.stdout(full).stderr(Stdio::piped());
    let what = format!("{command:?}");
    let mut child = command.spawn().expect("starting procdemo");
    let stderr = read_text_on_thread(child.stderr.take().expect("stderr piped"));
    let status = wait_with_deadline(&mut child, Instant::now() + DEADLINE, &what);
    Output {
        pid: child.id() as i32,
        status,
        stdout: String::new(),
        stderr: stderr.recv_timeout(DEADLINE).expect("stderr"),
    }
}

/// Exit 1 and one line on stderr that names the error.
fn assert_said_once(output: &Output, error: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", output.describe());
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", output.describe());
    assert!(lines[0].contains(error), "{}", output.describe());
}

#[test]
fn a_lesson_that_cannot_write_its_stdout_stops_and_says_why() {
    let output = to_dev_full(&["fork", "--pace", "0", "--lang", "en"]);
    assert_said_once(&output, "ENOSPC");
    assert!(
        output.stderr.contains("nothing is left running"),
        "{}",
        output.describe()
    );
    let output = to_dev_full(&["fork", "--json", "--pace", "0", "--lang", "en"]);
    assert_said_once(&output, "ENOSPC");
}

#[test]
fn commands_that_cannot_write_their_stdout_exit_1() {
    for args in [
        &["list", "--lang", "en"][..],
        &["list", "--json"],
        &["man", "--lang", "en"],
        &["completions", "bash"],
        &["fork", "--python"],
        &["--lang", "en"],
        &["tour", "--pace", "0", "--lang", "en"],
        &["--help", "--lang", "en"],
        &["fork", "--help", "--lang", "zh"],
        &["--version"],
    ] {
        assert_said_once(&to_dev_full(args), "ENOSPC");
    }
}

#[test]
fn the_error_is_said_in_the_learners_language() {
    let output = to_dev_full(&["list", "--lang", "zh"]);
    assert_said_once(&output, "没有剩余空间");
}

#[test]
fn a_closed_stdout_is_an_error() {
    for args in ["fork --pace 0 --lang en", "list --lang en"] {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("exec \"$0\" {args} >&-"))
            .arg(bin())
            .env("XDG_STATE_HOME", fresh_state_home("closed-stdout"))
            .stdin(Stdio::null());
        assert_said_once(&run(command), "EBADF");
    }
}

/// /dev/null opened for reading and writing by the parent (as Python's
/// `subprocess.DEVNULL` is) is a stdout like any other, not a closed one,
/// although Rust's runtime puts the same in place of a closed stdout.
#[test]
fn dev_null_opened_by_the_parent_is_not_a_closed_stdout() {
    let null = File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .expect("opening /dev/null");
    let mut command = procdemo(&["list", "--lang", "en"]);
    command.stdout(null);
    let status = command.status().expect("running procdemo");
    assert_eq!(status.code(), Some(0));
}

/// Runs `lesson` at its default pace for a reader that takes three lines
/// and goes away, as `procdemo <lesson> | head -3` does, once the lesson's
/// processes run. Returns how long procdemo took to end after the reader
/// left, its exit status, its stderr and the processes it had started.
fn read_three_lines_and_leave(lesson: &str) -> (Duration, i32, String, Vec<i32>) {
    let mut child = procdemo(&[lesson, "--lang", "en"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting procdemo");
    let pid = child.id() as i32;
    let stderr = read_text_on_thread(child.stderr.take().expect("stderr piped"));
    let mut reader = BufReader::new(child.stdout.take().expect("stdout piped"));
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).expect("reading a line");
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut processes = children_of(pid);
    while processes.is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
        processes = children_of(pid);
    }
    assert!(!processes.is_empty(), "the {lesson} lesson started nothing");
    let left = Instant::now();
    drop(reader);
    let status = wait_with_deadline(&mut child, left + DEADLINE, lesson);
    let took = left.elapsed();
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| -signal))
        .unwrap_or_default();
    (
        took,
        code,
        stderr.recv_timeout(DEADLINE).expect("stderr"),
        processes,
    )
}

#[test]
fn a_reader_that_goes_away_ends_the_lesson_at_once() {
    // At the default pace `daemon` runs for some 11 s and `join` for 8 s.
    let runs: Vec<_> = ["daemon", "join"]
        .into_iter()
        .map(|lesson| {
            (
                lesson,
                thread::spawn(move || read_three_lines_and_leave(lesson)),
            )
        })
        .collect();
    for (lesson, run) in runs {
        let (took, code, stderr, processes) = run.join().expect("the reading thread");
        assert!(
            took < Duration::from_secs(2),
            "{lesson}: ended {took:?} after its reader left"
        );
        assert_eq!(code, READER_GONE, "{lesson}: {stderr}");
        assert_eq!(stderr, "", "{lesson}: nothing more is said");
        assert_no_leftovers(&processes);
    }
}

#[test]
fn a_trace_file_that_cannot_be_written_exits_1() {
    let state = fresh_state_home("trace-dev-full");
    let mut command = procdemo(&["fork", "--pace", "0", "--lang", "en"]);
    command
        .args(["--trace", "/dev/full"])
        .env("XDG_STATE_HOME", &state);
    let output = run(command);
    assert_said_once(&output, "/dev/full");
    assert!(
        output.stderr.contains("No space left"),
        "{}",
        output.describe()
    );
    assert!(
        !state.join("procdemo").join("progress.json").exists(),
        "a lesson that could not do what was asked is not recorded"
    );
}

/// A lesson waiting for an answer on stdin, which nobody gives, ends too
/// when the reader of its stdout goes away (which happens here once the
/// question is asked).
#[test]
fn a_reader_that_goes_away_ends_a_wait_for_an_answer() {
    let mut child = procdemo(&["fork", "--quiz", "--pace", "0", "--lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting procdemo");
    // Held open, never written: the question waits for its answer.
    let stdin = child.stdin.take();
    let reader = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let mut said = Vec::new();
    let mut chunk = [0u8; 1024];
    while !String::from_utf8_lossy(&said).contains("Your answer") {
        let read = stderr.read(&mut chunk).expect("reading stderr");
        assert!(read > 0, "procdemo asked nothing");
        said.extend_from_slice(&chunk[..read]);
    }
    let processes = children_of(child.id() as i32);
    let left = Instant::now();
    drop(reader);
    let status = wait_with_deadline(&mut child, left + DEADLINE, "fork --quiz");
    let took = left.elapsed();
    drop(stdin);
    assert!(
        took < Duration::from_secs(2),
        "ended {took:?} after its reader left"
    );
    assert_eq!(status.code(), Some(READER_GONE));
    assert_no_leftovers(&processes);
}
