//! Helpers shared by the integration tests: run the real binary with a clean
//! environment and a deadline against hangs, parse its JSON Lines, read the
//! lesson texts, and check that no process and no message queue of a run is
//! left behind.
//!
//! Nothing here times anything: every deadline only turns a hang into a
//! failure, and is generous enough for a loaded 2-core machine.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::mqueue::{MQ_OFlag, mq_close, mq_open};
use nix::sys::signal::{Signal, kill};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use procdemo::model::{Done, Ended, Event, Report};
use serde::Deserialize;
use serde_json::Value;

/// How long any one run of procdemo may take before the test calls it a hang.
/// The longest run is a tour of all 19 lessons: about 8 s on an idle machine
/// with 2 cores, 12 s or more while the suite's other tests run beside it.
pub const DEADLINE: Duration = Duration::from_secs(40);

/// Environment variables that change procdemo's language or colours: removed
/// so that the tests do not depend on the machine they run on.
const MACHINE_ENV: &[&str] = &[
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_MESSAGES",
    "LC_CTYPE",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
];

/// The keys every event line carries (the JSON contract).
const EVENT_KEYS: &[&str] = &["t_us", "lesson", "pid", "ppid", "role", "step", "facts"];

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_procdemo")
}

/// A command for the binary with `args`, stdin closed, none of the
/// machine's locale or colour settings, and progress kept in the tests' own
/// state directory, never in the user's.
pub fn procdemo(args: &[&str]) -> Command {
    let mut command = Command::new(bin());
    command.args(args).stdin(Stdio::null());
    for name in MACHINE_ENV {
        command.env_remove(name);
    }
    command.env("XDG_STATE_HOME", shared_state_home());
    command
}

/// Where the lessons run by tests record progress: under the target
/// directory, so a test run never touches `~/.local/state`.
pub fn shared_state_home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("state")
}

/// The `done` report that ends `events`, told by procdemo (`procdemo`),
/// once: `count` processes started and as many reaped.
pub fn done_of(events: &[Value], procdemo: i32, count: u64) -> procdemo::model::Done {
    let last = events.last().expect("events");
    assert_eq!(step(last), "done", "the last event");
    assert_eq!(only(events, "done"), last, "done comes once, last");
    assert_eq!(pid(last), procdemo, "{last}");
    let done: procdemo::model::Done = report(last);
    assert_eq!(done.processes_started, count, "{last}");
    assert_eq!(done.processes_reaped, count, "{last}");
    done
}

/// `lock` slowed so that a signal comes while the first adder with the
/// lock holds it and prints (`--pace 0.5`: 0.5 s for the unlocked adders,
/// then 0.5 s holding the lock).
pub const LOCK_HELD_ARGS: &[&str] = &[
    "lock",
    "--json",
    "--pace",
    "0.5",
    "--lang",
    "en",
    "--increments",
    "1000",
];

/// The flags of a quiz answered from stdin by a test: JSON, no pauses, English.
pub const QUIZ_FLAGS: &[&str] = &["--quiz", "--json", "--pace", "0", "--lang", "en"];

/// `procdemo <args> --quiz …` (`QUIZ_FLAGS`) with progress in `state`,
/// answered with `input`.
pub fn answered(state: &std::path::Path, args: &[&str], input: &str) -> Output {
    let all: Vec<&str> = args.iter().chain(QUIZ_FLAGS).copied().collect();
    run_with_input(procdemo_in(state, &all), input)
}

/// Run procdemo pinned to CPU 0 (`taskset`, from util-linux, which every
/// Linux has; a machine without it fails the test, saying so).
pub const PINNED: &[&str] = &["taskset", "-c", "0"];
/// Run procdemo as it is.
pub const UNPINNED: &[&str] = &["env"];

/// Runs `procdemo <args>` behind `prefix` (`PINNED` or `UNPINNED`), checks
/// that it succeeded, is well formed and left nothing running.
pub fn run_behind(prefix: &[&str], args: &[&str]) -> LessonRun {
    let mut command = Command::new(prefix[0]);
    command
        .args(&prefix[1..])
        .arg(bin())
        .args(args)
        .stdin(Stdio::null())
        .env("XDG_STATE_HOME", shared_state_home());
    for name in MACHINE_ENV {
        command.env_remove(name);
    }
    let output = run(command);
    assert!(output.status.success(), "{prefix:?}: {}", output.describe());
    let events = output.events();
    // taskset and env exec procdemo: the pid is procdemo's.
    assert_well_formed(&events, args[0], output.pid);
    assert_no_leftovers(&pids_seen(&events));
    LessonRun {
        procdemo: output.pid,
        events,
    }
}

