//! After every lesson, nothing of the run is left: every process that took
//! part is gone. (`common::run_lesson` makes the same check after every run
//! in the other test files; this file runs each lesson on its own, and makes
//! sure the check itself can see a running process.)

use crate::common::{
    Live, assert_no_leftovers, listed_lessons, pids_seen, report, run_lesson, step, still_running,
};
use procdemo::model::Done;

#[test]
fn every_lesson_leaves_no_process_behind() {
    for lesson in listed_lessons("en") {
        let id = lesson["lesson"].as_str().expect("lesson id");
        let (output, events) = run_lesson(id, "en", &[]);
        let pids = pids_seen(&events);
        assert!(pids.contains(&output.pid), "{pids:?}");
        assert!(pids.len() >= 2, "the lesson started no process: {pids:?}");
        assert_no_leftovers(&pids);
        // Every process started was reaped by procdemo itself.
        let done = events.last().expect("events");
        assert_eq!(step(done), "done");
        let facts: Done = report(done);
        assert_eq!(facts.processes_started, facts.processes_reaped, "{done}");
        assert_eq!(facts.processes_started as usize, pids.len() - 1, "{done}");
    }
}

/// The leftover check would pass vacuously if it could not see a running
/// procdemo: show that it does, while a slow lesson runs.
#[test]
fn the_leftover_check_sees_running_processes() {
    let mut live = Live::spawn(&["fork", "--json", "--pace", "20", "--lang", "en"]);
    let after_fork = live.read_until("child-changes-w");
    assert!(still_running(live.pid()), "procdemo runs");
    assert!(
        still_running(after_fork["pid"].as_i64().expect("pid") as i32),
        "its child runs"
    );
    // Dropping `live` kills procdemo; the child follows by its parent-death signal.
}
