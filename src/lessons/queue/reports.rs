//! The queue lesson's reports: the facts of each step, as the process that
//! observed them tells them and as the parent and the tests read them.

use crate::report;

report! {
    /// A new kernel queue: its size, its name, removed at once, and the
    /// kernel's limit on a queue's size (null where it cannot be read).
    "queue-created" => pub struct QueueCreated {
        pub capacity: usize,
        pub message_size: usize,
        pub name: String,
        pub name_removed: bool,
        pub kernel_limit: Option<usize>,
    }

    /// One item put, and how many the queue holds after it.
    "put" => pub struct Put { pub item: String, pub qsize: usize }

    /// The queue after the last put: full, not empty.
    "full" => pub struct Full { pub qsize: usize, pub full: bool, pub empty: bool }

    /// A put into the full queue that gave up after its timeout.
    "put-timeout" => pub struct PutTimeout {
        pub raised: String,
        pub errno: String,
        pub timeout_s: f64,
        pub waited_ms: u64,
    }

    /// A put into the full queue that would not wait at all.
    "put-nowait" => pub struct PutNowait { pub raised: String, pub errno: String, pub waited_ms: u64 }

    /// One item taken, in the order put, and how many are left.
    "get-nowait" => pub struct GetNowait { pub item: String, pub qsize: usize }

    /// A get from the empty queue, refused.
    "get-empty" => pub struct GetEmpty { pub raised: String, pub errno: String, pub empty: bool }

    /// The writer put one item after its random pause.
    "writer-puts" => pub struct WriterPuts { pub item: String, pub pause_ms: u64 }

    /// The endless reader got one item.
    "reader-gets" => pub struct ReaderGets { pub item: String }

    /// The reader, terminated after its three items, and the seed of the pauses.
    "reader-terminated" => pub struct ReaderTerminated {
        pub seed: u64,
        pub items_in_order: Vec<String>,
        pub exitcode: i32,
    }

    /// A producer put all its messages.
    "producer-done" => pub struct ProducerDone { pub sent: usize }

    /// A consumer got its stop message, and how many real ones before it.
    "consumer-done" => pub struct ConsumerDone { pub received: usize }

    /// Every message of the many-to-many part, counted in shared memory.
    "delivered" => pub struct Delivered {
        pub messages: usize,
        pub producers: usize,
        pub consumers: usize,
        pub received_per_consumer: Vec<usize>,
        pub delivered_exactly_once: bool,
        pub missing: usize,
        pub duplicated: usize,
    }
}
