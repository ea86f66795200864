//! `--json`: one object per line on stdout and nothing else (see
//! docs/events.md); the quiz's questions, answers and reveals are events too.

use std::time::Instant;

use serde_json::{Value, json};

use crate::model::{Event, QUIZ_ANSWER, QUIZ_QUESTION, QUIZ_REVEAL};
use crate::narrate::quiz::{Asked, Style};
use crate::narrate::write_out;
use crate::text::Quiz;

/// Lines wait here until this much is buffered.
const BUFFERED: usize = 64 * 1024;

pub struct JsonPrinter {
    lesson: &'static str,
    started: Instant,
    /// JSON lines wait here until the lab is about to sleep or the lesson
    /// ends: one write() for many events.
    lines: String,
}

impl JsonPrinter {
    pub fn new(lesson: &'static str, started: Instant) -> Self {
        Self {
            lesson,
            started,
            lines: String::new(),
        }
    }

    pub fn show(&mut self, event: &Event) {
        self.lines.push_str(&event.to_line());
        if self.lines.len() > BUFFERED {
            self.flush();
        }
    }

    /// The last line of the lesson, or of a lesson that ended early: out at once.
    pub fn last(&mut self, event: &Event) {
        self.show(event);
        self.flush();
    }

    /// Writes the lines waiting, if any.
    pub fn flush(&mut self) {
        if !self.lines.is_empty() {
            write_out(&std::mem::take(&mut self.lines));
        }
    }

    /// The question goes out before procdemo waits for its answer.
    pub fn question(&mut self, step: &str, quiz: &Quiz, t_us: u64) {
        let facts = json!({ "quiz": step, "question": quiz.question, "choices": quiz.choices });
        let event = self.quiz_event(QUIZ_QUESTION, facts, t_us);
        self.last(&event);
    }

    pub fn answer(&mut self, asked: &Asked, quiz: &Quiz, t_us: u64) {
        let facts = json!({
            "quiz": asked.step,
            "answer": asked.answer,
            "given": asked.given,
            "right_answer": quiz.right,
            "correct": asked.is_right(),
        });
        let event = self.quiz_event(QUIZ_ANSWER, facts, t_us);
        self.show(&event);
    }

    pub fn reveal(&mut self, asked: &Asked, quiz: &Quiz, paragraphs: &[String], t_us: u64) {
        let facts = json!({
            "quiz": asked.step,
            "right_answer": quiz.right,
            "correct": asked.is_right(),
            "explanation": paragraphs.join("\n"),
        });
        let event = self.quiz_event(QUIZ_REVEAL, facts, t_us);
        self.show(&event);
    }

    /// Facts in a reveal's explanation are plain text.
    pub fn reveal_style(&self) -> Style {
        Style::Plain
    }

    /// An event of procdemo's own about the quiz, at the quiz's moment `t_us`.
    fn quiz_event(&self, step: &str, facts: Value, t_us: u64) -> Event {
        let mut event = Event::observed(self.lesson, self.started, "parent", step, facts);
        event.t_us = t_us;
        event
    }
}
