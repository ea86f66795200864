//! One event: a step of a lesson, observed by one process. This is the JSON
//! contract documented in `docs/events.md`.

use std::time::Instant;

use nix::unistd::{getpid, getppid};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Step ids every lesson may emit besides its own; their words live in
/// `narrate::ui`, not in the lesson text.
pub const DONE: &str = "done";
pub const ENDED: &str = "ended";
/// A child's note that it forked a child of its own; the lab records it and
/// does not show it.
pub const FORKED: &str = "_forked";
/// A child's note of how a child of its own ended, sent just before it reaps
/// it; the lab records the status.
pub const REAPED: &str = "_reaped";
/// `--quiz`: a question asked, the answer read, and the reveal, all from procdemo.
pub const QUIZ_QUESTION: &str = "quiz-question";
pub const QUIZ_ANSWER: &str = "quiz-answer";
pub const QUIZ_REVEAL: &str = "quiz-reveal";
/// A child's report that it failed; the lab turns it into an error.
pub const CHILD_FAILED: &str = "child-failed";

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
