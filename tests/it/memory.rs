//! `procdemo memory`: after `fork()` memory is copied, not shared. Two
//! children change their own copies of the notes' list; copy-on-write is
//! measured in `/proc/<pid>/smaps_rollup` on a 16 MiB buffer; a
//! `MAP_SHARED` mapping is really shared; and a child started by "spawn"
//! (procdemo running itself again) sees none of the parent's globals, where
//! a forked child sees them all. Checked from the JSON events of real runs.

use std::path::Path;

use crate::common::{LessonRun, bin, events_of, fact, fact_i64, only, pid};
use serde_json::{Value, json};

/// The buffer size the copy-on-write checks use, and its half, in kB.
const MIB: &str = "16";
const BUFFER_KB: f64 = 16.0 * 1024.0;
/// The smaps figures include the rest of procdemo; the buffer must dominate.
const MOSTLY: f64 = 0.9;

/// One finished run of the lesson.
fn memory_run() -> LessonRun {
    LessonRun::run("memory", &["--mib", MIB])
}

/// What only this lesson's checks ask of a run.
trait MemoryRunExt {
    /// The only event of `name`, checked to come from a child of procdemo in `role`.
    fn by_a_child(&self, name: &str, expected_role: &str) -> &Value;
}

impl MemoryRunExt for LessonRun {
    fn by_a_child(&self, name: &str, expected_role: &str) -> &Value {
        let event = only(&self.events, name);
        self.assert_from_a_child(event, expected_role);
        event
    }
}

fn number(event: &Value, name: &str) -> f64 {
    fact(event, name)
        .as_f64()
        .unwrap_or_else(|| panic!("fact `{name}` is not a number in {event}"))
}

#[test]
fn two_children_append_to_their_own_copies_of_the_list() {
    let run = memory_run();
    let appends = events_of(&run.events, "child-appends");
    assert_eq!(appends.len(), 2, "{appends:?}");
    assert_ne!(pid(appends[0]), pid(appends[1]), "two different children");
    for event in &appends {
        run.assert_from_a_child(event, "child");
    }
    // Both children run at once: their reports may come in either order.
    for word in ["baidu", "neuedu"] {
        let event = appends
            .iter()
            .find(|event| fact(event, "word") == word)
            .unwrap_or_else(|| panic!("no child appended {word}: {appends:?}"));
        let mut expected = vec![json!(11), json!(22)];
        expected.extend(word.chars().map(|letter| json!(letter.to_string())));
        assert_eq!(fact(event, "nums"), &Value::Array(expected), "{event}");
    }

    let unchanged = run.by_procdemo("parent-unchanged");
    assert_eq!(fact(unchanged, "nums"), &json!([11, 22]), "{unchanged}");
    assert!(run.last_position("child-appends") < run.position("parent-unchanged"));
}

#[test]
fn fork_shares_the_pages_and_each_first_write_copies_one() {
    let run = memory_run();
    let filled = run.by_procdemo("buffer-filled");
    assert_eq!(fact_i64(filled, "buffer_mib"), 16, "{filled}");

    let at_fork = run.by_a_child("cow-after-fork", "child");
    let after_write = run.by_a_child("cow-after-write", "child");
    assert_eq!(pid(at_fork), pid(after_write), "one child measures both");

    // Right after fork(): the buffer is shared, next to nothing is private.
    assert!(
        number(at_fork, "shared_kb") >= BUFFER_KB * MOSTLY,
        "the 16 MiB buffer is shared after fork(): {at_fork}"
    );
    assert!(
        number(at_fork, "private_kb") < 4.0 * 1024.0,
        "fork() copied no pages: {at_fork}"
    );

    // One byte written in each page of the first half copies those pages.
    let pages = 16 * 1024 / 4 / 2;
    assert_eq!(
        fact_i64(after_write, "pages_written"),
        pages,
        "{after_write}"
    );
    assert!(
        number(after_write, "copied_kb") >= BUFFER_KB / 2.0 * MOSTLY,
        "half the buffer was copied: {after_write}"
    );
    assert!(
        number(after_write, "private_kb") >= BUFFER_KB / 2.0 * MOSTLY,
        "{after_write}"
    );

    let parent = run.by_procdemo("parent-view");
    assert_eq!(fact_i64(parent, "first_byte_here"), 1, "{parent}");
    assert!(run.position("buffer-filled") < run.position("cow-after-fork"));
    assert!(run.position("cow-after-fork") < run.position("cow-after-write"));
    assert!(run.position("cow-after-write") < run.position("parent-view"));
}

