//! `procdemo memory`: after `fork()` memory is copied, not shared. Two
//! children change their own copies of the common example's list;
//! copy-on-write is measured in `/proc/<pid>/smaps_rollup` on a 16 MiB
//! buffer; a `MAP_SHARED` mapping is really shared; and a child started
//! by "spawn" (procdemo running itself again) sees none of the parent's
//! globals, where a forked child sees them all. Checked from the JSON
//! events of real runs.

use std::io::Write;
use std::path::Path;
use std::thread;
use std::time::Duration;

use crate::common::held_at_question;
use crate::common::{LessonRun, bin, children_of, events_of, only, pid, report};
use procdemo::lessons::memory::{
    BufferFilled, ChildAppends, ChildWritesBoth, CowAfterFork, CowAfterWrite, ForkVsSpawn,
    ForkedChildSees, GlobalSet, Item, ParentReadsBoth, ParentUnchanged, ParentView,
    SpawnedChildSees,
};
use procdemo::model::Done;
use serde_json::Value;

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
    let facts: Vec<ChildAppends> = appends.iter().copied().map(report).collect();
    for word in ["baidu", "neuedu"] {
        let appended = facts
            .iter()
            .find(|appended| appended.word == word)
            .unwrap_or_else(|| panic!("no child appended {word}: {appends:?}"));
        let mut expected = vec![Item::Number(11), Item::Number(22)];
        expected.extend(word.chars().map(Item::Letter));
        assert_eq!(appended.nums, expected, "{appended:?}");
    }

    let unchanged: ParentUnchanged = run.procdemo_report();
    assert_eq!(
        unchanged.nums,
        [Item::Number(11), Item::Number(22)],
        "{unchanged:?}"
    );
    assert!(run.last_position("child-appends") < run.position("parent-unchanged"));
}

#[test]
fn fork_shares_the_pages_and_each_first_write_copies_one() {
    let run = memory_run();
    let filled: BufferFilled = run.procdemo_report();
    assert_eq!(filled.buffer_mib, 16, "{filled:?}");

    let at_fork = run.by_a_child("cow-after-fork", "child");
    let after_write = run.by_a_child("cow-after-write", "child");
    assert_eq!(pid(at_fork), pid(after_write), "one child measures both");
    let (at_fork, after_write): (CowAfterFork, CowAfterWrite) =
        (report(at_fork), report(after_write));

    // Right after fork(): the buffer is shared, next to nothing is private.
    assert!(
        at_fork.shared_kb as f64 >= BUFFER_KB * MOSTLY,
        "the 16 MiB buffer is shared after fork(): {at_fork:?}"
    );
    assert!(
        (at_fork.private_kb as f64) < 4.0 * 1024.0,
        "fork() copied no pages: {at_fork:?}"
    );

    // One byte written in each page of the first half copies those pages.
    let pages = 16 * 1024 / 4 / 2;
    assert_eq!(after_write.pages_written, pages, "{after_write:?}");
    assert!(
        after_write.copied_kb as f64 >= BUFFER_KB / 2.0 * MOSTLY,
        "half the buffer was copied: {after_write:?}"
    );
    assert!(
        after_write.private_kb as f64 >= BUFFER_KB / 2.0 * MOSTLY,
        "{after_write:?}"
    );

    let parent: ParentView = run.procdemo_report();
    assert_eq!(parent.first_byte_here, 1, "{parent:?}");
    assert!(run.position("buffer-filled") < run.position("cow-after-fork"));
    assert!(run.position("cow-after-fork") < run.position("cow-after-write"));
    assert!(run.position("cow-after-write") < run.position("parent-view"));
}

#[test]
fn a_shared_mapping_is_shared_and_an_ordinary_variable_is_not() {
    let run = memory_run();
    let child = run.by_a_child("child-writes-both", "child");
    let wrote: ChildWritesBoth = report(child);
    assert_eq!(wrote.shared, 200, "{child}");
    assert_eq!(wrote.private, 200, "{child}");
    let parent: ParentReadsBoth = run.procdemo_report();
    assert_eq!(parent.shared, 200, "{parent:?}");
    assert_eq!(parent.private, 100, "{parent:?}");
    assert!(run.position("child-writes-both") < run.position("parent-reads-both"));
}

