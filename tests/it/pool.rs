//! `procdemo pool`: a real pool of pre-forked workers with the semantics of
//! Python's `multiprocessing.Pool`. Checked from the JSON events of real
//! runs: every task runs exactly once, on a worker of the pool, and workers
//! are reused; chunks stay whole on one worker; each mode hands results back
//! in its order; `maxtasksperchild` replaces workers, and a new worker is
//! announced before it is seen at work; a worker killed in the
//! middle of a task loses exactly that task (and the rest of its chunk);
//! `terminate()` cuts off the unfinished tasks and nothing else; many tiny
//! tasks do not hang; Ctrl-C and `kill -9` leave nothing running; bad input
//! is refused. After every run no process of it is left (`run_lesson`
//! checks it).
//!
//! The parent's own bookkeeping (`task-lost`, `terminate`, `results`,
//! `pool-summary`) is checked against the workers' `task-end` events in the
//! same output: a task the output shows as finished must be counted as
//! finished, once.
//!
//! Only lower bounds on time are asserted; deadlines only turn hangs into
//! failures.

use std::collections::{BTreeMap, BTreeSet};
use std::thread;

use crate::common::{
    LessonRun, Live, Load, PINNED, UNPINNED, check_interrupted, check_kill_9, children_of,
    events_of, parse_events, pid, ppid, report, reports, role, run_args, run_behind, step,
    still_running, timeline_lanes,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::pool::{
    Close, Join, PoolStart, PoolSummary, Results, Submit, TaskEnd, TaskLost, TaskStart, Terminate,
    WORK_LIMIT_S, Work, WorkerReplaced, durations,
};
use procdemo::model::{Done, Event, Lang, Report};
use serde_json::Value;

const LESSON: &str = "pool";

/// Up to this many tasks, workers report each task's start too.
const TASKS_TOLD_ONE_BY_ONE: usize = 24;

/// The modes whose results come back in the order of the inputs.
const ORDERED_MODES: &[&str] = &["apply", "apply-async", "map", "imap"];

/// One finished run of the lesson at `--pace 0`.
fn pool_run(extra: &[&str]) -> LessonRun {
    LessonRun::run(LESSON, extra)
}

/// What only this lesson's checks ask of a run.
trait PoolRunExt {
    /// Where the only event of `name` is.
    fn only_position(&self, name: &str) -> usize;

    fn has(&self, name: &str) -> bool;

    /// The number of tasks (`pool-start`'s `tasks`).
    fn tasks(&self) -> usize;

    fn mode(&self) -> String;

    /// The workers the pool started with.
    fn first_workers(&self) -> Vec<i32>;

    /// Every `worker-replaced`, checked to come from procdemo, with where
    /// it is in the output.
    fn replacements(&self) -> Vec<(usize, WorkerReplaced)>;

    /// Every worker the pool had: the first ones and their replacements.
    fn all_workers(&self) -> BTreeSet<i32>;

    /// Every `task-start`, in output order, with where it is and the
    /// worker that reports it.
    fn starts(&self) -> Vec<(usize, i32, TaskStart)>;

    /// Every `task-end`, in output order, with where it is. A worker
    /// reports its own tasks; procdemo reports for it the tasks it left in
    /// shared memory (many tasks): either way `worker` names it.
    fn ends(&self) -> Vec<(usize, TaskEnd)>;

    /// The tasks that have a `task-end` in the output.
    fn ended_tasks(&self) -> BTreeSet<usize>;

    /// The tasks of every `task-lost`, in output order.
    fn lost(&self) -> Vec<usize>;

    /// The tasks `terminate` cut off (none without a `terminate`).
    fn cut_off(&self) -> Vec<usize>;

    /// (chunksize, chunks) from `submit`.
    fn chunking(&self) -> (usize, usize);

    /// The output, for failure messages: whole when short, else its
    /// beginning and its end.
    fn shown(&self) -> String;
}

impl PoolRunExt for LessonRun {
    fn only_position(&self, name: &str) -> usize {
        let found: Vec<usize> = (0..self.events.len())
            .filter(|at| step(&self.events[*at]) == name)
            .collect();
        assert_eq!(found.len(), 1, "expected one `{name}` event: {found:?}");
        found[0]
    }

    fn has(&self, name: &str) -> bool {
        self.events.iter().any(|event| step(event) == name)
    }

    fn tasks(&self) -> usize {
        self.procdemo_report::<PoolStart>().tasks
    }

    fn mode(&self) -> String {
        self.procdemo_report::<PoolStart>().mode
    }

    fn first_workers(&self) -> Vec<i32> {
        self.procdemo_report::<PoolStart>().workers
    }

    fn replacements(&self) -> Vec<(usize, WorkerReplaced)> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, event)| step(event) == WorkerReplaced::STEP)
            .map(|(at, event)| {
                self.assert_from_procdemo(event);
                (at, report(event))
            })
            .collect()
    }

    fn all_workers(&self) -> BTreeSet<i32> {
        let mut workers: BTreeSet<i32> = self.first_workers().into_iter().collect();
        workers.extend(self.replacements().iter().map(|(_, replaced)| replaced.new));
        workers
    }

    fn starts(&self) -> Vec<(usize, i32, TaskStart)> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, event)| step(event) == TaskStart::STEP)
            .map(|(at, event)| (at, pid(event), report(event)))
            .collect()
    }

    fn ends(&self) -> Vec<(usize, TaskEnd)> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, event)| step(event) == TaskEnd::STEP)
            .map(|(at, event)| {
                let end: TaskEnd = report(event);
                if role(event) == "worker" {
                    assert_eq!(
                        end.worker,
                        pid(event),
                        "a worker reports its own tasks: {event}"
                    );
                }
                (at, end)
            })
            .collect()
    }

    fn ended_tasks(&self) -> BTreeSet<usize> {
        self.ends().iter().map(|(_, end)| end.task).collect()
    }

    fn lost(&self) -> Vec<usize> {
        events_of(&self.events, TaskLost::STEP)
            .iter()
            .flat_map(|event| {
                self.assert_from_procdemo(event);
                report::<TaskLost>(event).tasks
            })
            .collect()
    }

    fn cut_off(&self) -> Vec<usize> {
        reports::<Terminate>(&self.events)
            .into_iter()
            .flat_map(|terminate| terminate.cut_off)
            .collect()
    }

    fn chunking(&self) -> (usize, usize) {
        let submit: Submit = self.procdemo_report();
        (submit.chunksize, submit.chunks)
    }

    fn shown(&self) -> String {
        let lines: Vec<String> = self.events.iter().map(Value::to_string).collect();
        if lines.len() <= 80 {
            return lines.join("\n");
        }
        let cut = |line: &String| line.chars().take(600).collect::<String>();
        let head: Vec<String> = lines[..40].iter().map(cut).collect();
        let tail: Vec<String> = lines[lines.len() - 10..].iter().map(cut).collect();
        format!(
            "{}\n… ({} lines in all) …\n{}",
            head.join("\n"),
            lines.len(),
            tail.join("\n")
        )
    }
}

