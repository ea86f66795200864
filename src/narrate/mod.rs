//! The only code that writes to the terminal. The lab hands it every event,
//! the parent's and the children's, in the order they arrived; it prints the
//! lesson text of each new step and then the evidence, or in `--json` mode one
//! JSON object per line and nothing else.

mod course;
mod human;
pub mod quiz;
mod timeline;
mod trace;
mod tree;
pub mod ui;

use std::io::{self, IsTerminal, Write};
use std::os::fd::BorrowedFd;
use std::rc::Rc;
use std::time::Instant;

use colored::Colorize;

use crate::config::{Config, Output, StepMode};
use crate::model::{DONE, Event, QUIZ_ANSWER, QUIZ_QUESTION, QUIZ_REVEAL, Score};
use crate::os::terminal::{self, Input};
use crate::text::{LessonText, Quiz};
pub use course::{
    Listed, ask_reset, can_ask, list, progress_not_saved, progress_notice, reset_done, reset_kept,
    reset_nothing, tour_end, tour_heading, tour_prompt, welcome,
};
use quiz::{Asked, QuizState, Style};

/// What the person at the keyboard asked for at a step prompt.
pub enum Answer {
    Next,
    Quit,
    /// A signal arrived while waiting: the caller checks which.
    Woken,
}

/// Why a lesson ended before its `done`.
pub enum Ending<'a> {
    Signal(&'a str),
    Quit,
    Failed(String),
}

pub struct Narrator {
    config: Config,
    text: Rc<LessonText>,
    lesson: &'static str,
    started: Instant,
    quiz: QuizState,
    own_pid: i32,
    shown: Vec<String>,
    current: Option<String>,
    /// `--trace`: sees every event shown.
    trace: Option<trace::Recorder>,
    bulk: Option<Bulk>,
    /// JSON lines wait here until the lab is about to sleep or the lesson
    /// ends: one write() for many events.
    json: String,
}

/// Steps shown as a progress bar rather than line by line.
struct Bulk {
    steps: Vec<String>,
    counted: String,
    bar: indicatif::ProgressBar,
}

impl Narrator {
    pub fn new(config: Config, text: LessonText, lesson: &'static str, started: Instant) -> Self {
        colored::control::set_override(config.color);
        let trace = config.trace.clone().map(trace::Recorder::new);
        let text = Rc::new(text);
        Self {
            quiz: QuizState::new(config.quiz, Rc::clone(&text)),
            config,
            text,
            lesson,
            started,
            own_pid: std::process::id() as i32,
            shown: Vec::new(),
            current: None,
            trace,
            bulk: None,
            json: String::new(),
        }
    }

