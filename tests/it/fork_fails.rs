//! When the OS says no: `fork()` failing with EAGAIN under `ulimit -u`.
//! procdemo must say which call failed and what to do, reap the children it
//! already started, end with an `ended` event whose reason is "error", and
//! exit non-zero.
//!
//! RLIMIT_NPROC counts the processes of a user within a user namespace, and
//! root ignores it. So as root the test runs procdemo as a fresh, otherwise
//! unused uid with a small limit; as any other user it runs procdemo in a
//! user namespace of its own, where procdemo's processes are the only ones
//! of that user. Either way the test checks the failure: where it can do
//! neither (no util-linux, or user namespaces refused to a non-root user)
//! it fails and says why.

use std::process::{Command, Stdio};

use crate::common::{
    Output, assert_no_leftovers, assert_well_formed, bin, events_of, pids_seen, procdemo, report,
    run, step,
};
use procdemo::model::Ended;

/// A uid no other process uses (each test passes its own `offset`, as tests
/// run in parallel), so that procdemo's processes are the only ones counted
/// against the limit.
fn unused_uid(offset: u32) -> u32 {
    3_000_000_000 + (std::process::id() % 100_000) * 10 + offset
}

/// True if util-linux's `tool` can be run here.
fn can_run(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Runs `args` with at most `limit` processes counted against procdemo's
/// user, through util-linux (each tool execs the next, so procdemo keeps
/// the spawned pid): as root, `prlimit` then `setpriv` to
/// `unused_uid(offset)`; otherwise `unshare --user` then `prlimit`.
fn run_limited(args: &[&str], limit: u32, offset: u32) -> Output {
    let as_root = running_as_root();
    let tools: &[&str] = if as_root {
        &["prlimit", "setpriv"]
    } else {
        &["unshare", "prlimit"]
    };
    for tool in tools {
        assert!(
            can_run(tool),
            "this test needs util-linux's `{tool}` to run procdemo under a process limit: install util-linux"
        );
    }
    let nproc = format!("--nproc={limit}");
    let mut command = if as_root {
        let uid = unused_uid(offset).to_string();
        let mut command = Command::new("prlimit");
        command.arg(nproc).args([
            "setpriv",
            "--reuid",
            &uid,
            "--regid",
            &uid,
            "--clear-groups",
        ]);
        command
    } else {
        let mut command = Command::new("unshare");
        command
            .args(["--user", "--map-current-user", "prlimit"])
            .arg(nproc);
        command
    };
    command.arg(bin()).args(args).stdin(Stdio::null());
    // The environment `procdemo` gives the binary (no locale, the tests'
    // state directory), through the tools to procdemo.
    for (name, value) in procdemo(&[]).get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = run(command);
    assert!(
        !output.stdout.is_empty(),
        "procdemo did not start under a process limit (as {}): {}",
        if as_root {
            "root, through prlimit and setpriv"
        } else {
            "a user other than root, in a user namespace of its own: are unprivileged user namespaces allowed here?"
        },
        output.describe()
    );
    output
}

/// /proc/self belongs to the process's effective uid.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn check_failed_run(output: &Output, lesson: &str, started: u64) {
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
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, "error", "{shown}");
    assert_eq!(facts.processes_started, started, "{shown}");
    assert_eq!(facts.processes_reaped, started, "{shown}");
    let error = facts.error.unwrap_or_default();
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
    let output = run_limited(&["fork", "--json", "--pace", "0", "--lang", "en"], 1, 0);
    check_failed_run(&output, "fork", 0);
}

#[test]
fn fork_refused_half_way_through_the_pids_lesson() {
    // Three processes allowed: procdemo and two children; the third fork() fails.
    let output = run_limited(
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
    );
    check_failed_run(&output, "pids", 2);
}
