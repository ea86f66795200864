//! `memory`: after `fork()` data is copied, not shared. Two children change
//! their own copies of the common example's list; copy-on-write is
//! measured page by page in `/proc/<pid>/smaps_rollup`; a `MAP_SHARED`
//! mapping is really shared; and a child started by "spawn" (procdemo
//! re-executing itself) sees none of the parent's globals, where a forked
//! child sees them all.

use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::{Context, Result};
use nix::unistd::getpid;

use crate::config::within;
use crate::lab::{CHILD, Lab, PARENT, SpawnedSide};
use crate::model::Report;
use crate::os::limits;
use crate::os::procfs::{self, MemorySummary};
use crate::os::shm::SharedCounters;

mod reports;
pub use reports::*;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "MIB", default_value = "64", value_parser = within(1..=MIB_LIMIT, format!("the buffer size must be a whole number of MiB from 1 to {MIB_LIMIT}: the lesson fills it and the child copies half"), format!("缓冲区大小必须是 1 到 {MIB_LIMIT} 之间的整数（单位 MiB）：本课会把它写满，子进程再复制其中一半")), allow_negative_numbers = true)]
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
    let mut nums = vec![Item::Number(11), Item::Number(22)];
    let mut children = Vec::new();
    // The common example's two workers append the letters of a word each.
    for word in ["baidu", "neuedu"] {
        let list = &mut nums;
        let child = lab.fork(CHILD, |side| {
            list.extend(word.chars().map(Item::Letter));
            side.tell(&ChildAppends {
                word: word.to_string(),
                nums: list.clone(),
            })?;
            Ok(0)
        })?;
        children.push(child.pid);
    }
    for pid in children {
        lab.wait(pid)?;
    }
    lab.tell(PARENT, &ParentUnchanged { nums })
}

fn copy_on_write(lab: &mut Lab, mib: usize) -> Result<()> {
    let bytes = mib * MIB;
    // Filled with ones, not zeros: every page is written, so it is really
    // in memory. A size the learner chose may be more than procdemo may
    // have (`ulimit -v`): that ends the lesson with a reason, not an abort.
    let mut buffer =
        limits::try_filled(bytes, 1u8).map_err(|_| lab.no_memory("--mib", mib, bytes))?;
    let before = procfs::memory_summary(getpid()).context("reading /proc/self/smaps_rollup")?;
    lab.tell(
        PARENT,
        &BufferFilled {
            rss_kb: before.rss_kb,
            shared_kb: before.shared_kb,
            private_kb: before.private_kb,
            buffer_mib: mib,
        },
    )?;

    // The child writes only once people are done with its numbers at
    // fork(), and stays alive while procdemo reads its own.
    let fork_shown = lab.gate()?;
    let parent_looked = lab.gate()?;
    let memory = &mut buffer;
    let child = lab.fork(CHILD, |side| {
        let at_fork = procfs::memory_summary(getpid())?;
        side.tell(&CowAfterFork {
            rss_kb: at_fork.rss_kb,
            shared_kb: at_fork.shared_kb,
            private_kb: at_fork.private_kb,
        })?;
        side.wait_for(&fork_shown)?;
        // One byte in every page of the first half: each first write to a
        // shared page makes the kernel copy that page for this process.
        let mut pages = 0;
        for offset in (0..bytes / 2).step_by(PAGE) {
            memory[offset] = 2;
            pages += 1;
        }
        let after = procfs::memory_summary(getpid())?;
        side.tell(&CowAfterWrite {
            rss_kb: after.rss_kb,
            shared_kb: after.shared_kb,
            private_kb: after.private_kb,
            pages_written: pages,
            copied_kb: after.private_kb.saturating_sub(at_fork.private_kb),
        })?;
        side.wait_for(&parent_looked)?;
        Ok(0)
    })?;
    lab.expect_report::<CowAfterFork>(child.pid)?;
    // Everything stays shared while people read that it is.
    lab.before(CowAfterWrite::STEP)?;
    lab.open(&fork_shown);
    lab.expect_report::<CowAfterWrite>(child.pid)?;
    let MemorySummary {
        rss_kb,
        shared_kb,
        private_kb,
        ..
    } = procfs::memory_summary(getpid()).context("reading /proc/self/smaps_rollup")?;
    lab.tell(
        PARENT,
        &ParentView {
            rss_kb,
            shared_kb,
            private_kb,
            first_byte_here: buffer[0],
        },
    )?;
    // Half the buffer stays shared with the child while people read so.
    lab.before(ChildWritesBoth::STEP)?;
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
        side.tell(&ChildWritesBoth {
            shared: 200,
            private: *private_ref,
        })?;
        Ok(0)
    })?;
    lab.wait(child.pid)?;
    lab.tell(
        PARENT,
        &ParentReadsBoth {
            shared: shared.counters()[0].load(Ordering::SeqCst),
            private,
        },
    )
}

fn fork_versus_spawn(lab: &mut Lab) -> Result<()> {
    SETTING.store(SETTING_IN_PARENT, Ordering::SeqCst);
    lab.tell(
        PARENT,
        &GlobalSet {
            setting: SETTING.load(Ordering::SeqCst),
        },
    )?;
    let forked = lab.fork(CHILD, |side| {
        side.tell(&ForkedChildSees {
            setting: SETTING.load(Ordering::SeqCst),
            program: own_program(),
        })?;
        Ok(0)
    })?;
    let forked_saw: ForkedChildSees = lab.expect_report(forked.pid)?;
    lab.wait(forked.pid)?;
    let spawned = lab.spawn(SPAWNED, &[])?;
    // The event, not only its report: who sent it is the point.
    let spawned_event = lab.expect(spawned.pid, SpawnedChildSees::STEP)?;
    let spawned_saw: SpawnedChildSees = spawned_event.read()?;
    lab.wait(spawned.pid)?;
    lab.tell(
        PARENT,
        &ForkVsSpawn {
            parent: SETTING.load(Ordering::SeqCst),
            forked_child: forked_saw.setting,
            spawned_child: spawned_saw.setting,
            spawned_kept_its_pid: spawned_event.pid == spawned.pid.as_raw(),
        },
    )
}

/// The spawned child: a fresh procdemo, whose globals start as the program says.
pub fn spawned(side: &SpawnedSide) -> Result<()> {
    side.tell(&SpawnedChildSees {
        setting: SETTING.load(Ordering::SeqCst),
        program: own_program(),
    })
}

fn own_program() -> Option<String> {
    procfs::link(getpid(), "exe").ok()
}
