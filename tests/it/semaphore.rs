//! `procdemo semaphore`: workers compete for `Semaphore(--permits)` and
//! never more than that many are inside at once, by their own counts and by
//! the timeline's spans; then the common producer and consumer share a
//! bounded buffer of two places: items come out first in first out, each
//! consumed once, the fill level never leaves 0..2, and each side waits when
//! it must. Checked from the JSON events of real runs; after each run no
//! process is left (`run_lesson` checks that).
//!
//! Most runs are at `--pace 0`. Two need the lesson's own timing:
//! - the timeline check also runs 16 workers for 2 permits at `--pace 0.01`
//!   (6 ms inside each, about 50 ms in all), so that permits really change
//!   hands while the spans are measured;
//! - that each side of the buffer waits runs at `--pace 0.2` (about 0.7 s):
//!   the consumer first sleeps 80 ms before each of its first three takes,
//!   so the producer, which puts its first three items at once, finds the
//!   two places full; then the producer sleeps 80 ms before each of its
//!   last three puts, so the consumer, fast by then, finds no item. Each
//!   wait has a margin of about 80 ms against a descheduled process.

use std::collections::BTreeSet;

use crate::common::{
    self, LessonRun, events_of, most_at_once, pid, report, reports, timeline_counter,
    timeline_lanes,
};
use procdemo::lessons::semaphore::{
    AtMostPermits, BufferSummary, Consumed, Produced, WorkerEnters, WorkerLeaves,
};
use procdemo::model::Done;

/// The common example's buffer: two places, six items.
const SLOTS: i64 = 2;
const ITEMS: i64 = 6;

/// `--workers` and `--permits` as arguments.
fn counts(workers: i64, permits: i64) -> [String; 4] {
    [
        "--workers".to_string(),
        workers.to_string(),
        "--permits".to_string(),
        permits.to_string(),
    ]
}

fn with_counts(workers: i64, permits: i64) -> LessonRun {
    let args = counts(workers, permits);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    LessonRun::run("semaphore", &args)
}

/// The workers' part of one run with these counts: each worker enters once
/// and leaves once, never finds more than `permits` inside, and sees the
/// semaphore's value below `permits` (it holds one itself); the summary
/// agrees, and its timeline has one lane per worker, waiting then inside.
fn check_workers(run: &LessonRun, workers: i64, permits: i64) {
    let enters = events_of(&run.events, "worker-enters");
    let leaves = events_of(&run.events, "worker-leaves");
    assert_eq!(enters.len() as i64, workers, "{enters:?}");
    assert_eq!(leaves.len() as i64, workers, "{leaves:?}");
    let entered: BTreeSet<i32> = enters.iter().map(|event| pid(event)).collect();
    let left: BTreeSet<i32> = leaves.iter().map(|event| pid(event)).collect();
    assert_eq!(
        entered.len() as i64,
        workers,
        "each worker enters once: {enters:?}"
    );
    assert_eq!(entered, left, "each worker that enters leaves");
    let mut most_seen = 0;
    for enter in &enters {
        run.assert_from_a_child(enter, "worker");
        let facts: WorkerEnters = report(enter);
        let inside = i64::from(facts.inside_now);
        assert!((1..=permits).contains(&inside), "{enter}");
        most_seen = most_seen.max(inside);
        let value = i64::from(facts.semaphore_value);
        assert!(
            (0..permits).contains(&value),
            "a worker inside holds a permit, so at most {} are left: {enter}",
            permits - 1
        );
        assert_eq!(
            inside + value,
            permits,
            "inside now and the value are one reading of the semaphore: {enter}"
        );
    }
    for leave in &leaves {
        run.assert_from_a_child(leave, "worker");
        let value = i64::from(report::<WorkerLeaves>(leave).semaphore_value);
        assert!((0..=permits).contains(&value), "{leave}");
    }

    let summary = run.by_procdemo("at-most-permits");
    assert!(run.last_position("worker-leaves") < run.position("at-most-permits"));
    let facts: AtMostPermits = report(summary);
    assert_eq!(facts.workers as i64, workers, "{summary}");
    assert_eq!(facts.permits as i64, permits, "{summary}");
    // The most is kept from the same readings the workers told: never
    // below any `inside_now`, never above the permits.
    let most = i64::from(facts.most_inside_at_once);
    assert!((1..=permits).contains(&most), "{summary}");
    assert_eq!(
        most, most_seen,
        "the most inside at once is the largest inside_now: {summary}"
    );
    assert!(facts.never_more_than_permits, "{summary}");
    assert_eq!(
        i64::from(facts.semaphore_value_at_end),
        permits,
        "every permit is back: {summary}"
    );

    let lanes = timeline_lanes(&facts.timeline);
    let lane_pids: BTreeSet<i32> = lanes.iter().map(|lane| lane.pid).collect();
    assert_eq!(lanes.len() as i64, workers, "{summary}");
    assert_eq!(lane_pids, entered, "one lane per worker: {summary}");
    for lane in &lanes {
        let states: Vec<&str> = lane.spans.iter().map(|span| span.state.as_str()).collect();
        assert_eq!(states, ["wait", "inside"], "{summary}");
        assert_eq!(
            lane.spans[0].to_us, lane.spans[1].from_us,
            "inside from the moment its wait ends: {summary}"
        );
        assert!(lane.label.contains(&lane.pid.to_string()), "{summary}");
    }
    // An entry and an exit of each worker.
    let samples = timeline_counter(&facts.timeline, "semaphore value");
    assert_eq!(samples.len() as i64, 2 * workers, "{summary}");
    for (_, value) in &samples {
        assert!((0..=permits).contains(value), "{summary}");
    }
}

