//! `procdemo observe` for people: one short line per event, in the run's
//! order, with its time and the processes named `name(pid)` as pstree
//! names them; the first time a kind of event appears, one sentence of
//! teaching and the lesson that says more. `observe-end` brings the tree,
//! the timeline, the channels shared and a summary.
//!
//! The words are in `ui::observe`; here is what each event's facts make of
//! them, and how the lines are laid out within the width.

use std::collections::{HashMap, HashSet};

use nix::errno::Errno;
use serde_json::Value;

use super::palette;
use super::ui;
use super::ui::observe::{self as words, Created, Death, Lesson, Reaper};
use crate::model::{Event, Lang};
use shown::{argv, base_name, clean, cut, first_argv, flag, int, marked, signal_number, text};

/// The time column: "+1234.5 ms" fits, right-aligned, and two spaces after it.
const TIME_WIDTH: usize = 10;
const INDENT: &str = "            ";
/// A command line or argv longer than this is cut: a line stays short.
const ARGV_SHOWN: usize = 48;
/// How many descriptors a `channels` line names before it counts the rest.
const ENDS_SHOWN: usize = 4;
/// How many shared channels the ending names before it counts the rest.
const CHANNELS_SHOWN: usize = 8;
/// How many processes a list of the summary names before it counts the rest.
const PROCESSES_SHOWN: usize = 8;

/// The errors an exec may fail with, as `execve(2)` lists them: named
/// and said in the reader's language; any other shows its name alone.
const EXEC_ERRORS: [Errno; 14] = [
    Errno::ENOENT,
    Errno::EACCES,
    Errno::ENOEXEC,
    Errno::ENOTDIR,
    Errno::E2BIG,
    Errno::ETXTBSY,
    Errno::ELOOP,
    Errno::ENAMETOOLONG,
    Errno::ENOMEM,
    Errno::EPERM,
    Errno::EISDIR,
    Errno::EFAULT,
    Errno::EINVAL,
    Errno::ELIBBAD,
];

/// The narration of one run: the names of its processes as they come and
/// go, and which kinds of event have been taught already.
pub struct Narration {
    lang: Lang,
    width: usize,
    names: HashMap<i64, String>,
    /// The program's first process: procdemo's own child, which it reaps as
    /// its parent, not as the subreaper.
    first: Option<i64>,
    /// Each process's parent, and the pipe and socket ends it was last seen
    /// holding.
    parents: HashMap<i64, i64>,
    held: HashMap<i64, Vec<Value>>,
    /// Each process's last failed exec: the directory and the file name.
    failed: HashMap<i64, (String, String)>,
    taught: HashSet<&'static str>,
}

impl Narration {
    pub fn new(lang: Lang, width: usize) -> Self {
        Self {
            lang,
            width,
            names: HashMap::new(),
            first: None,
            parents: HashMap::new(),
            held: HashMap::new(),
            failed: HashMap::new(),
            taught: HashSet::new(),
        }
    }

