//! The only code that writes to the terminal. The lab hands it every event,
//! the parent's and the children's, in the order they arrived; it prints the
//! lesson text of each new step and then the evidence, or in `--json` mode one
//! JSON object per line and nothing else.
//!
//! The [`Narrator`] decides what comes when: prompts, the quiz's questions
//! and reveals (with [`quiz::QuizState`] deciding which are due), a new
//! screen for each step, and how long a step is given to be read. One
//! `printer::Printer`, for people or for JSON, decides how each looks; the
//! `--trace` recorder observes every event, whichever printer shows it.
//!
//! The lesson (text, evidence, pictures, reveals) goes to stdout; the
//! conversation (prompts, questions, the progress bar) to stderr, so that
//! `procdemo fork > lesson.txt` keeps the whole lesson and `| tee log` shows
//! the prompts on the terminal without writing them in the log.

mod course;
mod human;
mod layout;
pub mod observe;
mod palette;
mod printer;
pub mod quiz;
mod screen;
mod timeline;
mod trace;
mod tree;
pub mod ui;
pub mod watch;

use std::io::{self, Write};
use std::os::fd::BorrowedFd;
use std::rc::Rc;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use crate::config::{Config, StepMode};
use crate::model::{DONE, Event, Lang, Score};
use crate::os;
use crate::os::terminal::{self, Input};
use crate::text::{LessonText, Quiz};
pub use course::{
    Listed, ask_reset, can_ask, lesson_end, list, progress_not_saved, progress_notice, reset_done,
    reset_kept, reset_needs_yes, reset_nothing, tour_end, tour_heading, tour_prompt, welcome,
};
pub use layout::fit;
use printer::{Heard, Printer};
use quiz::{Asked, QuizState};
pub use screen::Screen;
pub use trace::empty as empty_trace;

/// Ctrl-D at a question on a terminal ends the questions for the whole run
/// (every lesson of a tour), not for the lesson alone.
static QUESTIONS_ENDED: AtomicBool = AtomicBool::new(false);

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
    /// Writing to stdout failed (`Stop::Output`).
    Output(Errno),
}

pub struct Narrator {
    lang: Lang,
    step: StepMode,
    pace: f64,
    /// A lesson of a tour: the tour asked before it began.
    in_tour: bool,
    own_pid: i32,
    printer: Printer,
    quiz: QuizState,
    /// `--trace`: an observer of every event shown.
    trace: Option<trace::Recorder>,
    /// Why the trace could not be written: the lab fails the lesson.
    trace_failure: Option<String>,
    /// The step people were already brought to (see [`Narrator::turned_to`]):
    /// its first event is shown without another pause.
    turned_to: Option<String>,
}

impl Narrator {
    pub fn new(config: Config, text: LessonText, lesson: &'static str, started: Instant) -> Self {
        let text = Rc::new(text);
        Self {
            lang: config.lang,
            step: config.step,
            pace: config.pace,
            in_tour: config.in_tour,
            own_pid: std::process::id() as i32,
            printer: Printer::new(
                config.output,
                config.lang,
                Rc::clone(&text),
                lesson,
                started,
                Screen::of(&config),
            ),
            quiz: QuizState::new(config.quiz, text),
            trace: config
                .trace
                .map(|path| trace::Recorder::new(path, config.lang)),
            trace_failure: None,
            turned_to: None,
        }
    }

    /// The steps this run reports, in order: "step N of M" counts them.
    pub fn plan(&mut self, steps: Vec<String>) {
        self.printer.plan(steps);
    }

    /// Events at these steps come in bulk: people see a progress bar (on a
    /// terminal) that advances with each `counted` one, out of `total`.
    pub fn in_bulk(&mut self, steps: &[&str], counted: &str, total: u64) {
        self.printer.in_bulk(steps, counted, total);
    }

    pub fn begin(&mut self) {
        self.printer.top();
        self.printer.begin();
        // `--step` comes only with text for people (see `Config::new`).
        if self.step == StepMode::PauseBeforeEachStep && !terminal::stdin_is_terminal() {
            self.step = StepMode::Continuous;
            step_needs_terminal(self.lang);
        }
    }

