//! `procdemo join`: join() blocks until the child ends, join(timeout) gives up
//! while it still runs, the exit codes Python reports for five real endings,
//! joining in order versus waiting for whoever ends first, and joining one
//! child before starting the next, checked from the JSON events of real runs.

use std::collections::BTreeSet;

use crate::common::{
    LessonRun, Load, PINNED, UNPINNED, done_of, events_behind, events_of, only, only_report, pid,
    ppid, report, reports, role, sorted, t_us,
};
use procdemo::lessons::join::{
    ChildEnds, ChildWorks, ExitCase, ExitCode, FirstAppends, JoinAgain, JoinInOrder, JoinTimeout,
    JoinWaits, NoOverlap, SecondSees, WaitAny,
};
use serde_json::{Value, json};

/// Runs the lesson at `--pace 0` with a short `--timeout`.
fn join_run() -> LessonRun {
    LessonRun::run("join", &["--timeout", "0.2"])
}

#[test]
fn every_event_comes_from_procdemo_or_one_of_its_children() {
    let run = join_run();
    for event in &run.events {
        match role(event) {
            "parent" => assert_eq!(pid(event), run.procdemo, "{event}"),
            "child" => {
                assert_ne!(pid(event), run.procdemo, "{event}");
                assert_eq!(ppid(event), run.procdemo, "{event}");
            }
            other => panic!("unexpected role {other}: {event}"),
        }
    }
}

#[test]
fn join_blocks_until_the_child_has_ended() {
    let run = join_run();
    let works = only(&run.events, "child-works");
    assert_eq!(role(works), "child");
    assert_eq!(
        report::<ChildWorks>(works).work_ms,
        0,
        "pace 0: no work time"
    );

    let waits = only(&run.events, "join-waits");
    assert_eq!(pid(waits), run.procdemo);
    let facts: JoinWaits = report(waits);
    assert_eq!(facts.child_pid, pid(works));
    assert!(!facts.is_alive, "{waits}");
    assert_eq!(facts.exitcode, 0, "{waits}");
    assert!(run.position("child-works") < run.position("join-waits"));
}

#[test]
fn join_with_a_timeout_gives_up_while_the_child_still_runs() {
    let run = join_run();
    let timeout = only(&run.events, "join-timeout");
    assert_eq!(pid(timeout), run.procdemo);
    let facts: JoinTimeout = report(timeout);
    assert_eq!(facts.timeout_s, 0.2, "{timeout}");
    assert!(facts.is_alive, "{timeout}");
    assert_eq!(facts.exitcode, None, "{timeout}");
    // join(0.2) waits at least the timeout (a lower bound only).
    assert!(facts.waited_ms >= 190, "{timeout}");
    // The child waits at a gate: asleep, or just being scheduled.
    let state = facts.state.as_deref();
    assert!(
        matches!(state, Some("S" | "R")),
        "state {state:?}: {timeout}"
    );

    // Once released, a second join() collects it.
    let again = only(&run.events, "join-again");
    let facts: JoinAgain = report(again);
    assert!(!facts.is_alive, "{again}");
    assert_eq!(facts.exitcode, 0, "{again}");
    assert!(run.position("join-waits") < run.position("join-timeout"));
    assert!(run.position("join-timeout") < run.position("join-again"));
}

#[test]
fn the_shortest_timeout_allowed_works() {
    let run = LessonRun::run("join", &["--timeout", "0.1"]);
    let timeout = only(&run.events, "join-timeout");
    let facts: JoinTimeout = report(timeout);
    assert_eq!(facts.timeout_s, 0.1, "{timeout}");
    assert!(facts.is_alive, "{timeout}");
    assert!(facts.waited_ms >= 95, "{timeout}");
    assert_eq!(only_report::<JoinAgain>(&run.events).exitcode, 0);
}

