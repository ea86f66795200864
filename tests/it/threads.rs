//! `procdemo threads`: a thread's store is seen by the other thread, a
//! forked child's is not; threads are tasks under one pid; a fault in a
//! thread ends the process, in a child only the child; a fork among
//! threads copies one and leaves a held lock locked; CPU-bound speed-ups
//! by the facts; procdemo itself stays single-threaded. Checked from the
//! JSON events, and from outside while the lesson is held.

use std::fs;
use std::thread;

use crate::common::{
    LessonRun, check_interrupted, check_kill_9, children_of, held_at_question, on_path, only,
    report,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::threads::{
    CpuBound, ForkCopies, ForkInThreads, ProcdemoRule, ProcessFault, PythonGil, Tasks, ThreadFault,
    ThreadShares,
};

fn run() -> LessonRun {
    LessonRun::run("threads", &[])
}

#[test]
fn shared_by_threads_copied_by_fork() {
    let run = run();
    let shares: ThreadShares = report(only(&run.events, "thread-shares"));
    assert_eq!(
        (shares.before, shares.thread_set, shares.main_reads),
        (100, 200, 200)
    );
    assert_eq!(shares.main_tid, shares.pid);
    assert_ne!(shares.thread_tid, shares.pid);
    let copies: ForkCopies = report(run.by_procdemo("fork-copies"));
    assert_eq!(copies.address, shares.address, "the same address in both");
    assert_eq!(copies.child_exit_code, Some(200));
    assert_eq!(copies.parent_reads, 100);
}

#[test]
fn threads_are_tasks_and_a_fault_ends_them_all() {
    let run = run();
    let tasks: Tasks = report(run.by_procdemo("tasks"));
    assert_eq!(tasks.task_ids.len(), 3, "{tasks:?}");
    assert!(
        tasks
            .getpid_of_each
            .iter()
            .all(|&pid| pid == tasks.child_pid)
    );
    assert_eq!(tasks.gettid_of_each, tasks.task_ids);
    assert_eq!(tasks.threads_line.as_deref(), Some("3"));
    assert_eq!(tasks.task_names[1..], ["waiter", "faulter"]);
    let fault: ThreadFault = report(run.by_procdemo("thread-fault"));
    assert_eq!(fault.child_pid, tasks.child_pid);
    assert_eq!(fault.killed_by, Some(11));
    assert_eq!(fault.signal.as_deref(), Some("SIGSEGV"));
    assert!(!fault.core_dumped);
    assert_eq!(
        fault.tasks_left,
        [tasks.child_pid],
        "only the zombie leader"
    );
    assert_eq!(fault.left_state, "Z", "the leader left is a zombie");
    let pattern = fs::read_to_string("/proc/sys/kernel/core_pattern").expect("core_pattern");
    assert_eq!(fault.core_pattern, pattern.trim_end());
    assert!(
        fault.core_limit.starts_with("Max core file size 0 0"),
        "{}",
        fault.core_limit
    );
    let alone: ProcessFault = report(run.by_procdemo("process-fault"));
    assert_eq!(alone.killed_by, Some(11));
    assert!(!alone.core_dumped);
    assert_eq!(alone.sibling_state, "S");
    assert_eq!(alone.parent_threads, Some(1));
}

#[test]
fn fork_among_threads_copies_one_and_the_lock_stays_held() {
    let run = run();
    let event = only(&run.events, "fork-in-threads");
    assert_eq!(event["role"], "grandchild");
    let fork: ForkInThreads = report(event);
    assert_eq!(fork.parent_tasks.len(), 2);
    assert_eq!(fork.own_tasks, [event["pid"].as_i64().expect("pid") as i32]);
    assert!(fork.still_locked);
    assert!(fork.waited_ms >= 100 && fork.lock_tries > 1, "{fork:?}");
    let rule: ProcdemoRule = report(run.by_procdemo("procdemo-rule"));
    assert_eq!(rule.procdemo_threads, Some(1));
}

/// One ÷ two, to a hundredth, as the lesson computes a speed-up.
fn speedup(one: f64, two: f64) -> f64 {
    (one / two * 100.0).round() / 100.0
}

#[test]
fn measurements_are_consistent_with_their_verdicts() {
    let run = run();
    let cpu: CpuBound = report(only(&run.events, "cpu-bound"));
    assert_eq!(cpu.rounds, 3, "3 at pace 0");
    assert!(cpu.one_min_ms > 0.0 && cpu.one_min_ms <= cpu.one_median_ms);
    assert!(cpu.threads_min_ms <= cpu.threads_median_ms);
    // Each speed-up is worked out from the two figures shown beside it.
    for (one, two, shown) in [
        (
            cpu.threads_one_min_ms,
            cpu.threads_min_ms,
            cpu.threads_speedup,
        ),
        (
            cpu.processes_one_min_ms,
            cpu.processes_min_ms,
            cpu.processes_speedup,
        ),
        (
            cpu.pinned_threads_one_min_ms,
            cpu.pinned_threads_min_ms,
            cpu.pinned_threads_speedup,
        ),
        (
            cpu.pinned_processes_one_min_ms,
            cpu.pinned_processes_min_ms,
            cpu.pinned_processes_speedup,
        ),
    ] {
        assert_eq!(shown, speedup(one, two), "{cpu:?}");
    }
    // The pooled one-thread min is over the unpinned rounds only.
    for one in [cpu.threads_one_min_ms, cpu.processes_one_min_ms] {
        assert!(
            one >= cpu.one_min_ms,
            "the pooled min is the least: {cpu:?}"
        );
    }
    assert_eq!(
        cpu.sped_up,
        cpu.threads_speedup >= 1.5 && cpu.processes_speedup >= 1.5
    );
    // On one CPU, faster than 1.15 is disturbance; on n CPUs, more than
    // min(n, 2) × 1.15.
    assert_eq!(
        cpu.pinned_sped_up,
        cpu.pinned_threads_speedup > 1.15 || cpu.pinned_processes_speedup > 1.15
    );
    assert_eq!(cpu.most_speedup, cpu.usable_cpus.min(2) as f64 * 1.15);
    assert_eq!(cpu.pinned_most_speedup, 1.15);
    assert_eq!(cpu.unit_short, cpu.unit_ms < 2.5, "{cpu:?}");
    assert_eq!(
        cpu.disturbed,
        cpu.pinned_sped_up
            || cpu.threads_speedup > cpu.most_speedup
            || cpu.processes_speedup > cpu.most_speedup,
        "{cpu:?}"
    );
    let loadavg = fs::read_to_string("/proc/loadavg").expect("loadavg");
    assert_eq!(cpu.load_average.split(' ').count(), 3, "{cpu:?}");
    assert_eq!(loadavg.split(' ').count(), 5, "{loadavg}");
    let python: PythonGil = report(run.by_procdemo("python-gil"));
    assert_eq!(python.present, on_path("python3"));
    assert_eq!(python.usable_cpus, cpu.usable_cpus);
    if python.present {
        assert_eq!(python.exit_code, Some(0), "{python:?}");
        let (one, threads, processes) = (
            python.one_ms.expect("one"),
            python.threads_ms.expect("threads"),
            python.processes_ms.expect("processes"),
        );
        assert!(python.gil_enabled.is_some(), "{python:?}");
        assert_eq!(python.python_threads_speedup, Some(speedup(one, threads)));
        assert_eq!(
            python.python_processes_speedup,
            Some(speedup(one, processes))
        );
        let threads_over = speedup(one, threads) > 1.15;
        let processes_over = speedup(one, processes) > 1.15;
        assert_eq!(
            python.python_disturbed,
            (python.gil_enabled == Some(true) && threads_over)
                || (python.usable_cpus == 1 && processes_over),
            "{python:?}"
        );
    } else {
        assert_eq!(python.threads_ms, None);
    }
    // The timed processes are counted in `done`: two a round, unpinned and
    // pinned (python3's are its own, not counted).
    let done: procdemo::model::Done = report(run.events.last().expect("events"));
    assert_eq!(
        done.processes_measured,
        4 * u64::from(cpu.rounds),
        "{done:?}"
    );
}

/// On one CPU the verdicts follow the same figures: pinned with taskset,
/// one usable CPU, and a speed-up over 1.15 there is disturbance.
#[test]
fn on_one_cpu_faster_than_one_is_disturbance() {
    let run = crate::common::run_behind(
        crate::common::PINNED,
        &["threads", "--json", "--pace", "0", "--lang", "en"],
    );
    let cpu: CpuBound = report(only(&run.events, "cpu-bound"));
    assert_eq!(cpu.usable_cpus, 1);
    assert_eq!(cpu.most_speedup, 1.15);
    assert_eq!(
        cpu.disturbed,
        cpu.threads_speedup > 1.15 || cpu.processes_speedup > 1.15 || cpu.pinned_sped_up,
        "{cpu:?}"
    );
    let python: PythonGil = report(run.by_procdemo("python-gil"));
    assert_eq!(python.usable_cpus, 1);
    if python.exit_code == Some(0) {
        assert_eq!(
            python.python_disturbed,
            python.python_threads_speedup.expect("threads") > 1.15
                || python.python_processes_speedup.expect("processes") > 1.15,
            "{python:?}"
        );
    }
}

/// Held at `thread-fault`'s question, the child with three threads is
/// read from outside: three tasks, each with the child's pid as `Tgid`.
#[test]
fn an_outside_observer_sees_the_tasks_then_interrupts() {
    let (live, _answers) = held_at_question(&["threads"], "thread-fault");
    let children = children_of(live.pid());
    assert_eq!(children.len(), 1, "{children:?}");
    let child = children[0];
    let tasks: Vec<String> = fs::read_dir(format!("/proc/{child}/task"))
        .expect("task dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    for tid in &tasks {
        let status =
            fs::read_to_string(format!("/proc/{child}/task/{tid}/status")).expect("status");
        assert!(status.contains(&format!("\nTgid:\t{child}\n")), "{status}");
    }
    kill(Pid::from_raw(live.pid()), Signal::SIGINT).expect("kill");
    check_interrupted(live, Signal::SIGINT, 130, 3, &children);
}

#[test]
fn interrupts_and_kill_9_at_held_steps_leave_nothing() {
    let cases = [
        ("fork-copies", Some((Signal::SIGTERM, 143))),
        ("fork-in-threads", Some((Signal::SIGINT, 130))),
        ("thread-fault", None),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(quiz, signal)| {
            thread::spawn(move || {
                let (live, _answers) = held_at_question(&["threads"], quiz);
                let running = children_of(live.pid());
                match signal {
                    Some((signal, code)) => {
                        kill(Pid::from_raw(live.pid()), signal).expect("kill");
                        check_interrupted(live, signal, code, 1, &running);
                    }
                    None => {
                        check_kill_9(live, &running, "the threaded child");
                    }
                }
            })
        })
        .collect();
    for run in runs {
        run.join().expect("an interrupted run");
    }
}

/// The program procdemo runs with python3 is the one both texts show.
#[test]
fn the_python_it_runs_is_the_python_it_shows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = fs::read_to_string(root.join("src/lessons/threads/gil.py")).expect("gil.py");
    for lang in ["en", "zh"] {
        let text =
            fs::read_to_string(root.join(format!("lessons/{lang}/threads.md"))).expect("text");
        assert!(text.contains(&format!("```python\n{program}```")), "{lang}");
    }
}