    /// True when this step's text has not been shown yet: the lab pauses
    /// before such a step.
    pub fn is_new_step(&self, step: &str) -> bool {
        self.printer.is_new_step(step)
    }

    /// True when `step` is not the step being shown: the moment to reveal
    /// the answers of quizzes whose step is over.
    pub fn is_step_change(&self, step: &str) -> bool {
        self.printer.is_step_change(step)
    }

    /// How long to pause before `step`, for the reader to finish the one
    /// shown: on a screen, as long as its text takes to read (see
    /// [`screen::ENGLISH_WORDS_PER_MINUTE`]), else a beat; scaled by
    /// `--pace`. `None` when a prompt will wait instead, or nobody reads.
    pub fn reading_pause(&self, step: &str) -> Option<Duration> {
        if !self.for_people() || !self.is_new_step(step) || self.is_turned_to(step) {
            return None;
        }
        if self.step == StepMode::PauseBeforeEachStep {
            return None;
        }
        let reading = match self.printer.reading_time() {
            // The first step shares the heading's screen: nothing to clear.
            Some(_) if !self.printer.has_shown_a_step() => return None,
            Some(reading) => reading.max(screen::BEAT),
            None => screen::BEAT,
        };
        Some(reading.mul_f64(self.pace))
    }

    /// Marks `step` as the one people have been brought to by a
    /// [`Narrator::before_step`] ahead of its first event, which then
    /// follows without another pause (only a new screen).
    pub fn turned_to(&mut self, step: &str) {
        self.turned_to = Some(step.to_string());
    }

    fn is_turned_to(&self, step: &str) -> bool {
        self.turned_to.as_deref() == Some(step)
    }

    /// Everything that comes before the first event of another step: the
    /// reveals that are due, then for a new step its question (`--quiz`) or
    /// the Enter prompt, and a new screen.
    /// `ahead`: the lesson asks before it acts for `next` (see
    /// [`Narrator::turned_to`]); the step on screen stays until `next`'s
    /// first event.
    pub fn before_step(
        &mut self,
        next: &Event,
        ahead: bool,
        wake: BorrowedFd<'_>,
        interrupted: impl Fn() -> bool,
    ) -> Answer {
        self.quiz.set_moment(next, next.pid == self.own_pid);
        let step = next.step.as_str();
        let revealed = match self.reveal_due(step) {
            Ok(revealed) => revealed,
            Err(stop) => return stop,
        };
        if !self.is_new_step(step) {
            return Answer::Next;
        }
        let first = !self.printer.has_shown_a_step();
        if self.turned_to.take().is_some_and(|turned| turned == step) {
            if !first {
                self.printer.top();
            }
            return Answer::Next;
        }
        let question = self
            .quiz
            .question(step)
            .filter(|_| !QUESTIONS_ENDED.load(Ordering::Relaxed));
        let answer = match question {
            Some(quiz) => self.aside(|narrator| narrator.ask_quiz(step, &quiz, wake, interrupted)),
            // The tour's prompt stood for the first step's.
            None if first && self.in_tour => Answer::Next,
            None if self.step == StepMode::PauseBeforeEachStep => {
                self.aside(|narrator| narrator.wait_for_enter(wake, interrupted))
            }
            // A reveal is the moment of the lesson: it stays until Enter.
            None if revealed && self.can_wait_for_enter() => {
                self.aside(|narrator| narrator.wait_for_enter(wake, interrupted))
            }
            None => Answer::Next,
        };
        // The lesson's heading shares the first step's screen.
        if matches!(answer, Answer::Next) && !first && !ahead {
            self.printer.top();
        }
        answer
    }

    /// Runs `talk` (a prompt and its answer) with the progress bar off the
    /// terminal, where the conversation stands instead; the bar comes back
    /// below it.
    fn aside<T>(&mut self, talk: impl FnOnce(&mut Self) -> T) -> T {
        match self.printer.visible_bar() {
            Some(bar) => bar.suspend(|| talk(self)),
            None => talk(self),
        }
    }