/// Everything that holds for every run that was not interrupted: each task
/// ended at most once, on a worker of the pool, with its result; every task
/// not ended was lost or cut off, and none that ended was; chunks, modes,
/// the summary and the closing agree with the workers' reports.
fn check_run(run: &LessonRun) {
    let tasks = run.tasks();
    let first = run.first_workers();
    let shown = run.shown();

    // The pool: distinct workers, none of them procdemo.
    let distinct: BTreeSet<i32> = first.iter().copied().collect();
    assert_eq!(distinct.len(), first.len(), "workers repeat: {first:?}");
    assert!(!first.is_empty(), "no workers");
    assert!(
        !distinct.contains(&run.procdemo),
        "procdemo is not a worker"
    );
    let start = run.only_position("pool-start");
    let submit = run.only_position("submit");
    assert!(start < submit, "pool-start before submit:\n{shown}");

    // Replacements: a worker the pool had leaves, a new process comes.
    let replacements = run.replacements();
    let mut known: BTreeSet<i32> = distinct.clone();
    for (_, replaced) in &replacements {
        assert!(
            known.contains(&replaced.old),
            "{replaced:?}: the old worker was not in the pool:\n{shown}"
        );
        assert_ne!(replaced.old, replaced.new, "{replaced:?}");
        assert!(
            !known.contains(&replaced.new) && replaced.new != run.procdemo,
            "{replaced:?}: the new worker is not a new process:\n{shown}"
        );
        assert!(
            matches!(replaced.reason.as_str(), "maxtasksperchild" | "killed"),
            "{replaced:?}"
        );
        known.insert(replaced.new);
    }
    let workers = run.all_workers();

    // Every event not from procdemo is a worker's report about a task.
    for event in &run.events {
        if pid(event) == run.procdemo {
            assert_eq!(role(event), "parent", "{event}");
            continue;
        }
        assert_eq!(role(event), "worker", "{event}");
        assert_eq!(
            ppid(event),
            run.procdemo,
            "a worker is procdemo's child: {event}"
        );
        assert!(
            workers.contains(&pid(event)),
            "a report from a process that is not a worker of the pool: {event}\nworkers: {workers:?}"
        );
        let task = match step(event) {
            "task-start" => report::<TaskStart>(event).task,
            "task-end" => report::<TaskEnd>(event).task,
            _ => panic!("a worker reports only task-start and task-end: {event}"),
        };
        assert!(task < tasks, "task {task} of {tasks}: {event}");
    }

    // Each task ended at most once, with its result, on a worker that was
    // there by then.
    let ends = run.ends();
    let mut ended: BTreeMap<usize, (usize, &TaskEnd)> = BTreeMap::new();
    for (at, end) in &ends {
        let event = &run.events[*at];
        let task = end.task as u64;
        assert_eq!(end.result, task * task, "result is task²: {event}");
        assert!(end.started_us <= end.ended_us, "{event}");
        assert!(
            *at > submit,
            "a task ended before it was submitted: {event}"
        );
        assert!(
            workers.contains(&end.worker),
            "a task ended on {}, not a worker of the pool {workers:?}: {event}",
            end.worker
        );
        if let Some(earlier) = ended.insert(end.task, (*at, end)) {
            panic!(
                "task {} ended twice: {earlier:?} and {:?}\n{shown}",
                end.task,
                (at, end)
            );
        }
    }

    // Every task is accounted for: ended, lost or cut off, exactly one of
    // them, and what the output shows as ended is what procdemo counted.
    let lost = run.lost();
    let cut_off = run.cut_off();
    let lost_set: BTreeSet<usize> = lost.iter().copied().collect();
    let cut_set: BTreeSet<usize> = cut_off.iter().copied().collect();
    assert_eq!(lost_set.len(), lost.len(), "a task lost twice: {lost:?}");
    assert_eq!(
        cut_set.len(),
        cut_off.len(),
        "a task cut off twice: {cut_off:?}"
    );
    let ended_set: BTreeSet<usize> = ended.keys().copied().collect();
    let ended_and_lost: Vec<usize> = ended_set.intersection(&lost_set).copied().collect();
    assert!(
        ended_and_lost.is_empty(),
        "tasks reported lost by `task-lost` although their `task-end` (with the result) is in the output: {ended_and_lost:?}\n{shown}"
    );
    let ended_and_cut: Vec<usize> = ended_set.intersection(&cut_set).copied().collect();
    assert!(
        ended_and_cut.is_empty(),
        "tasks reported cut off by `terminate` although their `task-end` (with the result) is in the output: {ended_and_cut:?}"
    );
    assert!(lost_set.is_disjoint(&cut_set), "{lost:?} {cut_off:?}");
    let unaccounted: Vec<usize> = (0..tasks)
        .filter(|task| {
            !ended_set.contains(task) && !lost_set.contains(task) && !cut_set.contains(task)
        })
        .collect();
    assert!(
        unaccounted.is_empty(),
        "tasks neither ended, lost nor cut off: {unaccounted:?}\n{shown}"
    );

    // task-start: one per task, from the worker that ended it, before it.
    let starts = run.starts();
    if tasks <= TASKS_TOLD_ONE_BY_ONE {
        let mut started: BTreeMap<usize, (usize, i32)> = BTreeMap::new();
        for (at, by, start) in &starts {
            assert!(
                started.insert(start.task, (*at, *by)).is_none(),
                "task {} started twice:\n{shown}",
                start.task
            );
        }
        for (end_at, end) in ended.values() {
            let (at, by) = started.get(&end.task).unwrap_or_else(|| {
                panic!("task {} ended without a task-start:\n{shown}", end.task)
            });
            assert_eq!(
                *by, end.worker,
                "task {} started and ended on different workers",
                end.task
            );
            assert!(at < end_at, "task {}: task-start after task-end", end.task);
        }
    } else {
        assert!(
            starts.is_empty(),
            "with more than {TASKS_TOLD_ONE_BY_ONE} tasks workers report no task-start: {:?}",
            starts.first()
        );
    }

    // Chunks: a chunk goes whole to one worker, which runs its tasks in order.
    let (chunksize, chunks) = run.chunking();
    assert!(chunksize >= 1);
    assert_eq!(
        chunks,
        tasks.div_ceil(chunksize),
        "chunks for {tasks} tasks of {chunksize}"
    );
    let mode = run.mode();
    let submitted_at_once = run.procdemo_report::<Submit>().submitted_at_once;
    if mode == "apply" {
        assert_eq!(submitted_at_once, 1, "apply submits one task and waits");
    } else {
        assert_eq!(
            submitted_at_once, chunks,
            "{mode} submits every chunk at once"
        );
    }
    let mut sequence_of: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (_, end) in &ends {
        sequence_of.entry(end.worker).or_default().push(end.task);
    }
    for chunk in 0..chunks {
        let members: Vec<&TaskEnd> = (chunk * chunksize..((chunk + 1) * chunksize).min(tasks))
            .filter_map(|task| ended.get(&task).map(|(_, end)| *end))
            .collect();
        let Some(head) = members.first() else {
            continue;
        };
        assert!(
            members.iter().all(|end| end.worker == head.worker),
            "chunk {chunk} ran on several workers: {members:?}"
        );
        let sequence = &sequence_of[&head.worker];
        let from = sequence
            .iter()
            .position(|task| *task == head.task)
            .expect("ran");
        let in_order: Vec<usize> = members.iter().map(|end| end.task).collect();
        assert_eq!(
            sequence.get(from..from + in_order.len()),
            Some(&in_order[..]),
            "chunk {chunk}: its tasks one after another on worker {}",
            head.worker
        );
    }

    // results: arrival in output order; yield by mode.
    let results: Results = run.procdemo_report();
    assert_eq!(results.mode, mode);
    let output_order: Vec<usize> = ends.iter().map(|(_, end)| end.task).collect();
    assert_eq!(
        results.arrival_order, output_order,
        "arrival_order is the order of the task-end events"
    );
    if ORDERED_MODES.contains(&mode.as_str()) {
        let in_input_order: Vec<usize> = ended_set.iter().copied().collect();
        assert_eq!(
            results.yield_order, in_input_order,
            "{mode} yields in input order"
        );
        assert!(results.in_input_order, "{results:?}");
    } else {
        assert_eq!(mode, "imap-unordered");
        assert_eq!(
            results.yield_order, results.arrival_order,
            "imap_unordered yields as results arrive"
        );
    }

    // pool-summary: the same counts.
    let summary_event = run.by_procdemo("pool-summary");
    let summary: PoolSummary = report(summary_event);
    assert_eq!(summary.tasks, tasks, "{summary:?}");
    assert_eq!(
        summary.completed,
        ended_set.len(),
        "completed counts the tasks whose task-end is in the output ({:?})",
        ended_set
    );
    assert_eq!(summary.lost, lost, "{summary:?}");
    let counted: BTreeMap<i32, usize> = summary
        .tasks_per_worker
        .iter()
        .map(|(worker, count)| {
            (
                worker.parse().expect("a pid"),
                count.as_u64().expect("a count") as usize,
            )
        })
        .collect();
    let expected: BTreeMap<i32, usize> = sequence_of
        .iter()
        .map(|(worker, sequence)| (*worker, sequence.len()))
        .collect();
    assert_eq!(counted, expected, "tasks_per_worker");
    assert_eq!(counted.values().sum::<usize>(), ended_set.len());
    // Idle workers: of every worker the pool had, those that finished no
    // task and were not killed, or stopped by terminate(), in the middle
    // of one (a worker at a cut-off task is seen by its task-start, so
    // only when the run is told one by one).
    let mut at_work: BTreeSet<i32> = reports::<TaskLost>(&run.events)
        .into_iter()
        .filter(|lost| !lost.tasks.is_empty())
        .map(|lost| lost.worker)
        .collect();
    let cut_off = run.cut_off();
    at_work.extend(
        run.starts()
            .into_iter()
            .filter(|(_, _, start)| cut_off.contains(&start.task))
            .map(|(_, worker, _)| worker),
    );
    let idle = run
        .all_workers()
        .into_iter()
        .filter(|worker| !counted.contains_key(worker) && !at_work.contains(worker))
        .count();
    if cut_off.is_empty() {
        assert_eq!(summary.idle_workers, idle, "idle_workers: {summary:?}");
    } else {
        // A worker may have taken its chunk and not yet told a task-start
        // when terminate() came: procdemo knows, the output may not.
        assert!(summary.idle_workers <= idle, "idle_workers: {summary:?}");
    }
    // The text says what happened: whether any task finished, which
    // workers ran tasks, and whether the pool was faster than the tasks
    // one after another.
    let idle = summary.idle_workers;
    let slow = summary.speedup <= 1.0;
    let told = match (summary.completed == 0, idle > 0, slow) {
        (true, _, _) => Some("completed == 0"),
        (false, true, true) => Some("idle_workers > 0 and speedup <= 1"),
        (false, true, false) => Some("idle_workers > 0"),
        (false, false, true) => Some("speedup <= 1"),
        (false, false, false) => None,
    };
    assert_told(summary_event, told);
    // The timeline: one lane per worker. Told one by one, one span per task
    // it finished, labelled with the task, from its start to its end; with
    // many tasks it is summarised: spans cover the worker's tasks, unlabelled.
    let lanes = timeline_lanes(&summary.timeline);
    if tasks <= TASKS_TOLD_ONE_BY_ONE {
        let raw_lanes = summary.timeline["lanes"]
            .as_array()
            .unwrap_or_else(|| panic!("timeline lanes are a list"));
        let mut spans = 0;
        for (lane, raw) in lanes.iter().zip(raw_lanes) {
            let raw_spans = raw["spans"].as_array().into_iter().flatten();
            for (span, raw_span) in lane.spans.iter().zip(raw_spans) {
                spans += 1;
                let task: usize = raw_span["label"]
                    .as_str()
                    .and_then(|label| label.parse().ok())
                    .unwrap_or_else(|| panic!("a span labelled with its task: {raw_span}"));
                let (_, end) = ended.get(&task).unwrap_or_else(|| {
                    panic!("a span for task {task}, which has no task-end: {raw_span}")
                });
                assert_eq!(
                    (lane.pid, span.from_us, span.to_us),
                    (end.worker, end.started_us, end.ended_us),
                    "the span of task {task} in lane {}: {raw_span}",
                    lane.label
                );
            }
        }
        assert_eq!(
            spans,
            ended_set.len(),
            "one timeline span per finished task"
        );
    } else {
        for lane in &lanes {
            let worker_ends: Vec<&TaskEnd> = ended
                .values()
                .map(|(_, end)| *end)
                .filter(|end| end.worker == lane.pid)
                .collect();
            assert!(
                !worker_ends.is_empty() || lane.spans.is_empty(),
                "lane {} ran no task",
                lane.label
            );
            for end in worker_ends {
                assert!(
                    lane.spans
                        .iter()
                        .any(|span| span.from_us <= end.started_us && end.ended_us <= span.to_us),
                    "no span of lane {} covers a task of {}",
                    lane.label,
                    end.worker
                );
            }
        }
    }

    // Closing: close and join, or terminate; then results, summary, done.
    let results_at = run.only_position("results");
    let summary_at = run.only_position("pool-summary");
    assert!(results_at < summary_at && summary_at < run.events.len() - 1);
    if run.has("terminate") {
        let terminate_at = run.only_position("terminate");
        assert!(
            !run.has("close") && !run.has("join"),
            "terminate() ends the pool without close/join:\n{shown}"
        );
        assert!(
            replacements.iter().all(|(at, _)| *at < terminate_at),
            "no worker is replaced after terminate():\n{shown}"
        );
        assert!(terminate_at < results_at);
    } else {
        let close: Close = run.procdemo_report();
        let join: Join = run.procdemo_report();
        let (close_at, join_at) = (run.only_position("close"), run.only_position("join"));
        assert!(
            ends.iter().all(|(at, _)| *at < close_at),
            "close() comes after every result:\n{shown}"
        );
        assert!(close_at < join_at && join_at < results_at);
        let stop_records = close.stop_records;
        assert!(
            stop_records >= 1 && stop_records <= first.len(),
            "{close:?}"
        );
        assert_eq!(join.workers_exited, stop_records, "{join:?}");
        // close() tells of the lost tasks when there are some.
        assert_eq!(close.tasks_lost, lost.len(), "{close:?}");
        let close_event = run.by_procdemo("close");
        assert_told(close_event, (!lost.is_empty()).then_some("tasks_lost > 0"));
        assert_eq!(join.exit_codes, vec![0; stop_records], "{join:?}");
    }

    // done: every process started was reaped: the first workers and one per
    // replacement.
    let done_event = run.by_procdemo("done");
    let done: Done = report(done_event);
    assert_eq!(
        done.processes_reaped, done.processes_started,
        "{done_event}"
    );
    assert_eq!(
        done.processes_started as usize,
        first.len() + replacements.len(),
        "{done_event}"
    );
}