/// The workers and the producer and consumer: every process is reaped.
fn check_done(run: &LessonRun, workers: i64) {
    let done = run.by_procdemo("done");
    let facts: Done = report(done);
    let started = facts.processes_started;
    assert_eq!(started as i64, workers + 2, "{done}");
    assert_eq!(facts.processes_reaped, started, "{done}");
}

#[test]
fn five_workers_for_two_permits_are_never_more_than_two_inside() {
    let run = with_counts(5, 2);
    check_workers(&run, 5, 2);
    check_done(&run, 5);
}

#[test]
fn six_workers_for_three_permits_are_never_more_than_three_inside() {
    let run = with_counts(6, 3);
    check_workers(&run, 6, 3);
    check_done(&run, 6);
}

#[test]
fn one_worker_for_one_permit_goes_in_alone() {
    let run = with_counts(1, 1);
    check_workers(&run, 1, 1);
    check_done(&run, 1);
}

#[test]
fn the_defaults_are_five_workers_for_two_permits() {
    let run = LessonRun::run("semaphore", &[]);
    check_workers(&run, 5, 2);
    check_done(&run, 5);
}

/// Each worker's `inside_now` and `semaphore_value` come from one reading
/// of the semaphore, so they add up to the permits, also while permits
/// change hands often: 16 workers for 2 permits at `--pace 0.01`.
#[test]
fn inside_now_and_the_value_agree_while_permits_change_hands() {
    let args = counts(16, 2);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = LessonRun::run_at_pace("semaphore", "0.01", &args);
    check_workers(&run, 16, 2);
}

