//! The pool lesson's reports: the facts of each step, as the process that
//! observed them tells them and as the parent and the tests read them.
//! The workers' own steps, `task-start` and `task-end`, are the lab's pool's
//! (`lab::pool`), which writes them; they are re-exported here.

use serde_json::{Map, Value};

pub use crate::lab::pool::{TaskEnd, TaskStart};
use crate::report;

report! {
    /// The pool's workers (pids), and what it will run: the mode, the number
    /// of tasks, the work each does, and the seed of their durations.
    "pool-start" => pub struct PoolStart {
        pub workers: Vec<i32>,
        pub mode: String,
        pub tasks: usize,
        pub work: String,
        pub seed: u64,
    }

    /// The tasks cut into chunks, and how many chunks went out at once (1
    /// for `apply`).
    "submit" => pub struct Submit { pub chunks: usize, pub chunksize: usize, pub submitted_at_once: usize }

    /// A worker was killed: the unfinished tasks of the chunks it had taken,
    /// and the signal.
    "task-lost" => pub struct TaskLost { pub tasks: Vec<usize>, pub worker: i32, pub signal: Option<String> }

    /// A new worker took the place of one that left, and why it left
    /// (`killed` or `maxtasksperchild`).
    "worker-replaced" => pub struct WorkerReplaced { pub old: i32, pub new: i32, pub reason: String }

    /// `terminate()` after `after_s` seconds: the tasks it cut off, and the
    /// stopped workers' exitcodes.
    "terminate" => pub struct Terminate {
        pub after_s: f64,
        pub tasks_cut_off: usize,
        pub cut_off: Vec<usize>,
        pub workers_stopped: Vec<i32>,
    }

    /// `close()`: one stop record per worker, once every task has ended or
    /// was lost with a worker that died (`tasks_lost` of them).
    "close" => pub struct Close { pub stop_records: usize, pub tasks_lost: usize }

    /// `join()`: the workers that left, and their exit codes.
    "join" => pub struct Join { pub workers_exited: usize, pub exit_codes: Vec<i32> }

    /// The results in the order they came and in the order the mode yields them.
    "results" => pub struct Results {
        pub mode: String,
        pub arrival_order: Vec<usize>,
        pub yield_order: Vec<usize>,
        pub in_input_order: bool,
    }

    /// The run counted: tasks completed and lost, the wall time from the
    /// first task's start to the last one's end against the tasks' time
    /// added up, the tasks each worker ran (pid → count), how many of the
    /// pool's workers (the first ones and their replacements) ran none, and
    /// a timeline with one lane per worker.
    "pool-summary" => pub struct PoolSummary {
        pub tasks: usize,
        pub completed: usize,
        pub lost: Vec<usize>,
        pub wall_ms: u64,
        pub task_ms_sum: u64,
        pub speedup: f64,
        pub tasks_per_worker: Map<String, Value>,
        pub idle_workers: usize,
        pub timeline: Value,
    }
}
