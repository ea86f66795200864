//! `ipc`: the mechanisms the notes list, each shown between processes that
//! did not inherit each other's descriptors. Two spawned procdemos (each
//! exec'd afresh) meet at a FIFO in a private directory, where the reader's
//! `open` waits for the writer; two more meet at a Unix socket, learn each
//! other's pid from the kernel and pass an open pipe over it; procdemo
//! signals one of them. A closing table points at the lesson for each.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;
use nix::unistd::{Pid, getpid};

use crate::lab::{InheritedGate, Lab, PARENT, SpawnedSide};
use crate::model::Report;
use crate::os::ipc::{self, End};
use crate::os::private_dir::{self, PrivateDir};
use crate::os::{pipe, procfs, sigaction, wait};

mod reports;
pub use reports::*;

#[derive(clap::Args, Debug)]
pub struct Args {}

const READER: &str = "reader";
const WRITER: &str = "writer";
const SERVER: &str = "server";
const CLIENT: &str = "client";

const FIFO_TEXT: &str = "hello through a FIFO";
const SOCKET_TEXT: &str = "hello through a socket";
const PIPE_TEXT: &str = "a note inside a pipe";
/// What the client waits for, and procdemo sends, in the last step.
const SIGNAL: Signal = Signal::SIGUSR1;
/// Where the reader's `open` waits, as Linux names it in /proc/<pid>/wchan:
/// `wait_for_partner` (called by `fifo_open`, which a kernel that inlines
/// it names instead); before Linux 5.8 it slept in `pipe_wait`.
const FIFO_WAITS: [&str; 3] = ["wait_for_partner", "fifo_open", "pipe_wait"];
/// Where a Unix socket's `accept()` waits, as /proc/<pid>/wchan names it:
/// `unix_accept` calls `skb_recv_datagram`, which sleeps in
/// `__skb_wait_for_more_packets` (as a read waiting for data does).
const ACCEPT_WAITS: [&str; 3] = [
    "__skb_wait_for_more_packets",
    "skb_recv_datagram",
    "unix_accept",
];

/// Each mechanism of the closing list and the lessons that show it (a
/// Unix socket: `ipc` by a path, `pipe` as the socketpair behind Python's
/// `Pipe()`). Mechanisms are words of the text, translated in `## words`.
const TABLE: [(&str, &[&str]); 7] = [
    ("pipe", &["pipe"]),
    ("FIFO", &["ipc"]),
    ("message queue", &["queue"]),
    ("shared memory", &["memory"]),
    ("semaphore", &["semaphore"]),
    ("Unix socket", &["ipc", "pipe"]),
    ("signal", &["signals"]),
];

pub fn run(lab: &mut Lab, _args: &Args) -> Result<()> {
    let mut dir = PrivateDir::create(private_dir::IPC)
        .context("making a private directory in the temporary directory")?;
    let mut spawned = Vec::new();
    let shown = fifo(lab, &dir, &mut spawned).and_then(|()| socket(lab, &dir, &mut spawned));
    if shown.is_err() {
        end_before_the_names_go(lab, &spawned);
    }
    shown?;
    // Each lesson (looked up in the course) and the mechanisms it shows.
    let mut shown_in: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (mechanism, lessons) in TABLE {
        for lesson in lessons {
            let Some(found) = crate::lessons::find(lesson) else {
                bail!("the closing list names lesson `{lesson}`, which the course lacks");
            };
            shown_in
                .entry(found.id.to_string())
                .or_default()
                .push(mechanism.to_string());
        }
    }
    lab.before(Closing::STEP)?;
    lab.tell(
        PARENT,
        &Closing {
            dir_removed: dir.remove().is_ok() && !ipc::exists(dir.path()),
            shown_in,
        },
    )
}

/// Stopped midway (Ctrl-C, an error): the spawned programs still running
/// are killed, and have ended, before the guard removes the directory, so
/// that none finds its path gone and says so on stderr. All are stopped
/// (SIGSTOP) before any is killed: a stopped process cannot see another
/// end (an end of file, a closed socket) and report it as an error either.
/// The lab reaps them.
fn end_before_the_names_go(lab: &mut Lab, spawned: &[Pid]) {
    let running: Vec<Pid> = spawned
        .iter()
        .copied()
        .filter(|&pid| !lab.has_ended(pid))
        .collect();
    for &pid in &running {
        let _ = lab.signal(pid, Signal::SIGSTOP);
    }
    for &pid in &running {
        if lab.signal(pid, Signal::SIGKILL).is_ok() {
            let _ = wait::wait_until_ended(pid);
        }
    }
}

