//! Text for people: the lesson text of each step, then its evidence, in colour
//! when colour is on.

use colored::Colorize;
use serde_json::Value;

use super::ui::{self, Words};
use super::{timeline, tree};
use crate::model::Lang;
use crate::model::{Done, Event};
use crate::text::{Block, LessonText};

const RULE_WIDTH: usize = 60;
/// How many items of a list a line shows.
const LIST_SHOWN: usize = 16;

pub fn header(text: &LessonText) -> String {
    format!(
        "\n{} {}\n{}\n",
        "procdemo ·".dimmed(),
        text.title.bold(),
        inline_code(&text.summary)
    )
}

/// A step's text: `title` and `blocks` as told for this run.
pub fn step(title: &str, blocks: &[Block], position: usize, total: usize, lang: Lang) -> String {
    let mut out = String::new();
    let counter = ui::step_of(lang, position, total);
    out.push_str(&format!("\n{}\n", "─".repeat(RULE_WIDTH).dimmed()));
    out.push_str(&format!("{}  {}\n", title.bold(), counter.dimmed()));
    for block in blocks {
        match block {
            Block::Paragraph(lines) => {
                out.push('\n');
                for line in lines {
                    out.push_str(&format!("  {}\n", inline_code(line)));
                }
            }
            Block::Code(code) => {
                let heading = match code.kind.as_str() {
                    "python" => ui::python_heading(lang, code.fragment).yellow().bold(),
                    "os" => ui::os_heading(lang).magenta().bold(),
                    other => other.bold(),
                };
                out.push_str(&format!("\n  {heading}\n"));
                for line in &code.lines {
                    let bar = "│".dimmed();
                    let code = if code.kind == "python" {
                        line.yellow()
                    } else {
                        line.normal()
                    };
                    out.push_str(&format!("  {bar} {code}\n"));
                }
            }
        }
    }
    out.push('\n');
    out
}

pub fn back_to(title: &str, lang: Lang) -> String {
    format!(
        "  {} {}\n",
        format!("↳ {}", ui::back_to(lang)).dimmed(),
        title.dimmed()
    )
}

pub fn evidence(event: &Event, text: &LessonText, lang: Lang) -> String {
    let words = Words::new(lang, text);
    let role = words.of(&event.role);
    let who = if event.role == "parent" {
        role.blue().bold()
    } else {
        role.green().bold()
    };
    let mut out = format!(
        "  {} {who} {} {}\n",
        "●".bold(),
        format!("{} {}", ui::pid_word(lang), event.pid).cyan(),
        format!(
            "· {} {} · +{:.1} ms",
            ui::ppid_word(lang),
            event.ppid,
            event.t_us as f64 / 1000.0
        )
        .dimmed()
    );
    for (name, value) in &event.facts {
        // Spans are drawn in the timeline of the step that gathers them.
        if name == "spans" {
            continue;
        }
        if name == "tree" || name == "timeline" {
            let picture = if name == "tree" {
                tree::draw(value, words, "      ")
            } else {
                timeline::draw(value, words, "      ")
            };
            out.push_str(&picture.join("\n"));
            out.push('\n');
            continue;
        }
        let label = text.fact_label(name).unwrap_or(name);
        out.push_str(&format!(
            "      {}{}\n",
            format!("{label}{}", ui::label_colon(lang)).dimmed(),
            show_value(value, words).bold()
        ));
    }
    out
}

pub fn done(done: &Done, words: Words) -> String {
    let lang = words.lang;
    format!(
        "\n{}\n{}\n{}\n\n{}\n",
        "─".repeat(RULE_WIDTH).dimmed(),
        ui::what_ran(lang).bold(),
        tree::draw(&done.tree, words, "  ").join("\n"),
        ui::summary(lang, done.processes_started, done.processes_reaped).green()
    )
}