    /// The lines for one observe event, each within the width; none for an
    /// event people need not see (a SIGCHLD).
    pub fn lines(&mut self, event: &Event) -> Vec<String> {
        let lang = self.lang;
        let pid = i64::from(event.pid);
        let (said, lesson) = match event.step.as_str() {
            "observe-start" => {
                let program = text(event, "program");
                let main = int(event, "main_pid").unwrap_or(0);
                self.first = Some(main);
                self.names.insert(pid, "procdemo".to_string());
                let first_word = first_argv(event.fact("command"));
                self.names
                    .insert(main, base_name(first_word.unwrap_or(&program)));
                let said = words::start(
                    lang,
                    &words::process("procdemo", pid),
                    &cut(&argv(event.fact("command"))),
                    &clean(&program),
                    &self.process(main),
                    flag(event, "subreaper"),
                );
                (said, None)
            }
            "process-created" => {
                let parent_pid = int(event, "parent_pid").unwrap_or(i64::from(event.ppid));
                let name = text(event, "name");
                self.names.insert(pid, clean(&name));
                self.parents.insert(pid, parent_pid);
                let call = text(event, "call");
                let by_thread = int(event, "by_tid").filter(|&tid| tid != parent_pid);
                let mut said = words::created(
                    lang,
                    &Created {
                        parent: self.process(parent_pid),
                        child: self.process(pid),
                        call: &clean(&call),
                        by_thread,
                        parent_saw: int(event, "parent_saw"),
                        child_saw: int(event, "child_saw"),
                    },
                );
                // A vfork child borrows its parent's memory until it runs a
                // program: it is no copy of a Python, whatever its parent was.
                if call != "vfork" {
                    said.push_str(&self.python(event));
                }
                let lesson = match call.as_str() {
                    "vfork" => Lesson::Vfork,
                    "clone" => Lesson::Clone,
                    _ => Lesson::Fork,
                };
                (said, Some(lesson))
            }
            "thread-created" | "thread-ended" => {
                let started = event.step == "thread-created";
                let said = words::thread(
                    lang,
                    &self.process(pid),
                    int(event, "tid").unwrap_or(0),
                    started,
                    int(event, "threads"),
                );
                (said, started.then_some(Lesson::Thread))
            }
            "exec" => {
                let program = text(event, "program");
                let previous = clean(&text(event, "previous"));
                let before = if previous.is_empty() {
                    self.process(pid)
                } else {
                    words::process(&previous, pid)
                };
                let first_word = first_argv(event.fact("argv"));
                self.names
                    .insert(pid, base_name(first_word.unwrap_or(&program)));
                let mut said = words::exec(
                    lang,
                    &before,
                    &clean(&program),
                    pid,
                    flag(event, "pid_kept"),
                    &cut(&argv(event.fact("argv"))),
                );
                said.push_str(&self.python(event));
                (said, Some(Lesson::Exec))
            }
            "exec-failed" => {
                let path = text(event, "path");
                let (directory, name) = path.rsplit_once('/').unwrap_or(("", &path));
                // The same name in another directory than the last failure's:
                // a search along PATH.
                let searching = self
                    .failed
                    .get(&pid)
                    .is_some_and(|(before, tried)| tried == name && before != directory);
                self.failed
                    .insert(pid, (directory.to_string(), name.to_string()));
                let errno = text(event, "errno");
                let error = EXEC_ERRORS
                    .into_iter()
                    .find(|known| format!("{known:?}") == errno)
                    .map_or(clean(&errno), |known| ui::cli::system_error(lang, known));
                let said = words::exec_failed(
                    lang,
                    &self.process(pid),
                    &clean(&text(event, "call")),
                    &cut(&clean(&path)),
                    &error,
                );
                let lesson = if searching {
                    Lesson::PathSearch
                } else {
                    Lesson::ExecFailed
                };
                (said, Some(lesson))
            }
            "channels" => return self.channels(event),
            "signal" => {
                let signal = text(event, "signal");
                if signal == "SIGCHLD" {
                    return Vec::new();
                }
                let tid = int(event, "tid").unwrap_or(pid);
                let receiver = if tid == pid {
                    self.process(pid)
                } else {
                    words::thread_of(lang, tid, &self.process(pid))
                };
                let from = match (text(event, "origin").as_str(), int(event, "sender_pid")) {
                    ("kernel", _) | (_, None) => words::Sender::Kernel,
                    (origin, Some(sender)) if sender == pid => words::Sender::Itself {
                        origin: clean(origin),
                    },
                    (origin, Some(sender)) => words::Sender::Process {
                        origin: clean(origin),
                        sender: self.process(sender),
                    },
                };
                (
                    words::signal(lang, &receiver, &clean(&signal), &from),
                    Some(Lesson::Signal),
                )
            }
            "exited" => {
                let signal = text(event, "signal");
                let death = match int(event, "exit_code") {
                    Some(code) => Death::Code(code),
                    None => Death::Signal {
                        name: &signal,
                        core: flag(event, "core_dumped"),
                    },
                };
                let lived = event.fact("lived_us").and_then(Value::as_u64);
                (
                    words::exited(lang, &self.process(pid), &death, lived),
                    Some(Lesson::Zombie),
                )
            }
            "reaped" => {
                let reaper_pid = int(event, "reaper_pid").unwrap_or(i64::from(event.ppid));
                let (reaper, lesson) = match text(event, "reaper").as_str() {
                    "adopter" => (Reaper::Adopter, Lesson::ReapedByAdopter),
                    "procdemo" if self.first != Some(pid) => {
                        (Reaper::Procdemo, Lesson::ReapedByAdopter)
                    }
                    "kernel" => (Reaper::Kernel, Lesson::ReapedByKernel),
                    _ => (Reaper::Parent, Lesson::ReapedByParent),
                };
                // The kernel reaps for a parent that ignores SIGCHLD: the
                // line names that parent.
                let by = match reaper {
                    Reaper::Kernel => self.process(i64::from(event.ppid)),
                    _ => self.process(reaper_pid),
                };
                let call = event.fact("call").and_then(Value::as_str).map(clean);
                let said = words::reaped(
                    lang,
                    &reaper,
                    &by,
                    &self.process(pid),
                    call.as_deref(),
                    event.fact("zombie_us").and_then(Value::as_u64),
                );
                (said, Some(lesson))
            }
            "adopted" => {
                let old = int(event, "old_parent_pid").unwrap_or(0);
                let new = int(event, "new_parent_pid").unwrap_or(i64::from(event.ppid));
                let said = words::adopted(
                    lang,
                    &self.process(pid),
                    &self.process(old),
                    &self.process(new),
                    flag(event, "by_procdemo"),
                    flag(event, "zombie"),
                );
                (said, Some(Lesson::Orphan))
            }
            "remaining" => {
                let listed = self.listed(event.fact("processes"), |process| {
                    let pid = process.get("pid").and_then(Value::as_i64)?;
                    let zombie = process.get("state").and_then(Value::as_str) == Some("Z");
                    let name = process.get("name").and_then(Value::as_str);
                    let named = match name {
                        Some(name) => words::process(&clean(name), pid),
                        None => self.process(pid),
                    };
                    Some(words::left(&named, zombie))
                });
                let count = event
                    .fact("processes")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                (
                    words::remaining(lang, &listed, count, flag(event, "killed")),
                    None,
                )
            }
            "observe-stopped" => {
                let left = self.pids(event.fact("left_running"));
                let signal = text(event, "signal");
                let status = 128 + signal_number(&signal);
                let left = left.unwrap_or_else(|| words::nothing(lang).to_string());
                (words::stopped(lang, &clean(&signal), &left, status), None)
            }
            "observe-end" => return self.ending(event),
            _ => return Vec::new(),
        };
        let mut lines = self.event_line(event.t_us, &said);
        if let Some(lesson) = lesson {
            lines.extend(self.teaching(lesson));
        }
        lines
    }

