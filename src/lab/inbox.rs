//! The event pipe every process of the lesson reports through, and what
//! becomes of each event: shown, held back, or taken in as a note.

use std::os::fd::AsFd;

use anyhow::{Context, Result, bail};
use nix::unistd::Pid;
use serde_json::{Value, json};

use super::{Lab, PARENT};
use crate::model::{CHILD_FAILED, Event, FORKED, MEASURED, REAPED, Stop};
use crate::narrate::{self, Answer};
use crate::os::pipe;
use crate::os::wait::ExitStatus;

impl Lab {
    /// Reports a step observed by procdemo itself.
    pub fn emit(&mut self, role: &str, step: &str, facts: Value) -> Result<()> {
        // Children's events that arrived earlier are shown first.
        self.pump()?;
        self.check_signal()?;
        let event = Event::observed(self.lesson, self.started, role, step, facts);
        self.render(&event)?;
        // procdemo's own steps are the lesson's rhythm: out at once. Only
        // children's and bulk events wait for the next pause.
        self.narrator.flush();
        Ok(())
    }

    /// From now on, events are recorded but not shown until `show_held`: for
    /// a part of a lesson whose timing is the lesson (a race), which the
    /// pauses between steps and the `--step` prompts must not stretch.
    pub fn hold(&mut self) {
        self.held.get_or_insert_with(Vec::new);
    }

    /// Shows the events kept back since `hold`, in the order they came.
    pub fn show_held(&mut self) -> Result<()> {
        for event in self.held.take().unwrap_or_default() {
            self.render(&event)?;
        }
        Ok(())
    }

    /// The steps of the events held back since `hold`, each once, in the
    /// order they came.
    pub fn held_steps(&self) -> Vec<String> {
        let mut steps: Vec<String> = Vec::new();
        for event in self.held.iter().flatten() {
            if !steps.contains(&event.step) {
                steps.push(event.step.clone());
            }
        }
        steps
    }

    /// Every event `pid` reported so far at `step`.
    pub fn reports(&self, pid: Pid, step: &str) -> Vec<Event> {
        self.received
            .iter()
            .filter(|event| event.pid == pid.as_raw() && event.step == step)
            .cloned()
            .collect()
    }

    /// Every event any of `pids` reported so far at `step`, in the order
    /// they arrived (the order the narration shows them).
    pub fn reports_from(&self, pids: &[Pid], step: &str) -> Vec<Event> {
        self.received
            .iter()
            .filter(|event| event.step == step)
            .filter(|event| pids.iter().any(|pid| pid.as_raw() == event.pid))
            .cloned()
            .collect()
    }

    pub(super) fn find(&self, pid: Pid, step: &str) -> Option<Event> {
        self.received
            .iter()
            .find(|event| event.pid == pid.as_raw() && event.step == step)
            .cloned()
    }

    /// A `timeline` fact: one lane per process in `lanes` (pid and label),
    /// with the `spans` every one of its events reported, and the given
    /// counters (`{"name": …, "samples": [[t_us, value], …]}`).
    pub fn timeline(&self, lanes: &[(Pid, String)], counters: Vec<Value>) -> Value {
        let lanes: Vec<Value> = lanes
            .iter()
            .map(|(pid, label)| {
                let spans: Vec<Value> = self
                    .received
                    .iter()
                    .filter(|event| event.pid == pid.as_raw())
                    .filter_map(|event| event.fact("spans").and_then(Value::as_array).cloned())
                    .flatten()
                    .collect();
                json!({ "label": label, "pid": pid.as_raw(), "spans": spans })
            })
            .collect();
        json!({ "lanes": lanes, "counters": counters })
    }

