//! `procdemo observe -- COMMAND`: real programs (tests/observe/) that write
//! their own truth (pids, parents, exit codes, who waited) as JSON lines to
//! the file named by OBSERVE_TRUTH, observed with `--json --output FILE`.
//! Every pid, parent, exec, exit and reaper in procdemo's facts must match
//! what the program itself saw, procdemo's exit status must be the
//! program's, the program's own stdin, stdout and stderr must pass through,
//! and no process of the run may be left running, traced or stopped.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::Value;

use crate::common::{
    DEADLINE, assert_well_formed, events_of, has_ansi, has_chinese, on_path, parse_events, pid,
    ppid, proc_stat, procdemo, read_all_on_thread, role, step, timeline_lanes, wait_with_deadline,
    whole_number,
};

/// Where the observed programs are.
const PROGRAMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/observe");

/// The numbers of the truth files that are not pids.
const NOT_PIDS: &[&str] = &["exit_code", "returncode", "slept_us", "fd"];

/// The file the failing-exec program asks for.
const MISSING: &str = "/nonexistent/prog";

fn program(name: &str) -> String {
    format!("{PROGRAMS}/{name}")
}

/// A directory of one case: the truth file, procdemo's events, the
/// program's stdout and stderr, and a state directory of its own.
struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("observe")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("state")).expect("creating the case's directory");
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `procdemo observe --json --output <events> <extra> -- <program>`,
    /// the program's stdout and stderr into files of the case, no locale.
    fn command(&self, extra: &[&str], program: &[&str]) -> Command {
        let events = self.path("events");
        let mut args: Vec<&str> = vec!["observe", "--json", "--output"];
        args.push(events.to_str().expect("a UTF-8 path"));
        args.extend_from_slice(extra);
        args.push("--");
        args.extend_from_slice(program);
        let mut command = self.bare(&args);
        command
            .stdout(self.file("stdout"))
            .stderr(self.file("stderr"));
        command
    }

    /// `procdemo <args>` as the tests run it (`common::procdemo`), with the
    /// case's state directory and truth file; streams left to the caller.
    fn bare(&self, args: &[&str]) -> Command {
        let mut command = procdemo(args);
        command
            .env("XDG_STATE_HOME", self.path("state"))
            .env("OBSERVE_TRUTH", self.path("truth"));
        command
    }

    fn file(&self, name: &str) -> std::fs::File {
        std::fs::File::create(self.path(name)).expect("creating an output file of the case")
    }

    /// The truth lines written so far.
    fn truth(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("truth"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a truth line is JSON"))
            .collect()
    }

    /// Waits until some truth line has `key` and returns it as a pid;
    /// fails at once if procdemo (`child`) ends first.
    fn wait_for_truth(&self, child: &mut Child, key: &str) -> i32 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(pid) = self.truth().iter().find_map(|line| line[key].as_i64()) {
                return pid as i32;
            }
            let ended = child.try_wait().expect("waitpid on procdemo");
            assert!(
                ended.is_none(),
                "procdemo ended ({ended:?}) before the program told `{key}`: {}",
                std::fs::read_to_string(self.path("stderr")).unwrap_or_default()
            );
            assert!(Instant::now() < deadline, "the program never told `{key}`");
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for procdemo to end and reads what the run left.
    fn finish(&self, child: &mut Child) -> Run {
        let status = wait_with_deadline(child, Instant::now() + DEADLINE, "procdemo observe");
        let events_text = std::fs::read_to_string(self.path("events")).unwrap_or_default();
        Run {
            procdemo: child.id() as i32,
            status,
            stdout: std::fs::read(self.path("stdout")).unwrap_or_default(),
            stderr: std::fs::read_to_string(self.path("stderr")).unwrap_or_default(),
            events: parse_events(&events_text),
            truth: self.truth(),
        }
    }
}

/// One finished run of `procdemo observe`.
struct Run {
    procdemo: i32,
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
    events: Vec<Value>,
    truth: Vec<Value>,
}

impl Run {
    fn describe(&self) -> String {
        let events: Vec<String> = self.events.iter().map(Value::to_string).collect();
        let truth: Vec<String> = self.truth.iter().map(Value::to_string).collect();
        format!(
            "status {:?}\n--- events ---\n{}\n--- truth ---\n{}\n--- stderr ---\n{}",
            self.status,
            events.join("\n"),
            truth.join("\n"),
            self.stderr
        )
    }

    /// `key` of the first truth line that has it.
    fn told(&self, key: &str) -> &Value {
        self.truth
            .iter()
            .find_map(|line| line.get(key))
            .unwrap_or_else(|| panic!("the program never told `{key}`:\n{}", self.describe()))
    }

    /// `key` of the first truth line that has it, as a pid.
    fn told_pid(&self, key: &str) -> i32 {
        let value = self.told(key);
        value
            .as_i64()
            .unwrap_or_else(|| panic!("`{key}` is not a pid: {value}")) as i32
    }

    /// The truth line that has both keys, `key` equal to `value`.
    fn told_with(&self, key: &str, value: i32, other: &str) -> &Value {
        self.truth
            .iter()
            .find(|line| line[key] == value && line.get(other).is_some())
            .map(|line| &line[other])
            .unwrap_or_else(|| panic!("no truth line with {key} {value} and `{other}`"))
    }

    /// The events `name` about process `pid`.
    fn about(&self, name: &str, pid_: i32) -> Vec<&Value> {
        events_of(&self.events, name)
            .into_iter()
            .filter(|event| pid(event) == pid_)
            .collect()
    }

    /// The facts of the only event `name` about `pid`.
    fn only_about(&self, name: &str, pid_: i32) -> &Value {
        let found = self.about(name, pid_);
        assert_eq!(
            found.len(),
            1,
            "one `{name}` about {pid_}:\n{}",
            self.describe()
        );
        &found[0]["facts"]
    }

    /// The facts of the only event `name`.
    fn only(&self, name: &str) -> &Value {
        let found = events_of(&self.events, name);
        assert_eq!(found.len(), 1, "one `{name}`:\n{}", self.describe());
        &found[0]["facts"]
    }

    fn main_pid(&self) -> i32 {
        fact_pid(self.only("observe-start"), "main_pid")
    }

    fn end(&self) -> &Value {
        self.only("observe-end")
    }

