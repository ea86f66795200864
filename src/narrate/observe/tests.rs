use super::*;
use crate::narrate::layout::columns;
use serde_json::json;

const PROCDEMO: i32 = 100;

fn event(t_us: u64, pid: i32, ppid: i32, step: &str, facts: Value) -> Event {
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
               "sender_pid": sender, "delivered": true}),
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
fn run() -> Vec<Event> {
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
            json!({"program": program, "argv": argv, "previous": previous, "pid_kept": true,
                   "python": python}),
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
            "orphans": 2, "signals": 3, "never_reaped": [4247, 4248, 4245], "remaining": [4249],
            "channels": [{"kind": "pipe", "inode": 9001, "holders": [
                {"pid": 4243, "fd": 1, "access": "write"}, {"pid": 4244, "fd": 0, "access": "read"}]}],
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
            json!({"signal": "SIGTERM", "left_running": [4249]}),
        ),
    ]
}

fn narrated(lang: Lang, width: usize) -> Vec<Vec<String>> {
    colored::control::set_override(false);
    let mut narration = Narration::new(lang, width);
    run().iter().map(|event| narration.lines(event)).collect()
}

#[test]
fn every_line_fits_the_width_in_both_languages() {
    for lang in [Lang::En, Lang::Zh] {
        for width in [50, 60, 100] {
            for lines in narrated(lang, width) {
                for line in lines {
                    assert!(columns(&line) <= width, "{lang:?} {width}: {line}");
                }
            }
        }
    }
}

