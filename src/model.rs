//! The shared vocabulary of procdemo: what every other module speaks of and
//! none owns. An event (the JSON contract), how a lesson ended, a quiz score,
//! the language, and what the learner's progress says. It imports nothing
//! of procdemo's, so that every module may import it without a circle.

pub mod observe;

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::{getpid, getppid};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The language of everything procdemo writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English
    En,
    /// Simplified Chinese (简体中文)
    Zh,
}

/// Step ids every lesson may emit besides its own; their words live in
/// `narrate::ui`, not in the lesson text.
pub const DONE: &str = <Done as Report>::STEP;
pub const ENDED: &str = <Ended as Report>::STEP;
/// A child's note that it forked a child of its own; the lab records it and
/// does not show it.
pub const FORKED: &str = "_forked";
/// A child's note that it reaped a child of its own; the lab records the status.
pub const REAPED: &str = "_reaped";
/// A child's note that it started and reaped `count` processes only to time
/// them; the lab counts them (`processes_measured`).
pub const MEASURED: &str = "_measured";
/// `--quiz`: a question asked, the answer read, and the reveal, all from procdemo.
pub const QUIZ_QUESTION: &str = "quiz-question";
pub const QUIZ_ANSWER: &str = "quiz-answer";
pub const QUIZ_REVEAL: &str = "quiz-reveal";
/// A child's report that it failed; the lab turns it into an error.
pub const CHILD_FAILED: &str = "child-failed";

/// One event: a step of a lesson, observed by one process. This is the JSON
/// contract documented in `docs/events.md`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Event {
    /// Microseconds since the lesson began, on CLOCK_MONOTONIC.
    pub t_us: u64,
    pub lesson: String,
    /// The process that observed this, and its parent, read when it was emitted.
    pub pid: i32,
    pub ppid: i32,
    pub role: String,
    pub step: String,
    pub facts: Map<String, Value>,
}

impl Event {
    /// An event observed now by the calling process, in the lesson that
    /// began at `started`.
    pub fn observed(lesson: &str, started: Instant, role: &str, step: &str, facts: Value) -> Self {
        Event {
            t_us: micros_since(started, Instant::now()),
            lesson: lesson.to_string(),
            pid: getpid().as_raw(),
            ppid: getppid().as_raw(),
            role: role.to_string(),
            step: step.to_string(),
            facts: self::facts(facts),
        }
    }

    pub fn to_line(&self) -> String {
        // Serialising plain strings, numbers and maps cannot fail.
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    pub fn from_line(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }

    pub fn fact(&self, name: &str) -> Option<&Value> {
        self.facts.get(name)
    }
}

/// The facts of one step as a type: what a process writes, the parent
/// reads and the tests deserialize. Declare it with `report!`, which makes a
/// missing fact (even an `Option` one) and a misspelt one errors.
pub trait Report: Serialize + DeserializeOwned {
    /// The step id, as in the lesson text and docs/events.md.
    const STEP: &'static str;

