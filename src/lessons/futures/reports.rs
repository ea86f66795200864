//! The futures lesson's reports: the facts of each step. `task-raised` is
//! the lab executor's own (`lab::futures`), re-exported here.

pub use crate::lab::futures::TaskRaised;
pub use crate::lab::futures::manager::{ManagerConnected, ManagerEnd};
use crate::report;

report! {
    /// The first `submit()` to an executor whose workers start all at once,
    /// by Python 3.11's rule for the start method `fork` (`rule_of`): the
    /// future it returned, and procdemo's children in `/proc` once the
    /// executor was made (before any submit) and right after that submit.
    "first-submit" => pub struct FirstSubmit {
        pub rule_of: String,
        pub max_workers: usize,
        pub future: usize,
        pub workers_before_submit: usize,
        pub workers_in_proc: usize,
        pub workers: Vec<i32>,
    }

    /// The first submit and two more right after it: their futures, each
    /// task's duration (ms), whether each future was done when its submit
    /// returned, and when each submit returned (µs after the first began).
    "submit" => pub struct Submit {
        pub futures: Vec<usize>,
        pub durations_ms: Vec<u64>,
        pub done_at_submit: Vec<bool>,
        pub submitted_us: Vec<u64>,
    }

    /// `as_completed()`: the futures in the order they completed, each
    /// one's worker and end (µs after the first submit began), how long
    /// each waited between its submit and its start (end − submit −
    /// duration, µs), and whether that is the order of their durations, or
    /// of their submission.
    "as-completed" => pub struct AsCompleted {
        pub order: Vec<usize>,
        pub workers: Vec<i32>,
        pub ended_us: Vec<u64>,
        pub waited_us: Vec<i64>,
        pub by_duration: bool,
        pub by_submission: bool,
    }

    /// `map()`: its inputs, their tasks' durations (ms), the inputs in the
    /// order their tasks completed, and in the order map yielded results.
    "map" => pub struct Map {
        pub inputs: Vec<u64>,
        pub durations_ms: Vec<u64>,
        pub completed_order: Vec<u64>,
        pub yielded_order: Vec<u64>,
        pub results: Vec<u64>,
        pub completion_differs: bool,
    }

    /// A task a worker runs and holds (until procdemo opens a gate or kills it).
    "task-running" => pub struct TaskRunning { pub task: usize }

    /// `result()` of the future whose task raised: the error it raised, the
    /// worker that ran it, that worker's state in `/proc` now, and the task
    /// it is running now.
    "result-raises" => pub struct ResultRaises {
        pub future: usize,
        pub error: String,
        pub worker: i32,
        pub worker_state: String,
        pub worker_runs_now: usize,
        pub same_worker: bool,
    }

    /// `shutdown(wait=True)`: the workers, their exit codes (as Python's
    /// `exitcode`), whether `/proc` still lists any, and how long it took (µs).
    "shutdown" => pub struct Shutdown {
        pub workers: Vec<i32>,
        pub exitcodes: Vec<i32>,
        pub left_in_proc: usize,
        pub took_us: u64,
    }

    /// A new executor whose workers start on demand, by Python 3.11's rule
    /// for the other start methods (`rule_of`: `spawn`; procdemo forks): how many `/proc` shows
    /// after the first submit and after the second (the first task still
    /// running).
    "on-demand" => pub struct OnDemand {
        pub rule_of: String,
        pub max_workers: usize,
        pub workers_after_first: usize,
        pub workers_after_second: usize,
        pub workers: Vec<i32>,
    }

    /// `shutdown(wait=False)`: how long it took to return (µs), the futures
    /// not done then, and their workers' states in `/proc`.
    "shutdown-nowait" => pub struct ShutdownNowait {
        pub took_us: u64,
        pub not_done: Vec<usize>,
        pub workers: Vec<i32>,
        pub worker_states: Vec<String>,
    }

    /// After `shutdown(wait=False)` returned: the running tasks' results,
    /// and the workers' exit codes once they left by themselves.
    "after-shutdown" => pub struct AfterShutdown {
        pub results: Vec<u64>,
        pub workers: Vec<i32>,
        pub exitcodes: Vec<i32>,
    }

    /// SIGKILL to a worker mid-task: the worker, its task, its exit code;
    /// the futures that failed with it and their error (Python's exception
    /// name); how long from the kill until the executor was broken and its
    /// other workers reaped (µs); the other workers terminated, and their
    /// exit codes; whether submit() is refused now.
    "worker-killed" => pub struct WorkerKilled {
        pub worker: i32,
        pub task: usize,
        pub signal: String,
        pub exitcode: i32,
        pub failed_futures: Vec<usize>,
        pub error: String,
        pub noticed_after_us: u64,
        pub terminated: Vec<i32>,
        pub terminated_exitcodes: Vec<i32>,
        pub submit_refused: bool,
    }

    /// A pipe (what a plain `multiprocessing.Queue` is built on) made after
    /// the workers started: its name in procdemo's `/proc/self/fd`, and
    /// whether each worker's `/proc/<pid>/fd` has it.
    "plain-queue" => pub struct PlainQueue {
        pub queue_pipe: String,
        pub in_procdemo: bool,
        pub workers: Vec<i32>,
        pub in_workers: Vec<bool>,
    }

    /// A worker connected to the manager (its proxy) and put an item: the
    /// descriptor and the socket it names.
    "proxy-connected" => pub struct ProxyConnected { pub task: usize, pub fd: i32, pub socket: String }

    /// The manager process and its socket's path (removed now that every
    /// proxy is connected); each worker's socket as read from outside in
    /// `/proc/<pid>/fd`; the manager's ends with their peers' pids
    /// (`SO_PEERCRED`); whether every worker and procdemo are among those
    /// peers; procdemo's tree now.
    "manager-queue" => pub struct ManagerQueue {
        pub manager: i32,
        pub socket_path: String,
        pub path_exists: bool,
        pub workers: Vec<i32>,
        pub worker_sockets: Vec<String>,
        pub manager_ends: Vec<ManagerEnd>,
        pub peers_match: bool,
        pub tree: serde_json::Value,
    }

    /// procdemo's `get()`s through its proxy: the items the workers put,
    /// and the manager's exit code once every proxy closed.
    "queue-items" => pub struct QueueItems { pub items: Vec<String>, pub manager_exitcode: i32 }
}
