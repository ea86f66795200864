//! What each step of the `daemon` lesson reports.

use crate::report;

report! {
    /// The three daemonic children, how many loops each runs, and one tick.
    "daemonic-start" => pub struct DaemonicStart { pub pids: Vec<i32>, pub loops: Vec<u32>, pub tick_ms: u64 }

    /// The first daemonic child forked and reaped a child of its own.
    "os-allows-children" => pub struct OsAllowsChildren {
        pub grandchild_pid: i32,
        pub grandchild_exit_code: Option<i32>,
    }

    /// `join(timeout)` for one tick on one daemonic child.
    "join-one-tick" => pub struct JoinOneTick { pub pid: i32, pub waited_ms: u64, pub is_alive: bool }

    /// One round of a child's loop (counting from 0), of `loops`.
    "loop-count" => pub struct LoopCount { pub count: u32, pub loops: u32 }

    /// The main code ended: one daemonic child, terminated if it still ran;
    /// and, the same in every event of the step, how the race at the third
    /// tick fell: the rounds the 3-loop and 4-loop children reported, and the
    /// 3-loop child's exitcode.
    "main-ends" => pub struct MainEnds {
        pub pid: i32,
        pub loops: u32,
        pub iterations_done: usize,
        pub terminated: bool,
        pub exitcode: i32,
        pub three_loop_done: usize,
        pub three_loop_exitcode: i32,
        pub four_loop_done: usize,
    }

    /// The main code ended, and waited for the non-daemonic child to finish.
    "non-daemonic-waits" => pub struct NonDaemonicWaits {
        pub pid: i32,
        pub loops: u32,
        pub iterations_done: usize,
        pub waited_ms: u64,
        pub exitcode: i32,
    }

    /// The first child after `setsid()`: its pid, session and process group.
    "setsid" => pub struct Setsid { pub getpid: i32, pub sid: i32, pub pgid: i32 }

    /// The first child forked the daemon.
    "second-fork" => pub struct SecondFork { pub daemon_pid: i32 }

    /// The first child leads a session without a terminal; procdemo's own for comparison.
    "session-leader" => pub struct SessionLeader {
        pub first_child: i32,
        pub sid: i32,
        pub sid_equals_pid: bool,
        pub tty_nr: i32,
        pub procdemo_sid: i32,
        pub procdemo_tty_nr: i32,
    }

    /// The daemon, adopted and settled: its parent before and after, and the umask it replaced.
    "daemon-ready" => pub struct DaemonReady { pub ppid_before: i32, pub ppid_after: i32, pub umask_before: String }

    /// The daemon's properties read from `/proc` (a link or the umask null
    /// where it cannot be read).
    "daemon-proved" => pub struct DaemonProved {
        pub daemon_pid: i32,
        pub ppid: i32,
        pub ppid_is_procdemo: bool,
        pub sid: i32,
        pub leads_session: bool,
        pub tty_nr: i32,
        pub cwd: Option<String>,
        pub umask: Option<String>,
        pub stdin: Option<String>,
        pub stdout: Option<String>,
        pub stderr: Option<String>,
    }

    /// The daemon stopped with SIGTERM.
    "daemon-stopped" => pub struct DaemonStopped { pub signal: String, pub exitcode: i32, pub proc_entry_exists: bool }
}