    /// The facts as the map an event carries.
    fn facts(&self) -> Result<Map<String, Value>> {
        match serde_json::to_value(self)
            .with_context(|| format!("the facts of step `{}`", Self::STEP))?
        {
            Value::Object(map) => Ok(map),
            other => bail!("the facts of step `{}` are not a map: {other}", Self::STEP),
        }
    }
}

/// Declares the reports of a module's steps: for each, a struct of its
/// facts, in the order they appear in the JSON, and the step id it belongs
/// to; and `read_report`, which checks an event against them. One block per
/// module.
///
/// ```ignore
/// report! {
///     /// What each side saw come back from fork().
///     "after-fork" => pub struct AfterFork { pub fork_returned: i32, pub cpu: Option<u32> }
/// }
/// ```
#[macro_export]
macro_rules! report {
    ($($(#[$meta:meta])* $step:literal => pub struct $name:ident {
        $($(#[$field_meta:meta])* pub $field:ident: $type:ty),* $(,)?
    })*) => {$(
        $(#[$meta])*
        #[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(deserialize_with = "crate::model::required")]
                pub $field: $type
            ),*
        }

        impl $crate::model::Report for $name {
            const STEP: &'static str = $step;
        }
    )*

        /// Reads `event` as the report of its step, if its step is one of
        /// this module's (`None` otherwise): the check that what was
        /// emitted is what the types say.
        pub fn read_report(
            event: &$crate::model::Event,
        ) -> Option<anyhow::Result<()>> {
            match event.step.as_str() {
                $($step => Some(event.read::<$name>().map(drop)),)*
                _ => None,
            }
        }
    };
}

report! {
    /// The last event of a lesson that ran to its end.
    "done" => pub struct Done {
        pub processes_started: u64,
        pub processes_reaped: u64,
        /// Started and reaped at once to be timed: in neither count above
        /// nor the tree.
        pub processes_measured: u64,
        /// Runs of `ps` procdemo made to print its lines: in neither count
        /// above nor the tree.
        pub ps_runs: u64,
        /// What ran: procdemo and its descendants, each with how it ended.
        pub tree: Value,
        /// With `--quiz`, how the questions went.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quiz: Option<Score>,
    }

    /// The last event of a lesson stopped early.
    "ended" => pub struct Ended {
        /// The signal's name, `quit`, `stdout` or `error`.
        pub reason: String,
        pub processes_started: u64,
        pub processes_reaped: u64,
        /// As in `done`: started and reaped only to be timed.
        pub processes_measured: u64,
        /// As in `done`: runs of `ps`.
        pub ps_runs: u64,
        /// What went wrong, when `reason` is `error` or `stdout`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<String>,
    }
}

/// Reads a fact as its type says. Used for every field of a report, so that
/// an absent `Option` fact is an error like any other (serde would read it
/// as `None`); null is how a report says "none".
pub fn required<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer)
}

impl Event {
    /// This event's facts as the report `R`: an error that names the step,
    /// the process and the missing, misspelt or mistyped fact otherwise.
    pub fn read<R: Report>(&self) -> Result<R> {
        if self.step != R::STEP {
            bail!(
                "expected step `{}`, got `{}` from process {}",
                R::STEP,
                self.step,
                self.pid
            );
        }
        serde_json::from_value(Value::Object(self.facts.clone())).with_context(|| {
            format!(
                "the facts of step `{}` from process {} ({})",
                self.step, self.pid, self.role
            )
        })
    }
}

/// Turns `json!({...})` into the facts map; anything else becomes `{"value": …}`.
pub fn facts(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => Map::from_iter([("value".to_string(), other)]),
    }
}

pub fn micros_since(started: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(started).as_micros()).unwrap_or(u64::MAX)
}

/// Why a lesson stopped before its end. Travels up through `?` as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Signal(Signal),
    Quit,
    /// Writing to stdout failed: nobody can read the lesson any more.
    /// `EPIPE` when its reader went away (`procdemo daemon | head -3`).
    Output(Errno),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Signal(signal) => write!(f, "interrupted by {signal}"),
            Stop::Quit => write!(f, "ended at the user's request"),
            Stop::Output(errno) => write!(f, "cannot write to stdout: {errno}"),
        }
    }
}

impl std::error::Error for Stop {}

/// How a lesson run ended, for the exit code and the learner's progress.
pub enum Outcome {
    /// It ran to its end; with `--quiz`, how the questions went.
    Finished(Option<Score>),
    Stopped(Stop),
    Failed,
}

/// How many questions were asked and how many answered right.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub asked: usize,
    pub right: usize,
}

impl Score {
    pub fn add(&mut self, other: Score) {
        self.asked += other.asked;
        self.right += other.right;
    }
}

/// What a tour has done so far.
#[derive(Default)]
pub struct TourEnd {
    pub finished: Vec<&'static str>,
    pub failed: Vec<&'static str>,
    /// The quiz scores of the finished lessons, added up.
    pub quiz: Option<Score>,
    /// How many lessons the course has.
    pub total: usize,
}

