//! `procdemo lock`: the common two adders interleave without a lock and take
//! turns with one (each counting on its own copy of `num`); a forced
//! interleaving loses an update every time, and the lock makes the second
//! worker sleep until the first has written; at scale, updates are lost
//! without the lock (every run at the defaults, pinned to one CPU or not)
//! and never with it, and the text tells what the facts say; a lock at 1
//! refuses a release.
//! Checked from the JSON events of real runs; after each run no process is
//! left (`run_lesson` checks that).
//!
//! The scale part runs `--increments 20000` (or fewer where it is not the
//! point), so that every run takes a fraction of a second; only the test
//! of lost updates runs the defaults (200000 increments, about a second a
//! run), pinned to one CPU and not. Whether the unlocked adders' lines
//! really mix at `--pace 0` is up to the scheduler: the text tells either
//! way, and the tests check that it tells what the facts say.

use std::collections::BTreeSet;

use crate::common::{
    LessonRun, PINNED, UNPINNED, events_of, pid, report, reports, run_behind, step, t_us,
    timeline_lanes,
};
use procdemo::lessons::lock::{
    AddersInTurn, AddersInterleave, CounterExact, GuardedBlocked, GuardedRead, GuardedResult,
    GuardedWrite, LockedAdder, LockedWorker, RaceRead, RaceResult, RaceWrite, ReleaseUnheld,
    UnlockedAdder, UnlockedWorker, UpdatesLost,
};
use procdemo::model::{Done, Event, Lang, Report};
use serde_json::Value;

/// Few increments: for the tests that are not about the scale part.
const FEW: &[&str] = &["--increments", "1000"];

/// What only this lesson's checks ask of a run.
trait LockRunExt {
    /// Where `event` is in the run (compared by identity).
    fn index_of(&self, event: &Value) -> usize;

    fn done(&self) -> &Value;
}

impl LockRunExt for LessonRun {
    fn index_of(&self, event: &Value) -> usize {
        self.events
            .iter()
            .position(|candidate| std::ptr::eq(candidate, event))
            .unwrap_or_else(|| panic!("{event} is not an event of this run"))
    }

    fn done(&self) -> &Value {
        self.by_procdemo("done")
    }
}

/// The title the English text tells for the step that `event` opens, as
/// the narrator chooses it (`StepText::told_for`), after checking that the
/// Chinese text tells the same section (the first, or the same variant).
fn told(event: &Value) -> String {
    let event: Event = serde_json::from_value(event.clone()).expect("an event");
    let [(en, en_title), (zh, zh_title)] = [Lang::En, Lang::Zh].map(|lang| {
        let text = procdemo::lessons::find("lock")
            .expect("the lock lesson")
            .text(lang)
            .expect("the lock text parses");
        let (_, step_text) = text.step(&event.step).expect("a step of the text");
        let title = step_text.told_for(&event).0;
        let section = step_text
            .variants
            .iter()
            .position(|variant| variant.title == title);
        (section, title.to_string())
    });
    assert_eq!(en, zh, "`{en_title}` and `{zh_title}` for {event:?}");
    en_title
}

/// The text of `updates-lost` and `adders-interleave` tells what the facts
/// say: lost updates, or one worker, or none lost; lines that mixed, or not.
fn assert_told_as_the_facts_say(run: &LessonRun) {
    let event = run.by_procdemo("updates-lost");
    let facts: UpdatesLost = report(event);
    let expected = if facts.workers == 1 {
        "One worker loses nothing"
    } else if facts.lost == 0 {
        "No update was lost this time"
    } else {
        "Updates lost"
    };
    assert_eq!(told(event), expected, "{event}");
    let event = run.by_procdemo("adders-interleave");
    let facts: AddersInterleave = report(event);
    let expected = if facts.interleaved {
        "Their lines interleave"
    } else {
        "This time one adder finished first"
    };
    assert_eq!(told(event), expected, "{event}");
}

/// Runs the lesson at its defaults and `--pace 0`, pinned to CPU 0 with
/// `taskset` when `pinned`, and checks the run.
fn run_at_the_defaults(pinned: bool) -> LessonRun {
    let prefix = if pinned { PINNED } else { UNPINNED };
    run_behind(prefix, &["lock", "--json", "--pace", "0", "--lang", "en"])
}

