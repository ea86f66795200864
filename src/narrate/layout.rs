//! Text laid out for the screen: how many columns there are, and lines
//! broken to fit them.
//!
//! Lines break where Unicode's line breaking rules allow (UAX #14, through
//! textwrap): at spaces in English, between characters in Chinese, never
//! before closing punctuation (，。、；：） , . ; : )) nor after opening
//! punctuation. On top of those rules a few things stay whole: a run of
//! letters, digits and signs without a space (`getppid()`, `os.fork()`,
//! `/proc/self/status`), a number with its unit or measure word ("30 ms",
//! "4 KiB", "3 个"), and a pid or a CPU with its number ("PID 1", "CPU 0").
//! Widths are display widths: a Chinese character takes two columns, a
//! colour code none.

use std::ops::Range;

use textwrap::WordSeparator;
use textwrap::core::Word;
use unicode_width::UnicodeWidthChar;

use crate::os::terminal;

/// Below this the layout stops shrinking: a line can no longer hold an
/// evidence line or a sentence worth reading.
pub const NARROWEST: usize = 50;
/// A readable measure: wider screens keep lines this long.
pub const WIDEST: usize = 100;
/// For a pipe or a file, when `COLUMNS` does not say.
const UNMEASURED: usize = 80;

/// Units that stay on the line of their number.
const UNITS: &[&str] = &[
    "ns", "µs", "us", "ms", "s", "min", "B", "KiB", "MiB", "GiB", "kB", "KB", "MB", "GB", "bytes",
    "%",
];

/// The columns to lay out for: the terminal's (or `COLUMNS`), 80 for a pipe
/// or a file, and never fewer than NARROWEST nor more than WIDEST.
pub fn width() -> usize {
    width_measured(terminal::stdout_is_terminal() || std::env::var_os("COLUMNS").is_some())
}

/// The columns to lay out for: the terminal's when `measured` (text for a
/// terminal), 80 otherwise, within NARROWEST and WIDEST.
pub fn width_measured(measured: bool) -> usize {
    measured
        .then(|| terminal::size().map(|size| size.columns))
        .flatten()
        .unwrap_or(UNMEASURED)
        .clamp(NARROWEST, WIDEST)
}

/// Columns `text` takes on screen; colour codes take none.
pub fn columns(text: &str) -> usize {
    textwrap::core::display_width(text)
}

fn is_wide(character: char) -> bool {
    character.width() == Some(2)
}