/// The timeline's bars: with N permits, never more than N `inside` spans
/// at one instant (the lesson text promises "never more than N bars are
/// solid at the same moment"). Checked at `--pace 0` with the counts above,
/// and with 16 workers for 2 permits at `--pace 0.01`, where permits change
/// hands many times while workers wait.
#[test]
fn the_timeline_never_shows_more_workers_inside_than_permits() {
    let mut runs = Vec::new();
    for (workers, permits) in [(5, 2), (6, 3), (1, 1)] {
        runs.push((with_counts(workers, permits), permits, "0"));
    }
    let args = counts(16, 2);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    runs.push((
        LessonRun::run_at_pace("semaphore", "0.01", &args),
        2,
        "0.01",
    ));
    for (run, permits, pace) in &runs {
        let summary = run.by_procdemo("at-most-permits");
        let inside: Vec<common::Span> = timeline_lanes(&report::<AtMostPermits>(summary).timeline)
            .into_iter()
            .flat_map(|lane| lane.spans)
            .filter(|span| span.state == "inside")
            .collect();
        let most = most_at_once(&inside);
        assert!(
            most as i64 <= *permits,
            "at --pace {pace}, {most} `inside` spans overlap with {permits} permits: {summary}"
        );
    }
}

/// One put or take of the bounded buffer, from its event.
#[derive(Debug, Clone, Copy)]
struct BufferStep {
    put: bool,
    /// When the fill level was measured, under the buffer's lock.
    at_us: u64,
    fill: i64,
}

/// True if some order of `steps` that keeps their `at_us` order (steps in
/// the same microsecond in either order) takes the buffer from empty
/// through exactly the reported fill levels, one item more after each put
/// and one less after each take.
fn fill_levels_follow_the_steps(steps: &[BufferStep]) -> bool {
    fn walk(level: i64, rest: &[BufferStep]) -> bool {
        let Some(first) = rest.first() else {
            return true;
        };
        let tied = rest
            .iter()
            .take_while(|step| step.at_us == first.at_us)
            .count();
        (0..tied).any(|chosen| {
            let step = rest[chosen];
            let next = if step.put { level + 1 } else { level - 1 };
            if next != step.fill {
                return false;
            }
            let mut others: Vec<BufferStep> = rest.to_vec();
            others.remove(chosen);
            walk(next, &others)
        })
    }
    let mut sorted = steps.to_vec();
    sorted.sort_by_key(|step| step.at_us);
    walk(0, &sorted)
}

