//! The command line, declared with clap. The doc comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "procdemo",
    version,
    about = "Watch real processes being born, running and ending, narrated step by step.",
    long_about = "procdemo runs real processes on this machine and explains each step: \
                  the lesson text, the Python you know, and what the kernel reported in this very run.",
    after_help = "Run `procdemo` alone for the lessons in course order, your progress and what to run next."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Without one: a welcome, the lessons with your progress, and the command to run next
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every lesson takes, before or after the lesson's name.
#[derive(Args, Debug)]
pub struct GlobalArgs {
    /// Print one JSON object per event on stdout (for tests, graders and tools) instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Scale every demonstrative pause: 1 suits a person watching, 0 runs as fast as possible, 3 is slow enough to follow in class (0 to 20)
    #[arg(long, global = true, value_name = "F", default_value = "1", value_parser = parse_pace, allow_negative_numbers = true)]
    pub pace: f64,

    /// Wait for Enter before each step (q then Enter ends the lesson); ignored with --json
    #[arg(long, global = true)]
    pub step: bool,

    /// Before some steps, ask what you predict will happen; the step then shows what did (answers from stdin: a number, or q)
    #[arg(long, global = true)]
    pub quiz: bool,

    /// Language of the lesson text [default: from LC_ALL, LC_MESSAGES or LANG]
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,

    /// Kill any demo process still alive after this many seconds, even if procdemo itself was killed [default: 60 × pace, 3600 with --step or --quiz] (1 to 86400)
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_lifetime, allow_negative_numbers = true)]
    pub lifetime: Option<u64>,

    /// Also write the run as Chrome Trace Event JSON to FILE, for Perfetto (ui.perfetto.dev) or chrome://tracing
    #[arg(long, global = true, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// When to use colours; `auto` honours NO_COLOR, CLICOLOR_FORCE and whether stdout is a terminal
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// One process becomes two: what fork() returns, and what each side sees
    Fork,
    /// Who am I, who is my parent: getpid, getppid and the process tree
    Pids(PidsArgs),
    /// join() and join(timeout), every exit code, waiting in order or for whoever ends first
    Join(JoinArgs),
    /// A child that ended but was not reaped: state Z, immune to kill -9, gone after waitpid
    Zombie,
    /// A parent ends before its child: the child is adopted, and reaped by its adopter
    Orphan,
    /// Two meanings: Python's daemon=True children, and a Unix daemon detached from the terminal
    Daemon,
    /// Pipes: one-way and two-way, end of file, SIGPIPE, a full pipe, message framing
    Pipe,
    /// A kernel message queue with Python's Queue semantics: full, empty, timeouts, many producers and consumers
    Queue(QueueArgs),
    /// Copied, not shared: copy-on-write measured, memory really shared, fork versus spawn
    Memory(MemoryArgs),
    /// Lost updates without a lock, exact counts with one; the lock as a semaphore of value 1
    Lock(LockArgs),
    /// Semaphore(N) lets N in at once; the notes' producer and consumer with empty, full and a lock
    Semaphore(SemaphoreArgs),
    /// A real process pool: pre-forked workers reused for many tasks, in every mode of Python's Pool
    Pool(PoolArgs),
    /// List the lessons in course order, each with a one-line summary and your progress
    List,
    /// Every lesson in course order, one after the other, then a summary of what was covered
    Tour,
    /// Forget your progress: finished lessons and quiz scores (asks first on a terminal)
    Reset(ResetArgs),
    /// Print a completion script for your shell, e.g. `procdemo completions bash > ~/.local/share/bash-completion/completions/procdemo`
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `procdemo man | man -l -`; or write every page to a directory
    Man(ManArgs),
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write procdemo.1 and one page per command (procdemo-fork.1, …) into DIR instead, e.g. ~/.local/share/man/man1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct ResetArgs {
    /// Do not ask; reset at once
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// How long join(timeout) waits before giving up, in seconds (0.1 to 10)
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = parse_timeout, allow_negative_numbers = true)]
    pub timeout: f64,
}

