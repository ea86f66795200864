//! `costs`: what a process costs, measured in this run. fork + wait,
//! fork + exec and `posix_spawn` of `/bin/true`, a thread created and
//! joined (in a demo child), a pipe round trip between two processes and a
//! channel round trip between two threads, a context switch (pipe
//! ping-pong on one CPU), an idle child's memory (RSS, PSS, shared and
//! private), a copy-on-write fault, Python's own figures when python3 is
//! there, and the table that turns "processes are expensive" into numbers.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sched::sched_getcpu;
use nix::unistd::getpid;

use crate::config::within;
use crate::lab::{CHILD, Lab, PARENT, Tie};
use crate::model::Report;
use crate::os::costs::{self, Pages};
use crate::os::exec::{self, Program};
use crate::os::procfs;
use crate::os::states::usable_cpus;
use crate::os::threads::pin_to;
use crate::os::wait::ExitStatus;
use ping_pong::PingPong;

mod ping_pong;
mod python;
mod reports;
pub use reports::*;

/// The most rounds `--rounds` takes: 5000 rounds of every operation end in
/// a few seconds (fork + exec is the slowest, under a millisecond here).
pub const ROUNDS_LIMIT: usize = 5000;
/// Rounds at pace 1; `--pace` scales them, down to `ROUNDS_AT_LEAST`.
const ROUNDS_AT_PACE_1: f64 = 200.0;
const ROUNDS_AT_LEAST: usize = 50;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", value_parser = within(1..=ROUNDS_LIMIT, format!("the rounds must be a whole number from 1 to {ROUNDS_LIMIT}, so that the lesson ends in seconds"), format!("轮数必须是 1 到 {ROUNDS_LIMIT} 之间的整数，这样本课几秒内就能结束")), allow_negative_numbers = true)]
    pub rounds: Option<usize>,
}

/// Rounds of each measurement: `--rounds`, or 200 at pace 1 scaled by the
/// pace (at least 50, so that a median means something).
fn rounds(lab: &Lab, args: &Args) -> usize {
    args.rounds.unwrap_or_else(|| {
        ((ROUNDS_AT_PACE_1 * lab.pace()).round() as usize).clamp(ROUNDS_AT_LEAST, ROUNDS_LIMIT)
    })
}

/// Microseconds, to a tenth.
fn us(nanos: u64) -> f64 {
    (nanos as f64 / 100.0).round() / 10.0
}

fn nanos(took: Duration) -> u64 {
    u64::try_from(took.as_nanos()).unwrap_or(u64::MAX)
}

/// Sorts the times (ns) and gives their min and median, in µs.
fn min_median(times: &mut [u64]) -> Result<(f64, f64)> {
    if times.is_empty() {
        bail!("no round was measured");
    }
    times.sort_unstable();
    Ok((us(times[0]), us(times[times.len() / 2])))
}

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    let rounds = rounds(lab, args);
    let fork_wait = fork_wait(lab, rounds)?;
    let spawn = spawn(lab, rounds)?;
    let thread = thread(lab, rounds)?;
    let pipe = pipe_round_trip(lab, rounds)?;
    let switch = context_switch(lab, rounds)?;
    let memory = idle_memory(lab)?;
    let cow = cow_fault(lab, rounds)?;
    let python = python::measure(lab, rounds)?;
    lab.before(Table::STEP)?;
    let pair = |min: f64, median: f64| format!("{min} / {median} µs");
    let python_pair = |min: Option<f64>, median: Option<f64>| match (min, median) {
        (Some(min), Some(median)) => pair(min, median),
        _ => "—".to_string(),
    };
    lab.tell(
        PARENT,
        &Table {
            fork_wait: pair(fork_wait.fork_wait_min_us, fork_wait.fork_wait_median_us),
            fork_exec: pair(spawn.fork_exec_min_us, spawn.fork_exec_median_us),
            posix_spawn: pair(spawn.spawn_min_us, spawn.spawn_median_us),
            thread: pair(thread.thread_min_us, thread.thread_median_us),
            pipe_round_trip: pair(pipe.pipe_min_us, pipe.pipe_median_us),
            channel_round_trip: pair(thread.channel_min_us, thread.channel_median_us),
            context_switch: format!("{} µs", switch.switch_us),
            cow_fault: pair(cow.first_write_min_us, cow.first_write_median_us),
            python_process: python_pair(
                python.process_start_join_min_us,
                python.process_start_join_median_us,
            ),
            python_fork: python_pair(python.os_fork_min_us, python.os_fork_median_us),
            idle_child_private_kib: memory.child_private_kib,
            idle_child_rss_kib: memory.child_rss_kib,
            // From the fastest rounds: on a busy machine a median also holds
            // waiting for a CPU, which the fastest round is nearest to not.
            threads_per_fork: ratio(fork_wait.fork_wait_min_us, thread.thread_min_us),
            spawns_per_second: (1_000_000.0 / spawn.spawn_min_us.max(0.1)) as u64,
            pipe_per_channel: ratio(pipe.pipe_min_us, thread.channel_min_us),
        },
    )
}

