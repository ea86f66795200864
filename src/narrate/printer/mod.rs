//! How the narration looks: one printer per run, for people or for `--json`,
//! each with the state its output needs. The narrator tells it what happened
//! (an event, a question, an answer, a reveal, the end) and it alone decides
//! the bytes. Like ripgrep's `Printer` over Standard/JSON/Summary.

mod human;
mod json;

use std::rc::Rc;
use std::time::Instant;

use std::time::Duration;

use crate::config::Output;
use crate::model::{DONE, Event, Lang, Score};
use crate::narrate::Answer;
use crate::narrate::quiz::{Asked, Style};
use crate::narrate::screen::Screen;
use crate::text::{LessonText, Quiz};
use human::HumanPrinter;
use json::JsonPrinter;

pub enum Printer {
    Human(HumanPrinter),
    Json(JsonPrinter),
}

/// What came of the prompt after a question, for people to see.
pub enum Heard<'a> {
    /// Typed on a terminal, but not one of the `usize` choices: asked again.
    NotAChoice(usize),
    /// Read from a pipe, as given (trimmed): nobody saw it typed.
    Piped(&'a str),
    /// A stop signal arrived while waiting.
    Interrupted,
    /// stdin is closed: the question goes unanswered.
    Closed,
    /// Ctrl-D on a terminal: unanswered, and the questions end for this run.
    Ended,
}

impl Printer {
    /// The one place where `--json` chooses how everything looks; people
    /// read it on `screen`.
    pub fn new(
        output: Output,
        lang: Lang,
        text: Rc<LessonText>,
        lesson: &'static str,
        started: Instant,
        screen: Screen,
    ) -> Self {
        match output {
            Output::Human => Self::Human(HumanPrinter::new(lang, text, screen)),
            Output::Json => Self::Json(JsonPrinter::new(lesson, started)),
        }
    }

    /// True when a person reads it, so the show may have a rhythm and a prompt.
    pub fn for_people(&self) -> bool {
        matches!(self, Self::Human(_))
    }

    /// True when it shows every event in full, bulk ones included.
    pub fn needs_every_event(&self) -> bool {
        matches!(self, Self::Json(_))
    }

    /// The lesson's heading.
    pub fn begin(&mut self) {
        match self {
            Self::Human(human) => human.begin(),
            Self::Json(_) => {}
        }
    }

    /// The steps this run reports, in order, for the step numbers.
    pub fn plan(&mut self, steps: Vec<String>) {
        match self {
            Self::Human(human) => human.plan(steps),
            Self::Json(_) => {}
        }
    }

    /// A new screen for a new step, on a terminal.
    pub fn top(&mut self) {
        match self {
            Self::Human(human) => human.top(),
            Self::Json(_) => {}
        }
    }

    /// How long the text on the screen takes to read at pace 1; `None`
    /// when it is not read on a screen.
    pub fn reading_time(&self) -> Option<Duration> {
        match self {
            Self::Human(human) => {
                let screen = human.screen();
                screen.is_on().then(|| screen.reading_time())
            }
            Self::Json(_) => None,
        }
    }

    /// The progress bar, while it shows on the terminal.
    pub fn visible_bar(&self) -> Option<indicatif::ProgressBar> {
        match self {
            Self::Human(human) => human.visible_bar(),
            Self::Json(_) => None,
        }
    }

    /// Events at `steps` come in bulk: a progress bar counts `counted` ones.
    pub fn in_bulk(&mut self, steps: &[&str], counted: &str, total: u64) {
        match self {
            Self::Human(human) => human.in_bulk(steps, counted, total),
            Self::Json(_) => {}
        }
    }

    /// True when the text of `step` has not been shown yet. JSON shows no
    /// text: every step but `done` is new to it.
    pub fn is_new_step(&self, step: &str) -> bool {
        match self {
            Self::Human(human) => human.is_new_step(step),
            Self::Json(_) => step != DONE,
        }
    }

    /// True once the text of a step has been shown (never in JSON).
    pub fn has_shown_a_step(&self) -> bool {
        match self {
            Self::Human(human) => human.has_shown_a_step(),
            Self::Json(_) => false,
        }
    }

    /// True when `step` is not the step being shown; always in JSON.
    pub fn is_step_change(&self, step: &str) -> bool {
        match self {
            Self::Human(human) => human.is_step_change(step),
            Self::Json(_) => true,
        }
    }

    /// Shows `event`; `Quit` or `Woken` when the reader ended the lesson
    /// at a "more" prompt.
    pub fn show(&mut self, event: &Event) -> Answer {
        match self {
            Self::Human(human) => human.show(event),
            Self::Json(json) => {
                json.show(event);
                Answer::Next
            }
        }
    }

    /// An event read after the lesson stopped: kept in the JSON record only.
    pub fn show_late(&mut self, event: &Event) {
        match self {
            Self::Human(_) => {}
            Self::Json(json) => json.show(event),
        }
    }

    /// The `done` event, with the quiz's score if there was a quiz.
    pub fn done(&mut self, event: &Event, score: Option<Score>) -> Answer {
        match self {
            Self::Human(human) => human.done(event, score),
            Self::Json(json) => {
                json.last(event);
                Answer::Next
            }
        }
    }

    /// A bulk event nobody needs in full: it only moves the progress bar.
    pub fn count(&mut self, step: &str) {
        match self {
            Self::Human(human) => human.count(step),
            Self::Json(_) => {}
        }
    }

    /// The lesson stopped early: the progress bar goes first, before
    /// anything else is said.
    pub fn stop(&mut self) {
        match self {
            Self::Human(human) => human.finish_bar(),
            Self::Json(_) => {}
        }
    }

    /// The `ended` event: the last line in JSON; people read one line on
    /// stderr instead, which the narrator writes.
    pub fn ended(&mut self, event: &Event) {
        match self {
            Self::Human(_) => {}
            Self::Json(json) => json.last(event),
        }
    }

    /// A question of `--quiz`, asked before `step` at the quiz's `t_us`.
    pub fn question(&mut self, step: &str, quiz: &Quiz, t_us: u64) {
        match self {
            Self::Human(human) => human.question(quiz),
            Self::Json(json) => json.question(step, quiz, t_us),
        }
    }

    pub fn heard(&mut self, heard: Heard<'_>) {
        match self {
            Self::Human(human) => human.heard(heard),
            Self::Json(_) => {}
        }
    }

    pub fn answer(&mut self, asked: &Asked, quiz: &Quiz, t_us: u64) {
        match self {
            Self::Human(_) => {}
            Self::Json(json) => json.answer(asked, quiz, t_us),
        }
    }

    pub fn reveal(
        &mut self,
        asked: &Asked,
        quiz: &Quiz,
        paragraphs: &[String],
        t_us: u64,
    ) -> Answer {
        match self {
            Self::Human(human) => human.reveal(asked, quiz, paragraphs),
            Self::Json(json) => {
                json.reveal(asked, quiz, paragraphs, t_us);
                Answer::Next
            }
        }
    }

    /// How the facts in a reveal's explanation stand out.
    pub fn reveal_style(&self) -> Style {
        match self {
            Self::Human(human) => human.reveal_style(),
            Self::Json(json) => json.reveal_style(),
        }
    }

    /// Writes whatever waits to be written.
    pub fn flush(&mut self) {
        match self {
            Self::Human(_) => {}
            Self::Json(json) => json.flush(),
        }
    }
}