#[derive(Args, Debug)]
pub struct PidsArgs {
    /// How many children to start (1 to 16)
    #[arg(long, value_name = "N", default_value = "3", value_parser = parse_children, allow_negative_numbers = true)]
    pub children: u32,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English
    En,
    /// Simplified Chinese (简体中文)
    Zh,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub const PACE_LIMIT: f64 = 20.0;
pub const CHILDREN_LIMIT: u32 = 16;

/// `text` as a number within `range`, or `message`, which names the limit
/// and why: every numeric option is checked this way.
fn number_in<T: std::str::FromStr + PartialOrd>(
    text: &str,
    range: std::ops::RangeInclusive<T>,
    message: &str,
) -> Result<T, String> {
    match text.parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(message.to_string()),
    }
}

fn parse_pace(text: &str) -> Result<f64, String> {
    number_in(
        text,
        0.0..=PACE_LIMIT,
        &format!(
            "the pace must be a number from 0 to {PACE_LIMIT}: 1 is the normal speed, 0 runs without pauses, 3 is slow"
        ),
    )
}

pub const LIFETIME_LIMIT: u64 = 86_400;

fn parse_lifetime(text: &str) -> Result<u64, String> {
    number_in(
        text,
        1..=LIFETIME_LIMIT,
        &format!(
            "the lifetime must be a whole number of seconds from 1 to {LIFETIME_LIMIT} (a day): the longest any demo process may live"
        ),
    )
}

pub const TIMEOUT_LIMITS: (f64, f64) = (0.1, 10.0);

fn parse_timeout(text: &str) -> Result<f64, String> {
    let (low, high) = TIMEOUT_LIMITS;
    number_in(
        text,
        low..=high,
        &format!(
            "the timeout must be a number of seconds from {low} to {high}: long enough to see join() give up, short enough to wait for"
        ),
    )
}

fn parse_children(text: &str) -> Result<u32, String> {
    number_in(
        text,
        1..=CHILDREN_LIMIT,
        &format!(
            "the number of children must be a whole number from 1 to {CHILDREN_LIMIT}, so that every child fits on one screen"
        ),
    )
}

#[derive(Args, Debug)]
pub struct QueueArgs {
    /// The queue's capacity in messages: Queue(N) (1 to the kernel's limit in /proc/sys/fs/mqueue/msg_max)
    #[arg(long, value_name = "N", default_value = "3", value_parser = parse_queue_size, allow_negative_numbers = true)]
    pub size: usize,

    /// Producers in the many-to-many part (1 to 8)
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_workers, allow_negative_numbers = true)]
    pub producers: usize,

    /// Consumers in the many-to-many part (1 to 8)
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_workers, allow_negative_numbers = true)]
    pub consumers: usize,

    /// Messages in the many-to-many part (1 to 10000)
    #[arg(long, value_name = "N", default_value = "20", value_parser = parse_messages, allow_negative_numbers = true)]
    pub messages: usize,

    /// Seed for the writer's random pauses, to repeat a run exactly [default: a new one each run, shown in the output]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

fn parse_queue_size(text: &str) -> Result<usize, String> {
    let limit = crate::os::mqueue::capacity_limit().unwrap_or(10);
    number_in(
        text,
        1..=limit,
        &format!(
            "the queue size must be a whole number from 1 to {limit}: {limit} is this kernel's limit for a message queue, \
             in /proc/sys/fs/mqueue/msg_max (root can raise it, e.g. `sysctl fs.mqueue.msg_max=64`)"
        ),
    )
}

fn parse_workers(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=8,
        "the number of producers or consumers must be a whole number from 1 to 8",
    )
}

fn parse_messages(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=10_000,
        "the number of messages must be a whole number from 1 to 10000",
    )
}

#[derive(Args, Debug)]
pub struct MemoryArgs {
    /// Size of the buffer whose pages are shared and then copied, in MiB (1 to 1024)
    #[arg(long, value_name = "MIB", default_value = "64", value_parser = parse_mib, allow_negative_numbers = true)]
    pub mib: usize,
}

/// The command word of `procdemo __spawned …`, which `Lab::spawn` execs.
pub const SPAWNED: &str = "__spawned";

/// The internal command `procdemo __spawned …`: the child end of a lesson's
/// "spawn". It is parsed apart from `Cli`, so that no help, completion or
/// manual page offers it.
#[derive(Parser, Debug)]
#[command(name = "procdemo __spawned")]
pub struct SpawnedCli {
    /// Accepted as everywhere, and unused: the child reports through its pipe.
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub args: SpawnedArgs,
}