/// The events of `run_behind`.
pub fn events_behind(prefix: &[&str], args: &[&str]) -> Vec<Value> {
    run_behind(prefix, args).events
}

/// Processes that keep every CPU busy until dropped.
pub struct Load(Vec<Child>);

impl Load {
    pub fn every_cpu() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        Self(
            (0..cpus)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .stdin(Stdio::null())
                        .spawn()
                        .expect("a busy loop")
                })
                .collect(),
        )
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A state directory of its own, empty, for a test that checks progress.
pub fn fresh_state_home(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("progress-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a state directory for the test");
    dir
}

/// What one finished run gave back.
#[derive(Debug)]
pub struct Output {
    /// procdemo's own pid.
    pub pid: i32,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Every stdout line parsed as an event; fails on any line that is not one.
    pub fn events(&self) -> Vec<Value> {
        parse_events(&self.stdout)
    }

    pub fn describe(&self) -> String {
        format!(
            "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Reads a whole stream on a thread and hands it over when it is closed.
pub fn read_all_on_thread(mut stream: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        let _ = sender.send(bytes);
    });
    receiver
}

/// The same, as text.
pub fn read_text_on_thread(stream: impl Read + Send + 'static) -> Receiver<String> {
    let bytes = read_all_on_thread(stream);
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        if let Ok(read) = bytes.recv() {
            let _ = sender.send(String::from_utf8_lossy(&read).into_owned());
        }
    });
    receiver
}

/// Waits for `child` to exit, killing it and failing after `deadline`.
pub fn wait_with_deadline(child: &mut Child, deadline: Instant, what: &str) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("waitpid on procdemo") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what}: procdemo (pid {}) did not exit within the deadline; killed it",
                child.id()
            );
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Receives a stream's bytes; a stream still open at the deadline means some
/// process of the run still holds it, that is, something was left running.
fn receive_stream(
    receiver: &Receiver<Vec<u8>>,
    deadline: Instant,
    name: &str,
    what: &str,
) -> String {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    match receiver.recv_timeout(left) {
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|error| panic!("{what}: {name} is not UTF-8: {error}")),
        Err(RecvTimeoutError::Timeout) => {
            panic!(
                "{what}: procdemo exited but its {name} stayed open: a process of the run is still running"
            )
        }
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: the {name} reader thread died"),
    }
}

/// Runs `command` to its end (stdout and stderr captured) within `DEADLINE`.
pub fn run(mut command: Command) -> Output {
    let what = format!("{command:?}");
    let deadline = Instant::now() + DEADLINE;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{what}: cannot start: {error}"));
    let stdout = read_all_on_thread(child.stdout.take().expect("stdout piped"));
    let stderr = read_all_on_thread(child.stderr.take().expect("stderr piped"));
    let status = wait_with_deadline(&mut child, deadline, &what);
    Output {
        pid: child.id() as i32,
        status,
        stdout: receive_stream(&stdout, deadline, "stdout", &what),
        stderr: receive_stream(&stderr, deadline, "stderr", &what),
    }
}

/// Runs `procdemo <args>` to its end.
pub fn run_args(args: &[&str]) -> Output {
    run(procdemo(args))
}

/// Runs one lesson as the tests do (`--json --pace 0 --lang <lang>`, plus
/// `extra`), checks that it succeeded, that stdout holds nothing but events,
/// that the last one is `done`, and that no process and no message queue of
/// the run is left. Returns the output and its events.
pub fn run_lesson(lesson: &str, lang: &str, extra: &[&str]) -> (Output, Vec<Value>) {
    run_lesson_at_pace(lesson, lang, "0", extra)
}

/// `run_lesson` at another `--pace`, for the few checks that need the
/// lesson's own timing (kept short: the whole suite must stay fast).
pub fn run_lesson_at_pace(
    lesson: &str,
    lang: &str,
    pace: &str,
    extra: &[&str],
) -> (Output, Vec<Value>) {
    let mut args = vec![lesson, "--json", "--pace", pace, "--lang", lang];
    args.extend_from_slice(extra);
    let output = run_args(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "procdemo {args:?} failed:\n{}",
        output.describe()
    );
    let events = output.events();
    assert_well_formed(&events, lesson, output.pid);
    let last = events.last().expect("at least one event");
    assert_eq!(
        step(last),
        "done",
        "the last line must be `done`:\n{}",
        output.describe()
    );
    assert_no_leftovers(&pids_seen(&events));
    assert_no_queue_left(output.pid);
    (output, events)
}

/// One finished run of a lesson in English, checked by `run_lesson_at_pace`:
/// procdemo's pid and every event.
#[derive(Debug)]
pub struct LessonRun {
    pub procdemo: i32,
    pub events: Vec<Value>,
}