/// The lines `add` of the common two-adder example prints, as procdemo writes them.
fn lines_of(adder: &str) -> Vec<String> {
    let step = if adder == "add1" { 1 } else { 2 };
    (0..3)
        .map(|count| format!("{adder}:num={}", count * step))
        .collect()
}

/// The pids of the two adders of `R` (`UnlockedAdder` or its twin
/// `LockedAdder`, read as `UnlockedAdder`), `[add1, add2]`, after checking
/// their events: each adder is one child of procdemo, prints `num` 0, 1, 2
/// (add1) or 0, 2, 4 (add2) from its own copy, and then says it finished,
/// with its spans.
fn check_adders<R: Report + Into<UnlockedAdder>>(run: &LessonRun) -> [i32; 2] {
    let events = events_of(&run.events, R::STEP);
    assert_eq!(
        events.len(),
        8,
        "3 prints and an end from each adder: {events:?}"
    );
    let reports: Vec<(&Value, UnlockedAdder)> = events
        .iter()
        .map(|event| (*event, report::<R>(event).into()))
        .collect();
    let mut pids = [0; 2];
    for (slot, adder, numbers) in [(0, "add1", [0, 1, 2]), (1, "add2", [0, 2, 4])] {
        let own: Vec<&(&Value, UnlockedAdder)> = reports
            .iter()
            .filter(|(_, facts)| facts.adder == adder)
            .collect();
        assert_eq!(own.len(), 4, "{adder}: {events:?}");
        let adder_pid = pid(own[0].0);
        for (event, _) in &own {
            run.assert_from_a_child(event, "adder");
            assert_eq!(pid(event), adder_pid, "one process per adder: {event}");
        }
        let printed: Vec<i64> = own.iter().filter_map(|(_, facts)| facts.num).collect();
        assert_eq!(printed, numbers, "{adder} counts on its own copy: {own:?}");
        let (last, facts) = own[3];
        assert_eq!(facts.finished, Some(true), "{last}");
        // No `num` key at all (the report reads an absent and a null `num`
        // alike, as `None`).
        assert!(
            last["facts"].get("num").is_none(),
            "the end is not a print: {last}"
        );
        assert!(facts.spans.is_some(), "{last}");
        pids[slot] = adder_pid;
    }
    assert_ne!(pids[0], pids[1], "two adders, two processes");
    pids
}

/// Checks that `order` holds the six lines of the two adders once each, and
/// each adder's own three lines in its own order.
fn assert_the_six_lines(order: &[String]) {
    let mut sorted = order.to_vec();
    sorted.sort();
    let mut expected: Vec<String> = lines_of("add1")
        .into_iter()
        .chain(lines_of("add2"))
        .collect();
    expected.sort();
    assert_eq!(sorted, expected, "the six lines, once each: {order:?}");
    for adder in ["add1", "add2"] {
        let own: Vec<&String> = order
            .iter()
            .filter(|line| line.starts_with(adder))
            .collect();
        assert_eq!(own, lines_of(adder).iter().collect::<Vec<_>>(), "{order:?}");
    }
}

/// The adder (`add1` or `add2`) that printed `line`.
fn adder_of(line: &str) -> &str {
    line.split(':').next().unwrap_or_default()
}

#[test]
fn each_adder_counts_on_its_own_copy_with_and_without_the_lock() {
    let run = LessonRun::run("lock", FEW);
    let unlocked = check_adders::<UnlockedAdder>(&run);
    let locked = check_adders::<LockedAdder>(&run);
    let all: BTreeSet<i32> = unlocked.iter().chain(&locked).copied().collect();
    assert_eq!(
        all.len(),
        4,
        "four different adders: {unlocked:?} {locked:?}"
    );
    // Each part is over before its summary, and the unlocked one before the locked one.
    assert!(run.last_position("unlocked-adder") < run.position("adders-interleave"));
    assert!(run.position("adders-interleave") < run.position("locked-adder"));
    assert!(run.last_position("locked-adder") < run.position("adders-in-turn"));
}

