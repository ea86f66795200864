//! `--trace FILE`: the run as Chrome Trace Event JSON, which Perfetto and
//! chrome://tracing open. One track per process; every event is an instant
//! on its process's track; `timeline` facts add slices (waiting, holding,
//! inside) and counters (a semaphore's value, a buffer's fill level).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::model::Event;

/// Writes a trace with no event to `path`, to learn before the lesson
/// begins whether the file can be written.
pub fn empty(path: &Path) -> Result<()> {
    std::fs::write(path, b"{\"traceEvents\": []}\n").with_context(|| cannot_write(path))
}

fn cannot_write(path: &Path) -> String {
    format!("cannot write the --trace file {}", path.display())
}

/// An observer of the narration: it sees every event shown, late ones
/// included, whichever printer shows them, and writes the file when the
/// lesson is done or has ended.
pub struct Recorder {
    path: PathBuf,
    events: Vec<Event>,
}

impl Recorder {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
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
            .with_context(|| cannot_write(&self.path))
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