/// The bounded buffer of one run: six items produced in order and consumed
/// in the same order, each once; the fill level within 0..2; the summary's
/// counts of waits as the events say; its `buffer fill` counter the twelve
/// levels in the order they were measured.
fn check_buffer(run: &LessonRun) {
    let produced = events_of(&run.events, "produced");
    let consumed = events_of(&run.events, "consumed");
    let produced_facts: Vec<Produced> = produced.iter().copied().map(report).collect();
    let consumed_facts: Vec<Consumed> = consumed.iter().copied().map(report).collect();
    let in_order: Vec<i64> = (0..ITEMS).collect();
    let produced_items: Vec<i64> = produced_facts
        .iter()
        .map(|put| i64::from(put.item))
        .collect();
    let consumed_items: Vec<i64> = consumed_facts
        .iter()
        .map(|take| i64::from(take.item))
        .collect();
    assert_eq!(produced_items, in_order, "{produced:?}");
    assert_eq!(
        consumed_items, in_order,
        "first in, first out: {consumed:?}"
    );
    let producer = pid(produced[0]);
    let consumer = pid(consumed[0]);
    assert_ne!(producer, consumer);
    // (fill, at_us, waited) of each put, then of each take.
    let puts: Vec<(i64, u64, bool)> = produced_facts
        .iter()
        .map(|put| (i64::from(put.fill), put.at_us, put.blocked_on_empty))
        .collect();
    let takes: Vec<(i64, u64, bool)> = consumed_facts
        .iter()
        .map(|take| (i64::from(take.fill), take.at_us, take.blocked_on_full))
        .collect();
    let mut steps = Vec::new();
    for (events, facts, expected_role, who, put) in [
        (&produced, &puts, "producer", producer, true),
        (&consumed, &takes, "consumer", consumer, false),
    ] {
        for (event, (fill, at_us, _)) in events.iter().zip(facts) {
            run.assert_from_a_child(event, expected_role);
            assert_eq!(pid(event), who, "one {expected_role}: {event}");
            // After a put there is at least that item; after a take at least its place is free.
            let possible = if put { 1..=SLOTS } else { 0..=SLOTS - 1 };
            assert!(possible.contains(fill), "{event}");
            assert!(
                *at_us <= event["t_us"].as_u64().unwrap_or_default(),
                "measured before it was reported: {event}"
            );
            steps.push(BufferStep {
                put,
                at_us: *at_us,
                fill: *fill,
            });
        }
    }
    assert!(
        fill_levels_follow_the_steps(&steps),
        "the fill levels do not follow the puts and takes in the order they happened: {steps:?}"
    );
    let waits = |steps: &[(i64, u64, bool)]| -> i64 {
        steps.iter().filter(|(_, _, waited)| *waited).count() as i64
    };

    let summary = run.by_procdemo("buffer-summary");
    assert!(run.last_position("produced") < run.position("buffer-summary"));
    assert!(run.last_position("consumed") < run.position("buffer-summary"));
    let facts: BufferSummary = report(summary);
    assert_eq!(facts.items as i64, ITEMS, "{summary}");
    assert_eq!(facts.slots as i64, SLOTS, "{summary}");
    assert!(facts.consumed_exactly_once, "{summary}");
    let max_fill = i64::from(facts.max_fill);
    assert_eq!(
        max_fill,
        steps.iter().map(|step| step.fill).max().unwrap_or_default(),
        "{summary}"
    );
    assert!((1..=SLOTS).contains(&max_fill), "{summary}");
    assert_eq!(facts.producer_blocked as i64, waits(&puts), "{summary}");
    assert_eq!(facts.consumer_blocked as i64, waits(&takes), "{summary}");

    let samples = timeline_counter(&facts.timeline, "buffer fill");
    assert_eq!(samples.len() as i64, 2 * ITEMS, "{summary}");
    assert!(
        samples.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "samples in time order: {summary}"
    );
    let mut expected: Vec<(u64, i64)> = steps.iter().map(|step| (step.at_us, step.fill)).collect();
    let mut got = samples.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected, "one sample per put and take: {summary}");
    assert!(
        timeline_lanes(&facts.timeline).is_empty(),
        "the buffer has no lanes: {summary}"
    );
}

#[test]
fn the_bounded_buffer_delivers_six_items_in_order_each_once() {
    let run = LessonRun::run("semaphore", &[]);
    check_buffer(&run);
    // The workers' part is over before the buffer's begins.
    assert!(run.position("at-most-permits") < run.position("produced"));
    assert!(run.position("at-most-permits") < run.position("consumed"));
}

/// At `--pace 0.2` (see the top of this file) the producer waits for a free
/// place, and later the consumer waits for an item.
#[test]
fn at_a_slow_pace_the_producer_waits_first_and_then_the_consumer() {
    let run = LessonRun::run_at_pace("semaphore", "0.2", &["--workers", "1", "--permits", "1"]);
    check_buffer(&run);
    let summary: BufferSummary = run.procdemo_report();
    assert!(summary.producer_blocked >= 1, "{summary:?}");
    assert!(summary.consumer_blocked >= 1, "{summary:?}");
    let producer_waited = reports::<Produced>(&run.events)
        .into_iter()
        .find(|put| put.blocked_on_empty)
        .map(|put| put.at_us)
        .unwrap_or_else(|| panic!("no `produced` that waited"));
    let consumer_waited = reports::<Consumed>(&run.events)
        .into_iter()
        .find(|take| take.blocked_on_full)
        .map(|take| take.at_us)
        .unwrap_or_else(|| panic!("no `consumed` that waited"));
    assert!(
        producer_waited < consumer_waited,
        "the producer waits first, then the consumer: {summary:?}"
    );
    check_done(&run, 1);
}