    /// `name(pid)` from the names seen so far; `pid N` for a pid never named.
    fn process(&self, pid: i64) -> String {
        match self.names.get(&pid) {
            Some(name) => words::process(name, pid),
            None => words::unnamed(self.lang, pid),
        }
    }

    /// What multiprocessing made of the process, after its line.
    fn python(&self, event: &Event) -> String {
        event
            .fact("python")
            .and_then(Value::as_str)
            .and_then(|role| words::python_role(self.lang, role))
            .map_or(String::new(), |role| words::as_python(self.lang, role))
    }

    /// The first items of a list, each as `show` says it, and how many it had.
    fn listed(&self, list: Option<&Value>, show: impl Fn(&Value) -> Option<String>) -> String {
        let items: Vec<&Value> = list
            .and_then(Value::as_array)
            .map(|items| items.iter().collect())
            .unwrap_or_default();
        let shown: Vec<String> = items
            .iter()
            .take(PROCESSES_SHOWN)
            .filter_map(|item| show(item))
            .collect();
        let mut said = shown.join(ui::list_separator(self.lang));
        if items.len() > PROCESSES_SHOWN {
            said.push_str(&words::in_all(self.lang, items.len()));
        }
        said
    }

    /// A list of pids as their processes; `None` when it is empty.
    fn pids(&self, list: Option<&Value>) -> Option<String> {
        let said = self.listed(list, |pid| pid.as_i64().map(|pid| self.process(pid)));
        (!said.is_empty()).then_some(said)
    }

