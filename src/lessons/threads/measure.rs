//! The CPU-bound test, in the measuring child: one thread doing two units
//! of work, against two threads or two processes doing one unit each; then
//! all of it again pinned to one CPU. Processes are measured first: this
//! child forks them while it still has one thread.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use nix::sched::sched_getcpu;
use nix::unistd::getpid;

use super::CpuBound;
use crate::os::process::{die_with_parent, fork_child};
use crate::os::states::usable_cpus;
use crate::os::threads::{affinity, pin_to, restore_affinity};
use crate::os::wait::wait_blocking;

/// One unit of work lasts about this long on one CPU.
const UNIT: Duration = Duration::from_millis(5);
/// Two workers are "faster" when they take at most this share of one's time.
const FASTER: f64 = 1.5;

/// A busy loop of `turns` additions: no system call, no memory shared.
fn work(turns: u64) -> u64 {
    let mut sum: u64 = 0;
    for turn in 0..turns {
        sum = std::hint::black_box(sum.wrapping_add(turn));
    }
    sum
}

/// How many turns take about `UNIT` here, measured.
fn calibrate() -> u64 {
    let mut turns: u64 = 1 << 14;
    loop {
        let started = Instant::now();
        work(turns);
        let took = started.elapsed();
        if took >= UNIT / 4 {
            return (turns as f64 * UNIT.as_secs_f64() / took.as_secs_f64()) as u64;
        }
        turns *= 2;
    }
}

fn timed(run: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let started = Instant::now();
    run()?;
    Ok(started.elapsed())
}

fn one(turns: u64) -> Result<Duration> {
    timed(|| {
        work(2 * turns);
        Ok(())
    })
}

fn two_threads(turns: u64) -> Result<Duration> {
    timed(|| {
        std::thread::scope(|scope| {
            let second = scope.spawn(|| work(turns));
            work(turns);
            second
                .join()
                .map(drop)
                .map_err(|_| anyhow!("a worker thread panicked"))
        })
    })
}

fn two_processes(turns: u64) -> Result<Duration> {
    let parent = getpid();
    timed(|| {
        let mut pids = Vec::new();
        for _ in 0..2 {
            let (pid, _) = fork_child(|_| {
                if !die_with_parent(parent) {
                    return 1;
                }
                work(turns);
                0
            })
            .context("fork")?;
            pids.push(pid);
        }
        for pid in pids {
            wait_blocking(pid).context("waitpid")?;
        }
        Ok(())
    })
}

/// `rounds` rounds, each timing one thread doing two units, then `two`
/// (in turns, so that a busy moment slows both alike): the times of each,
/// in ms.
fn in_turns(
    rounds: u32,
    turns: u64,
    mut two: impl FnMut() -> Result<Duration>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let ms = |took: Duration| took.as_secs_f64() * 1000.0;
    let (mut ones, mut twos) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ones.push(ms(one(turns)?));
        twos.push(ms(two()?));
    }
    Ok((ones, twos))
}

/// Min and median, in ms to a tenth.
fn min_median(times: &[f64]) -> (f64, f64) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    (tenth(sorted[0]), tenth(sorted[sorted.len() / 2]))
}

/// One's fastest round ÷ two's fastest round.
fn speedup(ones: &[f64], twos: &[f64]) -> f64 {
    hundredth(min_median(ones).0 / min_median(twos).0)
}

fn tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn hundredth(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub fn cpu_bound(rounds: u32) -> Result<CpuBound> {
    let usable = usable_cpus().context("sched_getaffinity")?;
    let turns = calibrate();
    let all = affinity().context("sched_getaffinity")?;
    let (ones_p, processes) = in_turns(rounds, turns, || two_processes(turns))?;
    let cpu = sched_getcpu().context("sched_getcpu")?;
    pin_to(cpu).context("sched_setaffinity")?;
    let (pinned_ones_p, pinned_processes) = in_turns(rounds, turns, || two_processes(turns))?;
    let (pinned_ones_t, pinned_threads) = in_turns(rounds, turns, || two_threads(turns))?;
    restore_affinity(&all).context("sched_setaffinity")?;
    let (ones_t, threads) = in_turns(rounds, turns, || two_threads(turns))?;
    let single = min_median(&[ones_p.as_slice(), &ones_t].concat());
    let threads_speedup = speedup(&ones_t, &threads);
    let processes_speedup = speedup(&ones_p, &processes);
    let pinned_threads_speedup = speedup(&pinned_ones_t, &pinned_threads);
    let pinned_processes_speedup = speedup(&pinned_ones_p, &pinned_processes);
    let pinned_sped_up = pinned_threads_speedup >= FASTER || pinned_processes_speedup >= FASTER;
    let sped_up = threads_speedup >= FASTER && processes_speedup >= FASTER;
    let (threads, processes) = (min_median(&threads), min_median(&processes));
    Ok(CpuBound {
        usable_cpus: usable,
        rounds,
        unit_ms: tenth(single.0 / 2.0),
        one_min_ms: single.0,
        one_median_ms: single.1,
        threads_min_ms: threads.0,
        threads_median_ms: threads.1,
        processes_min_ms: processes.0,
        processes_median_ms: processes.1,
        threads_speedup,
        processes_speedup,
        sped_up,
        pinned_cpu: cpu,
        pinned_threads_median_ms: min_median(&pinned_threads).1,
        pinned_processes_median_ms: min_median(&pinned_processes).1,
        pinned_threads_speedup,
        pinned_processes_speedup,
        pinned_sped_up,
        // On one CPU two workers cannot be faster: figures that say so were
        // disturbed by other programs.
        disturbed: pinned_sped_up
            || (usable == 1 && (threads_speedup >= FASTER || processes_speedup >= FASTER)),
    })
}