fn fifo(lab: &mut Lab, dir: &PrivateDir, spawned: &mut Vec<Pid>) -> Result<()> {
    let path = dir.path().join("fifo");
    ipc::make_fifo(&path).with_context(|| format!("mkfifo({})", path.display()))?;
    lab.tell(
        PARENT,
        &FifoMade {
            path: shown(&path),
            dir_mode: dir.mode().context("stat of the private directory")?,
            file_type: ipc::file_type(&path)?.to_string(),
        },
    )?;
    let go = lab.gate()?;
    let args = [shown(&path), go.number()];
    lab.before(ReaderBlocks::STEP)?;
    let reader = lab.spawn_after(READER, &args, |side| go.keep_across_exec(side))?;
    spawned.push(reader.pid);
    let asleep = asleep_in(lab, reader.pid, &FIFO_WAITS)?;
    lab.tell(
        PARENT,
        &ReaderBlocks {
            reader_pid: reader.pid.as_raw(),
            reader_ppid: procfs::stat(reader.pid)?.ppid,
            state: asleep.state,
            wchan: asleep.wchan,
            fifo_fds: ipc::fds_naming(reader.pid, &shown(&path))?,
        },
    )?;
    // The reader stays blocked in open() while people read that it is.
    lab.before(FifoOpened::STEP)?;
    let writer = lab.spawn_after(WRITER, &args, |side| go.keep_across_exec(side))?;
    spawned.push(writer.pid);
    let opened: FifoOpened = lab.expect_report(reader.pid)?;
    lab.expect_report::<FifoOpened>(writer.pid)?;
    // Both ends are open: the name has done its work. It goes once people
    // have read the step that says where the descriptors point.
    lab.before(FifoUnlinked::STEP)?;
    std::fs::remove_file(&path).with_context(|| format!("unlink({})", path.display()))?;
    let (shared_by_both, procdemo_holds_them_too) = held_by_both(reader.pid, writer.pid, &path)?;
    lab.tell(
        PARENT,
        &FifoUnlinked {
            shared_by_both,
            procdemo_holds_them_too,
            name_left: ipc::exists(&path),
            reader_fd_target: ipc::fd_target(reader.pid, opened.fd)?,
            reader_ppid: procfs::stat(reader.pid)?.ppid,
            writer_ppid: procfs::stat(writer.pid)?.ppid,
        },
    )?;
    lab.before(FifoMessage::STEP)?;
    lab.open(&go);
    lab.expect_report::<FifoMessage>(writer.pid)?;
    lab.expect_report::<FifoMessage>(reader.pid)?;
    lab.wait(writer.pid)?;
    lab.wait(reader.pid)?;
    Ok(())
}

/// Waits until `pid` sleeps in one of the kernel functions `waits` (a
/// fresh program may sleep elsewhere for a moment first); what /proc said
/// last otherwise.
fn asleep_in(lab: &mut Lab, pid: Pid, waits: &[&str]) -> Result<crate::lab::Asleep> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let asleep = lab.wait_until_asleep(pid)?;
        let there = asleep
            .wchan
            .as_deref()
            .is_some_and(|wchan| waits.contains(&wchan));
        if there || std::time::Instant::now() > deadline {
            return Ok(asleep);
        }
        // Nothing signals the step into the call: /proc is read again soon.
        lab.sleep_for(std::time::Duration::from_millis(1))?;
    }
}