#[test]
fn five_endings_give_the_exit_codes_python_reports() {
    let run = join_run();
    let codes = events_of(&run.events, "exit-code");
    let facts: Vec<ExitCode> = codes.iter().copied().map(report).collect();
    let cases: Vec<&str> = facts.iter().map(|code| code.case.as_str()).collect();
    assert_eq!(
        cases,
        [
            "target returns",
            "sys.exit(3)",
            "uncaught exception",
            "p.terminate()",
            "p.kill()",
        ]
    );
    let column =
        |of: fn(&ExitCode) -> Option<i32>| -> Vec<Option<i32>> { facts.iter().map(of).collect() };
    assert_eq!(
        column(|code| Some(code.python_exitcode)),
        [Some(0), Some(3), Some(1), Some(-15), Some(-9)]
    );
    assert_eq!(
        column(|code| Some(code.wait_status)),
        [Some(0), Some(768), Some(256), Some(15), Some(9)]
    );
    assert_eq!(
        column(|code| code.exit_code),
        [Some(0), Some(3), Some(1), None, None]
    );
    let signals: Vec<Option<&str>> = facts.iter().map(|code| code.signal.as_deref()).collect();
    assert_eq!(
        signals,
        [None, None, None, Some("SIGTERM"), Some("SIGKILL")]
    );
    for event in &codes {
        assert_eq!(pid(event), run.procdemo, "{event}");
    }

    // Each case is a real child that said which case it is before it ended,
    // and the tree of what ran shows the same endings.
    let reported = events_of(&run.events, "exit-case");
    let reported_cases: Vec<String> = reported
        .iter()
        .map(|event| report::<ExitCase>(event).case)
        .collect();
    assert_eq!(reported_cases, cases);
    let case_pids: Vec<i32> = reported.iter().copied().map(pid).collect();
    assert_eq!(
        case_pids.iter().collect::<BTreeSet<_>>().len(),
        5,
        "one child per case: {case_pids:?}"
    );
    let children = run.done_children();
    let in_tree: Vec<&Value> = case_pids
        .iter()
        .map(|case_pid| {
            children
                .iter()
                .find(|child| child["pid"] == *case_pid)
                .unwrap_or_else(|| panic!("child {case_pid} is not in the done tree"))
        })
        .collect();
    let endings: Vec<(Value, Value)> = in_tree
        .iter()
        .map(|child| {
            (
                child.get("exit_code").cloned().unwrap_or(Value::Null),
                child.get("signal").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        endings,
        [
            (json!(0), Value::Null),
            (json!(3), Value::Null),
            (json!(1), Value::Null),
            (Value::Null, json!("SIGTERM")),
            (Value::Null, json!("SIGKILL")),
        ]
    );
    // Each child reported before procdemo told how it ended.
    for (case, code) in reported.iter().zip(&codes) {
        let at = |wanted: &Value| {
            run.events
                .iter()
                .position(|event| event == wanted)
                .expect("event")
        };
        assert!(at(case) < at(code), "{case} after {code}");
    }
}

#[test]
fn joining_in_order_reaps_in_the_order_started() {
    let run = join_run();
    let in_order = only(&run.events, "join-in-order");
    let facts: JoinInOrder = report(in_order);
    let started = facts.start_order;
    assert_eq!(started.len(), 3, "{in_order}");
    assert_eq!(facts.reap_order, started);
    // A list of booleans, one per child.
    assert_eq!(facts.already_ended_when_joined.len(), 3, "{in_order}");
    // They are three children that each reported the end of their work.
    for child in &started {
        let ends: Vec<&Value> = events_of(&run.events, "child-ends")
            .into_iter()
            .filter(|event| pid(event) == *child)
            .collect();
        assert_eq!(ends.len(), 1, "child {child}: {ends:?}");
        assert_eq!(ppid(ends[0]), run.procdemo);
    }
}

#[test]
fn waiting_for_any_child_reaps_each_of_them_once() {
    let run = join_run();
    let any = only(&run.events, "wait-any");
    let WaitAny {
        start_order: started,
        end_order: ended,
        reap_order: reaped,
        reaped_in_end_order,
        ..
    } = report(any);
    assert_eq!(reaped_in_end_order, reaped == ended, "{any}");
    assert_eq!(started.len(), 3, "{any}");
    assert_eq!(sorted(&reaped), sorted(&started), "{any}");
    assert_eq!(sorted(&ended), sorted(&started), "{any}");
    // Different children from the in-order round.
    let in_order = only_report::<JoinInOrder>(&run.events).start_order;
    assert!(started.iter().all(|pid| !in_order.contains(pid)), "{any}");
    assert_eq!(events_of(&run.events, "child-ends").len(), 6);
}

/// At `--pace 0.5` the three children work 450, 150 and 300 ms: the first
/// started ends last. Joining in order finds the first still running and the
/// others already ended; `waitpid(-1)` reaps them in the order they ended.
/// Each ending is 150 ms from the next, a margin a loaded machine keeps; the
/// run takes about two seconds.
#[test]
fn at_a_slower_pace_whoever_ends_first_is_reaped_first() {
    let run = LessonRun::run_at_pace("join", "0.5", &["--timeout", "0.1"]);
    let in_order = only(&run.events, "join-in-order");
    assert_eq!(
        report::<JoinInOrder>(in_order).already_ended_when_joined,
        [false, true, true],
        "{in_order}"
    );
    let any = only(&run.events, "wait-any");
    let facts: WaitAny = report(any);
    let started = &facts.start_order;
    let expected = vec![started[1], started[2], started[0]];
    assert_eq!(facts.end_order, expected, "{any}");
    assert_eq!(facts.reap_order, expected, "{any}");
    // The work the children report is scaled by the pace.
    let worked: Vec<u64> = reports::<ChildEnds>(&run.events)
        .iter()
        .map(|ends| ends.worked_ms)
        .collect();
    assert_eq!(sorted(&worked), [150, 150, 300, 300, 450, 450]);
    // So each step is told by its first section, in both languages.
    assert!(
        report::<JoinInOrder>(in_order).first_ended_last,
        "{in_order}"
    );
    assert!(facts.reaped_in_end_order, "{any}");
    assert!(!facts.all_ended_before_first_call, "{any}");
    for name in ["child-ends", "join-in-order", "wait-any"] {
        let opening = &run.events[run.position(name)];
        for lang in [procdemo::model::Lang::En, procdemo::model::Lang::Zh] {
            let (told, first, _) = titles(name, lang, opening);
            assert_eq!(told, first, "{lang:?}: {opening}");
        }
    }
}

/// For a step in one language, as the crate parses it: the title told for
/// the event that opens it, its first section's title and its variants'.
fn titles(
    name: &str,
    lang: procdemo::model::Lang,
    opening: &Value,
) -> (String, String, Vec<String>) {
    let lesson = procdemo::lessons::find("join").expect("the join lesson");
    let text = lesson.text(lang).expect("the text parses");
    let (_, step) = text.step(name).expect(name);
    let event: procdemo::model::Event = serde_json::from_value(opening.clone()).expect("an event");
    (
        step.told_for(&event).0.to_string(),
        step.title.clone(),
        step.variants
            .iter()
            .map(|variant| variant.title.clone())
            .collect(),
    )
}

/// The steps whose outcome the order of endings decides are told as it
/// fell, in both languages: `child-ends` by the work done (none at pace 0),
/// `join-in-order` by whether the first started ended last, `wait-any` by
/// whether all had ended before the first `waitpid(-1)`, else by whether
/// they were reaped in the order they ended. The facts agree with the
/// events they summarize.
fn assert_endings_told_as_they_fell(events: &[Value]) {
    let ends = events_of(events, "child-ends");
    assert_eq!(ends.len(), 6);
    let ended = |pids: &[i32]| {
        let mut pids = pids.to_vec();
        pids.sort_by_key(|child| {
            ends.iter()
                .find(|event| pid(event) == *child)
                .map(|event| t_us(event))
        });
        pids
    };
    let in_order = only(events, "join-in-order");
    let in_order_facts: JoinInOrder = report(in_order);
    let end_order = ended(&in_order_facts.start_order);
    assert_eq!(
        in_order_facts.first_ended_last,
        end_order.last() == in_order_facts.start_order.first(),
        "{in_order}"
    );
    let any = only(events, "wait-any");
    let any_facts: WaitAny = report(any);
    assert_eq!(any_facts.end_order, ended(&any_facts.start_order), "{any}");
    assert_eq!(
        any_facts.reaped_in_end_order,
        any_facts.reap_order == any_facts.end_order,
        "{any}"
    );
    if any_facts.all_ended_before_first_call {
        // Linux returns the children that have ended in creation order.
        assert_eq!(any_facts.reap_order, any_facts.start_order, "{any}");
    }
    let first_ends: &Value = ends[0];
    for lang in [procdemo::model::Lang::En, procdemo::model::Lang::Zh] {
        let (told, first, variants) = titles("child-ends", lang, first_ends);
        assert_eq!(variants.len(), 1, "{lang:?}");
        let want = if report::<ChildEnds>(first_ends).worked_ms == 0 {
            &variants[0]
        } else {
            &first
        };
        assert_eq!(&told, want, "{lang:?}: {first_ends}");

        let (told, first, variants) = titles("join-in-order", lang, in_order);
        assert_eq!(variants.len(), 1, "{lang:?}");
        let want = if in_order_facts.first_ended_last {
            &first
        } else {
            &variants[0]
        };
        assert_eq!(&told, want, "{lang:?}: {in_order}");

        let (told, first, variants) = titles("wait-any", lang, any);
        assert_eq!(variants.len(), 2, "{lang:?}");
        let want = if any_facts.all_ended_before_first_call {
            &variants[0]
        } else if !any_facts.reaped_in_end_order {
            &variants[1]
        } else {
            &first
        };
        assert_eq!(&told, want, "{lang:?}: {any}");
    }
}

#[test]
fn the_order_of_endings_is_told_as_it_fell() {
    let events = join_run().events;
    // At pace 0 no child has work.
    assert!(
        reports::<ChildEnds>(&events)
            .iter()
            .all(|ends| ends.worked_ms == 0)
    );
    assert_endings_told_as_they_fell(&events);
}

#[test]
fn the_order_of_endings_is_told_as_it_fell_pinned_to_one_cpu() {
    assert_endings_told_as_they_fell(&join_events(PINNED));
}

#[test]
fn a_child_changes_its_own_copy_of_the_list() {
    let run = join_run();
    let appends = events_of(&run.events, "first-appends");
    let lists: Vec<Vec<i64>> = appends
        .iter()
        .map(|event| report::<FirstAppends>(event).nums)
        .collect();
    assert_eq!(
        lists,
        [vec![11, 22, 0], vec![11, 22, 0, 1], vec![11, 22, 0, 1, 2]]
    );
    let first = pid(appends[0]);
    assert!(
        appends.iter().all(|event| pid(event) == first),
        "{appends:?}"
    );

    let second = only(&run.events, "second-sees");
    assert_ne!(pid(second), first);
    let sees: SecondSees = report(second);
    assert_eq!(sees.nums, [11, 22], "{second}");

    let overlap = only(&run.events, "no-overlap");
    assert_eq!(pid(overlap), run.procdemo);
    let facts: NoOverlap = report(overlap);
    assert!(!facts.overlap, "{overlap}");
    assert_eq!(facts.parent_nums, [11, 22], "{overlap}");
    let (first_done, first_reaped, second_started) = (
        facts.first_done_us,
        facts.first_reaped_us,
        facts.second_started_us,
    );
    assert!(first_done <= first_reaped, "{overlap}");
    assert!(first_reaped <= second_started, "{overlap}");
    // The times are the ones the children reported.
    assert_eq!(first_done, t_us(appends[2]), "{overlap}");
    assert_eq!(second_started, sees.resumed_us, "{overlap}");
}

#[test]
fn done_counts_fifteen_children_started_and_reaped() {
    let run = join_run();
    done_of(&run.events, run.procdemo, 15);
    let done = run.events.last().expect("events");
    let children = run.done_children();
    assert_eq!(children.len(), 15, "{done}");
    // Every child that reported is in the tree.
    for event in run.events.iter().filter(|event| role(event) == "child") {
        assert!(
            children.iter().any(|child| child["pid"] == pid(event)),
            "{event} not in {done}"
        );
    }
}

#[test]
fn steps_come_in_the_order_the_lesson_tells_them() {
    let run = join_run();
    run.assert_steps_in_order(&[
        "join-waits",
        "join-timeout",
        "join-again",
        "exit-code",
        "join-in-order",
        "wait-any",
        "first-appends",
        "second-sees",
        "no-overlap",
        "done",
    ]);
}

/// Runs the lesson behind `prefix` (e.g. `taskset -c 0`) at `--pace 0` with
/// the shortest timeout, checked for leftovers; returns its events.
fn join_events(prefix: &[&str]) -> Vec<Value> {
    events_behind(
        prefix,
        &["join", "--json", "--pace", "0", "--timeout", "0.1"],
    )
}

/// The `join-timeout` step is told as the join fell, in both languages:
/// the first section when it timed out with the child alive, the variant
/// when the child had ended.
fn assert_join_timeout_told_as_it_fell(events: &[Value]) {
    let event = only(events, "join-timeout");
    let facts: JoinTimeout = report(event);
    let opening: procdemo::model::Event = serde_json::from_value(event.clone()).expect("an event");
    let lesson = procdemo::lessons::find("join").expect("the join lesson");
    for lang in [procdemo::model::Lang::En, procdemo::model::Lang::Zh] {
        let text = lesson.text(lang).expect("the text parses");
        let (_, step) = text.step("join-timeout").expect("join-timeout");
        assert_eq!(step.variants.len(), 1, "{lang:?}");
        let want = if facts.is_alive {
            step.title.as_str()
        } else {
            step.variants[0].title.as_str()
        };
        assert_eq!(step.told_for(&opening).0, want, "{lang:?}: {event}");
    }
    // The child waits for procdemo, so this join always times out.
    assert!(facts.is_alive, "{event}");
    assert_eq!(facts.exitcode, None, "{event}");
}

#[test]
fn the_timed_out_join_is_told_as_it_fell() {
    assert_join_timeout_told_as_it_fell(&join_run().events);
}

#[test]
fn the_timed_out_join_is_told_as_it_fell_pinned_to_one_cpu() {
    assert_join_timeout_told_as_it_fell(&join_events(PINNED));
}

#[test]
fn the_timed_out_join_is_told_as_it_fell_with_both_cores_busy() {
    let _load = Load::every_cpu();
    assert_join_timeout_told_as_it_fell(&join_events(UNPINNED));
}
