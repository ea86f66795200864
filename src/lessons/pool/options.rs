//! The pool lesson's options: how many workers and tasks, and which of
//! Python's `Pool` methods to play.

use crate::config::within;
use crate::model::Lang;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", value_parser = within(1..=64_usize, "the pool's workers must be a whole number from 1 to 64", "进程池的工作进程数必须是 1 到 64 之间的整数"), allow_negative_numbers = true)]
    pub workers: Option<usize>,

    #[arg(long, value_name = "M", default_value = "10", value_parser = within(1..=100_000_usize, "the number of tasks must be a whole number from 1 to 100000", "任务个数必须是 1 到 100000 之间的整数"), allow_negative_numbers = true)]
    pub tasks: usize,

    #[arg(long, value_enum, default_value_t = PoolMode::Map)]
    pub mode: PoolMode,

    #[arg(long, value_name = "K", value_parser = within(1..=10_000_usize, "the chunksize must be a whole number from 1 to 10000: a chunk holds at least one task", "chunksize 必须是 1 到 10000 之间的整数：一块至少装一个任务"), allow_negative_numbers = true)]
    pub chunksize: Option<usize>,

    #[arg(long, value_name = "K", value_parser = within(1..=100_000_usize, "--maxtasksperchild must be a whole number of chunks from 1 to 100000", "--maxtasksperchild 必须是 1 到 100000 之间的整数（块数）"), allow_negative_numbers = true)]
    pub maxtasksperchild: Option<usize>,

    #[arg(long, value_name = "I", value_parser = within(0..=99_999_usize, "--crash-task must be the number of one of the tasks: a whole number from 0, below --tasks", "--crash-task 必须是某个任务的编号：从 0 起的整数，小于 --tasks"), allow_negative_numbers = true)]
    pub crash_task: Option<usize>,

    #[arg(long, value_name = "S", value_parser = within(0.01..=600.0, "--terminate-after must be a number of seconds from 0.01 to 600", "--terminate-after 必须是 0.01 到 600 之间的秒数"), allow_negative_numbers = true)]
    pub terminate_after: Option<f64>,

    #[arg(long, value_enum, default_value_t = Work::Sleep)]
    pub work: Work,

    #[arg(long, value_name = "N", value_parser = within(0..=u64::MAX, format!("the seed must be a whole number from 0 to {}", u64::MAX), format!("种子必须是 0 到 {} 之间的整数", u64::MAX)), allow_negative_numbers = true)]
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

/// Why these options may not go together, in `lang` (see
/// `lessons::Check`); `None` when they may.
pub fn refusal(args: &Args, lang: Lang) -> Option<String> {
    if let Some(crash) = args.crash_task.filter(|task| *task >= args.tasks) {
        let last = args.tasks - 1;
        return Some(match lang {
            Lang::En => format!(
                "--crash-task {crash} is not one of the tasks: with --tasks {} they are numbered 0 to {last}",
                args.tasks
            ),
            Lang::Zh => format!(
                "--crash-task {crash} 不是任何一个任务的编号：--tasks {} 时任务编号是 0 到 {last}",
                args.tasks
            ),
        });
    }
    let one_per_call = matches!(args.mode, PoolMode::Apply | PoolMode::ApplyAsync);
    if one_per_call && args.chunksize.is_some() {
        return Some(match lang {
            Lang::En => "--chunksize goes with --mode map, imap or imap-unordered: pool.apply and pool.apply_async send one task per call and take no chunksize".to_string(),
            Lang::Zh => "--chunksize 只能和 --mode map、imap 或 imap-unordered 一起用：pool.apply 和 pool.apply_async 每次调用只送一个任务，没有 chunksize 参数".to_string(),
        });
    }
    None
}