/// The lines of a lesson file's paragraph as one text: a line break is a
/// space, except between two Chinese characters or beside Chinese
/// punctuation, where it is nothing.
pub fn join_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        let (before, after) = (out.chars().last(), line.chars().next());
        let punctuation = |c: Option<char>| c.is_some_and(|c| is_wide(c) && !c.is_alphanumeric());
        let joins_wide = (before.is_some_and(is_wide) && after.is_some_and(is_wide))
            || punctuation(before)
            || punctuation(after);
        if !out.is_empty() && !joins_wide {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// How a part of a text looks (a colour, bold), applied once it is on its line.
pub type Look = fn(&str) -> String;

/// A text to lay out, with the looks of some of its parts.
#[derive(Default)]
pub struct Text {
    plain: String,
    /// In order, not overlapping: byte ranges of `plain`.
    looks: Vec<(Range<usize>, Look)>,
    /// Byte ranges of `plain` no line may break.
    whole: Vec<Range<usize>>,
}

impl Text {
    pub fn new() -> Self {
        Self::default()
    }

    /// `source` with its `code` spans in `code`'s look, the backticks gone.
    pub fn with_code(source: &str, code: Look) -> Self {
        let mut text = Self::new();
        for (at, piece) in source.split('`').enumerate() {
            if at % 2 == 1 {
                text.push_in(piece, code);
            } else {
                text.push(piece);
            }
        }
        text
    }

    pub fn push(&mut self, piece: &str) -> &mut Self {
        self.plain.push_str(piece);
        self
    }

    pub fn push_in(&mut self, piece: &str, look: Look) -> &mut Self {
        let start = self.plain.len();
        self.plain.push_str(piece);
        if !piece.is_empty() {
            self.looks.push((start..self.plain.len(), look));
        }
        self
    }

    /// `piece` in `look`, on one line: a line breaks before it rather than in it.
    pub fn push_whole_in(&mut self, piece: &str, look: Look) -> &mut Self {
        let start = self.plain.len();
        self.push_in(piece, look);
        self.whole.push(start..self.plain.len());
        self
    }

    /// Lines of at most `first` columns for the first, `rest` for the
    /// others, each with its looks. A word longer than a whole line is the
    /// only thing ever broken.
    pub fn lines(&self, first: usize, rest: usize) -> Vec<String> {
        let (first, rest) = (first.max(1), rest.max(1));
        let words = break_long(words(&self.plain, &self.whole), first.min(rest));
        let widths = [first as f64, rest as f64];
        let mut lines = Vec::new();
        let mut at = 0;
        for line in textwrap::wrap_algorithms::wrap_first_fit(&words, &widths) {
            let mut start = at;
            at += line.iter().map(word_bytes).sum::<usize>();
            let end = at - line.last().map_or(0, |word| word.whitespace.len());
            // The first line keeps its indent (code has one); the others
            // start where the text goes on.
            if !lines.is_empty() {
                start = end - self.plain[start..end].trim_start().len();
            }
            lines.push(self.render(start..end));
        }
        while lines.last().is_some_and(|line| line.trim().is_empty()) {
            lines.pop();
        }
        lines
    }

    /// Columns of the widest piece no line may break.
    pub fn widest_word(&self) -> usize {
        words(&self.plain, &self.whole)
            .iter()
            .map(|word| columns(word.word))
            .max()
            .unwrap_or(0)
    }

    fn render(&self, range: Range<usize>) -> String {
        let mut out = String::new();
        let mut at = range.start;
        for (span, look) in &self.looks {
            let (start, end) = (span.start.max(at), span.end.min(range.end));
            if start < end {
                out.push_str(&self.plain[at..start]);
                out.push_str(&look(&self.plain[start..end]));
                at = end;
            }
        }
        out.push_str(&self.plain[at..range.end]);
        out
    }
}

/// `source` in lines of at most `width` columns, its `code` spans in `code`'s look.
pub fn wrap(source: &str, width: usize, code: Look) -> Vec<String> {
    Text::with_code(source, code).lines(width, width)
}

/// Plain `text` in lines of at most `width` columns, each of its own lines
/// broken as any text is (for help that clap lays out, which breaks Chinese
/// at spaces only).
pub fn fit(text: &str, width: usize) -> String {
    text.lines()
        .map(|line| {
            let mut text = Text::new();
            text.push(line);
            text.lines(width, width).join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn word_bytes(word: &Word<'_>) -> usize {
    word.word.len() + word.whitespace.len() + word.penalty.len()
}

/// The words of `text` between which a line may break, none inside the
/// `whole` ranges; together they are `text`, in order.
fn words<'a>(text: &'a str, whole: &[Range<usize>]) -> Vec<Word<'a>> {
    let mut whole = whole.to_vec();
    whole.extend(kept(text));
    let mut out: Vec<Word<'_>> = Vec::new();
    let mut start = 0;
    for word in WordSeparator::UnicodeBreakProperties
        .find_words(text)
        .flat_map(split_before_paths)
    {
        let end = start + word_bytes(&word);
        let inside = whole
            .iter()
            .any(|range| range.start < start && start < range.end);
        match out.last_mut() {
            Some(last) if inside || stays_with(last, &word) => {
                let joined_from = end - word_bytes(last) - word_bytes(&word);
                *last = Word::from(&text[joined_from..end]);
            }
            _ => out.push(word),
        }
        start = end;
    }
    out
}

/// `words`, each one wider than `width` broken after the last `/` that
/// fits (a path reads on from there), or where the line ends when none does.
fn break_long(words: Vec<Word<'_>>, width: usize) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    for word in words {
        let mut rest = word;
        while rest.width > width {
            let slash = rest
                .word
                .match_indices('/')
                .map(|(at, _)| at + 1)
                .take_while(|&end| columns(&rest.word[..end]) <= width)
                .last()
                .filter(|&end| end < rest.word.len());
            let Some(end) = slash else { break };
            out.push(Word::from(&rest.word[..end]));
            let mut tail = Word::from(&rest.word[end..]);
            tail.whitespace = rest.whitespace;
            tail.penalty = rest.penalty;
            rest = tail;
        }
        out.extend(textwrap::core::break_words([rest], width));
    }
    out
}

/// `word` with a break allowed after each space that comes before a `/`:
/// UAX #14 keeps `/` with what precedes it even across a space (rule LB13),
/// which would glue a path to the label before it.
fn split_before_paths(word: Word<'_>) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut rest = word.word;
    while let Some(at) = rest.find(" /") {
        out.push(Word::from(&rest[..=at]));
        rest = &rest[at + 1..];
    }
    let mut last = Word::from(rest);
    last.whitespace = word.whitespace;
    last.penalty = word.penalty;
    out.push(last);
    out
}

/// Words that read wrong when broken.
const WHOLE_WORDS: &[&str] = &["小测验", "［默认：", "［可选值："];

/// A bracketed group up to this wide (a default, the possible values) is
/// kept on one line; a longer one breaks as any text does.
const WHOLE_GROUP: usize = 30;

/// Byte ranges of `text` that stay on one line: the words of WHOLE_WORDS
/// and short groups in ［…］.
fn kept(text: &str) -> Vec<Range<usize>> {
    let mut kept: Vec<Range<usize>> = WHOLE_WORDS
        .iter()
        .flat_map(|word| {
            text.match_indices(word)
                .map(|(at, word)| at..at + word.len())
        })
        .collect();
    let mut from = 0;
    while let Some(open) = text[from..].find('［').map(|at| from + at) {
        let Some(close) = text[open..]
            .find('］')
            .map(|at| open + at + '］'.len_utf8())
        else {
            break;
        };
        if columns(&text[open..close]) <= WHOLE_GROUP {
            kept.push(open..close);
        }
        from = close;
    }
    kept
}

/// True when no line may break between `before` and `after`.
fn stays_with(before: &Word<'_>, after: &Word<'_>) -> bool {
    let (Some(last), Some(next)) = (before.word.chars().last(), after.word.chars().next()) else {
        return false;
    };
    if before.whitespace.is_empty() {
        // UAX #14 breaks after `/`, `-`, `(`… inside code and paths.
        return !is_wide(last) && !is_wide(next);
    }
    if before.whitespace != " " {
        return false;
    }
    let number = last.is_ascii_digit() && !before.word.chars().any(|c| c.is_alphabetic());
    let unit = after
        .word
        .trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '%' || is_wide(c));
    // "PID 1", "CPU 0": a numbered thing and its number.
    let numbered = ["pid", "ppid", "cpu"].iter().any(|name| {
        before.word.len() >= name.len()
            && before
                .word
                .get(before.word.len() - name.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(name))
            && !before.word[..before.word.len() - name.len()]
                .chars()
                .last()
                .is_some_and(char::is_alphanumeric)
    });
    // A comment's mark stays with its first word.
    let comment = before.word == "#";
    (number && (UNITS.contains(&unit) || is_wide(next)))
        || (numbered && next.is_ascii_digit())
        || comment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str, width: usize) -> Vec<String> {
        wrap(text, width, str::to_string)
    }

    #[test]
    fn breaks_english_at_spaces_and_chinese_between_characters() {
        assert_eq!(plain("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(
            plain("进程是正在运行的程序", 8),
            ["进程是正", "在运行的", "程序"]
        );
    }

    #[test]
    fn a_path_after_a_label_moves_whole_to_the_next_line() {
        let path = "/tmp/x/work/main/target/debug/procdemo";
        let mut text = Text::new();
        text.push("program: ").push(path);
        assert_eq!(text.lines(44, 42), ["program:", path]);
        assert_eq!(plain("see /proc/self/exe", 16), ["see", "/proc/self/exe"]);
        assert_eq!(
            plain("see /proc/self/exe", 12),
            ["see", "/proc/self/", "exe"]
        );
    }

    #[test]
    fn never_starts_a_line_with_closing_punctuation() {
        // From the width of the longest piece that cannot break, "（pid）。".
        for width in 9..20 {
            for line in plain("子进程结束了，父进程（pid）。还在运行：对。", width)
                .iter()
                .chain(&plain("one, two. three; four: (five) six", width))
            {
                let first = line.chars().next().expect("no empty line");
                assert!(!"，。、；：）,.;:)".contains(first), "{width}: {line:?}");
            }
        }
        assert_eq!(
            plain("子进程结束了，父进程", 6),
            ["子进程", "结束", "了，父", "进程"]
        );
    }

    #[test]
    fn keeps_identifiers_units_and_pids_whole() {
        let text = "call os.getppid() or getppid() with /proc/self/status after 30 ms, \
                    4 KiB later PID 1 (pid 42) took 2.5 µs and 100% on CPU 1";
        // UAX #14 keeps "with /proc/self/status" together: no break before `/`.
        for width in 22..40 {
            let lines = plain(text, width);
            for whole in [
                "os.getppid()",
                "getppid()",
                "/proc/self/status",
                "30 ms,",
                "4 KiB",
                "PID 1",
                "(pid 42)",
                "2.5 µs",
                "100%",
                "CPU 1",
            ] {
                assert!(
                    lines.iter().any(|line| line.contains(whole)),
                    "{width}: {whole} split in {lines:?}"
                );
            }
            assert!(lines.iter().all(|line| columns(line) <= width), "{lines:?}");
        }
        assert_eq!(plain("共启动 3 个进程", 9), ["共启动", "3 个进程"]);
        assert_eq!(plain("x = 1   # µs pid 7", 8), ["x = 1", "# µs", "pid 7"]);
        assert_eq!(plain("    if x:", 20), ["    if x:"]);
    }

    #[test]
    fn keeps_short_bracketed_groups_and_some_words_whole() {
        assert_eq!(
            plain("工作进程的个数［默认：1］", 16),
            ["工作进程的个数", "［默认：1］"]
        );
        assert_eq!(plain("先做一个小测验", 12), ["先做一个", "小测验"]);
        let mut text = Text::new();
        text.push("本课 ")
            .push_whole_in("最好成绩 1/3", str::to_string);
        assert_eq!(text.lines(12, 12), ["本课", "最好成绩 1/3"]);
    }

    #[test]
    fn only_a_word_longer_than_the_line_breaks() {
        assert_eq!(plain("a abcdefghij b", 4), ["a", "abcd", "efgh", "ij b"]);
    }

    #[test]
    fn colours_code_after_the_break_and_take_no_room() {
        let code: Look = |text| format!("<{text}>");
        assert_eq!(
            wrap("run `os.fork()` twice `a b`", 15, code),
            ["run <os.fork()>", "twice <a b>"]
        );
        assert_eq!(
            wrap("run `one two three`", 9, code),
            ["run <one>", "<two three>"]
        );
        assert_eq!(
            plain("a \u{1b}[1mbold\u{1b}[0m b", 6),
            ["a \u{1b}[1mbold\u{1b}[0m", "b"]
        );
    }

    #[test]
    fn first_line_and_the_rest_have_their_own_widths() {
        assert_eq!(
            Text::with_code("aa bb cc dd", str::to_string).lines(2, 5),
            ["aa", "bb cc", "dd"]
        );
    }

    #[test]
    fn joins_lines_with_a_space_only_between_words() {
        let lines = |text: &[&str]| text.iter().map(|line| line.to_string()).collect::<Vec<_>>();
        assert_eq!(join_lines(&lines(&["fork()", "returns"])), "fork() returns");
        assert_eq!(join_lines(&lines(&["子进程", "拿到 0"])), "子进程拿到 0");
        assert_eq!(
            join_lines(&lines(&["所以", "fork() 后面"])),
            "所以 fork() 后面"
        );
        assert_eq!(
            join_lines(&lines(&["返回 0，", "fork()"])),
            "返回 0，fork()"
        );
    }
}
