//! The lessons as one course: the welcome, `list` with the learner's
//! progress, `tour` (every lesson in order) and `reset`. Everything here
//! works from the registry, so a new lesson joins the course by its own
//! files alone.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::{Lang, ResetArgs};
use crate::config::{Config, LangSource, Output, StepMode};
use crate::lab::Stop;
use crate::lessons::{COURSE, Outcome};
use crate::narrate::quiz::Score;
use crate::narrate::{self, Answer, Listed};
use crate::os::pipe::wait_readable;
use crate::os::signals::{Signals, shell_exit_code};
use crate::progress::{self, Progress};

/// Between two lessons of a tour, without `--step`: time to read the
/// heading (scaled by `--pace`).
const TOUR_PAUSE: Duration = Duration::from_millis(1500);

/// `procdemo` alone: a welcome, the lessons with marks, and what to run next.
pub fn welcome(config: &Config) -> Result<()> {
    let (progress, notice) = progress::load();
    narrate::progress_notice(notice.as_ref(), config.lang);
    let listed = listed(config.lang, &progress)?;
    let next = next_command(&progress, config);
    narrate::welcome(&listed, &next, config.output, config.lang);
    Ok(())
}

/// `procdemo list`: every lesson with its summary and progress.
pub fn list(config: &Config) -> Result<()> {
    let (progress, notice) = progress::load();
    narrate::progress_notice(notice.as_ref(), config.lang);
    narrate::list(&listed(config.lang, &progress)?, config.output, config.lang);
    Ok(())
}

fn listed(lang: Lang, progress: &Progress) -> Result<Vec<Listed>> {
    COURSE
        .iter()
        .map(|lesson| {
            Ok(Listed {
                id: lesson.id,
                coverage_runs: lesson.coverage_runs,
                text: lesson.text(lang)?,
                progress: progress.lessons.get(lesson.id).cloned(),
            })
        })
        .collect()
}

/// The command a learner should type next: the first lesson not finished;
/// then the first whose quiz was never answered in full; `None` when every
/// lesson and quiz is done.
fn next_command(progress: &Progress, config: &Config) -> Option<String> {
    let done = |id: &str| progress.lessons.get(id);
    let (id, quiz) = COURSE
        .iter()
        .find(|lesson| done(lesson.id).is_none())
        .map(|lesson| (lesson.id, ""))
        .or_else(|| {
            COURSE
                .iter()
                .find(|lesson| {
                    done(lesson.id)
                        .and_then(|entry| entry.best_quiz)
                        .is_none_or(|best| best.right < best.asked)
                })
                .map(|lesson| (lesson.id, " --quiz"))
        })?;
    let lang = match (config.lang_source, config.lang) {
        (LangSource::Flag, Lang::En) => " --lang en",
        (LangSource::Flag, Lang::Zh) => " --lang zh",
        (LangSource::Locale, _) => "",
    };
    Some(format!("procdemo {id}{quiz}{lang}"))
}

/// `procdemo tour`: every lesson in course order. `run_lesson` runs one by
/// id with its default options. A lesson that fails is reported and the tour
/// goes on; `q` or a signal ends the tour.
pub fn tour(
    config: &Config,
    run_lesson: impl Fn(&str, Config) -> Result<Outcome>,
) -> Result<ExitCode> {
    let signals = Signals::get()?;
    // Said once for the whole tour, not once per lesson.
    let mut config = config.clone();
    if config.step == StepMode::PauseBeforeEachStep && !narrate::can_ask() {
        narrate::step_needs_terminal(config.lang);
        config.step = StepMode::Continuous;
    }
    let config = &config;
    let mut end = TourEnd::default();
    let total = COURSE.len();
    for (at, lesson) in COURSE.iter().enumerate() {
        let text = lesson.text(config.lang)?;
        narrate::tour_heading(at + 1, total, lesson.id, &text, config);
        let prompt = if config.step == StepMode::PauseBeforeEachStep {
            narrate::tour_prompt(config.lang, signals.wake_fd(), || {
                signals.drain();
                signals.caught().is_some()
            })
        } else {
            pause(config, signals)?;
            Answer::Next
        };
        if let Some(signal) = signals.caught() {
            return finish_tour(end, Some(Stop::Signal(signal)), config);
        }
        if let Answer::Quit = prompt {
            return finish_tour(end, Some(Stop::Quit), config);
        }
        match run_lesson(lesson.id, config.clone())? {
            Outcome::Finished(quiz) => end.finished(lesson.id, quiz),
            Outcome::Failed => end.failed.push(lesson.id),
            Outcome::Stopped(stop) => return finish_tour(end, Some(stop), config),
        }
    }
    finish_tour(end, None, config)
}