impl LessonRun {
    /// Runs `lesson` at `--pace 0`, with `extra`.
    pub fn run(lesson: &str, extra: &[&str]) -> Self {
        Self::run_at_pace(lesson, "0", extra)
    }

    /// Runs `lesson` at `--pace <pace>`, with `extra`.
    pub fn run_at_pace(lesson: &str, pace: &str, extra: &[&str]) -> Self {
        let (output, events) = run_lesson_at_pace(lesson, "en", pace, extra);
        Self {
            procdemo: output.pid,
            events,
        }
    }

    /// Where the first event of `name` is.
    pub fn position(&self, name: &str) -> usize {
        self.events
            .iter()
            .position(|event| step(event) == name)
            .unwrap_or_else(|| panic!("no `{name}` event"))
    }

    /// Where the last event of `name` is.
    pub fn last_position(&self, name: &str) -> usize {
        self.events
            .iter()
            .rposition(|event| step(event) == name)
            .unwrap_or_else(|| panic!("no `{name}` event"))
    }

    /// The only event of `name`, checked to come from procdemo itself.
    pub fn by_procdemo(&self, name: &str) -> &Value {
        let event = only(&self.events, name);
        self.assert_from_procdemo(event);
        event
    }

    /// The facts of the only event of `R`'s step.
    pub fn report<R: Report>(&self) -> R {
        report(only(&self.events, R::STEP))
    }

    /// The one event of `R`'s step that the process in `who` made, and
    /// its facts.
    pub fn by<R: Report>(&self, who: &str) -> (&Value, R) {
        let events: Vec<&Value> = events_of(&self.events, R::STEP)
            .into_iter()
            .filter(|event| role(event) == who)
            .collect();
        assert_eq!(events.len(), 1, "one {} by the {who}", R::STEP);
        (events[0], report(events[0]))
    }

    /// The events of `name` from the first `after` event on.
    pub fn after(&self, after: &str, name: &str) -> Vec<&Value> {
        events_of(&self.events[self.position(after)..], name)
    }

    /// The facts of the only event of `R`'s step, checked to come from
    /// procdemo itself.
    pub fn procdemo_report<R: Report>(&self) -> R {
        report(self.by_procdemo(R::STEP))
    }

    /// Checks that `event` comes from procdemo itself.
    pub fn assert_from_procdemo(&self, event: &Value) {
        assert_eq!(role(event), "parent", "{event}");
        assert_eq!(pid(event), self.procdemo, "{event}");
    }

    /// Checks that `event` comes from a child of procdemo in `role`.
    pub fn assert_from_a_child(&self, event: &Value, expected_role: &str) {
        assert_eq!(role(event), expected_role, "{event}");
        assert_ne!(pid(event), self.procdemo, "{event}");
        assert_eq!(ppid(event), self.procdemo, "{event}");
    }

    /// The children of procdemo in the `done` tree, in the order they were
    /// started.
    pub fn done_children(&self) -> Vec<Value> {
        let done = only(&self.events, "done");
        report::<Done>(done).tree["children"]
            .as_array()
            .unwrap_or_else(|| panic!("no children in the done tree: {done}"))
            .clone()
    }

    /// Checks that the first event of each step in `order` comes before the
    /// first event of the next.
    pub fn assert_steps_in_order(&self, order: &[&str]) {
        for pair in order.windows(2) {
            assert!(
                self.position(pair[0]) < self.position(pair[1]),
                "{} must come before {}",
                pair[0],
                pair[1]
            );
        }
    }
}

/// Parses JSON Lines; every line must be one JSON object.
pub fn parse_events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line:?}"));
            assert!(value.is_object(), "not a JSON object: {line}");
            value
        })
        .collect()
}

/// The JSON contract, checked on every event of one run of `lesson` whose
/// procdemo had pid `procdemo_pid`: all keys are there with the right types,
/// the lesson is right, the parent's events come from procdemo itself, and
/// `t_us` never goes back within one process's events.
pub fn assert_well_formed(events: &[Value], lesson: &str, procdemo_pid: i32) {
    assert!(!events.is_empty(), "no events at all");
    let mut last_time: Vec<(i64, u64)> = Vec::new();
    for event in events {
        for key in EVENT_KEYS {
            assert!(event.get(key).is_some(), "event without `{key}`: {event}");
        }
        assert_eq!(event["lesson"], lesson, "wrong lesson in {event}");
        assert!(
            event["t_us"].is_u64(),
            "t_us must be a whole number: {event}"
        );
        assert!(
            event["pid"].as_i64().is_some_and(|pid| pid > 0),
            "bad pid: {event}"
        );
        assert!(event["ppid"].is_i64(), "bad ppid: {event}");
        assert!(
            event["role"].as_str().is_some_and(|role| !role.is_empty()),
            "bad role: {event}"
        );
        assert!(
            event["step"].as_str().is_some_and(|step| !step.is_empty()),
            "bad step: {event}"
        );
        assert!(
            event["facts"].is_object(),
            "facts must be an object: {event}"
        );
        if role(event) == "parent" {
            assert_eq!(
                pid(event),
                procdemo_pid,
                "a parent event from another process: {event}"
            );
        }
        let (pid, t_us) = (
            pid(event) as i64,
            event["t_us"].as_u64().unwrap_or_default(),
        );
        match last_time.iter_mut().find(|(seen, _)| *seen == pid) {
            Some((_, last)) => {
                assert!(
                    t_us >= *last,
                    "t_us went back for pid {pid}: {t_us} after {last}"
                );
                *last = t_us;
            }
            None => last_time.push((pid, t_us)),
        }
    }
}

