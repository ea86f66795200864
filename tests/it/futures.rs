//! `procdemo futures`: procdemo's executor on real workers: futures come
//! back in completion order for `as_completed` and in input order for
//! `map`, a raised error leaves its worker alive, workers start all at once
//! or on demand, `shutdown` with and without waiting, and a killed worker
//! fails every unfinished future; checked from the JSON events of real
//! runs, from `/proc` while the lesson holds at a question, and after
//! interrupts and `kill -9`.

use std::io::Write;
use std::sync::OnceLock;
use std::thread;

use crate::common::{
    LessonRun, Live, check_interrupted, check_kill_9, children_of, done_of, events_of,
    held_at_question, only, pid, ppid, proc_stat, report, step,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::futures::{
    AfterShutdown, AsCompleted, FirstSubmit, ManagerConnected, ManagerQueue, Map, OnDemand,
    PlainQueue, ProxyConnected, QueueItems, ResultRaises, Shutdown, ShutdownNowait, Submit,
    TaskRaised, TaskRunning, WorkerKilled,
};

/// One run shared by the tests of facts.
fn futures_run() -> &'static LessonRun {
    static RUN: OnceLock<LessonRun> = OnceLock::new();
    RUN.get_or_init(|| LessonRun::run("futures", &[]))
}

fn sorted(mut values: Vec<usize>) -> Vec<usize> {
    values.sort_unstable();
    values
}

#[test]
fn the_first_submit_forks_every_worker() {
    let run = futures_run();
    let first: FirstSubmit = run.report();
    assert_eq!(first.rule_of, "fork");
    assert_eq!(first.max_workers, 2);
    assert_eq!(first.future, 0);
    assert_eq!(first.workers_before_submit, 0, "{first:?}");
    assert_eq!(first.workers_in_proc, 2, "{first:?}");
    assert_eq!(first.workers.len(), 2, "{first:?}");
    let submit: Submit = run.report();
    assert_eq!(submit.futures, vec![0, 1, 2]);
    assert_eq!(submit.done_at_submit, vec![false, false, false]);
    // Every worker is procdemo's child.
    for event in events_of(&run.events, "task-raised") {
        assert_eq!(ppid(event), run.procdemo);
    }
}

#[test]
fn as_completed_yields_in_the_order_tasks_ended_and_map_in_input_order() {
    let run = futures_run();
    let first: FirstSubmit = run.report();
    let completed: AsCompleted = run.report();
    assert_eq!(sorted(completed.order.clone()), vec![0, 1, 2]);
    assert!(
        completed.ended_us.windows(2).all(|pair| pair[0] <= pair[1]),
        "{completed:?}"
    );
    assert!(
        completed
            .workers
            .iter()
            .all(|worker| first.workers.contains(worker)),
        "{completed:?}"
    );
    // Which order came is the scheduler's; the flags say which it was.
    assert_eq!(
        completed.by_submission,
        completed.order == vec![0, 1, 2],
        "{completed:?}"
    );
    assert_eq!(
        completed.by_duration,
        completed.order == vec![1, 2, 0],
        "{completed:?}"
    );

    let map: Map = run.report();
    assert_eq!(map.yielded_order, map.inputs);
    assert_eq!(map.results, vec![16, 25, 36]);
    let mut completed_order = map.completed_order.clone();
    completed_order.sort_unstable();
    assert_eq!(completed_order, map.inputs);
    assert_eq!(
        map.completion_differs,
        map.completed_order != map.yielded_order
    );
}

/// What decides the order of as_completed: three submits back to back,
/// each task's end its submit, its wait and its own time. Unless some task
/// waited more than the 10 ms that separate the 60 ms task's end from the
/// third task's, the order is 1, 0, 2.
fn check_as_completed(submit: &Submit, completed: &AsCompleted) {
    let what = format!("{submit:?} {completed:?}");
    // A task starts after its submit was called, and sleeps no less than
    // its duration: no wait is negative.
    assert!(completed.waited_us.iter().all(|wait| *wait >= 0), "{what}");
    // Every submit was called before the first task could have ended.
    let last_submit = *submit.submitted_us.iter().max().expect("submits");
    let first_end = *completed.ended_us.iter().min().expect("ends");
    assert!(last_submit < first_end, "{what}");
    assert!(last_submit < submit.durations_ms[0] * 1000, "{what}");
    for (n, future) in completed.order.iter().enumerate() {
        let start = completed.ended_us[n] as i64 - submit.durations_ms[*future] as i64 * 1000;
        assert_eq!(
            start - submit.submitted_us[*future] as i64,
            completed.waited_us[n],
            "{what}"
        );
    }
    let longest_wait = *completed.waited_us.iter().max().expect("waits");
    assert!(
        completed.order == vec![1, 0, 2] || longest_wait > 10_000,
        "{what}"
    );
}