/// A moment to read the heading of the next lesson, for people only; a
/// signal cuts it short.
fn pause(config: &Config, signals: &Signals) -> Result<()> {
    if config.output != Output::Human {
        return Ok(());
    }
    let deadline = Instant::now() + TOUR_PAUSE.mul_f64(config.pace);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || signals.caught().is_some() {
            return Ok(());
        }
        wait_readable(&[signals.wake_fd()], Some(left)).context("poll")?;
        signals.drain();
    }
}

/// What the tour has done so far.
#[derive(Default)]
pub struct TourEnd {
    pub finished: Vec<&'static str>,
    pub failed: Vec<&'static str>,
    /// The quiz scores of the finished lessons, added up.
    pub quiz: Option<Score>,
}

impl TourEnd {
    fn finished(&mut self, lesson: &'static str, quiz: Option<Score>) {
        self.finished.push(lesson);
        if let Some(score) = quiz {
            let total = self.quiz.get_or_insert_with(Score::default);
            total.asked += score.asked;
            total.right += score.right;
        }
    }
}

fn finish_tour(end: TourEnd, stop: Option<Stop>, config: &Config) -> Result<ExitCode> {
    let (progress, _) = progress::load();
    let next = next_command(&progress, config);
    narrate::tour_end(&end, stop, next.as_deref(), config);
    Ok(match stop {
        Some(Stop::Signal(signal)) => ExitCode::from(shell_exit_code(signal)),
        _ if !end.failed.is_empty() => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

/// `procdemo reset`: forgets the progress, after asking on a terminal.
pub fn reset(config: &Config, args: &ResetArgs) -> Result<ExitCode> {
    let Some(path) = progress::path() else {
        bail!("neither XDG_STATE_HOME nor HOME is set, so there is no progress file to reset");
    };
    let (progress, notice) = progress::load();
    narrate::progress_notice(notice.as_ref(), config.lang);
    if !path.exists() {
        narrate::reset_nothing(&path, config.lang);
        return Ok(ExitCode::SUCCESS);
    }
    let asks = !args.yes && config.output == Output::Human && narrate::can_ask();
    if asks {
        let signals = Signals::get()?;
        let confirmed = narrate::ask_reset(
            &path,
            progress.lessons.len(),
            config.lang,
            signals.wake_fd(),
            || {
                signals.drain();
                signals.caught().is_some()
            },
        );
        if let Some(signal) = signals.caught() {
            return Ok(ExitCode::from(shell_exit_code(signal)));
        }
        if !confirmed {
            narrate::reset_kept(config.lang);
            return Ok(ExitCode::SUCCESS);
        }
    }
    let removed = progress::reset()?;
    narrate::reset_done(&path, removed, config.lang);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The tour runs each lesson as `procdemo <id>` would.
    #[test]
    fn every_lesson_of_the_course_is_a_command() {
        for lesson in COURSE {
            let parsed = crate::cli::Cli::try_parse_from(["procdemo", lesson.id]);
            assert!(parsed.is_ok(), "`procdemo {}` does not parse", lesson.id);
        }
    }
}