/// The title the lesson text tells in `lang` for the step that `event`
/// opens: the first variant whose condition its facts satisfy, else the
/// first section's.
fn told_title(event: &Value, lang: Lang) -> String {
    let text = procdemo::lessons::find(LESSON)
        .expect("the pool lesson")
        .text(lang)
        .expect("the pool lesson's text");
    let (_, step_text) = text.step(step(event)).expect("the step's text");
    let event: Event = serde_json::from_value(event.clone()).expect("an event");
    step_text.told_for(&event).0.to_string()
}

/// The title of the variant of `step_id` whose condition is written
/// `condition` in `lang` (`None`: the first section's), as the facts
/// themselves say it should be told.
fn title_of(step_id: &str, condition: Option<&str>, lang: Lang) -> String {
    let text = procdemo::lessons::find(LESSON)
        .expect("the pool lesson")
        .text(lang)
        .expect("the pool lesson's text");
    let (_, step_text) = text.step(step_id).expect("the step's text");
    match condition {
        None => step_text.title.clone(),
        Some(condition) => step_text
            .variants
            .iter()
            .find(|variant| variant.condition.source() == condition)
            .unwrap_or_else(|| panic!("no variant [{condition}] of {step_id}"))
            .title
            .clone(),
    }
}

/// Both languages tell `event`'s step with the variant written `condition`.
fn assert_told(event: &Value, condition: Option<&str>) {
    for lang in [Lang::En, Lang::Zh] {
        assert_eq!(
            told_title(event, lang),
            title_of(step(event), condition, lang),
            "{lang:?}: the variant told must be the one the facts select ({condition:?}): {event}"
        );
    }
}

