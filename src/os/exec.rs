//! Running another program: `execve` in a forked child with its standard
//! descriptors set, the error pipe `subprocess` uses to learn why an exec
//! failed, descriptors that do or do not survive exec, and the two ways of
//! starting a program whose cost the `exec` lesson measures (fork + exec,
//! `posix_spawn`).

use std::ffi::{CString, c_char};
use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::unistd::{Pid, dup2_stdin, dup2_stdout, read};

use super::pipe;
use super::retry;
use super::wait::{ExitStatus, wait_blocking};

/// A program and its arguments, made into C strings before any fork, with
/// the pointer arrays `execve` takes; its environment is empty.
pub struct Program {
    path: CString,
    argv: Vec<CString>,
    argv_pointers: Vec<*const c_char>,
    envp_pointers: [*const c_char; 1],
}

impl Program {
    /// `path`, run with `argv` (its first item is the program's name).
    pub fn new(path: &str, argv: &[&str]) -> Result<Self, Errno> {
        let path = CString::new(path).map_err(|_| Errno::EINVAL)?;
        let argv = argv
            .iter()
            .map(|arg| CString::new(*arg).map_err(|_| Errno::EINVAL))
            .collect::<Result<Vec<_>, _>>()?;
        let argv_pointers = argv
            .iter()
            .map(|arg| arg.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        Ok(Self {
            path,
            argv,
            argv_pointers,
            envp_pointers: [std::ptr::null()],
        })
    }

    /// Replaces this process's program with this one; with `stdin` and
    /// `stdout` (when given) as descriptors 0 and 1. Returns only if that
    /// fails, with the errno the kernel gave.
    pub fn exec(&self, stdin: Option<BorrowedFd<'_>>, stdout: Option<BorrowedFd<'_>>) -> Errno {
        if let Some(fd) = stdin
            && let Err(errno) = dup2_stdin(fd)
        {
            return errno;
        }
        if let Some(fd) = stdout
            && let Err(errno) = dup2_stdout(fd)
        {
            return errno;
        }
        self.exec_raw()
    }

    fn exec_raw(&self) -> Errno {
        // SAFETY: the path and both arrays are NUL-terminated and live as
        // long as `self`; `execve` returns only on failure.
        unsafe {
            libc::execve(
                self.path.as_ptr(),
                self.argv_pointers.as_ptr(),
                self.envp_pointers.as_ptr(),
            )
        };
        Errno::last()
    }

    /// The arguments, for the facts.
    pub fn argv(&self) -> Vec<String> {
        self.argv
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect()
    }
}

/// `/dev/null` for writing, closed on exec unless made a standard descriptor.
pub fn dev_null() -> io::Result<OwnedFd> {
    Ok(fs::OpenOptions::new().write(true).open("/dev/null")?.into())
}

/// A pipe whose ends survive `exec` (no `O_CLOEXEC`): what `os.pipe()` gave
/// before Python 3.4, and `pipe()` in C still gives.
pub fn inheritable_pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe()
}

/// In a child whose exec failed: sends the errno through the error pipe,
/// as Python's `_posixsubprocess` does.
pub fn send_errno(fd: BorrowedFd<'_>, errno: Errno) {
    let _ = pipe::write_atomic(fd, &(errno as i32).to_le_bytes());
}

/// In the parent, with its own write end of the error pipe closed: blocks
/// until the child's exec succeeded (end of file: the exec closed the
/// child's copy) or failed (the errno it sent).
pub fn exec_outcome(fd: BorrowedFd<'_>) -> Result<Option<Errno>, Errno> {
    let mut bytes = [0u8; 4];
    let count = retry(|| read(fd, &mut bytes))?;
    Ok((count == bytes.len()).then(|| Errno::from_raw(i32::from_le_bytes(bytes))))
}

/// What a read of a pipe would give right now, without waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadNow {
    /// Bytes are waiting.
    Data,
    /// End of file: no write end is open anywhere.
    EndOfFile,
    /// Nothing to read, and a write end is still open somewhere.
    WouldBlock,
}

/// Polls `fd` with a zero timeout and, if readable, peeks whether it is data
/// or end of file (a pipe with no writer left and nothing in it).
pub fn read_now(fd: BorrowedFd<'_>) -> Result<ReadNow, Errno> {
    if !pipe::wait_readable(&[fd], Some(Duration::ZERO))?[0] {
        return Ok(ReadNow::WouldBlock);
    }
    Ok(if pipe::bytes_waiting(fd)? > 0 {
        ReadNow::Data
    } else {
        ReadNow::EndOfFile
    })
}

/// The descriptors of `pid` as `/proc/<pid>/fd` lists them: number and
/// what it refers to, in order.
pub fn descriptors(pid: Pid) -> io::Result<Vec<(i32, String)>> {
    let mut list = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        let Some(number) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // A descriptor closed between the listing and the read is gone.
        if let Ok(target) = fs::read_link(entry.path()) {
            list.push((number, target.display().to_string()));
        }
    }
    list.sort();
    Ok(list)
}

/// The number of `fd`, as `/proc` lists it.
pub fn number(fd: BorrowedFd<'_>) -> i32 {
    fd.as_fd().as_raw_fd()
}

/// Starts `program` with `fork()` then `execve()` in the child, waits for
/// it, and gives the time from just before the fork to the reaped status.
pub fn time_fork_exec(program: &Program) -> Result<(Duration, ExitStatus), Errno> {
    let start = Instant::now();
    // SAFETY: the child calls only `execve` (with arrays built before the
    // fork) and `_exit`, both async-signal-safe; it never returns into Rust.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(Errno::last()),
        0 => {
            let _ = program.exec_raw();
            // SAFETY: `_exit` never returns; 127 as shells and posix_spawn use.
            unsafe { libc::_exit(127) }
        }
        pid => {
            let status = wait_blocking(Pid::from_raw(pid))?;
            Ok((start.elapsed(), status))
        }
    }
}

/// Starts `program` with `posix_spawn()` (glibc: `clone(CLONE_VM |
/// CLONE_VFORK)`, no copy of the page tables), waits for it, and gives the
/// time from just before the call to the reaped status.
pub fn time_posix_spawn(program: &Program) -> Result<(Duration, ExitStatus), Errno> {
    use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, posix_spawn};
    let actions = PosixSpawnFileActions::init()?;
    let attributes = PosixSpawnAttr::init()?;
    let no_environment: [&std::ffi::CStr; 0] = [];
    let start = Instant::now();
    let pid = posix_spawn(
        program.path.as_c_str(),
        &actions,
        &attributes,
        &program.argv,
        &no_environment,
    )?;
    let status = wait_blocking(pid)?;
    Ok((start.elapsed(), status))
}

/// The arguments `/proc/<pid>/cmdline` holds.
pub fn cmdline(pid: Pid) -> io::Result<Vec<String>> {
    let bytes = fs::read(format!("/proc/{pid}/cmdline"))?;
    Ok(bytes
        .split(|byte| *byte == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect())
}

/// True if a mapping of `pid` (`/proc/<pid>/maps`) is of the file `path`.
pub fn maps_file(pid: Pid, path: &str) -> io::Result<bool> {
    let maps = fs::read_to_string(format!("/proc/{pid}/maps"))?;
    Ok(maps
        .lines()
        .any(|line| line.split_whitespace().nth(5) == Some(path)))
}
