//! Text for people: the lesson text of each step, then its evidence, in colour
//! when colour is on.

use colored::Colorize;
use serde_json::Value;

use super::layout::{self, Text};
// The reveals join a paragraph's lines as the steps do.
pub use super::layout::join_lines;
use super::palette::{self, Ink};
use super::ui::{self, Words};
use super::{timeline, tree};
use crate::model::Lang;
use crate::model::{Done, Event};
use crate::text::{Block, LessonText};

/// The rules between steps: as wide as the screen, up to this.
const RULE_WIDTH: usize = 60;
/// How many items of a list a line shows.
const LIST_SHOWN: usize = 16;
/// Where the text of a step starts, and the evidence's facts.
const TEXT_INDENT: &str = "  ";
const FACT_INDENT: &str = "      ";

/// `lines` each after `first` (the first) or `rest` (the others), one per line.
fn indented(lines: &[String], first: &str, rest: &str) -> String {
    let mut out = String::new();
    for (at, line) in lines.iter().enumerate() {
        out.push_str(if at == 0 { first } else { rest });
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A rule across the screen, up to RULE_WIDTH.
pub fn rule(character: &str, width: usize) -> String {
    palette::muted(&character.repeat(RULE_WIDTH.min(width)))
}

pub fn header(text: &LessonText) -> String {
    let width = layout::width();
    let mut title = Text::new();
    title
        .push_in("procdemo ·", palette::muted)
        .push(" ")
        .push_in(&text.title, palette::bold);
    let summary = layout::wrap(&text.summary, width, palette::code);
    format!(
        "\n{}{}",
        indented(&title.lines(width, width), "", ""),
        indented(&summary, "", "")
    )
}

/// A step's text: `title` and `blocks` as told for this run.
pub fn step(title: &str, blocks: &[Block], position: usize, total: usize, lang: Lang) -> String {
    let width = layout::width();
    let text_width = width - TEXT_INDENT.len();
    let mut out = format!("\n{}\n", rule("─", width));
    out.push_str(&heading(title, &ui::step_of(lang, position, total), width));
    for block in blocks {
        match block {
            Block::Paragraph(lines) => {
                let lines = layout::wrap(&join_lines(lines), text_width, palette::code);
                out.push('\n');
                out.push_str(&indented(&lines, TEXT_INDENT, TEXT_INDENT));
            }
            Block::Code(code) => {
                let (heading, look): (&str, layout::Look) = match code.kind.as_str() {
                    "python" => (ui::python_heading(lang, code.fragment), palette::code_bold),
                    "os" => (ui::os_heading(lang), |text| {
                        Ink::Os.paint(text).bold().to_string()
                    }),
                    other => (other, palette::bold),
                };
                let heading = Text::new()
                    .push_in(heading, look)
                    .lines(text_width, text_width);
                out.push('\n');
                out.push_str(&indented(&heading, TEXT_INDENT, TEXT_INDENT));
                for line in &code.lines {
                    out.push_str(&code_line(line, text_width));
                }
            }
        }
    }
    out.push('\n');
    out
}

/// A step's title and its counter ("step 2 of 6"): on one line when both fit.
fn heading(title: &str, counter: &str, width: usize) -> String {
    let counter_width = layout::columns(counter);
    if layout::columns(title) + 2 + counter_width <= width {
        return format!("{}  {}\n", title.bold(), palette::muted(counter));
    }
    let mut text = Text::new();
    text.push_in(title, palette::bold);
    format!(
        "{}{}\n",
        indented(&text.lines(width, width), "", ""),
        palette::muted(counter)
    )
}

/// A line of code behind its bar. Code keeps its own line breaks; a line too
/// long for the screen goes on under a dotted bar, indented.
fn code_line(line: &str, width: usize) -> String {
    let text = {
        let mut text = Text::new();
        text.push(line);
        text
    };
    // Both bars take two columns: "│ " and "┆ ".
    let room = width - 2;
    // Under the line's own indent, unless that leaves too little room.
    let own_indent = line.len() - line.trim_start().len();
    let more = if own_indent + 2 + text.widest_word() <= room {
        format!("{}  ", &line[..own_indent])
    } else {
        "  ".to_string()
    };
    let lines = text.lines(room, room - more.len());
    if lines.is_empty() {
        return format!("{TEXT_INDENT}{}\n", palette::muted("│"));
    }
    indented(
        &lines,
        &format!("{TEXT_INDENT}{} ", palette::muted("│")),
        &format!("{TEXT_INDENT}{} {more}", palette::muted("┆")),
    )
}

/// A prompt in `look`, within the screen: the cursor waits after it on its
/// last line.
pub fn prompt(text: &str, look: layout::Look) -> String {
    let width = layout::width();
    let mut said = Text::new();
    said.push_in(text, look);
    // One column for the cursor.
    let lines = said.lines(width - TEXT_INDENT.len() - 1, width - TEXT_INDENT.len() - 1);
    format!("{TEXT_INDENT}{} ", lines.join(&format!("\n{TEXT_INDENT}")))
}

pub fn back_to(title: &str, lang: Lang) -> String {
    let width = layout::width();
    let mut text = Text::new();
    text.push_in(&format!("↳ {} {title}", ui::back_to(lang)), palette::muted);
    indented(
        &text.lines(width - TEXT_INDENT.len(), width - 2 * TEXT_INDENT.len()),
        TEXT_INDENT,
        "    ",
    )
}

pub fn evidence(event: &Event, text: &LessonText, lang: Lang) -> String {
    let width = layout::width();
    let words = Words::new(lang, text);
    let role = words.of(&event.role);
    let ink = if event.role == "parent" {
        Ink::Parent
    } else {
        Ink::Child
    };
    let who = ink.paint(&role).bold().to_string();
    let mut line = Text::new();
    line.push_in("●", palette::bold)
        .push(" ")
        .push_in(&who, str::to_string)
        .push(" ")
        .push_in(
            &format!("{} {}", ui::pid_word(lang), event.pid),
            palette::bold,
        )
        .push(" ")
        .push_in(
            &format!(
                "· {} {} · +{:.1} ms",
                ui::ppid_word(lang),
                event.ppid,
                event.t_us as f64 / 1000.0
            ),
            palette::muted,
        );
    let mut out = indented(
        &line.lines(width - TEXT_INDENT.len(), width - FACT_INDENT.len()),
        TEXT_INDENT,
        FACT_INDENT,
    );
    let fact_width = width - FACT_INDENT.len();
    for (name, value) in &event.facts {
        // Spans are drawn in the timeline of the step that gathers them.
        if name == "spans" {
            continue;
        }
        if name == "tree" || name == "timeline" {
            let picture = if name == "tree" {
                tree::draw(value, words, FACT_INDENT, width)
            } else {
                timeline::draw(value, words, FACT_INDENT, width)
            };
            out.push_str(&picture.join("\n"));
            out.push('\n');
            continue;
        }
        let label = text.fact_label(name).unwrap_or(name);
        let mut fact = Text::new();
        fact.push_in(&format!("{label}{}", ui::label_colon(lang)), palette::muted)
            .push_in(&show_value(value, words), palette::bold);
        // Long values hang under the label.
        out.push_str(&indented(
            &fact.lines(fact_width, fact_width - 2),
            FACT_INDENT,
            &format!("{FACT_INDENT}  "),
        ));
    }
    out
}

pub fn done(done: &Done, words: Words) -> String {
    let lang = words.lang;
    let width = layout::width();
    let mut summary = Text::new();
    summary.push_in(
        &ui::summary(
            lang,
            done.processes_started,
            done.processes_reaped,
            done.processes_measured,
            done.ps_runs,
        ),
        |text| Ink::Good.paint(text).to_string(),
    );
    format!(
        "\n{}\n{}\n{}\n\n{}",
        rule("─", width),
        ui::what_ran(lang).bold(),
        tree::draw(&done.tree, words, TEXT_INDENT, width).join("\n"),
        indented(&summary.lines(width, width), "", "")
    )
}

pub fn show_value(value: &Value, words: Words) -> String {
    let lang = words.lang;
    match value {
        // A line read or written with its newline: shown as `\n`, not as
        // an empty line after it.
        Value::String(text) => match text.strip_suffix('\n') {
            Some(line) if !line.contains('\n') => format!("{}\\n", words.of(line)),
            _ => words.of(text),
        },
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