/// The default chunk size of `map`: about four chunks per worker.
fn map_chunksize(tasks: usize, workers: usize) -> usize {
    tasks.div_ceil(4 * workers).max(1)
}

#[test]
fn every_task_runs_once_on_a_reused_worker_of_the_pool() {
    let run = pool_run(&["--workers", "3", "--tasks", "10", "--seed", "7"]);
    check_run(&run);
    let start: PoolStart = run.procdemo_report();
    assert_eq!(start.workers.len(), 3, "{start:?}");
    assert_eq!(start.seed, 7, "{start:?}");
    assert_eq!(start.work, "sleep", "{start:?}");
    assert_eq!(run.mode(), "map", "map is the default mode");
    assert!(run.replacements().is_empty() && run.lost().is_empty());
    assert_eq!(
        run.ended_tasks(),
        (0..10).collect::<BTreeSet<_>>(),
        "every task ended"
    );
    // Every task ran on one of the three workers, and some worker ran
    // several: the pool reuses its processes.
    let mut per_worker: BTreeMap<i32, usize> = BTreeMap::new();
    for (_, end) in run.ends() {
        assert!(run.first_workers().contains(&end.worker), "{end:?}");
        *per_worker.entry(end.worker).or_default() += 1;
    }
    assert!(
        per_worker.values().any(|count| *count >= 2),
        "no worker ran two tasks: {per_worker:?}"
    );
    assert_eq!(run.chunking(), (map_chunksize(10, 3), 10));
    assert_eq!(
        run.procdemo_report::<Results>().yield_order,
        (0..10).collect::<Vec<_>>()
    );
    let close: Close = run.procdemo_report();
    assert_eq!(close.stop_records, 3, "{close:?}");
}

#[test]
fn each_mode_hands_results_back_in_its_order() {
    for mode in ["apply", "apply-async", "map", "imap", "imap-unordered"] {
        for (workers, tasks, work) in [("3", "10", "sleep"), ("2", "40", "spin")] {
            let run = pool_run(&[
                "--mode",
                mode,
                "--workers",
                workers,
                "--tasks",
                tasks,
                "--work",
                work,
            ]);
            check_run(&run);
            let (workers, tasks): (usize, usize) =
                (workers.parse().unwrap(), tasks.parse().unwrap());
            assert_eq!(run.mode(), mode);
            assert_eq!(run.procdemo_report::<PoolStart>().work, work);
            assert_eq!(run.ended_tasks().len(), tasks, "{mode}: every task ended");
            let results: Results = run.procdemo_report();
            if mode == "imap-unordered" {
                assert_eq!(results.yield_order, results.arrival_order, "{mode}");
            } else {
                assert_eq!(
                    results.yield_order,
                    (0..tasks).collect::<Vec<_>>(),
                    "{mode}"
                );
            }
            let expected_chunksize = if mode == "map" {
                map_chunksize(tasks, workers)
            } else {
                1
            };
            assert_eq!(
                run.chunking(),
                (expected_chunksize, tasks.div_ceil(expected_chunksize)),
                "{mode}: the default chunksize"
            );
        }
    }
}

