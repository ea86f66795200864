//! `procdemo fork`: what fork() returns on each side, copy-on-write of `w`,
//! who ran first, and the wait that reaps the child, checked from the JSON
//! events of real runs.

use crate::common::{
    Load, PINNED, UNPINNED, done_of, events_behind, events_of, only, only_report, pid, ppid,
    report, role, run_lesson, step,
};
use procdemo::lessons::fork::{
    AfterFork, BeforeFork, ChildChangesW, ParentKeepsW, Wait, WhoRanFirst,
};
use procdemo::model::{Done, Event, Lang};
use serde_json::Value;

/// One finished run of the lesson, with the two processes it involves.
struct ForkRun {
    procdemo: i32,
    child: i32,
    events: Vec<Value>,
}

fn fork_run() -> ForkRun {
    let (output, events) = run_lesson("fork", "en", &[]);
    let child = events
        .iter()
        .find(|event| role(event) == "child")
        .map(pid)
        .unwrap_or_else(|| panic!("no event from the child:\n{}", output.describe()));
    ForkRun {
        procdemo: output.pid,
        child,
        events,
    }
}

impl ForkRun {
    /// The only event of `name` from the process `from`.
    fn from(&self, from: i32, name: &str) -> &Value {
        let found: Vec<&Value> = events_of(&self.events, name)
            .into_iter()
            .filter(|event| pid(event) == from)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one `{name}` from pid {from}, got {found:?}"
        );
        found[0]
    }
}

#[test]
fn only_procdemo_and_one_child_report() {
    let run = fork_run();
    assert_ne!(run.child, run.procdemo);
    for event in &run.events {
        let (who, role) = (pid(event), role(event));
        match role {
            "parent" => assert_eq!(who, run.procdemo, "{event}"),
            "child" => assert_eq!(who, run.child, "{event}"),
            other => panic!("unexpected role {other}: {event}"),
        }
    }
    // procdemo's parent is this test process, and the child's is procdemo.
    for event in &run.events {
        let expected_parent = if role(event) == "parent" {
            std::process::id() as i32
        } else {
            run.procdemo
        };
        assert_eq!(ppid(event), expected_parent, "{event}");
    }
}

#[test]
fn code_before_fork_runs_once_in_the_parent() {
    let run = fork_run();
    let before = only(&run.events, "before-fork");
    assert_eq!(pid(before), run.procdemo);
    assert_eq!(role(before), "parent");
    assert_eq!(report::<BeforeFork>(before).w, 100);
    // It is the first thing that happens.
    assert_eq!(step(&run.events[0]), "before-fork");
}

#[test]
fn fork_returns_twice_with_different_values() {
    let run = fork_run();
    let after = events_of(&run.events, "after-fork");
    assert_eq!(
        after.len(),
        2,
        "after-fork must come once from each process: {after:?}"
    );

    let in_parent = run.from(run.procdemo, "after-fork");
    assert_eq!(role(in_parent), "parent");
    let parent_got = report::<AfterFork>(in_parent).fork_returned;
    assert_eq!(parent_got, run.child, "the parent gets the child's pid");

    let in_child = run.from(run.child, "after-fork");
    assert_eq!(role(in_child), "child");
    assert_eq!(
        report::<AfterFork>(in_child).fork_returned,
        0,
        "the child gets 0"
    );
    assert_eq!(pid(in_child), parent_got, "the child's own pid");
    assert_eq!(
        ppid(in_child),
        run.procdemo,
        "the child's parent is procdemo"
    );
}

#[test]
fn the_child_changes_only_its_own_copy_of_w() {
    let run = fork_run();
    let in_child = run.from(run.child, "child-changes-w");
    assert_eq!(role(in_child), "child");
    let in_child: ChildChangesW = report(in_child);
    assert_eq!(in_child.w_before, 100);
    assert_eq!(in_child.w_after, 200);

    let in_parent = run.from(run.procdemo, "parent-keeps-w");
    assert_eq!(role(in_parent), "parent");
    let in_parent: ParentKeepsW = report(in_parent);
    assert_eq!(in_parent.w, 100, "the parent's w is untouched");
    let address = &in_parent.w_address;
    assert!(address.starts_with("0x"), "w_address: {address}");
    assert_eq!(
        address, &in_child.w_address,
        "same virtual address in both processes"
    );
    assert_eq!(
        address,
        &only_report::<BeforeFork>(&run.events).w_address,
        "w did not move"
    );
}

#[test]
fn who_ran_first_agrees_with_the_times() {
    let run = fork_run();
    let event = only(&run.events, "who-ran-first");
    assert_eq!(pid(event), run.procdemo);
    let first: WhoRanFirst = report(event);
    let (parent_us, child_us) = (first.parent_resumed_us, first.child_resumed_us);
    let expected = match parent_us.cmp(&child_us) {
        std::cmp::Ordering::Less => "parent",
        std::cmp::Ordering::Greater => "child",
        std::cmp::Ordering::Equal => "tie",
    };
    assert_eq!(first.first, expected, "{event}");
    assert_eq!(first.gap_us, parent_us.abs_diff(child_us), "{event}");
    // The times are the ones each side reported right after fork().
    assert_eq!(
        parent_us,
        report::<AfterFork>(run.from(run.procdemo, "after-fork")).resumed_us
    );
    assert_eq!(
        child_us,
        report::<AfterFork>(run.from(run.child, "after-fork")).resumed_us
    );
    assert!(first.cpus_online.is_some_and(|cpus| cpus >= 1));
}

