//! Reading the classroom's Enter key without missing a Ctrl-C.

use std::io::{self, BufRead, IsTerminal};
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;

use super::pipe::wait_readable;

pub enum Input {
    Line(String),
    /// stdin was closed: nobody can press Enter any more.
    Closed,
    /// A signal arrived while waiting.
    Woken,
}

pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Waits for a line on stdin, or for `wake` to become readable.
pub fn read_line_or_wake(wake: BorrowedFd<'_>) -> Result<Input, Errno> {
    let stdin = io::stdin();
    let ready = wait_readable(&[stdin.as_fd(), wake], None)?;
    if ready[1] || !ready[0] {
        return Ok(Input::Woken);
    }
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(0) => Ok(Input::Closed),
        Ok(_) => Ok(Input::Line(line)),
        Err(_) => Ok(Input::Closed),
    }
}
