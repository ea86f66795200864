//! What each step of the `exec` lesson reports.

use serde_json::Value;

use crate::report;

report! {
    /// The forked child, still procdemo, has filled a variable of its own.
    "before-exec" => pub struct BeforeExec { pub variable_mib: usize, pub first_byte: u8, pub rss_kb: Option<u64> }

    /// The same pid read by procdemo before and after the child's `execve`.
    "after-exec" => pub struct AfterExec {
        pub child_pid: i32,
        pub exe_before: String,
        pub exe_after: String,
        pub cmdline_before: Vec<String>,
        pub cmdline_after: Vec<String>,
        pub rss_before_kb: Option<u64>,
        pub rss_after_kb: Option<u64>,
        pub old_program_mapped: bool,
        pub ppid_after: i32,
        pub waits_in: Option<String>,
    }

    /// procdemo's `waitpid()` for the new program.
    "exec-waited" => pub struct ExecWaited { pub child_pid: i32, pub wait_status: i32, pub exit_code: Option<i32> }

    /// An exec of a program that does not exist: what the child got back.
    "exec-fails" => pub struct ExecFails {
        pub child_pid: i32,
        pub exe_before_exec: String,
        pub program: String,
        pub errno: String,
        pub errno_number: i32,
        pub wait_status: i32,
        pub exit_code: Option<i32>,
    }

    /// `tr` fed through one pipe and read through another.
    "communicate" => pub struct Communicate {
        pub child_pid: i32,
        pub argv: Vec<String>,
        pub fed: String,
        pub captured: String,
        pub exit_code: Option<i32>,
    }

    /// How `returncode` comes out: an exit code, or minus a signal.
    "returncode" => pub struct Returncode {
        pub failing_argv: Vec<String>,
        pub failing_exit_code: Option<i32>,
        pub killed_argv: Vec<String>,
        pub signal: String,
        pub killed_wait_status: i32,
        pub killed_returncode: i32,
    }

    /// `sh -c` with one command: is there a shell process while it runs?
    "shell-one" => pub struct ShellOne {
        pub command: String,
        pub shell: String,
        pub child_pid: i32,
        pub running_as: String,
        pub shell_stayed: bool,
        pub tree: Value,
    }

    /// A "file name" pasted into a shell command, and what ran.
    "injection" => pub struct Injection {
        pub file_name: String,
        pub command: String,
        pub child_pid: i32,
        pub running_as: String,
        pub shell_stayed: bool,
        pub program_under_shell: Option<String>,
        pub tree: Value,
        pub output_after: String,
        pub injected_ran: bool,
    }

    /// The new program's descriptor table, read from `/proc/<pid>/fd`.
    "fds-across-exec" => pub struct FdsAcrossExec {
        pub child_pid: i32,
        pub inherited_fd: i32,
        pub inherited_open_after_exec: bool,
        pub cloexec_fd: i32,
        pub cloexec_open_after_exec: bool,
        pub descriptors: Vec<String>,
    }

    /// A pipe's write end leaked into the child: EOF only once it ends.
    "leak-eof" => pub struct LeakEof {
        pub holder_pid: i32,
        pub eof_while_holder_lives: bool,
        pub read_while_holder_lives: String,
        pub holder_exit_code: Option<i32>,
        pub eof_after_holder_ended: bool,
    }

    /// fork + exec against posix_spawn of the same program, each run to its end.
    "cost" => pub struct Cost {
        pub program: String,
        pub runs: usize,
        pub procdemo_rss_kb: Option<u64>,
        pub fork_exec_min_us: u64,
        pub fork_exec_median_us: u64,
        pub fork_exec_max_us: u64,
        pub spawn_min_us: u64,
        pub spawn_median_us: u64,
        pub spawn_max_us: u64,
        pub spawn_saving_percent: i64,
        pub margin_percent: i64,
        pub about_same: bool,
        pub spawn_faster: bool,
    }
}
