//! `pids`: every process has its own pid and knows its parent's. Several
//! children report `getpid()`/`getppid()`; the parent checks that each child's
//! parent is itself and that no two children share a pid, then reads its own
//! ancestry from `/proc` and draws it, children included, as `pstree -p` would.

use anyhow::{Context, Result};
use nix::unistd::{getpid, getppid};
use serde_json::{Value, json};

use crate::config::within;
use crate::lab::{CHILD, Lab, PARENT};
use crate::os::procfs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many children to start (1 to 16)
    #[arg(long, value_name = "N", default_value = "3", value_parser = within(1..=CHILDREN_LIMIT, format!("the number of children must be a whole number from 1 to {CHILDREN_LIMIT}, so that every child fits on one screen")), allow_negative_numbers = true)]
    pub children: u32,
}

pub const CHILDREN_LIMIT: u32 = 16;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    let me = getpid();
    let parent = procfs::stat(getppid()).context("reading the parent's /proc/<pid>/stat")?;
    lab.emit(
        PARENT,
        "parent-ids",
        json!({ "getpid": me.as_raw(), "getppid": parent.pid, "parent_name": parent.comm }),
    )?;

    // The children stay alive until the parent has read /proc, so the tree
    // below is a live snapshot and not a list of the dead.
    let snapshot_taken = lab.gate()?;
    let mut children = Vec::new();
    for number in 1..=args.children {
        // Python names children Process-1, Process-2, … in the order they are created.
        let name = format!("Process-{number}");
        let forked = lab.fork(CHILD, |side| {
            side.report(
                "child-ids",
                json!({ "name": name, "getpid": getpid().as_raw(), "getppid": getppid().as_raw() }),
            )?;
            side.wait_for(&snapshot_taken)?;
            Ok(0)
        })?;
        lab.label(forked.pid, &name);
        children.push((forked.pid, name));
    }

    let mut reported = Vec::new();
    for (pid, _) in &children {
        let event = lab.expect(*pid, "child-ids")?;
        let number = |name: &str| event.fact(name).and_then(Value::as_i64).unwrap_or(0);
        reported.push((pid.as_raw(), number("getpid"), number("getppid")));
    }
    let mut distinct: Vec<i64> = reported.iter().map(|(_, own, _)| *own).collect();
    distinct.sort_unstable();
    distinct.dedup();
    lab.emit(
        PARENT,
        "ids-checked",
        json!({
            "child_pids": reported.iter().map(|(_, own, _)| *own).collect::<Vec<_>>(),
            "all_ppids_match": reported.iter().all(|(_, _, ppid)| *ppid == i64::from(me.as_raw())),
            "all_pids_distinct": distinct.len() == reported.len(),
            "fork_matches_getpid": reported.iter().all(|(forked, own, _)| i64::from(*forked) == *own),
        }),
    )?;

    let ancestors = procfs::ancestry(me).context("reading the ancestry from /proc")?;
    let mut tree = lab.live_tree()?;
    for up in ancestors.iter().skip(1) {
        tree = json!({ "pid": up.pid, "name": up.comm, "state": up.state.to_string(), "children": [tree] });
    }
    lab.emit(
        PARENT,
        "ancestry",
        json!({
            "ancestors": ancestors.iter().skip(1).map(|up| format!("{}({})", up.comm, up.pid)).collect::<Vec<_>>(),
            "tree": tree,
        }),
    )?;
    // Time to look at the tree while every process in it still runs.
    lab.sleep(1.0)?;

    lab.open(&snapshot_taken);
    let mut exit_codes = Vec::new();
    for (pid, _) in &children {
        exit_codes.push(lab.wait(*pid)?.python_exitcode());
    }
    lab.emit(
        PARENT,
        "reaped",
        json!({ "reaped": exit_codes.len(), "exit_codes": exit_codes }),
    )
}
