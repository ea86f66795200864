//! Values from the run as the narration shows them: cleaned, cut, and
//! their marks turned into looks.

use nix::errno::Errno;

use super::ARGV_SHOWN;
use crate::model::Lang;
use crate::narrate::layout::{Look, Text};
use crate::narrate::palette::{self, Ink};
use crate::narrate::ui;
use crate::narrate::ui::observe::{BAD, BOLD, CODE};

/// `said` as a text to lay out, its marks turned into looks.
pub(super) fn marked(said: &str) -> Text {
    let mut text = Text::new();
    let mut piece = String::new();
    let mut open: Option<char> = None;
    for character in said.chars() {
        if ![BOLD, CODE, BAD].contains(&character) {
            piece.push(character);
            continue;
        }
        match open {
            None => {
                text.push(&piece);
                open = Some(character);
            }
            Some(mark) if mark == character => {
                let look: Look = match mark {
                    BOLD => palette::bold,
                    CODE => palette::code,
                    _ => |text| Ink::Bad.paint(text).to_string(),
                };
                // A name(pid) stays on one line.
                if mark == BOLD {
                    text.push_whole_in(&piece, look);
                } else {
                    text.push_in(&piece, look);
                }
                open = None;
            }
            // Marks do not nest: an inner one is dropped.
            Some(_) => continue,
        }
        piece.clear();
    }
    text.push(&piece);
    text
}

/// A value from the run as it may be shown: control characters (a newline
/// in `sh -c`'s script) escaped, and the characters procdemo marks with
/// replaced.
pub(super) fn clean(value: &str) -> String {
    value
        .chars()
        .map(|character| match character {
            BOLD | CODE | BAD => "\u{FFFD}".to_string(),
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            control if control.is_control() => control.escape_unicode().to_string(),
            other => other.to_string(),
        })
        .collect()
}

/// An argv as a command line: the words joined by spaces, any word with a
/// space or nothing in it quoted.
pub(super) fn argv(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            if word.is_empty() || word.contains([' ', '\'', '"']) {
                format!("'{}'", word.replace('\'', "'\\''"))
            } else {
                word.clone()
            }
        })
        .map(|word| clean(&word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `said` cut to ARGV_SHOWN characters, with `…` when it was longer.
pub(super) fn cut(said: &str) -> String {
    if said.chars().count() <= ARGV_SHOWN {
        return said.to_string();
    }
    let mut kept: String = said.chars().take(ARGV_SHOWN - 1).collect();
    kept.push('…');
    kept
}

/// A process's name from the path it was started by, as `comm` takes it
/// (the last part, 15 bytes at most): `sh`, not the `dash` it links to.
pub(super) fn base_name(program: &str) -> String {
    let name = clean(program.rsplit('/').next().unwrap_or(program));
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// The errors an exec may fail with, as `execve(2)` lists them: named
/// and said in the reader's language; any other shows its name alone.
const EXEC_ERRORS: [Errno; 14] = [
    Errno::ENOENT,
    Errno::EACCES,
    Errno::ENOEXEC,
    Errno::ENOTDIR,
    Errno::E2BIG,
    Errno::ETXTBSY,
    Errno::ELOOP,
    Errno::ENAMETOOLONG,
    Errno::ENOMEM,
    Errno::EPERM,
    Errno::EISDIR,
    Errno::EFAULT,
    Errno::EINVAL,
    Errno::ELIBBAD,
];

/// An exec's error in the reader's language when it is one `execve(2)`
/// lists; its name alone otherwise.
pub(super) fn exec_error(lang: Lang, errno: &str) -> String {
    EXEC_ERRORS
        .into_iter()
        .find(|known| format!("{known:?}") == errno)
        .map_or(clean(errno), |known| ui::cli::system_error(lang, known))
}
