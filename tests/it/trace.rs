//! `--trace FILE`: the run as Chrome Trace Event JSON. The file holds a
//! `traceEvents` list: the run named as one process, a named track for
//! every process of the run, an instant for every JSON event (same step,
//! pid and time), and the `timeline` facts as slices (`X`) and counters
//! (`C`). Checked against the JSON events of the same run, for `lock`,
//! `semaphore` and `fork`; a file that cannot be written stops procdemo
//! before anything runs; an interrupted run still writes its trace.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::{
    self, LOCK_HELD_ARGS, Live, assert_no_leftovers, assert_well_formed, events_of, only_report,
    parse_spans, pid, pids_seen, report, run_args, run_lesson, step, timeline_counter,
    whole_number,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::semaphore::{AtMostPermits, BufferSummary};
use procdemo::model::Ended;
use serde_json::{Map, Value};

/// A trace file for one test, in Cargo's scratch directory for tests, not
/// there yet.
fn trace_path(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trace-{}-{name}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Reads and parses a trace file; returns its `traceEvents`.
fn read_trace(path: &PathBuf) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let trace: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON ({error}): {text}", path.display()));
    trace["traceEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("no traceEvents list in {}: {text}", path.display()))
        .clone()
}

fn phase(entry: &Value) -> &str {
    entry["ph"].as_str().unwrap_or_default()
}

fn of_phase<'a>(trace: &'a [Value], wanted: &str) -> Vec<&'a Value> {
    trace
        .iter()
        .filter(|entry| phase(entry) == wanted)
        .collect()
}

fn tid(entry: &Value) -> i32 {
    entry["tid"]
        .as_i64()
        .unwrap_or_else(|| panic!("no tid: {entry}")) as i32
}

/// The facts of `event` as the trace carries them: all but the pictures.
fn args_of(event: &Value) -> Value {
    let facts: Map<String, Value> = event["facts"]
        .as_object()
        .unwrap_or_else(|| panic!("facts must be an object: {event}"))
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "tree" | "timeline"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Value::Object(facts)
}

/// What every trace must show of its run: every entry on the run's one
/// process (procdemo's pid) with a phase; one `process_name`, naming the
/// lesson; one `thread_name` per process of the run that reported; and
/// exactly one instant per JSON event, with its step, pid, time and facts.
/// Returns the trace's entries.
fn check_trace(path: &PathBuf, events: &[Value], procdemo: i32, lesson: &str) -> Vec<Value> {
    let trace = read_trace(path);
    for entry in &trace {
        assert!(
            ["M", "i", "X", "C"].contains(&phase(entry)),
            "an unexpected phase: {entry}"
        );
        assert_eq!(entry["pid"], procdemo, "the run is one process: {entry}");
        assert!(entry.get("name").is_some(), "{entry}");
    }

    let metadata = of_phase(&trace, "M");
    let process_names: Vec<&&Value> = metadata
        .iter()
        .filter(|entry| entry["name"] == "process_name")
        .collect();
    assert_eq!(process_names.len(), 1, "{metadata:?}");
    assert_eq!(
        process_names[0]["args"]["name"],
        format!("procdemo {lesson}"),
        "{}",
        process_names[0]
    );
    let thread_names: Vec<i32> = metadata
        .iter()
        .filter(|entry| entry["name"] == "thread_name")
        .map(|entry| {
            assert!(
                entry["args"]["name"]
                    .as_str()
                    .is_some_and(|name| !name.is_empty()),
                "a track without a name: {entry}"
            );
            tid(entry)
        })
        .collect();
    let named: BTreeSet<i32> = thread_names.iter().copied().collect();
    assert_eq!(
        named.len(),
        thread_names.len(),
        "a track named twice: {metadata:?}"
    );
    let reported: BTreeSet<i32> = events.iter().map(pid).collect();
    assert!(
        reported.is_subset(&named),
        "processes that reported without a named track: {:?}",
        reported.difference(&named).collect::<Vec<_>>()
    );

    let mut instants: Vec<(String, i32, u64, String)> = of_phase(&trace, "i")
        .iter()
        .map(|entry| {
            (
                entry["name"].as_str().unwrap_or_default().to_string(),
                tid(entry),
                entry["ts"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("ts is not a whole number: {entry}")),
                entry["args"].to_string(),
            )
        })
        .collect();
    let mut expected: Vec<(String, i32, u64, String)> = events
        .iter()
        .map(|event| {
            (
                step(event).to_string(),
                pid(event),
                event["t_us"].as_u64().unwrap_or_default(),
                args_of(event).to_string(),
            )
        })
        .collect();
    instants.sort();
    expected.sort();
    assert_eq!(instants, expected, "one instant per JSON event");
    trace
}

