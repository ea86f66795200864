//! A pipe's ends for the pipe lesson: made, handed to a child to own, the
//! kernel object `/proc` names for a descriptor, who holds a write end, and
//! framed messages as text.

use std::io::{PipeReader, PipeWriter, Read};
use std::os::fd::AsRawFd;

use anyhow::{Context, Result};
use nix::unistd::getpid;

use crate::os::pipe as kernel;
use crate::os::procfs;

/// The kernel object `/proc/<pid>/fd/<n>` names for `fd` in this process:
/// `pipe:[inode]`, `socket:[inode]`.
pub fn object_of(fd: &impl AsRawFd) -> Result<String> {
    procfs::link(getpid(), &format!("fd/{}", fd.as_raw_fd())).context("reading /proc/self/fd")
}

/// The same as a fact: null where `/proc` cannot say.
pub fn link_of(fd: &impl AsRawFd) -> Option<String> {
    object_of(fd).ok()
}

/// The pids that hold a write end of the pipe `object` (`pipe:[inode]`).
pub fn writers_of(object: &str) -> Result<Vec<i32>> {
    procfs::writers_of(object).context("looking for the pipe's writers in /proc")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The next framed message from `from`, as text.
pub fn receive(from: impl Read) -> Result<String> {
    kernel::receive_frame(from)?
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

/// (read end, write end)
pub type Ends = (PipeReader, PipeWriter);

/// `pipe()`, with ends that std's `Read` and `Write` work on.
pub fn pipe() -> Result<Ends> {
    let (read_end, write_end) = kernel::pipe().context("pipe()")?;
    Ok((read_end.into(), write_end.into()))
}

/// The ends out of `slot`, for a child to own: `fork()` copied procdemo's
/// memory, slot included, so taking them out of the child's copy leaves
/// procdemo's in place, and the child can close the end it does not use.
pub fn take_ends(slot: &mut Option<Ends>) -> Result<Ends> {
    slot.take()
        .context("the pipe's ends were already taken in this process")
}