    pub fn in_bulk(&mut self, steps: &[&str], counted: &str, total: u64) {
        // On a terminal only, and never in JSON; no steady tick: a tick
        // thread would make procdemo multi-threaded at its next fork.
        let bar = if self.config.output == Output::Human && std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::hidden()
        };
        self.bulk = Some(Bulk {
            steps: steps.iter().map(|step| step.to_string()).collect(),
            counted: counted.to_string(),
            bar,
        });
    }

    pub fn begin(&mut self) {
        if self.config.output == Output::Human {
            write_out(&human::header(&self.text));
            if self.config.step == StepMode::PauseBeforeEachStep && !terminal::stdin_is_terminal() {
                self.config.step = StepMode::Continuous;
                step_needs_terminal(self.config.lang);
            }
        }
    }

    /// True when this step's text has not been shown yet: the lab pauses
    /// before such a step.
    pub fn is_new_step(&self, step: &str) -> bool {
        step != DONE && !self.shown.iter().any(|shown| shown == step)
    }

    /// True when `step` is not the step being shown: the moment to reveal
    /// the answers of quizzes whose step is over.
    pub fn is_step_change(&self, step: &str) -> bool {
        self.current.as_deref() != Some(step)
    }

    /// Everything that comes before the first event of another step: the
    /// reveals that are due, then for a new step its question (`--quiz`) or
    /// the Enter prompt (`--step`).
    pub fn before_step(
        &mut self,
        next: &Event,
        wake: BorrowedFd<'_>,
        interrupted: impl Fn() -> bool,
    ) -> Answer {
        self.quiz.set_moment(next, next.pid == self.own_pid);
        let step = next.step.as_str();
        self.reveal_due(step);
        if !self.is_new_step(step) {
            return Answer::Next;
        }
        match self.quiz.question(step) {
            Some(quiz) => self.ask_quiz(step, &quiz, wake, interrupted),
            None => self.ask_to_continue(wake, interrupted),
        }
    }

    /// With `--quiz`, how the questions went.
    pub fn quiz_score(&self) -> Option<Score> {
        self.quiz.score()
    }

    /// True when a person is watching, so the show may have a rhythm.
    pub fn for_people(&self) -> bool {
        self.config.output == Output::Human
    }

    /// Waits for Enter in `--step` mode; answers `Next` at once otherwise.
    /// `interrupted` is asked whenever a signal wakes the wait: SIGCHLD only
    /// means a child ended, and the prompt goes on waiting.
    pub fn ask_to_continue(
        &mut self,
        wake: BorrowedFd<'_>,
        interrupted: impl Fn() -> bool,
    ) -> Answer {
        if self.config.step != StepMode::PauseBeforeEachStep {
            return Answer::Next;
        }
        write_out(&format!(
            "  {} ",
            format!("⏎ {}", ui::prompt(self.config.lang)).dimmed()
        ));
        match read_reply(wake, interrupted) {
            Reply::Quit => Answer::Quit,
            Reply::Line(_) => Answer::Next,
            Reply::Interrupted => {
                write_out("\n");
                Answer::Woken
            }
            Reply::Closed => {
                // Nobody can press Enter any more: carry on without pauses.
                self.config.step = StepMode::Continuous;
                write_out("\n");
                Answer::Next
            }
        }
    }

    /// Asks the question of `step` and reads the answer. On a terminal a
    /// reply that is not a choice is asked again; from a pipe it counts as
    /// given (wrong), so a grader's answers never fall out of step.
    fn ask_quiz(
        &mut self,
        step: &str,
        quiz: &Quiz,
        wake: BorrowedFd<'_>,
        interrupted: impl Fn() -> bool,
    ) -> Answer {
        let lang = self.config.lang;
        let people = self.config.output == Output::Human;
        let choices = quiz.choices.len();
        if people {
            write_out(&quiz::question(quiz, lang));
        } else {
            let event = self.quiz_event(QUIZ_QUESTION, quiz::question_facts(step, quiz));
            self.write_json(&event);
            self.flush();
        }
        let interactive = people && terminal::stdin_is_terminal();
        let prompt = format!("  {} ", ui::quiz_prompt(lang, choices).bold());
        if people {
            write_out(&prompt);
        }
        let asked = loop {
            match read_reply(wake, &interrupted) {
                Reply::Quit => return Answer::Quit,
                Reply::Line(line) => {
                    let answer = quiz::parse_answer(&line, choices);
                    if answer.is_none() && interactive {
                        write_out(&format!(
                            "  {}\n{prompt}",
                            ui::quiz_retry(lang, choices).yellow()
                        ));
                        continue;
                    }
                    if people && !interactive {
                        // Nobody typed it here: show what the pipe answered.
                        write_out(&format!("{}\n", line.trim()));
                    }
                    break Asked::new(step, quiz, answer, Some(line.trim().to_string()));
                }
                Reply::Interrupted => {
                    if people {
                        write_out("\n");
                    }
                    return Answer::Woken;
                }
                Reply::Closed => {
                    if people {
                        write_out(&format!("{}\n", ui::quiz_stdin_closed(lang).dimmed()));
                    }
                    break Asked::new(step, quiz, None, None);
                }
            }
        };
        if !people {
            let event = self.quiz_event(QUIZ_ANSWER, quiz::answer_facts(&asked, quiz));
            self.write_json(&event);
        }
        self.quiz.answered(asked);
        Answer::Next
    }

    /// Shows the reveals due before `next_step` (see [`QuizState::due`]).
    fn reveal_due(&mut self, next_step: &str) {
        let lang = self.config.lang;
        let style = if self.config.output == Output::Human {
            Style::Bold
        } else {
            Style::Plain
        };
        let next_is_new = self.is_new_step(next_step);
        for due in self.quiz.due(next_step, next_is_new, lang, style) {
            let asked = self.quiz.asked(due.at);
            if self.config.output == Output::Human {
                write_out(&quiz::reveal(asked, &due.quiz, &due.paragraphs, lang));
            } else {
                let facts = serde_json::json!({
                    "quiz": asked.step,
                    "right_answer": due.quiz.right,
                    "correct": asked.is_right(),
                    "explanation": due.paragraphs.join("\n"),
                });
                let event = self.quiz_event(QUIZ_REVEAL, facts);
                self.write_json(&event);
            }
        }
    }

    fn quiz_event(&self, step: &str, facts: serde_json::Value) -> Event {
        let mut event = Event::observed(self.lesson, self.started, "parent", step, facts);
        event.t_us = self.quiz.t_us();
        event
    }

    pub fn show(&mut self, event: &Event) {
        self.quiz.observe(event, event.pid == self.own_pid);
        self.record(event);
        if event.step == DONE {
            self.save_trace(&event.lesson);
        }
        if self.config.output == Output::Json {
            self.write_json(event);
            if event.step == DONE {
                self.flush();
            }
            return;
        }
        let lang = self.config.lang;
        if let Some(bulk) = &self.bulk
            && bulk.steps.contains(&event.step)
        {
            if event.step == bulk.counted {
                bulk.bar.inc(1);
            }
            return;
        }
        if event.step == DONE {
            if let Some(bulk) = self.bulk.take() {
                bulk.bar.finish_and_clear();
            }
            write_out(&human::done(event, ui::Words::new(lang, &self.text)));
            if let Some(score) = self.quiz_score() {
                write_out(&format!(
                    "{}\n",
                    ui::quiz_score(lang, score.right, score.asked).bold()
                ));
            }
            return;
        }
        let mut out = String::new();
        if self.current.as_deref() != Some(event.step.as_str()) {
            let total = self.text.steps.len();
            match self.text.step(&event.step) {
                Some((position, step)) if self.is_new_step(&event.step) => {
                    out.push_str(&human::step(step, position, total, lang));
                }
                Some((_, step)) => out.push_str(&human::back_to(step, lang)),
                None => {}
            }
            self.shown.push(event.step.clone());
            self.current = Some(event.step.clone());
        }
        out.push_str(&human::evidence(event, &self.text, lang));
        match &self.bulk {
            // Printed above the bar, which then redraws below it.
            Some(bulk) if !bulk.bar.is_hidden() => bulk.bar.println(out.trim_end()),
            _ => write_out(&out),
        }
    }

    /// An event read after the lesson stopped: kept in the JSON record only.
    pub fn show_late(&mut self, event: &Event) {
        self.record(event);
        if self.config.output == Output::Json {
            self.write_json(event);
        }
    }

    /// The lesson stopped early: the `ended` event in JSON, one line on stderr
    /// for people.
    pub fn ended(&mut self, event: &Event, ending: Ending<'_>, reaped: u64) {
        if let Some(bulk) = self.bulk.take() {
            bulk.bar.finish_and_clear();
        }
        self.record(event);
        self.save_trace(&event.lesson);
        if self.config.output == Output::Json {
            self.write_json(event);
            self.flush();
        }
        let line = match ending {
            Ending::Signal(signal) => ui::interrupted(self.config.lang, signal, reaped),
            Ending::Quit => ui::quit(self.config.lang, reaped),
            Ending::Failed(error) => ui::failed(self.config.lang, &error, reaped),
        };
        write_err(&format!("{line}\n"));
    }
}