    /// The pids of the processes created during the run.
    fn created(&self) -> Vec<i32> {
        events_of(&self.events, "process-created")
            .into_iter()
            .map(pid)
            .collect()
    }

    /// Every pid the events or the truth name.
    fn pids(&self) -> BTreeSet<i32> {
        let mut pids: BTreeSet<i32> = self
            .events
            .iter()
            .filter(|event| role(event) == "observed")
            .map(pid)
            .collect();
        for line in &self.truth {
            let told = line.as_object().into_iter().flatten();
            for (_, value) in told.filter(|(key, _)| !NOT_PIDS.contains(&key.as_str())) {
                let numbers = value
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![value.clone()]);
                pids.extend(
                    numbers
                        .iter()
                        .filter_map(Value::as_i64)
                        .filter(|number| *number > 1 && *number != i64::from(self.procdemo))
                        .map(|number| number as i32),
                );
            }
        }
        pids
    }

    /// The pid of the process that created `child`.
    fn parent_of(&self, child: i32) -> i32 {
        fact_pid(self.only_about("process-created", child), "parent_pid")
    }

    /// The exec events about `pid`, in order.
    fn execs(&self, pid_: i32) -> Vec<&Value> {
        self.about("exec", pid_)
            .into_iter()
            .map(|event| &event["facts"])
            .collect()
    }

    /// Checks `child` was reaped by its parent `parent` with `wait4`.
    fn assert_reaped_by_parent(&self, child: i32, parent: i32) {
        let reaped = self.only_about("reaped", child);
        assert_eq!(reaped["reaper"], "parent", "{reaped}");
        assert_eq!(fact_pid(reaped, "reaper_pid"), parent, "{reaped}");
        assert_eq!(reaped["call"], "wait4", "{reaped}");
    }

    /// Checks `pid` was reaped by procdemo itself (its child or adoptee).
    fn assert_reaped_by_procdemo(&self, pid_: i32) {
        let reaped = self.only_about("reaped", pid_);
        assert_eq!(reaped["reaper"], "procdemo", "{reaped}");
        assert_eq!(fact_pid(reaped, "reaper_pid"), self.procdemo, "{reaped}");
    }

    /// Checks `orphan` was adopted by procdemo from `old_parent`, and
    /// returns the facts of its `adopted`.
    fn assert_adopted_by_procdemo(&self, orphan: i32, old_parent: i32) -> &Value {
        let adopted = self.only_about("adopted", orphan);
        assert_eq!(fact_pid(adopted, "old_parent_pid"), old_parent, "{adopted}");
        assert_eq!(
            fact_pid(adopted, "new_parent_pid"),
            self.procdemo,
            "{adopted}"
        );
        assert_eq!(adopted["by_procdemo"], true, "{adopted}");
        assert_eq!(ppid(self.about("adopted", orphan)[0]), self.procdemo);
        adopted
    }

    fn assert_exit_code(&self, pid_: i32, code: i64) {
        let exited = self.only_about("exited", pid_);
        assert_eq!(exited["exit_code"], code, "{exited}");
        assert_eq!(exited["signal"], Value::Null, "{exited}");
    }
}

fn fact_pid(facts: &Value, name: &str) -> i32 {
    facts[name]
        .as_i64()
        .unwrap_or_else(|| panic!("`{name}` is not a pid in {facts}")) as i32
}

fn pid_list(value: &Value) -> Vec<i32> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list of pids: {value}"))
        .iter()
        .map(|pid| pid.as_i64().expect("a pid") as i32)
        .collect()
}

/// Runs `procdemo observe --json --output FILE <extra> -- <program>` to its end.
fn observe(name: &str, extra: &[&str], program: &[&str]) -> Run {
    let case = Case::new(name);
    let mut child = case
        .command(extra, program)
        .spawn()
        .expect("starting procdemo");
    case.finish(&mut child)
}

/// The checks every finished run passes: the contract's shape, procdemo's
/// lines first and last, procdemo's exit status (`status`) that of the
/// first process, the counts of `observe-end` those of the events, every
/// process ended once and reaped once after it ended, the tree and the
/// timeline those of the events, and nothing but `remaining` left
/// running, and nothing left traced or stopped.
fn check_run(run: &Run, status: i32) {
    assert_eq!(run.status.code(), Some(status), "{}", run.describe());
    assert_well_formed(&run.events, "observe", run.procdemo);
    for event in &run.events {
        match role(event) {
            "procdemo" => assert_eq!(pid(event), run.procdemo, "{event}"),
            "observed" => assert_ne!(pid(event), run.procdemo, "{event}"),
            other => panic!("role {other}: {event}"),
        }
    }
    let first = run.events.first().expect("events");
    let last = run.events.last().expect("events");
    assert_eq!(step(first), "observe-start", "{}", run.describe());
    assert_eq!(step(last), "observe-end", "{}", run.describe());
    let start = run.only("observe-start");
    assert_eq!(start["subreaper"], true, "{start}");
    let main = run.main_pid();
    let end = run.end();
    assert_eq!(end["status"], status, "{end}");

    let created = run.created();
    let unique: BTreeSet<i32> = created.iter().copied().collect();
    assert_eq!(unique.len(), created.len(), "a process created twice");
    assert!(
        !unique.contains(&main),
        "the first process is procdemo's child, not one the program created"
    );
    let count = |name: &str| events_of(&run.events, name).len() as u64;
    assert_eq!(end["processes"], created.len() as u64 + 1, "{end}");
    assert_eq!(end["threads"], count("thread-created"), "{end}");
    assert_eq!(end["programs_run"], count("exec"), "{end}");
    assert_eq!(end["exec_failures"], count("exec-failed"), "{end}");
    assert_eq!(end["orphans"], count("adopted"), "{end}");
    let ignored = |flag: bool| {
        events_of(&run.events, "signal")
            .iter()
            .filter(|event| event["facts"]["ignored"] == flag)
            .count() as u64
    };
    assert_eq!(end["signals"], ignored(false), "{end}");
    assert_eq!(end["signals_ignored"], ignored(true), "{end}");

    let remaining = pid_list(&end["remaining"]);
    for process in std::iter::once(main).chain(created) {
        let exited = run.about("exited", process);
        let reaped = run.about("reaped", process);
        if remaining.contains(&process) {
            assert!(exited.is_empty() && reaped.is_empty(), "{process} remains");
            continue;
        }
        assert_eq!(exited.len(), 1, "{process} exits once:\n{}", run.describe());
        assert_eq!(
            reaped.len(),
            1,
            "{process} is reaped once:\n{}",
            run.describe()
        );
        let at = |event: &Value| run.events.iter().position(|e| e == event);
        assert!(
            at(exited[0]) < at(reaped[0]),
            "{process}: reaped before exited"
        );
    }
    check_tree(run, &end["tree"], None);
    check_timeline(run);
    assert_nothing_left(run, &remaining);
}

