//! The lock lesson's reports: the facts of each step, as the process that
//! observed them tells them and as the parent and the tests read them.
//! Most steps come in twins, one without the lock and one with it, with the
//! same facts (see `twins.rs`).

use serde_json::Value;

use crate::report;

report! {
    /// An adder's print without the lock: its own copy of `num` (0,1,2 for
    /// add1; 0,2,4 for add2); on its last report `finished` and its
    /// `spans` (`run`) instead of `num`.
    "unlocked-adder" => pub struct UnlockedAdder {
        pub adder: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub num: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub finished: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub spans: Option<Vec<Value>>,
    }

    /// The adders' prints in the order they came, and whether they interleaved.
    "adders-interleave" => pub struct AddersInterleave {
        pub prints_in_order: Vec<String>,
        pub interleaved: bool,
        pub first: Option<String>,
        pub timeline: Value,
    }

    /// As `unlocked-adder`, with the lock: its `spans` are `wait`, then `hold`.
    "locked-adder" => pub struct LockedAdder {
        pub adder: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub num: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub finished: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub spans: Option<Vec<Value>>,
    }

    /// The prints with the lock: one adder's, then the other's; `first`
    /// got the lock.
    "adders-in-turn" => pub struct AddersInTurn {
        pub prints_in_order: Vec<String>,
        pub interleaved: bool,
        pub first: Option<String>,
        pub timeline: Value,
    }

    /// A worker read the shared counter, without the lock.
    "race-read" => pub struct RaceRead { pub read: u32 }

    /// A worker wrote what it read plus one, without the lock.
    "race-write" => pub struct RaceWrite { pub wrote: u32 }

    /// The counter after both increments without the lock, and what was lost.
    "race-result" => pub struct RaceResult { pub expected: u32, pub r#final: u32, pub lost: i64 }

    /// A worker read the shared counter, holding the lock.
    "guarded-read" => pub struct GuardedRead { pub read: u32 }

    /// The second worker asleep in `sem_wait`, and the lock's value.
    "guarded-blocked" => pub struct GuardedBlocked {
        pub worker: i32,
        pub state: String,
        pub wchan: Option<String>,
        pub lock_value: i32,
    }

    /// A worker wrote what it read plus one, holding the lock.
    "guarded-write" => pub struct GuardedWrite { pub wrote: u32 }

    /// The counter after both increments with the lock: nothing lost.
    "guarded-result" => pub struct GuardedResult { pub expected: u32, pub r#final: u32, pub lost: i64 }

    /// A worker's increments without the lock, and how long they took;
    /// `waited_for_lock_ms` is null: there is no lock.
    "unlocked-worker" => pub struct UnlockedWorker {
        pub increments: usize,
        pub ran_ms: u64,
        pub waited_for_lock_ms: Option<u64>,
    }

    /// The shared counter after the workers without the lock: updates lost.
    "updates-lost" => pub struct UpdatesLost {
        pub workers: usize,
        pub expected: u64,
        pub r#final: u64,
        pub lost: u64,
    }

    /// A worker's increments with the lock, and how long it waited for it.
    "locked-worker" => pub struct LockedWorker {
        pub increments: usize,
        pub ran_ms: u64,
        pub waited_for_lock_ms: u64,
    }

    /// The shared counter after the workers with the lock: exact.
    "counter-exact" => pub struct CounterExact {
        pub workers: usize,
        pub expected: u64,
        pub r#final: u64,
        pub lost: u64,
    }

    /// A free lock (value 1) refuses a release; a plain semaphore counts it.
    "release-unheld" => pub struct ReleaseUnheld {
        pub lock_value: i32,
        pub release_refused: bool,
        pub python_raises: String,
        pub plain_semaphore_after_extra_post: i32,
    }
}

impl UnlockedAdder {
    /// One of the adder's prints: `num` as it is now.
    pub fn print(adder: &str, num: i64) -> Self {
        Self {
            adder: adder.to_string(),
            num: Some(num),
            finished: None,
            spans: None,
        }
    }

    /// The adder's last report: it finished, and its time spans.
    pub fn finish(adder: &str, spans: Vec<Value>) -> Self {
        Self {
            adder: adder.to_string(),
            num: None,
            finished: Some(true),
            spans: Some(spans),
        }
    }
}