/// What `Lab::spawn` passes to the fresh procdemo it runs.
#[derive(Args, Debug)]
pub struct SpawnedArgs {
    #[arg(long)]
    pub lesson: String,
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub events_fd: i32,
    #[arg(long)]
    pub started_ns: u64,
    #[arg(last = true)]
    pub rest: Vec<String>,
}

pub const MIB_LIMIT: usize = 1024;

fn parse_mib(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=MIB_LIMIT,
        &format!(
            "the buffer size must be a whole number of MiB from 1 to {MIB_LIMIT}: the lesson fills it and the child copies half"
        ),
    )
}

#[derive(Args, Debug)]
pub struct LockArgs {
    /// Processes adding to the shared counter (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_lock_workers, allow_negative_numbers = true)]
    pub workers: usize,

    /// Increments each worker makes (1 to 1000000)
    #[arg(long, value_name = "N", default_value = "200000", value_parser = parse_increments, allow_negative_numbers = true)]
    pub increments: usize,
}

#[derive(Args, Debug)]
pub struct SemaphoreArgs {
    /// Worker processes competing for the permits (1 to 16)
    #[arg(long, value_name = "N", default_value = "5", value_parser = parse_lock_workers, allow_negative_numbers = true)]
    pub workers: usize,

    /// Permits: how many workers may be inside at once, Semaphore(N) (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_permits, allow_negative_numbers = true)]
    pub permits: usize,
}

fn parse_lock_workers(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=16,
        "the number of workers must be a whole number from 1 to 16 (this machine has few cores; more only queue up)",
    )
}

fn parse_increments(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=1_000_000,
        "the increments per worker must be a whole number from 1 to 1000000, so the locked run ends in seconds",
    )
}

fn parse_permits(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=16,
        "the permits must be a whole number from 1 to 16: Semaphore(0) would let no one in",
    )
}

#[derive(Args, Debug)]
pub struct PoolArgs {
    /// Worker processes in the pool (1 to 64) [default: this machine's CPUs]
    #[arg(long, value_name = "N", value_parser = parse_pool_workers, allow_negative_numbers = true)]
    pub workers: Option<usize>,

    /// Tasks to run (1 to 100000)
    #[arg(long, value_name = "M", default_value = "10", value_parser = parse_tasks, allow_negative_numbers = true)]
    pub tasks: usize,

    /// How tasks are submitted and results come back, as Python's Pool methods
    #[arg(long, value_enum, default_value_t = PoolMode::Map)]
    pub mode: PoolMode,

    /// Tasks per chunk sent to a worker (1 to 10000) [default: as Python: map splits into about 4 chunks per worker, imap sends 1]
    #[arg(long, value_name = "K", value_parser = parse_chunksize, allow_negative_numbers = true)]
    pub chunksize: Option<usize>,

    /// A worker leaves after this many chunks and a new one takes its place (1 to 100000)
    #[arg(long, value_name = "K", value_parser = parse_tasks, allow_negative_numbers = true)]
    pub maxtasksperchild: Option<usize>,

    /// The worker that runs task I (counted from 0) is killed by SIGKILL in the middle of it
    #[arg(long, value_name = "I", value_parser = clap::value_parser!(usize))]
    pub crash_task: Option<usize>,

    /// Call terminate() this many seconds after the start, cutting off unfinished tasks (0.01 to 600)
    #[arg(long, value_name = "S", value_parser = parse_terminate_after, allow_negative_numbers = true)]
    pub terminate_after: Option<f64>,

    /// What a task does: sleep (I/O-like), spin (CPU-bound) or none (to measure the pool itself)
    #[arg(long, value_enum, default_value_t = Work::Sleep)]
    pub work: Work,

    /// Seed for the tasks' random durations, to repeat a run exactly [default: a new one each run, shown in the output]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
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

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    Sleep,
    Spin,
    None,
}

fn parse_pool_workers(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=64,
        "the pool's workers must be a whole number from 1 to 64",
    )
}

fn parse_tasks(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=100_000,
        "the number must be a whole number from 1 to 100000",
    )
}

fn parse_chunksize(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=10_000,
        "the chunksize must be a whole number from 1 to 10000: a chunk holds at least one task",
    )
}

fn parse_terminate_after(text: &str) -> Result<f64, String> {
    number_in(
        text,
        0.01..=600.0,
        "--terminate-after must be a number of seconds from 0.01 to 600",
    )
}
