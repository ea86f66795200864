//! `threads`: threads and processes side by side. A thread's store to a
//! global is seen by the other thread; a forked child's is not seen by its
//! parent. Threads are tasks under one pid in `/proc/<pid>/task`. A fault
//! in one thread ends the whole process, in a child only that child. A
//! fork copies only the calling thread, and a lock another thread held
//! stays locked in the child. CPU-bound work speeds up with threads or
//! processes on two CPUs (not pinned to one); CPython's GIL, measured with
//! python3 where present. Last, why procdemo itself forks only while it has
//! one thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::unistd::{Pid, getpid};

use crate::config::within;
use crate::lab::{Lab, PARENT, signal_name};
use crate::os::procfs;
use crate::os::threads::{
    core_pattern, gettid, invalid_write, no_core_dumps, ps_threads, task_ids, task_ids_of,
    task_name, task_state,
};

mod measure;
mod python;
mod reports;
pub use reports::*;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", value_parser = within(1..=ROUNDS_LIMIT, format!("--rounds must be a whole number from 1 to {ROUNDS_LIMIT}: each round takes about 60 ms"), format!("--rounds 必须是 1 到 {ROUNDS_LIMIT} 之间的整数：每一轮大约要 60 毫秒")), allow_negative_numbers = true)]
    pub rounds: Option<u32>,
}

/// Rounds when `--rounds` is not given: fewer at pace 0, where the lesson
/// must stay quick.
fn default_rounds(pace: f64) -> u32 {
    if pace == 0.0 { 3 } else { 5 }
}

/// Rounds of the CPU-bound measurement at most (about 60 ms each).
pub const ROUNDS_LIMIT: u32 = 50;

/// The global both halves of the first steps change. Distinct values, and
/// both fit in an exit code.
static GLOBAL: AtomicI32 = AtomicI32::new(BEFORE);
const BEFORE: i32 = 100;
const AFTER: i32 = 200;

/// The lock a thread holds while its process forks.
static HELD: Mutex<()> = Mutex::new(());

/// The names its threads have (`comm`, as `ps -L` shows them).
const WAITER: &str = "waiter";
const FAULTER: &str = "faulter";
/// Threads of the child that faults: the first and two more.
const THREADS: usize = 3;
/// How long a thread on its way to start, or a process on its way to end,
/// may take.
const SETTLE: Duration = Duration::from_secs(5);

