//! `--quiz`: predict, then see. A question is asked before the step it
//! belongs to is shown; once the lesson has moved past that step, the reveal
//! gives the right answer with the facts this very run reported.
//!
//! [`QuizState`] decides *what* is due (a question, the reveals); the
//! printer decides how it looks.

mod explain;

use std::rc::Rc;

use super::ui::Words;
use crate::config::QuizMode;
use crate::model::{DONE, Event, Lang, Score};
use crate::text::{LessonText, Quiz};
pub use explain::{Style, placeholders};

/// The questions of one run: which were asked and answered, the evidence
/// each has gathered since, and which reveals are due.
pub struct QuizState {
    /// `--quiz`: questions are asked at all.
    asking: bool,
    text: Rc<LessonText>,
    /// The questions asked so far, in order.
    asked: Vec<Asked>,
    /// The time of procdemo's last event shown, and the time quiz events carry.
    own_t_us: u64,
    t_us: u64,
}

/// A reveal that is due: the question asked, and its explanation with this
/// run's facts.
pub struct Due {
    /// Which question, in the order asked (see [`QuizState::asked`]).
    pub at: usize,
    pub quiz: Quiz,
    pub paragraphs: Vec<String>,
}

impl QuizState {
    pub fn new(mode: QuizMode, text: Rc<LessonText>) -> Self {
        Self {
            asking: mode == QuizMode::Ask,
            text,
            asked: Vec::new(),
            own_t_us: 0,
            t_us: 0,
        }
    }

    /// Sees an event shown (`own` when procdemo itself reported it): an
    /// unrevealed question of its step keeps it as evidence.
    pub fn observe(&mut self, event: &Event, own: bool) {
        if own {
            self.own_t_us = self.own_t_us.max(event.t_us);
        }
        if let Some(asked) = self
            .asked
            .iter_mut()
            .find(|asked| !asked.revealed && asked.step == event.step)
        {
            asked.evidence.push(event.clone());
        }
    }

    /// Quiz events belong to the moment before `next`: procdemo's own next
    /// event (`own`), or its last one, so that their `t_us` never go back.
    pub fn set_moment(&mut self, next: &Event, own: bool) {
        self.t_us = if own { next.t_us } else { self.own_t_us };
    }

    /// The time quiz events carry now.
    pub fn t_us(&self) -> u64 {
        self.t_us
    }

    /// The question to ask before `step` is shown, if `--quiz` asks, the
    /// step has one, and it was not asked yet.
    pub fn question(&self, step: &str) -> Option<Quiz> {
        if !self.asking || self.asked.iter().any(|asked| asked.step == step) {
            return None;
        }
        self.text.step(step)?.1.quiz.clone()
    }

    pub fn answered(&mut self, asked: Asked) {
        self.asked.push(asked);
    }

    /// A question asked, counted from 0 in the order asked.
    pub fn asked(&self, at: usize) -> &Asked {
        &self.asked[at]
    }

    /// The reveals due before `next_step`, marked as revealed: those of the
    /// quizzes whose step is over (the lesson reached a step further on in
    /// the text, shown for the first time: `next_is_new`), as soon as their
    /// evidence is complete; all of them, with what came, at the end. A step
    /// that alternates with another (a child's report, then the parent's) is
    /// not over when the other one comes back.
    pub fn due(
        &mut self,
        next_step: &str,
        next_is_new: bool,
        lang: Lang,
        style: Style,
    ) -> Vec<Due> {
        let at_end = next_step == DONE;
        if !at_end && !next_is_new {
            return Vec::new();
        }
        let text = &self.text;
        let position_of = |step: &str| text.step(step).map(|(position, _)| position);
        let next_position = position_of(next_step);
        let mut due = Vec::new();
        for (at, asked) in self.asked.iter_mut().enumerate() {
            if asked.revealed || (!at_end && next_position <= position_of(&asked.step)) {
                continue;
            }
            let Some(quiz) = text
                .step(&asked.step)
                .and_then(|(_, step)| step.quiz.as_ref())
            else {
                continue;
            };
            let missing = at_end.then_some("?");
            let words = Words::new(lang, text);
            let Some(paragraphs) =
                explain::explanation(quiz, &asked.evidence, words, style, missing)
            else {
                continue;
            };
            asked.revealed = true;
            due.push(Due {
                at,
                quiz: quiz.clone(),
                paragraphs,
            });
        }
        due
    }

    /// With `--quiz`, how the questions went.
    pub fn score(&self) -> Option<Score> {
        self.asking.then(|| Score {
            asked: self.asked.len(),
            right: self.asked.iter().filter(|asked| asked.is_right()).count(),
        })
    }
}

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

/// The answer typed, if it names one of `choices` choices.
pub fn parse_answer(line: &str, choices: usize) -> Option<usize> {
    line.trim()
        .trim_end_matches([')', '.'])
        .parse::<usize>()
        .ok()
        .filter(|choice| (1..=choices).contains(choice))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_numbers_among_the_choices() {
        assert_eq!(parse_answer(" 2\n", 3), Some(2));
        assert_eq!(parse_answer("3)", 3), Some(3));
        assert_eq!(parse_answer("4", 3), None);
        assert_eq!(parse_answer("0", 3), None);
        assert_eq!(parse_answer("two", 3), None);
    }
}