pub fn step(event: &Value) -> &str {
    event["step"].as_str().unwrap_or_default()
}

pub fn role(event: &Value) -> &str {
    event["role"].as_str().unwrap_or_default()
}

pub fn pid(event: &Value) -> i32 {
    event["pid"].as_i64().unwrap_or_default() as i32
}

pub fn ppid(event: &Value) -> i32 {
    event["ppid"].as_i64().unwrap_or_default() as i32
}

/// When `event` was observed, in microseconds since the lesson began (the
/// same clock in every process of the run).
pub fn t_us(event: &Value) -> u64 {
    event["t_us"]
        .as_u64()
        .unwrap_or_else(|| panic!("t_us is not a whole number in {event}"))
}

/// The facts of `event` as the crate's report `R` (`procdemo::model::Report`),
/// read from the JSON procdemo printed: fails, naming the step and the key,
/// unless `event` is of `R`'s step and carries every fact of `R`, each of its
/// type, and no other.
pub fn report<R: Report>(event: &Value) -> R {
    let parsed =
        Event::deserialize(event).unwrap_or_else(|error| panic!("not an event ({error}): {event}"));
    parsed
        .read()
        .unwrap_or_else(|error| panic!("{error:#}: {event}"))
}

/// The facts of every event of `R`'s step, in order.
pub fn reports<R: Report>(events: &[Value]) -> Vec<R> {
    events_of(events, R::STEP).into_iter().map(report).collect()
}

/// The facts of the only event of `R`'s step.
pub fn only_report<R: Report>(events: &[Value]) -> R {
    report(only(events, R::STEP))
}

pub fn fact<'a>(event: &'a Value, name: &str) -> &'a Value {
    event["facts"]
        .get(name)
        .unwrap_or_else(|| panic!("no fact `{name}` in {event}"))
}

/// `values`, sorted.
pub fn sorted<T: Ord + Clone>(values: &[T]) -> Vec<T> {
    let mut values = values.to_vec();
    values.sort_unstable();
    values
}

/// The events of `step`, in order.
pub fn events_of<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|event| step(event) == name).collect()
}

/// The only event of `step`; fails if there are none or several.
pub fn only<'a>(events: &'a [Value], name: &str) -> &'a Value {
    let found = events_of(events, name);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one `{name}` event, got {}: {found:?}",
        found.len()
    );
    found[0]
}

/// Every pid of a process of the run: those that emitted events, and those in
/// the `tree` of `done`.
pub fn pids_seen(events: &[Value]) -> Vec<i32> {
    let mut pids: BTreeSet<i32> = events.iter().map(pid).collect();
    for event in events.iter().filter(|event| step(event) == "done") {
        if let Some(tree) = event["facts"].get("tree") {
            collect_tree_pids(tree, &mut pids);
        }
    }
    pids.into_iter().collect()
}

fn collect_tree_pids(node: &Value, into: &mut BTreeSet<i32>) {
    if let Some(pid) = node.get("pid").and_then(Value::as_i64) {
        into.insert(pid as i32);
    }
    for child in node
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_tree_pids(child, into);
    }
}

/// `/proc/<pid>/stat`: (comm, state), or None when there is no such process.
pub fn proc_stat(pid: i32) -> Option<(String, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let state = text
        .get(close + 1..)?
        .split_whitespace()
        .next()?
        .chars()
        .next()?;
    Some((comm, state))
}

/// The pids of the processes whose parent is `pid` right now, from /proc.
pub fn children_of(pid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|candidate| {
            let Ok(text) = std::fs::read_to_string(format!("/proc/{candidate}/stat")) else {
                return false;
            };
            let after_comm = text.rfind(')').map_or("", |close| &text[close + 1..]);
            after_comm
                .split_whitespace()
                .nth(1)
                .and_then(|ppid| ppid.parse::<i32>().ok())
                == Some(pid)
        })
        .collect()
}

