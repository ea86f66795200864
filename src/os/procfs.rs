//! Reading what the kernel publishes about processes under `/proc`.

use std::fs;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::unistd::Pid;

/// The fields of `/proc/<pid>/stat` that lessons show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    /// The command name, as `ps -o comm` shows it.
    pub comm: String,
    /// One letter: R running, S sleeping, Z zombie, …
    pub state: char,
    pub ppid: i32,
    pub session: i32,
    /// The controlling terminal's device number; 0 when there is none.
    pub tty_nr: i32,
}

/// Reads `/proc/<pid>/stat`.
pub fn stat(pid: Pid) -> io::Result<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected /proc/{pid}/stat: {text}"),
        )
    })
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name is in parentheses and may itself contain spaces or ')',
    // so the fields after it start after the *last* ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let _process_group = rest.next()?;
    let session = rest.next()?.parse().ok()?;
    let tty_nr = rest.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        comm,
        state,
        ppid,
        session,
        tty_nr,
    })
}

/// The process and its ancestors, nearest first, up to pid 1 (or to the top
/// of this pid namespace, whose parent shows as 0).
pub fn ancestry(pid: Pid) -> io::Result<Vec<ProcStat>> {
    let mut chain = vec![stat(pid)?];
    while let Some(last) = chain.last() {
        if last.pid <= 1 || last.ppid <= 0 || chain.len() > 4096 {
            break;
        }
        let parent = stat(Pid::from_raw(last.ppid))?;
        chain.push(parent);
    }
    Ok(chain)
}

/// Every process on the machine right now, zombies included, by pid.
pub fn all_processes() -> io::Result<Vec<ProcStat>> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // A process may end between read_dir and stat: that is not an error.
        if let Ok(process) = stat(Pid::from_raw(pid)) {
            found.push(process);
        }
    }
    found.sort_by_key(|process| process.pid);
    Ok(found)
}

/// Every process whose parent is `pid` right now, zombies included.
pub fn children_of(pid: Pid) -> io::Result<Vec<ProcStat>> {
    let mut children = all_processes()?;
    children.retain(|child| child.ppid == pid.as_raw());
    Ok(children)
}

/// How many threads this process has, from `/proc/self/status`.
pub fn own_thread_count() -> Option<usize> {
    status_field("self", "Threads")?.parse().ok()
}

/// One field of `/proc/<pid>/status` (e.g. `Umask`, `VmRSS`), trimmed;
/// `None` if the process is gone or has no such field (a zombie has no `VmRSS`).
pub fn status_field(pid: impl std::fmt::Display, name: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(|value| value.trim().to_string())
}

/// The kernel function a sleeping process waits in (`/proc/<pid>/wchan`),
/// e.g. `pipe_write`; `None` where the kernel does not say.
pub fn wchan(pid: Pid) -> Option<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/wchan")).ok()?;
    let text = text.trim();
    (!text.is_empty() && text != "0").then(|| text.to_string())
}

/// The processes that hold `object` (a link text such as `pipe:[123]`)
/// open for writing, from every `/proc/<pid>/fd` and its `fdinfo` flags.
pub fn writers_of(object: &str) -> io::Result<Vec<i32>> {
    let mut writers = Vec::new();
    for process in all_processes()? {
        // Processes may end, or refuse us, while we look: skip them.
        let Ok(fds) = fs::read_dir(format!("/proc/{}/fd", process.pid)) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            if target.to_str() != Some(object) {
                continue;
            }
            let flags = fd_flags(process.pid, fd.file_name().to_string_lossy());
            if flags.is_some_and(|flags| flags & libc::O_ACCMODE != libc::O_RDONLY)
                && !writers.contains(&process.pid)
            {
                writers.push(process.pid);
            }
        }
    }
    Ok(writers)
}

/// Memory of a process from `/proc/<pid>/smaps_rollup`, in kB (KiB):
/// resident, proportional (each shared page divided among the processes
/// that map it), the pages it shares with another process, and the pages
/// only it maps (clean and dirty together).
#[derive(Clone, Copy, Debug)]
pub struct MemorySummary {
    pub rss_kb: u64,
    pub pss_kb: u64,
    pub shared_kb: u64,
    pub private_kb: u64,
}

/// A field the kernel does not give is an error, never a 0.
pub fn memory_summary(pid: Pid) -> io::Result<MemorySummary> {
    let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    let field = |name: &str| -> io::Result<u64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("no {name} in /proc/{pid}/smaps_rollup"),
                )
            })
    };
    Ok(MemorySummary {
        rss_kb: field("Rss")?,
        pss_kb: field("Pss")?,
        shared_kb: field("Shared_Clean")? + field("Shared_Dirty")?,
        private_kb: field("Private_Clean")? + field("Private_Dirty")?,
    })
}

/// True while the kernel has an entry for `pid` (running or zombie).
pub fn exists(pid: Pid) -> bool {
    fs::metadata(format!("/proc/{pid}")).is_ok()
}

/// Where a `/proc/<pid>/…` link points: `cwd`, `fd/0`, …
pub fn link(pid: Pid, name: &str) -> io::Result<String> {
    fs::read_link(format!("/proc/{pid}/{name}")).map(|target| target.display().to_string())
}

