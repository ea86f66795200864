//! `orphan`: a parent ends before its child. The child's `getppid()` changes
//! from its parent to procdemo, which adopts it as a child subreaper (without
//! one, pid 1 would); the tree is drawn before and after, and procdemo reaps
//! the orphan at the end.

use anyhow::{Context, Result};
use nix::unistd::{Pid, getpid, getppid};
use serde_json::Value;

use crate::lab::{CHILD, Lab, PARENT, Tie};
use crate::model::Report;
use crate::os::process::wait_for_adoption;
use crate::os::procfs;
use crate::report;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

const GRANDCHILD: &str = "grandchild";

report! {
    /// The grandchild's pid, and its parent: the child.
    "grandchild-born" => pub struct GrandchildBorn { pub getpid: i32, pub getppid: i32 }

    /// procdemo → child → grandchild, from `/proc`.
    "tree-before" => pub struct TreeBefore { pub tree: Value }

    /// The child ends, leaving the grandchild (this pid) running.
    "parent-exits" => pub struct ParentExits { pub child_left_running: i32 }

    /// procdemo reaped the child; the grandchild still runs.
    "parent-reaped" => pub struct ParentReaped {
        pub child_pid: i32,
        pub exit_code: Option<i32>,
        pub orphan_still_running: bool,
    }

    /// The orphan's parent before (the child) and after (its adopter).
    "adopted" => pub struct Adopted { pub ppid_before: i32, pub ppid_after: i32 }

    /// The orphan's parent in `/proc`, whether procdemo is a subreaper, who
    /// pid 1 is (`"name(1)"`, null if unreadable), and the tree now.
    "tree-after" => pub struct TreeAfter {
        pub orphan_ppid_in_proc: i32,
        pub procdemo_is_subreaper: bool,
        pub init_would_adopt: Option<String>,
        pub tree: Value,
    }

    /// procdemo reaped the orphan.
    "orphan-reaped" => pub struct OrphanReaped {
        pub orphan_pid: i32,
        pub reaped_by: i32,
        pub exit_code: Option<i32>,
        pub proc_entry_exists: bool,
    }
}

pub fn run(lab: &mut Lab, _: &Args) -> Result<()> {
    // These order the telling, not the experiment: the child ends only after
    // procdemo has drawn the tree with all three generations alive; the
    // orphan, adopted the moment its parent ends, says so only after
    // procdemo has shown the reaping; and it ends only when procdemo lets it.
    let tree_drawn = lab.gate()?;
    let parent_reaped = lab.gate()?;
    let may_end = lab.gate()?;
    let child = lab.fork(CHILD, |side| {
        // Passed down rather than read with getppid() in the grandchild, which
        // might first run after its parent has gone.
        let first_parent = getpid();
        let grandchild = side.fork(GRANDCHILD, Tie::LifetimeOnly, |orphan| {
            orphan.tell(&GrandchildBorn {
                getpid: getpid().as_raw(),
                getppid: getppid().as_raw(),
            })?;
            let adopter = wait_for_adoption(first_parent);
            // Now tied to the adopter: if procdemo dies, so does the orphan.
            if !orphan.die_with_adopter(adopter) {
                return Ok(1);
            }
            orphan.wait_for(&parent_reaped)?;
            orphan.tell(&Adopted {
                ppid_before: first_parent.as_raw(),
                ppid_after: adopter.as_raw(),
            })?;
            orphan.wait_for(&may_end)?;
            Ok(0)
        })?;
        side.wait_for(&tree_drawn)?;
        // Ends without waiting for its child: that child becomes an orphan.
        side.tell(&ParentExits {
            child_left_running: grandchild.as_raw(),
        })?;
        Ok(0)
    })?;

    let (orphan, _) = lab.expect_any_report::<GrandchildBorn>()?;
    let tree = lab.live_tree()?;
    lab.tell(PARENT, &TreeBefore { tree })?;
    // All three stay alive while people read the tree.
    lab.before(ParentExits::STEP)?;
    lab.open(&tree_drawn);

    // The ended parent stays a zombie while people read that it ended.
    lab.expect_report::<ParentExits>(child.pid)?;
    lab.before(ParentReaped::STEP)?;
    let status = lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &ParentReaped {
            child_pid: child.pid.as_raw(),
            exit_code: status.code(),
            orphan_still_running: procfs::stat(orphan).is_ok_and(|stat| stat.state != 'Z'),
        },
    )?;

    lab.open(&parent_reaped);
    lab.expect_report::<Adopted>(orphan)?;
    let init = procfs::stat(Pid::from_raw(1))
        .ok()
        .map(|init| format!("{}(1)", init.comm));
    let tree = lab.live_tree()?;
    let orphan_now = procfs::stat(orphan).context("reading the orphan's /proc/<pid>/stat")?;
    lab.tell(
        PARENT,
        &TreeAfter {
            orphan_ppid_in_proc: orphan_now.ppid,
            procdemo_is_subreaper: crate::os::process::is_subreaper(),
            init_would_adopt: init,
            tree,
        },
    )?;
    // Time to look at the tree before the orphan goes.
    lab.sleep(1.5)?;

    // The orphan stays under procdemo while people read the tree.
    lab.before(OrphanReaped::STEP)?;
    lab.open(&may_end);
    let status = lab.wait(orphan)?;
    lab.tell(
        PARENT,
        &OrphanReaped {
            orphan_pid: orphan.as_raw(),
            reaped_by: lab.pid().as_raw(),
            exit_code: status.code(),
            proc_entry_exists: procfs::exists(orphan),
        },
    )
}
