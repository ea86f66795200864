//! More spinners than CPUs: all of them `R`, some of them waiting.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::Signal;

use super::{Ready, SAMPLE_EVERY, SPINNER, spin};
use crate::lab::{Lab, PARENT};
use crate::os::procfs;
use crate::os::states::{context_switches, schedstat, usable_cpus};

/// Starts one spinner more than procdemo has CPUs, lets them compete for
/// a short window while their states are read, then reads what the
/// scheduler counted for each, ends them and tells `ready` with them and
/// the sleeper's context switches (`sleeper_switches`, read before it
/// ended). Returns its report.
pub(super) fn compete(lab: &mut Lab, sleeper_switches: (u64, u64)) -> Result<Ready> {
    let cpus = usable_cpus().context("sched_getaffinity")?;
    let gate = lab.gate()?;
    let mut spinners = Vec::new();
    for _ in 0..=cpus {
        let forked = lab.fork(SPINNER, |side| {
            side.wait_for(&gate)?;
            spin()
        })?;
        spinners.push(forked.pid);
    }
    // Every spinner waits at the gate, so that they all start together.
    for &pid in &spinners {
        lab.wait_until_asleep(pid)?;
    }
    // Short at --pace 0, longer for people: the spinners take every CPU.
    let window = Duration::from_secs_f64(lab.pace().max(0.3));
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
    for &pid in &spinners {
        lab.signal(pid, Signal::SIGKILL)?;
    }
    for &pid in &spinners {
        lab.wait(pid)?;
    }
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
    Ok(ready)
}