/// A number from a file such as `/proc/sys/kernel/pid_max`.
pub fn read_number(path: &str) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// How many processes this machine has right now: (all, zombies).
pub fn count_processes() -> io::Result<(usize, usize)> {
    let all = all_processes()?;
    let zombies = all.iter().filter(|process| process.state == 'Z').count();
    Ok((all.len(), zombies))
}

/// What `ps -o pid,ppid,stat,args -p <pid>` prints for it (header left
/// out), or `None` where `ps` is not installed.
pub fn ps_line(pid: Pid) -> Option<String> {
    ps_columns(pid, "pid=,ppid=,stat=,args=")
}

/// What `ps -o <columns> -p <pid>` prints for it (`columns` with `=` after
/// each name, so no header), or `None` where `ps` is not installed or no
/// longer finds the process.
pub fn ps_columns(pid: Pid, columns: &str) -> Option<String> {
    let text = ps(&["-o", columns, "-p", &pid.to_string()])?;
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// How many times this process ran `ps`: the lesson's `done` counts them.
static PS_RUNS: AtomicU64 = AtomicU64::new(0);

/// What `ps <args>` prints on stdout, or `None` where `ps` is not
/// installed. Counted in [`ps_runs`].
pub fn ps(args: &[&str]) -> Option<String> {
    let output = std::process::Command::new("ps").args(args).output().ok()?;
    PS_RUNS.fetch_add(1, Ordering::Relaxed);
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// How many times this process ran `ps` (and reaped it).
pub fn ps_runs() -> u64 {
    PS_RUNS.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_command_name_with_spaces_and_parentheses() {
        let stat = parse_stat("42 (a b) c)) S 7 42 42 34816 -1").expect("parses");
        assert_eq!(stat.comm, "a b) c)");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 7);
        assert_eq!(stat.session, 42);
        assert_eq!(stat.tty_nr, 34816);
    }
}

/// One pipe or socket descriptor a process holds, from `/proc/<pid>/fd`
/// (`pipe:[123]`) and the access mode in its `fdinfo` flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEnd {
    pub fd: i32,
    /// `pipe` or `socket`.
    pub kind: &'static str,
    pub inode: u64,
    /// `read`, `write` or `read-write`.
    pub access: &'static str,
}

/// Every pipe and socket descriptor `pid` holds, by descriptor number.
pub fn channel_ends(pid: Pid) -> io::Result<Vec<ChannelEnd>> {
    let mut ends = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // A descriptor closed since the listing has no link: skip it.
        let Ok(target) = fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.display().to_string();
        let Some((kind, inode)) = ["pipe", "socket"].into_iter().find_map(|kind| {
            let inode = target
                .strip_prefix(kind)?
                .strip_prefix(":[")?
                .strip_suffix(']')?;
            Some((kind, inode.parse().ok()?))
        }) else {
            continue;
        };
        let Some(flags) = fd_flags(pid, fd) else {
            continue;
        };
        let access = match flags & libc::O_ACCMODE {
            0 => "read",
            1 => "write",
            _ => "read-write",
        };
        ends.push(ChannelEnd {
            fd,
            kind,
            inode,
            access,
        });
    }
    ends.sort_by_key(|end| end.fd);
    Ok(ends)
}

/// The open flags of descriptor `fd` of `pid` (`flags:` in its `fdinfo`,
/// octal); `None` once it is closed or the process gone.
fn fd_flags(pid: impl std::fmt::Display, fd: impl std::fmt::Display) -> Option<i32> {
    let info = fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let octal = info.lines().find_map(|line| line.strip_prefix("flags:"))?;
    i32::from_str_radix(octal.trim(), 8).ok()
}

/// The arguments a process runs with (`/proc/<pid>/cmdline`).
pub fn command_line(pid: Pid) -> io::Result<Vec<String>> {
    let bytes = fs::read(format!("/proc/{pid}/cmdline"))?;
    Ok(bytes
        .split(|&byte| byte == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect())
}

/// Whether `pid` ignores SIGCHLD (`SigIgn` in `/proc/<pid>/status`), so
/// that the kernel reaps its children without a wait.
pub fn ignores_sigchld(pid: Pid) -> Option<bool> {
    signal_bit(pid, "SigIgn", libc::SIGCHLD)
}

/// Whether `pid` ignores `signal`: set to SIG_IGN, or left at a default
/// that ignores it (SIGCHLD, SIGURG, SIGWINCH) with no handler.
pub fn ignores_signal(pid: Pid, signal: i32) -> Option<bool> {
    if signal_bit(pid, "SigIgn", signal)? {
        return Some(true);
    }
    let ignored_by_default = [libc::SIGCHLD, libc::SIGURG, libc::SIGWINCH].contains(&signal);
    Some(ignored_by_default && !signal_bit(pid, "SigCgt", signal)?)
}

/// Bit `signal` of a signal mask of `/proc/<pid>/status` (`SigIgn`, `SigCgt`).
fn signal_bit(pid: Pid, field: &str, signal: i32) -> Option<bool> {
    let mask = u64::from_str_radix(&status_field(pid, field)?, 16).ok()?;
    Some(mask & (1 << (signal - 1)) != 0)
}
