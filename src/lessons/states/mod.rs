//! `states`: the letters `ps` shows, each read from `/proc/<pid>/stat`
//! while a child holds it. A spinning child is `R`, a sleeping one `S`
//! (with the kernel function it sleeps in), SIGSTOP makes it `T` and
//! SIGCONT `R` again, an ended one is `Z` until reaped. More spinners than
//! CPUs all show `R`, though some wait in the run queue (`schedstat`); a
//! parent in `vfork()` is `D`. Last, the notes' three states as letters.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sched::sched_getcpu;
use nix::sys::signal::Signal;

use crate::lab::{Lab, PARENT};
use crate::os::procfs;
use crate::os::states::{context_switches, last_cpu, ps_line, schedstat, usable_cpus, wchan_text};

mod crowd;
mod reports;
mod vfork;
pub use reports::*;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

const SPINNER: &str = "spinner";
const SLEEPER: &str = "sleeper";
const VFORK_PARENT: &str = "vfork-parent";
const VFORK_CHILD: &str = "vfork-child";

/// How long a process on its way to a state (a signal in delivery, a call
/// about to block) may take to get there.
const SETTLE: Duration = Duration::from_secs(2);
/// How often the spinners' states are read while they compete.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// Every action of this lesson (a fork, a signal, a `waitpid()`) comes
/// after `lab.before(step)` for the step it is for: people finish the step
/// on screen first, so that what it says holds, even for `ps` in another
/// terminal, until they move on.
pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    lab.before("spinner-starts")?;
    let spinner = lab.fork(SPINNER, |side| {
        side.tell(&SpinnerStarts {
            cpu: sched_getcpu().context("sched_getcpu")?,
            usable_cpus: usable_cpus().context("sched_getaffinity")?,
        })?;
        spin()
    })?;
    lab.expect_report::<SpinnerStarts>(spinner.pid)?;
    let running = lab.wait_for_state(spinner.pid, 'R', SETTLE)?;
    lab.tell(
        PARENT,
        &Running {
            child_pid: spinner.pid.as_raw(),
            state: running.to_string(),
            wchan: wchan_text(spinner.pid).context("reading the spinner's wchan")?,
            ps_shows: ps_line(spinner.pid),
            last_cpu: last_cpu(spinner.pid).context("reading the spinner's CPU")?,
            run_us: schedstat(spinner.pid)
                .context("reading its schedstat")?
                .run_ns
                / 1000,
        },
    )?;

    lab.before("sleeping")?;
    let sleeper = lab.fork(SLEEPER, |_| {
        loop {
            // time.sleep(): nanosleep; procdemo ends it with SIGTERM.
            std::thread::sleep(Duration::from_secs(3600));
        }
    })?;
    let asleep = lab.wait_until_asleep(sleeper.pid)?;
    let wchan = wchan_text(sleeper.pid).context("reading the sleeper's wchan")?;
    lab.tell(
        PARENT,
        &Sleeping {
            child_pid: sleeper.pid.as_raw(),
            state: asleep.state.clone(),
            wchan_named: !wchan.is_empty() && wchan != "0",
            wchan,
            ps_shows: ps_line(sleeper.pid),
            run_us: schedstat(sleeper.pid)
                .context("reading its schedstat")?
                .run_ns
                / 1000,
        },
    )?;

    lab.before("stopped")?;
    lab.signal(spinner.pid, Signal::SIGSTOP)?;
    let stopped = lab.wait_for_state(spinner.pid, 'T', SETTLE)?;
    lab.tell(
        PARENT,
        &Stopped {
            child_pid: spinner.pid.as_raw(),
            signal: Signal::SIGSTOP.as_str().to_string(),
            state: stopped.to_string(),
            ps_shows: ps_line(spinner.pid),
        },
    )?;

    lab.before("zombie")?;
    let sleeper_switches = context_switches(sleeper.pid).context("reading the sleeper's status")?;
    // On purpose, no waitpid() yet: the sleeper stays a zombie until `reaped`.
    lab.signal(sleeper.pid, Signal::SIGTERM)?;
    lab.wait_until_ended(sleeper.pid)?;
    let zombie = procfs::stat(sleeper.pid).context("reading the zombie's /proc/<pid>/stat")?;
    lab.tell(
        PARENT,
        &Zombie {
            child_pid: sleeper.pid.as_raw(),
            signal: Signal::SIGTERM.as_str().to_string(),
            state: zombie.state.to_string(),
            ps_shows: ps_line(sleeper.pid),
        },
    )?;

    lab.before("continued")?;
    lab.signal(spinner.pid, Signal::SIGCONT)?;
    let continued = lab.wait_for_state(spinner.pid, 'R', SETTLE)?;
    lab.tell(
        PARENT,
        &Continued {
            child_pid: spinner.pid.as_raw(),
            signal: Signal::SIGCONT.as_str().to_string(),
            state: continued.to_string(),
            ps_shows: ps_line(spinner.pid),
        },
    )?;

    lab.before("reaped")?;
    let status = lab.wait(sleeper.pid)?;
    lab.tell(
        PARENT,
        &Reaped {
            child_pid: sleeper.pid.as_raw(),
            python_exitcode: status.python_exitcode(),
            proc_entry_exists: procfs::exists(sleeper.pid),
        },
    )?;

    // The first spinner would compete too: it ends before the crowd starts.
    lab.before("ready")?;
    lab.signal(spinner.pid, Signal::SIGKILL)?;
    lab.wait(spinner.pid)?;
    let (ready, crowd) = crowd::compete(lab, sleeper_switches)?;

    // The crowd runs on while `ready` is read.
    lab.before("uninterruptible")?;
    crowd::end(lab, crowd)?;
    let sleeping = asleep.state.clone();
    let held = vfork::hold_in_d(lab)?;
    lab.tell(
        PARENT,
        &ThreeStates {
            running: running.to_string(),
            ready: ready.letters_seen,
            waiting: format!("{sleeping}, {}", held.state),
            stopped: stopped.to_string(),
            ended: zombie.state.to_string(),
            machine_now: machine_now()?,
        },
    )?;
    lab.before("vfork-ends")?;
    vfork::release(lab, held)
}

/// A busy loop: no system call, so the spinner never sleeps.
pub(crate) fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = std::hint::black_box(turns.wrapping_add(1));
    }
}

/// A busy loop that ends by itself once `limit` has passed: it reads the
/// clock (vDSO, no system call) every few million turns.
pub(crate) fn spin_for(limit: Duration) -> i32 {
    let started = Instant::now();
    let mut turns: u64 = 0;
    loop {
        turns = std::hint::black_box(turns.wrapping_add(1));
        if turns.is_multiple_of(1 << 22) && started.elapsed() >= limit {
            return 0;
        }
    }
}

/// How many processes of this machine are in each state right now, most
/// first: `S 80, I 31, R 2`.
fn machine_now() -> Result<String> {
    let mut counts: Vec<(char, usize)> = Vec::new();
    for process in procfs::all_processes().context("listing /proc")? {
        match counts.iter_mut().find(|(state, _)| *state == process.state) {
            Some((_, count)) => *count += 1,
            None => counts.push((process.state, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(counts
        .iter()
        .map(|(state, count)| format!("{state} {count}"))
        .collect::<Vec<_>>()
        .join(", "))
}