#[test]
fn as_completed_order_comes_from_back_to_back_submits() {
    let run = futures_run();
    check_as_completed(&run.report(), &run.report());
}

/// With `--quiz` and the answers coming late (as a reader's would), the
/// first question is asked before the executor exists: the reading pause
/// falls before the three submits, never between them. Before the mend,
/// task 0 ran alone during the question, and the order was always 0, 1, 2.
#[test]
fn a_reading_pause_at_the_first_question_does_not_change_the_order() {
    let (mut live, mut answers) = held_at_question(&["futures"], "first-submit");
    thread::sleep(std::time::Duration::from_millis(300));
    answers.write_all(b"3\n").expect("answer");
    let question = live.read_until("quiz-question");
    assert_eq!(question["facts"]["quiz"], "as-completed", "{question}");
    thread::sleep(std::time::Duration::from_millis(300));
    answers.write_all(b"3\n").expect("answer");
    let completed: AsCompleted = report(&live.read_until("as-completed"));
    let submit: Submit = report(
        live.events
            .iter()
            .find(|event| step(event) == "submit")
            .expect("submit before as-completed"),
    );
    check_as_completed(&submit, &completed);
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_raised_error_comes_back_and_its_worker_takes_the_next_task() {
    let run = futures_run();
    let first: FirstSubmit = run.report();
    let raised_event = only(&run.events, "task-raised");
    let raised: TaskRaised = report(raised_event);
    assert_eq!(raised.error, "division by zero");
    assert!(first.workers.contains(&pid(raised_event)));
    let result: ResultRaises = run.report();
    assert_eq!(result.future, raised.task);
    assert_eq!(result.error, raised.error);
    assert_eq!(result.worker, pid(raised_event));
    assert_ne!(result.worker_state, "Z", "{result:?}");
    // The worker itself said it runs that task, after the error.
    let running: Vec<(i32, usize)> = run
        .after("task-raised", "task-running")
        .iter()
        .take(2)
        .map(|event| (pid(event), report::<TaskRunning>(event).task))
        .collect();
    assert!(
        running.contains(&(result.worker, result.worker_runs_now)),
        "{running:?} {result:?}"
    );
}

#[test]
fn shutdown_with_wait_reaps_every_worker() {
    let run = futures_run();
    let first: FirstSubmit = run.report();
    let shutdown: Shutdown = run.report();
    let mut workers = shutdown.workers.clone();
    workers.sort_unstable();
    let mut expected = first.workers.clone();
    expected.sort_unstable();
    assert_eq!(workers, expected);
    assert_eq!(shutdown.exitcodes, vec![0, 0]);
    assert_eq!(shutdown.left_in_proc, 0);
}

#[test]
fn on_demand_starts_one_worker_per_submit_and_shutdown_without_wait_returns_at_once() {
    let run = futures_run();
    let demand: OnDemand = run.report();
    assert_eq!(demand.workers_after_first, 1, "{demand:?}");
    assert_eq!(demand.workers_after_second, 2, "{demand:?}");
    let nowait: ShutdownNowait = run.report();
    assert_eq!(nowait.not_done, vec![0, 1]);
    assert_eq!(nowait.workers, demand.workers);
    assert!(
        nowait.worker_states.iter().all(|state| state != "Z"),
        "{nowait:?}"
    );
    let after: AfterShutdown = run.report();
    assert_eq!(after.results, vec![9, 16]);
    assert_eq!(after.exitcodes, vec![0, 0]);
}

#[test]
fn a_killed_worker_fails_every_unfinished_future() {
    let run = futures_run();
    let killed: WorkerKilled = run.report();
    assert_eq!(killed.signal, "SIGKILL");
    assert_eq!(killed.exitcode, -9);
    assert_eq!(killed.failed_futures, vec![0, 1, 2, 3]);
    // Python's exception, a word the lesson's text translates.
    assert_eq!(killed.error, "BrokenProcessPool", "{killed:?}");
    assert!(killed.noticed_after_us > 0, "{killed:?}");
    assert_eq!(killed.terminated.len(), 1, "{killed:?}");
    assert_eq!(killed.terminated_exitcodes, vec![-15]);
    assert!(killed.submit_refused);
    let running = run.after("after-shutdown", "task-running");
    assert!(
        running
            .iter()
            .any(|event| pid(event) == killed.worker && report::<TaskRunning>(event).task == 0),
        "{running:?}"
    );
    // Every process started was reaped.
    done_of(&run.events, run.procdemo, 9);
}

/// While `after-shutdown`'s question is asked, shutdown(wait=False) has
/// returned and both workers still hold their tasks: `/proc` shows them,
/// children of procdemo, asleep.
#[test]
fn an_outside_observer_sees_the_workers_alive_after_shutdown_returned() {
    let (live, answers) = held_at_question(&["futures"], "after-shutdown");
    let nowait: ShutdownNowait = report(
        live.events
            .iter()
            .rev()
            .find(|event| step(event) == "shutdown-nowait")
            .expect("shutdown-nowait before after-shutdown's question"),
    );
    let children = children_of(live.pid());
    for worker in &nowait.workers {
        assert!(children.contains(worker), "{children:?} {nowait:?}");
        let (comm, state) = proc_stat(*worker).expect("the worker's stat");
        assert_eq!((comm.as_str(), state), ("procdemo", 'S'), "{worker}");
    }
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}

/// SIGINT and SIGTERM while the workers hold tasks (at the questions of
/// `after-shutdown` and `worker-killed`): exit 130 or 143, nothing left.
#[test]
fn interrupts_while_workers_hold_tasks_leave_nothing() {
    let runs: Vec<_> = [
        ("after-shutdown", Signal::SIGINT, 130),
        ("worker-killed", Signal::SIGTERM, 143),
        ("result-raises", Signal::SIGTERM, 143),
        ("plain-queue", Signal::SIGINT, 130),
        ("queue-items", Signal::SIGTERM, 143),
    ]
    .into_iter()
    .map(|(quiz, signal, code)| {
        thread::spawn(move || {
            let (live, answers) = held_at_question(&["futures"], quiz);
            let workers = children_of(live.pid());
            assert!(!workers.is_empty(), "{quiz}: no worker to leave behind");
            kill(Pid::from_raw(live.pid()), signal).expect("signal");
            let procdemo = live.pid();
            check_interrupted(live, signal, code, 2, &workers);
            drop(answers);
            assert_no_dir_left(procdemo);
        })
    })
    .collect();
    for run in runs {
        run.join().expect("an interrupt run");
    }
}

/// `kill -9 procdemo` while the workers hold tasks: they die with it.
#[test]
fn kill_9_while_workers_hold_tasks_leaves_no_worker() {
    let (live, answers) = held_at_question(&["futures"], "worker-killed");
    let workers = children_of(live.pid());
    assert_eq!(workers.len(), 2, "{workers:?}");
    check_kill_9(live, &workers, "workers");
    drop(answers);
}

/// `kill -9 procdemo` while the manager serves: manager and workers die
/// with it, and no socket or directory is left (the name went as soon as
/// every proxy was connected).
#[test]
fn kill_9_while_the_manager_serves_leaves_no_process_and_no_socket() {
    let (live, answers) = held_at_question(&["futures"], "queue-items");
    let procdemo = live.pid();
    let running = children_of(procdemo);
    assert_eq!(running.len(), 3, "manager and two workers: {running:?}");
    check_kill_9(live, &running, "manager and workers");
    drop(answers);
    assert_no_dir_left(procdemo);
}

fn manager_dir(procdemo: i32) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("procdemo-futures-{procdemo}"))
}