/// Every lane span of every `timeline` fact of the run, as the trace should
/// carry it: (state, pid, from_us, duration), sorted.
fn spans_of_timelines(events: &[Value]) -> Vec<(String, i32, u64, u64)> {
    let mut spans = Vec::new();
    for event in events {
        let Some(timeline) = event["facts"].get("timeline") else {
            continue;
        };
        for lane in timeline["lanes"].as_array().into_iter().flatten() {
            let lane_pid = lane["pid"].as_i64().unwrap_or_default() as i32;
            for span in parse_spans(&lane["spans"]) {
                spans.push((
                    span.state,
                    lane_pid,
                    span.from_us,
                    span.to_us - span.from_us,
                ));
            }
        }
    }
    spans.sort();
    spans
}

fn slices(trace: &[Value]) -> Vec<(String, i32, u64, u64)> {
    let mut slices: Vec<(String, i32, u64, u64)> = of_phase(trace, "X")
        .iter()
        .map(|entry| {
            (
                entry["name"].as_str().unwrap_or_default().to_string(),
                tid(entry),
                whole_number(entry, "ts"),
                whole_number(entry, "dur"),
            )
        })
        .collect();
    slices.sort();
    slices
}

/// The samples of the counter `name` in the trace, in file order.
fn counter_samples(trace: &[Value], name: &str) -> Vec<(u64, i64)> {
    of_phase(trace, "C")
        .iter()
        .filter(|entry| entry["name"] == name)
        .map(|entry| {
            (
                entry["ts"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("ts is not a whole number: {entry}")),
                entry["args"]["value"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("no value: {entry}")),
            )
        })
        .collect()
}