/// Without a lock the lines may or may not mix at `--pace 0` (that is the
/// scheduler's choice), but all six are there and the facts agree.
#[test]
fn without_the_lock_all_six_lines_arrive_and_the_facts_agree_with_their_order() {
    let run = LessonRun::run("lock", FEW);
    let adders = check_adders::<UnlockedAdder>(&run);
    let summary = run.by_procdemo("adders-interleave");
    let facts: AddersInterleave = report(summary);
    let order = &facts.prints_in_order;
    assert_the_six_lines(order);
    let switches = order
        .windows(2)
        .filter(|pair| adder_of(&pair[0]) != adder_of(&pair[1]))
        .count();
    assert_eq!(facts.interleaved, switches > 1, "{summary}");
    assert_eq!(
        facts.first.as_deref(),
        Some(adder_of(&order[0])),
        "{summary}"
    );
    assert_eq!(*order, prints_as_they_came(&run), "{summary}");

    // One lane per adder, running from its first print to its last.
    let lanes = timeline_lanes(&facts.timeline);
    let lane_pids: BTreeSet<i32> = lanes.iter().map(|lane| lane.pid).collect();
    assert_eq!(lane_pids, adders.into_iter().collect(), "{summary}");
    for lane in &lanes {
        let states: Vec<&str> = lane.spans.iter().map(|span| span.state.as_str()).collect();
        assert_eq!(states, ["run"], "{summary}");
    }
}

/// The unlocked adders' lines in the order their events came, which is
/// the order the narration shows them.
fn prints_as_they_came(run: &LessonRun) -> Vec<String> {
    reports::<UnlockedAdder>(&run.events)
        .into_iter()
        .filter_map(|print| Some(format!("{}:num={}", print.adder, print.num?)))
        .collect()
}

/// `prints_in_order`, `interleaved` and `first` follow the order the lines
/// arrived (not each adder's own clock), and the text tells the variant
/// they select: checked over several runs with one increment, where the
/// adders are quick and the two orders can differ.
#[test]
fn the_adders_summary_follows_the_order_the_lines_arrived() {
    for _ in 0..6 {
        let run = LessonRun::run("lock", &["--increments", "1"]);
        let summary = run.by_procdemo("adders-interleave");
        let facts: AddersInterleave = report(summary);
        let order = prints_as_they_came(&run);
        assert_eq!(facts.prints_in_order, order, "{summary}");
        let switches = order
            .windows(2)
            .filter(|pair| adder_of(&pair[0]) != adder_of(&pair[1]))
            .count();
        assert_eq!(facts.interleaved, switches > 1, "{summary}");
        assert_eq!(facts.first.as_deref(), Some(adder_of(&order[0])));
        assert_told_as_the_facts_say(&run);
    }
}

/// With the lock one adder prints its three lines, then the other: in the
/// summary's order and on stdout (both in the order the lines came), and
/// in the timeline, where the two `hold` spans do not overlap.
#[test]
fn with_the_lock_one_adder_prints_all_its_lines_before_the_other() {
    let run = LessonRun::run("lock", FEW);
    let [add1, add2] = check_adders::<LockedAdder>(&run);
    let summary = run.by_procdemo("adders-in-turn");
    let facts: AddersInTurn = report(summary);
    assert!(!facts.interleaved, "{summary}");
    let order = &facts.prints_in_order;
    assert_the_six_lines(order);
    let first = facts
        .first
        .as_deref()
        .unwrap_or_else(|| panic!("first is not text: {summary}"));
    assert!(["add1", "add2"].contains(&first), "{summary}");
    assert_eq!(first, adder_of(&order[0]), "{summary}");
    let second = if first == "add1" { "add2" } else { "add1" };
    let expected: Vec<String> = lines_of(first)
        .into_iter()
        .chain(lines_of(second))
        .collect();
    assert_eq!(*order, expected, "{summary}");

    // The adder that holds the lock reports before it releases it: its
    // prints reach procdemo before any of the other's.
    let printed: Vec<String> = reports::<LockedAdder>(&run.events)
        .into_iter()
        .filter(|adder| adder.num.is_some())
        .map(|adder| adder.adder)
        .collect();
    assert_eq!(
        printed,
        [first, first, first, second, second, second],
        "the prints as they came"
    );

    let lanes = timeline_lanes(&facts.timeline);
    assert_eq!(lanes.len(), 2, "{summary}");
    let lane_pids: BTreeSet<i32> = lanes.iter().map(|lane| lane.pid).collect();
    assert_eq!(lane_pids, BTreeSet::from([add1, add2]), "{summary}");
    for lane in &lanes {
        let states: Vec<&str> = lane.spans.iter().map(|span| span.state.as_str()).collect();
        assert_eq!(states, ["wait", "hold"], "{summary}");
        assert_eq!(
            lane.spans[0].to_us, lane.spans[1].from_us,
            "it holds the lock from the moment its wait ends: {summary}"
        );
        assert!(lane.label.contains(&lane.pid.to_string()), "{summary}");
    }
    let hold_of = |adder_pid: i32| {
        lanes
            .iter()
            .find(|lane| lane.pid == adder_pid)
            .map(|lane| lane.spans[1].clone())
            .unwrap_or_else(|| panic!("no lane for {adder_pid}: {summary}"))
    };
    let (first_pid, second_pid) = if first == "add1" {
        (add1, add2)
    } else {
        (add2, add1)
    };
    let (earlier, later) = (hold_of(first_pid), hold_of(second_pid));
    assert!(
        earlier.to_us <= later.from_us,
        "the two holds overlap: {earlier:?} and {later:?}"
    );
}

