//! Text for people: the lesson text of each step, then its evidence, in colour
//! when colour is on.

use colored::Colorize;
use serde_json::Value;

use super::event::Event;
use super::{timeline, tree, ui};
use crate::cli::Lang;
use crate::text::{Block, LessonText, StepText};

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

pub fn step(step: &StepText, position: usize, total: usize, lang: Lang) -> String {
    let mut out = String::new();
    let counter = ui::step_of(lang, position, total);
    out.push_str(&format!("\n{}\n", "─".repeat(RULE_WIDTH).dimmed()));
    out.push_str(&format!("{}  {}\n", step.title.bold(), counter.dimmed()));
    for block in &step.blocks {
        match block {
            Block::Paragraph(lines) => {
                out.push('\n');
                for line in lines {
                    out.push_str(&format!("  {}\n", inline_code(line)));
                }
            }
            Block::Code { kind, lines } => {
                let heading = match kind.as_str() {
                    "python" => ui::python_heading(lang).yellow().bold(),
                    "os" => ui::os_heading(lang).magenta().bold(),
                    other => other.bold(),
                };
                out.push_str(&format!("\n  {heading}\n"));
                for line in lines {
                    let bar = "│".dimmed();
                    let code = if kind == "python" {
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

pub fn back_to(step: &StepText, lang: Lang) -> String {
    format!(
        "  {} {}\n",
        format!("↳ {}", ui::back_to(lang)).dimmed(),
        step.title.dimmed()
    )
}

pub fn evidence(event: &Event, text: &LessonText, lang: Lang) -> String {
    let role = ui::word(lang, &event.role);
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
                tree::draw(value, lang, "      ")
            } else {
                timeline::draw(value, lang, "      ")
            };
            out.push_str(&picture.join("\n"));
            out.push('\n');
            continue;
        }
        let label = text.fact_label(name).unwrap_or(name);
        out.push_str(&format!(
            "      {} {}\n",
            format!("{label}:").dimmed(),
            show_value(value, lang).bold()
        ));
    }
    out
}

pub fn done(event: &Event, lang: Lang) -> String {
    let mut out = format!(
        "\n{}\n{}\n",
        "─".repeat(RULE_WIDTH).dimmed(),
        ui::what_ran(lang).bold()
    );
    if let Some(tree) = event.fact("tree") {
        out.push_str(&tree::draw(tree, lang, "  ").join("\n"));
        out.push('\n');
    }
    let count = |name: &str| event.fact(name).and_then(Value::as_u64).unwrap_or(0);
    out.push_str(&format!(
        "\n{}\n",
        ui::summary(lang, count("processes_started"), count("processes_reaped")).green()
    ));
    out
}

fn show_value(value: &Value, lang: Lang) -> String {
    match value {
        Value::String(text) => ui::word(lang, text),
        Value::Bool(flag) => ui::yes_no(lang, *flag).to_string(),
        Value::Array(items) if items.is_empty() => ui::none(lang).to_string(),
        // Long lists (a pool's thousands of tasks) show their start and their size.
        Value::Array(items) if items.len() > LIST_SHOWN => format!(
            "{}, … ({} {})",
            items[..LIST_SHOWN]
                .iter()
                .map(|item| show_value(item, lang))
                .collect::<Vec<_>>()
                .join(", "),
            items.len(),
            ui::in_all(lang)
        ),
        Value::Array(items) => items
            .iter()
            .map(|item| show_value(item, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => "—".to_string(),
        Value::Object(fields) if fields.is_empty() => ui::none(lang).to_string(),
        Value::Object(fields) => fields
            .iter()
            .map(|(name, item)| format!("{name}: {}", show_value(item, lang)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
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