#[test]
fn a_lock_trace_has_every_event_and_the_adders_wait_and_hold_slices() {
    let path = trace_path("lock");
    let path_arg = path.to_str().expect("a UTF-8 path");
    let (output, events) = run_lesson("lock", "en", &["--increments", "1000", "--trace", path_arg]);
    let trace = check_trace(&path, &events, output.pid, "lock");

    // Every span of the timelines is a slice on its process's track, and
    // nothing else is.
    let slices = slices(&trace);
    assert_eq!(slices, spans_of_timelines(&events));
    // The adders with the lock each wait, then hold it.
    let locked: BTreeSet<i32> = events_of(&events, "locked-adder")
        .iter()
        .map(|event| pid(event))
        .collect();
    assert_eq!(locked.len(), 2, "{locked:?}");
    for adder in &locked {
        let names: Vec<&str> = slices
            .iter()
            .filter(|slice| slice.1 == *adder)
            .map(|slice| slice.0.as_str())
            .collect();
        assert_eq!(names, ["hold", "wait"], "the slices of adder {adder}");
    }
    assert!(of_phase(&trace, "C").is_empty(), "lock has no counters");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_semaphore_trace_has_the_semaphore_value_and_buffer_fill_counters() {
    let path = trace_path("semaphore");
    let path_arg = path.to_str().expect("a UTF-8 path");
    let (output, events) = run_lesson("semaphore", "en", &["--trace", path_arg]);
    let trace = check_trace(&path, &events, output.pid, "semaphore");
    assert_eq!(slices(&trace), spans_of_timelines(&events));

    // Five workers by default, each entering and leaving; six items, each
    // put and taken.
    for (name, timeline, count) in [
        (
            "semaphore value",
            only_report::<AtMostPermits>(&events).timeline,
            10,
        ),
        (
            "buffer fill",
            only_report::<BufferSummary>(&events).timeline,
            12,
        ),
    ] {
        let samples = counter_samples(&trace, name);
        assert_eq!(samples.len(), count, "{name}: {samples:?}");
        assert_eq!(samples, timeline_counter(&timeline, name), "{name}");
    }
    let _ = std::fs::remove_file(&path);
}

/// Any lesson can be traced, not only those with timelines; a file that is
/// already there is replaced.
#[test]
fn a_fork_trace_replaces_an_old_file_and_has_every_event() {
    let path = trace_path("fork");
    std::fs::write(&path, "not a trace").expect("write the old file");
    let path_arg = path.to_str().expect("a UTF-8 path");
    let (output, events) = run_lesson("fork", "en", &["--trace", path_arg]);
    let trace = check_trace(&path, &events, output.pid, "fork");
    assert!(of_phase(&trace, "X").is_empty(), "fork has no timeline");
    assert!(of_phase(&trace, "C").is_empty(), "fork has no counters");
    let _ = std::fs::remove_file(&path);
}

/// In `orphan` the first event comes from the grandchild, whose parent is
/// procdemo's child: the trace must still name procdemo's own pid as the
/// run's process, not that child's.
#[test]
fn an_orphan_trace_is_on_procdemos_own_pid_though_a_grandchild_reports_first() {
    let path = trace_path("orphan");
    let path_arg = path.to_str().expect("a UTF-8 path");
    let (output, events) = run_lesson("orphan", "en", &["--trace", path_arg]);
    assert_ne!(
        events.first().map(common::ppid),
        Some(output.pid),
        "the first event is not from one of procdemo's children: {events:?}"
    );
    check_trace(&path, &events, output.pid, "orphan");
    let _ = std::fs::remove_file(&path);
}

/// A file in a directory that does not exist: procdemo says so, naming the
/// file, and stops before the lesson starts: no event, no process.
#[test]
fn a_trace_file_that_cannot_be_written_stops_procdemo_before_anything_runs() {
    let path = "/nonexistent-dir/x.json";
    let output = run_args(&[
        "lock", "--json", "--pace", "0", "--lang", "en", "--trace", path,
    ]);
    let shown = output.describe();
    assert!(!output.status.success(), "{shown}");
    assert!(output.stdout.is_empty(), "no event: {shown}");
    assert!(
        output.stderr.contains(path),
        "the message names the file: {shown}"
    );
    assert!(output.stderr.contains("--trace"), "{shown}");
    assert!(!PathBuf::from(path).exists());
    assert_no_leftovers(&[output.pid]);
}

/// Ctrl-C while one adder holds the lock and the other waits: the trace is
/// still written, with every event of the record, and ends with `ended`.
/// `--pace 0.5`: the unlocked adders take 0.5 s, then the first locked
/// adder holds the lock for 0.5 s, and the signal comes at its first print.
#[test]
fn an_interrupted_run_still_writes_its_trace_ending_with_ended() {
    let path = trace_path("interrupted");
    let path_arg = path.to_str().expect("a UTF-8 path");
    let args: Vec<&str> = LOCK_HELD_ARGS
        .iter()
        .copied()
        .chain(["--trace", path_arg])
        .collect();
    let mut live = Live::spawn(&args);
    let procdemo = live.pid();
    live.read_until("locked-adder");
    kill(Pid::from_raw(procdemo), Signal::SIGINT).expect("send SIGINT");
    let (status, events, stderr) = live.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_well_formed(&events, "lock", procdemo);
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{events:?}");
    assert_eq!(report::<Ended>(ended).reason, "SIGINT", "{ended}");
    assert!(
        !events.iter().any(|event| step(event) == "adders-in-turn"),
        "the signal came after the locked adders were through: {events:?}"
    );
    assert_no_leftovers(&pids_seen(&events));

    let trace = check_trace(&path, &events, procdemo, "lock");
    let last = trace.last().expect("a trace entry");
    assert_eq!(phase(last), "i", "{last}");
    assert_eq!(last["name"], "ended", "{last}");
    assert_eq!(tid(last), procdemo, "{last}");
    let _ = std::fs::remove_file(&path);
}