fn assert_no_dir_left(procdemo: i32) {
    let dir = manager_dir(procdemo);
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn a_plain_queue_made_after_the_workers_is_not_in_them() {
    let run = futures_run();
    let plain: PlainQueue = run.report();
    assert!(plain.queue_pipe.starts_with("pipe:["), "{plain:?}");
    assert!(plain.in_procdemo);
    assert_eq!(plain.in_workers, vec![false, false]);
}

#[test]
fn the_manager_serves_the_workers_proxies_over_a_socket_whose_name_is_gone() {
    let run = futures_run();
    let queue: ManagerQueue = run.report();
    let plain: PlainQueue = run.report();
    assert_eq!(queue.workers, plain.workers);
    assert!(!queue.path_exists);
    assert!(
        queue
            .socket_path
            .ends_with(&format!("procdemo-futures-{}/queue.sock", run.procdemo))
    );
    assert!(queue.peers_match, "{queue:?}");
    // Each worker's own report of its socket is what procdemo read from outside.
    for (worker, socket) in queue.workers.iter().zip(&queue.worker_sockets) {
        let reported: Vec<ProxyConnected> = events_of(&run.events, "proxy-connected")
            .into_iter()
            .filter(|event| pid(event) == *worker)
            .map(report::<ProxyConnected>)
            .collect();
        assert_eq!(reported.len(), 1, "{worker}");
        assert_eq!(&reported[0].socket, socket);
        assert!(socket.starts_with("socket:["));
    }
    let connected_event = only(&run.events, "manager-connected");
    assert_eq!(pid(connected_event), queue.manager);
    assert_eq!(ppid(connected_event), run.procdemo);
    let connected: ManagerConnected = report(connected_event);
    assert_eq!(connected.connections, queue.manager_ends);
    let mut peers: Vec<i32> = connected
        .connections
        .iter()
        .map(|end| end.peer_pid)
        .collect();
    peers.sort_unstable();
    let mut expected = queue.workers.clone();
    expected.push(run.procdemo);
    expected.sort_unstable();
    assert_eq!(peers, expected);
    // Each end of a connection is a socket of its own.
    for end in &connected.connections {
        assert!(!queue.worker_sockets.contains(&end.socket), "{end:?}");
    }
    let items: QueueItems = run.report();
    let mut got = items.items.clone();
    got.sort();
    let mut expected: Vec<String> = queue
        .workers
        .iter()
        .flat_map(|worker| (0..2).map(move |task| format!("({task}, {worker})")))
        .collect();
    expected.retain(|item| got.contains(item));
    assert_eq!(got.len(), 2, "{items:?}");
    assert_eq!(expected.len(), 2, "{items:?} {queue:?}");
    assert_eq!(items.manager_exitcode, 0);
}

/// While `queue-items`' question is asked, the manager runs, each worker's
/// `/proc/<pid>/fd` holds the socket it reported, and the socket's name is
/// gone.
#[test]
fn an_outside_observer_sees_the_manager_and_each_worker_s_socket() {
    let (live, answers) = held_at_question(&["futures"], "queue-items");
    let queue: ManagerQueue = report(
        live.events
            .iter()
            .rev()
            .find(|event| step(event) == "manager-queue")
            .expect("manager-queue before queue-items' question"),
    );
    let children = children_of(live.pid());
    assert!(children.contains(&queue.manager), "{children:?}");
    assert_eq!(
        proc_stat(queue.manager).map(|(comm, _)| comm).as_deref(),
        Some("procdemo")
    );
    for (worker, socket) in queue.workers.iter().zip(&queue.worker_sockets) {
        let fds: Vec<String> = std::fs::read_dir(format!("/proc/{worker}/fd"))
            .expect("the worker's fd directory")
            .flatten()
            .filter_map(|entry| std::fs::read_link(entry.path()).ok())
            .map(|target| target.display().to_string())
            .collect();
        assert!(fds.contains(socket), "{worker}: {fds:?}");
    }
    assert!(!std::path::Path::new(&queue.socket_path).exists());
    assert!(!manager_dir(live.pid()).exists());
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}

/// A directory left by a procdemo killed before it removed it (its owner
/// no longer runs) is swept by the next run, before its first step (even
/// a run that ends there removes it).
#[test]
fn a_directory_left_by_a_dead_procdemo_is_swept() {
    let mut gone = std::process::Command::new("true").spawn().expect("true");
    let dead = gone.id() as i32;
    gone.wait().expect("true ends");
    let dir = manager_dir(dead);
    std::fs::create_dir_all(&dir).expect("a stale directory");
    std::fs::write(dir.join("queue.sock"), b"").expect("a stale name");
    let (live, answers) = held_at_question(&["futures"], "first-submit");
    assert!(!dir.exists(), "{} still there", dir.display());
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_run_at_pace_0_is_quick() {
    let start = std::time::Instant::now();
    let mut live = Live::spawn(&["futures", "--json", "--pace", "0", "--lang", "en"]);
    live.read_until("worker-killed");
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
}
