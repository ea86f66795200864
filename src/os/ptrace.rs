//! Tracing a program procdemo did not write, with ptrace: starting it
//! seized, the stops the kernel reports for it and its descendants, and
//! what each stop lets the tracer read (the return value of a system call,
//! the sender of a signal, a string in the tracee's memory). Processes are
//! followed through fork, vfork, clone and exec by the kernel itself
//! (`PTRACE_O_TRACE*`), so none escapes between two stops.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::ptrace::{self, Event as PtraceEvent, Options};
use nix::sys::signal::Signal;
use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::{pipe, process, retry, signals};

/// What the kernel follows for procdemo: every new process and thread, and
/// every exec; syscall stops are told apart from signals (TRACESYSGOOD).
/// Not EXITKILL: when procdemo ends, the program goes on untraced.
fn options() -> Options {
    Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC
}

/// Why the program did not start.
#[derive(Debug)]
pub enum StartError {
    /// fork, a pipe, or reading the child's report failed.
    Os(&'static str, Errno),
    /// The kernel refused PTRACE_SEIZE (no ptrace in this container, or
    /// Yama's ptrace_scope 3).
    Refused(Errno),
    /// `execvp` failed in the child, with this errno.
    Exec(Errno),
}

/// Starts `argv` (looked up on PATH as a shell would) as procdemo's child,
/// traced from before its first instruction: the child waits on a pipe
/// until the tracer has seized it, then execs. Its stdin, stdout and stderr
/// are procdemo's; it stays in procdemo's process group, so the terminal's
/// Ctrl-C reaches it as it would without procdemo.
pub fn start(argv: &[CString]) -> Result<Pid, StartError> {
    let Some(program) = argv.first() else {
        return Err(StartError::Exec(Errno::ENOENT));
    };
    let (gate_read, gate_write) = pipe::pipe().map_err(|errno| StartError::Os("pipe", errno))?;
    let (error_read, error_write) = pipe::pipe().map_err(|errno| StartError::Os("pipe", errno))?;
    let gate_in_child = gate_write.as_raw_fd();
    let (child, _) = process::fork_child(|_| {
        // The child's copy of the gate's write end, closed so that the
        // gate reads end of file once procdemo's copy is gone.
        let _ = nix::unistd::close(gate_in_child);
        signals::restore_defaults();
        signals::default_sigpipe();
        let _ = nix::sys::signal::sigprocmask(
            nix::sys::signal::SigmaskHow::SIG_SETMASK,
            Some(&nix::sys::signal::SigSet::empty()),
            None,
        );
        // A byte: seized, go on. End of file: procdemo is gone, so the
        // program must not run untraced behind its back.
        match pipe::read_once(gate_read.as_fd(), 1) {
            Ok(byte) if byte.len() == 1 => {}
            _ => return 127,
        }
        let errno = match nix::unistd::execvp(program, argv) {
            Err(errno) => errno,
            Ok(never) => match never {},
        };
        let _ = pipe::write_once(error_write.as_fd(), &(errno as i32).to_ne_bytes());
        127
    })
    .map_err(|errno| StartError::Os("fork", errno))?;
    drop(gate_read);
    drop(error_write);
    if let Err(errno) = ptrace::seize(child, options()) {
        // The gate closes unread: the child ends without running anything.
        drop(gate_write);
        let _ = retry(|| waitpid(child, None));
        return Err(StartError::Refused(errno));
    }
    let opened = pipe::write_once(gate_write.as_fd(), b"g");
    drop(gate_write);
    if let Err(errno) = opened {
        let _ = retry(|| waitpid(child, Some(WaitPidFlag::__WALL)));
        return Err(StartError::Os("write", errno));
    }
    // The error pipe closes on a successful exec (close-on-exec) and
    // carries the errno of a failed one.
    let report = pipe::read_exact(std::fs::File::from(error_read), 4)
        .map_err(|error| StartError::Os("read", super::stdout::errno_of(&error)))?;
    if let Some(bytes) = report {
        let mut errno = [0u8; 4];
        errno.copy_from_slice(&bytes);
        reap_failed_start(child);
        return Err(StartError::Exec(Errno::from_raw(i32::from_ne_bytes(errno))));
    }
    Ok(child)
}

/// Reaps a child whose exec failed: it exits 127 after reporting, through
/// stops the tracer lets pass.
fn reap_failed_start(child: Pid) {
    loop {
        match retry(|| waitpid(child, Some(WaitPidFlag::__WALL))) {
            Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) | Err(_) => return,
            Ok(_) => {
                let _ = ptrace::cont(child, None);
            }
        }
    }
}