/// True while `pid` is a living procdemo process. A zombie (or dead) process
/// no longer runs; another program holding a reused pid is not ours.
pub fn still_running(pid: i32) -> bool {
    match proc_stat(pid) {
        None => false,
        Some((comm, state)) => comm == "procdemo" && !matches!(state, 'Z' | 'X' | 'x'),
    }
}

/// Fails unless every pid in `pids` is gone within `DEADLINE` (at once in
/// practice: the check only polls so that a process dying right now is not
/// reported as left behind).
pub fn assert_no_leftovers(pids: &[i32]) {
    assert_gone(pids, "processes of the run are still running");
}

/// Fails unless every pid in `pids` stops running within `DEADLINE`; the
/// failure message is `what`, then the states of those still running.
pub fn assert_gone(pids: &[i32], what: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let running: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|pid| still_running(*pid))
            .collect();
        if running.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let states: Vec<_> = running.iter().map(|pid| (pid, proc_stat(*pid))).collect();
            panic!("{what}: {states:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// How many queue names of one run `queues_left` tries by name: procdemo
/// names its queues `/procdemo-<its pid>-<n>`, n counting from 0 (the `queue`
/// lesson opens three), and without the mqueue filesystem mounted there is
/// no list of queues to read.
const QUEUE_NAMES_TRIED: u32 = 16;

/// Where the mqueue filesystem is mounted (usually `/dev/mqueue`; often
/// nowhere in a container), from /proc/self/mounts.
pub fn mqueue_mounts() -> Vec<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(2) == Some(&"mqueue")).then(|| PathBuf::from(fields[1]))
        })
        .collect()
}

/// True if a POSIX message queue called `name` (`/…`) exists: opening it
/// read-only does not fail with ENOENT.
pub fn queue_exists(name: &str) -> bool {
    match mq_open(name, MQ_OFlag::O_RDONLY, Mode::empty(), None) {
        Ok(descriptor) => {
            let _ = mq_close(descriptor);
            true
        }
        Err(Errno::ENOENT) => false,
        // It is there, only not ours to open.
        Err(Errno::EACCES) => true,
        Err(error) => panic!("mq_open({name:?}, O_RDONLY) failed with {error}"),
    }
}

/// The message queues of the procdemo run `procdemo_pid` that still have a
/// name: those listed in the mqueue filesystem, where it is mounted, and
/// those that `mq_open` finds by name.
pub fn queues_left(procdemo_pid: i32) -> Vec<String> {
    let prefix = format!("procdemo-{procdemo_pid}-");
    let mut left = BTreeSet::new();
    for mount in mqueue_mounts() {
        let Ok(entries) = std::fs::read_dir(&mount) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) {
                left.insert(format!("/{name}"));
            }
        }
    }
    for number in 0..QUEUE_NAMES_TRIED {
        let name = format!("/{prefix}{number}");
        if queue_exists(&name) {
            left.insert(name);
        }
    }
    left.into_iter().collect()
}

/// Fails if the run `procdemo_pid` left a message queue behind.
pub fn assert_no_queue_left(procdemo_pid: i32) {
    let left = queues_left(procdemo_pid);
    assert!(
        left.is_empty(),
        "message queues of procdemo {procdemo_pid} are left: {left:?}"
    );
}

/// The kernel's ceiling on a queue's capacity.
pub fn msg_max() -> i64 {
    std::fs::read_to_string("/proc/sys/fs/mqueue/msg_max")
        .expect("read /proc/sys/fs/mqueue/msg_max")
        .trim()
        .parse()
        .expect("msg_max is a number")
}

/// A procdemo run watched while it runs: stdout lines arrive on a thread, so
/// a hang ends at a deadline instead of hanging the test.
pub struct Live {
    pub child: Child,
    lines: Receiver<String>,
    stderr: Receiver<Vec<u8>>,
    /// Every event read so far.
    pub events: Vec<Value>,
    what: String,
    deadline: Instant,
}