#[test]
fn a_shared_mapping_is_shared_and_an_ordinary_variable_is_not() {
    let run = memory_run();
    let child = run.by_a_child("child-writes-both", "child");
    assert_eq!(fact_i64(child, "shared"), 200, "{child}");
    assert_eq!(fact_i64(child, "private"), 200, "{child}");
    let parent = run.by_procdemo("parent-reads-both");
    assert_eq!(fact_i64(parent, "shared"), 200, "{parent}");
    assert_eq!(fact_i64(parent, "private"), 100, "{parent}");
    assert!(run.position("child-writes-both") < run.position("parent-reads-both"));
}

#[test]
fn a_forked_child_sees_the_parents_global_and_a_spawned_child_does_not() {
    let run = memory_run();
    let set = run.by_procdemo("global-set");
    assert_eq!(fact_i64(set, "setting"), 42, "{set}");

    let forked = run.by_a_child("forked-child-sees", "child");
    assert_eq!(fact_i64(forked, "setting"), 42, "{forked}");
    let spawned = run.by_a_child("spawned-child-sees", "spawned");
    assert_eq!(fact_i64(spawned, "setting"), 0, "{spawned}");
    assert_ne!(pid(forked), pid(spawned));

    // The spawned child runs procdemo's own program, as the forked one does.
    let program = std::fs::canonicalize(bin()).expect("the test binary's path");
    for event in [forked, spawned] {
        let shown = fact(event, "program").as_str().expect("program is text");
        assert_eq!(Path::new(shown), program, "{event}");
    }

    // exec kept the pid fork() gave: the spawned child in the tree has the
    // pid that reported.
    let spawned_nodes: Vec<Value> = run
        .done_children()
        .into_iter()
        .filter(|child| child["note"] == "spawned")
        .collect();
    assert_eq!(spawned_nodes.len(), 1, "{spawned_nodes:?}");
    assert_eq!(spawned_nodes[0]["pid"], pid(spawned), "{spawned_nodes:?}");
    assert_eq!(spawned_nodes[0]["exit_code"], 0, "{spawned_nodes:?}");

    let side_by_side = run.by_procdemo("fork-vs-spawn");
    assert_eq!(fact_i64(side_by_side, "parent"), 42, "{side_by_side}");
    assert_eq!(fact_i64(side_by_side, "forked_child"), 42, "{side_by_side}");
    assert_eq!(fact_i64(side_by_side, "spawned_child"), 0, "{side_by_side}");
    assert_eq!(
        fact(side_by_side, "spawned_kept_its_pid"),
        &json!(true),
        "{side_by_side}"
    );

    assert!(run.position("global-set") < run.position("forked-child-sees"));
    assert!(run.position("forked-child-sees") < run.position("spawned-child-sees"));
    assert!(run.position("spawned-child-sees") < run.position("fork-vs-spawn"));
}

#[test]
fn every_child_is_reaped_and_shown_in_the_tree() {
    let run = memory_run();
    let done = only(&run.events, "done");
    let started = fact_i64(done, "processes_started");
    assert_eq!(fact_i64(done, "processes_reaped"), started, "{done}");
    // Two appenders, the copy-on-write child, the shared-memory child, the
    // forked child and the spawned one.
    assert_eq!(started, 6, "{done}");
    let children = run.done_children();
    assert_eq!(children.len() as i64, started, "{done}");
    for event in run.events.iter().filter(|event| pid(event) != run.procdemo) {
        assert!(
            children.iter().any(|child| child["pid"] == pid(event)),
            "{event} is not in {done}"
        );
    }
}