/// apply waits for each result before it submits the next task: in the
/// output each task starts only after the one before it ended.
#[test]
fn apply_runs_one_task_at_a_time() {
    let run = pool_run(&["--mode", "apply", "--workers", "3", "--tasks", "8"]);
    check_run(&run);
    let told: Vec<(String, usize)> = run
        .events
        .iter()
        .filter(|event| matches!(step(event), "task-start" | "task-end"))
        .map(|event| {
            let task = match step(event) {
                "task-start" => report::<TaskStart>(event).task,
                _ => report::<TaskEnd>(event).task,
            };
            (step(event).to_string(), task)
        })
        .collect();
    let expected: Vec<(String, usize)> = (0..8)
        .flat_map(|task| {
            [
                ("task-start".to_string(), task),
                ("task-end".to_string(), task),
            ]
        })
        .collect();
    assert_eq!(told, expected, "apply: start 0, end 0, start 1, …");
}

#[test]
fn an_explicit_chunksize_cuts_the_tasks_into_whole_chunks() {
    for (mode, tasks) in [
        ("map", "10"),
        ("imap", "10"),
        ("imap-unordered", "11"),
        ("map", "7"),
    ] {
        let run = pool_run(&[
            "--mode",
            mode,
            "--workers",
            "3",
            "--tasks",
            tasks,
            "--chunksize",
            "3",
        ]);
        check_run(&run);
        let tasks: usize = tasks.parse().unwrap();
        assert_eq!(run.chunking(), (3, tasks.div_ceil(3)), "{mode}");
        assert_eq!(run.ended_tasks().len(), tasks, "{mode}");
    }
}

#[test]
fn many_tasks_are_reported_by_their_end_only() {
    let run = pool_run(&["--workers", "3", "--tasks", "100", "--work", "none"]);
    check_run(&run);
    assert!(!run.has("task-start"), "no task-start above 24 tasks");
    assert_eq!(run.ended_tasks(), (0..100).collect::<BTreeSet<_>>());
    assert_eq!(run.chunking(), (map_chunksize(100, 3), 12));
}

/// The tasks' durations at pace 1: up to 30 tasks as drawn (the default
/// 10 among them); thousands shrunk alike to add up to `WORK_LIMIT_S`.
#[test]
fn thousands_of_tasks_shrink_to_a_bounded_time_and_few_do_not() {
    for seed in [0, 1, 42, u64::MAX] {
        let thirty = durations(30, Work::Sleep, seed);
        assert!(thirty.iter().all(|s| (0.2..=1.0).contains(s)), "{thirty:?}");
        let ten = durations(10, Work::Sleep, seed);
        assert_eq!(ten, thirty[..10], "10 tasks are never shrunk");
        for tasks in [3000, 5000, 100_000] {
            let many = durations(tasks, Work::Sleep, seed);
            let total: f64 = many.iter().sum();
            assert!(
                (total - WORK_LIMIT_S).abs() < 1e-6,
                "{tasks} tasks add up to {total} s"
            );
            // Shrunk alike: the same draws, by one factor.
            let factor = many[0] / ten[0];
            assert!(factor < 1.0, "{factor}");
            for (shrunk, drawn) in many.iter().zip(&ten) {
                assert!((shrunk / drawn - factor).abs() < 1e-9, "{shrunk} {drawn}");
            }
        }
        assert_eq!(durations(5000, Work::None, seed), vec![0.0; 5000]);
    }
}

/// 3000 tasks at pace 0.1 (0.2 to 1 ms each after shrinking, 3 s in all)
/// end in a bounded time, every one once, and procdemo tells them while
/// chunks are still running, not only at a chunk's end: the progress bar
/// moves task by task.
#[test]
fn thousands_of_tasks_end_soon_and_are_told_as_they_go() {
    let tasks = 3000;
    let run = LessonRun::run_at_pace(
        LESSON,
        "0.1",
        &["--workers", "2", "--tasks", "3000", "--seed", "7"],
    );
    check_run(&run);
    assert_eq!(run.ended_tasks(), (0..tasks).collect::<BTreeSet<_>>());
    let summary: PoolSummary = run.procdemo_report();
    // 30 s × 0.1 of sleep, and each sleep's overshoot: a bound, not a timing.
    assert!(
        summary.task_ms_sum <= 6000,
        "the tasks' time is not bounded: {summary:?}"
    );
    let (chunksize, _) = run.chunking();
    let mut chunk_ends: BTreeMap<usize, u64> = BTreeMap::new();
    for (_, end) in run.ends() {
        let last = chunk_ends.entry(end.task / chunksize).or_default();
        *last = (*last).max(end.ended_us);
    }
    let told_early = run
        .events
        .iter()
        .filter(|event| step(event) == TaskEnd::STEP)
        .filter(|event| {
            let end: TaskEnd = report(event);
            let told_us = event["t_us"].as_u64().expect("t_us");
            told_us < chunk_ends[&(end.task / chunksize)]
        })
        .count();
    assert!(
        told_early > tasks / 2,
        "only {told_early} of {tasks} tasks were told before their chunk ended (chunks of {chunksize})"
    );
}

/// `--maxtasksperchild 1 --chunksize 1`: each worker runs one task and
/// leaves; a new process takes its place.
#[test]
fn maxtasksperchild_replaces_each_worker_after_its_chunks() {
    let run = pool_run(&[
        "--workers",
        "2",
        "--tasks",
        "6",
        "--maxtasksperchild",
        "1",
        "--chunksize",
        "1",
    ]);
    check_run(&run);
    let shown = run.shown();
    let replacements: Vec<WorkerReplaced> = run
        .replacements()
        .into_iter()
        .map(|(_, replaced)| replaced)
        .collect();
    assert!(!replacements.is_empty(), "no worker-replaced:\n{shown}");
    for replaced in &replacements {
        assert_eq!(replaced.reason, "maxtasksperchild", "{replaced:?}");
        assert_ne!(replaced.old, replaced.new);
    }
    let olds: BTreeSet<i32> = replacements.iter().map(|r| r.old).collect();
    assert_eq!(olds.len(), replacements.len(), "a worker leaves only once");
    // No worker ran more than one chunk (here: one task).
    let mut per_worker: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (_, end) in run.ends() {
        per_worker.entry(end.worker).or_default().push(end.task);
    }
    assert!(
        per_worker.values().all(|tasks| tasks.len() == 1),
        "a worker ran more than its one chunk: {per_worker:?}"
    );
    assert_eq!(run.ended_tasks(), (0..6).collect::<BTreeSet<_>>());
    // Six tasks, one per worker: the two first workers and at least four of
    // their replacements ran them (that each replacement is announced before
    // it reports is `a_replacement_is_announced_before_its_tasks`). A
    // replacement forked once no chunk is left to take only waits for its
    // stop record, as in Python's Pool, which keeps its size until close().
    let new_ones_that_ran: Vec<i32> = replacements
        .iter()
        .map(|r| r.new)
        .filter(|new| per_worker.contains_key(new))
        .collect();
    assert!(
        new_ones_that_ran.len() >= 4,
        "new workers ran the later tasks: {new_ones_that_ran:?}\n{shown}"
    );
    // Every worker that left had run its chunk first.
    for replaced in &replacements {
        assert!(per_worker.contains_key(&replaced.old), "{replaced:?}");
    }
}

