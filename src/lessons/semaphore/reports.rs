//! The semaphore lesson's reports: the facts of each step, as the process
//! that observed them tells them and as the parent and the tests read them.

use serde_json::Value;

use crate::report;

report! {
    /// A worker got a permit: the permits left (`semaphore_value`) and the
    /// workers holding one now, itself included (`inside_now`: the permits
    /// minus that value, from the same reading).
    "worker-enters" => pub struct WorkerEnters { pub inside_now: u32, pub semaphore_value: i32 }

    /// A worker gave its permit back; its `spans` are `wait`, then `inside`.
    "worker-leaves" => pub struct WorkerLeaves { pub semaphore_value: i32, pub spans: Vec<Value> }

    /// The most workers inside at once, as the workers read it (permits
    /// minus the semaphore's value, each right after its `sem_wait`: the
    /// largest `inside_now`), against the permits; `timeline` has the
    /// counter `semaphore value`.
    "at-most-permits" => pub struct AtMostPermits {
        pub workers: usize,
        pub permits: usize,
        pub most_inside_at_once: u32,
        pub never_more_than_permits: bool,
        pub semaphore_value_at_end: i32,
        pub timeline: Value,
    }

    /// The producer put an item: the buffer's fill after it, when (under
    /// the lock), and whether it had to wait for a free place.
    "produced" => pub struct Produced {
        pub item: u32,
        pub fill: u32,
        pub at_us: u64,
        pub blocked_on_empty: bool,
    }

    /// The consumer took an item: the fill after it, when (under the lock),
    /// and whether it had to wait for an item.
    "consumed" => pub struct Consumed {
        pub item: u32,
        pub fill: u32,
        pub at_us: u64,
        pub blocked_on_full: bool,
    }

    /// How often each side waited, the fullest the buffer got, every item
    /// consumed once; `timeline` has the counter `buffer fill`.
    "buffer-summary" => pub struct BufferSummary {
        pub items: usize,
        pub slots: usize,
        pub producer_blocked: usize,
        pub consumer_blocked: usize,
        pub max_fill: u32,
        pub consumed_exactly_once: bool,
        pub timeline: Value,
    }
}
