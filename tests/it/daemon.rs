//! `procdemo daemon`: Python's `daemon=True` children cut off when the main
//! code ends while a non-daemonic child keeps it waiting; then a Unix daemon
//! (fork, setsid, fork again, chdir, umask, /dev/null) proved from `/proc`
//! and stopped. Checked from the JSON events of a real run.
//!
//! The first part is a race by design: loops of one tick (200 ms at
//! `--pace 0`) against joins of one tick. Only what holds with a whole tick
//! of margin is asserted: the 2-loop child ends a tick before the main code
//! does, the 4-loop child would need a tick more; the 3-loop child ends just
//! as the main code does, so either outcome is right for it. The lesson
//! takes about a second even at pace 0, so every test here shares one run.

use std::sync::OnceLock;

use crate::common::{
    LessonRun, as_i32_list, events_of, fact, fact_i64, only, pid, ppid, role, step,
};
use serde_json::{Value, json};

fn daemon_run() -> &'static LessonRun {
    static RUN: OnceLock<LessonRun> = OnceLock::new();
    RUN.get_or_init(|| LessonRun::run("daemon", &[]))
}

/// What only this lesson's checks ask of a run.
trait DaemonRunExt {
    /// The pids of the three daemonic children, in the order started.
    fn daemonic(&self) -> Vec<i32>;

    /// The `loop-count` events of `from`.
    fn loops_of(&self, from: i32) -> Vec<&Value>;

    /// The first child of the Unix daemon part (the session leader).
    fn leader(&self) -> i32;

    fn daemon(&self) -> i32;
}

impl DaemonRunExt for LessonRun {
    fn daemonic(&self) -> Vec<i32> {
        as_i32_list(fact(only(&self.events, "daemonic-start"), "pids"))
    }

    fn loops_of(&self, from: i32) -> Vec<&Value> {
        events_of(&self.events, "loop-count")
            .into_iter()
            .filter(|event| pid(event) == from)
            .collect()
    }

    fn leader(&self) -> i32 {
        pid(only(&self.events, "setsid"))
    }

    fn daemon(&self) -> i32 {
        pid(only(&self.events, "daemon-ready"))
    }
}

#[test]
fn three_daemonic_children_start_with_two_three_and_four_loops() {
    let run = daemon_run();
    let start = only(&run.events, "daemonic-start");
    assert_eq!(pid(start), run.procdemo);
    assert_eq!(fact(start, "loops"), &json!([2, 3, 4]), "{start}");
    assert_eq!(
        fact_i64(start, "tick_ms"),
        200,
        "the floor at pace 0: {start}"
    );
    let pids = run.daemonic();
    assert_eq!(pids.len(), 3, "{start}");
    for (child, loops) in pids.iter().zip([2, 3, 4]) {
        assert_ne!(*child, run.procdemo);
        for event in run.loops_of(*child) {
            assert_eq!(role(event), "daemonic", "{event}");
            assert_eq!(ppid(event), run.procdemo, "{event}");
            assert_eq!(fact_i64(event, "loops"), loops, "{event}");
        }
    }
}

#[test]
fn each_child_counts_its_loops_from_zero() {
    let run = daemon_run();
    let mut children = run.daemonic();
    children.push(fact_i64(only(&run.events, "non-daemonic-waits"), "pid") as i32);
    for child in children {
        let counts: Vec<i64> = run
            .loops_of(child)
            .iter()
            .map(|event| fact_i64(event, "count"))
            .collect();
        let expected: Vec<i64> = (0..counts.len() as i64).collect();
        assert_eq!(counts, expected, "child {child}");
    }
}