/// How a new task came to be, as the tracer's event says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    Fork,
    Vfork,
    /// `clone`/`clone3` with an exit signal other than SIGCHLD, which is
    /// how threads are made (or, rarely, a process: the caller tells).
    Clone,
}

/// One stop or end the kernel reported for a tracee.
#[derive(Debug)]
pub enum Stop {
    Exited {
        tid: Pid,
        code: i32,
    },
    Killed {
        tid: Pid,
        signal: Signal,
        core_dumped: bool,
    },
    /// The tracee is inside fork/vfork/clone, which made `new`.
    Created {
        tid: Pid,
        new: Pid,
        how: Creation,
    },
    /// An exec succeeded; `former` is the thread that called it (another
    /// thread than the leader when a thread exec'd).
    Execed {
        tid: Pid,
        former: Pid,
    },
    Syscall {
        tid: Pid,
        call: SyscallStop,
    },
    /// A signal is about to be delivered: the tracer passes it on (or not).
    Signal {
        tid: Pid,
        signal: Signal,
        origin: Origin,
    },
    /// A stop signal stopped the whole process (Ctrl-Z, SIGSTOP).
    GroupStop {
        tid: Pid,
        signal: Signal,
    },
    /// A seized tracee's first stop, or one procdemo asked for.
    Trap {
        tid: Pid,
    },
}

/// What a syscall stop shows.
#[derive(Clone, Copy, Debug)]
pub enum SyscallStop {
    Entry { call: Option<Call>, args: [u64; 6] },
    Exit { value: i64, is_error: bool },
    Other,
}

/// The system calls procdemo looks at; the others pass unnamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Execve,
    Execveat,
    Wait4,
    Waitid,
    Fork,
    Vfork,
    Clone,
    Clone3,
}

impl Call {
    fn from_number(number: u64) -> Option<Self> {
        let number = i64::try_from(number).ok()?;
        let known = [
            (libc::SYS_execve, Call::Execve),
            (libc::SYS_execveat, Call::Execveat),
            (libc::SYS_wait4, Call::Wait4),
            (libc::SYS_waitid, Call::Waitid),
            (libc::SYS_clone, Call::Clone),
            (libc::SYS_clone3, Call::Clone3),
            #[cfg(target_arch = "x86_64")]
            (libc::SYS_fork, Call::Fork),
            #[cfg(target_arch = "x86_64")]
            (libc::SYS_vfork, Call::Vfork),
        ];
        known
            .iter()
            .find(|(known, _)| *known == number)
            .map(|(_, call)| *call)
    }

    pub fn name(self) -> &'static str {
        match self {
            Call::Execve => "execve",
            Call::Execveat => "execveat",
            Call::Wait4 => "wait4",
            Call::Waitid => "waitid",
            Call::Fork => "fork",
            Call::Vfork => "vfork",
            Call::Clone => "clone",
            Call::Clone3 => "clone3",
        }
    }
}

/// Who sent a signal, as its siginfo says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Kill(Pid),
    Tgkill(Pid),
    Sigqueue(Pid),
    /// SIGCHLD about this child.
    Child(Pid),
    Kernel,
}

/// The next stop of any tracee, or `None` when none is waiting now
/// (`WNOHANG`); `Err(ECHILD)` when procdemo has no tracee and no child left.
pub fn next_stop() -> Result<Option<Stop>, Errno> {
    let flags = WaitPidFlag::__WALL | WaitPidFlag::WNOHANG;
    let status = retry(|| waitpid(None::<Pid>, Some(flags)))?;
    Ok(match status {
        WaitStatus::StillAlive => None,
        WaitStatus::Exited(tid, code) => Some(Stop::Exited { tid, code }),
        WaitStatus::Signaled(tid, signal, core_dumped) => Some(Stop::Killed {
            tid,
            signal,
            core_dumped,
        }),
        WaitStatus::PtraceSyscall(tid) => Some(Stop::Syscall {
            tid,
            call: syscall_stop(tid),
        }),
        WaitStatus::PtraceEvent(tid, signal, event) => Some(event_stop(tid, signal, event)),
        WaitStatus::Stopped(tid, signal) => Some(Stop::Signal {
            tid,
            signal,
            origin: origin(tid, signal),
        }),
        WaitStatus::Continued(_) => None,
    })
}

