//! The pool lesson's options: how many workers and tasks, and which of
//! Python's `Pool` methods to play.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", value_parser = within(1..=64_usize, "the pool's workers must be a whole number from 1 to 64", "进程池的工作进程数必须是 1 到 64 之间的整数"), allow_negative_numbers = true)]
    pub workers: Option<usize>,

    #[arg(long, value_name = "M", default_value = "10", value_parser = within(1..=100_000_usize, "the number must be a whole number from 1 to 100000", "这个数必须是 1 到 100000 之间的整数"), allow_negative_numbers = true)]
    pub tasks: usize,

    #[arg(long, value_enum, default_value_t = PoolMode::Map)]
    pub mode: PoolMode,

    #[arg(long, value_name = "K", value_parser = within(1..=10_000_usize, "the chunksize must be a whole number from 1 to 10000: a chunk holds at least one task", "chunksize 必须是 1 到 10000 之间的整数：一块至少装一个任务"), allow_negative_numbers = true)]
    pub chunksize: Option<usize>,

    #[arg(long, value_name = "K", value_parser = within(1..=100_000_usize, "the number must be a whole number from 1 to 100000", "这个数必须是 1 到 100000 之间的整数"), allow_negative_numbers = true)]
    pub maxtasksperchild: Option<usize>,

    #[arg(long, value_name = "I", value_parser = clap::value_parser!(usize))]
    pub crash_task: Option<usize>,

    #[arg(long, value_name = "S", value_parser = within(0.01..=600.0, "--terminate-after must be a number of seconds from 0.01 to 600", "--terminate-after 必须是 0.01 到 600 之间的秒数"), allow_negative_numbers = true)]
    pub terminate_after: Option<f64>,

    #[arg(long, value_enum, default_value_t = Work::Sleep)]
    pub work: Work,

    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    Apply,
    ApplyAsync,
    Map,
    Imap,
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
