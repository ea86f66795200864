//! Where `procdemo observe` tells what it sees: stderr, or `--output FILE`,
//! never stdout (the observed program's own). Text for people or JSON
//! lines, and the `--trace` file beside them.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Result, anyhow};

use super::layout::width_measured;
use super::observe::Narration;
use super::trace::{self, Recorder};
use super::ui;
use crate::config::{self, Config, Output};
use crate::model::observe::SignalDelivered;
use crate::model::{Event, Lang, Report};
use crate::os::ptrace::StartError;
use crate::os::terminal;

pub struct Watch {
    lang: Lang,
    /// None: stderr.
    file: Option<File>,
    narration: Option<Narration>,
    trace: Option<Recorder>,
    /// Text for people on a terminal, where the terminal itself may have
    /// echoed `^C` at the start of the line.
    on_terminal: bool,
    /// Once writing failed (the reader of stderr went away), procdemo
    /// stays quiet and lets the program run on.
    failed: bool,
}

impl Watch {
    /// Opens `output` (or takes stderr) and checks that the trace file can
    /// be written, before the program starts.
    pub fn new(config: &Config, output: Option<&Path>) -> Result<Self> {
        let file = output
            .map(|path| {
                File::create(path).map_err(|error| {
                    anyhow!(ui::cli::output_not_written(
                        config.lang,
                        &path.display().to_string(),
                        crate::os::stdout::errno_of(&error)
                    ))
                })
            })
            .transpose()?;
        if let Some(path) = &config.trace {
            trace::empty(path, config.lang)?;
        }
        let to_terminal = file.is_none() && terminal::stderr_is_terminal();
        let width = width_measured(to_terminal);
        super::use_colour(config::colour_for(config.color_choice, to_terminal));
        let narration =
            (config.output == Output::Human).then(|| Narration::new(config.lang, width));
        Ok(Self {
            lang: config.lang,
            file,
            on_terminal: to_terminal && narration.is_some(),
            narration,
            trace: config
                .trace
                .clone()
                .map(|path| Recorder::new(path, config.lang)),
            failed: false,
        })
    }

    pub fn show(&mut self, event: &Event) {
        if let Some(trace) = &mut self.trace {
            trace.record(event);
        }
        let text: String = match &mut self.narration {
            Some(narration) => narration
                .lines(event)
                .into_iter()
                .map(|line| line + "\n")
                .collect(),
            None => event.to_line(),
        };
        // The terminal echoes Ctrl-C as `^C` where the cursor is: the line
        // that tells the signal starts back at the first column, over it,
        // so that it keeps the width it was laid out for.
        let text = if self.on_terminal && from_the_keyboard(event) && !text.is_empty() {
            format!("\r{text}")
        } else {
            text
        };
        self.write(&text);
    }

    fn write(&mut self, text: &str) {
        if self.failed || text.is_empty() {
            return;
        }
        let written = match &mut self.file {
            Some(file) => file.write_all(text.as_bytes()),
            None => io::stderr().lock().write_all(text.as_bytes()),
        };
        self.failed = written.is_err();
    }

    /// Writes the trace file, once the program has ended.
    pub fn finish(&self) -> Result<()> {
        match &self.trace {
            Some(trace) => trace.save("observe"),
            None => Ok(()),
        }
    }

    /// Says why `command` could not be started.
    pub fn cannot_start(&mut self, command: &[String], error: &StartError) {
        let line = ui::cli::observe_cannot_start(self.lang, &command.join(" "), error);
        self.write(&line);
    }
}

/// Whether `event` tells a signal the terminal's keys make the kernel send
/// (Ctrl-C, Ctrl-\, Ctrl-Z).
fn from_the_keyboard(event: &Event) -> bool {
    event.step == SignalDelivered::STEP
        && event.read::<SignalDelivered>().is_ok_and(|signal| {
            signal.origin == "kernel"
                && matches!(signal.signal.as_str(), "SIGINT" | "SIGQUIT" | "SIGTSTP")
        })
}
