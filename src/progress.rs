//! What a learner has done: the lessons finished and their quiz scores, kept
//! in `$XDG_STATE_HOME/procdemo/progress.json` (or
//! `~/.local/state/procdemo/progress.json`). A file that cannot be read or
//! parsed is moved aside and reported, never fatal: progress is a comfort,
//! the lessons must run without it. A file from a newer procdemo is left
//! exactly as it is, and nothing is recorded while it is there.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::model::{LessonProgress, Notice, Score, reason};

const FILE_NAME: &str = "progress.json";
const LOCK_NAME: &str = "progress.lock";
const VERSION: u32 = 1;
/// The start of a file being written, before it is renamed over
/// `progress.json`; older procdemos named theirs `progress.json.new-<pid>`.
const FRESH_PREFIX: &str = "progress.json.new-";

#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Progress {
    #[serde(default)]
    version: u32,
    /// By lesson id; ids this version does not know are kept as they are.
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
}

/// The version alone, read before the rest: a newer procdemo's file may
/// hold anything else.
#[derive(Deserialize)]
struct Version {
    #[serde(default)]
    version: u32,
}

/// Where progress lives; `None` when the environment names no place.
pub fn path() -> Option<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    // The XDG spec says to ignore a relative XDG_STATE_HOME.
    let state_home = env("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".local").join("state")))?;
    Some(state_home.join("procdemo").join(FILE_NAME))
}

/// The progress recorded so far, and anything wrong with its file.
pub fn load() -> (Progress, Option<Notice>) {
    match path() {
        Some(path) => load_from(&path),
        None => (Progress::default(), None),
    }
}

fn load_from(path: &Path) -> (Progress, Option<Notice>) {
    // A FIFO or a device in its place would block or never end a read.
    if let Ok(metadata) = std::fs::metadata(path)
        && !metadata.is_file()
    {
        let problem = reason::NOT_A_FILE.to_string();
        return (Progress::default(), Some(set_aside(path, problem)));
    }
    let problem = match std::fs::read(path) {
        Ok(bytes) => {
            if let Ok(Version { version }) = serde_json::from_slice(&bytes)
                && version > VERSION
            {
                // Shown as far as this version can read it; never rewritten.
                let progress = serde_json::from_slice(&bytes).unwrap_or_default();
                let newer = Notice::Newer {
                    path: path.to_path_buf(),
                    version,
                };
                return (progress, Some(newer));
            }
            match serde_json::from_slice::<Progress>(&bytes) {
                Ok(progress) => return (progress, None),
                Err(error) => format!("{} ({error})", reason::NOT_JSON),
            }
        }
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return (Progress::default(), None);
        }
        Err(error) => format!("{} ({error})", reason::UNREADABLE),
    };
    (Progress::default(), Some(set_aside(path, problem)))
}

/// Moves a damaged file out of the way, keeping it for whoever wants to look.
fn set_aside(path: &Path, reason: String) -> Notice {
    // A name not taken yet: files set aside earlier stay as they were.
    let stamp = now();
    let moved_to = (0..)
        .map(|count| match count {
            0 => path.with_file_name(format!("{FILE_NAME}.damaged-{stamp}")),
            _ => path.with_file_name(format!("{FILE_NAME}.damaged-{stamp}-{count}")),
        })
        .find(|candidate| std::fs::symlink_metadata(candidate).is_err())
        .unwrap_or_else(|| path.with_file_name(format!("{FILE_NAME}.damaged")));
    match std::fs::rename(path, &moved_to) {
        Ok(()) => Notice::SetAside {
            path: path.to_path_buf(),
            moved_to,
            reason,
        },
        Err(error) => Notice::Unusable {
            path: path.to_path_buf(),
            reason: format!("{reason}; {} ({error})", reason::NOT_MOVED),
        },
    }
}

/// Notes that `lesson` ran to its end, with its quiz score if there was a quiz.
pub fn record_finished(lesson: &str, quiz: Option<Score>) -> (Option<Notice>, Result<()>) {
    let Some(path) = path() else {
        return (Some(Notice::NoPlace), Ok(()));
    };
    // Two lessons finishing at once (two terminals) must not lose one
    // another's record: the read, change and write happen under a lock.
    let _lock = match lock_beside(&path) {
        Ok(lock) => lock,
        Err(error) => return (None, Err(error)),
    };
    let (mut progress, notice) = load_from(&path);
    if notice.as_ref().is_some_and(Notice::blocks_saving) {
        return (notice, Ok(()));
    }
    let now = now();
    let entry = progress.lessons.entry(lesson.to_string()).or_default();
    if entry.finished == 0 {
        entry.first_finished = now;
    }
    entry.finished += 1;
    entry.last_finished = now;
    if let Some(score) = quiz {
        entry.quiz = Some(score);
        if entry.best_quiz.is_none_or(|best| score.right > best.right) {
            entry.best_quiz = Some(score);
        }
    }
    progress.version = VERSION;
    (notice, save(&path, &progress))
}

/// An exclusive lock on `progress.lock` beside the file, held until dropped.
fn lock_beside(path: &Path) -> Result<Flock<std::fs::File>> {
    let dir = path
        .parent()
        .context("the progress file has no directory")?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let lock_path = dir.join(LOCK_NAME);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| anyhow::anyhow!("cannot lock {}: {errno}", lock_path.display()))
}

/// Writes a new file beside the old one, flushes it to the disk and renames
/// it over: a reader never sees half a file, even if procdemo or the
/// machine stops while it writes. The caller holds the lock, so any other
/// `progress.json.new-*` is one that a SIGKILL left mid-save: it goes.
/// tempfile removes its own file on every path procdemo controls (an
/// error, a panic): only a SIGKILL or a power cut between its creation and
/// the rename leaves one, for the next save to remove.
fn save(path: &Path, progress: &Progress) -> Result<()> {
    let dir = path
        .parent()
        .context("the progress file has no directory")?;
    remove_leftovers(dir);
    let json = serde_json::to_vec_pretty(progress).context("serialising progress")?;
    let mut fresh = tempfile::Builder::new()
        .prefix(FRESH_PREFIX)
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    fresh
        .write_all(&json)
        .and_then(|()| fresh.as_file().sync_all())
        .with_context(|| format!("cannot write {}", fresh.path().display()))?;
    fresh
        .persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    // The rename is on the disk once the directory is.
    std::fs::File::open(dir)
        .and_then(|opened| opened.sync_all())
        .with_context(|| format!("cannot flush {} to the disk", dir.display()))
}

/// Removes files that a save killed midway left in `dir`; one that cannot
/// be removed is no reason not to save.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(FRESH_PREFIX)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes the progress file; says whether there was one.
pub fn reset() -> Result<bool> {
    let Some(path) = path() else {
        return Ok(false);
    };
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error).with_context(|| format!("cannot remove {}", path.display())),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
