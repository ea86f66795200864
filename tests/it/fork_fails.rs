//! When the OS says no: `fork()` failing with EAGAIN under `ulimit -u`.
//! procdemo must say which call failed and what to do, reap the children it
//! already started, end with an `ended` event whose reason is "error", and
//! exit non-zero.
//!
//! RLIMIT_NPROC counts the processes of a user, and root ignores it; so the
//! test runs procdemo as a fresh, otherwise unused uid with a small limit.
//! That needs root: elsewhere the test says so and passes without checking.

use std::process::Command;

use crate::common::{
    self, assert_no_leftovers, assert_well_formed, events_of, fact, fact_i64, pids_seen, procdemo,
    run, step,
};

/// A uid no other process uses (each test passes its own `offset`, as tests
/// run in parallel), so that procdemo's processes are the only ones counted
/// against the limit.
fn unused_uid(offset: u32) -> u32 {
    3_000_000_000 + (std::process::id() % 100_000) * 10 + offset
}

/// Runs `args` as `unused_uid(offset)` with at most `limit` processes, through
/// util-linux's `prlimit` and `setpriv` (each execs the next, so procdemo keeps
/// the spawned pid); None when this test process cannot change uid or the
/// tools are missing.
fn run_limited(args: &[&str], limit: u32, offset: u32) -> Option<common::Output> {
    let tools_present = ["prlimit", "setpriv"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if !running_as_root() || !tools_present {
        eprintln!(
            "skipped: needs root and util-linux's prlimit and setpriv to run procdemo as another user with a process limit"
        );
        return None;
    }
    let uid = unused_uid(offset).to_string();
    let mut command = procdemo(&[]);
    let mut wrapped = Command::new("prlimit");
    wrapped
        .arg(format!("--nproc={limit}"))
        .args([
            "setpriv",
            "--reuid",
            &uid,
            "--regid",
            &uid,
            "--clear-groups",
        ])
        .arg(common::bin())
        .args(args)
        .stdin(std::process::Stdio::null());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    command = wrapped;
    Some(run(command))
}

/// /proc/self belongs to the process's effective uid.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn check_failed_run(output: &common::Output, lesson: &str, started: i64) {
    let shown = output.describe();
    assert!(
        output.status.code().is_some_and(|code| code != 0),
        "procdemo must exit with an error code: {shown}"
    );
    let events = output.events();
    assert_well_formed(&events, lesson, output.pid);
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{shown}");
    assert!(events_of(&events, "done").is_empty(), "{shown}");
    assert_eq!(fact(ended, "reason"), "error", "{shown}");
    assert_eq!(fact_i64(ended, "processes_started"), started, "{shown}");
    assert_eq!(fact_i64(ended, "processes_reaped"), started, "{shown}");
    let error = fact(ended, "error").as_str().unwrap_or_default();
    assert!(
        error.contains("fork()") && error.contains("EAGAIN"),
        "the error names the call: {shown}"
    );
    // stderr says which call failed and what the user can do.
    assert!(output.stderr.contains("fork()"), "{shown}");
    assert!(output.stderr.contains("ulimit -u"), "{shown}");
    assert_no_leftovers(&pids_seen(&events));
}

#[test]
fn fork_refused_in_the_fork_lesson() {
    // One process allowed: procdemo itself; its only fork() fails.
    let Some(output) = run_limited(&["fork", "--json", "--pace", "0", "--lang", "en"], 1, 0) else {
        return;
    };
    check_failed_run(&output, "fork", 0);
}

#[test]
fn fork_refused_half_way_through_the_pids_lesson() {
    // Three processes allowed: procdemo and two children; the third fork() fails.
    let Some(output) = run_limited(
        &[
            "pids",
            "--json",
            "--pace",
            "0",
            "--lang",
            "en",
            "--children",
            "4",
        ],
        3,
        1,
    ) else {
        return;
    };
    check_failed_run(&output, "pids", 2);
}
