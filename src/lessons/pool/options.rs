//! The pool lesson's options: how many workers and tasks, and which of
//! Python's `Pool` methods to play.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Worker processes in the pool (1 to 64) [default: this machine's CPUs]
    #[arg(long, value_name = "N", value_parser = within(1..=64_usize, "the pool's workers must be a whole number from 1 to 64"), allow_negative_numbers = true)]
    pub workers: Option<usize>,

    /// Tasks to run (1 to 100000)
    #[arg(long, value_name = "M", default_value = "10", value_parser = within(1..=100_000_usize, "the number must be a whole number from 1 to 100000"), allow_negative_numbers = true)]
    pub tasks: usize,

    /// How tasks are submitted and results come back, as Python's Pool methods
    #[arg(long, value_enum, default_value_t = PoolMode::Map)]
    pub mode: PoolMode,

    /// Tasks per chunk sent to a worker (1 to 10000) [default: as Python: map splits into about 4 chunks per worker, imap sends 1]
    #[arg(long, value_name = "K", value_parser = within(1..=10_000_usize, "the chunksize must be a whole number from 1 to 10000: a chunk holds at least one task"), allow_negative_numbers = true)]
    pub chunksize: Option<usize>,

    /// A worker leaves after this many chunks and a new one takes its place (1 to 100000)
    #[arg(long, value_name = "K", value_parser = within(1..=100_000_usize, "the number must be a whole number from 1 to 100000"), allow_negative_numbers = true)]
    pub maxtasksperchild: Option<usize>,

    /// The worker that runs task I (counted from 0) is killed by SIGKILL in the middle of it
    #[arg(long, value_name = "I", value_parser = clap::value_parser!(usize))]
    pub crash_task: Option<usize>,

    /// Call terminate() this many seconds after the start, cutting off unfinished tasks (0.01 to 600)
    #[arg(long, value_name = "S", value_parser = within(0.01..=600.0, "--terminate-after must be a number of seconds from 0.01 to 600"), allow_negative_numbers = true)]
    pub terminate_after: Option<f64>,

    /// What a task does: sleep (I/O-like), spin (CPU-bound) or none (to measure the pool itself)
    #[arg(long, value_enum, default_value_t = Work::Sleep)]
    pub work: Work,

    /// Seed for the tasks' random durations, to repeat a run exactly [default: a new one each run, shown in the output]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    /// pool.apply: one task at a time, waiting for each result
    Apply,
    /// pool.apply_async for every task, then each .get() in order
    ApplyAsync,
    /// pool.map: all at once, results in input order
    Map,
    /// pool.imap: results in input order, as soon as each is ready
    Imap,
    /// pool.imap_unordered: results in the order they finish
    ImapUnordered,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    Sleep,
    Spin,
    None,
}

/// The option's spelling on the command line: `imap-unordered`, `sleep`.
pub fn name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |possible| possible.get_name().to_string())
}
