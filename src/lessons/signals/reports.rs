//! The facts of each step of `signals`.

use crate::report;

report! {
    /// SIGTERM sent to a sleeping child, and the status `waitpid()` gave.
    "terminate" => pub struct Terminate {
        pub child_pid: i32,
        pub wait_status: i32,
        pub killed_by: Option<i32>,
        pub python_exitcode: i32,
    }

    /// The child's attempts to handle and to ignore SIGKILL: the errno of
    /// each `sigaction()` (null if the kernel had accepted it).
    "kill-refused" => pub struct KillRefused {
        pub handler_errno: Option<String>,
        pub ignore_errno: Option<String>,
    }

    /// SIGKILL sent to that child, and the status `waitpid()` gave.
    "killed" => pub struct Killed {
        pub child_pid: i32,
        pub wait_status: i32,
        pub killed_by: Option<i32>,
        pub python_exitcode: i32,
    }

    /// A child's state before SIGSTOP and after it (`waitid(WSTOPPED)`
    /// said which signal stopped it). Held while it is stopped.
    "stopped" => pub struct Stopped {
        pub child_pid: i32,
        pub state_before: String,
        pub stopped_by: String,
        pub state_stopped: String,
    }

    /// The same child after SIGCONT: `waitid(WCONTINUED)` returned, and its
    /// state once it sleeps again.
    "continued" => pub struct Continued {
        pub child_pid: i32,
        pub continued_seen: bool,
        pub state_after: String,
    }

    /// What the child set: a handler, an ignored signal, a blocked one.
    "set-up" => pub struct SetUp {
        pub handled: String,
        pub ignored: String,
        pub blocked: String,
    }

    /// The child's signal sets as procdemo read them from
    /// `/proc/<child>/status`: the hex mask and the names it decodes to.
    "masks" => pub struct Masks {
        pub child_pid: i32,
        pub sig_cgt: String,
        pub caught: Vec<String>,
        pub sig_ign: String,
        pub ignored: Vec<String>,
        pub sig_blk: String,
        pub blocked: Vec<String>,
        pub sig_pnd: String,
        pub shd_pnd: String,
    }

    /// After procdemo sent SIGUSR1 twice and SIGUSR2 once while neither was
    /// blocked: how often the handler ran; the child has blocked SIGUSR1 since.
    "handler" => pub struct Handler {
        pub sent: Vec<String>,
        pub handler_runs: usize,
        pub now_blocked: String,
    }

    /// SIGUSR1 sent twice to the child that blocks it: `/proc` shows it
    /// pending (`ShdPnd`: sent to the process) and blocked.
    "pending" => pub struct Pending {
        pub child_pid: i32,
        pub sent: usize,
        pub sig_blk: String,
        pub blocked: Vec<String>,
        pub sig_pnd: String,
        pub thread_pending: Vec<String>,
        pub shd_pnd: String,
        pub process_pending: Vec<String>,
    }

    /// Once unblocked, how often the handler ran for the signals sent while
    /// blocked.
    "one-bit" => pub struct OneBit {
        pub sent_while_blocked: usize,
        pub runs_after_unblock: usize,
    }

    /// What an SA_SIGINFO handler saw of the signal procdemo queued with a
    /// value: `si_value` and `si_pid` of each arrival, and the child's parent.
    "sigqueue" => pub struct Sigqueue {
        pub value_sent: i32,
        pub values_received: Vec<i32>,
        pub sender_pids: Vec<i32>,
        pub parent_pid: i32,
    }

    /// A child's own child ended; `sigwaitinfo()` gave the SIGCHLD with its siginfo.
    "sigchld" => pub struct Sigchld {
        pub grandchild_pid: i32,
        pub signal: String,
        pub si_pid: i32,
        pub si_code: String,
        pub si_status: i32,
    }

    /// A grandchild's signal sets from `/proc/self/status`, beside those
    /// its parent read before it forked.
    "across-fork" => pub struct AcrossFork {
        pub parent_caught: Vec<String>,
        pub parent_ignored: Vec<String>,
        pub caught: Vec<String>,
        pub ignored: Vec<String>,
        pub same_caught: bool,
        pub same_ignored: bool,
    }

    /// The same process after `exec` of a fresh procdemo: its signal sets
    /// now, from `/proc/self/status` (before exec: `across-fork`'s `parent_*`).
    "across-exec" => pub struct AcrossExec {
        pub caught: Vec<String>,
        pub ignored: Vec<String>,
        pub handler_kept: bool,
        pub ignore_kept: bool,
    }

    /// Two children in a new process group, a third in another, each
    /// group read back with `getpgid()`, beside procdemo's own.
    "groups" => pub struct Groups {
        pub procdemo_pgid: i32,
        pub group: i32,
        pub members: Vec<i32>,
        pub member_groups: Vec<i32>,
        pub spared_pid: i32,
        pub spared_group: i32,
    }

    /// SIGINT sent to the first group with `killpg()`: how each member
    /// ended, and the other child's state afterwards and its exitcode.
    "killpg" => pub struct Killpg {
        pub signal: String,
        pub group: i32,
        pub member_exitcodes: Vec<i32>,
        pub spared_state: String,
        pub spared_exitcode: i32,
    }
}
