//! What each step of the `memory` lesson reports.

use serde::{Deserialize, Serialize};

use crate::report;

report! {
    /// A child's copy of the common example's list, after it appended its word's letters.
    "child-appends" => pub struct ChildAppends { pub word: String, pub nums: Vec<Item> }

    /// procdemo's list after both children ended: unchanged.
    "parent-unchanged" => pub struct ParentUnchanged { pub nums: Vec<Item> }

    /// procdemo's memory (kB, from `/proc/self/smaps_rollup`) once the buffer is filled.
    "buffer-filled" => pub struct BufferFilled {
        pub rss_kb: u64,
        pub shared_kb: u64,
        pub private_kb: u64,
        pub buffer_mib: usize,
    }

    /// The child's memory just after `fork()`: the buffer is shared.
    "cow-after-fork" => pub struct CowAfterFork { pub rss_kb: u64, pub shared_kb: u64, pub private_kb: u64 }

    /// The child's memory after writing one byte in each page of half the buffer.
    "cow-after-write" => pub struct CowAfterWrite {
        pub rss_kb: u64,
        pub shared_kb: u64,
        pub private_kb: u64,
        pub pages_written: usize,
        pub copied_kb: u64,
    }

    /// procdemo's memory after the child's writes, and its own first byte (still 1).
    "parent-view" => pub struct ParentView {
        pub rss_kb: u64,
        pub shared_kb: u64,
        pub private_kb: u64,
        pub first_byte_here: u8,
    }

    /// What the child wrote to the shared mapping and to its private copy.
    "child-writes-both" => pub struct ChildWritesBoth { pub shared: u32, pub private: u32 }

    /// What procdemo reads back from both.
    "parent-reads-both" => pub struct ParentReadsBoth { pub shared: u32, pub private: u32 }

    /// procdemo set the global.
    "global-set" => pub struct GlobalSet { pub setting: i64 }

    /// The global as a forked child sees it, and its program (null if unreadable).
    "forked-child-sees" => pub struct ForkedChildSees { pub setting: i64, pub program: Option<String> }

    /// The global as a spawned child sees it, and its program (null if unreadable).
    "spawned-child-sees" => pub struct SpawnedChildSees { pub setting: i64, pub program: Option<String> }

    /// The global in procdemo, the forked child and the spawned child.
    "fork-vs-spawn" => pub struct ForkVsSpawn {
        pub parent: i64,
        pub forked_child: i64,
        pub spawned_child: i64,
        pub spawned_kept_its_pid: bool,
    }
}

/// An item of the common example's list: one of the numbers it starts with, or a
/// letter a child appended.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
pub enum Item {
    Number(i64),
    Letter(char),
}
