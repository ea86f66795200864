//! The lessons as one course: running a lesson and recording it in the
//! learner's progress, the welcome, `list`, `tour` (every lesson in order),
//! `reset`, and the far side of a lesson's "spawn". Everything here works
//! from `COURSE`, so a new lesson joins the course by its table line alone.

use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::errno::Errno;

use crate::cli::{ResetArgs, SpawnedArgs};
use crate::config::{Config, LangSource, Output, StepMode};
use crate::lab::{self, Lab};
use crate::lessons::{self, COURSE, Lesson};
use crate::model::{
    CHILD_FAILED, Lang, LessonEnd, LessonProgress, Notice, Outcome, Score, Stop, Then, TourEnd,
};
use crate::narrate::{self, Answer, Listed};
use crate::os;
use crate::os::pipe::wait_readable_watching;
use crate::os::signals::{Signals, shell_exit_code};
use crate::progress::{self, Progress};

/// Between two lessons of a tour, without `--step`: time to read the
/// heading (scaled by `--pace`).
const TOUR_PAUSE: Duration = Duration::from_millis(1500);

/// Runs `lesson` with its `options`; when it ran to its end, notes it in
/// the learner's progress and says what to run next.
pub fn run_lesson(
    lesson: &'static Lesson,
    options: &clap::ArgMatches,
    config: Config,
) -> Result<Outcome> {
    run_then(lesson, options, config, After::Course)
}

/// Where a lesson runs: alone, or in a tour (which goes on with the next
/// lesson, if there is one).
#[derive(Clone, Copy)]
enum After {
    Course,
    Tour(Option<&'static str>),
}

fn run_then(
    lesson: &'static Lesson,
    options: &clap::ArgMatches,
    config: Config,
    after: After,
) -> Result<Outcome> {
    let text = lesson.text(config.lang)?;
    let lang = config.lang;
    let for_people = config.output == Output::Human;
    let course_config = config.clone();
    let plan = lesson.plan(options, &text)?;
    let outcome = Lab::run(config, lesson.id, text, |lab| {
        lab.plan(plan);
        (lesson.run)(lab, options)
    })?;
    // An interrupted or failed lesson was not done: nothing is written.
    if let Outcome::Finished(quiz) = &outcome {
        let (notice, saved) = progress::record_finished(lesson.id, *quiz);
        narrate::progress_notice(notice.as_ref(), lang);
        let recorded = saved.is_ok() && !notice.as_ref().is_some_and(Notice::blocks_saving);
        if let Err(error) = saved {
            narrate::progress_not_saved(&error, lang);
        }
        // JSON has its `done` event; the line is for people.
        if for_people {
            narrate::lesson_end(
                &lesson_end(lesson.id, *quiz, recorded, after, &course_config),
                lang,
            );
        }
    }
    Ok(outcome)
}

/// Where the course stands now that `lesson` finished, and what comes next.
fn lesson_end(
    lesson: &'static str,
    quiz: Option<Score>,
    recorded: bool,
    after: After,
    config: &Config,
) -> LessonEnd {
    let (mut progress, _) = progress::load();
    // Not saved, the lesson is still finished for whoever just watched it:
    // the count and the next command say so, and the line says it was not saved.
    if !recorded {
        progress
            .lessons
            .entry(lesson.to_string())
            .or_insert_with(|| LessonProgress {
                finished: 1,
                quiz,
                best_quiz: quiz,
                ..LessonProgress::default()
            });
    }
    let finished = COURSE
        .iter()
        .filter(|course_lesson| progress.lessons.contains_key(course_lesson.id))
        .count();
    let then = match after {
        After::Course => next_command(&progress, config).map_or(Then::CourseDone, Then::Command),
        After::Tour(Some(next)) => Then::TourGoesOn(next),
        After::Tour(None) => Then::TourEnds,
    };
    LessonEnd {
        lesson,
        finished,
        total: COURSE.len(),
        saved: recorded,
        then,
        quiz,
        best_quiz: progress
            .lessons
            .get(lesson)
            .and_then(|entry| entry.best_quiz),
    }
}

/// The exit code for how a lesson ended: 0 when it finished or the user
/// pressed `q`, 128 + N when signal N stopped it, 1 when it failed or
/// could not write to stdout, 141 when stdout's reader went away.
pub fn exit_code(outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Finished(_) | Outcome::Stopped(Stop::Quit) => ExitCode::SUCCESS,
        Outcome::Stopped(Stop::Signal(signal)) => ExitCode::from(shell_exit_code(*signal)),
        Outcome::Stopped(Stop::Output(errno)) => stdout_exit_code(*errno),
        Outcome::Failed => ExitCode::FAILURE,
    }
}

