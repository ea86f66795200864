//! `fork`: one process becomes two. Code before `fork()` runs once and code
//! after it runs in both processes; `fork()` returns the child's pid in the
//! parent and 0 in the child; the child changes its copy of `w` while the
//! parent's stays 100; the scheduler decides who runs first; the parent
//! waits for and reaps the child.

use std::time::Instant;

use anyhow::Result;
use nix::sched::sched_getcpu;
use serde_json::{Value, json};

use crate::lab::{CHILD, Lab, PARENT};

/// The notes' variable and the value the child gives its copy.
const W_START: i64 = 100;
const W_IN_CHILD: i64 = 200;

pub fn run(lab: &mut Lab) -> Result<()> {
    let mut w = W_START;
    lab.emit(
        PARENT,
        "before-fork",
        json!({ "w": w, "w_address": format!("{:p}", &w) }),
    )?;

    // Holds the child after its first report until the parent has shown who
    // ran first, so that the narration keeps the steps apart. It orders the
    // telling only: both processes took their timestamps before it.
    let go_on = lab.gate()?;
    let w_in_parent = &mut w;
    let child = lab.fork(CHILD, |side| {
        side.report("after-fork", json!({ "fork_returned": side.fork_returned(), "resumed_us": side.resumed_us(), "cpu": cpu() }))?;
        side.wait_for(&go_on)?;
        // The same variable, at the same virtual address, in this process's own copy of memory.
        let before = *w_in_parent;
        *w_in_parent = W_IN_CHILD;
        side.report(
            "child-changes-w",
            json!({ "w_before": before, "w_after": *w_in_parent, "w_address": format!("{:p}", w_in_parent) }),
        )?;
        // The child's "work": it keeps the parent waiting in waitpid() for a moment.
        side.sleep(1.0);
        Ok(0)
    })?;
    lab.emit(
        PARENT,
        "after-fork",
        json!({ "fork_returned": child.pid.as_raw(), "resumed_us": child.resumed_us, "cpu": cpu() }),
    )?;

    let child_after_fork = lab.expect(child.pid, "after-fork")?;
    let child_resumed_us = child_after_fork
        .fact("resumed_us")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let first = match child.resumed_us.cmp(&child_resumed_us) {
        std::cmp::Ordering::Less => PARENT,
        std::cmp::Ordering::Greater => CHILD,
        std::cmp::Ordering::Equal => "tie",
    };
    lab.emit(
        PARENT,
        "who-ran-first",
        json!({
            "first": first,
            "parent_resumed_us": child.resumed_us,
            "child_resumed_us": child_resumed_us,
            "gap_us": child.resumed_us.abs_diff(child_resumed_us),
            "parent_cpu": cpu(),
            "child_cpu": child_after_fork.fact("cpu").cloned().unwrap_or(Value::Null),
            "cpus_online": std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        }),
    )?;
    lab.open(&go_on);

    let child_change = lab.expect(child.pid, "child-changes-w")?;
    lab.emit(
        PARENT,
        "parent-keeps-w",
        json!({
            "w": w,
            "w_address": format!("{:p}", &w),
            "child_w": child_change.fact("w_after").cloned().unwrap_or(Value::Null),
        }),
    )?;

    let waiting_since = Instant::now();
    let status = lab.wait(child.pid)?;
    lab.emit(
        PARENT,
        "wait",
        json!({
            "child_pid": child.pid.as_raw(),
            "wait_status": status.0,
            "exit_code": status.code(),
            "python_exitcode": status.python_exitcode(),
            "waited_ms": waiting_since.elapsed().as_millis() as u64,
        }),
    )
}

/// The CPU this process runs on right now, or null where the kernel cannot say.
fn cpu() -> Value {
    sched_getcpu().map_or(Value::Null, |cpu| json!(cpu))
}