/// The narration of the run as one text per event, at 100 columns.
fn said(lang: Lang) -> Vec<String> {
    narrated(lang, 100)
        .into_iter()
        .map(|lines| {
            lines
                .iter()
                .flat_map(|line| line.split_whitespace())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The text said for the event at `t_us`.
fn at(said: &[String], t_us: u64) -> &str {
    let position = run()
        .iter()
        .position(|event| event.t_us == t_us)
        .expect("an event at that time");
    &said[position]
}

#[test]
fn names_processes_as_pstree_does_and_follows_their_execs() {
    let en = said(Lang::En);
    // `sh` as started (comm), not the `dash` it links to.
    assert!(at(&en, 0).contains("first process sh(4242)"));
    assert!(at(&en, 800).starts_with(
        "+0.8 ms sh(4242) forked → sh(4243): fork() returned 4243 in the parent, 0 in the child"
    ));
    assert!(at(&en, 5100).starts_with(
        "+5.1 ms sh(4244) exec → /usr/bin/sort (pid kept 4244): argv sort -r 'a file'"
    ));
    assert!(at(&en, 9500).starts_with("+9.5 ms sort(4244) killed by SIGTERM"));
    assert!(
        at(&en, 9400)
            .starts_with("+9.4 ms sh(4242) reaped sh(4243) with wait4 after 0.4 ms as a zombie")
    );
    assert!(at(&en, 0).contains(r"'echo hi | cat\nsleep 1'"));
    let zh = said(Lang::Zh);
    assert!(at(&zh, 9400).contains("sh(4242) 用 wait4 回收了 sh(4243)，它当了 0.4 ms 的僵尸进程"));
    assert!(at(&zh, 900).contains("sh(4242) 的线程 4250 用 vfork() 创建了子进程 sh(4244)"));
}

#[test]
fn each_variant_says_what_its_facts_say() {
    for (lang, said) in [(Lang::En, said(Lang::En)), (Lang::Zh, said(Lang::Zh))] {
        // A SIGCHLD is not shown; another signal is, with its sender.
        assert_eq!(at(&said, 7000), "");
        assert!(at(&said, 7100).contains("sh(4242)") && at(&said, 7100).contains("SIGTERM"));
        // Reaped: the call when procdemo saw it, none when it saw only the pid go.
        assert!(at(&said, 9400).contains("wait4"));
        assert!(!at(&said, 9600).contains("wait"));
        assert!(at(&said, 9800).contains("SIGCHLD"));
        assert!(
            at(&said, 10_100).contains("procdemo(100)") && at(&said, 10_100).contains("waitid")
        );
        // An exit code, or the signal and the core dump.
        assert!(at(&said, 9000).contains(" 0"));
        assert!(at(&said, 9700).contains("SIGSEGV") && at(&said, 9700).contains("core"));
        assert!(at(&said, 9950).contains(if lang == Lang::En {
            "already a zombie"
        } else {
            "已经是僵尸进程"
        }));
        assert!(at(&said, 12_500_000).contains("<defunct>"));
        assert!(at(&said, 12_500_100).contains("SIGKILL"));
        assert!(at(&said, 5300).ends_with("EWEIRD"));
        assert!(at(&said, 12_700_000).contains("143"));
    }
    let en = said(Lang::En);
    assert!(at(&en, 5200).contains("No such file or directory (ENOENT)"));
    assert!(at(&en, 5400).contains("— a forked copy of Python"));
    assert!(at(&en, 5500).contains("— started by multiprocessing's spawn start method"));
    assert!(at(&en, 5800).contains("— a worker forked by multiprocessing's forkserver"));
    assert!(at(&en, 5600).contains("— multiprocessing's resource tracker"));
    assert!(at(&en, 5700).contains("— multiprocessing's forkserver"));
    assert!(at(&en, 9800).starts_with("+9.8 ms the kernel reaped python3(4246)"));
    assert!(at(&en, 9900).contains("adopted by procdemo(100), the subreaper"));
    assert!(
        at(&en, 12_000_100).starts_with(
            "+12.0 s procdemo(100) reaped sh(4242) with wait4 after 0.4 ms as a zombie"
        )
    );
    assert!(at(&en, 7100).contains("got SIGTERM, sent by sh(4242) with kill()"));
    assert!(at(&en, 12_500_000).contains("procdemo leaves them be"));
    assert!(at(&en, 12_500_100).contains("procdemo sends it SIGKILL"));
    assert!(at(&en, 7150).contains("got SIGUSR1, sent by itself with tgkill()"));
    assert!(at(&en, 10_200).contains("python3(4249) (its adopter) reaped python3(4248)"));
    let end = at(&en, 12_600_000);
    for part in [
        "sh(4242) exited 0, reaped",
        "█ run ▒ zombie",
        "pipe 9001: sh(4243) fd 1 (write end); sort(4244) fd 0 (read end)",
        "8 processes, 1 extra thread, 5 programs run, 2 failed execs",
        "5 zombies, the longest for 0.4 ms; 2 orphans adopted.",
        "Not reaped by their own parent: python3(4247), python3(4248), sh(4245).",
        "Left running: python3(4249).",
        "The first process, sh(4242): exited 0, reaped; procdemo exits 0.",
    ] {
        assert!(end.contains(part), "{part} not in {end}");
    }
    assert!(at(&said(Lang::Zh), 12_600_000).contains("█ 运行 ▒ 僵尸"));
}

#[test]
fn teaches_each_kind_of_event_once() {
    for (lang, more) in [
        (Lang::En, "More: procdemo "),
        (Lang::Zh, "想了解更多，请运行 procdemo "),
    ] {
        let said = said(lang);
        let taught: usize = said.iter().map(|said| said.matches(more).count()).sum();
        // Created, exec, pipe, socket, exec-failed, a PATH search,
        // thread, signal, zombie, reaped, orphan: once each.
        assert_eq!(taught, 11, "{lang:?}: {said:#?}");
        assert!(at(&said, 5250).contains("PATH"));
        assert!(!at(&said, 5300).contains("PATH"));
        assert!(at(&said, 800).contains(&format!("{more}fork")));
        assert!(at(&said, 850).contains(&format!("{more}pipe")));
        assert!(at(&said, 850).contains(&format!("{more}ipc")));
        assert!(!at(&said, 900).contains(more));
        assert!(!at(&said, 9500).contains(more));
    }
}