#[test]
fn maxtasksperchild_2_lets_a_worker_run_two_chunks() {
    let run = pool_run(&[
        "--workers",
        "2",
        "--tasks",
        "12",
        "--maxtasksperchild",
        "2",
        "--chunksize",
        "2",
    ]);
    check_run(&run);
    let mut per_worker: BTreeMap<i32, usize> = BTreeMap::new();
    for (_, end) in run.ends() {
        *per_worker.entry(end.worker).or_default() += 1;
    }
    assert!(
        per_worker.values().all(|tasks| *tasks <= 4),
        "a worker ran more than two chunks of two: {per_worker:?}"
    );
    assert!(!run.replacements().is_empty(), "{}", run.shown());
    assert_eq!(run.ended_tasks(), (0..12).collect::<BTreeSet<_>>());
}

/// The reports of replacement workers that come before the
/// `worker-replaced` that brings them in, described.
fn reports_before_announcement(run: &LessonRun) -> Vec<String> {
    let replacements = run.replacements();
    // (where, step, task, worker) of every task-start and task-end.
    let starts = (run.starts().into_iter())
        .map(|(at, worker, start)| (at, TaskStart::STEP, start.task, worker));
    let ends = (run.ends().into_iter()).map(|(at, end)| (at, TaskEnd::STEP, end.task, end.worker));
    let mut told: Vec<(usize, &str, usize, i32)> = starts.chain(ends).collect();
    told.sort_unstable();
    told.into_iter()
        .filter_map(|(at, step, task, worker)| {
            let (replaced_at, replaced) = replacements
                .iter()
                .find(|(_, replaced)| replaced.new == worker)?;
            (at < *replaced_at).then(|| {
                format!(
                    "line {}: {step} of task {task} by {worker}, announced only at line {} (worker-replaced {} -> {})",
                    at + 1,
                    replaced_at + 1,
                    replaced.old,
                    replaced.new
                )
            })
        })
        .collect()
}

/// A new worker is announced before it is seen at work: no `task-start`
/// or `task-end` of a replacement comes before the `worker-replaced` that
/// brings it in. 24 tasks, one per worker: over 20 replacements a run, each
/// a chance for the new worker to report first; up to four runs.
#[test]
fn a_replacement_is_announced_before_its_tasks() {
    for _ in 0..4 {
        let run = pool_run(&[
            "--workers",
            "2",
            "--tasks",
            "24",
            "--maxtasksperchild",
            "1",
            "--chunksize",
            "1",
        ]);
        check_run(&run);
        assert!(run.replacements().len() >= 22, "{}", run.shown());
        let early = reports_before_announcement(&run);
        assert!(
            early.is_empty(),
            "new workers reported tasks before the `worker-replaced` that introduces them:\n{}\n\n{}",
            early.join("\n"),
            run.shown()
        );
    }
}

/// `--crash-task I`: the worker running task I is killed by SIGKILL; the
/// unfinished tasks of its chunk are lost, every other task is completed
/// once, and a new worker takes its place. Checked for several runs, as
/// whether the killed worker ran earlier tasks varies from run to run.
fn check_crash(extra: &[&str], crash: usize, expected_lost: &[usize]) {
    let run = pool_run(extra);
    check_run(&run);
    let shown = run.shown();
    let tasks = run.tasks();

    let lost_events = reports::<TaskLost>(&run.events);
    assert_eq!(lost_events.len(), 1, "one worker died:\n{shown}");
    let lost = &lost_events[0];
    assert_eq!(lost.signal.as_deref(), Some("SIGKILL"), "{lost:?}");
    assert_eq!(
        lost.tasks, expected_lost,
        "the tasks lost with the worker killed in task {crash} ({extra:?}):\n{shown}"
    );
    let killed = lost.worker;
    assert!(run.all_workers().contains(&killed), "{lost:?}");
    if tasks <= TASKS_TOLD_ONE_BY_ONE {
        let (_, by, _) = run
            .starts()
            .into_iter()
            .find(|(_, _, start)| start.task == crash)
            .unwrap_or_else(|| panic!("task {crash} never started:\n{shown}"));
        assert_eq!(
            by, killed,
            "the worker killed is the one running task {crash}"
        );
    }

    let replaced = run.replacements();
    let by_kill: Vec<&WorkerReplaced> = replaced
        .iter()
        .map(|(_, replaced)| replaced)
        .filter(|replaced| replaced.reason == "killed")
        .collect();
    assert_eq!(by_kill.len(), 1, "{replaced:?}");
    assert_eq!(by_kill[0].old, killed, "{replaced:?}");

    let expected_ended: BTreeSet<usize> = (0..tasks)
        .filter(|task| !expected_lost.contains(task))
        .collect();
    assert_eq!(
        run.ended_tasks(),
        expected_ended,
        "every task but the lost ones completed"
    );
    let summary: PoolSummary = run.procdemo_report();
    assert_eq!(summary.lost, expected_lost, "{summary:?}");
    assert_eq!(
        summary.completed,
        tasks - expected_lost.len(),
        "completed == tasks - lost: {summary:?}"
    );
    // The counts hold finished tasks only: the killed worker is in them
    // with the tasks it finished before, and missing if it finished none,
    // as the summary's text says.
    let finished_by_killed = run
        .ends()
        .iter()
        .filter(|(_, end)| end.worker == killed)
        .count();
    let counted = summary
        .tasks_per_worker
        .get(&killed.to_string())
        .map(|count| count.as_u64().expect("a count") as usize);
    assert_eq!(
        counted,
        (finished_by_killed > 0).then_some(finished_by_killed),
        "the killed worker's count: {summary:?}"
    );

    // The killed worker is in the tree, killed by SIGKILL.
    let done = run.by_procdemo("done");
    let tree = report::<Done>(done).tree;
    let children = tree["children"]
        .as_array()
        .unwrap_or_else(|| panic!("a tree with children: {done}"));
    let node = children
        .iter()
        .find(|child| child["pid"].as_i64() == Some(killed as i64))
        .unwrap_or_else(|| panic!("the killed worker is not in the tree: {done}"));
    assert_eq!(node["signal"], "SIGKILL", "{node}");
}