/// While procdemo waits for python3 (here stopped, so it would never end
/// by itself), SIGINT ends the lesson at once: exit 130, nothing left.
#[test]
fn an_interrupt_while_python3_runs_ends_the_lesson_at_once() {
    if !on_path("python3") {
        panic!("python3 is not on PATH: this test needs it");
    }
    let mut live = crate::common::Live::spawn_command(crate::common::procdemo(&[
        "threads", "--json", "--pace", "0", "--lang", "en",
    ]));
    live.read_until("cpu-bound");
    let python = loop {
        let found = children_of(live.pid())
            .into_iter()
            .find(|&pid| crate::common::proc_stat(pid).is_some_and(|(comm, _)| comm == "python3"));
        if let Some(pid) = found {
            break pid;
        }
        thread::sleep(std::time::Duration::from_millis(1));
    };
    kill(Pid::from_raw(python), Signal::SIGSTOP).expect("stop python3");
    let started = std::time::Instant::now();
    kill(Pid::from_raw(live.pid()), Signal::SIGINT).expect("kill");
    check_interrupted(live, Signal::SIGINT, 130, 1, &[python]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "procdemo waited {:?} for a stopped python3 (its cap is 20 s)",
        started.elapsed()
    );
}

/// The Python twins that crash turn core dumps off in the crashing
/// process, as procdemo does: with `ulimit -c unlimited` no core file is
/// left where `core_pattern` would put one.
#[test]
fn the_crashing_twins_leave_no_core_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pattern = fs::read_to_string("/proc/sys/kernel/core_pattern").expect("core_pattern");
    for lang in ["en", "zh"] {
        let text =
            fs::read_to_string(root.join(format!("lessons/{lang}/threads.md"))).expect("text");
        let crashing: Vec<&str> = text
            .split("```python\n")
            .skip(1)
            .filter_map(|block| block.split("```").next())
            .filter(|program| program.contains("string_at(0)"))
            .collect();
        assert_eq!(crashing.len(), 2, "{lang}: thread-fault and process-fault");
        for program in crashing {
            assert!(
                program.contains("resource.setrlimit(resource.RLIMIT_CORE, (0, 0))"),
                "{lang}: {program}"
            );
            if lang == "zh" || pattern.starts_with('|') || !on_path("python3") {
                continue;
            }
            let dir = std::env::temp_dir().join(format!("procdemo-core-{}", std::process::id()));
            fs::create_dir_all(&dir).expect("dir");
            fs::write(dir.join("twin.py"), program).expect("program");
            let status = std::process::Command::new("sh")
                .args(["-c", "ulimit -c unlimited && python3 twin.py >/dev/null"])
                .current_dir(&dir)
                .status()
                .expect("sh");
            let left: Vec<_> = fs::read_dir(&dir)
                .expect("read dir")
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name != "twin.py")
                .collect();
            fs::remove_dir_all(&dir).expect("remove dir");
            assert!(status.success(), "{program}");
            assert!(left.is_empty(), "core left: {left:?}\n{program}");
        }
    }
}
