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
use crate::os::ipc::{self, End, PrivateDir};
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

/// Each mechanism of the closing table and the lesson that shows it.
const TABLE: [(&str, &str); 7] = [
    ("pipe", "pipe"),
    ("fifo", "ipc"),
    ("message queue", "queue"),
    ("shared memory", "memory"),
    ("semaphore", "semaphore"),
    ("socket", "ipc"),
    ("signal", "signals"),
];

pub fn run(lab: &mut Lab, _args: &Args) -> Result<()> {
    let dir = PrivateDir::new().context("making a private directory in the temporary directory")?;
    let mut spawned = Vec::new();
    let shown = fifo(lab, &dir, &mut spawned).and_then(|()| socket(lab, &dir, &mut spawned));
    if shown.is_err() {
        end_before_the_names_go(lab, &spawned);
    }
    shown?;
    let shown_in = TABLE
        .iter()
        .map(|(mechanism, lesson)| match crate::lessons::find(lesson) {
            Some(found) => Ok((mechanism.to_string(), found.id.to_string())),
            None => bail!("the closing table names lesson `{lesson}`, which the course lacks"),
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    lab.tell(
        PARENT,
        &Closing {
            dir_removed: dir.remove(),
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
    let path = dir.path.join("fifo");
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
    let asleep = asleep_in_open(lab, reader.pid)?;
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
    // Both ends are open: the name has done its work.
    std::fs::remove_file(&path).with_context(|| format!("unlink({})", path.display()))?;
    lab.tell(
        PARENT,
        &FifoUnlinked {
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

/// Waits until the reader sleeps in the FIFO's open (a fresh program may
/// sleep elsewhere for a moment first); what /proc said last otherwise.
fn asleep_in_open(lab: &mut Lab, reader: Pid) -> Result<crate::lab::Asleep> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let asleep = lab.wait_until_asleep(reader)?;
        let in_open = asleep
            .wchan
            .as_deref()
            .is_some_and(|wchan| FIFO_WAITS.contains(&wchan));
        if in_open || std::time::Instant::now() > deadline {
            return Ok(asleep);
        }
        // Nothing signals the step into open(): /proc is read again soon.
        lab.sleep_for(std::time::Duration::from_millis(1))?;
    }
}

fn socket(lab: &mut Lab, dir: &PrivateDir, spawned: &mut Vec<Pid>) -> Result<()> {
    let path = dir.path.join("socket");
    let go = lab.gate()?;
    let args = [shown(&path), go.number()];
    lab.before(SocketListening::STEP)?;
    let server = lab.spawn_after(SERVER, &args, |side| go.keep_across_exec(side))?;
    spawned.push(server.pid);
    lab.expect_report::<SocketListening>(server.pid)?;
    // It reported before calling accept(): asleep there before people go on.
    lab.wait_until_asleep(server.pid)?;
    // The server waits in accept() while people read that it listens.
    lab.before(SocketConnected::STEP)?;
    let client = lab.spawn_after(CLIENT, &args, |side| go.keep_across_exec(side))?;
    spawned.push(client.pid);
    let at_server: SocketConnected = lab.expect_report(server.pid)?;
    let at_client: SocketConnected = lab.expect_report(client.pid)?;
    std::fs::remove_file(&path).with_context(|| format!("unlink({})", path.display()))?;
    lab.tell(
        PARENT,
        &SocketUnlinked {
            name_left: ipc::exists(&path),
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

/// The four spawned programs: each a fresh procdemo, told only a path and
/// the number of its gate.
pub fn spawned(side: &SpawnedSide) -> Result<()> {
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
    let started = side.now_us();
    let fd = ipc::open_fifo(path, end).with_context(|| format!("open({})", path.display()))?;
    let waited_us = side.now_us().saturating_sub(started);
    side.tell(&FifoOpened {
        end: format!("{end:?}").to_lowercase(),
        fds_before_open: before,
        fd: fd.as_raw_fd(),
        fd_target: ipc::own_fd_target(&fd)?,
        waited_us,
    })?;
    side.wait_for(gate)?;
    let text = match end {
        End::Write => {
            pipe::write_once(fd.as_fd(), FIFO_TEXT.as_bytes()).context("write() to the FIFO")?;
            FIFO_TEXT.to_string()
        }
        End::Read => {
            let bytes = pipe::read_exact(std::fs::File::from(fd), FIFO_TEXT.len())?
                .context("the FIFO ended before the whole message came")?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    side.tell(&FifoMessage {
        bytes: text.len(),
        text,
    })
}

fn server(side: &SpawnedSide, path: &Path, gate: &InheritedGate) -> Result<()> {
    let listener = ipc::listen_at(path).with_context(|| format!("bind({})", path.display()))?;
    side.tell(&SocketListening {
        path: shown(path),
        file_type: ipc::file_type(path)?.to_string(),
        fd: listener.as_raw_fd(),
        fd_target: ipc::own_fd_target(&listener)?,
    })?;
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

fn shown(path: &Path) -> String {
    path.display().to_string()
}
