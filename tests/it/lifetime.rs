//! `--lifetime SECONDS` caps the life of every demo process (an `alarm`), so
//! that nothing of a run outlives it for long, whatever happens to procdemo.
//!
//! `pids` at `--pace 20` keeps its children at a gate for 20 s after the
//! `ancestry` step; with `--lifetime 1` the cap ends them long before.
//! The only timing assertion is a lower bound (the cap does not fire early);
//! the other limits are deadlines against hangs.

use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    Live, assert_gone, assert_no_leftovers, events_of, pid, pids_seen, proc_stat, report, step,
    still_running,
};
use procdemo::lab::default_lifetime;
use procdemo::lessons::pids::Reaped;
use procdemo::model::{Done, Ended};

const ARGS: &[&str] = &[
    "pids",
    "--json",
    "--pace",
    "20",
    "--lifetime",
    "1",
    "--lang",
    "en",
];

/// How long procdemo may take to notice that its children are dead and end,
/// once they are: a deadline against a hang, far below the 20 s pause.
const NOTICE: Duration = Duration::from_secs(5);

/// Starts the lesson and reads until `ancestry`, when every child is alive
/// at its gate. Returns the run, the children's pids and when it started.
fn start() -> (Live, Vec<i32>, Instant) {
    let started = Instant::now();
    let mut live = Live::spawn(ARGS);
    live.read_until("ancestry");
    let children: Vec<i32> = events_of(&live.events, "child-ids")
        .into_iter()
        .map(pid)
        .collect();
    assert_eq!(children.len(), 3, "{:?}", live.events);
    assert!(
        children.iter().all(|child| still_running(*child)),
        "the children wait at their gate: {:?}",
        children
            .iter()
            .map(|child| (child, proc_stat(*child)))
            .collect::<Vec<_>>()
    );
    (live, children, started)
}

/// Waits until none of `pids` runs; fails at the deadline.
fn wait_until_gone(pids: &[i32]) {
    assert_gone(pids, "still running long after their 1 s lifetime");
}

#[test]
fn the_cap_ends_demo_processes_that_outlive_it() {
    let (live, children, started) = start();
    wait_until_gone(&children);
    // A lower bound only: the cap does not fire before its second.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "the children died before their 1 s lifetime: {:?}",
        started.elapsed()
    );
    // Dropping `live` kills procdemo if it still runs.
    drop(live);
}

/// Once the cap has killed every child, the lesson cannot go on as told:
/// procdemo, woken by SIGCHLD, must end (with an error naming what
/// happened, or by reporting the children's deaths), not sit out its 20 s
/// pause over dead processes.
#[test]
fn procdemo_ends_soon_after_the_cap_killed_its_children() {
    let (mut live, children, _) = start();
    wait_until_gone(&children);
    let gone = Instant::now();
    while matches!(live.child.try_wait(), Ok(None)) {
        assert!(
            gone.elapsed() < NOTICE,
            "procdemo still runs {NOTICE:?} after the lifetime cap killed all its children: \
             it goes on with a lesson whose processes are dead"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let (status, events, stderr) = live.finish();
    let shown = format!("status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    let mut pids = pids_seen(&events);
    pids.extend_from_slice(&children);
    assert_no_leftovers(&pids);

    let last = events.last().expect("events");
    match step(last) {
        "ended" => {
            let ended: Ended = report(last);
            assert_eq!(ended.reason, "error", "{shown}");
            assert!(!status.success(), "{shown}");
            assert_eq!(ended.processes_reaped, ended.processes_started, "{shown}");
            assert!(!stderr.trim().is_empty(), "say what happened: {shown}");
            if stderr.contains("SIGALRM") {
                assert!(
                    stderr.contains("a larger --lifetime (or without it)"),
                    "--lifetime was given: raise it or drop it: {shown}"
                );
            }
        }
        "done" => {
            // Then the record must say how the children really ended.
            let reaped = events
                .iter()
                .rev()
                .find(|event| step(event) == "reaped")
                .unwrap_or_else(|| panic!("no `reaped`: {shown}"));
            assert_eq!(
                report::<Reaped>(reaped).exit_codes,
                vec![-14; 3],
                "killed by SIGALRM: {shown}"
            );
            let tree = report::<Done>(last).tree;
            for child in tree["children"].as_array().expect("children") {
                assert_eq!(child["signal"], "SIGALRM", "{shown}");
            }
        }
        other => panic!("the last line is `{other}`: {shown}"),
    }
}

/// Without `--lifetime` the cap is 60 s × the pace (at least 1), plus the
/// work the lesson expects × the pace; an hour plus that work when people
/// set the pace (`--step`, `--quiz`).
#[test]
fn the_default_cap_follows_the_pace_and_the_work_asked_for() {
    let secs = Duration::from_secs;
    assert_eq!(default_lifetime(false, 1.0, Duration::ZERO), secs(60));
    assert_eq!(default_lifetime(false, 0.0, Duration::ZERO), secs(60));
    assert_eq!(default_lifetime(false, 1.0, secs(30)), secs(90));
    assert_eq!(default_lifetime(false, 2.0, secs(30)), secs(180));
    assert_eq!(default_lifetime(false, 0.0, secs(30)), secs(90));
    assert_eq!(default_lifetime(true, 1.0, secs(30)), secs(3630));
}
