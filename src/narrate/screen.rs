//! The screen a lesson is read on, when stdout is a terminal: each step
//! starts at its top, a step taller than the screen stops at each
//! screenful (with a "more" prompt on stderr, the conversation's stream,
//! when the lesson steps; for as long as the screenful takes to read with
//! `--stream`), and the text shown since the top says how long it takes
//! to read.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use colored::Colorize;
use nix::errno::Errno;

use super::{Answer, layout, ui, write_err, write_out};
use crate::config::{Config, StepMode};
use crate::model::Lang;
use crate::os::pipe::wait_readable;
use crate::os::signals::Signals;
use crate::os::terminal::{self, Key, Size};

/// How fast a reader takes in English text, silently: 230 words a minute.
/// Brysbaert's meta-analysis of 190 studies ("How many words do we read per
/// minute?", Journal of Memory and Language 109, 2019) puts adults at 238
/// words a minute for non-fiction; a lesson is technical text, read a
/// little slower. An identifier (`getppid()`) or a number counts as a word.
pub const ENGLISH_WORDS_PER_MINUTE: f64 = 230.0;

/// How fast a reader takes in Chinese text, silently: 400 characters a
/// minute, a round figure within the rates reported for adults reading
/// Chinese silently (about 300 to 500); reading aloud is slower (IReST,
/// Trauzettel-Klosinski and Dietz 2012: 255 a minute). Words in Latin
/// letters within Chinese text (`fork()`, PID) count as English words.
pub const CHINESE_CHARACTERS_PER_MINUTE: f64 = 400.0;

/// The pause between steps when nobody reads on a screen (a pipe, a file):
/// a beat, so a person watching a `tee` still sees steps come one by one.
pub const BEAT: Duration = Duration::from_millis(350);

/// Rows written since the top of the screen. The terminal is one per
/// process: a tour's heading shares the screen with its lesson's first step.
static USED_ROWS: AtomicUsize = AtomicUsize::new(0);

/// Seconds it takes to read what was shown since the top of the screen.
static TO_READ: Mutex<f64> = Mutex::new(0.0);

pub struct Screen {
    lang: Lang,
    /// The terminal's size, when stdout is one and text is for people.
    size: Option<Size>,
    /// A key can be read (stdin, stderr and stdout are the terminal), so a
    /// tall step stops at each screenful.
    pages: bool,
    /// `--stream`'s pace: a full screen stays for as long as it takes to
    /// read instead of waiting for a key, as the doc of `--stream` says.
    timed: Option<f64>,
}

impl Screen {
    /// The screen of a run whose text is for people on a terminal (`on`),
    /// or none.
    pub fn new(lang: Lang, on: bool) -> Self {
        let size = if on { terminal::size() } else { None };
        Self {
            lang,
            size,
            pages: size.is_some()
                && terminal::stdin_is_terminal()
                && terminal::stderr_is_terminal(),
            timed: None,
        }
    }

    /// The screen of a run with `config`: a lesson that runs through
    /// (`--stream`) gives a full screen its reading time, one that steps
    /// asks for a key.
    pub fn of(config: &Config) -> Self {
        let mut screen = Self::new(config.lang, config.screen);
        if config.step == StepMode::Continuous && screen.size.is_some() {
            screen.timed = Some(config.pace);
        }
        screen
    }

    pub fn is_on(&self) -> bool {
        self.size.is_some()
    }

    /// Scrolls what is on the screen up into the scrollback (blank lines,
    /// not ESC[2J, which some terminals wipe without keeping) and puts the
    /// cursor at the top-left corner.
    pub fn top(&self) {
        let Some(size) = self.size else {
            return;
        };
        write_out(&format!("{}\x1b[H", "\n".repeat(size.rows)));
        USED_ROWS.store(0, Ordering::Relaxed);
        *TO_READ.lock().unwrap_or_else(PoisonError::into_inner) = 0.0;
    }

    /// Writes `text` on stdout; on a screen that pages, stops with a "more"
    /// prompt before the screen would scroll the top away. `Quit` (q) or
    /// `Woken` (a stop signal) when the reader ended it there: the rest is
    /// not shown.
    pub fn write(&self, text: &str) -> Answer {
        let Some(size) = self.size else {
            write_out(text);
            return Answer::Next;
        };
        // One row stays free for the prompt.
        let fits = size.rows.saturating_sub(1).max(1);
        let mut out = String::new();
        for line in text.split_inclusive('\n') {
            let rows = rows_of(line, size.columns);
            let used = USED_ROWS.load(Ordering::Relaxed);
            if (self.pages || self.timed.is_some()) && used > 0 && used + rows > fits {
                write_out(&std::mem::take(&mut out));
                let answer = match self.timed {
                    Some(pace) => self.read_screenful(pace),
                    None => self.more(),
                };
                match answer {
                    Answer::Next => USED_ROWS.store(0, Ordering::Relaxed),
                    stop => return stop,
                }
            }
            out.push_str(line);
            USED_ROWS.fetch_add(rows, Ordering::Relaxed);
            // Line by line: a full screen waits for what is on it alone.
            *TO_READ.lock().unwrap_or_else(PoisonError::into_inner) += reading_seconds(line);
        }
        write_out(&out);
        Answer::Next
    }

