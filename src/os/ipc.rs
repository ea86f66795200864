//! What the `ipc` lesson asks of the kernel: the FIFO two processes meet
//! at, neither inheriting a descriptor of it, a listening and a connected
//! Unix socket, the peer's credentials (`SO_PEERCRED`) and a descriptor
//! passed with `SCM_RIGHTS`. Their names live in a private directory of
//! `os::private_dir`.

use std::fs;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg, sockopt};
use nix::sys::stat::Mode;
use nix::unistd::{Pid, getpid};

use super::retry;

/// True while `path` names something (`lstat` succeeds).
pub fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// What kind of file `path` names, as `stat` reports it: `fifo`,
/// `socket`, `file`, `directory` or `other`.
pub fn file_type(path: &Path) -> io::Result<&'static str> {
    let kind = fs::symlink_metadata(path)?.file_type();
    Ok(if kind.is_fifo() {
        "fifo"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_file() {
        "file"
    } else if kind.is_dir() {
        "directory"
    } else {
        "other"
    })
}

/// `mkfifo(path, 0600)`.
pub fn make_fifo(path: &Path) -> Result<(), Errno> {
    nix::unistd::mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR)
}

/// Which end of a FIFO to open.
#[derive(Clone, Copy, Debug)]
pub enum End {
    Read,
    Write,
}

/// `open(path, O_RDONLY or O_WRONLY)`: on a FIFO it blocks until a process
/// opens the other end.
pub fn open_fifo(path: &Path, end: End) -> Result<OwnedFd, Errno> {
    let flags = match end {
        End::Read => OFlag::O_RDONLY,
        End::Write => OFlag::O_WRONLY,
    } | OFlag::O_CLOEXEC;
    retry(|| open(path, flags, Mode::empty()))
}

/// What `/proc/<pid>/fd/<fd>` links to: a path, `pipe:[N]`, `socket:[N]`.
pub fn fd_target(pid: Pid, fd: i32) -> io::Result<String> {
    fs::read_link(format!("/proc/{pid}/fd/{fd}")).map(|target| target.display().to_string())
}

/// The descriptors of `pid` whose link in `/proc/<pid>/fd` is `target`
/// (or `target` with ` (deleted)` after it).
pub fn fds_naming(pid: Pid, target: &str) -> io::Result<Vec<i32>> {
    let deleted = format!("{target} (deleted)");
    Ok(fd_targets(pid)?
        .into_iter()
        .filter(|(_, link)| link == target || *link == deleted)
        .map(|(fd, _)| fd)
        .collect())
}

/// `socket(AF_UNIX, SOCK_STREAM)`, `bind(path)`, `listen()`.
pub fn listen_at(path: &Path) -> io::Result<UnixListener> {
    UnixListener::bind(path)
}

/// `connect(path)` on a new Unix stream socket.
pub fn connect_to(path: &Path) -> io::Result<UnixStream> {
    UnixStream::connect(path)
}

/// The pid of the process at the other end of a connected Unix socket, as
/// the kernel recorded it at `connect` (or at `listen`, for the server's
/// side): `getsockopt(SO_PEERCRED)`.
pub fn peer_pid(socket: BorrowedFd<'_>) -> Result<i32, Errno> {
    nix::sys::socket::getsockopt(&socket, sockopt::PeerCredentials).map(|cred| cred.pid())
}

/// Sends `fd` over `socket` with one byte of data (`sendmsg` with an
/// `SCM_RIGHTS` message): the receiver gets a descriptor of its own for
/// the same open file.
pub fn send_fd(socket: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let fds = [fd.as_raw_fd()];
    let control = [ControlMessage::ScmRights(&fds)];
    let data = [IoSlice::new(b"!")];
    retry(|| sendmsg::<()>(socket.as_raw_fd(), &data, &control, MsgFlags::empty(), None)).map(drop)
}

/// Receives a descriptor sent with `send_fd`; `None` if the message held none.
pub fn receive_fd(socket: BorrowedFd<'_>) -> Result<Option<OwnedFd>, Errno> {
    let mut byte = [0u8; 1];
    let mut data = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let message = loop {
        match recvmsg::<()>(
            socket.as_raw_fd(),
            &mut data,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(Errno::EINTR) => continue,
            other => break other?,
        }
    };
    for control in message.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = control
            && let Some(&fd) = fds.first()
        {
            // SAFETY: the kernel installed `fd` in this process's table for
            // this message; nothing else owns it yet.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
    }
    Ok(None)
}

/// This process's own view of one of its descriptors (`/proc/self/fd`).
pub fn own_fd_target(fd: impl AsFd) -> io::Result<String> {
    fd_target(getpid(), fd.as_fd().as_raw_fd())
}

/// How often this process has given up the CPU to wait
/// (`voluntary_ctxt_switches` in `/proc/self/status`): a call that slept
/// raises it; being preempted (an involuntary switch) does not.
pub fn own_voluntary_switches() -> io::Result<u64> {
    super::procfs::status_field("self", "voluntary_ctxt_switches")
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| io::Error::other("no voluntary_ctxt_switches in /proc/self/status"))
}

/// The inode of the listening Unix socket bound to `path`, from
/// `/proc/net/unix` (its `Flags` has `__SO_ACCEPTCON`, 0x10000, once
/// `listen()` was called); `None` while no such socket listens.
pub fn listening_inode(path: &Path) -> io::Result<Option<u64>> {
    const ACCEPTCON: u32 = 0x10000;
    let table = fs::read_to_string("/proc/net/unix")?;
    let wanted = path.display().to_string();
    for line in table.lines().skip(1) {
        // Num RefCount Protocol Flags Type St Inode Path
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, _, _, flags, _, _, inode, name] = fields.as_slice() else {
            continue;
        };
        let listening = u32::from_str_radix(flags, 16).is_ok_and(|flags| flags & ACCEPTCON != 0);
        if *name == wanted && listening {
            return inode.parse().map(Some).map_err(io::Error::other);
        }
    }
    Ok(None)
}

/// Names this process `name` in `/proc/self/comm` (`prctl(PR_SET_NAME)`):
/// a program exec'd as `/proc/self/exe` is called `exe` otherwise.
pub fn name_self(name: &str) -> Result<(), Errno> {
    let name = std::ffi::CString::new(name).map_err(|_| Errno::EINVAL)?;
    nix::sys::prctl::set_name(&name)
}

/// Every descriptor of `pid` and what its link in `/proc/<pid>/fd` names,
/// by number.
pub fn fd_targets(pid: Pid) -> io::Result<Vec<(i32, String)>> {
    let mut targets = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // A descriptor closed between the listing and the read is not one.
        if let Ok(link) = fs::read_link(entry.path()) {
            targets.push((fd, link.display().to_string()));
        }
    }
    targets.sort_unstable();
    Ok(targets)
}