    /// True when a person at the terminal can press Enter, and would see
    /// the prompt.
    fn can_wait_for_enter(&self) -> bool {
        self.printer.reading_time().is_some() && terminal::stdin_is_terminal()
    }

    /// With `--quiz`, how the questions went.
    pub fn quiz_score(&self) -> Option<Score> {
        self.quiz.score()
    }

    /// True when a person is watching, so the show may have a rhythm.
    pub fn for_people(&self) -> bool {
        self.printer.for_people()
    }

    /// The Enter prompt, on stderr: the conversation, never the lesson.
    /// `interrupted` is asked whenever a signal wakes the wait: SIGCHLD only
    /// means a child ended, and the prompt goes on waiting.
    fn wait_for_enter(&mut self, wake: BorrowedFd<'_>, interrupted: impl Fn() -> bool) -> Answer {
        write_err(&human::prompt(
            &format!("⏎ {}", ui::prompt(self.lang)),
            palette::muted,
        ));
        match read_reply(wake, interrupted) {
            Reply::Quit => Answer::Quit,
            Reply::Line(_) => Answer::Next,
            Reply::Interrupted => {
                write_err("\n");
                Answer::Woken
            }
            Reply::Closed => {
                // Nobody can press Enter any more: carry on without pauses.
                self.step = StepMode::Continuous;
                write_err("\n");
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
        let t_us = self.quiz.t_us();
        let choices = quiz.choices.len();
        self.printer.question(step, quiz, t_us);
        let interactive = self.printer.for_people() && terminal::stdin_is_terminal();
        let asked = loop {
            match read_reply(wake, &interrupted) {
                Reply::Quit => return Answer::Quit,
                Reply::Line(line) => {
                    let answer = quiz::parse_answer(&line, choices);
                    if answer.is_none() && interactive {
                        self.printer.heard(Heard::NotAChoice(choices));
                        continue;
                    }
                    if !interactive {
                        self.printer.heard(Heard::Piped(line.trim()));
                    }
                    break Asked::new(step, quiz, answer, Some(line.trim().to_string()));
                }
                Reply::Interrupted => {
                    self.printer.heard(Heard::Interrupted);
                    return Answer::Woken;
                }
                // Ctrl-D: the person is done with questions, not with the lesson.
                Reply::Closed if interactive => {
                    QUESTIONS_ENDED.store(true, Ordering::Relaxed);
                    self.printer.heard(Heard::Ended);
                    break Asked::new(step, quiz, None, None);
                }
                Reply::Closed => {
                    self.printer.heard(Heard::Closed);
                    break Asked::new(step, quiz, None, None);
                }
            }
        };
        self.printer.answer(&asked, quiz, t_us);
        self.quiz.answered(asked);
        Answer::Next
    }

    /// Shows the reveals due before `next_step` (see [`QuizState::due`]);
    /// true if there were any. `Err` when the reader ended the lesson at a
    /// "more" prompt.
    fn reveal_due(&mut self, next_step: &str) -> Result<bool, Answer> {
        let next_is_new = self.is_new_step(next_step);
        let style = self.printer.reveal_style();
        let due = self.quiz.due(next_step, next_is_new, self.lang, style);
        for due in &due {
            let asked = self.quiz.asked(due.at);
            match self
                .printer
                .reveal(asked, &due.quiz, &due.paragraphs, self.quiz.t_us())
            {
                Answer::Next => {}
                stop => return Err(stop),
            }
        }
        Ok(!due.is_empty())
    }

    /// Shows `event`; `Quit` or `Woken` when the reader ended the lesson at
    /// a "more" prompt.
    pub fn show(&mut self, event: &Event) -> Answer {
        self.quiz.observe(event, event.pid == self.own_pid);
        self.record(event);
        if event.step == DONE {
            self.save_trace(&event.lesson);
            if self.trace_failure.is_some() {
                // Not done as asked: the lab fails the lesson instead.
                return Answer::Next;
            }
            self.printer.done(event, self.quiz.score())
        } else {
            self.printer.show(event)
        }
    }

    /// An event read after the lesson stopped: kept in the JSON record (and
    /// the trace) only.
    pub fn show_late(&mut self, event: &Event) {
        self.record(event);
        self.printer.show_late(event);
    }

    /// The lesson stopped early: the `ended` event in JSON, one line on stderr
    /// for people.
    pub fn ended(&mut self, event: &Event, ending: Ending<'_>, reaped: u64) {
        self.printer.stop();
        self.record(event);
        let failed_before = self.trace_failure.is_some();
        self.save_trace(&event.lesson);
        self.printer.ended(event);
        // The lesson ended for another reason, which its line says: the
        // trace's failure is said on a line of its own.
        if let Some(failure) = self.trace_failure.as_ref().filter(|_| !failed_before) {
            procdemo_failed(self.lang, &anyhow::anyhow!("{failure}"));
        }
        let line = match ending {
            Ending::Signal(signal) => ui::interrupted(self.lang, signal, reaped),
            Ending::Quit => ui::quit(self.lang, reaped),
            Ending::Failed(error) => {
                ui::failed(self.lang, &ui::cli::with_gloss(self.lang, &error), reaped)
            }
            // Nobody reads any more: nothing to say, as after a SIGPIPE death.
            Ending::Output(Errno::EPIPE) => return,
            Ending::Output(errno) => {
                STDOUT_FAILURE_SAID.store(true, Ordering::Relaxed);
                ui::cli::stdout_failed(self.lang, errno, Some(reaped))
            }
        };
        write_err(&format!("{}\n", for_stderr(&line)));
    }

    /// Writes whatever the printer keeps waiting (JSON lines).
    pub fn flush(&mut self) {
        self.printer.flush();
    }

    /// True when a bulk event must really be made: for JSON or a trace.
    pub fn needs_every_event(&self) -> bool {
        self.printer.needs_every_event() || self.trace.is_some()
    }

    /// A bulk event nobody needs in full: it only moves the progress bar.
    pub fn count(&mut self, step: &str) {
        self.printer.count(step);
    }

    /// Hands `event` to the trace, the narration's one observer.
    fn record(&mut self, event: &Event) {
        if let Some(trace) = &mut self.trace {
            trace.record(event);
        }
    }

    /// Writes the trace, unless writing it failed already.
    fn save_trace(&mut self, lesson: &str) {
        if let Some(trace) = self.trace.as_ref().filter(|_| self.trace_failure.is_none())
            && let Err(error) = trace.save(lesson)
        {
            self.trace_failure = Some(format!("{error:#}"));
        }
    }

    /// An error once the `--trace` file could not be written.
    pub fn trace_failed(&self) -> anyhow::Result<()> {
        match &self.trace_failure {
            Some(failure) => Err(anyhow::anyhow!("{failure}")),
            None => Ok(()),
        }
    }
}

impl Drop for Narrator {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Whether everything written from now on may be coloured.
pub fn use_colour(on: bool) {
    colored::control::set_override(on);
}

/// Writes to stdout, until a write fails: the first failure is kept (see
/// [`stdout_failed`]) and nothing more is written, for the lab to stop the
/// lesson and `main` to exit with what it means.
fn write_out(text: &str) {
    write_bytes(text.as_bytes());
}

/// The first error writing to stdout, as a raw errno (0: none yet).
static STDOUT_FAILED: AtomicI32 = AtomicI32::new(0);
/// Whether stdout was closed when procdemo started, looked at once.
static STDOUT_CHECKED: Once = Once::new();
/// The lesson's end said why stdout failed: `main` does not say it again.
static STDOUT_FAILURE_SAID: AtomicBool = AtomicBool::new(false);

/// Why stdout can take no more, if it cannot: `EPIPE` when its reader went
/// away, `EBADF` when it was closed, else the error a write got.
pub fn stdout_failed() -> Option<Errno> {
    STDOUT_CHECKED.call_once(|| {
        if os::stdout::closed_at_start() {
            stdout_failed_with(Errno::EBADF);
        }
    });
    match STDOUT_FAILED.load(Ordering::Relaxed) {
        0 => None,
        raw => Some(Errno::from_raw(raw)),
    }
}

/// The reader of stdout went away while procdemo was writing nothing.
pub fn stdout_reader_gone() {
    stdout_failed_with(Errno::EPIPE);
}

fn stdout_failed_with(errno: Errno) {
    // The first failure is the cause; later ones follow from it.
    let _ = STDOUT_FAILED.compare_exchange(0, errno as i32, Ordering::Relaxed, Ordering::Relaxed);
}

/// When stdout failed (see [`stdout_failed`]): one line saying why, unless
/// the lesson's end said it already, or the reader went away (a program
/// whose reader left says nothing, like one killed by SIGPIPE).
/// Once stdout failed, whatever wrote it: the failure said (see
/// `say_stdout_failed`) and the exit status for it, 141 when its reader
/// went away, as a shell reports a program killed by SIGPIPE (128 + 13;
/// procdemo, like every Rust program, ignores SIGPIPE so that it can clean
/// up first), and 1 for any other error. `None` while stdout is fine.
pub fn stdout_exit_status(lang: Lang) -> Option<u8> {
    let errno = stdout_failed()?;
    say_stdout_failed(lang);
    Some(exit_status_for(errno))
}

/// The exit status for stdout failing with `errno` (see `stdout_exit_status`).
pub fn exit_status_for(errno: Errno) -> u8 {
    match errno {
        Errno::EPIPE => os::signals::shell_exit_code(nix::sys::signal::Signal::SIGPIPE),
        _ => 1,
    }
}

pub fn say_stdout_failed(lang: Lang) {
    match stdout_failed() {
        Some(Errno::EPIPE) | None => {}
        Some(_) if STDOUT_FAILURE_SAID.load(Ordering::Relaxed) => {}
        Some(errno) => write_err(&format!("{}\n", ui::cli::stdout_failed(lang, errno, None))),
    }
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
            // Nobody reads the lesson any more: the lab stops it.
            Ok(Input::Woken) if os::stdout::is_pipe_or_socket() && os::stdout::reader_gone() => {
                stdout_reader_gone();
                return Reply::Interrupted;
            }
            Ok(Input::Woken) => {}
            Ok(Input::Closed) | Err(_) => return Reply::Closed,
        }
    }
}

/// `--step` without a terminal on stdin: said once, then no pauses.
pub fn step_needs_terminal(lang: crate::model::Lang) {
    write_err(&format!(
        "{}\n",
        palette::Ink::Bad.paint(ui::step_needs_terminal(lang))
    ));
}

/// Bytes for stdout, made by procdemo or by a library (a completion
/// script, a manual page); nothing once a write to stdout has failed.
pub fn write_bytes(bytes: &[u8]) {
    if stdout_failed().is_some() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(error) = out.write_all(bytes).and_then(|()| out.flush()) {
        stdout_failed_with(os::stdout::errno_of(&error));
    }
}

/// procdemo's own failure, as `main` ends with it, in `lang`.
pub fn procdemo_failed(lang: Lang, error: &anyhow::Error) {
    write_err(&ui::cli::procdemo_failed(lang, error));
}

/// What `procdemo man --dir` wrote.
pub fn manual_written(lang: Lang, dir: &std::path::Path, pages: &[String]) {
    write_err(&ui::cli::man_written(
        lang,
        &dir.display().to_string(),
        &pages.join(ui::list_separator(lang)),
    ));
}

pub fn write_err(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// `line` broken between words where stderr is a terminal, which would
/// otherwise break it anywhere ("reaped i / n all").
fn for_stderr(line: &str) -> String {
    match terminal::size().filter(|_| terminal::stderr_is_terminal()) {
        Some(size) => layout::fit(line, size.columns),
        None => line.to_string(),
    }
}
