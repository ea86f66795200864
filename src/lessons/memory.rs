//! `memory`: after `fork()` data is copied, not shared. Two children change
//! their own copies of the notes' list; copy-on-write is measured page by
//! page in `/proc/<pid>/smaps_rollup`; a `MAP_SHARED` mapping is really
//! shared; and a child started by "spawn" (procdemo re-executing itself)
//! sees none of the parent's globals, where a forked child sees them all.

use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::{Context, Result};
use nix::unistd::getpid;
use serde_json::{Value, json};

use crate::config::within;
use crate::lab::{CHILD, Lab, PARENT, SpawnedSide};
use crate::os::procfs::{self, MemorySummary};
use crate::os::shm::SharedCounters;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Size of the buffer whose pages are shared and then copied, in MiB (1 to 1024)
    #[arg(long, value_name = "MIB", default_value = "64", value_parser = within(1..=MIB_LIMIT, format!("the buffer size must be a whole number of MiB from 1 to {MIB_LIMIT}: the lesson fills it and the child copies half")), allow_negative_numbers = true)]
    pub mib: usize,
}

pub const MIB_LIMIT: usize = 1024;

const SPAWNED: &str = "spawned";
const MIB: usize = 1024 * 1024;
const PAGE: usize = 4096;

/// A global, as a module-level variable is in Python: 0 when the program
/// starts, 42 once the lesson has set it in procdemo.
static SETTING: AtomicI64 = AtomicI64::new(0);
const SETTING_IN_PARENT: i64 = 42;

pub fn run(lab: &mut Lab, args: &Args) -> Result<()> {
    copied_not_shared(lab)?;
    copy_on_write(lab, args.mib)?;
    really_shared(lab)?;
    fork_versus_spawn(lab)
}

fn copied_not_shared(lab: &mut Lab) -> Result<()> {
    let mut nums: Vec<Value> = vec![json!(11), json!(22)];
    let mut children = Vec::new();
    // The notes' two workers append the letters of a word each.
    for word in ["baidu", "neuedu"] {
        let list = &mut nums;
        let child = lab.fork(CHILD, |side| {
            for letter in word.chars() {
                list.push(json!(letter.to_string()));
            }
            side.report("child-appends", json!({ "word": word, "nums": *list }))?;
            Ok(0)
        })?;
        children.push(child.pid);
    }
    for pid in children {
        lab.wait(pid)?;
    }
    lab.emit(PARENT, "parent-unchanged", json!({ "nums": nums }))
}

fn summary(facts: MemorySummary) -> Value {
    json!({ "rss_kb": facts.rss_kb, "shared_kb": facts.shared_kb, "private_kb": facts.private_kb })
}

fn copy_on_write(lab: &mut Lab, mib: usize) -> Result<()> {
    let bytes = mib * MIB;
    // Filled with ones, not zeros: every page is written, so it is really in memory.
    let mut buffer = vec![1u8; bytes];
    let before = procfs::memory_summary(getpid()).context("reading /proc/self/smaps_rollup")?;
    let mut facts = summary(before);
    facts["buffer_mib"] = json!(mib);
    lab.emit(PARENT, "buffer-filled", facts)?;

    // The child stays alive while procdemo reads its own numbers.
    let parent_looked = lab.gate()?;
    let memory = &mut buffer;
    let child = lab.fork(CHILD, |side| {
        let at_fork = procfs::memory_summary(getpid())?;
        side.report("cow-after-fork", summary(at_fork))?;
        // One byte in every page of the first half: each first write to a
        // shared page makes the kernel copy that page for this process.
        let mut pages = 0;
        for offset in (0..bytes / 2).step_by(PAGE) {
            memory[offset] = 2;
            pages += 1;
        }
        let after = procfs::memory_summary(getpid())?;
        let mut facts = summary(after);
        facts["pages_written"] = json!(pages);
        facts["copied_kb"] = json!(after.private_kb.saturating_sub(at_fork.private_kb));
        side.report("cow-after-write", facts)?;
        side.wait_for(&parent_looked)?;
        Ok(0)
    })?;
    lab.expect(child.pid, "cow-after-write")?;
    let parent_now = procfs::memory_summary(getpid()).context("reading /proc/self/smaps_rollup")?;
    let mut facts = summary(parent_now);
    facts["first_byte_here"] = json!(buffer[0]);
    lab.emit(PARENT, "parent-view", facts)?;
    lab.open(&parent_looked);
    lab.wait(child.pid)?;
    Ok(())
}

fn really_shared(lab: &mut Lab) -> Result<()> {
    let shared = SharedCounters::new(1).context("mmap(MAP_SHARED | MAP_ANONYMOUS)")?;
    shared.counters()[0].store(100, Ordering::SeqCst);
    let mut private: u32 = 100;
    let private_ref = &mut private;
    let child = lab.fork(CHILD, |side| {
        shared.counters()[0].store(200, Ordering::SeqCst);
        *private_ref = 200;
        side.report(
            "child-writes-both",
            json!({ "shared": 200, "private": *private_ref }),
        )?;
        Ok(0)
    })?;
    lab.wait(child.pid)?;
    lab.emit(
        PARENT,
        "parent-reads-both",
        json!({ "shared": shared.counters()[0].load(Ordering::SeqCst), "private": private }),
    )
}

fn fork_versus_spawn(lab: &mut Lab) -> Result<()> {
    SETTING.store(SETTING_IN_PARENT, Ordering::SeqCst);
    lab.emit(
        PARENT,
        "global-set",
        json!({ "setting": SETTING.load(Ordering::SeqCst) }),
    )?;
    let forked = lab.fork(CHILD, |side| {
        side.report(
            "forked-child-sees",
            json!({ "setting": SETTING.load(Ordering::SeqCst), "program": own_program() }),
        )?;
        Ok(0)
    })?;
    let forked_saw = lab.expect(forked.pid, "forked-child-sees")?;
    lab.wait(forked.pid)?;
    let spawned = lab.spawn(SPAWNED, &[])?;
    let spawned_saw = lab.expect(spawned.pid, "spawned-child-sees")?;
    lab.wait(spawned.pid)?;
    let setting =
        |event: &crate::model::Event| event.fact("setting").cloned().unwrap_or(Value::Null);
    lab.emit(
        PARENT,
        "fork-vs-spawn",
        json!({
            "parent": SETTING.load(Ordering::SeqCst),
            "forked_child": setting(&forked_saw),
            "spawned_child": setting(&spawned_saw),
            "spawned_kept_its_pid": spawned_saw.pid == spawned.pid.as_raw(),
        }),
    )
}

/// The spawned child: a fresh procdemo, whose globals start as the program says.
pub fn spawned(side: &SpawnedSide) -> Result<()> {
    side.report(
        "spawned-child-sees",
        json!({ "setting": SETTING.load(Ordering::SeqCst), "program": own_program() }),
    )
}

fn own_program() -> Value {
    procfs::link(getpid(), "exe").map_or(Value::Null, |path| json!(path))
}