/// Each process is in the tree once, under the process that created it.
fn check_tree(run: &Run, node: &Value, parent: Option<i32>) -> usize {
    let process = fact_pid(node, "pid");
    match parent {
        None => assert_eq!(process, run.main_pid(), "the tree's root"),
        Some(parent) => assert_eq!(run.parent_of(process), parent, "{node}"),
    }
    let children = node["children"].as_array().into_iter().flatten();
    let count = 1 + children
        .map(|child| check_tree(run, child, Some(process)))
        .sum::<usize>();
    if parent.is_none() {
        assert_eq!(count, run.created().len() + 1, "the tree has every process");
    }
    count
}

/// Each ended process's lane: `run` as long as it lived, then `zombie` as
/// long as it was one.
fn check_timeline(run: &Run) {
    let lanes = timeline_lanes(&run.end()["timeline"]);
    for exited in events_of(&run.events, "exited") {
        let process = pid(exited);
        let lane = lanes
            .iter()
            .find(|lane| lane.pid == process)
            .unwrap_or_else(|| panic!("no lane for {process}"));
        let lasted = |state: &str| -> Vec<u64> {
            lane.spans
                .iter()
                .filter(|span| span.state == state)
                .map(|span| span.to_us - span.from_us)
                .collect()
        };
        assert_eq!(
            lasted("run"),
            [whole_number(&exited["facts"], "lived_us")],
            "{lane:?}"
        );
        if let Some(reaped) = run.about("reaped", process).first() {
            let zombie_us = whole_number(&reaped["facts"], "zombie_us");
            if reaped["facts"]["reaper"] == "kernel" {
                assert!(lasted("zombie").is_empty(), "no zombie span: {lane:?}");
            } else {
                assert_eq!(lasted("zombie"), [zombie_us], "{lane:?}");
            }
        }
    }
}

