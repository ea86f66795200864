//! `--trace FILE`: the run as Chrome Trace Event JSON, which Perfetto and
//! chrome://tracing open. One track per process; every event is an instant
//! on its process's track; `timeline` facts add slices (waiting, holding,
//! inside) and counters (a semaphore's value, a buffer's fill level).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use super::ui;
use crate::model::{Event, Lang};
use crate::os;

/// Writes a trace with no event to `path`, to learn before the lesson
/// begins whether the file can be written.
pub fn empty(path: &Path, lang: Lang) -> Result<()> {
    std::fs::write(path, b"{\"traceEvents\": []}\n")
        .map_err(|error| cannot_write(path, lang, &error))
}

/// The whole failure in `lang`, in one line: nothing of it is left in
/// English for the learner's error to say again.
fn cannot_write(path: &Path, lang: Lang, error: &std::io::Error) -> anyhow::Error {
    anyhow!(ui::cli::trace_not_written(
        lang,
        &path.display().to_string(),
        os::stdout::errno_of(error)
    ))
}

/// An observer of the narration: it sees every event shown, late ones
/// included, whichever printer shows them, and writes the file when the
/// lesson is done or has ended.
pub struct Recorder {
    path: PathBuf,
    lang: Lang,
    events: Vec<Event>,
}

impl Recorder {
    pub fn new(path: PathBuf, lang: Lang) -> Self {
        Self {
            path,
            lang,
            events: Vec::new(),
        }
    }

    pub fn record(&mut self, event: &Event) {
        self.events.push(event.clone());
    }

    /// Writes the file with everything recorded so far.
    pub fn save(&self, lesson: &str) -> Result<()> {
        serde_json::to_vec_pretty(&self.to_json(lesson))
            .map_err(std::io::Error::from)
            .and_then(|bytes| std::fs::write(&self.path, bytes))
            .map_err(|error| cannot_write(&self.path, self.lang, &error))
    }

    fn to_json(&self, lesson: &str) -> Value {
        // The whole run is one "process" in the viewer, on procdemo's own pid
        // (the trace is written by procdemo); each real process is a thread of it.
        let run = std::process::id() as i32;
        let mut trace = vec![
            json!({ "ph": "M", "name": "process_name", "pid": run, "args": { "name": format!("procdemo {lesson}") } }),
        ];
        let mut named: Vec<i32> = Vec::new();
        let mut name_track = |trace: &mut Vec<Value>, tid: i32, label: String| {
            if !named.contains(&tid) {
                named.push(tid);
                trace.push(json!({ "ph": "M", "name": "thread_name", "pid": run, "tid": tid, "args": { "name": label } }));
            }
        };
        for event in &self.events {
            name_track(
                &mut trace,
                event.pid,
                format!("{} {}", event.role, event.pid),
            );
            let args: serde_json::Map<String, Value> = event
                .facts
                .iter()
                .filter(|(name, _)| *name != "tree" && *name != "timeline")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            trace.push(json!({ "ph": "i", "s": "t", "name": event.step, "pid": run, "tid": event.pid, "ts": event.t_us, "args": args }));
            let Some(timeline) = event.fact("timeline") else {
                continue;
            };
            for lane in timeline
                .get("lanes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let tid = lane.get("pid").and_then(Value::as_i64).unwrap_or(0) as i32;
                name_track(
                    &mut trace,
                    tid,
                    lane.get("label")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                );
                for span in lane
                    .get("spans")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let from = span.get("from_us").and_then(Value::as_u64).unwrap_or(0);
                    let to = span.get("to_us").and_then(Value::as_u64).unwrap_or(from);
                    trace.push(json!({ "ph": "X", "name": span.get("state"), "pid": run, "tid": tid, "ts": from, "dur": to.saturating_sub(from) }));
                }
            }
            for counter in timeline
                .get("counters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = counter.get("name").cloned().unwrap_or(Value::Null);
                for sample in counter
                    .get("samples")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    trace.push(json!({ "ph": "C", "name": name, "pid": run, "ts": sample.get(0), "args": { "value": sample.get(1) } }));
                }
            }
        }
        json!({ "traceEvents": trace, "displayTimeUnit": "ms" })
    }
}
