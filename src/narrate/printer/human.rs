//! The lesson for people: the text of each new step, then its evidence, in
//! colour when colour is on; questions and reveals of `--quiz`; a progress
//! bar for steps that come in bulk. The lesson goes to stdout, through the
//! screen that pages it; the conversation (questions, what was heard, the
//! bar) to stderr.

use std::io::IsTerminal;
use std::rc::Rc;

use colored::Colorize;

use super::Heard;
use crate::model::{DONE, Done, Event, Lang, Score};
use crate::narrate::human;
use crate::narrate::layout::{self, Text, wrap};
use crate::narrate::palette::{self, Ink};
use crate::narrate::quiz::{Asked, Style};
use crate::narrate::screen::Screen;
use crate::narrate::{Answer, ui, write_err};
use crate::text::{LessonText, Quiz};

pub struct HumanPrinter {
    lang: Lang,
    text: Rc<LessonText>,
    /// The steps whose text has been shown, with the title told (a variant's
    /// when one was), and the step being shown.
    shown: Vec<(String, String)>,
    current: Option<String>,
    bulk: Option<Bulk>,
    /// The steps this run reports, in order: what "step N of M" counts,
    /// less the steps that come in bulk.
    plan: Vec<String>,
    /// Steps shown as a bar, never as a numbered step, even after the bar.
    in_bulk: Vec<String>,
    screen: Screen,
}

/// Steps shown as a progress bar rather than line by line.
struct Bulk {
    steps: Vec<String>,
    counted: String,
    bar: indicatif::ProgressBar,
}

impl Bulk {
    /// One more counted event: the bar moves (and redraws, at most 20 times
    /// a second, as indicatif does: this is its only tick), and leaves the
    /// screen once every one has come.
    fn tick(&self) {
        // The clock starts with the first: rate and ETA are the tasks'.
        if self.bar.position() == 0 {
            self.bar.reset_elapsed();
            self.bar.reset_eta();
        }
        self.bar.inc(1);
        if self.bar.length() == Some(self.bar.position()) {
            self.bar.finish_and_clear();
        }
    }
}

impl HumanPrinter {
    pub fn new(lang: Lang, text: Rc<LessonText>, screen: Screen) -> Self {
        let plan = text.steps.iter().map(|step| step.id.clone()).collect();
        Self {
            lang,
            text,
            shown: Vec::new(),
            current: None,
            bulk: None,
            plan,
            in_bulk: Vec::new(),
            screen,
        }
    }

    pub fn plan(&mut self, steps: Vec<String>) {
        self.plan = steps;
    }

    /// "step N of M" for the next step told: N counts the steps told so
    /// far, M those planned; a step the plan did not foresee adds to M
    /// rather than number past it.
    fn position(&self) -> (usize, usize) {
        let told = self.shown.iter().filter(|(_, title)| !title.is_empty());
        let position = told.count() + 1;
        let planned = self
            .plan
            .iter()
            .filter(|step| !self.in_bulk.contains(step))
            .count();
        (position, planned.max(position))
    }

    pub fn begin(&mut self) {
        self.screen.write(&human::header(&self.text));
    }

    /// A new screen, for a new step.
    pub fn top(&mut self) {
        match self.visible_bar() {
            Some(bar) => bar.suspend(|| self.screen.top()),
            None => self.screen.top(),
        }
    }

