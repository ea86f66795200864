//! `orphan`: a parent ends before its child. The child's `getppid()` changes
//! from its parent to procdemo, which adopts it as a child subreaper (without
//! one, pid 1 would); the tree is drawn before and after, and procdemo reaps
//! the orphan at the end.

use anyhow::{Context, Result};
use nix::unistd::{Pid, getpid, getppid};
use serde_json::{Value, json};

use crate::lab::{CHILD, Lab, PARENT, Tie};
use crate::os::process::wait_for_adoption;
use crate::os::procfs;

/// This lesson has no options of its own.
#[derive(clap::Args, Debug)]
pub struct Args {}

const GRANDCHILD: &str = "grandchild";

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
            orphan.report(
                "grandchild-born",
                json!({ "getpid": getpid().as_raw(), "getppid": getppid().as_raw() }),
            )?;
            let adopter = wait_for_adoption(first_parent);
            // Now tied to the adopter: if procdemo dies, so does the orphan.
            if !orphan.die_with_adopter(adopter) {
                return Ok(1);
            }
            orphan.wait_for(&parent_reaped)?;
            orphan.report(
                "adopted",
                json!({ "ppid_before": first_parent.as_raw(), "ppid_after": adopter.as_raw() }),
            )?;
            orphan.wait_for(&may_end)?;
            Ok(0)
        })?;
        side.wait_for(&tree_drawn)?;
        // Ends without waiting for its child: that child becomes an orphan.
        side.report(
            "parent-exits",
            json!({ "child_left_running": grandchild.as_raw() }),
        )?;
        Ok(0)
    })?;

    let born = lab.expect_any("grandchild-born")?;
    let orphan = Pid::from_raw(born.pid);
    let before = lab.live_tree()?;
    lab.emit(PARENT, "tree-before", json!({ "tree": before }))?;
    lab.open(&tree_drawn);

    let status = lab.wait(child.pid)?;
    lab.emit(
        PARENT,
        "parent-reaped",
        json!({ "child_pid": child.pid.as_raw(), "exit_code": status.code(), "orphan_still_running": procfs::stat(orphan).is_ok_and(|stat| stat.state != 'Z') }),
    )?;

    lab.open(&parent_reaped);
    lab.expect(orphan, "adopted")?;
    let init = procfs::stat(Pid::from_raw(1))
        .map_or(Value::Null, |init| json!(format!("{}(1)", init.comm)));
    let after = lab.live_tree()?;
    let orphan_now = procfs::stat(orphan).context("reading the orphan's /proc/<pid>/stat")?;
    lab.emit(
        PARENT,
        "tree-after",
        json!({
            "orphan_ppid_in_proc": orphan_now.ppid,
            "procdemo_is_subreaper": crate::os::process::is_subreaper(),
            "init_would_adopt": init,
            "tree": after,
        }),
    )?;
    // Time to look at the tree before the orphan goes.
    lab.sleep(1.5)?;

    lab.open(&may_end);
    let status = lab.wait(orphan)?;
    lab.emit(
        PARENT,
        "orphan-reaped",
        json!({
            "orphan_pid": orphan.as_raw(),
            "reaped_by": lab.pid().as_raw(),
            "exit_code": status.code(),
            "proc_entry_exists": procfs::exists(orphan),
        }),
    )
}
