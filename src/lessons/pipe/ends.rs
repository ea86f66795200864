//! What the pipe lesson reads about a pipe's ends: the kernel object
//! `/proc` names for a descriptor, who holds a write end, and framed
//! messages as text.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use anyhow::{Context, Result};
use nix::unistd::getpid;

use crate::os::pipe as kernel;
use crate::os::procfs;

/// The kernel object `/proc/<pid>/fd/<n>` names for `fd` in this process:
/// `pipe:[inode]`, `socket:[inode]`.
pub fn object_of(fd: &OwnedFd) -> Result<String> {
    procfs::link(getpid(), &format!("fd/{}", fd.as_raw_fd())).context("reading /proc/self/fd")
}

/// The same as a fact: null where `/proc` cannot say.
pub fn link_of(fd: &OwnedFd) -> Option<String> {
    object_of(fd).ok()
}

/// The pids that hold a write end of the pipe `object` (`pipe:[inode]`).
pub fn writers_of(object: &str) -> Result<Vec<i32>> {
    procfs::writers_of(object).context("looking for the pipe's writers in /proc")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The next framed message on `fd`, as text.
pub fn receive(fd: &OwnedFd) -> Result<String> {
    kernel::receive_frame(fd.as_fd())?
        .map(|bytes| text(&bytes))
        .context("the other end closed first")
}

/// The frame header of a message of `length` bytes, as hex bytes: `00 00 00 05`.
pub fn header_of(length: usize) -> String {
    kernel::frame_header(length)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
