//! A manager process, as `multiprocessing.Manager()` starts: it owns a
//! queue and serves it over a Unix socket, one thread per connection; the
//! other processes hold proxies, connections that send `put` and `get`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Condvar, Mutex};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::lab::ChildSide;
use crate::os::ipc::peer_pid;
use crate::os::procfs;
use crate::report;

pub const MANAGER: &str = "manager";

/// One connection as the manager sees it: its own end, and the pid the
/// kernel gives for the other end. Shown, and in JSON, as one string,
/// `socket:[inode] <-> PID pid`, the same in every language.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(into = "String", try_from = "String")]
pub struct ManagerEnd {
    pub socket: String,
    pub peer_pid: i32,
}

const PEER: &str = " <-> PID ";

impl From<ManagerEnd> for String {
    fn from(end: ManagerEnd) -> String {
        format!("{}{PEER}{}", end.socket, end.peer_pid)
    }
}

impl TryFrom<String> for ManagerEnd {
    type Error = String;

    fn try_from(text: String) -> std::result::Result<Self, String> {
        let (socket, pid) = text
            .split_once(PEER)
            .ok_or_else(|| format!("not `socket{PEER}pid`: {text}"))?;
        Ok(Self {
            socket: socket.to_string(),
            peer_pid: pid.parse().map_err(|_| format!("not a pid: {pid}"))?,
        })
    }
}

report! {
    /// The manager accepted every proxy's connection: its ends and their peers.
    "manager-connected" => pub struct ManagerConnected { pub connections: Vec<ManagerEnd> }
}

/// What `/proc/self/fd/<fd>` names: `socket:[inode]`, `pipe:[inode]`.
pub fn fd_name(socket: &impl AsFd) -> Result<String> {
    use std::os::fd::AsRawFd;
    let fd = socket.as_fd().as_raw_fd();
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|target| target.display().to_string())
        .with_context(|| format!("reading /proc/self/fd/{fd}"))
}

/// The manager's life: accept `clients` connections, say so, then serve
/// the queue until every client has closed its end.
pub fn serve(side: &ChildSide, listener: UnixListener, clients: usize) -> Result<i32> {
    let mut connections = Vec::new();
    for _ in 0..clients {
        let (stream, _) = listener
            .accept()
            .context("accept() on the manager's socket")?;
        connections.push(stream);
    }
    drop(listener);
    let ends = connections
        .iter()
        .map(|stream| {
            Ok(ManagerEnd {
                socket: fd_name(stream)?,
                peer_pid: peer_pid(stream.as_fd()).context("getsockopt(SO_PEERCRED)")?,
            })
        })
        .collect::<Result<_>>()?;
    side.tell(&ManagerConnected { connections: ends })?;
    let queue = (Mutex::new(VecDeque::new()), Condvar::new());
    // Threads live in this child only, and end with their connections.
    std::thread::scope(|scope| {
        let threads: Vec<_> = connections
            .into_iter()
            .map(|stream| {
                let queue = &queue;
                scope.spawn(move || serve_one(stream, queue))
            })
            .collect();
        for thread in threads {
            match thread.join() {
                Ok(served) => served?,
                Err(_) => bail!("a manager thread panicked"),
            }
        }
        Ok(0)
    })
}

type Queue = (Mutex<VecDeque<String>>, Condvar);

/// One connection: `put <item>` appends; `get` waits for an item and sends it.
fn serve_one(stream: UnixStream, queue: &Queue) -> Result<()> {
    let mut reply = stream.try_clone()?;
    for line in BufReader::new(stream).lines() {
        let line = line?;
        let (items, ready) = queue;
        if let Some(item) = line.strip_prefix("put ") {
            items
                .lock()
                .map_err(|_| anyhow::anyhow!("queue lock poisoned"))?
                .push_back(item.to_string());
            ready.notify_all();
        } else if line == "get" {
            let mut held = items
                .lock()
                .map_err(|_| anyhow::anyhow!("queue lock poisoned"))?;
            let item = loop {
                if let Some(item) = held.pop_front() {
                    break item;
                }
                held = ready
                    .wait(held)
                    .map_err(|_| anyhow::anyhow!("queue lock poisoned"))?;
            };
            drop(held);
            writeln!(reply, "{item}")?;
        } else {
            bail!("the manager got {line:?}");
        }
    }
    Ok(())
}

/// A proxy: a connection to the manager.
pub struct Proxy {
    stream: UnixStream,
    replies: BufReader<UnixStream>,
}

impl Proxy {
    pub fn connect(path: &Path) -> Result<Self> {
        let stream = UnixStream::connect(path)
            .with_context(|| format!("connect() to {}", path.display()))?;
        let replies = BufReader::new(stream.try_clone()?);
        Ok(Self { stream, replies })
    }

    /// `socket:[inode]` of this end.
    pub fn socket(&self) -> Result<String> {
        fd_name(&self.stream)
    }

    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.stream.as_raw_fd()
    }

    pub fn put(&mut self, item: &str) -> Result<()> {
        writeln!(self.stream, "put {item}").context("write() to the manager")
    }

    pub fn get(&mut self) -> Result<String> {
        writeln!(self.stream, "get").context("write() to the manager")?;
        let mut line = String::new();
        self.replies
            .read_line(&mut line)
            .context("read() from the manager")?;
        if line.is_empty() {
            bail!("the manager closed the connection");
        }
        Ok(line.trim_end().to_string())
    }
}

/// Whether `pid` has `name` (`pipe:[inode]`) open, from `/proc/<pid>/fd`.
pub fn has_open(pid: nix::unistd::Pid, name: &str) -> Result<bool> {
    Ok(open_names(pid)?.iter().any(|open| open == name))
}

/// The `socket:[inode]` names among `pid`'s open descriptors, read from
/// outside in `/proc/<pid>/fd`.
pub fn sockets_of(pid: nix::unistd::Pid) -> Result<Vec<String>> {
    let mut found = open_names(pid)?;
    found.retain(|name| name.starts_with("socket:"));
    Ok(found)
}

/// What each of `pid`'s descriptors names, from `/proc/<pid>/fd`, sorted.
fn open_names(pid: nix::unistd::Pid) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("reading /proc/{pid}/fd"))?
        .flatten()
    {
        // A descriptor closed meanwhile is simply not there.
        if let Ok(target) =
            procfs::link(pid, &format!("fd/{}", entry.file_name().to_string_lossy()))
        {
            found.push(target);
        }
    }
    found.sort();
    Ok(found)
}
