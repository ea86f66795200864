//! Reading what the kernel publishes about processes under `/proc`.

use std::fs;
use std::io;

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
    Some(ProcStat {
        pid,
        comm,
        state,
        ppid,
        session,
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

/// Every process whose parent is `pid` right now, zombies included.
pub fn children_of(pid: Pid) -> io::Result<Vec<ProcStat>> {
    let mut children = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(candidate) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // A process may end between read_dir and stat: that is not an error.
        if let Ok(found) = stat(Pid::from_raw(candidate))
            && found.ppid == pid.as_raw()
        {
            children.push(found);
        }
    }
    children.sort_by_key(|child| child.pid);
    Ok(children)
}

/// How many threads this process has, from `/proc/self/status`.
pub fn own_thread_count() -> Option<usize> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_command_name_with_spaces_and_parentheses() {
        let stat = parse_stat("42 (a b) c)) S 7 42 42 0 -1").expect("parses");
        assert_eq!(stat.comm, "a b) c)");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 7);
        assert_eq!(stat.session, 42);
    }
}
