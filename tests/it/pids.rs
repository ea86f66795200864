//! `procdemo pids`: each child's getpid()/getppid(), the checks procdemo
//! makes on them, the ancestry read from /proc, and the reaping.

use std::collections::BTreeSet;

use crate::common::{
    done_of, events_of, only, pid, ppid, report, reports, run_lesson, sorted, step,
};
use procdemo::lessons::pids::{Ancestry, ChildIds, IdsChecked, ParentIds, Reaped};
use procdemo::model::Done;
use serde_json::Value;

struct PidsRun {
    procdemo: i32,
    events: Vec<Value>,
    /// The children's pids, in the order they reported.
    children: Vec<i32>,
}

fn pids_run(children: u32) -> PidsRun {
    let count = children.to_string();
    let (output, events) = run_lesson("pids", "en", &["--children", &count]);
    let children = events_of(&events, "child-ids")
        .into_iter()
        .map(pid)
        .collect();
    PidsRun {
        procdemo: output.pid,
        events,
        children,
    }
}

#[test]
fn procdemo_reports_its_own_ids() {
    let run = pids_run(4);
    let ids = only(&run.events, "parent-ids");
    assert_eq!(step(&run.events[0]), "parent-ids");
    assert_eq!(pid(ids), run.procdemo);
    let facts: ParentIds = report(ids);
    assert_eq!(facts.getpid, run.procdemo);
    // This test process started procdemo.
    assert_eq!(facts.getppid, std::process::id() as i32);
    assert_eq!(ppid(ids), std::process::id() as i32);
    assert!(!facts.parent_name.is_empty(), "{ids}");
}

#[test]
fn each_child_reports_its_own_pid_and_procdemo_as_parent() {
    let run = pids_run(4);
    let reports = events_of(&run.events, "child-ids");
    assert_eq!(reports.len(), 4, "{reports:?}");
    let distinct: BTreeSet<i32> = run.children.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        4,
        "children share a pid: {:?}",
        run.children
    );
    let mut names = Vec::new();
    for event in &reports {
        assert_eq!(event["role"], "child", "{event}");
        assert_ne!(pid(event), run.procdemo);
        assert_eq!(ppid(event), run.procdemo, "{event}");
        let ids: ChildIds = report(event);
        assert_eq!(ids.getpid, pid(event), "{event}");
        assert_eq!(ids.getppid, run.procdemo, "{event}");
        names.push(ids.name);
    }
    names.sort();
    assert_eq!(names, ["Process-1", "Process-2", "Process-3", "Process-4"]);
}

#[test]
fn procdemo_checks_what_the_children_reported() {
    let run = pids_run(4);
    let event = only(&run.events, "ids-checked");
    assert_eq!(pid(event), run.procdemo);
    let checked: IdsChecked = report(event);
    assert!(checked.all_ppids_match, "{event}");
    assert!(checked.all_pids_distinct, "{event}");
    assert!(checked.fork_matches_getpid, "{event}");
    assert_eq!(sorted(&checked.child_pids), sorted(&run.children));
}

/// Walks the ancestry tree from its root down to procdemo's node.
fn path_to(root: &Value, target: i32) -> Vec<&Value> {
    let mut path = vec![root];
    let mut node = root;
    while node["pid"] != target {
        let children = node["children"]
            .as_array()
            .unwrap_or_else(|| panic!("no children on the way: {node}"));
        assert_eq!(
            children.len(),
            1,
            "an ancestor shows exactly one child, the next on the way: {node}"
        );
        node = &children[0];
        path.push(node);
    }
    path
}