#[test]
fn the_kernel_lets_a_daemonic_child_fork() {
    let run = daemon_run();
    let allowed = only(&run.events, "os-allows-children");
    let first = run.daemonic()[0];
    assert_eq!(pid(allowed), first, "{allowed}");
    assert_eq!(role(allowed), "daemonic");
    assert_eq!(fact_i64(allowed, "grandchild_exit_code"), 0, "{allowed}");
    let grandchild = fact_i64(allowed, "grandchild_pid");
    assert!(
        grandchild > 0 && grandchild != i64::from(first),
        "{allowed}"
    );
    // The tree of what ran shows it under the first daemonic child.
    let done = only(&run.events, "done");
    let tree = fact(done, "tree");
    let node = tree["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|child| child["pid"] == first)
        .unwrap_or_else(|| panic!("{first} not in {tree}"));
    let under: Vec<&Value> = node["children"]
        .as_array()
        .expect("grandchild")
        .iter()
        .collect();
    assert_eq!(under.len(), 1, "{node}");
    assert_eq!(under[0]["pid"], grandchild, "{node}");
    assert_eq!(under[0]["exit_code"], 0, "{node}");
}

#[test]
fn procdemo_joins_each_daemonic_child_for_one_tick() {
    let run = daemon_run();
    let joins = events_of(&run.events, "join-one-tick");
    let pids: Vec<i32> = joins
        .iter()
        .map(|event| fact_i64(event, "pid") as i32)
        .collect();
    assert_eq!(pids, run.daemonic());
    for join in joins {
        assert_eq!(pid(join), run.procdemo);
        assert!(fact(join, "is_alive").is_boolean(), "{join}");
        // A join that timed out waited the whole tick (a lower bound only).
        if fact(join, "is_alive") == &Value::Bool(true) {
            assert!(fact_i64(join, "waited_ms") >= 190, "{join}");
        }
    }
}

#[test]
fn when_the_main_code_ends_the_daemonic_children_still_running_are_terminated() {
    let run = daemon_run();
    let ends = events_of(&run.events, "main-ends");
    let pids: Vec<i32> = ends
        .iter()
        .map(|event| fact_i64(event, "pid") as i32)
        .collect();
    assert_eq!(pids, run.daemonic());
    for (end, loops) in ends.iter().zip([2, 3, 4]) {
        assert_eq!(pid(end), run.procdemo);
        assert_eq!(fact_i64(end, "loops"), loops, "{end}");
        let done = fact_i64(end, "iterations_done");
        // What procdemo counted is what the child reported.
        assert_eq!(
            done,
            run.loops_of(fact_i64(end, "pid") as i32).len() as i64,
            "{end}"
        );
        assert!(done <= loops, "{end}");
        match fact(end, "terminated") {
            // Not terminated: it had ended by itself, every loop done.
            Value::Bool(false) => {
                assert_eq!(fact_i64(end, "exitcode"), 0, "{end}");
                assert_eq!(done, loops, "{end}");
            }
            // SIGTERM sent because it still ran; a child that was just
            // ending (the 3-loop one may be) can still end with 0.
            Value::Bool(true) => {
                let code = fact_i64(end, "exitcode");
                assert!(matches!(code, -15 | 0), "{end}");
            }
            other => panic!("terminated is not a boolean ({other}): {end}"),
        }
    }
    // A tick of margin either way: the 2-loop child finished, the 4-loop one
    // was cut off.
    let two = ends[0];
    assert_eq!(fact_i64(two, "iterations_done"), 2, "{two}");
    assert_eq!(fact_i64(two, "exitcode"), 0, "{two}");
    assert_eq!(fact(two, "terminated"), &Value::Bool(false), "{two}");
    let four = ends[2];
    assert!(fact_i64(four, "iterations_done") < 4, "{four}");
    assert_eq!(fact_i64(four, "exitcode"), -15, "{four}");
    assert_eq!(fact(four, "terminated"), &Value::Bool(true), "{four}");
}

#[test]
fn a_non_daemonic_child_keeps_the_parent_waiting_until_it_finishes() {
    let run = daemon_run();
    let waits = only(&run.events, "non-daemonic-waits");
    assert_eq!(pid(waits), run.procdemo);
    let child = fact_i64(waits, "pid") as i32;
    assert!(!run.daemonic().contains(&child), "{waits}");
    assert_eq!(fact_i64(waits, "loops"), 2, "{waits}");
    assert_eq!(fact_i64(waits, "iterations_done"), 2, "{waits}");
    assert_eq!(fact_i64(waits, "exitcode"), 0, "{waits}");
    let loops = run.loops_of(child);
    assert_eq!(loops.len(), 2, "{loops:?}");
    assert!(loops.iter().all(|event| role(event) == "non-daemonic"));
    // Its two loops take two ticks from its start; procdemo, which began
    // waiting just after the fork, waited at least one (a lower bound).
    assert!(fact_i64(waits, "waited_ms") >= 200, "{waits}");
    assert!(run.position("main-ends") < run.position("non-daemonic-waits"));
}

#[test]
fn setsid_makes_the_first_child_lead_a_new_session() {
    let run = daemon_run();
    let setsid = only(&run.events, "setsid");
    let leader = run.leader();
    assert_eq!(role(setsid), "child");
    assert_eq!(ppid(setsid), run.procdemo);
    assert_eq!(fact_i64(setsid, "getpid"), i64::from(leader));
    assert_eq!(fact_i64(setsid, "sid"), i64::from(leader), "{setsid}");
    assert_eq!(fact_i64(setsid, "pgid"), i64::from(leader), "{setsid}");

    let seen = only(&run.events, "session-leader");
    assert_eq!(pid(seen), run.procdemo);
    assert_eq!(fact_i64(seen, "first_child"), i64::from(leader));
    assert_eq!(fact_i64(seen, "sid"), i64::from(leader), "{seen}");
    assert_eq!(fact(seen, "sid_equals_pid"), &Value::Bool(true), "{seen}");
    assert_eq!(fact_i64(seen, "tty_nr"), 0, "no terminal: {seen}");
    assert_ne!(
        fact_i64(seen, "procdemo_sid"),
        i64::from(leader),
        "procdemo stays in its own session: {seen}"
    );

    let second = only(&run.events, "second-fork");
    assert_eq!(pid(second), leader);
    assert_eq!(fact_i64(second, "daemon_pid"), i64::from(run.daemon()));
}

#[test]
fn the_daemon_is_adopted_by_procdemo() {
    let run = daemon_run();
    let ready = only(&run.events, "daemon-ready");
    assert_eq!(role(ready), "daemon");
    assert_ne!(run.daemon(), run.leader());
    assert_eq!(fact_i64(ready, "ppid_before"), i64::from(run.leader()));
    assert_eq!(
        fact_i64(ready, "ppid_after"),
        i64::from(run.procdemo),
        "{ready}"
    );
    assert_eq!(ppid(ready), run.procdemo, "{ready}");
    let before = fact(ready, "umask_before").as_str().unwrap_or_default();
    assert!(
        before.len() == 4 && before.chars().all(|c| ('0'..='7').contains(&c)),
        "{ready}"
    );
}

#[test]
fn proc_proves_every_property_of_the_daemon() {
    let run = daemon_run();
    let proved = only(&run.events, "daemon-proved");
    assert_eq!(pid(proved), run.procdemo);
    assert_eq!(fact_i64(proved, "daemon_pid"), i64::from(run.daemon()));
    assert_eq!(
        fact_i64(proved, "ppid"),
        i64::from(run.procdemo),
        "{proved}"
    );
    assert_eq!(fact(proved, "ppid_is_procdemo"), &Value::Bool(true));
    // In the first child's session, but not its leader: it can never get a
    // controlling terminal back.
    assert_eq!(fact_i64(proved, "sid"), i64::from(run.leader()), "{proved}");
    assert_eq!(
        fact(proved, "leads_session"),
        &Value::Bool(false),
        "{proved}"
    );
    assert_eq!(fact_i64(proved, "tty_nr"), 0, "{proved}");
    assert_eq!(fact(proved, "cwd"), "/", "{proved}");
    assert_eq!(fact(proved, "umask"), "0027", "{proved}");
    for stream in ["stdin", "stdout", "stderr"] {
        assert_eq!(fact(proved, stream), "/dev/null", "{stream}: {proved}");
    }
}

#[test]
fn the_daemon_is_stopped_and_reaped() {
    let run = daemon_run();
    let stopped = only(&run.events, "daemon-stopped");
    assert_eq!(pid(stopped), run.procdemo);
    assert_eq!(fact(stopped, "signal"), "SIGTERM");
    assert_eq!(fact_i64(stopped, "exitcode"), -15, "{stopped}");
    assert_eq!(
        fact(stopped, "proc_entry_exists"),
        &Value::Bool(false),
        "{stopped}"
    );
}

#[test]
fn done_counts_seven_processes_and_shows_the_family() {
    let run = daemon_run();
    let done = run.events.last().expect("events");
    assert_eq!(step(done), "done");
    assert_eq!(fact_i64(done, "processes_started"), 7, "{done}");
    assert_eq!(fact_i64(done, "processes_reaped"), 7, "{done}");
    let tree = fact(done, "tree");
    let children: Vec<&Value> = tree["children"]
        .as_array()
        .expect("children")
        .iter()
        .collect();
    let mut expected = run.daemonic();
    expected.push(fact_i64(only(&run.events, "non-daemonic-waits"), "pid") as i32);
    expected.push(run.leader());
    let in_tree: Vec<i64> = children
        .iter()
        .map(|child| child["pid"].as_i64().expect("pid"))
        .collect();
    assert_eq!(
        in_tree,
        expected
            .iter()
            .map(|pid| i64::from(*pid))
            .collect::<Vec<_>>(),
        "{tree}"
    );
    // The daemon under the session leader that forked it, ended by SIGTERM.
    let leader = children[4];
    assert_eq!(leader["exit_code"], 0, "{tree}");
    let daemon = &leader["children"][0];
    assert_eq!(daemon["pid"], run.daemon(), "{tree}");
    assert_eq!(daemon["signal"], "SIGTERM", "{tree}");
}

#[test]
fn steps_come_in_the_order_the_lesson_tells_them() {
    let run = daemon_run();
    run.assert_steps_in_order(&[
        "daemonic-start",
        "join-one-tick",
        "main-ends",
        "non-daemonic-waits",
        "setsid",
        "second-fork",
        "session-leader",
        "daemon-ready",
        "daemon-proved",
        "daemon-stopped",
        "done",
    ]);
}