fn socket(lab: &mut Lab, dir: &PrivateDir, spawned: &mut Vec<Pid>) -> Result<()> {
    let path = dir.path().join("socket");
    let go = lab.gate()?;
    let args = [shown(&path), go.number()];
    lab.before(SocketListening::STEP)?;
    let server = lab.spawn_after(SERVER, &args, |side| go.keep_across_exec(side))?;
    spawned.push(server.pid);
    // The server reports nothing here: procdemo sees it from outside, asleep
    // in accept() (so bind() and listen() are done), its listening socket
    // in /proc/net/unix, and that socket among its descriptors.
    let asleep = asleep_in(lab, server.pid, &ACCEPT_WAITS)?;
    let inode = ipc::listening_inode(&path)?
        .with_context(|| format!("no socket listens at {} in /proc/net/unix", path.display()))?;
    let fd_target = format!("socket:[{inode}]");
    let [fd] = ipc::fds_naming(server.pid, &fd_target)?[..] else {
        bail!("the server does not hold {fd_target} once");
    };
    lab.tell(
        PARENT,
        &SocketListening {
            server_pid: server.pid.as_raw(),
            path: shown(&path),
            file_type: ipc::file_type(&path)?.to_string(),
            fd,
            fd_target,
            state: asleep.state,
            wchan: asleep.wchan,
        },
    )?;
    // The server waits in accept() while people read that it listens.
    lab.before(SocketConnected::STEP)?;
    let client = lab.spawn_after(CLIENT, &args, |side| go.keep_across_exec(side))?;
    spawned.push(client.pid);
    let at_server: SocketConnected = lab.expect_report(server.pid)?;
    let at_client: SocketConnected = lab.expect_report(client.pid)?;
    lab.before(SocketUnlinked::STEP)?;
    std::fs::remove_file(&path).with_context(|| format!("unlink({})", path.display()))?;
    let (shared_by_both, procdemo_holds_them_too) = held_by_both(server.pid, client.pid, &path)?;
    lab.tell(
        PARENT,
        &SocketUnlinked {
            shared_by_both,
            procdemo_holds_them_too,
            name_left: ipc::exists(&path),
            new_connect: match ipc::connect_to(&path) {
                Ok(_) => "connected".to_string(),
                Err(error) => error
                    .raw_os_error()
                    .map(|code| format!("{:?}", nix::errno::Errno::from_raw(code)))
                    .unwrap_or_else(|| error.to_string()),
            },
            server_fd_target: ipc::fd_target(server.pid, at_server.fd)?,
            client_fd_target: ipc::fd_target(client.pid, at_client.fd)?,
        },
    )?;
    lab.before(FdPassed::STEP)?;
    lab.open(&go);
    lab.expect_report::<FdPassed>(server.pid)?;
    lab.expect_report::<FdPassed>(client.pid)?;
    lab.wait(server.pid)?;
    // The client waits in sigwaitinfo() while people read what it received
    // (it reported first: asleep there before they go on).
    lab.wait_until_asleep(client.pid)?;
    lab.before(SignalSent::STEP)?;
    lab.signal(client.pid, SIGNAL)?;
    lab.expect_report::<SignalSent>(client.pid)?;
    lab.wait(client.pid)?;
    Ok(())
}

/// The four spawned programs: each a fresh procdemo, told a path and the
/// number of its gate (and holding, like every spawned procdemo, the event
/// pipe it reports on).
pub fn spawned(side: &SpawnedSide) -> Result<()> {
    // Called `procdemo` in ps and /proc/<pid>/comm, not `exe`.
    ipc::name_self("procdemo").context("prctl(PR_SET_NAME)")?;
    let args = side.args();
    let [path, gate] = args.as_slice() else {
        bail!("expected a path and a gate, got {args:?}");
    };
    let path = PathBuf::from(path);
    let gate = side.inherited_gate(gate)?;
    match side.role() {
        READER | WRITER => fifo_end(side, &path, &gate),
        SERVER => server(side, &path, &gate),
        CLIENT => client(side, &path, &gate),
        other => bail!("the ipc lesson spawns no `{other}`"),
    }
}