fn event_stop(tid: Pid, signal: Signal, event: i32) -> Stop {
    let message = || ptrace::getevent(tid).map(|value| value as i32).unwrap_or(0);
    let created = |how| Stop::Created {
        tid,
        new: Pid::from_raw(message()),
        how,
    };
    match event {
        e if e == PtraceEvent::PTRACE_EVENT_FORK as i32 => created(Creation::Fork),
        e if e == PtraceEvent::PTRACE_EVENT_VFORK as i32 => created(Creation::Vfork),
        e if e == PtraceEvent::PTRACE_EVENT_CLONE as i32 => created(Creation::Clone),
        e if e == PtraceEvent::PTRACE_EVENT_EXEC as i32 => Stop::Execed {
            tid,
            former: Pid::from_raw(message()),
        },
        // PTRACE_EVENT_STOP: a stop signal's group-stop, or a trap.
        _ if matches!(
            signal,
            Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU
        ) =>
        {
            Stop::GroupStop { tid, signal }
        }
        _ => Stop::Trap { tid },
    }
}

fn syscall_stop(tid: Pid) -> SyscallStop {
    let Ok(info) = ptrace::syscall_info(tid) else {
        return SyscallStop::Other;
    };
    match info.op {
        libc::PTRACE_SYSCALL_INFO_ENTRY => {
            // SAFETY: the kernel filled the `entry` member: `op` says so.
            let entry = unsafe { info.u.entry };
            SyscallStop::Entry {
                call: Call::from_number(entry.nr),
                args: entry.args,
            }
        }
        libc::PTRACE_SYSCALL_INFO_EXIT => {
            // SAFETY: the kernel filled the `exit` member: `op` says so.
            let exit = unsafe { info.u.exit };
            SyscallStop::Exit {
                value: exit.sval,
                is_error: exit.is_error != 0,
            }
        }
        _ => SyscallStop::Other,
    }
}

fn origin(tid: Pid, signal: Signal) -> Origin {
    let Ok(info) = ptrace::getsiginfo(tid) else {
        return Origin::Kernel;
    };
    // SAFETY: si_pid reads the union member the kernel fills for these
    // codes (SI_USER, SI_TKILL, SI_QUEUE) and for SIGCHLD.
    let sender = Pid::from_raw(unsafe { info.si_pid() });
    match info.si_code {
        _ if signal == Signal::SIGCHLD && info.si_code > 0 => Origin::Child(sender),
        libc::SI_USER => Origin::Kill(sender),
        libc::SI_TKILL => Origin::Tgkill(sender),
        libc::SI_QUEUE => Origin::Sigqueue(sender),
        _ => Origin::Kernel,
    }
}

/// How a tracee goes on after a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Until its next event or signal.
    Continue,
    /// Stopping at the entry and exit of every system call as well.
    EverySyscall,
}

/// Lets a stopped tracee go on, passing `signal` to it. A tracee killed
/// meanwhile (ESRCH) has nothing to resume: its end comes as a stop.
pub fn resume(tid: Pid, how: Resume, signal: Option<Signal>) -> Result<(), Errno> {
    let resumed = match how {
        Resume::Continue => ptrace::cont(tid, signal),
        Resume::EverySyscall => ptrace::syscall(tid, signal),
    };
    match resumed {
        Err(Errno::ESRCH) => Ok(()),
        other => other,
    }
}

