//! The facts of each step of `states`, as the JSON shows them.

use crate::report;

report! {
    /// The spinner, about to loop: the CPU it is on and how many procdemo
    /// may use (`sched_getaffinity`).
    "spinner-starts" => pub struct SpinnerStarts { pub cpu: usize, pub usable_cpus: usize }

    /// The spinner as `/proc` and `ps` show it while it loops: its state,
    /// its raw `wchan`, the CPU it last ran on and its CPU time so far.
    "running" => pub struct Running {
        pub child_pid: i32,
        pub state: String,
        pub wchan: String,
        pub ps_shows: Option<String>,
        pub last_cpu: u32,
        pub run_us: u64,
    }

    /// The sleeper, blocked in a long `nanosleep`: its state, the kernel
    /// function it sleeps in, and its CPU time.
    "sleeping" => pub struct Sleeping {
        pub child_pid: i32,
        pub state: String,
        pub wchan: String,
        pub wchan_named: bool,
        pub ps_shows: Option<String>,
        pub run_us: u64,
    }

    /// SIGSTOP sent to the spinner, and its state once it took effect.
    "stopped" => pub struct Stopped {
        pub child_pid: i32,
        pub signal: String,
        pub state: String,
        pub ps_shows: Option<String>,
    }

    /// SIGCONT sent to the stopped spinner, and its state right after.
    "continued" => pub struct Continued {
        pub child_pid: i32,
        pub signal: String,
        pub state: String,
        pub ps_shows: Option<String>,
    }

    /// SIGTERM sent to the sleeper, which ended and is not reaped yet.
    "zombie" => pub struct Zombie {
        pub child_pid: i32,
        pub signal: String,
        pub state: String,
        pub ps_shows: Option<String>,
    }

    /// `waitpid()` reaped it: Python's `exitcode`, and its `/proc` entry.
    "reaped" => pub struct Reaped {
        pub child_pid: i32,
        pub python_exitcode: i32,
        pub proc_entry_exists: bool,
    }

    /// More spinners than usable CPUs, sampled while they ran: the letters
    /// seen, and per spinner (same order as `spinner_pids`) its CPU time,
    /// its time waiting in the run queue and its context switches; the
    /// sleeper's context switches beside them.
    "ready" => pub struct Ready {
        pub usable_cpus: usize,
        pub spinners: usize,
        pub window_ms: u64,
        pub samples: u64,
        pub letters_seen: String,
        pub all_runnable: bool,
        pub spinner_pids: Vec<i32>,
        pub run_ms: Vec<u64>,
        pub wait_ms: Vec<u64>,
        pub total_wait_ms: u64,
        pub voluntary: Vec<u64>,
        pub nonvoluntary: Vec<u64>,
        pub sleeper_voluntary: u64,
        pub sleeper_nonvoluntary: u64,
    }

    /// A child in `vfork()`, waiting for its vfork child: its state and
    /// `wchan`, the vfork child's, and its state after a SIGSTOP.
    "uninterruptible" => pub struct Uninterruptible {
        pub vfork_parent_pid: i32,
        pub state: String,
        pub wchan: String,
        pub ps_shows: Option<String>,
        pub vfork_child_pid: i32,
        pub vfork_child_state: String,
        pub vfork_child_wchan: String,
        pub state_after_sigstop: String,
    }

    /// The vfork child ended: its parent's state just before, the state it
    /// reached then (the SIGSTOP it held back), and how it ended after
    /// SIGCONT.
    "vfork-ends" => pub struct VforkEnds {
        pub vfork_parent_pid: i32,
        pub state_before: String,
        pub state: String,
        pub python_exitcode: i32,
    }

    /// The three states of the notes, with the letters this run read for
    /// each, and how many processes of this machine are in each state now.
    "three-states" => pub struct ThreeStates {
        pub running: String,
        pub ready: String,
        pub waiting: String,
        pub stopped: String,
        pub ended: String,
        pub machine_now: String,
    }
}
