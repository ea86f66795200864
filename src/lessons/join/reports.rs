//! What each step of the `join` lesson reports.

use crate::report;

report! {
    /// How long the child will work before it ends.
    "child-works" => pub struct ChildWorks { pub work_ms: u64 }

    /// `join()` blocked until the child ended.
    "join-waits" => pub struct JoinWaits {
        pub child_pid: i32,
        pub waited_ms: u64,
        pub is_alive: bool,
        pub exitcode: i32,
    }

    /// `join(timeout)` gave up while the child still ran (`exitcode` null,
    /// `state` the child's `/proc` state, null if unreadable).
    "join-timeout" => pub struct JoinTimeout {
        pub timeout_s: f64,
        pub waited_ms: u64,
        pub is_alive: bool,
        pub exitcode: Option<i32>,
        pub state: Option<String>,
    }

    /// The second `join()`, once the child was let go.
    "join-again" => pub struct JoinAgain { pub waited_ms: u64, pub is_alive: bool, pub exitcode: i32 }

    /// The way this child is about to end.
    "exit-case" => pub struct ExitCase { pub case: String }

    /// How one case's child ended, as `waitpid()` and Python tell it.
    "exit-code" => pub struct ExitCode {
        pub case: String,
        pub wait_status: i32,
        pub exit_code: Option<i32>,
        pub signal: Option<String>,
        pub python_exitcode: i32,
    }

    /// How long this child worked before it ended.
    "child-ends" => pub struct ChildEnds { pub worked_ms: u64 }

    /// Joining the three children in start order (`first_ended_last`: the
    /// first started was the last to report its end, as planned).
    "join-in-order" => pub struct JoinInOrder {
        pub start_order: Vec<i32>,
        pub reap_order: Vec<i32>,
        pub already_ended_when_joined: Vec<bool>,
        pub waited_ms: u64,
        pub first_ended_last: bool,
    }

    /// Waiting for whichever child ends first, three times
    /// (`all_ended_before_first_call`: all three had ended before the first
    /// `waitpid(-1)`; `reaped_in_end_order`: `reap_order` equals `end_order`).
    "wait-any" => pub struct WaitAny {
        pub start_order: Vec<i32>,
        pub end_order: Vec<i32>,
        pub reap_order: Vec<i32>,
        pub all_ended_before_first_call: bool,
        pub reaped_in_end_order: bool,
    }

    /// The first child's copy of the list after one more append.
    "first-appends" => pub struct FirstAppends { pub nums: Vec<i64> }

    /// The list as the second child sees it, and when that child started.
    "second-sees" => pub struct SecondSees { pub nums: Vec<i64>, pub resumed_us: u64 }

    /// The first child was done and reaped before the second started.
    "no-overlap" => pub struct NoOverlap {
        pub first_done_us: u64,
        pub first_reaped_us: u64,
        pub second_started_us: u64,
        pub overlap: bool,
        pub parent_nums: Vec<i64>,
    }
}
