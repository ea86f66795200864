//! The course: one ordered table of lessons. Each entry is a lesson's id,
//! which names its module (`src/lessons/<id>.rs`, with its `Args` and `run`)
//! and its texts (`lessons/<lang>/<id>.md`); everything else about the
//! lesson, the command line, the tour, the welcome, `list`, progress, help,
//! completions and the manual page, is derived from this table.

use anyhow::{Context, Result};

use crate::lab::{Lab, SpawnedSide};
use crate::model::{self, Event, Lang};
use crate::text::LessonText;

/// A lesson's run of the experiment, with its options as clap parsed them.
pub type Run = fn(&mut Lab, &clap::ArgMatches) -> Result<()>;

/// The second half of a lesson that starts a child the "spawn" way: what the
/// fresh procdemo runs.
pub type Spawned = fn(&SpawnedSide) -> Result<()>;

/// The steps a run with these options shows, in the order it shows them,
/// for a lesson whose options decide which steps come.
pub type Plan = fn(&clap::ArgMatches) -> Result<Vec<&'static str>>;
/// Options that each are valid but not together: the reason, in `Lang`,
/// that the command line refuses them (a usage error, before the lesson
/// starts).
pub type Check = fn(&clap::ArgMatches, Lang) -> Result<Option<String>>;

/// Reads an event as the typed report of its step, if the step is one of a
/// module's (`report!` makes one per module).
pub type ReadReport = fn(&Event) -> Option<Result<()>>;

pub struct Lesson {
    pub id: &'static str,
    english: &'static str,
    chinese: &'static str,
    /// Adds the lesson's own options (its `Args`) to a clap command.
    pub options: fn(clap::Command) -> clap::Command,
    pub run: Run,
    /// The lesson's `read_report`, from its `report!` block.
    pub reports: ReadReport,
    pub optional: Optional,
}

/// What only some lessons have.
pub struct Optional {
    pub spawned: Option<Spawned>,
    /// Argument sets whose runs, together, reach every step of the lesson
    /// (a step that needs an option, such as a crash, is not in the default
    /// run). `procdemo list --json` gives them to tests and tools.
    pub coverage_runs: &'static [&'static [&'static str]],
    /// Reports the lesson's processes make from code outside the lesson
    /// (the pool's workers, in `lab::pool`).
    pub more_reports: &'static [ReadReport],
    /// Which steps the options lead to; without it, every step of the text.
    /// A step that comes or not by the run's outcome, not its options, is a
    /// variant of another step (see `text`), so that a plan holds.
    pub plan: Option<Plan>,
    /// Which options constrain each other, and how (see [`Check`]).
    pub check: Option<Check>,
}

impl Optional {
    pub const NONE: Optional = Optional {
        spawned: None,
        coverage_runs: &[&[]],
        more_reports: &[],
        plan: None,
        check: None,
    };
}

/// Declares each lesson's module and its entry in `COURSE`, in order. An
/// entry may add `{ spawned: …, coverage_runs: …, plan: … }`.
macro_rules! course {
    ($($id:ident $({ $($field:ident: $value:expr),* $(,)? })?),* $(,)?) => {
        $(pub mod $id;)*

        /// Every lesson, in the order of the course.
        pub const COURSE: &[Lesson] = &[$(Lesson {
            id: stringify!($id),
            english: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"), "/lessons/en/", stringify!($id), ".md"
            )),
            chinese: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"), "/lessons/zh/", stringify!($id), ".md"
            )),
            options: <$id::Args as clap::Args>::augment_args,
            run: |lab, matches| {
                let args = <$id::Args as clap::FromArgMatches>::from_arg_matches(matches)?;
                $id::run(lab, &args)
            },
            reports: $id::read_report,
            optional: Optional { $($($field: $value,)*)? ..Optional::NONE },
        }),*];
    };
}

course! {
    fork,
    pids,
    join,
    zombie,
    orphan,
    daemon,
    exec,
    signals { spawned: Some(signals::spawned) },
    states,
    threads,
    costs,
    pipe,
    queue,
    memory { spawned: Some(memory::spawned) },
    lock,
    semaphore,
    ipc { spawned: Some(ipc::spawned) },
    pool {
        more_reports: &[crate::lab::pool::read_report],
        plan: Some(|options| Ok(pool::steps(&clap::FromArgMatches::from_arg_matches(options)?))),
        check: Some(|options, lang| Ok(pool::refusal(&clap::FromArgMatches::from_arg_matches(options)?, lang))),
        coverage_runs: &[
            &[],
            &["--tasks", "4", "--workers", "2", "--crash-task", "1", "--maxtasksperchild", "1"],
            &["--tasks", "100000", "--work", "none", "--terminate-after", "0.02"],
        ],
    },
    futures { more_reports: &[crate::lab::futures::read_report, crate::lab::futures::manager::read_report] },
}

impl Lesson {
    pub fn text(&self, lang: Lang) -> Result<LessonText> {
        let source = match lang {
            Lang::En => self.english,
            Lang::Zh => self.chinese,
        };
        LessonText::parse(source)
            .with_context(|| format!("the {lang:?} text of lesson `{}`", self.id))
    }

    /// The lesson's subcommand: its options, and its title and summary as help.
    pub fn command(&self, lang: Lang) -> Result<clap::Command> {
        let text = self.text(lang)?;
        let title = text
            .title
            .split_once([':', '：'])
            .map_or(text.title.as_str(), |(_, title)| title.trim());
        let mut about = plain(title);
        if let Some(first) = about.get(..1) {
            about.replace_range(..1, &first.to_uppercase());
        }
        Ok((self.options)(clap::Command::new(self.id))
            .about(about)
            .long_about(plain(&text.summary)))
    }

    /// Reads `event` as the typed report of its step: the lesson's own,
    /// others its processes make, or `done` and `ended`. `None` for a step
    /// that has no report (a quiz's events).
    pub fn read_report(&self, event: &Event) -> Option<Result<()>> {
        std::iter::once(self.reports)
            .chain(self.optional.more_reports.iter().copied())
            .chain(std::iter::once(model::read_report as ReadReport))
            .find_map(|read| read(event))
    }

    /// The steps a run with `options` shows, in order (see `Optional::plan`).
    pub fn plan(&self, options: &clap::ArgMatches, text: &LessonText) -> Result<Vec<String>> {
        Ok(match self.optional.plan {
            Some(plan) => plan(options)?.into_iter().map(String::from).collect(),
            None => text.steps.iter().map(|step| step.id.clone()).collect(),
        })
    }

    /// Why `options` may not go together, in `lang`; `None` when they may.
    pub fn refusal(&self, options: &clap::ArgMatches, lang: Lang) -> Result<Option<String>> {
        match self.optional.check {
            Some(check) => check(options, lang),
            None => Ok(None),
        }
    }

    /// The options as `procdemo <id>` alone has them.
    pub fn default_options(&self) -> Result<clap::ArgMatches> {
        self.options_from(&[])
            .with_context(|| format!("lesson `{}` does not run without options", self.id))
    }

    /// The options as `procdemo <id> <args>` has them (a coverage run's).
    pub fn options_from(&self, args: &[&str]) -> Result<clap::ArgMatches> {
        Ok((self.options)(clap::Command::new(self.id))
            .try_get_matches_from(std::iter::once(self.id).chain(args.iter().copied()))?)
    }
}

pub fn find(id: &str) -> Option<&'static Lesson> {
    COURSE.iter().find(|lesson| lesson.id == id)
}

/// Lesson text without Markdown's backticks, for help and manual pages.
fn plain(text: &str) -> String {
    text.replace('`', "")
}
