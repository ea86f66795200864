//! The pipe lesson's reports: the facts of each step, as the process that
//! observed them tells them and as the parent and the tests read them.

use crate::report;

report! {
    /// The producer is about to write its message; `fd_link` is its write
    /// end in `/proc/self/fd` (`pipe:[N]`, null where it cannot be read).
    "pipe-send" => pub struct PipeSend { pub message: String, pub fd_link: Option<String> }

    /// The consumer read the message from its read end, the same `pipe:[N]`.
    "pipe-receive" => pub struct PipeReceive { pub message: String, pub fd_link: Option<String> }

    /// Both ends the children reported, and whether they are one kernel object.
    "same-pipe" => pub struct SamePipe {
        pub producer_write_end: Option<String>,
        pub consumer_read_end: Option<String>,
        pub same_object: bool,
    }

    /// The producer's side of the socket pair: what it read, what it will answer.
    "duplex-producer" => pub struct DuplexProducer {
        pub received: String,
        pub sent: String,
        pub fd_link: Option<String>,
    }

    /// The consumer's side of the socket pair: what it wrote, what came back.
    "duplex-consumer" => pub struct DuplexConsumer {
        pub sent: String,
        pub received: String,
        pub fd_link: Option<String>,
    }

    /// Each end of the socket pair as procdemo and as its child see it.
    "same-socket" => pub struct SameSocket {
        pub procdemo_producer_end: Option<String>,
        pub producer_end: Option<String>,
        pub procdemo_consumer_end: Option<String>,
        pub consumer_end: Option<String>,
        pub same_end_same_object: bool,
        pub two_ends_two_sockets: bool,
    }

    /// The last message read, and a read that waits in vain: procdemo still
    /// holds a write end.
    "eof-waits" => pub struct EofWaits {
        pub message: String,
        pub write_end_held_by: Vec<i32>,
        pub waited_ms: u64,
        pub end_of_file: bool,
    }

    /// procdemo closed its write end: the next read returns 0, end of file.
    "eof-arrives" => pub struct EofArrives {
        pub write_end_held_by: Vec<i32>,
        pub read_returned: usize,
        pub end_of_file: bool,
    }

    /// A write with no reader: the child killed by SIGPIPE, procdemo's write
    /// refused with EPIPE.
    "broken-pipe" => pub struct BrokenPipe {
        pub child_killed_by: Option<String>,
        pub child_exitcode: i32,
        pub procdemo_write_error: String,
        pub procdemo_errno: String,
    }

    /// The writer filled the pipe to its capacity.
    "pipe-full" => pub struct PipeFull { pub bytes_written: usize }

    /// The writer asleep in its next write, and what the pipe holds.
    "writer-blocked" => pub struct WriterBlocked {
        pub capacity: usize,
        pub bytes_in_pipe: Option<usize>,
        pub writer_state: String,
        pub writer_wchan: Option<String>,
    }

    /// procdemo read from the full pipe, making room.
    "reader-drains" => pub struct ReaderDrains { pub bytes_read: usize }

    /// The writer's blocked write went through, and how long it slept.
    "writer-resumes" => pub struct WriterResumes { pub blocked_ms: u64 }

    /// The writer wrote two messages, unframed.
    "two-writes" => pub struct TwoWrites { pub writes: Vec<String> }

    /// One read took both writes at once: a stream keeps no boundaries.
    "no-boundaries" => pub struct NoBoundaries { pub writes: usize, pub first_read: String, pub bytes: usize }

    /// With a length header before each message, the reader gets them apart.
    "framed" => pub struct Framed { pub header_of_hello: String, pub messages: Vec<String> }
}