    /// The progress bar, while it shows on the terminal.
    pub fn visible_bar(&self) -> Option<indicatif::ProgressBar> {
        self.bulk
            .as_ref()
            .map(|bulk| bulk.bar.clone())
            .filter(|bar| !bar.is_hidden() && !bar.is_finished())
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Lesson text to stdout, through the screen. The bar steps aside while
    /// it is written (and while a "more" prompt waits), then redraws below.
    fn emit(&self, out: &str) -> Answer {
        match self.visible_bar() {
            Some(bar) => bar.suspend(|| self.screen.write(out)),
            None => self.screen.write(out),
        }
    }

    /// The conversation to stderr, counted on the screen it shares.
    fn say(&self, text: &str) {
        self.screen.count(text);
        write_err(text);
    }

    pub fn in_bulk(&mut self, steps: &[&str], counted: &str, total: u64) {
        // On a terminal only; no steady tick: a tick thread would make
        // procdemo multi-threaded at its next fork.
        let bar = if std::io::stderr().is_terminal() {
            let style = indicatif::ProgressStyle::with_template(
                "{wide_bar} {pos}/{len} · {elapsed} · {rate} · ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0}/s", state.per_sec());
                },
            );
            indicatif::ProgressBar::new(total).with_style(style)
        } else {
            indicatif::ProgressBar::hidden()
        };
        self.in_bulk
            .extend(steps.iter().map(|step| step.to_string()));
        self.bulk = Some(Bulk {
            steps: steps.iter().map(|step| step.to_string()).collect(),
            counted: counted.to_string(),
            bar,
        });
    }

    pub fn is_new_step(&self, step: &str) -> bool {
        step != DONE && !self.shown.iter().any(|(shown, _)| shown == step)
    }

    pub fn has_shown_a_step(&self) -> bool {
        !self.shown.is_empty()
    }

    pub fn is_step_change(&self, step: &str) -> bool {
        self.current.as_deref() != Some(step)
    }

    pub fn show(&mut self, event: &Event) -> Answer {
        let lang = self.lang;
        if let Some(bulk) = &self.bulk
            && bulk.steps.contains(&event.step)
        {
            if event.step == bulk.counted {
                bulk.tick();
            }
            return Answer::Next;
        }
        let mut out = String::new();
        if self.current.as_deref() != Some(event.step.as_str()) {
            match self.text.step(&event.step) {
                Some((_, step)) if self.is_new_step(&event.step) => {
                    let (title, blocks) = step.told_for(event);
                    let (position, total) = self.position();
                    out.push_str(&human::step(title, blocks, position, total, lang));
                    self.shown.push((event.step.clone(), title.to_string()));
                }
                Some(_) => {
                    let told = self.shown.iter().find(|(shown, _)| *shown == event.step);
                    if let Some((_, title)) = told {
                        out.push_str(&human::back_to(title, lang));
                    }
                }
                None => self.shown.push((event.step.clone(), String::new())),
            }
            self.current = Some(event.step.clone());
        }
        out.push_str(&human::evidence(event, &self.text, lang));
        self.emit(&out)
    }

    /// The last step: what ran, and with `--quiz` the score.
    pub fn done(&mut self, event: &Event, score: Option<Score>) -> Answer {
        self.finish_bar();
        let lang = self.lang;
        let mut out = match event.read::<Done>() {
            Ok(done) => human::done(&done, ui::Words::new(lang, &self.text)),
            Err(error) => {
                write_err(&format!("procdemo: {error:#}\n"));
                String::new()
            }
        };
        if let Some(score) = score {
            out.push_str(&format!(
                "{}\n",
                ui::lesson_quiz_score(lang, score.right, score.asked).bold()
            ));
        }
        self.emit(&out)
    }

    /// A bulk event nobody needs in full: it only moves the progress bar.
    pub fn count(&mut self, step: &str) {
        if let Some(bulk) = &self.bulk
            && bulk.counted == step
        {
            bulk.tick();
        }
    }

    pub fn finish_bar(&mut self) {
        if let Some(bulk) = self.bulk.take() {
            bulk.bar.finish_and_clear();
        }
    }

    /// The question, then the prompt for its answer.
    pub fn question(&mut self, quiz: &Quiz) {
        self.say(&question(quiz, self.lang));
        self.say(&self.quiz_prompt(quiz.choices.len()));
    }

    fn quiz_prompt(&self, choices: usize) -> String {
        human::prompt(&ui::quiz_prompt(self.lang, choices), palette::bold)
    }

    pub fn heard(&mut self, heard: Heard<'_>) {
        let lang = self.lang;
        // The answer typed, and its Enter, took a row of the screen.
        self.screen.count("\n");
        match heard {
            Heard::NotAChoice(choices) => self.say(&format!(
                "  {}\n{}",
                Ink::Bad.paint(&ui::quiz_retry(lang, choices)),
                self.quiz_prompt(choices)
            )),
            // Nobody typed it here: show what the pipe answered.
            Heard::Piped(line) => write_err(&format!("{line}\n")),
            Heard::Interrupted => write_err("\n"),
            Heard::Closed => write_err(&format!(
                "{}\n",
                palette::muted(ui::quiz_stdin_closed(lang))
            )),
            // Ctrl-D echoes nothing: the note starts a line of its own.
            Heard::Ended => self.say(&format!("\n  {}\n", palette::muted(ui::quiz_ended(lang)))),
        }
    }

    pub fn reveal(&mut self, asked: &Asked, quiz: &Quiz, paragraphs: &[String]) -> Answer {
        self.emit(&reveal(asked, quiz, paragraphs, self.lang))
    }

    pub fn reveal_style(&self) -> Style {
        Style::Bold
    }
}