/// Once stdout failed, whatever the command: the failure said, and its
/// exit status (see `narrate::stdout_exit_status`).
pub fn after_stdout(lang: Lang) -> Option<ExitCode> {
    narrate::stdout_exit_status(lang).map(ExitCode::from)
}

fn stdout_exit_code(errno: Errno) -> ExitCode {
    ExitCode::from(narrate::exit_status_for(errno))
}

/// The hidden `__spawned` command: the child half of a lesson's "spawn",
/// in a fresh procdemo. A failure is reported to the parent, not printed.
pub fn run_spawned(args: &SpawnedArgs) -> Result<()> {
    let side = lab::spawned_side(&args.lesson, &args.role, args.events_fd, args.started_ns)?;
    let result = lessons::find(&args.lesson)
        .and_then(|lesson| lesson.optional.spawned)
        .with_context(|| format!("lesson `{}` starts no spawned children", args.lesson))
        .and_then(|spawned| spawned(&side));
    if let Err(error) = &result {
        let _ = side.report(
            CHILD_FAILED,
            serde_json::json!({ "error": format!("{error:#}") }),
        );
    }
    result
}

/// `procdemo` alone: a welcome, the lessons with marks, and what to run next.
pub fn welcome(config: &Config) -> Result<()> {
    let (progress, notice) = progress::load();
    narrate::progress_notice(notice.as_ref(), config.lang);
    let listed = listed(config.lang, &progress)?;
    let next = next_command(&progress, config);
    narrate::welcome(
        &listed,
        &next,
        lang_flag(config),
        config.output,
        config.lang,
    );
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
                coverage_runs: lesson.optional.coverage_runs,
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
    Some(format!("procdemo {id}{quiz}{}", lang_flag(config)))
}

/// " --lang zh" (or en) when the language came from the command line, for
/// the commands procdemo suggests: they keep the learner's language.
fn lang_flag(config: &Config) -> &'static str {
    match (config.lang_source, config.lang) {
        (LangSource::Flag, Lang::En) => " --lang en",
        (LangSource::Flag, Lang::Zh) => " --lang zh",
        (LangSource::Locale, _) => "",
    }
}

/// `procdemo tour`: every lesson in course order, with its default
/// options. A lesson that fails is reported and the tour goes on; `q` or a
/// signal ends the tour. When it steps, the tour asks once before each
/// lesson, and the lesson does not ask again before its first step.
pub fn tour(config: &Config) -> Result<ExitCode> {
    let signals = Signals::get()?;
    // Said once for the whole tour, not once per lesson.
    let mut config = config.clone();
    if config.step == StepMode::PauseBeforeEachStep && !narrate::can_ask() {
        narrate::step_needs_terminal(config.lang);
        config.step = StepMode::Continuous;
    }
    config.in_tour = true;
    let config = &config;
    let total = COURSE.len();
    let mut end = TourEnd {
        total,
        ..TourEnd::default()
    };
    for (at, lesson) in COURSE.iter().enumerate() {
        let text = lesson.text(config.lang)?;
        narrate::tour_heading(at + 1, total, lesson.id, &text, config);
        let prompt = if config.step == StepMode::PauseBeforeEachStep {
            narrate::tour_prompt(config, signals.wake_fd(), || {
                signals.drain();
                signals.caught().is_some()
            })
        } else {
            pause(config, signals)?;
            Answer::Next
        };
        if let Some(signal) = signals.caught() {
            return finish_tour(end, Some(Stop::Signal(signal)), None, config);
        }
        if let Answer::Quit = prompt {
            return finish_tour(end, Some(Stop::Quit), None, config);
        }
        let after = After::Tour(COURSE.get(at + 1).map(|next| next.id));
        match run_then(lesson, &lesson.default_options()?, config.clone(), after)? {
            Outcome::Finished(quiz) => {
                end.finished.push(lesson.id);
                if let Some(score) = quiz {
                    end.quiz.get_or_insert_with(Score::default).add(score);
                }
            }
            Outcome::Failed => end.failed.push(lesson.id),
            Outcome::Stopped(stop) => {
                return finish_tour(end, Some(stop), Some(lesson.id), config);
            }
        }
    }
    finish_tour(end, None, None, config)
}