/// Leaves a group-stopped tracee stopped until SIGCONT, and tells the
/// tracer when that comes (PTRACE_LISTEN: nix has no wrapper).
pub fn listen(tid: Pid) -> Result<(), Errno> {
    // SAFETY: PTRACE_LISTEN takes no address and no data; it only changes
    // how a stopped tracee waits.
    let result = unsafe {
        libc::ptrace(
            libc::PTRACE_LISTEN,
            tid.as_raw(),
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    match Errno::result(result) {
        Err(Errno::ESRCH) | Ok(_) => Ok(()),
        Err(errno) => Err(errno),
    }
}

/// Stops a running tracee at its next chance (PTRACE_INTERRUPT), so that the
/// tracer can change how it resumes.
pub fn interrupt(tid: Pid) -> Result<(), Errno> {
    match ptrace::interrupt(tid) {
        Err(Errno::ESRCH) => Ok(()),
        other => other,
    }
}

/// A NUL-terminated string at `address` in the tracee's memory, at most
/// 4096 bytes, read page by page so that a string at the end of a mapping
/// is read too.
pub fn read_string(tid: Pid, address: u64) -> Result<String, Errno> {
    const PAGE: u64 = 4096;
    let mut bytes = Vec::new();
    let mut at = address;
    while bytes.len() < PAGE as usize {
        let room = (PAGE - at % PAGE) as usize;
        let mut chunk = vec![0u8; room];
        let remote = [RemoteIoVec {
            base: at as usize,
            len: room,
        }];
        let read = process_vm_readv(tid, &mut [std::io::IoSliceMut::new(&mut chunk)], &remote)?;
        if read == 0 {
            break;
        }
        if let Some(end) = chunk[..read].iter().position(|&byte| byte == 0) {
            bytes.extend_from_slice(&chunk[..end]);
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        bytes.extend_from_slice(&chunk[..read]);
        at += read as u64;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A pidfd for process `pid` (pidfd_open(2), Linux 5.3): it polls readable
/// when the process has ended, and as hung up once it has been reaped.
pub fn pidfd(pid: Pid) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
    // or -1; nothing of ours is read or written.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    let fd = Errno::result(fd)?;
    // SAFETY: the kernel just returned this descriptor, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Whether the process behind `pidfd` has been reaped: its entry is gone.
pub fn reaped(pidfd: &OwnedFd) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(1))
        && fds[0]
            .revents()
            .is_some_and(|events| events.contains(PollFlags::POLLHUP))
}

/// The value a stopped task's system call returns with, as its return
/// register holds it now: in a new child at its first stop, what fork gave
/// it back.
pub fn return_register(tid: Pid) -> Result<i64, Errno> {
    #[cfg(target_arch = "x86_64")]
    {
        ptrace::getregs(tid).map(|regs| regs.rax as i64)
    }
    #[cfg(target_arch = "aarch64")]
    {
        ptrace::getregset::<ptrace::regset::NT_PRSTATUS>(tid).map(|regs| regs.regs[0] as i64)
    }
}

/// `si_pid` of the `siginfo_t` at `address` in the tracee's memory: where
/// `waitid` writes the pid it reaped.
pub fn read_siginfo_pid(tid: Pid, address: u64) -> Result<Pid, Errno> {
    let mut bytes = [0u8; 4];
    let remote = [RemoteIoVec {
        base: (address + SI_PID_OFFSET) as usize,
        len: 4,
    }];
    process_vm_readv(tid, &mut [std::io::IoSliceMut::new(&mut bytes)], &remote)?;
    Ok(Pid::from_raw(i32::from_ne_bytes(bytes)))
}

/// Where `si_pid` lies in `siginfo_t`: after si_signo, si_errno and si_code
/// (three ints), at the union, which holds pointers and so is aligned to
/// their size.
const SI_PID_OFFSET: u64 = if cfg!(target_pointer_width = "64") {
    16
} else {
    12
};

/// Sleeps until `wake` is readable or one of `pidfds` changes, at most
/// `timeout_ms` milliseconds.
pub fn wait_for_change(
    wake: std::os::fd::BorrowedFd<'_>,
    pidfds: &[std::os::fd::BorrowedFd<'_>],
    timeout_ms: u16,
) -> Result<(), Errno> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut fds: Vec<PollFd> = std::iter::once(PollFd::new(wake, PollFlags::POLLIN))
        .chain(pidfds.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)))
        .collect();
    match poll(&mut fds, PollTimeout::from(timeout_ms)) {
        Ok(_) | Err(Errno::EINTR) => Ok(()),
        Err(errno) => Err(errno),
    }
}