#[test]
fn the_ancestry_tree_leads_from_the_top_to_procdemo_and_its_children() {
    let run = pids_run(4);
    let ancestry = only(&run.events, "ancestry");
    assert_eq!(pid(ancestry), run.procdemo);
    let Ancestry { ancestors, tree } = report(ancestry);
    let path = path_to(&tree, run.procdemo);

    // The top: pid 1, or the first process of this pid namespace (ppid 0).
    let root = tree["pid"].as_i64().expect("root pid") as i32;
    if root != 1 {
        let stat =
            std::fs::read_to_string(format!("/proc/{root}/stat")).expect("the root still runs");
        let after_comm = &stat[stat.rfind(')').expect("stat") + 1..];
        let root_ppid: i32 = after_comm
            .split_whitespace()
            .nth(1)
            .expect("ppid")
            .parse()
            .expect("ppid number");
        assert_eq!(
            root_ppid, 0,
            "the chain must end at pid 1 or at a process whose ppid is 0: {tree}"
        );
    }

    // procdemo's parent in the tree is this test process.
    assert!(path.len() >= 2, "{tree}");
    assert_eq!(path[path.len() - 2]["pid"], std::process::id());

    // The ancestors fact lists the same chain, nearest first, as comm(pid).
    let from_tree: Vec<String> = path[..path.len() - 1]
        .iter()
        .rev()
        .map(|node| {
            format!(
                "{}({})",
                node["name"].as_str().unwrap_or_default(),
                node["pid"]
            )
        })
        .collect();
    assert_eq!(ancestors, from_tree);

    // Under procdemo: exactly its four living children.
    let procdemo = path.last().expect("procdemo node");
    let children = procdemo["children"]
        .as_array()
        .expect("procdemo's children");
    let in_tree: Vec<i32> = children
        .iter()
        .map(|child| child["pid"].as_i64().expect("pid") as i32)
        .collect();
    assert_eq!(sorted(&in_tree), sorted(&run.children), "{procdemo}");
    let mut notes: Vec<&str> = children
        .iter()
        .map(|child| child["note"].as_str().unwrap_or_default())
        .collect();
    notes.sort_unstable();
    assert_eq!(notes, ["Process-1", "Process-2", "Process-3", "Process-4"]);
}

#[test]
fn the_children_are_reaped_with_exit_code_zero() {
    let run = pids_run(4);
    let event = only(&run.events, "reaped");
    assert_eq!(pid(event), run.procdemo);
    let reaped: Reaped = report(event);
    assert_eq!(reaped.reaped, 4);
    assert_eq!(reaped.exit_codes, [0, 0, 0, 0]);

    done_of(&run.events, run.procdemo, 4);
}

fn check_children_count(count: u32) {
    let run = pids_run(count);
    let count = count as usize;
    assert_eq!(run.children.len(), count);
    assert_eq!(
        run.children.iter().collect::<BTreeSet<_>>().len(),
        count,
        "distinct pids"
    );
    let mut names: Vec<String> = reports::<ChildIds>(&run.events)
        .into_iter()
        .map(|ids| ids.name)
        .collect();
    names.sort();
    let mut expected: Vec<String> = (1..=count)
        .map(|number| format!("Process-{number}"))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let checked: IdsChecked = report(only(&run.events, "ids-checked"));
    assert_eq!(sorted(&checked.child_pids), sorted(&run.children));
    assert!(checked.all_ppids_match, "{checked:?}");
    assert!(checked.all_pids_distinct, "{checked:?}");
    let reaped: Reaped = report(only(&run.events, "reaped"));
    assert_eq!(reaped.reaped, count);
    assert_eq!(reaped.exit_codes, vec![0; count]);
    let done: Done = report(run.events.last().expect("events"));
    assert_eq!(done.processes_started, count as u64);
    assert_eq!(done.processes_reaped, count as u64);
}

#[test]
fn one_child_works() {
    check_children_count(1);
}

#[test]
fn sixteen_children_work() {
    check_children_count(16);
}

#[test]
fn the_default_is_three_children() {
    let (_, events) = run_lesson("pids", "en", &[]);
    assert_eq!(events_of(&events, "child-ids").len(), 3);
}