/// A moment to read the end of the last lesson and the heading of the
/// next (on a screen, as long as they take to read), for people only; a
/// signal cuts it short.
fn pause(config: &Config, signals: &Signals) -> Result<()> {
    if config.output != Output::Human {
        return Ok(());
    }
    let reading = narrate::Screen::new(config.lang, config.screen).reading_time();
    let deadline = Instant::now() + TOUR_PAUSE.max(reading).mul_f64(config.pace);
    // A reader of stdout that went away ends the pause too: the next lesson
    // then stops at once.
    let out = std::io::stdout();
    let watched = os::stdout::is_pipe_or_socket().then(|| out.as_fd());
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || signals.caught().is_some() {
            return Ok(());
        }
        wait_readable_watching(&[signals.wake_fd()], watched, Some(left)).context("poll")?;
        signals.drain();
        if watched.is_some() && os::stdout::reader_gone() {
            return Ok(());
        }
    }
}

/// The tour's end; `stopped_in` is the lesson it was stopped in, which was
/// seen in part.
fn finish_tour(
    end: TourEnd,
    stop: Option<Stop>,
    stopped_in: Option<&str>,
    config: &Config,
) -> Result<ExitCode> {
    let (progress, _) = progress::load();
    let next = next_command(&progress, config);
    let covered = COURSE
        .iter()
        .filter(|lesson| end.finished.contains(&lesson.id) || stopped_in == Some(lesson.id))
        .map(|lesson| {
            let finished = end.finished.contains(&lesson.id);
            Ok((lesson.id, lesson.text(config.lang)?, finished))
        })
        .collect::<Result<Vec<_>>>()?;
    // Every lesson finished: what the next command offers is a quiz.
    let all_finished = COURSE
        .iter()
        .all(|lesson| progress.lessons.contains_key(lesson.id));
    let next = next.as_deref().map(|command| (command, all_finished));
    narrate::tour_end(&end, &covered, stop, next, config);
    Ok(match stop {
        Some(Stop::Signal(signal)) => ExitCode::from(shell_exit_code(signal)),
        Some(Stop::Output(errno)) => stdout_exit_code(errno),
        _ if !end.failed.is_empty() => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

/// The exit code of a command line that cannot be carried out as given.
const USAGE: u8 = 2;

/// `procdemo reset`: forgets the progress, after asking on a terminal.
/// Without `--yes` it forgets nothing when there is no terminal to ask on,
/// nor a newer procdemo's file (this one cannot say what it would lose):
/// a usage error, exit 2.
pub fn reset(config: &Config, args: &ResetArgs) -> Result<ExitCode> {
    let Some(path) = progress::path() else {
        bail!(narrate::ui::reset_no_place(config.lang));
    };
    let (progress, notice) = progress::load();
    let newer = matches!(notice, Some(Notice::Newer { .. }));
    // For a newer file, the one line below says it all.
    if !newer {
        narrate::progress_notice(notice.as_ref(), config.lang);
    }
    if !path.exists() {
        narrate::reset_nothing(&path, config.lang);
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && (newer || !narrate::can_ask()) {
        narrate::reset_needs_yes(&path, newer, config.lang);
        return Ok(ExitCode::from(USAGE));
    }
    if !args.yes {
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
    use super::*;

    /// The tour runs each lesson as `procdemo <id>` alone would.
    #[test]
    fn every_lesson_runs_without_options() {
        for lesson in COURSE {
            assert!(lesson.default_options().is_ok(), "`procdemo {}`", lesson.id);
        }
    }
}