impl Live {
    /// Starts `procdemo <args>` (clean environment, stdin closed).
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_command(procdemo(args))
    }

    pub fn spawn_command(mut command: Command) -> Self {
        let what = format!("{command:?}");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn procdemo");
        let stdout = child.stdout.take().expect("stdout piped");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = read_all_on_thread(child.stderr.take().expect("stderr piped"));
        Self {
            child,
            lines,
            stderr,
            events: Vec::new(),
            what,
            deadline: Instant::now() + DEADLINE,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Reads events until `count` have arrived in all; false if stdout
    /// ended before that (the run is over).
    pub fn read_to_count(&mut self, count: usize) -> bool {
        while self.events.len() < count {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let event: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line:?}"));
                    self.events.push(event);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}: fewer than {count} events before the deadline",
                        self.what
                    )
                }
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
        true
    }

    /// Reads events until one of `step` arrives, and returns it.
    pub fn read_until(&mut self, name: &str) -> Value {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let event: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line:?}"));
                    self.events.push(event.clone());
                    if step(&event) == name {
                        return event;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: no `{name}` event before the deadline", self.what)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "{}: stdout ended before a `{name}` event; got {:?}",
                        self.what, self.events
                    )
                }
            }
        }
    }

    /// Waits for procdemo to exit, then reads the rest of stdout (until every
    /// process holding it is gone) and stderr. Returns the exit status,
    /// every event and stderr.
    pub fn finish(mut self) -> (ExitStatus, Vec<Value>, String) {
        let (status, lines, stderr) = self.finish_lines();
        for line in lines {
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line:?}"));
            self.events.push(event);
        }
        (status, std::mem::take(&mut self.events), stderr)
    }

    /// Like `finish`, for output meant for people: the stdout lines not read
    /// yet are returned as text.
    pub fn finish_text(mut self) -> (ExitStatus, Vec<String>, String) {
        self.finish_lines()
    }

    fn finish_lines(&mut self) -> (ExitStatus, Vec<String>, String) {
        let status = wait_with_deadline(&mut self.child, self.deadline, &self.what);
        let mut lines = Vec::new();
        loop {
            let left = self
                .deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_secs(1));
            match self.lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}: procdemo exited but its stdout stayed open: a process of the run is still running",
                        self.what
                    )
                }
            }
        }
        let stderr = receive_stream(&self.stderr, self.deadline, "stderr", &self.what);
        (status, lines, stderr)
    }
}

impl Drop for Live {
    /// A failed test must not leave procdemo running: kill it (its children
    /// follow through their parent-death signal) and reap it.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The one line procdemo writes on stderr when `signal` ends a lesson: fails
/// unless stderr holds exactly one line that is not blank, and it says that
/// the lesson was interrupted and names `signal`.
pub fn interrupted_line<'a>(stderr: &'a str, signal: &str) -> &'a str {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "stderr must be one line: {stderr:?}");
    assert!(
        lines[0].contains("interrupted"),
        "stderr must say the lesson was interrupted: {stderr:?}"
    );
    assert!(
        lines[0].contains(signal),
        "stderr must name {signal}: {stderr:?}"
    );
    lines[0]
}

/// Waits for the procdemo of `live`, to which `signal` was sent mid-lesson,
/// and checks its clean ending: exit code `exit_code`, a last line `ended`
/// from procdemo naming the signal, with at least `least_started` processes
/// started and as many reaped, no `done`, one line on stderr, and no process
/// and no message queue left: neither one that reported nor one of
/// `running` (processes known to run when the signal was sent, some of which
/// may not have reported yet). Returns every event.
pub fn check_interrupted(
    live: Live,
    signal: Signal,
    exit_code: i32,
    least_started: u64,
    running: &[i32],
) -> Vec<Value> {
    let procdemo_pid = live.pid();
    let (status, events, stderr) = live.finish();
    let shown = format!("status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    assert_eq!(status.code(), Some(exit_code), "{shown}");

    let ended = events.last().expect("events");
    assert_eq!(
        step(ended),
        "ended",
        "the last line must be `ended`: {shown}"
    );
    assert!(
        !events.iter().any(|event| step(event) == "done"),
        "an interrupted lesson is not done: {shown}"
    );
    assert_eq!(pid(ended), procdemo_pid);
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, signal.as_str(), "{ended}");
    assert!(facts.processes_started >= least_started, "{ended}");
    assert_eq!(facts.processes_reaped, facts.processes_started, "{ended}");
    let said = interrupted_line(&stderr, signal.as_str());
    // People are told every process reaped: the timed ones and ps's too.
    let all = facts.processes_reaped + facts.processes_measured + facts.ps_runs;
    assert!(said.contains(&format!(" {all} process")), "{said}: {ended}");

    let mut pids = pids_seen(&events);
    pids.extend_from_slice(running);
    assert_no_leftovers(&pids);
    assert_no_queue_left(procdemo_pid);
    events
}

