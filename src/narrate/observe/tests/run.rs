//! A synthetic run of `procdemo observe`: every step, every variant of its
//! facts, each event as its report reads.

use serde_json::{Value, json};

use crate::model::Event;

const PROCDEMO: i32 = 100;

pub(super) fn event(t_us: u64, pid: i32, ppid: i32, step: &str, facts: Value) -> Event {
    let role = if step.starts_with("observe-") || step == "remaining" {
        "procdemo"
    } else {
        "observed"
    };
    let Value::Object(facts) = facts else {
        panic!("facts are a map");
    };
    Event {
        t_us,
        lesson: "observe".to_string(),
        pid,
        ppid,
        role: role.to_string(),
        step: step.to_string(),
        facts,
    }
}

fn exited(t_us: u64, pid: i32, ppid: i32, code: Option<i64>, signal: Option<&str>) -> Event {
    event(
        t_us,
        pid,
        ppid,
        "exited",
        json!({"exit_code": code, "signal": signal, "core_dumped": signal == Some("SIGSEGV"),
               "lived_us": 9000, "threads_created": 0}),
    )
}

fn signal(
    t_us: u64,
    pid: i32,
    ppid: i32,
    tid: i32,
    (signal, number): (&str, i32),
    origin: &str,
    sender: Option<i32>,
) -> Event {
    event(
        t_us,
        pid,
        ppid,
        "signal",
        json!({"tid": tid, "signal": signal, "number": number, "origin": origin,
               "sender_pid": sender, "ignored": signal == "SIGUSR1"}),
    )
}

fn reaped(t_us: u64, pid: i32, ppid: i32, by: i32, reaper: &str, call: Option<&str>) -> Event {
    event(
        t_us,
        pid,
        ppid,
        "reaped",
        json!({"reaper_pid": by, "reaper": reaper, "call": call, "zombie_us": 400}),
    )
}

