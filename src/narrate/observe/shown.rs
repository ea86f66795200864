//! Values from the run as the narration shows them: cleaned, cut, and
//! their marks turned into looks.

use nix::errno::Errno;

use super::ARGV_SHOWN;
use crate::model::Lang;
use crate::narrate::layout::{Look, Text};
use crate::narrate::palette::{self, Ink};
use crate::narrate::ui;
use crate::narrate::ui::observe::{BAD, BOLD, CODE, WHOLE};

/// `said` as a text to lay out, its marks turned into looks.
pub(super) fn marked(said: &str) -> Text {
    let mut text = Text::new();
    let mut piece = String::new();
    let mut open: Option<char> = None;
    for character in said.chars() {
        if ![BOLD, CODE, BAD, WHOLE].contains(&character) {
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
                    WHOLE => str::to_string,
                    _ => |text| Ink::Bad.paint(text).to_string(),
                };
                // A name(pid) and a unit ("fd 3", "5.0 ms") stay on one line.
                if mark == BOLD || mark == WHOLE {
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
            BOLD | CODE | BAD | WHOLE => "\u{FFFD}".to_string(),
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

/// `said` cut to ARGV_SHOWN characters: first each long path's middle
/// directories, from the left, so that the program's and the script's names
/// stay; then the end, with `…`, when it is still longer.
pub(super) fn cut(said: &str) -> String {
    let long = |words: &[String]| words.join(" ").chars().count() > ARGV_SHOWN;
    let mut words: Vec<String> = said.split(' ').map(str::to_string).collect();
    for at in 0..words.len() {
        if !long(&words) {
            break;
        }
        if let Some(short) = middle_cut(&words[at]) {
            words[at] = short;
        }
    }
    let said = words.join(" ");
    if said.chars().count() <= ARGV_SHOWN {
        return said;
    }
    let mut kept: String = said.chars().take(ARGV_SHOWN - 1).collect();
    kept.push('…');
    kept
}

/// A path with directories between its first and its last part, those
/// directories as `…`: `/root/…/python3`. None for any other word (a
/// quoted script is left whole).
fn middle_cut(word: &str) -> Option<String> {
    if word.contains(['\'', '"']) {
        return None;
    }
    let parts: Vec<&str> = word.split('/').collect();
    let first = usize::from(parts.first() == Some(&""));
    // The first part, at least two directories, the last part.
    if parts.len() < first + 4 {
        return None;
    }
    let last = parts.last()?;
    Some(format!("{}/…/{last}", parts[..=first].join("/")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_keeps_the_program_and_the_script() {
        assert_eq!(
            cut("/root/.pyenv/versions/3.11.7/bin/python3 /home/someone/projects/demo/pool.py"),
            "/root/…/python3 /home/…/pool.py"
        );
        assert_eq!(
            cut("/root/.pyenv/plugins/pyenv-virtualenv/shims/nosuchprog"),
            "/root/…/nosuchprog"
        );
        assert_eq!(cut("sh -c 'echo hi'"), "sh -c 'echo hi'");
        let long = "x".repeat(60);
        assert_eq!(cut(&long).chars().count(), ARGV_SHOWN);
    }
}
