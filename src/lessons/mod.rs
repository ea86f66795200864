//! The registry of lessons, in course order, with their embedded texts.

pub mod daemon;
pub mod fork;
pub mod join;
pub mod lock;
pub mod memory;
pub mod orphan;
pub mod pids;
pub mod pipe;
pub mod pool;
pub mod queue;
pub mod semaphore;
pub mod zombie;

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{Lang, SpawnedArgs};
use crate::config::Config;
pub use crate::lab::Outcome;
use crate::lab::{self, Lab, Stop};
use crate::narrate;
use crate::os::signals::shell_exit_code;
use crate::progress;
use crate::text::LessonText;

pub struct Lesson {
    pub id: &'static str,
    english: &'static str,
    chinese: &'static str,
    /// Argument sets whose runs, together, reach every step of the lesson
    /// (a step that needs an option, such as a crash, is not in the default
    /// run). `procdemo list --json` gives them to tests and tools.
    pub coverage_runs: &'static [&'static [&'static str]],
}

macro_rules! lesson {
    ($id:ident) => {
        lesson!($id, &[&[]])
    };
    ($id:ident, $runs:expr) => {
        Lesson {
            id: stringify!($id),
            coverage_runs: $runs,
            english: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/lessons/en/",
                stringify!($id),
                ".md"
            )),
            chinese: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/lessons/zh/",
                stringify!($id),
                ".md"
            )),
        }
    };
}

/// Every lesson, in the order of the course.
pub const COURSE: &[Lesson] = &[
    lesson!(fork),
    lesson!(pids),
    lesson!(join),
    lesson!(zombie),
    lesson!(orphan),
    lesson!(daemon),
    lesson!(pipe),
    lesson!(queue),
    lesson!(memory),
    lesson!(lock),
    lesson!(semaphore),
    lesson!(
        pool,
        &[
            &[],
            &[
                "--tasks",
                "4",
                "--workers",
                "2",
                "--crash-task",
                "1",
                "--maxtasksperchild",
                "1"
            ],
            &[
                "--tasks",
                "100000",
                "--work",
                "none",
                "--terminate-after",
                "0.02"
            ],
        ]
    ),
];

impl Lesson {
    pub fn text(&self, lang: Lang) -> Result<LessonText> {
        let source = match lang {
            Lang::En => self.english,
            Lang::Zh => self.chinese,
        };
        LessonText::parse(source)
            .with_context(|| format!("the {lang:?} text of lesson `{}`", self.id))
    }
}

/// Runs the lesson `id`; when it ran to its end, notes it in the
/// learner's progress.
pub fn run(id: &str, config: Config, body: impl FnOnce(&mut Lab) -> Result<()>) -> Result<Outcome> {
    let lesson = COURSE
        .iter()
        .find(|lesson| lesson.id == id)
        .with_context(|| format!("no lesson `{id}`"))?;
    let text = lesson.text(config.lang)?;
    let lang = config.lang;
    let outcome = Lab::run(config, lesson.id, text, body)?;
    // An interrupted or failed lesson was not done: nothing is written.
    if let Outcome::Finished(quiz) = &outcome {
        let (notice, saved) = progress::record_finished(lesson.id, *quiz);
        narrate::progress_notice(notice.as_ref(), lang);
        if let Err(error) = saved {
            narrate::progress_not_saved(&error, lang);
        }
    }
    Ok(outcome)
}

/// The exit code for how a lesson ended: 0 when it finished or the user
/// pressed `q`, 128 + N when signal N stopped it, 1 when it failed.
pub fn exit_code(outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Finished(_) | Outcome::Stopped(Stop::Quit) => ExitCode::SUCCESS,
        Outcome::Stopped(Stop::Signal(signal)) => ExitCode::from(shell_exit_code(*signal)),
        Outcome::Failed => ExitCode::FAILURE,
    }
}

/// The hidden `__spawned` command: the child half of a lesson's "spawn",
/// in a fresh procdemo. A failure is reported to the parent, not printed.
pub fn run_spawned(args: &SpawnedArgs) -> Result<()> {
    let side = lab::spawned_side(&args.lesson, &args.role, args.events_fd, args.started_ns)?;
    let result = match args.lesson.as_str() {
        "memory" => memory::spawned(&side),
        other => Err(anyhow::anyhow!(
            "lesson `{other}` starts no spawned children"
        )),
    };
    if let Err(error) = &result {
        let _ = side.report(
            narrate::CHILD_FAILED,
            serde_json::json!({ "error": format!("{error:#}") }),
        );
    }
    result
}