#[test]
fn a_forked_child_sees_the_parents_global_and_a_spawned_child_does_not() {
    let run = memory_run();
    let set: GlobalSet = run.procdemo_report();
    assert_eq!(set.setting, 42, "{set:?}");

    let forked = run.by_a_child("forked-child-sees", "child");
    let forked_sees: ForkedChildSees = report(forked);
    assert_eq!(forked_sees.setting, 42, "{forked}");
    let spawned = run.by_a_child("spawned-child-sees", "spawned");
    let spawned_sees: SpawnedChildSees = report(spawned);
    assert_eq!(spawned_sees.setting, 0, "{spawned}");
    assert_ne!(pid(forked), pid(spawned));

    // The spawned child runs procdemo's own program, as the forked one does.
    let program = std::fs::canonicalize(bin()).expect("the test binary's path");
    for (event, shown) in [
        (forked, forked_sees.program),
        (spawned, spawned_sees.program),
    ] {
        let shown = shown.unwrap_or_else(|| panic!("program is text: {event}"));
        assert_eq!(Path::new(&shown), program, "{event}");
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

    let side_by_side: ForkVsSpawn = run.procdemo_report();
    assert_eq!(side_by_side.parent, 42, "{side_by_side:?}");
    assert_eq!(side_by_side.forked_child, 42, "{side_by_side:?}");
    assert_eq!(side_by_side.spawned_child, 0, "{side_by_side:?}");
    assert!(side_by_side.spawned_kept_its_pid, "{side_by_side:?}");

    assert!(run.position("global-set") < run.position("forked-child-sees"));
    assert!(run.position("forked-child-sees") < run.position("spawned-child-sees"));
    assert!(run.position("spawned-child-sees") < run.position("fork-vs-spawn"));
}

#[test]
fn every_child_is_reaped_and_shown_in_the_tree() {
    let run = memory_run();
    let done = only(&run.events, "done");
    let facts: Done = report(done);
    let started = facts.processes_started;
    assert_eq!(facts.processes_reaped, started, "{done}");
    // Two appenders, the copy-on-write child, the shared-memory child, the
    // forked child and the spawned one.
    assert_eq!(started, 6, "{done}");
    let children = run.done_children();
    assert_eq!(children.len() as u64, started, "{done}");
    for event in run.events.iter().filter(|event| pid(event) != run.procdemo) {
        assert!(
            children.iter().any(|child| child["pid"] == pid(event)),
            "{event} is not in {done}"
        );
    }
}

/// `/proc/<pid>/smaps_rollup` read from outside procdemo: (shared kB,
/// private kB).
fn shared_and_private_kb(pid: i32) -> (u64, u64) {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_else(|error| panic!("smaps_rollup of {pid}: {error}"));
    let sum = |prefix: &str| -> u64 {
        rollup
            .lines()
            .filter(|line| line.starts_with(prefix))
            .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    };
    (sum("Shared_"), sum("Private_"))
}

/// With `--quiz` and answers from a pipe, the question of `cow-after-fork`
/// is asked once the child has measured itself at `fork()`, and the child
/// writes only after that step (`lab.before`). While procdemo waits for
/// the answer, an observer outside procdemo finds what the step says: the
/// child shares the buffer and has copied next to nothing. Once answered,
/// the child copies half of it.
#[test]
fn an_outside_observer_sees_the_buffer_shared_until_the_writing_step() {
    let (mut live, mut answers) = held_at_question(&["memory", "--mib", MIB], "cow-after-fork");
    let children = children_of(live.pid());
    let [child] = children[..] else {
        panic!("one child at the question: {children:?}");
    };
    // Now, and a moment later: held, not merely not yet written.
    for _ in 0..2 {
        let (shared_kb, private_kb) = shared_and_private_kb(child);
        let seen = format!("shared {shared_kb} kB, private {private_kb} kB");
        assert!(shared_kb as f64 >= BUFFER_KB * MOSTLY, "{seen}");
        assert!((private_kb as f64) < 4.0 * 1024.0, "{seen}");
        thread::sleep(Duration::from_millis(30));
    }
    answers.write_all(b"2\n").expect("answer");
    let at_fork = live.read_until("cow-after-fork");
    assert_eq!(pid(&at_fork), child);
    let written: CowAfterWrite = report(&live.read_until("cow-after-write"));
    assert!(
        written.copied_kb as f64 >= BUFFER_KB / 2.0 * MOSTLY,
        "{written:?}"
    );
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}
