//! `procdemo orphan`: a child ends before its own child (the grandchild),
//! which is then adopted by procdemo, a child subreaper: its `getppid()`
//! changes, the tree drawn from `/proc` changes, and procdemo reaps it at
//! the end. Checked from the JSON events of real runs.

use std::io::Write;
use std::ops::Deref;
use std::thread;
use std::time::Duration;

use crate::common::held_at_question;
use crate::common::{
    LessonRun, assert_no_leftovers, children_of, done_of, events_of, only, pid, ppid, proc_stat,
    report, role, step,
};
use procdemo::lessons::orphan::{
    Adopted, GrandchildBorn, OrphanReaped, ParentExits, ParentReaped, TreeAfter, TreeBefore,
};
use procdemo::model::Done;
use serde_json::Value;

/// One finished run, with the three processes it involves.
struct OrphanRun {
    run: LessonRun,
    child: i32,
    grandchild: i32,
}

fn orphan_run() -> OrphanRun {
    let run = LessonRun::run("orphan", &[]);
    let child = pid(only(&run.events, "parent-exits"));
    let grandchild = pid(only(&run.events, "grandchild-born"));
    OrphanRun {
        run,
        child,
        grandchild,
    }
}

/// The run's events and procdemo's pid, and the checks shared with other lessons.
impl Deref for OrphanRun {
    type Target = LessonRun;

    fn deref(&self) -> &LessonRun {
        &self.run
    }
}

/// The pids of a tree node's children.
fn child_pids(node: &Value) -> Vec<i64> {
    node.get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|child| child["pid"].as_i64().expect("pid"))
        .collect()
}

/// Every pid in a tree.
fn all_pids(node: &Value, into: &mut Vec<i64>) {
    if let Some(pid) = node["pid"].as_i64() {
        into.push(pid);
    }
    for child in node
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        all_pids(child, into);
    }
}

#[test]
fn three_generations_report() {
    let run = orphan_run();
    assert_ne!(run.child, run.procdemo);
    assert_ne!(run.grandchild, run.child);
    assert_ne!(run.grandchild, run.procdemo);
    for event in &run.events {
        let expected = match role(event) {
            "parent" => run.procdemo,
            "child" => run.child,
            "grandchild" => run.grandchild,
            other => panic!("unexpected role {other}: {event}"),
        };
        assert_eq!(pid(event), expected, "{event}");
    }
}

#[test]
fn the_grandchild_is_born_a_child_of_the_child() {
    let run = orphan_run();
    let born = only(&run.events, "grandchild-born");
    let facts: GrandchildBorn = report(born);
    assert_eq!(facts.getpid, run.grandchild);
    assert_eq!(facts.getppid, run.child, "{born}");
    assert_eq!(ppid(born), run.child);
    assert_eq!(step(&run.events[0]), "grandchild-born");
}

#[test]
fn the_tree_before_shows_three_generations() {
    let run = orphan_run();
    let before = only(&run.events, "tree-before");
    assert_eq!(pid(before), run.procdemo);
    let TreeBefore { tree } = report(before);
    assert_eq!(tree["pid"], run.procdemo, "{tree}");
    assert_eq!(child_pids(&tree), [i64::from(run.child)], "{tree}");
    let child = &tree["children"][0];
    assert_eq!(child_pids(child), [i64::from(run.grandchild)], "{tree}");
}

#[test]
fn the_child_exits_and_is_reaped_leaving_the_grandchild_running() {
    let run = orphan_run();
    let exits = only(&run.events, "parent-exits");
    assert_eq!(role(exits), "child");
    assert_eq!(ppid(exits), run.procdemo);
    assert_eq!(
        report::<ParentExits>(exits).child_left_running,
        run.grandchild
    );

    let reaped = only(&run.events, "parent-reaped");
    assert_eq!(pid(reaped), run.procdemo);
    let facts: ParentReaped = report(reaped);
    assert_eq!(facts.child_pid, run.child);
    assert_eq!(facts.exit_code, Some(0), "{reaped}");
    assert!(facts.orphan_still_running, "{reaped}");
}

#[test]
fn the_orphan_is_adopted_by_procdemo() {
    let run = orphan_run();
    let adopted = only(&run.events, "adopted");
    assert_eq!(role(adopted), "grandchild");
    let facts: Adopted = report(adopted);
    assert_eq!(facts.ppid_before, run.child);
    assert_eq!(facts.ppid_after, run.procdemo, "{adopted}");
    // The event's own ppid, read when it was made, says the same.
    assert_eq!(ppid(adopted), run.procdemo, "{adopted}");
}