/// `a / b` to a tenth.
fn ratio(a: f64, b: f64) -> f64 {
    (a / b.max(0.1) * 10.0).round() / 10.0
}

fn fork_wait(lab: &mut Lab, rounds: usize) -> Result<ForkWait> {
    lab.before(ForkWait::STEP)?;
    let mut times = Vec::with_capacity(rounds);
    // No SIGCHLD handler inside a timed round: delivered once, after.
    let blocked = costs::SigchldBlocked::new().context("blocking SIGCHLD")?;
    for _ in 0..rounds {
        lab.between_rounds()?;
        let (took, status) = costs::time_fork_wait().context("fork + waitpid")?;
        check_exit_0(lab, status, "the forked child")?;
        lab.measured(1);
        times.push(nanos(took));
    }
    drop(blocked);
    let (min, median) = min_median(&mut times)?;
    let report = ForkWait {
        rounds,
        fork_wait_min_us: min,
        fork_wait_median_us: median,
        procdemo_rss_kib: procfs::memory_summary(getpid())
            .context("reading /proc/self/smaps_rollup")?
            .rss_kb,
    };
    lab.tell(PARENT, &report)?;
    Ok(report)
}

fn spawn(lab: &mut Lab, rounds: usize) -> Result<Spawn> {
    lab.before(Spawn::STEP)?;
    let path = "/bin/true";
    let program = Program::new(path, &["true"]).context("building true's arguments")?;
    let (mut forked, mut spawned) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    // No SIGCHLD handler inside a timed round: delivered once, after.
    let blocked = costs::SigchldBlocked::new().context("blocking SIGCHLD")?;
    // Taken in turns, so that a busy moment of the machine hits both.
    for _ in 0..rounds {
        lab.between_rounds()?;
        let (took, status) = exec::time_fork_exec(&program).context("fork + execve")?;
        check_exit_0(lab, status, path)?;
        lab.measured(1);
        forked.push(nanos(took));
        let (took, status) = exec::time_posix_spawn(&program).context("posix_spawn")?;
        check_exit_0(lab, status, path)?;
        spawned.push(nanos(took));
        lab.measured(1);
    }
    drop(blocked);
    let (fork_exec_min_us, fork_exec_median_us) = min_median(&mut forked)?;
    let (spawn_min_us, spawn_median_us) = min_median(&mut spawned)?;
    let report = Spawn {
        program: path.to_string(),
        rounds,
        fork_exec_min_us,
        fork_exec_median_us,
        spawn_min_us,
        spawn_median_us,
    };
    lab.tell(PARENT, &report)?;
    Ok(report)
}

/// A child that did not exit 0 is an error, unless procdemo was told to
/// stop meanwhile: Ctrl-C reaches the whole foreground group, so the child
/// may have died of the same SIGINT.
fn check_exit_0(lab: &Lab, status: ExitStatus, what: &str) -> Result<()> {
    match status.code() {
        Some(0) => Ok(()),
        _ => {
            lab.between_rounds()?;
            bail!("{what} ended with status {}", status.0)
        }
    }
}

/// Threads live only in this demo child (procdemo forks only while it has
/// one thread); it reports its figures once every thread is joined.
fn thread(lab: &mut Lab, rounds: usize) -> Result<Thread> {
    lab.before(Thread::STEP)?;
    let child = lab.fork("threads", move |side| {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            times.push(nanos(
                costs::time_thread_create_join().context("creating a thread")?,
            ));
        }
        let (thread_min_us, thread_median_us) = min_median(&mut times)?;
        let mut trips: Vec<u64> = costs::time_channel_round_trips(rounds)
            .context("the channel round trips")?
            .into_iter()
            .map(nanos)
            .collect();
        let (channel_min_us, channel_median_us) = min_median(&mut trips)?;
        side.tell(&Thread {
            rounds,
            thread_min_us,
            thread_median_us,
            channel_min_us,
            channel_median_us,
            threads_after_join: procfs::own_thread_count()
                .context("reading Threads in /proc/self/status")?,
        })?;
        Ok(0)
    })?;
    let report = lab.expect_report::<Thread>(child.pid)?;
    lab.wait(child.pid)?;
    Ok(report)
}

/// procdemo writes a byte to a child, which writes it back.
fn pipe_round_trip(lab: &mut Lab, rounds: usize) -> Result<PipeRoundTrip> {
    lab.before(PipeRoundTrip::STEP)?;
    let mut pair = PingPong::new()?;
    let echo = lab.fork(CHILD, |side| pair.echo(side))?;
    let mut times = pair.rounds(rounds, || lab.between_rounds())?;
    pair.finish();
    let (min, median) = min_median(&mut times)?;
    lab.wait(echo.pid)?;
    let report = PipeRoundTrip {
        echo_pid: echo.pid.as_raw(),
        rounds,
        pipe_min_us: min,
        pipe_median_us: median,
        echoed: times.len(),
    };
    lab.tell(PARENT, &report)?;
    Ok(report)
}

