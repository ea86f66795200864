//! `fork`: one process becomes two. Code before `fork()` runs once and code
//! after it runs in both processes; `fork()` returns the child's pid in the
//! parent and 0 in the child; the child changes its copy of `w` while the
//! parent's stays 100; the scheduler decides who runs first; the parent
//! waits for and reaps the child.

use std::time::Instant;

use anyhow::Result;
use nix::sched::sched_getcpu;

use crate::lab::{CHILD, Lab, PARENT};
use crate::model::Report;
use crate::report;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// The lesson's variable `w`, and the value the child gives its copy.
const W_START: i64 = 100;
const W_IN_CHILD: i64 = 200;

report! {
    /// The one process before `fork()`, and where its `w` lives.
    "before-fork" => pub struct BeforeFork { pub w: i64, pub w_address: String }

    /// What `fork()` returned on one side, when that side resumed, and on
    /// which CPU (null where the kernel cannot say).
    "after-fork" => pub struct AfterFork {
        pub fork_returned: i32,
        pub resumed_us: u64,
        pub cpu: Option<usize>,
    }

    /// The child's write to its own copy of `w`, at the same address.
    "child-changes-w" => pub struct ChildChangesW {
        pub w_before: i64,
        pub w_after: i64,
        pub w_address: String,
    }

    /// Who resumed first after `fork()`: "parent", "child" or "tie".
    "who-ran-first" => pub struct WhoRanFirst {
        pub first: String,
        pub parent_resumed_us: u64,
        pub child_resumed_us: u64,
        pub gap_us: u64,
        pub parent_cpu: Option<usize>,
        pub child_cpu: Option<usize>,
        pub cpus_online: Option<usize>,
    }

    /// The parent's `w` after the child changed its copy.
    "parent-keeps-w" => pub struct ParentKeepsW { pub w: i64, pub w_address: String, pub child_w: i64 }

    /// The parent reaped the child.
    "wait" => pub struct Wait {
        pub child_pid: i32,
        pub wait_status: i32,
        pub exit_code: Option<i32>,
        pub python_exitcode: i32,
        pub waited_ms: u64,
    }
}

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    let mut w = W_START;
    lab.tell(
        PARENT,
        &BeforeFork {
            w,
            w_address: format!("{:p}", &w),
        },
    )?;

    // Holds the child after its first report until the parent has shown who
    // ran first, so that the narration keeps the steps apart. It orders the
    // telling only: both processes took their timestamps before it.
    let go_on = lab.gate()?;
    // Holds the child's "work" until the parent has told what it sees, so
    // that the parent's waitpid() has that work to wait for: the pauses
    // for people before those steps must not use it up.
    let may_work = lab.gate()?;
    let w_in_parent = &mut w;
    // "Before fork(), one process": the child comes once that is read.
    lab.before(AfterFork::STEP)?;
    let child = lab.fork(CHILD, |side| {
        side.tell(&AfterFork {
            fork_returned: side.fork_returned(),
            resumed_us: side.resumed_us(),
            cpu: cpu(),
        })?;
        side.wait_for(&go_on)?;
        // The same variable, at the same virtual address, in this process's own copy of memory.
        let before = *w_in_parent;
        *w_in_parent = W_IN_CHILD;
        side.tell(&ChildChangesW {
            w_before: before,
            w_after: *w_in_parent,
            w_address: format!("{:p}", w_in_parent),
        })?;
        side.wait_for(&may_work)?;
        // The child's "work": it keeps the parent waiting in waitpid() for a moment.
        side.sleep(1.0);
        Ok(0)
    })?;
    lab.tell(
        PARENT,
        &AfterFork {
            fork_returned: child.pid.as_raw(),
            resumed_us: child.resumed_us,
            cpu: cpu(),
        },
    )?;

    let child_after_fork: AfterFork = lab.expect_report(child.pid)?;
    let child_resumed_us = child_after_fork.resumed_us;
    let first = match child.resumed_us.cmp(&child_resumed_us) {
        std::cmp::Ordering::Less => PARENT,
        std::cmp::Ordering::Greater => CHILD,
        std::cmp::Ordering::Equal => "tie",
    };
    lab.tell(
        PARENT,
        &WhoRanFirst {
            first: first.to_string(),
            parent_resumed_us: child.resumed_us,
            child_resumed_us,
            gap_us: child.resumed_us.abs_diff(child_resumed_us),
            parent_cpu: cpu(),
            child_cpu: child_after_fork.cpu,
            cpus_online: std::thread::available_parallelism().ok().map(usize::from),
        },
    )?;
    lab.open(&go_on);

    let child_change: ChildChangesW = lab.expect_report(child.pid)?;
    lab.tell(
        PARENT,
        &ParentKeepsW {
            w,
            w_address: format!("{:p}", &w),
            child_w: child_change.w_after,
        },
    )?;

    lab.open(&may_work);
    let waiting_since = Instant::now();
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &Wait {
            child_pid: child.pid.as_raw(),
            wait_status: status.0,
            exit_code: status.code(),
            python_exitcode: status.python_exitcode(),
            waited_ms: u64::try_from(waiting_since.elapsed().as_millis()).unwrap_or(u64::MAX),
        },
    )
}

/// The CPU this process runs on right now, or `None` where the kernel cannot say.
fn cpu() -> Option<usize> {
    sched_getcpu().ok()
}
