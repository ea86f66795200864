//! The only code that writes to the terminal. The lab hands it every event,
//! the parent's and the children's, in the order they arrived; it prints the
//! lesson text of each new step and then the evidence, or in `--json` mode one
//! JSON object per line and nothing else.

pub mod event;
mod human;
mod timeline;
mod trace;
mod tree;
pub mod ui;

use std::io::{self, IsTerminal, Write};
use std::os::fd::BorrowedFd;

use colored::Colorize;

use crate::config::{Config, Output, StepMode};
use crate::os::terminal::{self, Input};
use crate::text::LessonText;
pub use event::{CHILD_FAILED, DONE, ENDED, Event, FORKED, REAPED, facts};

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
    text: LessonText,
    shown: Vec<String>,
    current: Option<String>,
    trace: trace::Recorder,
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
    pub fn new(config: Config, text: LessonText) -> Self {
        colored::control::set_override(config.color);
        Self {
            config,
            text,
            shown: Vec::new(),
            current: None,
            trace: trace::Recorder::default(),
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
                write_err(&format!(
                    "{}\n",
                    ui::step_needs_terminal(self.config.lang).yellow()
                ));
            }
        }
    }

    /// True when this step's text has not been shown yet: the lab pauses
    /// before such a step.
    pub fn is_new_step(&self, step: &str) -> bool {
        step != DONE && !self.shown.iter().any(|shown| shown == step)
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
        loop {
            match terminal::read_line_or_wake(wake) {
                Ok(Input::Line(line)) if line.trim().eq_ignore_ascii_case("q") => {
                    return Answer::Quit;
                }
                Ok(Input::Line(_)) => return Answer::Next,
                Ok(Input::Woken) if interrupted() => {
                    write_out("\n");
                    return Answer::Woken;
                }
                Ok(Input::Woken) => {}
                Ok(Input::Closed) | Err(_) => {
                    // Nobody can press Enter any more: carry on without pauses.
                    self.config.step = StepMode::Continuous;
                    write_out("\n");
                    return Answer::Next;
                }
            }
        }
    }

    pub fn show(&mut self, event: &Event) {
        self.trace.record(event);
        if event.step == DONE {
            self.write_trace(&event.lesson);
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
            write_out(&human::done(event, lang));
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
        self.trace.record(event);
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
        self.trace.record(event);
        self.write_trace(&event.lesson);
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
        self.config.output == Output::Json || self.config.trace.is_some()
    }

    /// A bulk event nobody needs in full: it only moves the progress bar.
    pub fn count(&mut self, step: &str) {
        if let Some(bulk) = &self.bulk
            && bulk.counted == step
        {
            bulk.bar.inc(1);
        }
    }

    fn write_trace(&self, lesson: &str) {
        let Some(path) = &self.config.trace else {
            return;
        };
        if let Err(error) = self.trace.write(path, lesson) {
            write_err(&format!(
                "procdemo: could not write the trace to {}: {error}\n",
                path.display()
            ));
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

pub fn write_err(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Prints the lessons for `procdemo list`.
pub fn list(lessons: &[(&str, &[&[&str]], LessonText)], output: Output) {
    match output {
        Output::Json => {
            for (id, coverage_runs, text) in lessons {
                let line = serde_json::json!({
                    "lesson": id,
                    "title": text.title,
                    "summary": text.summary,
                    "coverage_runs": coverage_runs,
                });
                write_out(&format!("{line}\n"));
            }
        }
        Output::Human => {
            let width = lessons.iter().map(|(id, _, _)| id.len()).max().unwrap_or(0);
            for (id, _, text) in lessons {
                write_out(&format!(
                    "  {}  {}\n",
                    format!("{id:width$}").bold(),
                    human::inline_code(&text.summary)
                ));
            }
        }
    }
}
