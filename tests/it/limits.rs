//! Limits a user sets with `ulimit`: an option that asks for more memory
//! than procdemo may have (`ulimit -v`) ends the lesson with one line
//! naming the option and the limit, exit 1, never an abort (SIGABRT); a
//! failure under `ulimit -n` names the error that happened before any hint.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use procdemo::model::Ended;

use crate::common::{Output, assert_no_leftovers, bin, pids_seen, procdemo, report, run, step};

/// procdemo with `args`, its environment as `procdemo` gives it, started by
/// bash (whose `ulimit` has -q, which dash's lacks) after `ulimit <limit>`.
fn under_limit(limit: &str, args: &[&str]) -> Command {
    let plain = procdemo(args);
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
        .arg(bin())
        .args(args)
        .stdin(Stdio::null());
    for (name, value) in plain.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command
}

/// The one line on stderr of a run that failed (exit 1, not killed by a
/// signal, an `ended` event with everything reaped, nothing left running).
fn one_failure_line(output: &Output) -> String {
    let shown = output.describe();
    assert_eq!(output.status.signal(), None, "{shown}");
    assert_eq!(output.status.code(), Some(1), "{shown}");
    let events = output.events();
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{shown}");
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, "error", "{shown}");
    assert_eq!(facts.processes_reaped, facts.processes_started, "{shown}");
    assert_no_leftovers(&pids_seen(&events));
    let lines: Vec<&str> = output
        .stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {shown}");
    lines[0].to_string()
}

/// 64 MiB (the default) under a limit of about 49 MiB.
#[test]
fn memory_beyond_ulimit_v_names_mib_and_the_limit() {
    for (lang, names) in [
        ("en", "--mib 64: cannot allocate 64 MiB"),
        ("zh", "--mib 64：本进程的内存上限是 ulimit -v 50000"),
    ] {
        let output = run(under_limit(
            "-v 50000",
            &["memory", "--json", "--pace", "0", "--lang", lang],
        ));
        let line = one_failure_line(&output);
        assert!(line.contains(names), "{line}");
        assert!(line.contains("ulimit -v 50000"), "{line}");
        assert!(line.contains("ENOMEM"), "{line}");
    }
}

/// 100000 tasks need some 30 MiB more than procdemo's own: refused before
/// any worker starts.
#[test]
fn pool_tasks_beyond_ulimit_v_names_tasks_and_the_limit() {
    let output = run(under_limit(
        "-v 40000",
        &[
            "pool", "--tasks", "100000", "--json", "--pace", "0", "--lang", "en",
        ],
    ));
    let line = one_failure_line(&output);
    assert!(line.contains("--tasks 100000: cannot allocate"), "{line}");
    assert!(line.contains("ulimit -v 40000"), "{line}");
    assert!(line.contains("try a smaller --tasks"), "{line}");
}

/// Under a low `ulimit -n` the queue cannot be opened: EMFILE is said
/// first, then that the descriptors are all in use, and no limit that did
/// not apply (queues_max, ulimit -q). The lowest limit at which procdemo
/// gets as far as the queue depends on the descriptors it inherits: each
/// is tried up to the first at which the lesson runs.
#[test]
fn queue_under_ulimit_n_names_emfile_first() {
    let mut reached_the_queue = false;
    for files in 4..=16 {
        let output = run(under_limit(
            &format!("-n {files}"),
            &["queue", "--json", "--pace", "0", "--lang", "en"],
        ));
        if output.status.success() {
            break;
        }
        let shown = output.describe();
        let lines: Vec<&str> = output.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{shown}");
        if !lines[0].contains("mq_open()") {
            continue;
        }
        reached_the_queue = true;
        let line = one_failure_line(&output);
        let cause = line.find("EMFILE").expect("EMFILE named");
        let hint = line
            .find(&format!("ulimit -n {files}"))
            .expect("the descriptor limit named");
        assert!(cause < hint, "the cause comes first: {line}");
        assert!(!line.contains("queues_max"), "{line}");
        assert!(!line.contains("ulimit -q"), "{line}");
    }
    assert!(
        reached_the_queue,
        "no limit stopped the lesson at mq_open()"
    );
}

/// Under `ulimit -q` the queue's memory is refused with the same EMFILE,
/// while descriptors are left: that limit is named, not `ulimit -n`.
#[test]
fn queue_under_ulimit_q_names_emfile_then_the_queues_memory_limit() {
    let output = run(under_limit(
        "-q 100",
        &["queue", "--json", "--pace", "0", "--lang", "en"],
    ));
    let line = one_failure_line(&output);
    let cause = line.find("EMFILE").expect("EMFILE named");
    let hint = line.find("ulimit -q 100").expect("the queues' limit named");
    assert!(cause < hint, "the cause comes first: {line}");
    assert!(!line.contains("ulimit -n"), "{line}");
}