    /// Reads every complete event line the children wrote so far and shows them.
    pub(super) fn pump(&mut self) -> Result<()> {
        if let Some(read_end) = &self.events_read {
            pipe::read_available(read_end.as_fd(), &mut self.unread)
                .context("reading the event pipe")?;
        }
        while let Some(end) = self.unread.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.unread.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            let event = Event::from_line(&text)
                .with_context(|| format!("a child wrote a line that is not an event: {text}"))?;
            if self.record_note(&event)? {
                continue;
            }
            if event.step == CHILD_FAILED {
                let error = event
                    .fact("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error");
                bail!("the {} process {} failed: {error}", event.role, event.pid);
            }
            self.received.push(event.clone());
            self.render(&event)?;
        }
        Ok(())
    }

    /// After cleanup: every line left in the pipe. Once cleanup has reaped
    /// until ECHILD, no process of the run is left to write one, so one
    /// read takes them all. The notes are taken in, so that the counts are
    /// final; the events are returned, for the record.
    pub(super) fn read_the_rest(&mut self) -> Vec<Event> {
        if let Some(read_end) = &self.events_read {
            let _ = pipe::read_available(read_end.as_fd(), &mut self.unread);
        }
        let unread = std::mem::take(&mut self.unread);
        let mut rest = Vec::new();
        for line in String::from_utf8_lossy(&unread).lines() {
            let Some(event) = Event::from_line(line) else {
                continue;
            };
            match self.record_note(&event) {
                Ok(true) => {}
                Ok(false) if event.step == CHILD_FAILED => {}
                Ok(false) => rest.push(event),
                // The lesson has ended already: say so beside its last line.
                Err(error) => narrate::write_err(&format!("procdemo: {error:#}\n")),
            }
        }
        rest
    }

    /// Takes in a note a child sends about a child of its own; true if
    /// `event` was one.
    fn record_note(&mut self, event: &Event) -> Result<bool> {
        match event.step.as_str() {
            FORKED => {
                let role = note_fact(event, "role", Value::as_str)?;
                self.record_fork(note_pid(event)?, role, Pid::from_raw(event.pid));
            }
            REAPED => {
                let status = note_fact(event, "wait_status", as_i32)?;
                self.record_end(note_pid(event)?, ExitStatus(status));
            }
            MEASURED => self.measured(note_fact(event, "count", Value::as_u64)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The lesson is about to act for `step` (stop a child, let one go,
    /// send a signal): people finish the step on screen first, with its
    /// reading pause, the Enter prompt, and `step`'s question. What the
    /// step on screen says then still holds, even for `ps` in another
    /// terminal, until the reader moves on; `step`'s first event follows
    /// without another pause.
    pub fn before(&mut self, step: &str) -> Result<()> {
        self.pump()?;
        self.check_signal()?;
        if self.held.is_some() {
            return Ok(());
        }
        let next = Event::observed(self.lesson, self.started, PARENT, step, json!({}));
        self.turn_to(&next, true)?;
        self.narrator.turned_to(step);
        Ok(())
    }

    fn render(&mut self, event: &Event) -> Result<()> {
        if let Some(held) = &mut self.held {
            held.push(event.clone());
            return Ok(());
        }
        self.turn_to(event, false)?;
        let answer = self.narrator.show(event);
        self.obey(answer)?;
        self.check_output()
    }

    /// What comes before `next` when it is another step than the one on
    /// screen: the reading pause, reveals, the question or the prompt.
    fn turn_to(&mut self, next: &Event, ahead: bool) -> Result<()> {
        if !self.narrator.is_step_change(&next.step) {
            return Ok(());
        }
        if let Some(pause) = self.narrator.reading_pause(&next.step) {
            self.pause_to_read(pause)?;
        }
        let signals = &self.signals;
        let answer = self
            .narrator
            .before_step(next, ahead, signals.wake_fd(), || {
                signals.drain();
                signals.caught().is_some()
            });
        self.obey(answer)
    }

    /// What the reader said at a prompt: go on, end the lesson (q), or a
    /// signal came.
    fn obey(&self, answer: Answer) -> Result<()> {
        match answer {
            Answer::Next => Ok(()),
            Answer::Quit => Err(Stop::Quit.into()),
            Answer::Woken => self.check_signal(),
        }
    }
}

fn note_pid(event: &Event) -> Result<Pid> {
    note_fact(event, "pid", as_i32).map(Pid::from_raw)
}

/// The fact `key` of the note `event`: a note that lacks one is an error,
/// never a default.
fn note_fact<'a, T>(
    event: &'a Event,
    key: &str,
    read: impl FnOnce(&'a Value) -> Option<T>,
) -> Result<T> {
    event.fact(key).and_then(read).with_context(|| {
        format!(
            "the `{}` note of process {} has no valid `{key}`: {}",
            event.step,
            event.pid,
            event.to_line().trim_end()
        )
    })
}

fn as_i32(value: &Value) -> Option<i32> {
    value.as_i64().and_then(|number| i32::try_from(number).ok())
}