/// A child pins itself to the CPU it is on, forks an echoing child (which
/// inherits the pin), and times the ping-pong: with one CPU for both, each
/// round trip is a switch to the echo and a switch back.
fn context_switch(lab: &mut Lab, rounds: usize) -> Result<ContextSwitch> {
    lab.before(ContextSwitch::STEP)?;
    let child = lab.fork("pinned", move |side| {
        let usable_cpus_before = usable_cpus().context("sched_getaffinity")?;
        let cpu = sched_getcpu().context("sched_getcpu")?;
        pin_to(cpu).context("sched_setaffinity")?;
        let mut pair = PingPong::new()?;
        let echo = side.fork("echo", Tie::ToParent, |side| pair.echo(side))?;
        let before = costs::own_usage().context("getrusage")?;
        let mut times = pair.rounds(rounds, || Ok(()))?;
        let after = costs::own_usage().context("getrusage")?;
        pair.finish();
        side.wait(echo)?;
        let (pinned_min_us, pinned_median_us) = min_median(&mut times)?;
        side.tell(&ContextSwitch {
            cpu,
            usable_cpus_before,
            rounds,
            pinned_min_us,
            pinned_median_us,
            switch_us: (pinned_median_us * 5.0).round() / 10.0,
            voluntary_switches: after.voluntary_switches - before.voluntary_switches,
            involuntary_switches: after.involuntary_switches - before.involuntary_switches,
        })?;
        Ok(0)
    })?;
    let report = lab.expect_report::<ContextSwitch>(child.pid)?;
    lab.wait(child.pid)?;
    Ok(report)
}

/// A child that does nothing but wait at a gate, and its memory read from
/// outside while it waits, beside procdemo's.
fn idle_memory(lab: &mut Lab) -> Result<IdleMemory> {
    lab.before(IdleMemory::STEP)?;
    let gate = lab.gate()?;
    let child = lab.fork("idle", |side| {
        side.wait_for(&gate)?;
        Ok(0)
    })?;
    // Read once it waits (asleep at the gate), not on its way there.
    lab.wait_until_asleep(child.pid)?;
    let idle =
        procfs::memory_summary(child.pid).context("reading the idle child's smaps_rollup")?;
    let own = procfs::memory_summary(getpid()).context("reading /proc/self/smaps_rollup")?;
    let report = IdleMemory {
        child_pid: child.pid.as_raw(),
        child_rss_kib: idle.rss_kb,
        child_pss_kib: idle.pss_kb,
        child_shared_kib: idle.shared_kb,
        child_private_kib: idle.private_kb,
        procdemo_rss_kib: own.rss_kb,
        procdemo_pss_kib: own.pss_kb,
        procdemo_private_kib: own.private_kb,
        shared_percent: (idle.shared_kb * 100)
            .checked_div(idle.rss_kb)
            .context("the idle child has no resident memory")?,
    };
    lab.tell(PARENT, &report)?;
    // The child stays idle until people move on: `ps` or smaps_rollup in
    // another terminal see it meanwhile.
    lab.before(CowFault::STEP)?;
    lab.open(&gate);
    lab.wait(child.pid)?;
    Ok(report)
}

/// A child touches `rounds` pages, forks; its child writes one byte into
/// each page (a copy-on-write fault each), then once more (no fault).
fn cow_fault(lab: &mut Lab, rounds: usize) -> Result<CowFault> {
    let child = lab.fork("cow-parent", move |side| {
        let pages = Pages::touched(rounds).context("mapping the pages")?;
        let writer = side.fork("writer", Tie::ToParent, |side| {
            // Filled now, so that storing the times later faults no page in.
            let mut first = vec![u64::MAX; pages.count()];
            let mut second = vec![u64::MAX; pages.count()];
            // One write to a page of its own first: the code of the loop
            // and the clock are then mapped in, and fault no more below.
            let warm = Pages::touched(1).context("mapping a page")?;
            warm.time_write(0, 2);
            let faults_before = costs::own_usage().context("getrusage")?.minor_faults;
            for (index, time) in first.iter_mut().enumerate() {
                *time = nanos(pages.time_write(index, 2));
            }
            let faults_between = costs::own_usage().context("getrusage")?.minor_faults;
            for (index, time) in second.iter_mut().enumerate() {
                *time = nanos(pages.time_write(index, 3));
            }
            let faults_after = costs::own_usage().context("getrusage")?.minor_faults;
            let (first_write_min_us, first_write_median_us) = min_median(&mut first)?;
            let (_, second_write_median_us) = min_median(&mut second)?;
            side.tell(&CowFault {
                pages: pages.count(),
                page_kib: pages.page_size() / 1024,
                first_write_min_us,
                first_write_median_us,
                minor_faults: faults_between - faults_before,
                second_write_median_us,
                minor_faults_second: faults_after - faults_between,
            })?;
            Ok(0)
        })?;
        side.wait(writer)?;
        Ok(0)
    })?;
    let (_, report) = lab.expect_any_report::<CowFault>()?;
    lab.wait(child.pid)?;
    Ok(report)
}