/// Every process of the run but `remaining` is gone (or a zombie: no longer
/// runs), and none, `remaining` included, is traced or stopped.
fn assert_nothing_left(run: &Run, remaining: &[i32]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    for process in run.pids() {
        if remaining.contains(&process) {
            assert_untraced_and_running(process);
            continue;
        }
        while let Some(state) = proc_state(process) {
            if matches!(state, 'Z' | 'X') {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{process} is still running (state {state}):\n{}",
                run.describe()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The state letter of `/proc/<pid>/stat`, or None when there is no such process.
fn proc_state(pid_: i32) -> Option<char> {
    proc_stat(pid_).map(|(_, state)| state)
}

/// A field of `/proc/<pid>/status`.
fn status_field(pid_: i32, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid_}/status")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(|value| value.trim().to_string())
}

/// `pid` runs, traced by no one, and is neither stopped (`T`) nor in a
/// tracing stop (`t`).
fn assert_untraced_and_running(pid_: i32) {
    let state = proc_state(pid_).unwrap_or_else(|| panic!("{pid_} should still run"));
    assert!(
        !matches!(state, 't' | 'T' | 'Z' | 'X'),
        "{pid_} is in state {state}"
    );
    assert_eq!(
        status_field(pid_, "TracerPid").as_deref(),
        Some("0"),
        "{pid_} is still traced"
    );
}

/// Kills `pid` (not ours to reap: procdemo is gone) and waits until it no longer runs.
fn kill_and_forget(pid_: i32) {
    let _ = kill(Pid::from_raw(pid_), Signal::SIGKILL);
    let deadline = Instant::now() + DEADLINE;
    while proc_state(pid_).is_some_and(|state| !matches!(state, 'Z' | 'X')) {
        assert!(Instant::now() < deadline, "{pid_} survived SIGKILL");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The real python3 (`sys.executable`): `python3` on PATH may be a
/// wrapper such as pyenv's shim, a bash script that starts dozens of
/// processes of its own before python3.
fn python3() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let output = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 on PATH");
        String::from_utf8(output.stdout)
            .expect("a UTF-8 path")
            .trim()
            .to_string()
    })
}

/// The python3 of a program of tests/observe with its arguments.
fn python(name: &str, args: &[&str]) -> Vec<String> {
    let mut command = vec![python3().to_string(), program(name)];
    command.extend(args.iter().map(|arg| arg.to_string()));
    command
}

fn observe_python(case: &str, extra: &[&str], name: &str, args: &[&str]) -> Run {
    let command = python(name, args);
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    observe(case, extra, &command)
}

/// The creation of `child` by `parent` with a fork: what each side saw.
fn assert_forked(run: &Run, child: i32, parent: i32) -> &Value {
    let created = run.only_about("process-created", child);
    assert_eq!(fact_pid(created, "parent_pid"), parent, "{created}");
    assert_eq!(created["parent_saw"], child, "{created}");
    assert_eq!(created["child_saw"], 0, "{created}");
    created
}

#[test]
fn a_zombie_lasts_as_long_as_its_parent_slept_and_the_parent_reaps_it() {
    let run = observe_python("zombie", &[], "zombie.py", &[]);
    check_run(&run, 0);
    let parent = run.told_pid("parent");
    let child = run.told_pid("child");
    assert_eq!(run.main_pid(), parent, "{}", run.describe());
    assert_eq!(run.told_with("child", child, "ppid"), parent);
    assert_eq!(run.told_pid("waited"), child);
    assert_eq!(run.told("exit_code"), 7);

    let created = assert_forked(&run, child, parent);
    assert_eq!(created["name"], "python3", "{created}");
    assert_eq!(created["python"], "fork-child", "{created}");
    for event in run.about("process-created", child) {
        assert_eq!(ppid(event), parent, "{event}");
    }
    run.assert_exit_code(child, 7);
    run.assert_reaped_by_parent(child, parent);
    let slept = run.told("slept_us").as_u64().expect("slept_us");
    let zombie_us = run.only_about("reaped", child)["zombie_us"]
        .as_u64()
        .expect("zombie_us");
    assert!(
        zombie_us >= slept,
        "the zombie lasted {zombie_us} µs, its parent slept {slept} µs before waiting"
    );
    run.assert_exit_code(parent, 0);
    run.assert_reaped_by_procdemo(parent);

    let end = run.end();
    assert_eq!(end["exit_code"], 0, "{end}");
    assert_eq!(end["processes"], 2, "{end}");
    assert!(end["zombies"].as_u64() >= Some(1), "{end}");
    assert!(end["zombie_us_max"].as_u64() >= Some(zombie_us), "{end}");
    assert!(!pid_list(&end["never_reaped"]).contains(&child), "{end}");
}

/// Run in Chinese: the facts are the same in every language.
#[test]
fn an_orphan_is_adopted_by_procdemo_which_reaps_it() {
    let run = observe_python("orphan", &["--lang", "zh"], "orphan.py", &[]);
    check_run(&run, 0);
    let main = run.told_pid("main");
    let middle = run.told_pid("middle");
    let orphan = run.told_pid("orphan");
    assert_eq!(run.main_pid(), main);
    assert_eq!(run.told_with("orphan", orphan, "first_parent"), middle);
    assert_eq!(
        run.told_with("orphan", orphan, "adopted_by"),
        run.procdemo,
        "the orphan's getppid() after the adoption is procdemo's pid (the subreaper)"
    );
    assert_eq!(run.told("waited"), middle);

    assert_forked(&run, middle, main);
    assert_forked(&run, orphan, middle);
    let adopted = run.assert_adopted_by_procdemo(orphan, middle);
    assert_eq!(adopted["zombie"], false, "{adopted}");

    run.assert_exit_code(middle, 0);
    run.assert_reaped_by_parent(middle, main);
    run.assert_exit_code(orphan, 0);
    run.assert_reaped_by_procdemo(orphan);
    let end = run.end();
    assert_eq!(end["orphans"], 1, "{end}");
    let never_reaped = pid_list(&end["never_reaped"]);
    assert!(never_reaped.contains(&orphan), "{end}");
    assert!(!never_reaped.contains(&middle), "{end}");
}

#[test]
fn an_orphan_already_a_zombie_is_adopted_as_one_and_reaped_by_procdemo() {
    let run = observe_python("zombie-orphan", &[], "zombie_orphan.py", &[]);
    check_run(&run, 0);
    let main = run.told_pid("main");
    let middle = run.told_pid("middle");
    let zombie = run.told_pid("zombie");
    assert_eq!(run.main_pid(), main);
    assert_eq!(run.told("waited"), middle);
    assert_forked(&run, middle, main);
    assert_forked(&run, zombie, middle);
    run.assert_exit_code(zombie, 4);
    let adopted = run.assert_adopted_by_procdemo(zombie, middle);
    assert_eq!(adopted["zombie"], true, "{adopted}");
    run.assert_reaped_by_procdemo(zombie);
    run.assert_reaped_by_parent(middle, main);
    assert_eq!(pid_list(&run.end()["never_reaped"]), [zombie]);
}

#[test]
fn a_parent_that_ignores_sigchld_leaves_the_reaping_to_the_kernel() {
    let run = observe_python("no-wait", &[], "no_wait.py", &[]);
    check_run(&run, 0);
    let parent = run.told_pid("parent");
    let child = run.told_pid("child");
    assert_eq!(run.told("wait_error"), "ECHILD");
    assert_forked(&run, child, parent);
    run.assert_exit_code(child, 5);
    let reaped = run.only_about("reaped", child);
    assert_eq!(reaped["reaper"], "kernel", "{reaped}");
    assert_eq!(reaped["call"], Value::Null, "{reaped}");
}

/// Linux sends SIGPIPE from pipe_write with send_sig(SIGPIPE, current, 0):
/// its siginfo says SI_USER with si_pid the writer's own pid, as if the
/// writer had called kill on itself; it never did. procdemo names that
/// origin `pipe`, with the sender the kernel wrote.
#[test]
fn a_sigpipe_the_kernel_sends_is_named_for_the_pipe() {
    let run = observe_python("sigpipe", &[], "sigpipe.py", &[]);
    check_run(&run, 0);
    let parent = run.told_pid("parent");
    let child = run.told_pid("child");
    assert_eq!(run.told("waited"), child);
    assert_eq!(run.told("signal"), "SIGPIPE");
    assert_forked(&run, child, parent);
    let signal = run.only_about("signal", child);
    assert_eq!(signal["signal"], "SIGPIPE", "{signal}");
    assert_eq!(signal["origin"], "pipe", "{signal}");
    assert_eq!(fact_pid(signal, "sender_pid"), child, "{signal}");
    assert_eq!(run.only_about("exited", child)["signal"], "SIGPIPE");
    run.assert_reaped_by_parent(child, parent);
}

#[test]
fn a_process_created_by_a_thread_names_that_thread() {
    let run = observe_python("thread-forks", &[], "thread_forks.py", &[]);
    check_run(&run, 0);
    let main = run.told_pid("main");
    let thread = run.told_pid("thread");
    let child = run.told_pid("child");
    let created = assert_forked(&run, child, main);
    assert_eq!(fact_pid(created, "by_tid"), thread, "{created}");
    let thread_created = run.only_about("thread-created", main);
    assert_eq!(fact_pid(thread_created, "tid"), thread, "{thread_created}");
    run.assert_reaped_by_parent(child, main);
    assert_eq!(
        fact_pid(run.only_about("reaped", child), "reaper_pid"),
        main
    );
}

#[test]
fn an_exec_from_a_thread_keeps_the_pid_of_the_process() {
    let run = observe_python("thread-execs", &[], "thread_execs.py", &[]);
    check_run(&run, 0);
    let main = run.told_pid("main");
    let thread = run.told_pid("thread");
    assert_eq!(run.told_pid("after_exec"), main, "$$ after the exec");
    assert_eq!(run.main_pid(), main);
    let created = run.only_about("thread-created", main);
    assert_eq!(fact_pid(created, "tid"), thread, "{created}");
    let exec = last_exec(&run, main);
    assert_eq!(exec["argv"][0], *run.told("shell_path"), "{exec}");
    assert_eq!(exec["argv"][1], "-c", "{exec}");
    assert_eq!(exec["pid_kept"], true, "{exec}");
    assert_eq!(exec["previous"], "python3", "{exec}");
    assert!(run.created().is_empty(), "no process but the first");
    run.assert_exit_code(main, 0);
    run.assert_reaped_by_procdemo(main);
}

/// The double-fork daemon of `daemon.py` (it lives 2 s at the most).
fn daemon_run(case: &str, extra: &[&str]) -> (Run, i32) {
    let run = observe_python(case, extra, "daemon.py", &["2"]);
    let main = run.told_pid("main");
    let middle = run.told_pid("middle");
    let daemon = run.told_pid("daemon");
    assert_eq!(run.main_pid(), main);
    assert_eq!(run.told("waited"), middle);
    assert_forked(&run, middle, main);
    assert_forked(&run, daemon, middle);
    run.assert_reaped_by_parent(middle, main);
    run.assert_adopted_by_procdemo(daemon, middle);
    let remaining = run.only("remaining");
    let pids: Vec<i32> = remaining["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|process| fact_pid(process, "pid"))
        .collect();
    assert_eq!(pids, [daemon], "{remaining}");
    (run, daemon)
}

#[test]
fn a_daemon_still_running_is_reported_and_left_running_untraced() {
    let (run, daemon) = daemon_run("daemon", &[]);
    let survived = std::panic::catch_unwind(|| {
        check_run(&run, 0);
        assert_eq!(run.only("remaining")["killed"], false);
        assert_eq!(pid_list(&run.end()["remaining"]), [daemon]);
        assert_untraced_and_running(daemon);
    });
    kill_and_forget(daemon);
    if let Err(failure) = survived {
        std::panic::resume_unwind(failure);
    }
}

#[test]
fn kill_remaining_kills_the_daemon_and_procdemo_reaps_it() {
    let (run, daemon) = daemon_run("daemon-killed", &["--kill-remaining"]);
    check_run(&run, 0);
    assert_eq!(run.only("remaining")["killed"], true);
    assert_eq!(pid_list(&run.end()["remaining"]), Vec::<i32>::new());
    let exited = run.only_about("exited", daemon);
    assert_eq!(exited["signal"], "SIGKILL", "{exited}");
    run.assert_reaped_by_procdemo(daemon);
}

#[test]
fn a_pool_of_3_under_fork_shows_its_workers_forked_and_reaped_by_the_main_process() {
    let (run, main) = pool_run("fork");
    for worker in workers_of(&run, main) {
        assert_forked_worker(&run, worker, main, "fork-child");
    }
    assert_eq!(run.end()["processes"], 4);
}

/// `pool.py` under the start method `method`, checked, and its main
/// process, which is procdemo's child.
fn pool_run(method: &str) -> (Run, i32) {
    let run = observe_python(&format!("pool-{method}"), &[], "pool.py", &[method]);
    check_run(&run, 0);
    let main = run.told_pid("main");
    assert_eq!(run.main_pid(), main);
    assert_eq!(run.told("method"), method);
    (run, main)
}

/// The pool's 3 workers, each seen by its own `os.getpid()`, with the
/// parent `os.getppid()` gave: `parent`; the tasks ran among them.
fn workers_of(run: &Run, parent: i32) -> Vec<i32> {
    let workers: Vec<i32> = run
        .truth
        .iter()
        .filter_map(|line| line["worker"].as_i64())
        .map(|pid| pid as i32)
        .collect();
    assert_eq!(workers.len(), 3, "{}", run.describe());
    for worker in &workers {
        assert_eq!(run.told_with("worker", *worker, "ppid"), parent);
    }
    for ran_in in pid_list(run.told("tasks_ran_in")) {
        assert!(workers.contains(&ran_in), "a task ran in {ran_in}");
    }
    workers
}

/// A pool worker forked by `parent`, named `python`, that runs no program
/// of its own, ends with 0 and is reaped by `parent`.
fn assert_forked_worker(run: &Run, worker: i32, parent: i32, python: &str) {
    let created = assert_forked(run, worker, parent);
    assert_eq!(created["python"], python, "{created}");
    assert!(
        run.execs(worker).is_empty(),
        "a forked worker runs no program"
    );
    run.assert_exit_code(worker, 0);
    run.assert_reaped_by_parent(worker, parent);
}

/// The last program `pid` ran: its `python` name and its argv.
fn last_exec(run: &Run, pid_: i32) -> &Value {
    run.execs(pid_)
        .last()
        .copied()
        .unwrap_or_else(|| panic!("{pid_} ran no program:\n{}", run.describe()))
}

#[test]
fn a_pool_of_3_under_spawn_names_the_spawned_workers_and_the_resource_tracker() {
    let (run, main) = pool_run("spawn");
    for worker in workers_of(&run, main) {
        assert_eq!(run.parent_of(worker), main);
        let exec = last_exec(&run, worker);
        assert_eq!(exec["python"], "spawn-child", "{exec}");
        assert_eq!(exec["pid_kept"], true, "{exec}");
        run.assert_exit_code(worker, 0);
        run.assert_reaped_by_parent(worker, main);
    }
    let tracker = run.told_pid("resource_tracker");
    assert_eq!(run.parent_of(tracker), main);
    assert_eq!(last_exec(&run, tracker)["python"], "resource-tracker");
    // It ends when the main process, which holds its pipe, has ended: by
    // then it is procdemo's, adopted.
    run.assert_adopted_by_procdemo(tracker, main);
    run.assert_reaped_by_procdemo(tracker);
}

#[test]
fn a_pool_of_3_under_forkserver_shows_the_workers_as_the_forkservers_children() {
    let (run, main) = pool_run("forkserver");
    let server = run.told_pid("forkserver");
    assert_eq!(run.parent_of(server), main);
    assert_eq!(last_exec(&run, server)["python"], "forkserver");
    for worker in workers_of(&run, server) {
        assert_forked_worker(&run, worker, server, "forkserver-child");
    }
    let tracker = run.told_pid("resource_tracker");
    assert_eq!(last_exec(&run, tracker)["python"], "resource-tracker");
}

#[test]
fn threads_are_threads_of_their_process_with_the_ids_they_saw() {
    let run = observe_python("threads", &[], "threads.py", &[]);
    check_run(&run, 0);
    let main = run.told_pid("main_thread");
    assert_eq!(run.told("pid"), main, "the main thread's id is the pid");
    assert_eq!(run.main_pid(), main);
    let told: BTreeSet<i64> = run
        .truth
        .iter()
        .filter_map(|line| line["thread"].as_i64())
        .collect();
    for line in run.truth.iter().filter(|line| line.get("thread").is_some()) {
        assert_eq!(line["pid"], main, "a thread's os.getpid() is its process's");
    }
    let tids = |name: &str| -> BTreeSet<i64> {
        run.about(name, main)
            .iter()
            .map(|event| event["facts"]["tid"].as_i64().expect("tid"))
            .collect()
    };
    assert_eq!(told.len(), 3);
    assert_eq!(tids("thread-created"), told, "{}", run.describe());
    assert_eq!(tids("thread-ended"), told, "{}", run.describe());
    for event in run.about("thread-created", main) {
        assert_eq!(event["facts"]["by_tid"], main, "{event}");
    }
    let most = run
        .about("thread-created", main)
        .iter()
        .filter_map(|event| event["facts"]["threads"].as_u64())
        .max();
    assert_eq!(most, Some(4), "the three wait at a barrier: four at once");
    assert!(run.created().is_empty(), "a thread is not a process");
    assert_eq!(run.only_about("exited", main)["threads_created"], 3);
    assert_eq!(run.end()["threads"], 3);
    assert_eq!(run.end()["processes"], 1);
}

#[test]
fn a_child_killed_with_sigterm_and_a_program_that_kills_itself() {
    let run = observe_python("signals", &[], "signals.py", &[]);
    check_run(&run, 143);
    let parent = run.told_pid("parent");
    let child = run.told_pid("child");
    assert_eq!(run.main_pid(), parent);
    assert_eq!(run.told_pid("killed"), child);
    assert_eq!(run.told("signal"), "SIGTERM");
    assert_forked(&run, child, parent);

    let sent = |to: i32, name: &str| -> Vec<&Value> {
        run.about("signal", to)
            .into_iter()
            .map(|event| &event["facts"])
            .filter(|facts| facts["signal"] == name)
            .collect()
    };
    let term = sent(child, "SIGTERM");
    assert_eq!(term.len(), 1, "{}", run.describe());
    assert_eq!(term[0]["number"], 15);
    assert_eq!(term[0]["origin"], "kill");
    assert_eq!(fact_pid(term[0], "sender_pid"), parent);
    assert_eq!(term[0]["ignored"], false);
    let chld = sent(parent, "SIGCHLD");
    assert!(
        chld.iter()
            .any(|facts| facts["origin"] == "child" && facts["sender_pid"] == child),
        "{}",
        run.describe()
    );
    let itself = sent(parent, "SIGTERM");
    assert_eq!(itself.len(), 1, "{}", run.describe());
    assert_eq!(fact_pid(itself[0], "sender_pid"), parent);

    let exited = run.only_about("exited", child);
    assert_eq!(exited["signal"], "SIGTERM", "{exited}");
    assert_eq!(exited["exit_code"], Value::Null, "{exited}");
    run.assert_reaped_by_parent(child, parent);
    assert_eq!(run.only_about("exited", parent)["signal"], "SIGTERM");
    let end = run.end();
    assert_eq!(end["signal"], "SIGTERM", "{end}");
    assert_eq!(end["exit_code"], Value::Null, "{end}");
}

#[test]
fn failed_execs_are_seen_with_their_path_and_errno_and_exit_3_passes_on() {
    let run = observe_python("exec-fail", &[], "exec_fail.py", &[]);
    check_run(&run, 3);
    let main = run.told_pid("main");
    assert_eq!(run.main_pid(), main);
    assert_eq!(run.told("subprocess_error"), "ENOENT");
    assert_eq!(run.told("filename"), MISSING);
    assert_eq!(run.end()["exit_code"], 3);

    let failed: Vec<&Value> = events_of(&run.events, "exec-failed")
        .into_iter()
        .filter(|event| event["facts"]["path"] == MISSING)
        .collect();
    assert_eq!(failed.len(), 2, "{}", run.describe());
    for event in &failed {
        assert_eq!(event["facts"]["errno"], "ENOENT", "{event}");
        assert_eq!(event["facts"]["call"], "execve", "{event}");
        assert_eq!(run.parent_of(pid(event)), main);
    }
    // os.execv in a forked child: the child told its pid.
    let execv = run.told_pid("execv_failed");
    assert_eq!(run.told("error"), "ENOENT");
    assert!(failed.iter().any(|event| pid(event) == execv));
    assert_forked(&run, execv, main);
    run.assert_exit_code(execv, 126);
    run.assert_reaped_by_parent(execv, main);
    // subprocess.run: _posixsubprocess's child, after vfork, exits 255.
    let hidden = failed
        .iter()
        .map(|event| pid(event))
        .find(|failed| *failed != execv)
        .expect("subprocess's child");
    assert_eq!(run.only_about("process-created", hidden)["call"], "vfork");
    run.assert_exit_code(hidden, 255);
    run.assert_reaped_by_parent(hidden, main);
    // sh -c of a missing command: sh ran (dash looks the command up with
    // stat, no exec fails) and exits 127.
    let shell = run.told_pid("shell");
    // subprocess.Popen starts it with vfork (CPython 3.10 and later, on
    // Linux): the child is the pid Popen.pid told, no Python fork child,
    // and vfork's return in the parent, which comes only after the child's
    // exec, is null.
    let created = run.only_about("process-created", shell);
    assert_eq!(fact_pid(created, "parent_pid"), main, "{created}");
    assert_eq!(created["call"], "vfork", "{created}");
    assert_eq!(created["parent_saw"], Value::Null, "{created}");
    assert_eq!(created["child_saw"], 0, "{created}");
    assert_eq!(created["python"], Value::Null, "{created}");
    let exec = last_exec(&run, shell);
    assert_eq!(
        exec["argv"],
        serde_json::json!([run.told("shell_path"), "-c", "no-such-command-xyz"]),
        "{exec}"
    );
    assert_eq!(run.told("returncode"), 127);
    run.assert_exit_code(shell, 127);
    run.assert_reaped_by_parent(shell, main);
}

/// The `holders` of the shared pipes in `observe-end`'s `channels`.
fn pipe_holders(run: &Run) -> Vec<Vec<(i32, i64, String)>> {
    run.end()["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter(|channel| channel["kind"] == "pipe")
        .map(|channel| {
            channel["holders"]
                .as_array()
                .expect("holders")
                .iter()
                .map(|holder| {
                    (
                        fact_pid(holder, "pid"),
                        holder["fd"].as_i64().expect("fd"),
                        holder["access"].as_str().expect("access").to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

/// One shared pipe has `writer` on fd 1 and `reader` on fd 0.
fn assert_piped(run: &Run, writer: i32, reader: i32) {
    let holders = pipe_holders(run);
    assert!(
        holders.iter().any(|holders| {
            holders.contains(&(writer, 1, "write".to_string()))
                && holders.contains(&(reader, 0, "read".to_string()))
        }),
        "no pipe from {writer} to {reader}: {holders:?}"
    );
}

#[test]
fn a_pipe_made_before_a_fork_shows_both_sides_and_the_end_each_keeps() {
    let run = observe_python("pipe", &[], "pipe.py", &[]);
    check_run(&run, 0);
    let parent = run.told_pid("parent");
    let child = run.told_pid("child");
    assert_eq!(run.main_pid(), parent);
    assert_eq!(run.told("got"), "hello");
    assert_forked(&run, child, parent);
    let parent_fd = run.told_with("parent", parent, "fd").as_i64().expect("fd");
    let child_fd = run.told_with("child", child, "fd").as_i64().expect("fd");
    let holders = pipe_holders(&run);
    assert!(
        holders.iter().any(|holders| {
            holders.contains(&(parent, parent_fd, "read".to_string()))
                && holders.contains(&(child, child_fd, "write".to_string()))
        }),
        "the parent receives on fd {parent_fd}, the child sends on fd {child_fd}: {holders:?}"
    );
}

/// The pid whose last program ran with `argv`.
fn ran(run: &Run, argv: &[&str]) -> i32 {
    let found: Vec<i32> = events_of(&run.events, "exec")
        .into_iter()
        .filter(|event| event["facts"]["argv"] == json_strings(argv))
        .map(pid)
        .collect();
    assert_eq!(found.len(), 1, "one exec of {argv:?}:\n{}", run.describe());
    found[0]
}

#[test]
fn a_shell_pipeline_passes_its_output_through_and_shares_its_pipes() {
    let run = observe(
        "pipeline",
        &[],
        &["sh", "-c", "printf \"b\\na\\n\" | sort | head -n 1"],
    );
    check_run(&run, 0);
    assert_eq!(run.stdout, b"a\n", "{}", run.describe());
    let shell = run.main_pid();
    let sort = ran(&run, &["sort"]);
    let head = ran(&run, &["head", "-n", "1"]);
    for (process, name) in [(sort, "sort"), (head, "head")] {
        assert_eq!(run.parent_of(process), shell);
        let exec = last_exec(&run, process);
        assert_eq!(exec["pid_kept"], true, "{exec}");
        assert!(
            exec["program"]
                .as_str()
                .is_some_and(|path| path.ends_with(&format!("/{name}"))),
            "{exec}"
        );
        run.assert_exit_code(process, 0);
        run.assert_reaped_by_parent(process, shell);
    }
    assert_piped(&run, sort, head);
}

#[test]
fn a_pipeline_whose_stages_tell_their_pids() {
    let run = observe("pipeline-told", &[], &["sh", &program("pipeline.sh")]);
    check_run(&run, 0);
    assert_eq!(run.stdout, b"a\n", "{}", run.describe());
    let shell = run.told_pid("shell");
    assert_eq!(run.main_pid(), shell);
    let stage = |name: &str| -> i32 {
        let line = run
            .truth
            .iter()
            .find(|line| line["stage"] == name)
            .unwrap_or_else(|| panic!("no stage {name}"));
        assert_eq!(line["ppid"], shell, "{line}");
        fact_pid(line, "pid")
    };
    let (sort, head) = (stage("sort"), stage("head"));
    for (process, argv) in [(sort, vec!["sort"]), (head, vec!["head", "-n", "1"])] {
        assert_forked(&run, process, shell);
        let execs = run.execs(process);
        assert_eq!(execs.len(), 2, "sh, then the command:\n{}", run.describe());
        assert_eq!(execs[0]["previous"], "sh", "{}", execs[0]);
        assert_eq!(execs[1]["argv"], json_strings(&argv), "{}", execs[1]);
        assert_eq!(execs[1]["pid_kept"], true);
        run.assert_exit_code(process, 0);
        run.assert_reaped_by_parent(process, shell);
    }
    assert_piped(&run, sort, head);
}

fn json_strings(strings: &[&str]) -> Value {
    Value::from(strings.to_vec())
}

#[test]
fn stdin_stdout_and_stderr_pass_through_byte_for_byte() {
    let case = Case::new("passthrough");
    let mut child = case
        .command(
            &[],
            &["sh", "-c", "cat; printf 'x\\377\\000y'; printf 'e\\n' >&2"],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting procdemo");
    let stdout = read_all_on_thread(child.stdout.take().expect("stdout"));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"in\n\x01").expect("writing stdin");
    drop(stdin);
    let run = case.finish(&mut child);
    check_run(&run, 0);
    let bytes = stdout
        .recv_timeout(DEADLINE)
        .expect("stdout closed once procdemo ended");
    assert_eq!(bytes, b"in\n\x01x\xff\x00y", "{}", run.describe());
    assert_eq!(
        run.stderr, "e\n",
        "with --output, stderr is the program's alone"
    );
}

/// `procdemo observe -- yes | head -c 4`: the reader goes away, `yes` gets
/// SIGPIPE writing its stdout, as it would without procdemo, and procdemo
/// passes that on: 128 + 13.
#[test]
fn a_reader_that_goes_away_ends_the_program_with_sigpipe() {
    let case = Case::new("reader-gone");
    let mut child = case
        .command(&[], &["yes"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting procdemo");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0; 4];
    stdout.read_exact(&mut first).expect("yes writes");
    assert_eq!(&first, b"y\ny\n");
    drop(stdout);
    let run = case.finish(&mut child);
    check_run(&run, 141);
    let yes = run.main_pid();
    assert_eq!(run.only_about("exited", yes)["signal"], "SIGPIPE");
    assert_eq!(run.end()["signal"], "SIGPIPE");
}

#[test]
fn people_read_the_narration_on_stderr_in_chinese_or_english() {
    for (lang, chinese) in [("zh", true), ("en", false)] {
        let case = Case::new(&format!("human-{lang}"));
        let mut child = case
            .bare(&[
                "observe",
                "--lang",
                lang,
                "--",
                python3(),
                &program("zombie.py"),
            ])
            .stdout(case.file("stdout"))
            .stderr(case.file("stderr"))
            .spawn()
            .expect("starting procdemo");
        let run = case.finish(&mut child);
        assert_eq!(run.status.code(), Some(0), "{}", run.describe());
        assert!(
            run.stdout.is_empty(),
            "narration on stdout: {:?}",
            run.stdout
        );
        assert_eq!(has_chinese(&run.stderr), chinese, "{}", run.stderr);
        assert!(!has_ansi(&run.stderr), "colours off a terminal");
        let child_pid = run.told_pid("child").to_string();
        assert!(run.stderr.contains(&child_pid), "{}", run.stderr);
        assert!(
            run.stderr.lines().all(|line| !line.starts_with('{')),
            "JSON without --json: {}",
            run.stderr
        );
    }
}

/// procdemo cannot start the program: 127 when execvp found nothing, 126
/// when the file cannot be run (as a shell, `env` or `timeout` say), with a
/// message in the language that names the command.
#[test]
fn a_command_that_cannot_start_fails_with_a_message_in_the_language() {
    let not_executable = program("truth.py");
    for (lang, chinese) in [("en", false), ("zh", true)] {
        for (command, status) in [("/nonexistent", 127), (not_executable.as_str(), 126)] {
            let case = Case::new(&format!("bad-command-{lang}-{status}"));
            let mut child = case
                .bare(&["observe", "--lang", lang, "--", command])
                .stdout(case.file("stdout"))
                .stderr(case.file("stderr"))
                .spawn()
                .expect("starting procdemo");
            let run = case.finish(&mut child);
            assert_eq!(run.status.code(), Some(status), "{}", run.describe());
            assert!(run.stderr.contains(command), "{}", run.stderr);
            assert_eq!(has_chinese(&run.stderr), chinese, "{}", run.stderr);
            assert!(run.stdout.is_empty());
        }
    }
}

/// Where the kernel refuses PTRACE_SEIZE (here: procdemo itself under
/// `strace -f`, which takes every child first), one line says so and what
/// to do, in the language, and procdemo exits 1 without running the program.
#[test]
fn a_refused_trace_is_said_in_one_line_in_the_language() {
    assert!(
        on_path("strace"),
        "this test needs strace (Debian's strace package)"
    );
    for (lang, chinese) in [("en", false), ("zh", true)] {
        let case = Case::new(&format!("refused-{lang}"));
        let marker = case.path("ran");
        let output = Command::new("strace")
            .args([
                "-f",
                "-o",
                "/dev/null",
                crate::common::bin(),
                "observe",
                "--lang",
                lang,
            ])
            .args(["--", "touch"])
            .arg(&marker)
            .env("XDG_STATE_HOME", case.path("state"))
            .stdin(Stdio::null())
            .output()
            .expect("running strace");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("PTRACE_SEIZE") && stderr.contains("EPERM"),
            "{stderr}"
        );
        assert_eq!(has_chinese(&stderr), chinese, "{stderr}");
        assert!(!marker.exists(), "the program ran untraced");
    }
}

#[test]
fn observe_without_a_command_is_a_usage_error() {
    let case = Case::new("no-command");
    for args in [&["observe"][..], &["observe", "--json", "--"][..]] {
        let output = case.bare(args).output().expect("running procdemo");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}

#[test]
fn ctrl_c_to_the_group_ends_the_program_and_procdemo_narrates_it() {
    let case = Case::new("sigint");
    let mut child = case
        .command(&[], &[python3(), &program("sleeper.py")])
        .process_group(0)
        .spawn()
        .expect("starting procdemo");
    let group = Pid::from_raw(child.id() as i32);
    let sleeper = case.wait_for_truth(&mut child, "sleeper");
    killpg(group, Signal::SIGINT).expect("SIGINT to the group");
    let run = case.finish(&mut child);
    check_run(&run, 130);
    assert_eq!(run.main_pid(), sleeper);
    assert!(run.stderr.contains("KeyboardInterrupt"), "{}", run.stderr);
    assert_eq!(run.only_about("exited", sleeper)["signal"], "SIGINT");
    let signal = run
        .about("signal", sleeper)
        .into_iter()
        .find(|event| event["facts"]["signal"] == "SIGINT")
        .expect("the SIGINT");
    assert_eq!(signal["facts"]["origin"], "kill", "{signal}");
    assert_eq!(
        signal["facts"]["sender_pid"],
        std::process::id(),
        "the test sent it: {signal}"
    );
    assert_eq!(run.end()["signal"], "SIGINT");
}

/// SIGTERM or SIGHUP to procdemo alone: it stops watching, says so, exits
/// 128 + the signal, and the program runs on, neither traced nor stopped.
#[test]
fn sigterm_or_sighup_to_procdemo_leaves_the_program_running_untraced() {
    for (signal, status) in [(Signal::SIGTERM, 143), (Signal::SIGHUP, 129)] {
        let case = Case::new(&format!("stopped-{signal}"));
        let mut child = case
            .command(&[], &[python3(), &program("sleeper.py")])
            .spawn()
            .expect("starting procdemo");
        let sleeper = case.wait_for_truth(&mut child, "sleeper");
        kill(Pid::from_raw(child.id() as i32), signal).expect("a signal to procdemo");
        let run = case.finish(&mut child);
        let checked = std::panic::catch_unwind(|| {
            assert_eq!(run.status.code(), Some(status), "{}", run.describe());
            assert_well_formed(&run.events, "observe", run.procdemo);
            let last = run.events.last().expect("events");
            assert_eq!(step(last), "observe-stopped", "{}", run.describe());
            assert_eq!(last["facts"]["signal"], signal.as_str(), "{last}");
            assert!(pid_list(&last["facts"]["left_running"]).contains(&sleeper));
            assert!(events_of(&run.events, "observe-end").is_empty());
            assert_untraced_and_running(sleeper);
        });
        kill_and_forget(sleeper);
        if let Err(failure) = checked {
            std::panic::resume_unwind(failure);
        }
    }
}
