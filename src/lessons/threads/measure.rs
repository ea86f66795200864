//! The CPU-bound test, in the measuring child: one thread doing two units
//! of work, against two threads or two processes doing one unit each.
//! Processes are measured first, while this child still has one thread
//! (it forks them): two processes, then pinned to one CPU two processes
//! and two threads, then unpinned again two threads.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use nix::sched::sched_getcpu;
use nix::unistd::getpid;

use super::CpuBound;
use crate::lab::ChildSide;
use crate::os::process::{die_with_parent, fork_child};
use crate::os::states::usable_cpus;
use crate::os::threads::{affinity, load_average, pin_to, restore_affinity};
use crate::os::wait::wait_blocking;

/// One unit of work lasts about this long on one CPU.
const UNIT: Duration = Duration::from_millis(5);
/// Two workers are "faster" when one's time ÷ theirs is at least this.
const FASTER: f64 = 1.5;
/// Noise allowed over the most a speed-up can be (the CPUs the two workers
/// may use: 1 pinned, at most 2 otherwise); beyond it the figures were
/// disturbed.
const NOISE: f64 = 1.15;

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

fn two_processes(side: &ChildSide, turns: u64) -> Result<Duration> {
    let parent = getpid();
    let took = timed(|| {
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
    })?;
    // Told after the timing, round by round: the lab counts them even if
    // the lesson is stopped midway.
    side.measured(2)?;
    Ok(took)
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

/// Of rounds timed in turns: one thread's fastest round, the two's fastest
/// and median, and the speed-up from the figures shown (one's min ÷ two's
/// min, each to a tenth of a ms).
struct Pair {
    one_min: f64,
    two_min: f64,
    two_median: f64,
    speedup: f64,
}

fn pair((ones, twos): (Vec<f64>, Vec<f64>)) -> Pair {
    let (one_min, _) = min_median(&ones);
    let (two_min, two_median) = min_median(&twos);
    Pair {
        one_min,
        two_min,
        two_median,
        speedup: hundredth(one_min / two_min),
    }
}

/// The most a speed-up of two workers can be on `cpus` CPUs, with noise.
fn most(cpus: usize) -> f64 {
    cpus.min(2) as f64 * NOISE
}

fn tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn hundredth(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub fn cpu_bound(side: &ChildSide, rounds: u32) -> Result<CpuBound> {
    let usable = usable_cpus().context("sched_getaffinity")?;
    let turns = calibrate();
    let all = affinity().context("sched_getaffinity")?;
    let processes = in_turns(rounds, turns, || two_processes(side, turns))?;
    let cpu = sched_getcpu().context("sched_getcpu")?;
    pin_to(cpu).context("sched_setaffinity")?;
    let pinned_processes = pair(in_turns(rounds, turns, || two_processes(side, turns))?);
    let pinned_threads = pair(in_turns(rounds, turns, || two_threads(turns))?);
    restore_affinity(&all).context("sched_setaffinity")?;
    let threads = in_turns(rounds, turns, || two_threads(turns))?;
    let single = min_median(&[processes.0.as_slice(), &threads.0].concat());
    let (threads, processes) = (pair(threads), pair(processes));
    let load_average = load_average().context("reading /proc/loadavg")?;
    let pinned_sped_up = pinned_threads.speedup > most(1) || pinned_processes.speedup > most(1);
    Ok(CpuBound {
        usable_cpus: usable,
        rounds,
        unit_ms: tenth(single.0 / 2.0),
        one_min_ms: single.0,
        one_median_ms: single.1,
        threads_one_min_ms: threads.one_min,
        threads_min_ms: threads.two_min,
        threads_median_ms: threads.two_median,
        threads_speedup: threads.speedup,
        processes_one_min_ms: processes.one_min,
        processes_min_ms: processes.two_min,
        processes_median_ms: processes.two_median,
        processes_speedup: processes.speedup,
        sped_up: threads.speedup >= FASTER && processes.speedup >= FASTER,
        pinned_cpu: cpu,
        pinned_threads_one_min_ms: pinned_threads.one_min,
        pinned_threads_min_ms: pinned_threads.two_min,
        pinned_threads_speedup: pinned_threads.speedup,
        pinned_processes_one_min_ms: pinned_processes.one_min,
        pinned_processes_min_ms: pinned_processes.two_min,
        pinned_processes_speedup: pinned_processes.speedup,
        pinned_sped_up,
        most_speedup: most(usable),
        pinned_most_speedup: most(1),
        // Two workers on one CPU cannot be faster than one, nor on two more
        // than twice as fast: figures that say so were disturbed.
        disturbed: pinned_sped_up
            || threads.speedup > most(usable)
            || processes.speedup > most(usable),
        // Calibrating was slowed (a busy CPU): units this short cost less
        // than starting the workers, and the speed-ups mean little.
        unit_short: tenth(single.0 / 2.0) < UNIT.as_secs_f64() * 1000.0 / 2.0,
        load_average,
    })
}