#[test]
fn the_parent_waits_for_and_reaps_the_child() {
    let run = fork_run();
    let wait = only(&run.events, "wait");
    assert_eq!(pid(wait), run.procdemo);
    let wait: Wait = report(wait);
    assert_eq!(wait.child_pid, run.child);
    assert_eq!(wait.wait_status, 0);
    assert_eq!(wait.exit_code, Some(0));
    assert_eq!(wait.python_exitcode, 0);
}

#[test]
fn done_counts_one_process_started_and_reaped() {
    let run = fork_run();
    let Done { tree, .. } = done_of(&run.events, run.procdemo, 1);
    assert_eq!(tree["pid"], run.procdemo);
    let children = tree["children"].as_array().expect("tree children");
    assert_eq!(children.len(), 1, "{tree}");
    assert_eq!(children[0]["pid"], run.child);
    assert_eq!(children[0]["exit_code"], 0);
}

#[test]
fn steps_come_in_the_order_the_lesson_tells_them() {
    let run = fork_run();
    let position = |name: &str, from: i32| {
        run.events
            .iter()
            .position(|event| step(event) == name && pid(event) == from)
            .unwrap_or_else(|| panic!("no {name} from {from}"))
    };
    let (parent, child) = (run.procdemo, run.child);
    // Orders the lesson imposes with its gate and its wait; the two
    // after-fork events may come in either order.
    assert!(position("before-fork", parent) < position("after-fork", parent));
    assert!(position("after-fork", child) < position("who-ran-first", parent));
    assert!(position("who-ran-first", parent) < position("child-changes-w", child));
    assert!(position("child-changes-w", child) < position("parent-keeps-w", parent));
    assert!(position("parent-keeps-w", parent) < position("wait", parent));
    assert!(position("wait", parent) < position("done", parent));
}

/// The `who-ran-first` event of a finished `--json --pace 0` run.
/// The `who-ran-first` event of a run of the lesson behind `prefix`.
fn who_ran_first_of(prefix: &[&str]) -> Value {
    let events = events_behind(prefix, &["fork", "--json", "--pace", "0"]);
    only(&events, "who-ran-first").clone()
}

/// The title the lesson tells for `event` in `lang`, and the condition of
/// the variant it came from (None: the step's first section).
fn told_who_ran_first(event: &Value, lang: Lang) -> (String, Option<String>) {
    let text = procdemo::lessons::find("fork")
        .expect("the fork lesson")
        .text(lang)
        .expect("the text parses");
    let (_, who) = text.step("who-ran-first").expect("the step's text");
    let parsed: Event = serde_json::from_value(event.clone()).expect("an event");
    let (title, _) = who.told_for(&parsed);
    let condition = who
        .variants
        .iter()
        .find(|variant| variant.title == title)
        .map(|variant| variant.condition.source().to_string());
    (title.to_string(), condition)
}

/// The telling of `who-ran-first` follows the fact `first`: the first
/// section says the parent came back first, the variants the child and the
/// tie, in both languages.
fn assert_told_as_it_fell(event: &Value, setting: &str) {
    let first = report::<WhoRanFirst>(event).first;
    let expected = match first.as_str() {
        "parent" => None,
        "child" => Some("first == child".to_string()),
        "tie" => Some("first == tie".to_string()),
        other => panic!("{setting}: unexpected first `{other}`: {event}"),
    };
    for lang in [Lang::En, Lang::Zh] {
        let (title, condition) = told_who_ran_first(event, lang);
        assert_eq!(
            condition, expected,
            "{setting}, {lang:?}: told `{title}` for {event}"
        );
    }
    let (title, _) = told_who_ran_first(event, Lang::En);
    let says = match first.as_str() {
        "parent" => "The parent came back",
        "child" => "The child came back",
        _ => "same microsecond",
    };
    assert!(title.contains(says), "{setting}: `{title}` for {event}");
}

#[test]
fn every_value_of_first_has_its_telling() {
    for first in ["parent", "child", "tie"] {
        let event = serde_json::json!({
            "t_us": 0, "lesson": "fork", "pid": 2, "ppid": 1, "role": "parent",
            "step": "who-ran-first",
            "facts": {
                "first": first, "parent_resumed_us": 5, "child_resumed_us": 5,
                "gap_us": 0, "parent_cpu": 0, "child_cpu": 0, "cpus_online": 1,
            },
        });
        assert_told_as_it_fell(&event, first);
    }
}

#[test]
fn who_ran_first_is_told_as_it_fell_unpinned() {
    for _ in 0..3 {
        assert_told_as_it_fell(&who_ran_first_of(UNPINNED), "unpinned");
    }
}

#[test]
fn who_ran_first_is_told_as_it_fell_pinned_to_one_cpu() {
    for _ in 0..3 {
        assert_told_as_it_fell(&who_ran_first_of(PINNED), "pinned");
    }
}

#[test]
fn who_ran_first_is_told_as_it_fell_with_every_cpu_busy() {
    let _load = Load::every_cpu();
    for (prefix, setting) in [(UNPINNED, "busy"), (PINNED, "busy, pinned")] {
        assert_told_as_it_fell(&who_ran_first_of(prefix), setting);
    }
}
