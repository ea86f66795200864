//! The facts of each step of `costs`. Times are in microseconds (`_us`,
//! to a tenth), memory in KiB; `min` and `median` are over `rounds`.

use serde::{Deserialize, Serialize};

use crate::report;

/// Whether python3 ran, and how.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Python {
    /// It ran and printed its figures.
    Measured,
    /// No `python3` on `PATH`.
    Absent,
    /// It did not finish within the cap and was killed.
    TimedOut,
}

report! {
    /// `fork()` of a child that `_exit(0)`s at once, and `waitpid()`.
    "fork-wait" => pub struct ForkWait {
        pub rounds: usize,
        pub fork_wait_min_us: f64,
        pub fork_wait_median_us: f64,
        pub procdemo_rss_kib: u64,
    }

    /// `/bin/true` started by fork + exec and by `posix_spawn`, in turns.
    "spawn" => pub struct Spawn {
        pub program: String,
        pub rounds: usize,
        pub fork_exec_min_us: f64,
        pub fork_exec_median_us: f64,
        pub spawn_min_us: f64,
        pub spawn_median_us: f64,
    }

    /// A demo child creates and joins threads, then sends bytes to a
    /// second thread through a channel and back.
    "thread" => pub struct Thread {
        pub rounds: usize,
        pub thread_min_us: f64,
        pub thread_median_us: f64,
        pub channel_min_us: f64,
        pub channel_median_us: f64,
        pub threads_after_join: usize,
    }

    /// One byte from procdemo to a child and back, through two pipes.
    "pipe-round-trip" => pub struct PipeRoundTrip {
        pub echo_pid: i32,
        pub rounds: usize,
        pub pipe_min_us: f64,
        pub pipe_median_us: f64,
        pub echoed: usize,
    }

    /// The same ping-pong with both processes pinned to one CPU: each round
    /// trip is two context switches.
    "context-switch" => pub struct ContextSwitch {
        pub cpu: usize,
        pub usable_cpus_before: usize,
        pub rounds: usize,
        pub pinned_min_us: f64,
        pub pinned_median_us: f64,
        pub switch_us: f64,
        pub voluntary_switches: u64,
        pub involuntary_switches: u64,
    }

    /// An idle child's memory next to procdemo's, from `smaps_rollup`.
    "idle-memory" => pub struct IdleMemory {
        pub child_pid: i32,
        pub child_rss_kib: u64,
        pub child_pss_kib: u64,
        pub child_shared_kib: u64,
        pub child_private_kib: u64,
        pub procdemo_rss_kib: u64,
        pub procdemo_pss_kib: u64,
        pub procdemo_private_kib: u64,
        pub shared_percent: u64,
    }

    /// A child writes one byte into each page its parent touched before
    /// the fork, then once more into each.
    "cow-fault" => pub struct CowFault {
        pub pages: usize,
        pub page_kib: usize,
        pub first_write_min_us: f64,
        pub first_write_median_us: f64,
        pub minor_faults: u64,
        pub second_write_median_us: f64,
        pub minor_faults_second: u64,
    }

    /// Python's `Process.start()` + `join()` (fork start method) and
    /// `os.fork()` + `waitpid()`, timed inside python3.
    "python" => pub struct PythonCosts {
        pub python: Python,
        pub python_path: Option<String>,
        pub version: Option<String>,
        pub rounds: Option<usize>,
        pub cap_s: f64,
        pub process_start_join_min_us: Option<f64>,
        pub process_start_join_median_us: Option<f64>,
        pub os_fork_min_us: Option<f64>,
        pub os_fork_median_us: Option<f64>,
    }

    /// The run's figures side by side ("min / median"), and what they say
    /// about "processes are expensive".
    "table" => pub struct Table {
        pub fork_wait: String,
        pub fork_exec: String,
        pub posix_spawn: String,
        pub thread: String,
        pub pipe_round_trip: String,
        pub channel_round_trip: String,
        pub context_switch: String,
        pub cow_fault: String,
        pub python_process: String,
        pub python_fork: String,
        pub idle_child_private_kib: u64,
        pub idle_child_rss_kib: u64,
        pub threads_per_fork: f64,
        pub spawns_per_second: u64,
        pub pipe_per_channel: f64,
    }
}