fn address() -> String {
    format!("{:p}", &GLOBAL)
}

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    lab.before("thread-shares")?;
    let shares = lab.fork("threaded", |side| {
        let thread_tid = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    GLOBAL.store(AFTER, Ordering::SeqCst);
                    gettid()
                })
                .join()
        })
        .map_err(|_| anyhow::anyhow!("the second thread panicked"))?;
        side.tell(&ThreadShares {
            address: address(),
            before: BEFORE,
            thread_set: AFTER,
            main_reads: GLOBAL.load(Ordering::SeqCst),
            pid: getpid().as_raw(),
            main_tid: gettid(),
            thread_tid,
        })?;
        Ok(0)
    })?;
    lab.expect_report::<ThreadShares>(shares.pid)?;
    lab.wait(shares.pid)?;

    lab.before("fork-copies")?;
    let copy = lab.fork("child", |_| {
        GLOBAL.store(AFTER, Ordering::SeqCst);
        // The exit code is what comes back to the parent: the child's value.
        Ok(GLOBAL.load(Ordering::SeqCst))
    })?;
    let status = lab.wait(copy.pid)?;
    lab.tell(
        PARENT,
        &ForkCopies {
            address: address(),
            child_pid: copy.pid.as_raw(),
            child_set: AFTER,
            child_exit_code: status.code(),
            parent_reads: GLOBAL.load(Ordering::SeqCst),
        },
    )?;

    lab.before("tasks")?;
    let fault = lab.gate()?;
    let end = lab.gate()?;
    let threaded = lab.fork("threaded", |side| {
        // A crash on purpose must leave no core file behind.
        no_core_dumps().context("setrlimit(RLIMIT_CORE, 0)")?;
        std::thread::scope(|scope| -> Result<()> {
            std::thread::Builder::new()
                .name(WAITER.into())
                .spawn_scoped(scope, || side.wait_for(&end))
                .context("starting a thread")?;
            std::thread::Builder::new()
                .name(FAULTER.into())
                .spawn_scoped(scope, || -> Result<()> {
                    side.wait_for(&fault)?;
                    bail!("the invalid write returned: {}", invalid_write())
                })
                .context("starting a thread")?;
            side.wait_for(&end)
        })?;
        Ok(0)
    })?;
    let (tasks_before, names) = wait_for_threads(threaded.pid)?;
    lab.wait_until_asleep(threaded.pid)?;
    let (mut getpids, mut gettids) = (Vec::new(), Vec::new());
    for &tid in &tasks_before {
        let (tgid, own) = task_ids_of(threaded.pid, tid).context("reading a task's status")?;
        getpids.push(tgid);
        gettids.push(own);
    }
    let faulting_tid = names
        .iter()
        .position(|name| name == FAULTER)
        .map(|at| tasks_before[at])
        .context("no thread named faulter")?;
    lab.tell(
        PARENT,
        &Tasks {
            child_pid: threaded.pid.as_raw(),
            task_ids: tasks_before.clone(),
            getpid_of_each: getpids,
            gettid_of_each: gettids,
            task_names: names,
            threads_line: procfs::status_field(threaded.pid, "Threads"),
            ps_shows: ps_threads(threaded.pid),
        },
    )?;

    lab.before("thread-fault")?;
    let core_limit = limit_line(threaded.pid)?;
    lab.open(&fault);
    lab.wait_until_ended(threaded.pid)?;
    // The zombie's tasks, before it is reaped.
    let tasks_left = task_ids(threaded.pid).context("reading the ended child's tasks")?;
    let left_state = task_state(threaded.pid, threaded.pid.as_raw())
        .context("reading the ended child's first task")?;
    let status = lab.wait(threaded.pid)?;
    lab.tell(
        PARENT,
        &ThreadFault {
            child_pid: threaded.pid.as_raw(),
            faulting_tid,
            tasks_before: tasks_before.clone(),
            wait_status: status.0,
            killed_by: status.signal(),
            signal: status.signal().map(signal_name),
            core_dumped: core_dumped(status.0),
            tasks_left,
            left_state,
            core_limit,
            core_pattern: core_pattern().context("reading /proc/sys/kernel/core_pattern")?,
        },
    )?;
    drop(end);

    lab.before("process-fault")?;
    let sibling_gate = lab.gate()?;
    let sibling = lab.fork("sibling", |side| {
        side.wait_for(&sibling_gate)?;
        Ok(0)
    })?;
    let faulty = lab.fork("faulty", |_| {
        no_core_dumps().context("setrlimit(RLIMIT_CORE, 0)")?;
        bail!("the invalid write returned: {}", invalid_write())
    })?;
    let status = lab.wait(faulty.pid)?;
    let sibling_state = lab.wait_until_asleep(sibling.pid)?.state;
    lab.tell(
        PARENT,
        &ProcessFault {
            faulty_pid: faulty.pid.as_raw(),
            wait_status: status.0,
            killed_by: status.signal(),
            signal: status.signal().map(signal_name),
            core_dumped: core_dumped(status.0),
            sibling_pid: sibling.pid.as_raw(),
            sibling_state,
            parent_threads: procfs::own_thread_count(),
        },
    )?;

    lab.before("fork-in-threads")?;
    lab.open(&sibling_gate);
    lab.wait(sibling.pid)?;
    let wait_ms = lock_wait_ms(lab.pace());
    let forker = lab.fork("forker", move |side| {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| -> Result<()> {
            scope.spawn(move || {
                let guard = HELD.lock();
                let _ = held_tx.send(());
                // Holds the lock until the grandchild has been reaped.
                let _ = release_rx.recv();
                drop(guard);
            });
            held_rx.recv().context("the holding thread did not start")?;
            let parent_tasks = task_ids(getpid()).context("reading /proc/self/task")?;
            let grandchild = side.fork_with_threads("grandchild", |side| {
                let own_tasks = task_ids(getpid()).context("reading /proc/self/task")?;
                let (lock_tries, waited_ms, still_locked) = try_lock_for(wait_ms);
                side.tell(&ForkInThreads {
                    parent_tasks,
                    own_tasks,
                    lock_tries,
                    waited_ms,
                    still_locked,
                })?;
                Ok(0)
            });
            let waited = grandchild.and_then(|pid| side.wait(pid).map(drop));
            let _ = release_tx.send(());
            waited
        })?;
        Ok(0)
    })?;
    let (_, forked) = lab.expect_any_report::<ForkInThreads>()?;
    lab.wait(forker.pid)?;

    lab.before("cpu-bound")?;
    let rounds = args.rounds.unwrap_or_else(|| default_rounds(lab.pace()));
    let measurer = lab.fork("measurer", move |side| {
        side.tell(&measure::cpu_bound(side, rounds)?)?;
        Ok(0)
    })?;
    lab.expect_report::<CpuBound>(measurer.pid)?;
    lab.wait(measurer.pid)?;

    lab.before("python-gil")?;
    let python = python::run(lab)?;
    lab.tell(PARENT, &python)?;

    lab.before("procdemo-rule")?;
    lab.tell(
        PARENT,
        &ProcdemoRule {
            procdemo_pid: lab.pid().as_raw(),
            procdemo_threads: procfs::own_thread_count(),
            most_threads_in_a_child: tasks_before.len().max(forked.parent_tasks.len()),
        },
    )
}