/// A run with every step of docs/events.md and every variant of its facts.
pub(super) fn run() -> Vec<Event> {
    let created = |t_us, pid, parent, call: &str, by_tid, name: &str, python: Value| {
        event(
            t_us,
            pid,
            parent,
            "process-created",
            json!({"parent_pid": parent, "by_tid": by_tid, "call": call, "parent_saw": pid,
                   "child_saw": 0, "name": name, "python": python}),
        )
    };
    let exec = |t_us, pid, ppid, program: &str, argv: Value, previous: &str, python: Value| {
        event(
            t_us,
            pid,
            ppid,
            "exec",
            json!({"program": program, "name": comm(&argv), "by_tid": pid, "argv": argv, "previous": previous,
                   "pid_kept": true, "python": python}),
        )
    };
    let pipe =
        |fd, inode, access| json!({"fd": fd, "kind": "pipe", "inode": inode, "access": access});
    vec![
        event(
            0,
            PROCDEMO,
            1,
            "observe-start",
            json!({"command": ["sh", "-c", "echo hi | cat\nsleep 1"], "program": "/usr/bin/dash",
                   "main_pid": 4242, "subreaper": true}),
        ),
        exec(
            300,
            4242,
            PROCDEMO,
            "/usr/bin/dash",
            json!(["sh", "-c", "echo hi | cat\nsleep 1"]),
            "procdemo",
            Value::Null,
        ),
        created(800, 4243, 4242, "fork", 4242, "sh", Value::Null),
        event(
            850,
            4243,
            4242,
            "channels",
            json!({"at": "fork", "ends": [
            pipe(3, 9001, "read"), pipe(4, 9001, "write"),
            {"fd": 5, "kind": "socket", "inode": 9002, "access": "read-write"},
            pipe(6, 9003, "read"), pipe(7, 9003, "write")]}),
        ),
        created(900, 4244, 4242, "vfork", 4250, "sh", Value::Null),
        created(950, 4245, 4242, "clone", 4242, "sh", Value::Null),
        exec(
            5100,
            4244,
            4242,
            "/usr/bin/sort",
            json!(["sort", "-r", "a file"]),
            "sh",
            Value::Null,
        ),
        event(
            5200,
            4245,
            4242,
            "exec-failed",
            json!({"path": "/usr/local/bin/nope", "errno": "ENOENT", "call": "execve"}),
        ),
        event(
            5250,
            4245,
            4242,
            "exec-failed",
            json!({"path": "/usr/bin/nope", "errno": "ENOENT", "call": "execve"}),
        ),
        event(
            5300,
            4245,
            4242,
            "exec-failed",
            json!({"path": "/tmp/x", "errno": "EWEIRD", "call": "execveat"}),
        ),
        created(
            5400,
            4246,
            4242,
            "fork",
            4242,
            "python3",
            json!("fork-child"),
        ),
        exec(
            5500,
            4247,
            4246,
            "/usr/bin/python3.12",
            json!([
                "/usr/bin/python3",
                "-c",
                "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)",
                "--multiprocessing-fork"
            ]),
            "python3",
            json!("spawn-child"),
        ),
        exec(
            5600,
            4248,
            4246,
            "/usr/bin/python3.12",
            json!([
                "/usr/bin/python3",
                "-c",
                "from multiprocessing.resource_tracker import main;main(4)"
            ]),
            "python3",
            json!("resource-tracker"),
        ),
        exec(
            5700,
            4249,
            4246,
            "/usr/bin/python3.12",
            json!([
                "/usr/bin/python3",
                "-c",
                "from multiprocessing.forkserver import main; main(5, 6, ['__main__'], **{'sys_path': []})"
            ]),
            "python3",
            json!("forkserver"),
        ),
        created(
            5800,
            4252,
            4249,
            "fork",
            4249,
            "python3",
            json!("forkserver-child"),
        ),
        // A script run by its #! line: `ps` names it by the script.
        event(
            5900,
            4253,
            4242,
            "exec",
            json!({"program": "/usr/bin/python3.12", "name": "pool.py", "by_tid": 4255,
                   "argv": ["/usr/bin/python3", "./pool.py"], "previous": "sh", "pid_kept": true,
                   "python": null}),
        ),
        exited(5950, 4253, 4242, Some(0), None),
        event(
            5960,
            4254,
            4242,
            "process-created",
            json!({"parent_pid": 4242, "by_tid": 4242, "call": "fork", "parent_saw": 4254,
                   "child_saw": null, "name": "sh", "python": null}),
        ),
        event(
            6000,
            4246,
            4242,
            "thread-created",
            json!({"tid": 4251, "by_tid": 4246, "threads": 2}),
        ),
        event(
            6100,
            4246,
            4242,
            "thread-ended",
            json!({"tid": 4251, "threads": 1}),
        ),
        signal(
            7000,
            4242,
            PROCDEMO,
            4242,
            ("SIGCHLD", 17),
            "child",
            Some(4243),
        ),
        signal(7100, 4244, 4242, 4244, ("SIGTERM", 15), "kill", Some(4242)),
        signal(
            7150,
            4244,
            4242,
            4244,
            ("SIGUSR1", 10),
            "tgkill",
            Some(4244),
        ),
        signal(7200, 4246, 4242, 4251, ("SIGSEGV", 11), "kernel", None),
        // Ctrl-C, then Python ending its KeyboardInterrupt by SIGINT.
        signal(7300, 4246, 4242, 4246, ("SIGINT", 2), "kernel", None),
        signal(7310, 4246, 4242, 4246, ("SIGINT", 2), "kill", Some(4246)),
        signal(7320, 4246, 4242, 4246, ("SIGPIPE", 13), "pipe", Some(4246)),
        event(
            7330,
            4246,
            4242,
            "channels",
            json!({"at": "forked", "ends": [pipe(3, 9005, "read")]}),
        ),
        event(
            7340,
            4246,
            4242,
            "channels",
            json!({"at": "start", "ends": [pipe(3, 9006, "read")]}),
        ),
        exited(9000, 4243, 4242, Some(0), None),
        reaped(9400, 4243, 4242, 4242, "parent", Some("wait4")),
        exited(9500, 4244, 4242, None, Some("SIGTERM")),
        reaped(9600, 4244, 4242, 4242, "parent", None),
        exited(9700, 4246, 4242, None, Some("SIGSEGV")),
        reaped(9800, 4246, 4242, 4242, "kernel", None),
        event(
            9900,
            4247,
            PROCDEMO,
            "adopted",
            json!({"old_parent_pid": 4246, "new_parent_pid": PROCDEMO,
            "by_procdemo": true, "zombie": false}),
        ),
        event(
            9950,
            4248,
            4249,
            "adopted",
            json!({"old_parent_pid": 4246, "new_parent_pid": 4249,
            "by_procdemo": false, "zombie": true}),
        ),
        exited(10_000, 4247, PROCDEMO, Some(1), None),
        reaped(10_100, 4247, PROCDEMO, PROCDEMO, "procdemo", Some("waitid")),
        reaped(10_200, 4248, 4249, 4249, "adopter", Some("wait4")),
        exited(12_000_000, 4242, PROCDEMO, Some(0), None),
        reaped(
            12_000_100,
            4242,
            PROCDEMO,
            PROCDEMO,
            "procdemo",
            Some("wait4"),
        ),
        event(
            12_500_000,
            PROCDEMO,
            1,
            "remaining",
            json!({"processes": [
            {"pid": 4249, "name": "python3.12", "state": "S"},
            {"pid": 4245, "name": "sh", "state": "Z"}], "killed": false}),
        ),
        event(
            12_500_100,
            PROCDEMO,
            1,
            "remaining",
            json!({"processes": [
            {"pid": 4249, "name": "python3.12", "state": "S"}], "killed": true}),
        ),
        event(
            12_600_000,
            PROCDEMO,
            1,
            "observe-end",
            json!({
            "exit_code": 0, "signal": null, "status": 0, "processes": 8, "threads": 1,
            "programs_run": 5, "exec_failures": 2, "zombies": 5, "zombie_us_max": 400,
            "orphans": 2, "signals": 3, "signals_ignored": 1, "kernel_reaped": 1, "never_reaped": [4247, 4248, 4245], "remaining": [4249],
            "channels": [{"kind": "pipe", "inode": 9001, "holders": [
                {"pid": 4243, "fd": 1, "access": "write", "at": "fork"},
                    {"pid": 4244, "fd": 0, "access": "read", "at": "exec"}]}],
            "tree": {"pid": 4242, "name": "sh", "exit_code": 0, "children": [
                {"pid": 4243, "name": "sh", "exit_code": 0},
                {"pid": 4244, "name": "sort", "signal": "SIGTERM"},
                {"pid": 4245, "name": "sh", "state": "Z"}]},
            "timeline": {"lanes": [
                {"label": "sh 4242", "pid": 4242, "spans": [{"state": "run", "from_us": 0, "to_us": 12_000_000}]},
                {"label": "sh 4243", "pid": 4243, "spans": [{"state": "run", "from_us": 800, "to_us": 9000},
                    {"state": "zombie", "from_us": 9000, "to_us": 9400}]}]}}),
        ),
        event(
            12_700_000,
            PROCDEMO,
            1,
            "observe-stopped",
            json!({"signal": "SIGTERM", "status": 143, "left_running": [4249]}),
        ),
    ]
}

/// What `ps` would name a process that exec'd `argv`, when it is not a script.
fn comm(argv: &Value) -> String {
    let first = argv[0].as_str().expect("argv[0] is a string");
    first.rsplit('/').next().unwrap_or(first).to_string()
}