/// `kill -9` on the procdemo of `live`: it cannot clean up, but its
/// children die with it (parent-death signal). Checks that it died of
/// SIGKILL with neither `done` nor `ended`, that every process of `running`
/// (the `who` of the failure message) stops running, and that no process
/// and no message queue of the run is left. Returns every event.
pub fn check_kill_9(live: Live, running: &[i32], who: &str) -> Vec<Value> {
    let procdemo_pid = live.pid();
    kill(Pid::from_raw(procdemo_pid), Signal::SIGKILL).expect("kill -9");
    // `finish` also waits for stdout to close, which needs every child gone.
    let (status, events, _stderr) = live.finish();
    assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status:?}");
    assert!(
        !events
            .iter()
            .any(|event| matches!(step(event), "done" | "ended")),
        "{events:?}"
    );
    assert_gone(
        running,
        &format!("{who} still running after kill -9 procdemo"),
    );
    assert_no_leftovers(&pids_seen(&events));
    assert_no_queue_left(procdemo_pid);
    events
}

/// A lesson text as procdemo itself reads it (`procdemo::text`): the step
/// ids in file order and the fact labels.
#[derive(Debug)]
pub struct LessonFile {
    pub title: String,
    pub summary: String,
    pub steps: Vec<String>,
    /// (fact name, label), in file order.
    pub facts: Vec<(String, String)>,
}

pub fn lesson_path(lang: &str, lesson: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(lang)
        .join(format!("{lesson}.md"))
}

pub fn read_lesson_file(lang: &str, lesson: &str) -> LessonFile {
    let path = lesson_path(lang, lesson);
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let text = procdemo::text::LessonText::parse(&source)
        .unwrap_or_else(|error| panic!("{}: {error:#}", path.display()));
    LessonFile {
        steps: text.steps.iter().map(|step| step.id.clone()).collect(),
        facts: text.fact_labels().to_vec(),
        title: text.title,
        summary: text.summary,
    }
}

/// The lessons `procdemo list --json` names, in course order.
pub fn listed_lessons(lang: &str) -> Vec<Value> {
    let output = run_args(&["list", "--json", "--lang", lang]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "list failed:\n{}",
        output.describe()
    );
    output.events()
}

/// True if `text` holds a CJK ideograph (Chinese text).
pub fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// True if `text` holds an ANSI escape sequence.
pub fn has_ansi(text: &str) -> bool {
    text.contains('\u{1b}')
}

/// One span of a `timeline` lane: a state from one moment to another, in
/// microseconds since the lesson began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub state: String,
    pub from_us: u64,
    pub to_us: u64,
}

/// One lane of a `timeline` fact: a process and its spans.
#[derive(Debug, Clone)]
pub struct Lane {
    pub label: String,
    pub pid: i32,
    pub spans: Vec<Span>,
}

/// `value[key]` as a whole number; a failure naming the key otherwise.
pub fn whole_number(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not a whole number in {value}"))
}

/// A `spans` list (`[{"state": …, "from_us": …, "to_us": …}, …]`), parsed
/// strictly; every span must end no earlier than it starts.
pub fn parse_spans(spans: &Value) -> Vec<Span> {
    spans
        .as_array()
        .unwrap_or_else(|| panic!("spans must be a list: {spans}"))
        .iter()
        .map(|span| {
            let parsed = Span {
                state: span["state"]
                    .as_str()
                    .unwrap_or_else(|| panic!("`state` is not text in {span}"))
                    .to_string(),
                from_us: whole_number(span, "from_us"),
                to_us: whole_number(span, "to_us"),
            };
            assert!(
                parsed.from_us <= parsed.to_us,
                "a span that ends before it starts: {span}"
            );
            parsed
        })
        .collect()
}

/// The lanes of a `timeline` fact (the `timeline` of a report).
pub fn timeline_lanes(timeline: &Value) -> Vec<Lane> {
    timeline["lanes"]
        .as_array()
        .unwrap_or_else(|| panic!("timeline lanes must be a list: {timeline}"))
        .iter()
        .map(|lane| Lane {
            label: lane["label"]
                .as_str()
                .unwrap_or_else(|| panic!("a lane without a label: {lane}"))
                .to_string(),
            pid: lane["pid"]
                .as_i64()
                .unwrap_or_else(|| panic!("a lane without a pid: {lane}")) as i32,
            spans: parse_spans(&lane["spans"]),
        })
        .collect()
}

/// The samples `[t_us, value]` of the counter `name` in a `timeline` fact
/// (the `timeline` of a report); fails unless there is exactly one such
/// counter.
pub fn timeline_counter(timeline: &Value, name: &str) -> Vec<(u64, i64)> {
    let counters: Vec<&Value> = timeline["counters"]
        .as_array()
        .unwrap_or_else(|| panic!("timeline counters must be a list: {timeline}"))
        .iter()
        .filter(|counter| counter["name"] == name)
        .collect();
    assert_eq!(
        counters.len(),
        1,
        "expected one counter named {name:?}: {timeline}"
    );
    counters[0]["samples"]
        .as_array()
        .unwrap_or_else(|| panic!("samples must be a list: {timeline}"))
        .iter()
        .map(|sample| {
            let pair = (sample[0].as_u64(), sample[1].as_i64());
            match pair {
                (Some(t_us), Some(value)) if sample.as_array().map(Vec::len) == Some(2) => {
                    (t_us, value)
                }
                _ => panic!("a sample must be [t_us, value]: {sample}"),
            }
        })
        .collect()
}

