//! `--quiz`: predict, then see. A question is asked before the step it
//! belongs to is shown; once the lesson has moved past that step, the reveal
//! gives the right answer with the facts this very run reported.

use colored::Colorize;
use serde_json::{Value, json};

use super::human::{inline_code, join_lines, show_value, wrap};
use super::ui::{self, Words};
use crate::model::{Event, Lang, Score};
use crate::text::{Quiz, Reveal};

/// Columns of question and reveal text, as the lesson files are wrapped.
const TEXT_WIDTH: usize = 74;

/// A question asked in this run, and what it has gathered since.
pub struct Asked {
    pub step: String,
    /// The choice given, counted from 1; `None` for no answer or one that is not a choice.
    pub answer: Option<usize>,
    /// What was typed, as typed; `None` when stdin was closed.
    pub given: Option<String>,
    /// The right choice, from the lesson text.
    pub right: usize,
    /// Events of the quiz's step, the evidence the reveal quotes.
    pub evidence: Vec<Event>,
    pub revealed: bool,
}

impl Asked {
    pub fn new(step: &str, quiz: &Quiz, answer: Option<usize>, given: Option<String>) -> Self {
        Self {
            step: step.to_string(),
            answer,
            given,
            right: quiz.right,
            evidence: Vec::new(),
            revealed: false,
        }
    }

    pub fn is_right(&self) -> bool {
        self.answer == Some(self.right)
    }
}

/// How many of the questions `asked` were answered right.
pub fn score(asked: &[Asked]) -> Score {
    Score {
        asked: asked.len(),
        right: asked.iter().filter(|asked| asked.is_right()).count(),
    }
}

/// The answer typed, if it names one of `choices` choices.
pub fn parse_answer(line: &str, choices: usize) -> Option<usize> {
    line.trim()
        .trim_end_matches([')', '.'])
        .parse::<usize>()
        .ok()
        .filter(|choice| (1..=choices).contains(choice))
}

/// The question as people see it, before the prompt.
pub fn question(quiz: &Quiz, lang: Lang) -> String {
    let mut out = format!(
        "\n  {} {}\n",
        "?".yellow().bold(),
        ui::quiz_heading(lang).yellow().bold(),
    );
    for line in wrap(&quiz.question, TEXT_WIDTH) {
        out.push_str(&format!("  {}\n", inline_code(&line).bold()));
    }
    for (at, choice) in quiz.choices.iter().enumerate() {
        let number = format!("{})", at + 1);
        for (row, line) in wrap(choice, TEXT_WIDTH - 4).iter().enumerate() {
            let label = if row == 0 {
                number.bold().to_string()
            } else {
                "  ".to_string()
            };
            out.push_str(&format!("    {label}  {}\n", inline_code(line)));
        }
    }
    out
}

/// The facts a question carries in JSON, asked and answered.
pub fn question_facts(step: &str, quiz: &Quiz) -> Value {
    json!({ "quiz": step, "question": quiz.question, "choices": quiz.choices })
}

pub fn answer_facts(asked: &Asked, quiz: &Quiz) -> Value {
    json!({
        "quiz": asked.step,
        "answer": asked.answer,
        "given": asked.given,
        "right_answer": quiz.right,
        "correct": asked.is_right(),
    })
}

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

/// The reveal as people see it.
pub fn reveal(asked: &Asked, quiz: &Quiz, paragraphs: &[String], lang: Lang) -> String {
    let choice = |number: usize| {
        format!(
            "{number}) {}",
            number
                .checked_sub(1)
                .and_then(|at| quiz.choices.get(at))
                .map_or("", String::as_str)
        )
    };
    let right = choice(quiz.right);
    let (mark, verdict) = match (asked.answer, &asked.given) {
        (Some(given), _) if given == quiz.right => ("✔", ui::quiz_right(lang, &right)),
        (Some(given), _) => ("✘", ui::quiz_wrong(lang, &choice(given), &right)),
        (None, Some(typed)) => ("✘", ui::quiz_not_a_choice(lang, typed, &right)),
        (None, None) => ("–", ui::quiz_unanswered(lang, &right)),
    };
    let mut out = String::from("\n");
    // One colour for the whole verdict: backticks of a choice are dropped, not coloured.
    let verdict = verdict.replace('`', "");
    for (row, line) in wrap(&verdict, TEXT_WIDTH - 2).iter().enumerate() {
        let line = match mark {
            "✔" => line.green().bold(),
            "✘" => line.red().bold(),
            _ => line.yellow(),
        };
        let mark = if row == 0 { mark } else { " " };
        out.push_str(&format!("  {mark} {line}\n"));
    }
    for paragraph in paragraphs {
        for line in wrap(paragraph, TEXT_WIDTH) {
            out.push_str(&format!("    {}\n", inline_code(&line)));
        }
    }
    out
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

/// Every value `name` has in the evidence, one per event, joined with `; `.
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
    (!values.is_empty()).then(|| values.join("; "))
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
    use super::*;

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
        let text =
            quiz("child {child:pid} got {child:fork_returned}, all: {fork_returned}; {not code}");
        assert_eq!(
            explanation(
                &text,
                &evidence,
                Words::procdemo(Lang::En),
                Style::Plain,
                None
            ),
            Some(vec!["child 11 got 0, all: 11; 0; {not code}".to_string()])
        );
        let gap = quiz("{missing} and {pid}");
        assert_eq!(
            explanation(
                &gap,
                &evidence,
                Words::procdemo(Lang::En),
                Style::Plain,
                None
            ),
            None
        );
        assert_eq!(
            explanation(
                &gap,
                &evidence,
                Words::procdemo(Lang::En),
                Style::Plain,
                Some("?")
            ),
            Some(vec!["? and 10; 11".to_string()])
        );
        assert_eq!(placeholders(&gap), ["missing", "pid"]);
        let each = Quiz {
            reveal: vec![Reveal::EachEvent("{role} got {fork_returned}".to_string())],
            ..quiz("")
        };
        assert_eq!(
            explanation(
                &each,
                &evidence,
                Words::procdemo(Lang::En),
                Style::Plain,
                None
            ),
            Some(vec![
                "• parent got 11".to_string(),
                "• child got 0".to_string()
            ])
        );
    }

    #[test]
    fn answers_are_numbers_among_the_choices() {
        assert_eq!(parse_answer(" 2\n", 3), Some(2));
        assert_eq!(parse_answer("3)", 3), Some(3));
        assert_eq!(parse_answer("4", 3), None);
        assert_eq!(parse_answer("0", 3), None);
        assert_eq!(parse_answer("two", 3), None);
    }
}