#[test]
fn after_a_lost_task_close_does_not_say_every_task_has_a_result() {
    // The run: `check_run` checks the close variant told.
    check_crash(
        &["--workers", "2", "--tasks", "4", "--crash-task", "1"],
        1,
        &[1],
    );
    let run = pool_run(&["--workers", "2", "--tasks", "4", "--crash-task", "1"]);
    let close: Close = run.procdemo_report();
    assert_eq!(close.tasks_lost, 1, "{close:?}");
}

#[test]
fn at_pace_0_the_summary_tells_which_workers_ran_and_how_fast() {
    // One worker may take nearly every task at --pace 0; whatever fell,
    // `check_run` checks that the summary's variant matches the facts.
    for _ in 0..3 {
        check_run(&pool_run(&["--workers", "3"]));
    }
}

#[test]
fn the_summary_is_told_as_the_run_fell_pinned_and_with_every_cpu_busy() {
    let args = ["pool", "--workers", "3", "--json", "--pace", "0"];
    check_run(&run_behind(PINNED, &args));
    let _load = Load::every_cpu();
    check_run(&run_behind(UNPINNED, &args));
    check_run(&run_behind(PINNED, &args));
}

#[test]
fn a_single_worker_is_told_as_no_faster() {
    let run = pool_run(&["--workers", "1", "--tasks", "5"]);
    check_run(&run);
    let summary: PoolSummary = run.procdemo_report();
    assert!(summary.speedup <= 1.0, "{summary:?}");
    assert_eq!(summary.idle_workers, 0, "{summary:?}");
    assert_told(run.by_procdemo("pool-summary"), Some("speedup <= 1"));
}

#[test]
fn more_workers_than_chunks_leave_a_worker_idle_and_the_text_says_so() {
    let run = pool_run(&["--workers", "3", "--tasks", "2"]);
    check_run(&run);
    let summary: PoolSummary = run.procdemo_report();
    assert!(summary.idle_workers >= 1, "{summary:?}");
    let told = told_title(run.by_procdemo("pool-summary"), Lang::En);
    assert!(
        [
            title_of("pool-summary", Some("idle_workers > 0"), Lang::En),
            title_of(
                "pool-summary",
                Some("idle_workers > 0 and speedup <= 1"),
                Lang::En
            ),
        ]
        .contains(&told),
        "{told}"
    );
}

#[test]
fn a_worker_killed_mid_task_loses_that_task_only() {
    for _ in 0..3 {
        check_crash(
            &["--workers", "2", "--tasks", "6", "--crash-task", "2"],
            2,
            &[2],
        );
    }
}

#[test]
fn a_worker_killed_mid_chunk_loses_the_rest_of_its_chunk() {
    let chunks_of_two = |crash: &'static str| {
        [
            "--workers",
            "2",
            "--tasks",
            "6",
            "--crash-task",
            crash,
            "--chunksize",
            "2",
        ]
    };
    for _ in 0..2 {
        check_crash(&chunks_of_two("2"), 2, &[2, 3]);
        // Task 2 ran to its end on the worker then killed in task 3.
        check_crash(&chunks_of_two("3"), 3, &[3]);
    }
}

/// In apply mode the worker killed has no result pending but its own.
#[test]
fn a_worker_killed_in_apply_mode_loses_that_task_only() {
    check_crash(
        &[
            "--mode",
            "apply",
            "--workers",
            "2",
            "--tasks",
            "5",
            "--crash-task",
            "3",
        ],
        3,
        &[3],
    );
}

/// Two workers at pace 0.5, whose sleep tasks take 0.1 to 0.5 s each,
/// and terminate() after `after` seconds.
fn terminated_run(tasks: &str, after: &str) -> LessonRun {
    let options = [
        "--workers",
        "2",
        "--tasks",
        tasks,
        "--terminate-after",
        after,
    ];
    LessonRun::run_at_pace(LESSON, "0.5", &options)
}

/// Sleep tasks at pace 0.5 take 0.1 to 0.5 s each: terminate() at 0.3 s
/// finds tasks unfinished.
#[test]
fn terminate_cuts_off_the_unfinished_tasks() {
    let run = terminated_run("20", "0.3");
    check_run(&run);
    let terminate_event = run.by_procdemo("terminate");
    let terminate: Terminate = report(terminate_event);
    check_terminate(&run, &terminate);
    assert_eq!(terminate.after_s, 0.3, "{terminate:?}");
    // Lower bounds only: terminate() came no sooner than asked, and each
    // sleep task took at least its shortest time at this pace.
    assert!(
        terminate_event["t_us"].as_u64().unwrap_or_default() >= 300_000,
        "terminate() came before 0.3 s: {terminate_event}"
    );
    for (_, end) in run.ends() {
        assert!(end.ended_us - end.started_us >= 100_000, "{end:?}");
    }
}

#[test]
fn terminate_before_any_task_ends_is_told_as_nothing_finished() {
    // Each task sleeps at least 0.1 s at this pace; terminate() comes
    // after 0.01 s.
    let run = terminated_run("4", "0.01");
    check_run(&run);
    let summary: PoolSummary = run.procdemo_report();
    assert_eq!(summary.completed, 0, "{summary:?}");
    assert_told(run.by_procdemo("pool-summary"), Some("completed == 0"));
}

fn check_terminate(run: &LessonRun, terminate: &Terminate) {
    let tasks = run.tasks();
    let cut = terminate.tasks_cut_off;
    assert_eq!(cut, terminate.cut_off.len(), "{terminate:?}");
    assert!(
        cut > 0,
        "terminate() came before every task ended: {terminate:?}"
    );
    let stopped = &terminate.workers_stopped;
    assert_eq!(stopped.len(), run.first_workers().len(), "{terminate:?}");
    assert!(
        stopped.iter().all(|code| *code == -15),
        "every worker stopped by SIGTERM: {terminate:?}"
    );
    let summary: PoolSummary = run.procdemo_report();
    assert_eq!(
        summary.completed + cut,
        tasks,
        "completed + cut off == tasks: {summary:?}"
    );
    let done_event = run.by_procdemo("done");
    let done: Done = report(done_event);
    assert_eq!(
        done.processes_started, done.processes_reaped,
        "{done_event}"
    );
}

