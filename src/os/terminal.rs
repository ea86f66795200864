//! Reading the classroom's Enter key, a quiz answer, or one key at a "more"
//! prompt, without missing a Ctrl-C.

use std::io::{self, IsTerminal};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Mutex, PoisonError};

use nix::errno::Errno;
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};

use super::pipe::{wait_readable, wait_readable_watching};

pub enum Input {
    Line(String),
    /// stdin was closed: nobody can answer any more.
    Closed,
    /// A signal arrived while waiting.
    Woken,
}

/// Bytes read from stdin after the last line handed out. A grader pipes
/// all its answers at once, and a tour runs many lessons: the rest of what
/// one read() brought must wait here for the next question, in any lesson.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// The next line on stdin (without its newline), or `Woken` as soon as
/// `wake` becomes readable.
pub fn read_line_or_wake(wake: BorrowedFd<'_>) -> Result<Input, Errno> {
    let stdin = io::stdin();
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            return Ok(Input::Line(text_of(&line[..end])));
        }
        // stdout's reader going away wakes the wait too (`Woken`).
        let out = io::stdout();
        let watched = super::stdout::is_pipe_or_socket().then(|| out.as_fd());
        let ready = wait_readable_watching(&[stdin.as_fd(), wake], watched, None)?;
        if ready[1] || !ready[0] {
            return Ok(Input::Woken);
        }
        let mut buffer = [0u8; 4096];
        match nix::unistd::read(stdin.as_fd(), &mut buffer) {
            // A last line without a newline still counts.
            Ok(0) if !pending.is_empty() => {
                let line = std::mem::take(&mut *pending);
                return Ok(Input::Line(text_of(&line)));
            }
            Ok(0) => return Ok(Input::Closed),
            Ok(read) => pending.extend_from_slice(&buffer[..read]),
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(_) => return Ok(Input::Closed),
        }
    }
}

/// One key pressed at a prompt that does not wait for Enter.
pub enum Key {
    /// Enter or space.
    More,
    /// `q`.
    Quit,
    /// Ctrl-D, or stdin closed.
    Closed,
    /// A signal arrived while waiting.
    Woken,
}

/// The next key pressed on the terminal on stdin, or `Woken` as soon as
/// `wake` becomes readable. Other keys are passed over. The terminal leaves
/// line mode only while this waits, and is put back however the wait ends
/// (a key, a signal, an error, a panic); Ctrl-C and Ctrl-\ still send
/// their signals.
pub fn read_key_or_wake(wake: BorrowedFd<'_>) -> Result<Key, Errno> {
    let stdin = io::stdin();
    let _one_key = OneKeyMode::enter()?;
    loop {
        let ready = wait_readable(&[stdin.as_fd(), wake], None)?;
        if ready[1] || !ready[0] {
            return Ok(Key::Woken);
        }
        // A key may send several bytes (an arrow: ESC [ A); one read takes them.
        let mut buffer = [0u8; 16];
        match nix::unistd::read(stdin.as_fd(), &mut buffer) {
            Ok(0) => return Ok(Key::Closed),
            Ok(_) => match buffer[0] {
                b'\n' | b'\r' | b' ' => return Ok(Key::More),
                b'q' | b'Q' => return Ok(Key::Quit),
                // Ctrl-D: outside line mode it comes as a byte, not as an end.
                0x04 => return Ok(Key::Closed),
                _ => {}
            },
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(_) => return Ok(Key::Closed),
        }
    }
}

/// The terminal on stdin without line editing or echo, for as long as this
/// lives: one key is read as soon as it is pressed.
struct OneKeyMode {
    saved: Termios,
}

impl OneKeyMode {
    fn enter() -> Result<Self, Errno> {
        let saved = termios::tcgetattr(io::stdin())?;
        let mut one_key = saved.clone();
        one_key
            .local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO);
        one_key.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        one_key.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        // ISIG stays: Ctrl-C and Ctrl-\ still send SIGINT and SIGQUIT, which
        // procdemo catches, and this mode is undone as the wait ends.
        termios::tcsetattr(io::stdin(), SetArg::TCSANOW, &one_key)?;
        Ok(Self { saved })
    }
}

impl Drop for OneKeyMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(io::stdin(), SetArg::TCSANOW, &self.saved);
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches('\r')
        .to_string()
}

/// Columns and rows of the screen procdemo writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub columns: usize,
    pub rows: usize,
}

/// The size of the terminal on stdout, else on stderr; `COLUMNS` and
/// `LINES` override it, as in POSIX (`COLUMNS=60 procdemo fork` narrates
/// for 60 columns, and tests use it). `None` when neither stream is a
/// terminal and neither variable is set.
pub fn size() -> Option<Size> {
    let measured = terminal_size::terminal_size_of(io::stdout())
        .or_else(|| terminal_size::terminal_size_of(io::stderr()))
        .map(|(width, height)| Size {
            columns: usize::from(width.0),
            rows: usize::from(height.0),
        });
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.trim().parse::<usize>().ok())
            .filter(|value| *value > 0)
    };
    match (from_env("COLUMNS"), from_env("LINES"), measured) {
        (None, None, measured) => measured,
        (columns, rows, measured) => Some(Size {
            columns: columns.or(measured.map(|size| size.columns)).unwrap_or(80),
            rows: rows.or(measured.map(|size| size.rows)).unwrap_or(24),
        }),
    }
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}