#[test]
fn the_tree_after_has_the_orphan_directly_under_procdemo() {
    let run = orphan_run();
    let after = only(&run.events, "tree-after");
    assert_eq!(pid(after), run.procdemo);
    let facts: TreeAfter = report(after);
    assert_eq!(facts.orphan_ppid_in_proc, run.procdemo, "{after}");
    assert!(facts.procdemo_is_subreaper, "{after}");
    assert!(
        facts
            .init_would_adopt
            .is_some_and(|init| init.ends_with("(1)")),
        "{after}"
    );
    let tree = facts.tree;
    assert_eq!(tree["pid"], run.procdemo, "{tree}");
    assert_eq!(child_pids(&tree), [i64::from(run.grandchild)], "{tree}");
    let mut everyone = Vec::new();
    all_pids(&tree, &mut everyone);
    assert!(
        !everyone.contains(&i64::from(run.child)),
        "the child is gone: {tree}"
    );
}

#[test]
fn procdemo_reaps_the_orphan() {
    let run = orphan_run();
    let reaped = only(&run.events, "orphan-reaped");
    assert_eq!(pid(reaped), run.procdemo);
    let facts: OrphanReaped = report(reaped);
    assert_eq!(facts.orphan_pid, run.grandchild);
    assert_eq!(facts.reaped_by, run.procdemo, "{reaped}");
    assert_eq!(facts.exit_code, Some(0), "{reaped}");
    assert!(!facts.proc_entry_exists, "{reaped}");
}

#[test]
fn done_shows_who_forked_whom_and_counts_two_processes() {
    let run = orphan_run();
    let Done { tree, .. } = done_of(&run.events, run.procdemo, 2);
    // The tree of what ran keeps the family: the grandchild under the child.
    assert_eq!(tree["pid"], run.procdemo);
    assert_eq!(child_pids(&tree), [i64::from(run.child)], "{tree}");
    let child = &tree["children"][0];
    assert_eq!(child["exit_code"], 0, "{tree}");
    assert_eq!(child_pids(child), [i64::from(run.grandchild)], "{tree}");
    assert_eq!(child["children"][0]["exit_code"], 0, "{tree}");
}

#[test]
fn steps_come_in_the_order_the_lesson_tells_them() {
    let run = orphan_run();
    // Gates and waits order the telling: the orphan says it was adopted
    // only once procdemo has shown the reaping of its parent.
    run.assert_steps_in_order(&[
        "grandchild-born",
        "tree-before",
        "parent-exits",
        "parent-reaped",
        "adopted",
        "tree-after",
        "orphan-reaped",
        "done",
    ]);
    assert_eq!(events_of(&run.events, "adopted").len(), 1);
}

/// With `--quiz` and answers from a pipe, the question of `orphan-reaped`
/// is asked before procdemo lets the orphan end. While it waits for the
/// answer, an observer outside procdemo finds what `tree-after`, the step
/// before, says: the orphan alive, directly under procdemo. Once answered,
/// it is reaped and gone.
#[test]
fn an_outside_observer_sees_the_adopted_orphan_until_the_reaping_step() {
    let (mut live, mut answers) = held_at_question(&["orphan"], "orphan-reaped");
    let procdemo_pid = live.pid();
    let orphan = pid(only(&live.events, "grandchild-born"));
    let after: TreeAfter = report(only(&live.events, "tree-after"));
    assert_eq!(after.orphan_ppid_in_proc, procdemo_pid);
    // Now, and a moment later: held, not merely not yet gone.
    for _ in 0..2 {
        assert_eq!(children_of(procdemo_pid), [orphan]);
        let state = proc_stat(orphan).map(|(_, state)| state);
        assert!(
            matches!(state, Some('S' | 'R')),
            "orphan {orphan}: {state:?}"
        );
        thread::sleep(Duration::from_millis(30));
    }
    answers.write_all(b"2\n").expect("answer");
    let reaped: OrphanReaped = report(&live.read_until("orphan-reaped"));
    assert_eq!(reaped.orphan_pid, orphan);
    assert!(!reaped.proc_entry_exists);
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    assert_no_leftovers(&[orphan]);
}
