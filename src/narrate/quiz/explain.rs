//! A reveal's paragraphs from this run's facts: the placeholders of the
//! lesson text (`{fact}`, `{role:fact}`, `{pid}`) take the values the
//! evidence reported.

use colored::Colorize;
use serde_json::Value;

use crate::model::Event;
use crate::narrate::human::{join_lines, show_value};
use crate::narrate::ui::{self, Words};
use crate::text::{Quiz, Reveal};

/// The reveal's paragraphs with this run's facts in place of the
/// placeholders; `None` while one of them has no value yet, unless `missing`
/// gives a mark to show instead (at the end, when no more will come).
pub fn explanation(
    quiz: &Quiz,
    evidence: &[Event],
    words: Words,
    style: Style,
    missing: Option<&str>,
) -> Option<Vec<String>> {
    let styled = |value: String| match style {
        Style::Bold => value.bold().to_string(),
        Style::Plain => value,
    };
    let mut paragraphs = Vec::new();
    for block in &quiz.reveal {
        match block {
            Reveal::Paragraph(lines) => {
                paragraphs.push(substitute(&join_lines(lines), |name| {
                    let value =
                        lookup(name, evidence, words).or_else(|| missing.map(str::to_string));
                    Some(styled(value?))
                })?);
            }
            Reveal::EachEvent(line) => {
                // Only the events that have every fact the line names.
                let each: Vec<String> = evidence
                    .iter()
                    .filter_map(|event| {
                        let one = std::slice::from_ref(event);
                        substitute(line, |name| Some(styled(lookup(name, one, words)?)))
                    })
                    .map(|said| format!("• {said}"))
                    .collect();
                if each.is_empty() && missing.is_none() {
                    return None;
                }
                paragraphs.extend(each);
            }
        }
    }
    Some(paragraphs)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Values in bold, for a terminal.
    Bold,
    Plain,
}

/// `template` with each placeholder replaced by `value_of` it; `None` as
/// soon as `value_of` has nothing. Braces around anything else stay as they are.
fn substitute(template: &str, mut value_of: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|at| open + at) else {
            break;
        };
        let name = &rest[open + 1..close];
        out.push_str(&rest[..open]);
        if is_placeholder(name) {
            out.push_str(&value_of(name)?);
        } else {
            out.push_str(&rest[open..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `fact`, `role:fact`, `pid`, `role:pid`: names, not code in braces.
pub fn is_placeholder(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'))
        && name.matches(':').count() <= 1
}

/// Every value `name` has in the evidence, one per event, joined with `; `
/// (`；` in Chinese).
/// `pid`, `ppid` and `role` are the event's own, unless the facts have one.
fn lookup(name: &str, evidence: &[Event], words: Words) -> Option<String> {
    let (role, fact) = name.split_once(':').unwrap_or(("", name));
    let values: Vec<String> = evidence
        .iter()
        .filter(|event| role.is_empty() || event.role == role)
        .filter_map(|event| match (event.fact(fact), fact) {
            (Some(value), _) => Some(value.clone()),
            (None, "pid") => Some(Value::from(event.pid)),
            (None, "ppid") => Some(Value::from(event.ppid)),
            (None, "role") => Some(Value::from(event.role.as_str())),
            (None, _) => None,
        })
        .map(|value| show_value(&value, words))
        .collect();
    let items = ui::list_separator(words.lang);
    let separator = if values.iter().any(|value| value.contains(items)) {
        ui::lists_separator(words.lang)
    } else {
        items
    };
    (!values.is_empty()).then(|| values.join(separator))
}

/// Every placeholder a quiz's reveal uses, for checking lesson texts.
pub fn placeholders(quiz: &Quiz) -> Vec<String> {
    let mut names = Vec::new();
    for block in &quiz.reveal {
        let text = match block {
            Reveal::Paragraph(lines) => join_lines(lines),
            Reveal::EachEvent(line) => line.clone(),
        };
        substitute(&text, |name| {
            names.push(name.to_string());
            Some(String::new())
        });
    }
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Lang;

    fn event(role: &str, pid: i32, facts: Value) -> Event {
        Event {
            t_us: 0,
            lesson: "fork".to_string(),
            pid,
            ppid: 1,
            role: role.to_string(),
            step: "after-fork".to_string(),
            facts: crate::model::facts(facts),
        }
    }

    #[test]
    fn placeholders_take_this_runs_values() {
        let evidence = [
            event("parent", 10, json!({ "fork_returned": 11 })),
            event("child", 11, json!({ "fork_returned": 0 })),
        ];
        let quiz = |reveal: &str| Quiz {
            question: "Q?".to_string(),
            choices: vec!["a".to_string(), "b".to_string()],
            right: 1,
            reveal: vec![Reveal::Paragraph(vec![reveal.to_string()])],
        };
        let explain = |quiz: &Quiz, missing| {
            explanation(
                quiz,
                &evidence,
                Words::procdemo(Lang::En),
                Style::Plain,
                missing,
            )
        };
        let text =
            quiz("child {child:pid} got {child:fork_returned}, all: {fork_returned}; {not code}");
        assert_eq!(
            explain(&text, None),
            Some(vec!["child 11 got 0, all: 11, 0; {not code}".to_string()])
        );
        let gap = quiz("{missing} and {pid}");
        assert_eq!(explain(&gap, None), None);
        assert_eq!(
            explain(&gap, Some("?")),
            Some(vec!["? and 10, 11".to_string()])
        );
        assert_eq!(placeholders(&gap), ["missing", "pid"]);
        // Values that are lists themselves stay apart.
        let lists = [
            event("reader", 12, json!({ "got": ["a", "b"] })),
            event("reader", 13, json!({ "got": ["c"] })),
        ];
        assert_eq!(
            explanation(
                &quiz("got {got}"),
                &lists,
                Words::procdemo(Lang::En),
                Style::Plain,
                None
            ),
            Some(vec!["got a, b; c".to_string()])
        );
        let each = Quiz {
            reveal: vec![Reveal::EachEvent("{role} got {fork_returned}".to_string())],
            ..quiz("")
        };
        assert_eq!(
            explain(&each, None),
            Some(vec![
                "• parent got 11".to_string(),
                "• child got 0".to_string()
            ])
        );
    }
}