/// Waits until `pid` has its threads, each named (a thread names itself
/// once it runs); returns their ids and names, in the order of the ids.
fn wait_for_threads(pid: Pid) -> Result<(Vec<i32>, Vec<String>)> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let tasks = task_ids(pid).context("reading /proc/<pid>/task")?;
        let names = tasks
            .iter()
            .map(|&tid| task_name(pid, tid))
            .collect::<std::io::Result<Vec<_>>>()
            .context("reading a task's comm")?;
        if tasks.len() == THREADS
            && [WAITER, FAULTER]
                .iter()
                .all(|name| names.iter().any(|n| n == name))
        {
            return Ok((tasks, names));
        }
        if Instant::now() > deadline {
            bail!("{pid} had threads {names:?} after {SETTLE:?}");
        }
        // Starting a thread sends no signal: /proc is read every millisecond.
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The "Max core file size" line of `/proc/<pid>/limits`, spaces squeezed.
fn limit_line(pid: Pid) -> Result<String> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .context("reading /proc/<pid>/limits")?;
    limits
        .lines()
        .find(|line| line.starts_with("Max core file size"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .context("no core size in /proc/<pid>/limits")
}

/// WCOREDUMP: the kernel wrote a core file.
fn core_dumped(status: i32) -> bool {
    status & 0x80 != 0
}

/// How long the grandchild tries the lock: 100 ms at pace 0, 1 s at pace 1.
fn lock_wait_ms(pace: f64) -> u64 {
    (pace * 1000.0).clamp(100.0, 3000.0) as u64
}

/// Tries `HELD` every millisecond for `wait_ms`: how many tries, how long
/// it tried, and whether it was still locked at the end.
fn try_lock_for(wait_ms: u64) -> (u64, u64, bool) {
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        if HELD.try_lock().is_ok() {
            return (tries, started.elapsed().as_millis() as u64, false);
        }
        let waited = started.elapsed().as_millis() as u64;
        if waited >= wait_ms {
            return (tries, waited, true);
        }
        // A timed attempt: try again in a millisecond.
        std::thread::sleep(Duration::from_millis(1));
    }
}