    fn channels(&mut self, event: &Event) -> Vec<String> {
        let lang = self.lang;
        let ends: Vec<Value> = event
            .fact("ends")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // What a process holds is told when it changes: after a fork, from
        // what its parent was last seen holding; after an exec, from its own.
        let pid = i64::from(event.pid);
        let before = match text(event, "at").as_str() {
            "fork" => self.parents.get(&pid).copied().unwrap_or(pid),
            _ => pid,
        };
        let unchanged = self.held.get(&before).is_some_and(|held| *held == ends);
        self.held.insert(pid, ends.clone());
        if ends.is_empty() || unchanged {
            return Vec::new();
        }
        let kind = |end: &Value| clean(end.get("kind").and_then(Value::as_str).unwrap_or("?"));
        let said: Vec<String> = ends
            .iter()
            .take(ENDS_SHOWN)
            .map(|end| {
                let access = clean(end.get("access").and_then(Value::as_str).unwrap_or("?"));
                words::end(
                    lang,
                    end.get("fd").and_then(Value::as_i64).unwrap_or(-1),
                    &words::channel(
                        lang,
                        &kind(end),
                        end.get("inode").and_then(Value::as_i64).unwrap_or(0),
                    ),
                    words::access(lang, &access),
                )
            })
            .collect();
        let mut ends_said = said.join(ui::list_separator(lang));
        if ends.len() > ENDS_SHOWN {
            ends_said.push_str(&words::in_all(lang, ends.len()));
        }
        let line = words::channels(
            lang,
            &self.process(i64::from(event.pid)),
            words::channels_at(lang, &text(event, "at")),
            &ends_said,
        );
        let mut lines = self.event_line(event.t_us, &line);
        for (kind, lesson) in [("pipe", Lesson::Pipe), ("socket", Lesson::Socket)] {
            if ends
                .iter()
                .any(|end| end.get("kind").and_then(Value::as_str) == Some(kind))
            {
                lines.extend(self.teaching(lesson));
            }
        }
        lines
    }

    /// `said` after its time, the lines after the first under it.
    fn event_line(&self, t_us: u64, said: &str) -> Vec<String> {
        let time = format!("{:>TIME_WIDTH$}  ", format!("+{}", words::duration(t_us)));
        let first = self.width.saturating_sub(time.len());
        let rest = self.width.saturating_sub(INDENT.len());
        let mut lines = marked(said).lines(first, rest);
        for (at, line) in lines.iter_mut().enumerate() {
            let lead = if at == 0 {
                palette::muted(&time)
            } else {
                INDENT.to_string()
            };
            *line = format!("{lead}{line}");
        }
        lines
    }

    /// The sentence of teaching of `lesson`, the first time its topic comes.
    fn teaching(&mut self, lesson: Lesson) -> Vec<String> {
        if !self.taught.insert(lesson.topic()) {
            return Vec::new();
        }
        self.laid_out(&words::teach(self.lang, lesson), INDENT, INDENT)
    }

    /// `said`, its marks turned into looks, in lines after `first` (the
    /// first) and `rest` (the others).
    fn laid_out(&self, said: &str, first: &str, rest: &str) -> Vec<String> {
        marked(said)
            .lines(
                self.width.saturating_sub(first.len()),
                self.width.saturating_sub(rest.len()),
            )
            .into_iter()
            .enumerate()
            .map(|(at, line)| format!("{}{line}", if at == 0 { first } else { rest }))
            .collect()
    }
}

mod ending;
mod shown;
#[cfg(test)]
mod tests;