/// Where the course stands after a lesson finished, for its last line.
pub struct LessonEnd {
    pub lesson: &'static str,
    /// Lessons of the course finished, this one included.
    pub finished: usize,
    pub total: usize,
    /// False when the progress file did not take this lesson.
    pub saved: bool,
    pub then: Then,
    /// This run's quiz, and the best any run of this lesson had.
    pub quiz: Option<Score>,
    pub best_quiz: Option<Score>,
}

/// What comes after a finished lesson.
pub enum Then {
    /// The command to type: the course's next lesson or unfinished quiz.
    Command(String),
    /// Every lesson and every quiz done.
    CourseDone,
    /// A tour goes on with this lesson by itself.
    TourGoesOn(&'static str),
    /// A tour's last lesson: its summary comes next.
    TourEnds,
}

/// What the learner's progress file holds of one lesson.
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub struct LessonProgress {
    /// How many times the lesson ran to its end.
    pub finished: u32,
    /// Seconds since the Unix epoch.
    pub first_finished: u64,
    pub last_finished: u64,
    /// The score of the last run with `--quiz`.
    #[serde(default)]
    pub quiz: Option<Score>,
    /// The most right answers in any run with `--quiz`.
    #[serde(default)]
    pub best_quiz: Option<Score>,
}

/// Something the learner should know about the progress file.
#[derive(Debug)]
pub enum Notice {
    /// The file could not be read or parsed and was moved to `moved_to`.
    SetAside {
        path: PathBuf,
        moved_to: PathBuf,
        reason: String,
    },
    /// The file could not be read or parsed, nor moved.
    Unusable { path: PathBuf, reason: String },
    /// Neither XDG_STATE_HOME nor HOME says where the file belongs.
    NoPlace,
    /// A newer procdemo wrote the file, in format `version`: it is left
    /// as it is, and nothing is recorded in it.
    Newer { path: PathBuf, version: u32 },
}

impl Notice {
    /// True when progress cannot be saved while this holds.
    pub fn blocks_saving(&self) -> bool {
        !matches!(self, Notice::SetAside { .. })
    }
}

/// Why a progress file cannot be used, as a notice's reason says it (with
/// the system's words in parentheses); `narrate::ui::cli::progress_reason`
/// says it in Chinese.
pub mod reason {
    pub const NOT_A_FILE: &str = "it is not a regular file";
    pub const NOT_JSON: &str = "it is not valid progress JSON";
    pub const UNREADABLE: &str = "it cannot be read";
    pub const NOT_MOVED: &str = "moving it aside failed too";
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::report! {
        /// A step with a fact that may be null.
        "probe" => pub struct Probe { pub count: u64, pub cpu: Option<u32> }
    }

    fn event(facts: Value) -> Event {
        Event {
            t_us: 0,
            lesson: "test".into(),
            pid: 2,
            ppid: 1,
            role: "child".into(),
            step: "probe".into(),
            facts: super::facts(facts),
        }
    }

    #[test]
    fn a_report_reads_back_what_it_wrote() {
        let probe = Probe {
            count: 3,
            cpu: None,
        };
        let facts = probe.facts().expect("serialises");
        let written = event(Value::Object(facts));
        assert_eq!(written.read::<Probe>().ok(), Some(probe));
        assert!(matches!(read_report(&written), Some(Ok(()))));
        let other = Event {
            step: "other".into(),
            ..written
        };
        assert!(read_report(&other).is_none());
    }

    #[test]
    fn a_missing_or_misspelt_fact_is_an_error_naming_step_and_key() {
        let missing = event(serde_json::json!({ "count": 3 })).read::<Probe>();
        let message = format!("{:#}", missing.expect_err("cpu is missing"));
        assert!(
            message.contains("probe") && message.contains("cpu"),
            "{message}"
        );
        let misspelt = event(serde_json::json!({ "count": 3, "cpu": 1, "cpus": 2 }));
        let message = format!(
            "{:#}",
            misspelt.read::<Probe>().expect_err("cpus is unknown")
        );
        assert!(message.contains("cpus"), "{message}");
        let wrong_step = Event {
            step: "other".into(),
            ..event(serde_json::json!({ "count": 3, "cpu": null }))
        };
        assert!(wrong_step.read::<Probe>().is_err());
    }
}