/// The most spans of `spans` that cover one instant. A span covers
/// [from_us, to_us): one that ends at the very moment another starts does
/// not overlap it.
pub fn most_at_once(spans: &[Span]) -> usize {
    let mut edges: Vec<(u64, i32)> = Vec::new();
    for span in spans {
        edges.push((span.from_us, 1));
        edges.push((span.to_us, -1));
    }
    // At one instant, ends before starts.
    edges.sort_unstable();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, change) in edges {
        now += change;
        most = most.max(now);
    }
    most as usize
}

/// `procdemo <args>` keeping its progress in `state_home` (a directory of
/// `fresh_state_home`), stdin closed.
pub fn procdemo_in(state_home: &std::path::Path, args: &[&str]) -> Command {
    let mut command = procdemo(args);
    command.env("XDG_STATE_HOME", state_home);
    command
}

/// Runs `command` to its end with `input` on stdin: a pipe that already
/// holds every byte of it and is closed behind them, as `printf … | procdemo`
/// gives (so procdemo sees the end of its input once it has read them).
pub fn run_with_input(mut command: Command, input: &str) -> Output {
    use std::io::Write;
    let (reader, mut writer) = std::io::pipe().expect("a pipe for stdin");
    // Small enough for the pipe's buffer: written before procdemo starts.
    assert!(
        input.len() < 4096,
        "input too long for a pipe written up front"
    );
    writer
        .write_all(input.as_bytes())
        .expect("writing the input into the pipe");
    drop(writer);
    command.stdin(reader);
    run(command)
}

/// Where procdemo keeps progress under the state directory `state_home`.
pub fn progress_path(state_home: &std::path::Path) -> PathBuf {
    state_home.join("procdemo").join("progress.json")
}

/// The progress file under `state_home`, parsed; `None` when there is none.
pub fn read_progress(state_home: &std::path::Path) -> Option<Value> {
    let path = progress_path(state_home);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => panic!("{}: {error}", path.display()),
    };
    Some(
        serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{} is not JSON ({error}): {text}", path.display())),
    )
}

/// Each lesson of `listed_lessons` with the right answer of each of its
/// quizzes, in list (text) order.
pub fn right_answers(lessons: &[Value]) -> Vec<(String, Vec<u64>)> {
    lessons
        .iter()
        .map(|lesson| {
            let id = lesson["lesson"]
                .as_str()
                .unwrap_or_else(|| panic!("a listed lesson without an id: {lesson}"));
            let answers = lesson["quizzes"]
                .as_array()
                .unwrap_or_else(|| panic!("`quizzes` must be a list: {lesson}"))
                .iter()
                .map(|quiz| {
                    quiz["right_answer"]
                        .as_u64()
                        .unwrap_or_else(|| panic!("a quiz without a right answer: {quiz}"))
                })
                .collect();
            (id.to_string(), answers)
        })
        .collect()
}

/// A command for the binary meant for a terminal (a pty that `rexpect`
/// opens): like `procdemo`, but stdin, stdout and stderr are left as the
/// terminal gives them, and progress is kept in `state_home`.
pub fn procdemo_on_terminal(state_home: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(bin());
    command.args(args);
    for name in MACHINE_ENV {
        command.env_remove(name);
    }
    command.env("XDG_STATE_HOME", state_home);
    command
}

/// A run of `procdemo <args> --json --quiz --pace 0` with answers from a
/// pipe, answered up to `quiz`'s question and held there (the lesson waits
/// for that answer), and the pipe to answer it with. A question is asked
/// before its step's first event, and with `lab.before` before the action
/// that brings it: what `/proc` shows then is what the step before says.
pub fn held_at_question(args: &[&str], quiz: &str) -> (Live, ChildStdin) {
    let mut all = args.to_vec();
    all.extend(["--json", "--quiz", "--pace", "0", "--lang", "en"]);
    let mut command = procdemo(&all);
    command.stdin(Stdio::piped());
    let mut live = Live::spawn_command(command);
    let mut answers = live.child.stdin.take().expect("stdin");
    loop {
        let question = live.read_until("quiz-question");
        if question["facts"]["quiz"] == quiz {
            return (live, answers);
        }
        answers.write_all(b"1\n").expect("answer");
    }
}

/// True when a program `name` is on PATH, as procdemo looks for it (a
/// lesson says "absent" otherwise).
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|directory| directory.join(name).is_file())
    })
}
