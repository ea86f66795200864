//! The event pipe every process of the lesson reports through, and what
//! becomes of each event: shown, held back, or taken in as a note.

use std::os::fd::AsFd;

use anyhow::{Context, Result, bail};
use nix::unistd::Pid;
use serde_json::{Value, json};

use super::registry::Process;
use super::{CHILD, Lab, Stop};
use crate::narrate::{Answer, CHILD_FAILED, Event, FORKED, REAPED};
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

    /// Every event `pid` reported so far at `step`.
    pub fn reports(&self, pid: Pid, step: &str) -> Vec<Event> {
        self.received
            .iter()
            .filter(|event| event.pid == pid.as_raw() && event.step == step)
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
        pipe::read_available(self.events_read.as_fd(), &mut self.unread)
            .context("reading the event pipe")?;
        while let Some(end) = self.unread.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.unread.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            let event = Event::from_line(&text)
                .with_context(|| format!("a child wrote a line that is not an event: {text}"))?;
            if self.record_internal(&event) {
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

    /// After an early end: the events the children wrote before they were
    /// stopped, for the record (JSON only; people have read the last line).
    pub(super) fn show_unread(&mut self) {
        let _ = pipe::read_available(self.events_read.as_fd(), &mut self.unread);
        let unread = std::mem::take(&mut self.unread);
        for line in String::from_utf8_lossy(&unread).lines() {
            let Some(event) = Event::from_line(line) else {
                continue;
            };
            if !self.record_internal(&event) && event.step != CHILD_FAILED {
                self.narrator.show_late(&event);
            }
        }
    }

    /// Takes in the bookkeeping events children send about their own
    /// children; true if `event` was one of them.
    fn record_internal(&mut self, event: &Event) -> bool {
        let pid = event
            .fact("pid")
            .and_then(Value::as_i64)
            .and_then(|pid| i32::try_from(pid).ok());
        match (event.step.as_str(), pid) {
            (FORKED, Some(pid)) => {
                let pid = Pid::from_raw(pid);
                let role = event
                    .fact("role")
                    .and_then(Value::as_str)
                    .unwrap_or(CHILD)
                    .to_string();
                let parent = Pid::from_raw(event.pid);
                // An orphan may have been reaped (as "adopted") before this note arrived.
                match self.processes.iter_mut().find(|process| process.pid == pid) {
                    Some(known) => {
                        known.role = role;
                        known.parent = parent;
                    }
                    None => self.processes.push(Process {
                        pid,
                        role,
                        parent,
                        label: None,
                        status: None,
                    }),
                }
                true
            }
            (REAPED, Some(pid)) => {
                let status = event
                    .fact("wait_status")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                self.record_end(Pid::from_raw(pid), ExitStatus(status as i32));
                true
            }
            (FORKED | REAPED, None) => true,
            _ => false,
        }
    }

    fn render(&mut self, event: &Event) -> Result<()> {
        if let Some(held) = &mut self.held {
            held.push(event.clone());
            return Ok(());
        }
        if self.narrator.is_step_change(&event.step) {
            if self.narrator.is_new_step(&event.step) && self.narrator.for_people() {
                self.beat()?;
            }
            let signals = &self.signals;
            let answer = self.narrator.before_step(event, signals.wake_fd(), || {
                signals.drain();
                signals.caught().is_some()
            });
            match answer {
                Answer::Next => {}
                Answer::Quit => return Err(Stop::Quit.into()),
                Answer::Woken => self.check_signal()?,
            }
        }
        self.narrator.show(event);
        Ok(())
    }
}