pub fn show_value(value: &Value, words: Words) -> String {
    let lang = words.lang;
    match value {
        Value::String(text) => words.of(text),
        Value::Bool(flag) => ui::yes_no(lang, *flag).to_string(),
        Value::Array(items) if items.is_empty() => ui::none(lang).to_string(),
        // Long lists (a pool's thousands of tasks) show their start and their size.
        Value::Array(items) if items.len() > LIST_SHOWN => {
            let shown: Vec<String> = items[..LIST_SHOWN]
                .iter()
                .map(|item| show_value(item, words))
                .collect();
            shown.join(ui::list_separator(lang)) + &ui::more_of(lang, items.len())
        }
        Value::Array(items) => items
            .iter()
            .map(|item| show_value(item, words))
            .collect::<Vec<_>>()
            .join(ui::list_separator(lang)),
        Value::Null => "—".to_string(),
        Value::Object(fields) if fields.is_empty() => ui::none(lang).to_string(),
        Value::Object(fields) => fields
            .iter()
            .map(|(name, item)| format!("{name}: {}", show_value(item, words)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Terminal columns a character takes: two for CJK ideographs, kana,
/// hangul and full-width forms, one for the rest.
pub fn columns(character: char) -> usize {
    match character {
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}' => 2,
        _ => 1,
    }
}

/// The lines of a lesson file's paragraph as one text: a line break is a
/// space in English, and nothing between two Chinese characters.
pub fn join_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        let line = line.trim();
        let joins_wide = out.chars().last().is_some_and(|c| columns(c) == 2)
            || line.chars().next().is_some_and(|c| columns(c) == 2);
        if !out.is_empty() && !joins_wide {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Breaks `text` into lines of at most `width` columns: at spaces, or
/// before a wide character. Colour codes take no room.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    // Pieces that stay whole: a word, a space, or one wide character.
    let mut pieces: Vec<(String, usize)> = Vec::new();
    let mut in_escape = false;
    for character in text.chars() {
        let wide = if in_escape || character == '\u{1b}' {
            in_escape = character != 'm';
            0
        } else {
            columns(character)
        };
        // Closing punctuation stays with what it closes: a line never starts with it.
        let starts_piece = if closes(character) {
            pieces.is_empty()
        } else {
            character == ' '
                || wide == 2
                || pieces
                    .last()
                    .is_none_or(|(piece, _)| piece == " " || piece.chars().any(|c| columns(c) == 2))
        };
        if starts_piece {
            pieces.push((character.to_string(), wide));
        } else if let Some((piece, used)) = pieces.last_mut() {
            piece.push(character);
            *used += wide;
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for (piece, wide) in pieces {
        if used + wide > width && used > 0 {
            lines.push(line.trim_end().to_string());
            line.clear();
            used = 0;
        }
        if used == 0 && piece == " " {
            continue;
        }
        line.push_str(&piece);
        used += wide;
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Punctuation that may not begin a line, in either language.
fn closes(character: char) -> bool {
    matches!(
        character,
        '，' | '。'
            | '；'
            | '：'
            | '、'
            | '）'
            | '！'
            | '？'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '】'
            | '”'
            | '’'
            | ','
            | '.'
            | ';'
            | ':'
            | ')'
            | '!'
            | '?'
    )
}

/// Shows `code` spans in a colour of their own.
pub fn inline_code(line: &str) -> String {
    line.split('`')
        .enumerate()
        .map(|(at, piece)| {
            if at % 2 == 1 {
                piece.cyan().to_string()
            } else {
                piece.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_between_chinese_characters() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(
            wrap("进程是正在运行的程序", 8),
            ["进程是正", "在运行的", "程序"]
        );
        assert_eq!(
            wrap("子进程结束了，父进程", 6),
            ["子进程", "结束", "了，父", "进程"]
        );
        assert_eq!(
            wrap("a \u{1b}[1mbold\u{1b}[0m b", 6),
            ["a \u{1b}[1mbold\u{1b}[0m", "b"]
        );
    }

    #[test]
    fn joins_lines_with_a_space_only_between_words() {
        let lines = |text: &[&str]| text.iter().map(|line| line.to_string()).collect::<Vec<_>>();
        assert_eq!(join_lines(&lines(&["fork()", "returns"])), "fork() returns");
        assert_eq!(join_lines(&lines(&["子进程", "拿到 0"])), "子进程拿到 0");
    }
}
