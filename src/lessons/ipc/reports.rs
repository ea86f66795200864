//! What each step of the `ipc` lesson reports.

use std::collections::BTreeMap;

use crate::report;

report! {
    /// procdemo made the FIFO in its private directory: what `stat` says.
    "fifo-made" => pub struct FifoMade { pub path: String, pub dir_mode: String, pub file_type: String }

    /// The reader, seen from procdemo while its `open` waits: no writer yet.
    "reader-blocks" => pub struct ReaderBlocks {
        pub reader_pid: i32,
        pub reader_ppid: i32,
        pub state: String,
        pub wchan: Option<String>,
        pub fifo_fds: Vec<i32>,
    }

    /// One end opened (the reader's or the writer's), as that process sees it.
    "fifo-opened" => pub struct FifoOpened {
        pub end: String,
        pub fds_before_open: usize,
        pub fd: i32,
        pub fd_target: String,
        pub voluntary_switches_in_open: u64,
    }

    /// procdemo removed the FIFO's name; the reader's descriptor, read from outside.
    "fifo-unlinked" => pub struct FifoUnlinked {
        pub name_left: bool,
        pub reader_fd_target: String,
        pub reader_ppid: i32,
        pub writer_ppid: i32,
        pub shared_by_both: Vec<String>,
        pub procdemo_holds_them_too: bool,
    }

    /// What went through the FIFO: written by one side, read by the other
    /// to its end; what each `write()` or `read()` returned, in order.
    "fifo-message" => pub struct FifoMessage { pub bytes: usize, pub text: String, pub returned: Vec<usize> }

    /// The server's bound, listening socket, seen by procdemo from outside
    /// while the server waits in `accept()`.
    "socket-listening" => pub struct SocketListening {
        pub server_pid: i32,
        pub path: String,
        pub file_type: String,
        pub fd: i32,
        pub fd_target: String,
        pub state: String,
        pub wchan: Option<String>,
    }

    /// One side of the connection: its socket, the peer the kernel names, the message.
    "socket-connected" => pub struct SocketConnected {
        pub fd: i32,
        pub fd_target: String,
        pub peer_pid: i32,
        pub message: String,
    }

    /// procdemo removed the socket's name; both sockets, read from outside.
    "socket-unlinked" => pub struct SocketUnlinked {
        pub name_left: bool,
        /// What `connect()` to the removed path gave: the errno's name.
        pub new_connect: String,
        pub server_fd_target: String,
        pub client_fd_target: String,
        pub shared_by_both: Vec<String>,
        pub procdemo_holds_them_too: bool,
    }

    /// A pipe's read end, sent by the server and received by the client.
    "fd-passed" => pub struct FdPassed {
        pub fd: i32,
        pub fd_target: String,
        pub text: String,
        pub fds_naming_it: Vec<i32>,
    }

    /// The signal procdemo sent, as the client took it with `sigwaitinfo`.
    "signal" => pub struct SignalSent { pub signal: String, pub sender_pid: i32, pub receiver_pid: i32 }

    /// The private directory removed; each lesson and the mechanisms it shows.
    "closing" => pub struct Closing { pub dir_removed: bool, pub shown_in: BTreeMap<String, Vec<String>> }
}