impl Narrator {
    fn write_json(&mut self, event: &Event) {
        self.json.push_str(&event.to_line());
        if self.json.len() > 64 * 1024 {
            self.flush();
        }
    }

    /// Writes the JSON lines waiting, if any.
    pub fn flush(&mut self) {
        if !self.json.is_empty() {
            write_out(&std::mem::take(&mut self.json));
        }
    }

    /// True when a bulk event must really be made: for JSON or a trace.
    pub fn needs_every_event(&self) -> bool {
        self.config.output == Output::Json || self.trace.is_some()
    }

    /// A bulk event nobody needs in full: it only moves the progress bar.
    pub fn count(&mut self, step: &str) {
        if let Some(bulk) = &self.bulk
            && bulk.counted == step
        {
            bulk.bar.inc(1);
        }
    }

    /// Hands `event` to the trace, the narration's one observer.
    fn record(&mut self, event: &Event) {
        if let Some(trace) = &mut self.trace {
            trace.record(event);
        }
    }

    fn save_trace(&self, lesson: &str) {
        if let Some(trace) = &self.trace {
            trace.save(lesson);
        }
    }
}

impl Drop for Narrator {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Writes to stdout, ignoring a closed pipe (`procdemo fork | head`): the
/// lesson must still clean up after itself.
fn write_out(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// What came on stdin when procdemo asked.
enum Reply {
    Line(String),
    /// `q`: end the lesson (or the tour).
    Quit,
    /// stdin is closed: nobody can answer any more.
    Closed,
    /// A stop signal arrived while waiting.
    Interrupted,
}

/// The next line on stdin. `interrupted` is asked whenever a signal wakes
/// the wait: SIGCHLD only means a child ended, and the wait goes on.
fn read_reply(wake: BorrowedFd<'_>, interrupted: impl Fn() -> bool) -> Reply {
    loop {
        match terminal::read_line_or_wake(wake) {
            Ok(Input::Line(line)) if line.trim().eq_ignore_ascii_case("q") => return Reply::Quit,
            Ok(Input::Line(line)) => return Reply::Line(line),
            Ok(Input::Woken) if interrupted() => return Reply::Interrupted,
            Ok(Input::Woken) => {}
            Ok(Input::Closed) | Err(_) => return Reply::Closed,
        }
    }
}

/// `--step` without a terminal on stdin: said once, then no pauses.
pub fn step_needs_terminal(lang: crate::model::Lang) {
    write_err(&format!("{}\n", ui::step_needs_terminal(lang).yellow()));
}

/// Bytes made by a library (a completion script, a manual page) for stdout.
pub fn write_bytes(bytes: &[u8]) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

pub fn write_err(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