/// The forced interleaving: both workers read 0 before either writes, both
/// write 1, and the counter ends at 1. Forced by procdemo, so every run
/// shows it: three runs here.
#[test]
fn a_forced_interleaving_loses_an_update_every_time() {
    for _ in 0..3 {
        let run = LessonRun::run("lock", FEW);
        let reads = events_of(&run.events, "race-read");
        let writes = events_of(&run.events, "race-write");
        assert_eq!(reads.len(), 2, "{reads:?}");
        assert_eq!(writes.len(), 2, "{writes:?}");
        for event in reads.iter().chain(&writes) {
            run.assert_from_a_child(event, "worker");
        }
        for read in &reads {
            assert_eq!(report::<RaceRead>(read).read, 0, "{read}");
        }
        for write in &writes {
            assert_eq!(report::<RaceWrite>(write).wrote, 1, "{write}");
        }
        let readers: BTreeSet<i32> = reads.iter().map(|event| pid(event)).collect();
        let writers: BTreeSet<i32> = writes.iter().map(|event| pid(event)).collect();
        assert_eq!(readers.len(), 2, "two workers: {reads:?}");
        assert_eq!(
            readers, writers,
            "the workers that read are the ones that write"
        );
        assert!(
            run.last_position("race-read") < run.position("race-write"),
            "both read before either writes"
        );
        let result = run.by_procdemo("race-result");
        assert!(run.last_position("race-write") < run.index_of(result));
        let facts: RaceResult = report(result);
        assert_eq!(facts.expected, 2, "{result}");
        assert_eq!(facts.r#final, 1, "{result}");
        assert_eq!(facts.lost, 1, "{result}");
    }
}

/// With the lock the first worker reads 0, the second sleeps in the lock
/// (state S, the lock at 0), the first writes 1, then the second reads 1
/// and writes 2: nothing lost.
#[test]
fn with_the_lock_the_second_worker_sleeps_until_the_first_has_written() {
    let run = LessonRun::run("lock", FEW);
    let reads = events_of(&run.events, "guarded-read");
    let writes = events_of(&run.events, "guarded-write");
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert_eq!(writes.len(), 2, "{writes:?}");
    for event in reads.iter().chain(&writes) {
        run.assert_from_a_child(event, "worker");
    }
    let (first, second) = (pid(reads[0]), pid(reads[1]));
    assert_ne!(first, second, "two workers: {reads:?}");
    let race: BTreeSet<i32> = events_of(&run.events, "race-read")
        .iter()
        .map(|event| pid(event))
        .collect();
    assert!(
        !race.contains(&first) && !race.contains(&second),
        "new workers for the guarded part"
    );
    assert_eq!(report::<GuardedRead>(reads[0]).read, 0, "{}", reads[0]);
    assert_eq!(report::<GuardedRead>(reads[1]).read, 1, "{}", reads[1]);
    assert_eq!(pid(writes[0]), first, "{}", writes[0]);
    assert_eq!(report::<GuardedWrite>(writes[0]).wrote, 1, "{}", writes[0]);
    assert_eq!(pid(writes[1]), second, "{}", writes[1]);
    assert_eq!(report::<GuardedWrite>(writes[1]).wrote, 2, "{}", writes[1]);

    let blocked = run.by_procdemo("guarded-blocked");
    let facts: GuardedBlocked = report(blocked);
    assert_eq!(facts.worker, second, "{blocked}");
    assert_eq!(facts.state, "S", "{blocked}");
    assert_eq!(facts.lock_value, 0, "{blocked}");
    // The text names where the worker sleeps: procdemo waits until /proc
    // names it, a futex wait.
    assert!(
        facts
            .wchan
            .as_deref()
            .is_some_and(|name| name.contains("futex")),
        "{blocked}"
    );

    // In the order of the story.
    let result = run.by_procdemo("guarded-result");
    let sequence = [
        run.index_of(reads[0]),
        run.index_of(blocked),
        run.index_of(writes[0]),
        run.index_of(reads[1]),
        run.index_of(writes[1]),
        run.index_of(result),
    ];
    assert!(
        sequence.windows(2).all(|pair| pair[0] < pair[1]),
        "read 0, blocked, wrote 1, read 1, wrote 2, result: positions {sequence:?}"
    );
    assert!(run.position("race-result") < sequence[0]);
    let facts: GuardedResult = report(result);
    assert_eq!(facts.expected, 2, "{result}");
    assert_eq!(facts.r#final, 2, "{result}");
    assert_eq!(facts.lost, 0, "{result}");
}

/// At scale the counts add up: without the lock `lost` is what the final
/// count lacks (perhaps 0, if the workers hardly overlapped); with it the
/// count is exact.
#[test]
fn at_scale_the_count_adds_up_and_with_the_lock_it_is_exact() {
    let (workers, increments): (usize, usize) = (4, 20_000);
    let run = LessonRun::run("lock", &["--workers", "4", "--increments", "20000"]);
    let expected = (workers * increments) as u64;

    let lost: UpdatesLost = run.procdemo_report();
    assert_eq!(lost.workers, workers, "{lost:?}");
    assert_eq!(lost.expected, expected, "{lost:?}");
    let last = lost.r#final;
    assert!((0..=expected).contains(&last), "{lost:?}");
    assert_eq!(lost.lost, expected - last, "{lost:?}");

    let exact: CounterExact = run.procdemo_report();
    assert_eq!(exact.workers, workers, "{exact:?}");
    assert_eq!(exact.expected, expected, "{exact:?}");
    assert_eq!(exact.r#final, expected, "{exact:?}");
    assert_eq!(exact.lost, 0, "{exact:?}");

    // Each worker reports once, when it is through. It was started after
    // procdemo's last event before its part (`guarded-result`, then
    // `updates-lost`), so it cannot have run for longer than from that
    // event to its report.
    // Each worker's report: (event, increments, ran_ms, waited_for_lock_ms).
    type Worked<'a> = (&'a Value, usize, u64, Option<u64>);
    let unlocked: Vec<Worked> = events_of(&run.events, "unlocked-worker")
        .into_iter()
        .map(|event| {
            let worker: UnlockedWorker = report(event);
            (
                event,
                worker.increments,
                worker.ran_ms,
                worker.waited_for_lock_ms,
            )
        })
        .collect();
    let locked: Vec<Worked> = events_of(&run.events, "locked-worker")
        .into_iter()
        .map(|event| {
            let worker: LockedWorker = report(event);
            (
                event,
                worker.increments,
                worker.ran_ms,
                Some(worker.waited_for_lock_ms),
            )
        })
        .collect();
    let mut all_workers = BTreeSet::new();
    for (reports, locked, before) in [
        (unlocked, false, "guarded-result"),
        (locked, true, "updates-lost"),
    ] {
        let started_after = t_us(run.by_procdemo(before));
        let events: Vec<&Value> = reports.iter().map(|(event, ..)| *event).collect();
        assert_eq!(reports.len(), workers, "{events:?}");
        let pids: BTreeSet<i32> = events.iter().map(|event| pid(event)).collect();
        assert_eq!(pids.len(), workers, "one report per worker: {events:?}");
        all_workers.extend(pids);
        for (report, worked, ran, waited) in reports {
            run.assert_from_a_child(report, "worker");
            assert_eq!(worked, increments, "{report}");
            let lived_us = t_us(report)
                .checked_sub(started_after)
                .unwrap_or_else(|| panic!("a worker reported before `{before}`: {report}"));
            assert!(
                ran * 1000 <= lived_us,
                "a worker cannot have run {ran} ms in the {lived_us} µs from `{before}` to its report: {report}"
            );
            match waited {
                Some(waited) if locked => {
                    assert!(waited <= ran, "it waited within the time it ran: {report}");
                }
                None if !locked => {}
                _ => panic!("a wait for the lock with the lock only: {report}"),
            }
        }
    }
    assert_eq!(all_workers.len(), 2 * workers, "new workers for each part");
    assert!(run.last_position("unlocked-worker") < run.position("updates-lost"));
    assert!(run.position("updates-lost") < run.position("locked-worker"));
    assert!(run.last_position("locked-worker") < run.position("counter-exact"));
}

/// The window between read and write is wide, so at the defaults every
/// run loses updates, on one CPU as on many; the text says so, and with
/// the lock the count stays exact.
#[test]
fn at_the_defaults_every_run_loses_updates_pinned_to_one_cpu_or_not() {
    for pinned in [true, false, true] {
        let run = run_at_the_defaults(pinned);
        let lost: UpdatesLost = run.procdemo_report();
        assert_eq!((lost.workers, lost.expected), (2, 400_000), "{lost:?}");
        assert!(
            lost.lost > 0,
            "no update lost (pinned to one CPU: {pinned}): {lost:?}"
        );
        assert_eq!(lost.lost, lost.expected - lost.r#final, "{lost:?}");
        let exact: CounterExact = run.procdemo_report();
        assert_eq!(exact.r#final, exact.expected, "{exact:?}");
        assert_told_as_the_facts_say(&run);
    }
}

/// With one worker nothing is lost, and the text says why; with one
/// increment each, the text follows whatever happened.
#[test]
fn the_text_of_lost_updates_follows_the_facts() {
    for args in [["--workers", "1"], ["--increments", "1"]] {
        let run = LessonRun::run("lock", &args);
        assert_told_as_the_facts_say(&run);
        let lost: UpdatesLost = run.procdemo_report();
        if lost.workers == 1 {
            assert_eq!(lost.lost, 0, "{lost:?}");
        }
    }
}

#[test]
fn a_lock_nobody_holds_refuses_a_release_and_a_plain_semaphore_does_not() {
    let run = LessonRun::run("lock", FEW);
    let unheld: ReleaseUnheld = run.procdemo_report();
    assert_eq!(unheld.lock_value, 1, "{unheld:?}");
    assert!(unheld.release_refused, "{unheld:?}");
    assert_eq!(unheld.plain_semaphore_after_extra_post, 2, "{unheld:?}");
    assert!(unheld.python_raises.starts_with("ValueError"), "{unheld:?}");
    assert!(run.position("counter-exact") < run.position("release-unheld"));
}

/// Two adders twice, two workers twice, then `--workers` workers twice:
/// every one started is reaped, and the tree shows them all.
#[test]
fn every_process_started_is_reaped() {
    for workers in ["1", "3"] {
        let run = LessonRun::run("lock", &["--workers", workers, "--increments", "1000"]);
        let workers: u64 = workers.parse().expect("a number");
        let done = run.done();
        let facts: Done = report(done);
        let started = facts.processes_started;
        assert_eq!(started, 8 + 2 * workers, "{done}");
        assert_eq!(facts.processes_reaped, started, "{done}");
        let children = facts.tree["children"]
            .as_array()
            .unwrap_or_else(|| panic!("no children in the tree: {done}"))
            .len() as u64;
        assert_eq!(children, started, "{done}");
        assert_eq!(run.events.last().map(step), Some("done"));
    }
}