/// The question as people see it, before the prompt.
fn question(quiz: &Quiz, lang: Lang) -> String {
    let width = layout::width();
    let mut heading = Text::new();
    heading.push_in(&format!("? {}", ui::quiz_heading(lang)), palette::code_bold);
    let mut out = String::from("\n");
    for line in heading.lines(width - 2, width - 4) {
        out.push_str(&format!("  {line}\n"));
    }
    let code_in_bold: layout::Look = palette::code_bold;
    let mut asked = Text::new();
    for (at, piece) in quiz.question.split('`').enumerate() {
        if at % 2 == 1 {
            asked.push_in(piece, code_in_bold);
        } else {
            asked.push_in(piece, palette::bold);
        }
    }
    for line in asked.lines(width - 2, width - 2) {
        out.push_str(&format!("  {line}\n"));
    }
    for (at, choice) in quiz.choices.iter().enumerate() {
        let number = format!("{})", at + 1);
        for (row, line) in wrap(choice, width - 8, palette::code).iter().enumerate() {
            let label = if row == 0 {
                number.bold().to_string()
            } else {
                " ".repeat(number.len())
            };
            out.push_str(&format!("    {label}  {line}\n"));
        }
    }
    out
}

/// The reveal as people see it.
fn reveal(asked: &Asked, quiz: &Quiz, paragraphs: &[String], lang: Lang) -> String {
    let width = layout::width();
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
    let look: layout::Look = match mark {
        "✔" => |text| Ink::Good.paint(text).bold().to_string(),
        "✘" => |text| Ink::Bad.paint(text).bold().to_string(),
        _ => palette::bold,
    };
    let mut said = Text::new();
    said.push_in(&verdict, look);
    for (row, line) in said.lines(width - 4, width - 4).iter().enumerate() {
        let mark = if row == 0 { mark } else { " " };
        out.push_str(&format!("  {mark} {line}\n"));
    }
    for paragraph in paragraphs {
        for line in wrap(paragraph, width - 4, palette::code) {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_planned_steps_less_the_bulk_ones_and_never_numbers_past_the_total() {
        let text =
            LessonText::parse("# T\ns\n## a: A\nx\n## b: B\nx\n## c: C\nx\n").expect("parses");
        let mut printer = HumanPrinter::new(Lang::En, Rc::new(text), Screen::new(Lang::En, false));
        assert_eq!(
            printer.position(),
            (1, 3),
            "no plan: every step of the text"
        );
        printer.plan(vec!["a".into(), "c".into()]);
        assert_eq!(printer.position(), (1, 2));
        printer.in_bulk.push("c".into());
        assert_eq!(printer.position(), (1, 1), "a bar is not a step");
        printer.shown.push(("a".into(), "A".into()));
        // A step the plan did not foresee: M grows with it.
        assert_eq!(printer.position(), (2, 2));
    }
}
