//! A private temporary directory (mode 0700) for names other processes
//! connect to (a Unix socket): named with its owner's pid, removed as soon
//! as every peer is connected, by a guard that acts only in its owner, and
//! swept by a later run when its owner died without removing it.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::unistd::{Pid, getpid};

const PREFIX: &str = "procdemo-";

pub struct PrivateDir {
    path: PathBuf,
    owner: Pid,
    removed: bool,
}

impl PrivateDir {
    /// Creates `<tmp>/procdemo-<what>-<pid>`, readable by its owner only.
    /// One left by an earlier process with this pid is removed first.
    pub fn create(what: &str) -> io::Result<Self> {
        let owner = getpid();
        let path = path_for(what);
        // `symlink_metadata`: a link left there is removed itself, never
        // what it points to.
        if fs::symlink_metadata(&path).is_ok() {
            fs::remove_dir_all(&path)?;
        }
        DirBuilder::new().mode(0o700).create(&path)?;
        Ok(Self {
            path,
            owner,
            removed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its permission bits as the kernel reports them (`stat`), e.g. `0700`.
    pub fn mode(&self) -> io::Result<String> {
        let mode = fs::metadata(&self.path)?.permissions().mode() & 0o7777;
        Ok(format!("{mode:04o}"))
    }

    /// Removes the directory and what is in it (a socket's name: connected
    /// sockets do not need it).
    pub fn remove(&mut self) -> io::Result<()> {
        if !self.removed {
            fs::remove_dir_all(&self.path)?;
            self.removed = true;
        }
        Ok(())
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // A forked copy of the guard is not the owner and leaves it alone.
        if getpid() == self.owner && !self.removed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The path `create(what)` makes in this process.
pub fn path_for(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{PREFIX}{what}-{}", getpid()))
}

/// The ipc lesson's directory's kind (its FIFO and its socket).
pub const IPC: &str = "ipc";
/// The futures manager's directory's kind.
pub const FUTURES: &str = "futures";

/// Removes what procdemos killed with `kill -9` left of the private
/// directories of every kind (`ipc`'s, the futures manager's): done as
/// any lesson starts, so a killed run's FIFO or socket file does not wait
/// for that lesson's next run.
pub fn sweep_left_by_dead_runs() {
    for what in [IPC, FUTURES] {
        sweep(what);
    }
}

/// Removes directories `<tmp>/procdemo-<what>-<pid>` whose owner no longer
/// runs (it was killed before it could remove its own).
pub fn sweep(what: &str) {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let prefix = format!("{PREFIX}{what}-");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name.strip_prefix(&prefix) else {
            continue;
        };
        if owner.parse::<u32>().is_ok() && fs::metadata(format!("/proc/{owner}")).is_err() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
