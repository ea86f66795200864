//! The facts of each `procdemo observe` event, as docs/events.md lists
//! them: what the tracer writes, the narration reads and the tests check.

use serde_json::Value;

use crate::report;

report! {
    /// What is observed, and by whom.
    "observe-start" => pub struct ObserveStart {
        pub command: Vec<String>,
        /// Null when `/proc/<pid>/exe` could not be read.
        pub program: Option<String>,
        pub main_pid: i32,
        pub subreaper: bool,
    }

    /// A new process, with what fork (or vfork, clone) returned on each side.
    "process-created" => pub struct ProcessCreated {
        pub parent_pid: i32,
        pub by_tid: i32,
        pub call: String,
        /// Null for vfork while the parent has not come back from it.
        pub parent_saw: Option<i64>,
        /// Null when the child ended (SIGKILL) before its first stop.
        pub child_saw: Option<i64>,
        pub name: String,
        pub python: Option<String>,
    }

    "thread-created" => pub struct ThreadCreated {
        pub tid: i32,
        pub by_tid: i32,
        pub threads: u32,
    }

    "thread-ended" => pub struct ThreadEnded {
        pub tid: i32,
        pub threads: u32,
    }

    "exec" => pub struct Exec {
        /// This and `name` and `argv`: null when `/proc` could not be read.
        pub program: Option<String>,
        /// `/proc/<pid>/comm` after the exec: the name `ps` shows.
        pub name: Option<String>,
        /// The thread that called exec: another than the process's first
        /// when a thread exec'd (it then takes the process's pid).
        pub by_tid: i32,
        pub argv: Option<Vec<String>>,
        pub previous: String,
        pub pid_kept: bool,
        pub python: Option<String>,
    }

    "exec-failed" => pub struct ExecFailed {
        pub path: String,
        pub errno: String,
        pub call: String,
    }

    "channels" => pub struct Channels {
        pub at: String,
        pub ends: Vec<ChannelEnd>,
    }

    "signal" => pub struct SignalDelivered {
        pub tid: i32,
        pub signal: String,
        pub number: i32,
        pub origin: String,
        pub sender_pid: Option<i32>,
        /// The process ignores it (SIG_IGN, or a default of ignoring):
        /// nothing happens, and without a tracer the kernel would have
        /// dropped it at once.
        pub ignored: bool,
    }

    "exited" => pub struct Exited {
        pub exit_code: Option<i32>,
        pub signal: Option<String>,
        pub core_dumped: bool,
        pub lived_us: u64,
        pub threads_created: u32,
    }

    "reaped" => pub struct Reaped {
        pub reaper_pid: i32,
        pub reaper: String,
        pub call: Option<String>,
        pub zombie_us: u64,
    }

    "adopted" => pub struct Adopted {
        pub old_parent_pid: i32,
        pub new_parent_pid: i32,
        pub by_procdemo: bool,
        pub zombie: bool,
    }

    "remaining" => pub struct Remaining {
        pub processes: Vec<RemainingProcess>,
        pub killed: bool,
    }

    "observe-end" => pub struct ObserveEnd {
        pub exit_code: Option<i32>,
        pub signal: Option<String>,
        pub status: u8,
        pub processes: u64,
        pub threads: u64,
        pub programs_run: u64,
        pub exec_failures: u64,
        pub zombies: u64,
        /// Null when no process was a zombie.
        pub zombie_us_max: Option<u64>,
        pub orphans: u64,
        /// Signals delivered that the process did not ignore.
        pub signals: u64,
        pub signals_ignored: u64,
        /// Processes the kernel reaped at once: their parent ignores SIGCHLD.
        pub kernel_reaped: u64,
        pub never_reaped: Vec<i32>,
        pub remaining: Vec<i32>,
        pub channels: Vec<SharedChannel>,
        pub tree: Value,
        pub timeline: Value,
    }

    "observe-stopped" => pub struct ObserveStopped {
        pub signal: String,
        /// procdemo's exit status: 128 + the signal.
        pub status: u8,
        pub left_running: Vec<i32>,
    }
}

/// One pipe or socket descriptor of a process.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChannelEnd {
    pub fd: i32,
    pub kind: String,
    pub inode: u64,
    pub access: String,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RemainingProcess {
    pub pid: i32,
    pub name: String,
    pub state: String,
}

/// A pipe or socket that two or more processes held.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SharedChannel {
    pub kind: String,
    pub inode: u64,
    pub holders: Vec<Holder>,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    pub pid: i32,
    pub fd: i32,
    pub access: String,
    /// When the holder was last looked at: `fork` or `exec`.
    pub at: String,
}
