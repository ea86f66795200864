//! `pids`: every process has its own pid and knows its parent's. Several
//! children report `getpid()`/`getppid()`; the parent checks that each child's
//! parent is itself and that no two children share a pid, then reads its own
//! ancestry from `/proc` and draws it, children included, as `pstree -p` would.

use anyhow::{Context, Result};
use nix::unistd::{getpid, getppid};
use serde_json::{Value, json};

use crate::config::within;
use crate::lab::{CHILD, Lab, PARENT};
use crate::model::Report;
use crate::os::procfs;
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", default_value = "3", value_parser = within(1..=CHILDREN_LIMIT, format!("the number of children must be a whole number from 1 to {CHILDREN_LIMIT}, so that every child fits on one screen"), format!("子进程的个数必须是 1 到 {CHILDREN_LIMIT} 之间的整数，这样每个子进程都能在一屏里看到")), allow_negative_numbers = true)]
    pub children: u32,
}

pub const CHILDREN_LIMIT: u32 = 16;

report! {
    /// procdemo's own pid, its parent's, and the parent's command name.
    "parent-ids" => pub struct ParentIds { pub getpid: i32, pub getppid: i32, pub parent_name: String }

    /// One child's name (`Process-1`, …) and what `getpid()`/`getppid()` say in it.
    "child-ids" => pub struct ChildIds { pub name: String, pub getpid: i32, pub getppid: i32 }

    /// The checks on the children's reports.
    "ids-checked" => pub struct IdsChecked {
        pub child_pids: Vec<i32>,
        pub all_ppids_match: bool,
        pub all_pids_distinct: bool,
        pub fork_matches_getpid: bool,
    }

    /// procdemo's ancestors (`"name(pid)"`, nearest first) and the tree from the top.
    "ancestry" => pub struct Ancestry { pub ancestors: Vec<String>, pub tree: Value }

    /// How many children were reaped, and each one's exit code in start order.
    "reaped" => pub struct Reaped { pub reaped: usize, pub exit_codes: Vec<i32> }
}

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    let me = getpid();
    let parent = procfs::stat(getppid()).context("reading the parent's /proc/<pid>/stat")?;
    lab.tell(
        PARENT,
        &ParentIds {
            getpid: me.as_raw(),
            getppid: parent.pid,
            parent_name: parent.comm,
        },
    )?;

    // The children stay alive until the parent has read /proc, so the tree
    // below is a live snapshot and not a list of the dead.
    let snapshot_taken = lab.gate()?;
    let mut children = Vec::new();
    for number in 1..=args.children {
        // Python names children Process-1, Process-2, … in the order they are created.
        let name = format!("Process-{number}");
        let forked = lab.fork(CHILD, |side| {
            side.tell(&ChildIds {
                name: name.clone(),
                getpid: getpid().as_raw(),
                getppid: getppid().as_raw(),
            })?;
            side.wait_for(&snapshot_taken)?;
            Ok(0)
        })?;
        lab.label(forked.pid, &name);
        children.push((forked.pid, name));
    }

    let mut reported = Vec::new();
    for (pid, _) in &children {
        let ids: ChildIds = lab.expect_report(*pid)?;
        reported.push((pid.as_raw(), ids));
    }
    let child_pids: Vec<i32> = reported.iter().map(|(_, ids)| ids.getpid).collect();
    let mut distinct = child_pids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    lab.tell(
        PARENT,
        &IdsChecked {
            all_ppids_match: reported.iter().all(|(_, ids)| ids.getppid == me.as_raw()),
            all_pids_distinct: distinct.len() == reported.len(),
            fork_matches_getpid: reported.iter().all(|(forked, ids)| *forked == ids.getpid),
            child_pids,
        },
    )?;

    let ancestors = procfs::ancestry(me).context("reading the ancestry from /proc")?;
    let mut tree = lab.live_tree()?;
    for up in ancestors.iter().skip(1) {
        tree = json!({ "pid": up.pid, "name": up.comm, "state": up.state.to_string(), "children": [tree] });
    }
    lab.tell(
        PARENT,
        &Ancestry {
            ancestors: ancestors
                .iter()
                .skip(1)
                .map(|up| format!("{}({})", up.comm, up.pid))
                .collect(),
            tree,
        },
    )?;
    // Time to look at the tree while every process in it still runs.
    lab.sleep(1.0)?;

    // The children end only once people are done with the tree.
    lab.before(Reaped::STEP)?;
    lab.open(&snapshot_taken);
    let mut exit_codes = Vec::new();
    for (pid, _) in &children {
        exit_codes.push(lab.wait(*pid)?.python_exitcode());
    }
    lab.tell(
        PARENT,
        &Reaped {
            reaped: exit_codes.len(),
            exit_codes,
        },
    )
}