    /// Counts `text` written on the terminal another way (a prompt or a
    /// question on stderr), so that a page still fits the screen.
    pub fn count(&self, text: &str) {
        if let Some(size) = self.size {
            let rows: usize = text
                .split_inclusive('\n')
                .map(|line| rows_of(line, size.columns))
                .sum();
            USED_ROWS.fetch_add(rows, Ordering::Relaxed);
        }
    }

    /// How long the text shown since the top takes to read at pace 1.
    pub fn reading_time(&self) -> Duration {
        let seconds = *TO_READ.lock().unwrap_or_else(PoisonError::into_inner);
        Duration::from_secs_f64(seconds.max(0.0))
    }

    /// Waits as long as the full screen takes to read at `pace`, which is
    /// then read: the step's own pause counts only what comes after.
    /// `Woken` when a stop signal came.
    fn read_screenful(&self, pace: f64) -> Answer {
        let Ok(signals) = Signals::get() else {
            return Answer::Next;
        };
        let seconds = std::mem::take(&mut *TO_READ.lock().unwrap_or_else(PoisonError::into_inner));
        let until = Instant::now() + Duration::from_secs_f64(seconds.max(0.0) * pace);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Answer::Next;
            }
            match wait_readable(&[signals.wake_fd()], Some(left)) {
                Ok(ready) if ready[0] => {
                    // SIGCHLD only means a child ended: the screen stays.
                    signals.drain();
                    if signals.caught().is_some() {
                        return Answer::Woken;
                    }
                }
                Ok(_) | Err(Errno::EINTR) => {}
                // Nothing to wait on: the rest scrolls by, as at a closed terminal.
                Err(_) => return Answer::Next,
            }
        }
    }

    /// The "more" prompt on stderr, until Enter, space or q; erased after.
    fn more(&self) -> Answer {
        let Ok(signals) = Signals::get() else {
            return Answer::Next;
        };
        write_err(&format!(
            "{}",
            format!("── {} ──", ui::more_prompt(self.lang)).bold()
        ));
        let answer = loop {
            match terminal::read_key_or_wake(signals.wake_fd()) {
                Ok(Key::More) => break Answer::Next,
                Ok(Key::Quit) => break Answer::Quit,
                Ok(Key::Woken) => {
                    // SIGCHLD only means a child ended: the prompt goes on.
                    signals.drain();
                    if signals.caught().is_some() {
                        break Answer::Woken;
                    }
                }
                // Nobody can press a key: the rest scrolls by.
                Ok(Key::Closed) | Err(_) => break Answer::Next,
            }
        };
        write_err("\r\x1b[K");
        answer
    }
}

/// Rows a line takes on a screen `columns` wide; escape sequences take none.
fn rows_of(line: &str, columns: usize) -> usize {
    let text = line.strip_suffix('\n');
    let width = layout::columns(text.unwrap_or(line));
    let rows = width.div_ceil(columns.max(1));
    if text.is_some() { rows.max(1) } else { rows }
}

/// Seconds a reader takes for `text` at pace 1: its English words at
/// [`ENGLISH_WORDS_PER_MINUTE`], its Chinese characters at
/// [`CHINESE_CHARACTERS_PER_MINUTE`].
pub fn reading_seconds(text: &str) -> f64 {
    let mut words = 0usize;
    let mut characters = 0usize;
    let mut in_word = false;
    let mut in_escape = false;
    for character in text.chars() {
        if in_escape {
            // An escape sequence (a colour) ends with its first letter.
            in_escape = !character.is_ascii_alphabetic();
            continue;
        }
        if character == '\u{1b}' {
            in_escape = true;
            in_word = false;
        } else if is_chinese(character) {
            characters += 1;
            in_word = false;
        } else if character.is_alphanumeric() || character == '_' {
            words += usize::from(!in_word);
            in_word = true;
        } else {
            in_word = false;
        }
    }
    words as f64 * 60.0 / ENGLISH_WORDS_PER_MINUTE
        + characters as f64 * 60.0 / CHINESE_CHARACTERS_PER_MINUTE
}

/// A Han character (the CJK Unified Ideographs and their extensions).
fn is_chinese(character: char) -> bool {
    matches!(character,
        '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{3134f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_read_by_words_and_chinese_by_characters() {
        let english = "The new process gets its own pid: getppid() returns 1.";
        assert!((reading_seconds(english) - 10.0 * 60.0 / 230.0).abs() < 1e-9);
        let chinese = "新进程有自己的 PID。";
        assert!((reading_seconds(chinese) - (7.0 * 60.0 / 400.0 + 60.0 / 230.0)).abs() < 1e-9);
        let coloured = "\u{1b}[1mfork\u{1b}[0m";
        assert!((reading_seconds(coloured) - 60.0 / 230.0).abs() < 1e-9);
    }

    #[test]
    fn a_line_takes_its_width_in_rows() {
        assert_eq!(rows_of("\n", 60), 1);
        assert_eq!(rows_of(&format!("{}\n", "x".repeat(60)), 60), 1);
        assert_eq!(rows_of(&format!("{}\n", "x".repeat(61)), 60), 2);
        assert_eq!(rows_of("\u{1b}[1m新进程\u{1b}[0m\n", 4), 2);
        assert_eq!(rows_of("", 60), 0);
    }
}
