//! The facts of each step of `threads`, as the JSON shows them.

use crate::report;

report! {
    /// In a child with two threads: the global before, the value the second
    /// thread stored, and what the first thread read after joining it; the
    /// global's address, and both threads' ids.
    "thread-shares" => pub struct ThreadShares {
        pub address: String,
        pub before: i32,
        pub thread_set: i32,
        pub main_reads: i32,
        pub pid: i32,
        pub main_tid: i32,
        pub thread_tid: i32,
    }

    /// A forked child set the same global in its copy and exited with the
    /// value it then read; procdemo's own global afterwards.
    "fork-copies" => pub struct ForkCopies {
        pub address: String,
        pub child_pid: i32,
        pub child_set: i32,
        pub child_exit_code: Option<i32>,
        pub parent_reads: i32,
    }

    /// A child with three threads, read from outside: `/proc/<pid>/task`,
    /// each task's `Tgid` (its `getpid()`) and `Pid` (its `gettid()`), the
    /// `Threads:` line, and `ps -L` (null without `ps`).
    "tasks" => pub struct Tasks {
        pub child_pid: i32,
        pub task_ids: Vec<i32>,
        pub getpid_of_each: Vec<i32>,
        pub gettid_of_each: Vec<i32>,
        pub task_names: Vec<String>,
        pub threads_line: Option<String>,
        pub ps_shows: Option<String>,
    }

    /// One thread of that child wrote to an address it may not touch; the
    /// tasks left in the ended child before it was reaped, and the state of
    /// the first of them; its core limit and the system's `core_pattern`.
    "thread-fault" => pub struct ThreadFault {
        pub child_pid: i32,
        pub faulting_tid: i32,
        pub tasks_before: Vec<i32>,
        pub wait_status: i32,
        pub killed_by: Option<i32>,
        pub signal: Option<String>,
        pub core_dumped: bool,
        pub tasks_left: Vec<i32>,
        pub left_state: String,
        pub core_limit: String,
        pub core_pattern: String,
    }

    /// The same fault in a child process, beside a sibling child.
    "process-fault" => pub struct ProcessFault {
        pub faulty_pid: i32,
        pub wait_status: i32,
        pub killed_by: Option<i32>,
        pub signal: Option<String>,
        pub core_dumped: bool,
        pub sibling_pid: i32,
        pub sibling_state: String,
        pub parent_threads: Option<usize>,
    }

    /// In the grandchild forked by a two-thread child while its other
    /// thread held a lock: the parent's tasks (read just before the fork),
    /// its own, and the lock it tried to take.
    "fork-in-threads" => pub struct ForkInThreads {
        pub parent_tasks: Vec<i32>,
        pub own_tasks: Vec<i32>,
        pub lock_tries: u64,
        pub waited_ms: u64,
        pub still_locked: bool,
    }

    /// CPU-bound work, in ms: one thread doing two units, two threads or
    /// two processes doing one each, then the same pinned to one CPU;
    /// `unit_ms` is half of one thread's fastest round. Each speed-up is
    /// the one-thread min of the rounds timed with it ÷ the two's min (both
    /// shown). `most_speedup`: the most a speed-up can be on the usable
    /// CPUs, with 15% for noise (pinned: 1.15); `disturbed` when one is
    /// over it; `unit_short` when a unit came out under half of the 5 ms
    /// it was sized to; `load_average` from `/proc/loadavg` after measuring.
    "cpu-bound" => pub struct CpuBound {
        pub usable_cpus: usize,
        pub rounds: u32,
        pub unit_ms: f64,
        pub one_min_ms: f64,
        pub one_median_ms: f64,
        pub threads_one_min_ms: f64,
        pub threads_min_ms: f64,
        pub threads_median_ms: f64,
        pub threads_speedup: f64,
        pub processes_one_min_ms: f64,
        pub processes_min_ms: f64,
        pub processes_median_ms: f64,
        pub processes_speedup: f64,
        pub sped_up: bool,
        pub pinned_cpu: usize,
        pub pinned_threads_one_min_ms: f64,
        pub pinned_threads_min_ms: f64,
        pub pinned_threads_speedup: f64,
        pub pinned_processes_one_min_ms: f64,
        pub pinned_processes_min_ms: f64,
        pub pinned_processes_speedup: f64,
        pub pinned_sped_up: bool,
        pub most_speedup: f64,
        pub pinned_most_speedup: f64,
        pub disturbed: bool,
        pub unit_short: bool,
        pub load_average: String,
    }

    /// python3 run as a child of procdemo, if on PATH, with the same test;
    /// speed-ups are one ÷ two of the best-of-3 times shown; `disturbed`
    /// when threads with a GIL, or processes on one usable CPU, came out
    /// more than 1.15 times as fast as one thread.
    "python-gil" => pub struct PythonGil {
        pub present: bool,
        pub python_pid: i32,
        pub exit_code: Option<i32>,
        pub timed_out: bool,
        pub cap_s: u64,
        pub version: Option<String>,
        pub usable_cpus: usize,
        pub one_ms: Option<f64>,
        pub threads_ms: Option<f64>,
        pub processes_ms: Option<f64>,
        pub python_threads_speedup: Option<f64>,
        pub python_processes_speedup: Option<f64>,
        pub threads_sped_up: Option<bool>,
        pub processes_sped_up: Option<bool>,
        pub gil_enabled: Option<bool>,
        pub python_disturbed: bool,
    }
    /// procdemo's own thread count, and the most tasks read in one child
    /// (`tasks`, and the forker's as its grandchild read them).
    "procdemo-rule" => pub struct ProcdemoRule {
        pub procdemo_pid: i32,
        pub procdemo_threads: Option<usize>,
        pub most_threads_in_a_child: usize,
    }
}