/// The run the text-coverage test makes: many tasks of no work, terminated
/// almost at once, with the default number of workers.
#[test]
fn terminate_of_many_tiny_tasks_agrees_with_the_output() {
    let run = pool_run(&[
        "--tasks",
        "100000",
        "--work",
        "none",
        "--terminate-after",
        "0.02",
    ]);
    let cpus = thread::available_parallelism()
        .map_or(1, usize::from)
        .min(64);
    assert_eq!(
        run.first_workers().len(),
        cpus,
        "one worker per CPU by default"
    );
    check_terminate(&run, &run.procdemo_report());
    check_run(&run);
}

/// Many tasks of no work, one per chunk: the pool's own cost, without a hang.
/// (20000 tasks take 1.4 to 2.4 s in a debug build on an idle 2-core
/// machine, too long for this suite next to the 100000-task run: 5000, about
/// 0.4 s, show the same.)
#[test]
fn many_tiny_tasks_one_per_chunk_all_complete() {
    let tasks = 5000;
    let run = pool_run(&[
        "--workers",
        "3",
        "--tasks",
        &tasks.to_string(),
        "--work",
        "none",
        "--chunksize",
        "1",
    ]);
    let summary: PoolSummary = run.procdemo_report();
    assert_eq!(summary.completed, tasks, "{summary:?}");
    assert_eq!(summary.lost, Vec::<usize>::new());
    let mut arrival = run.procdemo_report::<Results>().arrival_order;
    arrival.sort_unstable();
    assert_eq!(
        arrival,
        (0..tasks).collect::<Vec<_>>(),
        "each task arrived once"
    );
    assert_eq!(run.chunking(), (1, tasks));
    let join: Join = run.procdemo_report();
    assert_eq!(join.exit_codes, vec![0, 0, 0], "{join:?}");
    assert!(
        !run.has("task-start"),
        "no task-start above {TASKS_TOLD_ONE_BY_ONE} tasks"
    );
    assert_eq!(events_of(&run.events, "task-end").len(), tasks);
}

/// A slow pool (each task 4 to 20 s) that has just started its first task.
fn start_slow_pool() -> (Live, Vec<i32>) {
    let mut live = Live::spawn(&[
        "pool",
        "--json",
        "--pace",
        "20",
        "--lang",
        "en",
        "--workers",
        "2",
        "--tasks",
        "6",
    ]);
    let start = live.read_until("pool-start");
    let workers = report::<PoolStart>(&start).workers;
    live.read_until("task-start");
    assert!(
        workers.iter().all(|worker| still_running(*worker)),
        "the workers run: {workers:?}"
    );
    let mut running = workers;
    running.extend(children_of(live.pid()));
    (live, running)
}

fn check_slow_pool_interrupted(signal: Signal, exit_code: i32) {
    let (live, running) = start_slow_pool();
    kill(Pid::from_raw(live.pid()), signal).expect("send the signal");
    check_interrupted(live, signal, exit_code, 2, &running);
}

#[test]
fn sigint_ends_pool_cleanly_while_workers_run_tasks() {
    check_slow_pool_interrupted(Signal::SIGINT, 130);
}

#[test]
fn sigterm_ends_pool_cleanly_while_workers_run_tasks() {
    check_slow_pool_interrupted(Signal::SIGTERM, 143);
}

/// `kill -9 procdemo`: it cannot clean up, but its workers die with it.
#[test]
fn kill_9_during_pool_leaves_no_worker_running() {
    let (live, running) = start_slow_pool();
    check_kill_9(live, &running, "workers");
}

/// Each bad value is refused with a non-zero exit and a message naming the
/// option, before any worker starts.
#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--workers", "0"], &["--workers", "1", "64"]),
        (&["--workers", "1000"], &["--workers", "1", "64"]),
        (&["--tasks", "0"], &["--tasks", "1", "100000"]),
        (&["--tasks", "100001"], &["--tasks", "1", "100000"]),
        (&["--chunksize", "0"], &["--chunksize"]),
        (&["--terminate-after", "0"], &["--terminate-after"]),
        (&["--maxtasksperchild", "0"], &["--maxtasksperchild"]),
        (&["--mode", "bogus"], &["--mode", "bogus", "imap-unordered"]),
        (&["--work", "bogus"], &["--work", "bogus", "sleep"]),
    ];
    for (bad, words) in cases {
        let mut args = vec!["pool", "--json", "--pace", "0", "--lang", "en"];
        args.extend_from_slice(bad);
        let output = run_args(&args);
        let code = output.status.code();
        assert!(
            code.is_some_and(|code| code != 0),
            "{bad:?} must fail:\n{}",
            output.describe()
        );
        for word in *words {
            assert!(
                output.stderr.contains(word),
                "{bad:?}: the message must name {word:?}:\n{}",
                output.describe()
            );
        }
        assert!(!output.stderr.contains("panicked"), "{}", output.describe());
        let events = parse_events(&output.stdout);
        assert!(
            events.iter().all(|event| step(event) == "ended"),
            "{bad:?}: nothing ran:\n{}",
            output.describe()
        );
    }
}

/// Options that are each valid but not together are a usage error (exit 2)
/// before anything starts, named in the learner's language: a crash task
/// outside the tasks, a chunksize for methods that take none; and a
/// negative number is a bad value, not an unknown argument.
#[test]
fn options_that_do_not_go_together_are_refused_at_parse_time() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--tasks", "10", "--crash-task", "10"],
            "they are numbered 0 to 9",
            "任务编号是 0 到 9",
        ),
        (
            &["--mode", "apply", "--chunksize", "2"],
            "--chunksize goes with --mode map",
            "--chunksize 只能和 --mode map",
        ),
        (
            &["--mode", "apply-async", "--chunksize", "2"],
            "take no chunksize",
            "没有 chunksize 参数",
        ),
        (&["--crash-task", "-1"], "below --tasks", "小于 --tasks"),
        (&["--seed", "-1"], "the seed must be", "种子必须是"),
    ];
    for (bad, english, chinese) in cases {
        for (lang, words) in [("en", english), ("zh", chinese)] {
            let mut args = vec!["pool", "--json", "--pace", "0", "--lang", lang];
            args.extend_from_slice(bad);
            let output = run_args(&args);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{bad:?}\n{}",
                output.describe()
            );
            assert!(
                output.stderr.contains(words),
                "{bad:?} in {lang}: the message must say {words:?}:\n{}",
                output.describe()
            );
            assert!(
                output.stdout.is_empty(),
                "{bad:?}: nothing started:\n{}",
                output.describe()
            );
        }
    }
}
