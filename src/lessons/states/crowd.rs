//! More spinners than CPUs: all of them `R`, some of them waiting.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::{Ready, SAMPLE_EVERY, SPINNER, spin_for};
use crate::lab::{Lab, PARENT};
use crate::os::procfs;
use crate::os::states::{context_switches, schedstat, usable_cpus};

/// How long the spinners go on after their window, while people read
/// `ready`: then each ends by itself, so that a reader who walks away does
/// not leave every CPU busy.
const RUN_ON: Duration = Duration::from_secs(60);

/// Starts one spinner more than procdemo has CPUs, lets them compete for
/// a short window while their states are read, then reads what the
/// scheduler counted for each and tells `ready` with them and the
/// sleeper's context switches (`sleeper_switches`, read before it ended).
/// Returns its report and the spinners, still running (for `RUN_ON` at
/// most) until `end`.
pub(super) fn compete(lab: &mut Lab, sleeper_switches: (u64, u64)) -> Result<(Ready, Vec<Pid>)> {
    let cpus = usable_cpus().context("sched_getaffinity")?;
    let gate = lab.gate()?;
    // Short at --pace 0, longer for people: the spinners take every CPU.
    let window = Duration::from_secs_f64(lab.pace().max(0.3));
    let mut spinners = Vec::new();
    for _ in 0..=cpus {
        let forked = lab.fork(SPINNER, |side| {
            side.wait_for(&gate)?;
            Ok(spin_for(window + RUN_ON))
        })?;
        spinners.push(forked.pid);
    }
    // Every spinner waits at the gate, so that they all start together.
    for &pid in &spinners {
        lab.wait_until_asleep(pid)?;
    }
    lab.open(&gate);
    let started = Instant::now();
    let mut letters = String::new();
    let mut samples = 0;
    let mut all_runnable = true;
    while started.elapsed() < window {
        for &pid in &spinners {
            let state = procfs::stat(pid)
                .with_context(|| format!("reading /proc/{pid}/stat"))?
                .state;
            all_runnable &= state == 'R';
            if !letters.contains(state) {
                letters.push(state);
            }
            samples += 1;
        }
        // Between two readings, procdemo leaves its CPU to the spinners.
        lab.sleep_for(SAMPLE_EVERY)?;
    }
    let window_ms = started.elapsed().as_millis() as u64;
    let (mut run_ms, mut wait_ms, mut voluntary, mut nonvoluntary) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &pid in &spinners {
        let figures = schedstat(pid).context("reading a spinner's schedstat")?;
        run_ms.push(figures.run_ns / 1_000_000);
        wait_ms.push(figures.wait_ns / 1_000_000);
        let (willing, forced) = context_switches(pid).context("reading a spinner's status")?;
        voluntary.push(willing);
        nonvoluntary.push(forced);
    }
    let (sleeper_voluntary, sleeper_nonvoluntary) = sleeper_switches;
    let ready = Ready {
        usable_cpus: cpus,
        spinners: spinners.len(),
        window_ms,
        samples,
        letters_seen: letters,
        all_runnable,
        spinner_pids: crate::lab::raw_pids(&spinners),
        total_wait_ms: wait_ms.iter().sum(),
        run_ms,
        wait_ms,
        voluntary,
        nonvoluntary,
        sleeper_voluntary,
        sleeper_nonvoluntary,
    };
    lab.tell(PARENT, &ready)?;
    Ok((ready, spinners))
}

/// Ends the spinners (SIGKILL; one past `RUN_ON` has ended by itself) and
/// reaps them.
pub(super) fn end(lab: &mut Lab, spinners: Vec<Pid>) -> Result<()> {
    for &pid in &spinners {
        lab.signal(pid, Signal::SIGKILL)?;
    }
    for &pid in &spinners {
        lab.wait(pid)?;
    }
    Ok(())
}
