//! What one task of the pool does in a worker: sleep, spin or nothing for
//! its own duration, drawn from the seed, and, for the crash task, die
//! half-way through.

use std::time::{Duration, Instant};

use anyhow::Result;
use nix::sys::signal::Signal;
use nix::unistd::getpid;

use super::{Args, Work};
use crate::lab::ChildSide;
use crate::os::process::send_signal;

/// The tasks' durations at pace 1 add up to at most this many seconds:
/// thousands of tasks still end within a bounded time (half of it on two
/// workers). Runs of up to 30 tasks (a second at most each) never reach it.
pub const WORK_LIMIT_S: f64 = 30.0;

/// How long each of `tasks` tasks runs at pace 1, in seconds: random from
/// `seed`, 0.2 to 1 s each, all shrunk alike when they would add up to more
/// than `WORK_LIMIT_S`; none with `--work none`.
pub fn durations(tasks: usize, work: Work, seed: u64) -> Vec<f64> {
    if work == Work::None {
        return vec![0.0; tasks];
    }
    let mut random = fastrand::Rng::with_seed(seed);
    let mut durations: Vec<f64> = (0..tasks).map(|_| 0.2 + random.f64() * 0.8).collect();
    let total: f64 = durations.iter().sum();
    if total > WORK_LIMIT_S {
        let shrink = WORK_LIMIT_S / total;
        for duration in &mut durations {
            *duration *= shrink;
        }
    }
    durations
}

pub struct Tasks {
    /// Seconds at pace 1, different for each task, so that reuse shows.
    durations: Vec<f64>,
    work: Work,
    crash: Option<usize>,
}

impl Tasks {
    pub fn new(args: &Args, seed: u64) -> Self {
        let durations = durations(args.tasks, args.work, seed);
        Self {
            durations,
            work: args.work,
            crash: args.crash_task,
        }
    }

    /// The tasks' durations at pace 1, added up.
    pub fn total(&self) -> Duration {
        Duration::from_secs_f64(self.durations.iter().sum())
    }

    /// Runs task number `task`; returns its result, the task's square.
    pub fn run(&self, side: &ChildSide, task: usize) -> Result<u64> {
        let seconds = side.scaled(self.durations[task]);
        if self.crash == Some(task) {
            // Half-way through its task, this worker is killed, as by the OOM killer or a segfault.
            std::thread::sleep(Duration::from_secs_f64(seconds / 2.0));
            send_signal(getpid(), Signal::SIGKILL)?;
        }
        match self.work {
            Work::Sleep => std::thread::sleep(Duration::from_secs_f64(seconds)),
            Work::Spin => spin(Duration::from_secs_f64(seconds)),
            Work::None => {}
        }
        Ok((task as u64) * (task as u64))
    }
}

/// Busy work: the CPU stays in this process for `duration`.
fn spin(duration: Duration) {
    let until = Instant::now() + duration;
    let mut x: u64 = 1;
    while Instant::now() < until {
        for _ in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}