fn fifo_end(side: &SpawnedSide, path: &Path, gate: &InheritedGate) -> Result<()> {
    let end = if side.role() == READER {
        End::Read
    } else {
        End::Write
    };
    let before = ipc::fds_naming(getpid(), &shown(path))?.len();
    let switches = ipc::own_voluntary_switches()?;
    let fd = ipc::open_fifo(path, end).with_context(|| format!("open({})", path.display()))?;
    let voluntary_switches_in_open = ipc::own_voluntary_switches()?.saturating_sub(switches);
    side.tell(&FifoOpened {
        end: format!("{end:?}").to_lowercase(),
        fds_before_open: before,
        fd: fd.as_raw_fd(),
        fd_target: ipc::own_fd_target(&fd)?,
        voluntary_switches_in_open,
    })?;
    side.wait_for(gate)?;
    let mut returned = Vec::new();
    let mut bytes = Vec::new();
    match end {
        End::Write => {
            let written = pipe::write_once(fd.as_fd(), FIFO_TEXT.as_bytes())
                .context("write() to the FIFO")?;
            returned.push(written);
            bytes.extend_from_slice(&FIFO_TEXT.as_bytes()[..written]);
        }
        // Until end of file: read() returns 0 once the writer has exited,
        // which closed the only write end.
        End::Read => loop {
            let chunk = pipe::read_once(fd.as_fd(), 64).context("read() from the FIFO")?;
            returned.push(chunk.len());
            if chunk.is_empty() {
                break;
            }
            bytes.extend_from_slice(&chunk);
        },
    }
    side.tell(&FifoMessage {
        bytes: bytes.len(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
        returned,
    })
}

fn server(side: &SpawnedSide, path: &Path, gate: &InheritedGate) -> Result<()> {
    let listener = ipc::listen_at(path).with_context(|| format!("bind({})", path.display()))?;
    let (stream, _) = listener.accept().context("accept()")?;
    let message = pipe::receive_frame(&stream)?.context("the client closed before its message")?;
    side.tell(&SocketConnected {
        fd: stream.as_raw_fd(),
        fd_target: ipc::own_fd_target(&stream)?,
        peer_pid: ipc::peer_pid(stream.as_fd()).context("getsockopt(SO_PEERCRED)")?,
        message: String::from_utf8_lossy(&message).into_owned(),
    })?;
    side.wait_for(gate)?;
    // A pipe the client has never had: its read end goes over the socket.
    let (read_end, write_end) = pipe::pipe().context("pipe()")?;
    pipe::write_once(write_end.as_fd(), PIPE_TEXT.as_bytes()).context("write() to the pipe")?;
    drop(write_end);
    let fd = read_end.as_raw_fd();
    let fd_target = ipc::own_fd_target(&read_end)?;
    ipc::send_fd(stream.as_fd(), read_end.as_fd()).context("sendmsg(SCM_RIGHTS)")?;
    drop(read_end);
    side.tell(&FdPassed {
        fd,
        fds_naming_it: ipc::fds_naming(getpid(), &fd_target)?,
        fd_target,
        text: PIPE_TEXT.to_string(),
    })
}

fn client(side: &SpawnedSide, path: &Path, gate: &InheritedGate) -> Result<()> {
    // Blocked from the start: procdemo's signal waits, pending, until
    // sigwaitinfo() takes it, instead of ending this process.
    sigaction::block(&[SIGNAL]).context("sigprocmask(SIG_BLOCK)")?;
    let stream = ipc::connect_to(path).with_context(|| format!("connect({})", path.display()))?;
    pipe::send_frame(&stream, SOCKET_TEXT.as_bytes()).context("write() to the socket")?;
    side.tell(&SocketConnected {
        fd: stream.as_raw_fd(),
        fd_target: ipc::own_fd_target(&stream)?,
        peer_pid: ipc::peer_pid(stream.as_fd()).context("getsockopt(SO_PEERCRED)")?,
        message: SOCKET_TEXT.to_string(),
    })?;
    side.wait_for(gate)?;
    let received = ipc::receive_fd(stream.as_fd())
        .context("recvmsg()")?
        .context("the server's message carried no descriptor")?;
    let fd = received.as_raw_fd();
    let fd_target = ipc::own_fd_target(&received)?;
    let fds_naming_it = ipc::fds_naming(getpid(), &fd_target)?;
    // Kept open to the end, so that /proc/<pid>/fd shows it from outside.
    let mut pipe_end = std::fs::File::from(received);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut pipe_end, &mut text)
        .context("read() from the received pipe")?;
    side.tell(&FdPassed {
        fd,
        fds_naming_it,
        fd_target,
        text,
    })?;
    let info = sigaction::wait_for(SIGNAL).context("sigwaitinfo()")?;
    side.tell(&SignalSent {
        signal: sigaction::signal_name(info.signal),
        sender_pid: info.sender,
        receiver_pid: getpid().as_raw(),
    })
}

/// What `a` and `b` both hold open, from their /proc/<pid>/fd, as `a`'s
/// descriptor number and what it names (the file at `path` left out: each
/// opened that itself), and whether procdemo holds every one of those too
/// (then they came from procdemo).
fn held_by_both(a: Pid, b: Pid, path: &Path) -> Result<(Vec<String>, bool)> {
    let named = shown(path);
    let names = |pid| -> Result<Vec<String>> {
        Ok(ipc::fd_targets(pid)?
            .into_iter()
            .map(|(_, target)| target)
            .collect())
    };
    let theirs = names(b)?;
    let mine = names(getpid())?;
    let shared: Vec<(i32, String)> = ipc::fd_targets(a)?
        .into_iter()
        .filter(|(_, target)| theirs.contains(target) && !target.starts_with(&named))
        .collect();
    let all_mine = shared.iter().all(|(_, target)| mine.contains(target));
    let shown = shared
        .into_iter()
        .map(|(fd, target)| format!("{fd} → {target}"))
        .collect();
    Ok((shown, all_mine))
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}
