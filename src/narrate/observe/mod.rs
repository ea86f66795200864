//! `procdemo observe` for people: one short line per event, in the run's
//! order, with its time and the processes named `name(pid)` as pstree
//! names them; the first time a kind of event appears, one sentence of
//! teaching and the lesson that says more. `observe-end` brings the tree,
//! the timeline, the channels shared and a summary.
//!
//! The words are in `ui::observe`; here is what each event's facts make of
//! them, and how the lines are laid out within the width.

use std::collections::{HashMap, HashSet};

use anyhow::{Result, bail};

use super::palette;
use super::ui;
use super::ui::observe::{self as words, Created, Death, Lesson, Reaper};
use crate::model::observe::{
    Adopted, ChannelEnd, Channels, Exec, ExecFailed, Exited, ObserveEnd, ObserveStart,
    ObserveStopped, ProcessCreated, Reaped, Remaining, SignalDelivered, ThreadCreated, ThreadEnded,
};
use crate::model::{Event, Lang};
use shown::{argv, base_name, clean, cut, exec_error, marked};

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
    held: HashMap<i64, Vec<ChannelEnd>>,
    /// Each process's last failed exec: the directory and the file name.
    failed: HashMap<i64, (String, String)>,
    /// Threads that got SIGINT from the terminal.
    interrupted: HashSet<i64>,
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
            interrupted: HashSet::new(),
            taught: HashSet::new(),
        }
    }

    /// The lines for one observe event, each within the width; none for an
    /// event people need not see (a SIGCHLD). An event whose facts do not
    /// read as its step's report is said to be so, not guessed at.
    pub fn lines(&mut self, event: &Event) -> Vec<String> {
        match self.said(event) {
            Ok(lines) => lines,
            Err(error) => {
                let said = words::unread(
                    self.lang,
                    &clean(&event.step),
                    &clean(&format!("{error:#}")),
                );
                self.laid_out(&said, "", INDENT)
            }
        }
    }

    fn said(&mut self, event: &Event) -> Result<Vec<String>> {
        let lang = self.lang;
        let pid = i64::from(event.pid);
        let (said, lesson) = match event.step.as_str() {
            "observe-start" => {
                let start = event.read::<ObserveStart>()?;
                let main = i64::from(start.main_pid);
                self.first = Some(main);
                self.names.insert(pid, "procdemo".to_string());
                let first_word = start.command.first().filter(|word| !word.is_empty());
                let program = start.program.as_deref().map(clean);
                let unread = words::not_read(lang);
                self.names.insert(
                    main,
                    base_name(
                        first_word.map_or(program.as_deref().unwrap_or(unread), String::as_str),
                    ),
                );
                let said = words::start(
                    lang,
                    &words::process("procdemo", pid),
                    &cut(&argv(&start.command)),
                    program.as_deref().unwrap_or(unread),
                    &self.process(main),
                    start.subreaper,
                );
                (said, None)
            }
            "process-created" => {
                let created = event.read::<ProcessCreated>()?;
                let parent_pid = i64::from(created.parent_pid);
                self.names.insert(pid, clean(&created.name));
                self.parents.insert(pid, parent_pid);
                let by_tid = i64::from(created.by_tid);
                let mut said = words::created(
                    lang,
                    &Created {
                        parent: self.process(parent_pid),
                        child: self.process(pid),
                        call: &clean(&created.call),
                        by_thread: (by_tid != parent_pid).then_some(by_tid),
                        parent_saw: created.parent_saw,
                        child_saw: created.child_saw,
                    },
                );
                // A vfork child borrows its parent's memory until it runs a
                // program: it is no copy of a Python, whatever its parent was.
                if created.call != "vfork" {
                    said.push_str(&self.python(created.python.as_deref()));
                }
                let lesson = match created.call.as_str() {
                    "fork" => Lesson::Fork,
                    "vfork" => Lesson::Vfork,
                    "clone" => Lesson::Clone,
                    other => bail!("`call` is `{other}`, not fork, vfork or clone"),
                };
                (said, Some(lesson))
            }
            "thread-created" | "thread-ended" => {
                let (tid, threads, lesson) = match event.step.as_str() {
                    "thread-created" => {
                        let thread = event.read::<ThreadCreated>()?;
                        (thread.tid, thread.threads, Some(Lesson::Thread))
                    }
                    _ => {
                        let thread = event.read::<ThreadEnded>()?;
                        (thread.tid, thread.threads, None)
                    }
                };
                let said = words::thread(
                    lang,
                    &self.process(pid),
                    i64::from(tid),
                    lesson.is_some(),
                    threads,
                );
                (said, lesson)
            }
            "exec" => {
                let exec = event.read::<Exec>()?;
                let previous = clean(&exec.previous);
                let mut before = if previous.is_empty() {
                    self.process(pid)
                } else if previous == "procdemo" && self.first == Some(pid) {
                    // procdemo's fork, not procdemo replacing itself.
                    words::first_child(lang, pid)
                } else {
                    words::process(&previous, pid)
                };
                // A thread that execs takes its process's pid: say which one did.
                if i64::from(exec.by_tid) != pid {
                    before = words::thread_of(lang, i64::from(exec.by_tid), &before);
                }
                if let Some(name) = &exec.name {
                    self.names.insert(pid, clean(name));
                }
                let unread = words::not_read(lang);
                let mut said = words::exec(
                    lang,
                    &before,
                    &exec.program.as_deref().map_or(unread.to_string(), clean),
                    pid,
                    exec.pid_kept,
                    &exec
                        .argv
                        .as_deref()
                        .map_or(unread.to_string(), |words| cut(&argv(words))),
                );
                said.push_str(&self.python(exec.python.as_deref()));
                (said, Some(Lesson::Exec))
            }
            "exec-failed" => {
                let failed = event.read::<ExecFailed>()?;
                let path = failed.path;
                let (directory, name) = path.rsplit_once('/').unwrap_or(("", &path));
                // The same name in another directory than the last failure's:
                // a search along PATH.
                let searching = self
                    .failed
                    .get(&pid)
                    .is_some_and(|(before, tried)| tried == name && before != directory);
                self.failed
                    .insert(pid, (directory.to_string(), name.to_string()));
                let error = exec_error(lang, &failed.errno);
                let said = words::exec_failed(
                    lang,
                    &self.process(pid),
                    &clean(&failed.call),
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
            "channels" => return self.channels(event.t_us, pid, event.read::<Channels>()?),
            "signal" => {
                let signal = event.read::<SignalDelivered>()?;
                if signal.signal == "SIGCHLD" {
                    return Ok(Vec::new());
                }
                let tid = i64::from(signal.tid);
                let receiver = if tid == pid {
                    self.process(pid)
                } else {
                    words::thread_of(lang, tid, &self.process(pid))
                };
                let from = match (signal.origin.as_str(), signal.sender_pid.map(i64::from)) {
                    ("pipe", _) => words::Sender::Pipe,
                    ("kernel", _) | (_, None) => words::Sender::Kernel,
                    (origin, Some(sender)) if sender == pid => words::Sender::Itself {
                        origin: clean(origin),
                    },
                    (origin, Some(sender)) => words::Sender::Process {
                        origin: clean(origin),
                        sender: self.process(sender),
                    },
                };
                let mut said = words::signal(
                    lang,
                    &receiver,
                    &clean(&signal.signal),
                    &from,
                    signal.ignored,
                    self.is_python(pid),
                );
                if signal.signal == "SIGINT" {
                    match from {
                        words::Sender::Kernel => {
                            self.interrupted.insert(tid);
                        }
                        words::Sender::Itself { .. }
                            if self.interrupted.remove(&tid) && self.is_python(pid) =>
                        {
                            said.push_str(words::keyboard_interrupt(lang));
                        }
                        _ => {}
                    }
                }
                (said, Some(Lesson::Signal))
            }
            "exited" => {
                let exited = event.read::<Exited>()?;
                let death = match (exited.exit_code, &exited.signal) {
                    (Some(code), _) => Death::Code(i64::from(code)),
                    (None, Some(signal)) => Death::Signal {
                        name: signal,
                        core: exited.core_dumped,
                    },
                    (None, None) => bail!("neither `exit_code` nor `signal` says how it ended"),
                };
                // A zombie is taught at its reap: the kernel's reaps leave none.
                (
                    words::exited(lang, &self.process(pid), &death, exited.lived_us),
                    None,
                )
            }
            "reaped" => {
                let reaped = event.read::<Reaped>()?;
                let (reaper, lesson) = match reaped.reaper.as_str() {
                    "adopter" => (Reaper::Adopter, Lesson::ReapedByAdopter),
                    "procdemo" if self.first != Some(pid) => {
                        (Reaper::Procdemo, Lesson::ReapedByAdopter)
                    }
                    "kernel" => (Reaper::Kernel, Lesson::ReapedByKernel),
                    "parent" | "procdemo" => (Reaper::Parent, Lesson::ReapedByParent),
                    other => {
                        bail!("`reaper` is `{other}`, not parent, adopter, procdemo or kernel")
                    }
                };
                // The kernel reaps for a parent that ignores SIGCHLD: the
                // line names that parent.
                let by = match reaper {
                    Reaper::Kernel => self.process(i64::from(event.ppid)),
                    _ => self.process(i64::from(reaped.reaper_pid)),
                };
                let call = reaped.call.as_deref().map(clean);
                let said = words::reaped(
                    lang,
                    &reaper,
                    &by,
                    &self.process(pid),
                    call.as_deref(),
                    reaped.zombie_us,
                );
                // A zombie is taught at its first reap, one sentence a line:
                // what reaping is comes at the next.
                let mut lines = self.event_line(event.t_us, &said);
                let zombie = !matches!(reaper, Reaper::Kernel)
                    && !self.taught.contains(Lesson::Zombie.topic());
                lines.extend(self.teaching(if zombie { Lesson::Zombie } else { lesson }));
                return Ok(lines);
            }
            "adopted" => {
                let adopted = event.read::<Adopted>()?;
                let said = words::adopted(
                    lang,
                    &self.process(pid),
                    &self.process(i64::from(adopted.old_parent_pid)),
                    &self.process(i64::from(adopted.new_parent_pid)),
                    adopted.by_procdemo,
                    adopted.zombie,
                );
                (said, Some(Lesson::Orphan))
            }
            "remaining" => {
                let remaining = event.read::<Remaining>()?;
                let listed = self.listed(&remaining.processes, |process| {
                    let named = words::process(&clean(&process.name), i64::from(process.pid));
                    words::left(&named, process.state == "Z")
                });
                (
                    words::remaining(lang, &listed, remaining.processes.len(), remaining.killed),
                    None,
                )
            }
            "observe-stopped" => {
                let stopped = event.read::<ObserveStopped>()?;
                let left = self
                    .pids(&stopped.left_running)
                    .unwrap_or_else(|| words::nothing(lang).to_string());
                (
                    words::stopped(lang, &clean(&stopped.signal), &left, stopped.status),
                    None,
                )
            }
            "observe-end" => return self.ending(&event.read::<ObserveEnd>()?),
            _ => return Ok(Vec::new()),
        };
        let mut lines = self.event_line(event.t_us, &said);
        if let Some(lesson) = lesson {
            lines.extend(self.teaching(lesson));
        }
        Ok(lines)
    }

    /// `name(pid)` from the names seen so far; `pid N` for a pid never named.
    fn process(&self, pid: i64) -> String {
        match self.names.get(&pid) {
            Some(name) => words::process(name, pid),
            None => words::unnamed(self.lang, pid),
        }
    }

    /// What multiprocessing made of the process, after its line; what a
    /// helper process does, the first time one comes.
    fn python(&mut self, role: Option<&str>) -> String {
        let Some(role) = role else {
            return String::new();
        };
        let helper =
            words::python_helper(self.lang, role).filter(|helper| self.taught.insert(helper));
        helper
            .or_else(|| words::python_role(self.lang, role))
            .map_or(String::new(), |role| words::as_python(self.lang, role))
    }

    /// A process known by a Python's name (`python3`, `python3.12`).
    fn is_python(&self, pid: i64) -> bool {
        self.names
            .get(&pid)
            .is_some_and(|name| name.starts_with("python"))
    }

    /// The first items of a list, each as `show` says it, and how many it had.
    fn listed<T>(&self, items: &[T], show: impl Fn(&T) -> String) -> String {
        let shown: Vec<String> = items.iter().take(PROCESSES_SHOWN).map(show).collect();
        let mut said = shown.join(ui::list_separator(self.lang));
        if items.len() > PROCESSES_SHOWN {
            said.push_str(&words::in_all(self.lang, items.len()));
        }
        said
    }

    /// A list of pids as their processes; `None` when it is empty.
    fn pids(&self, pids: &[i32]) -> Option<String> {
        let said = self.listed(pids, |&pid| self.process(i64::from(pid)));
        (!said.is_empty()).then_some(said)
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

mod channels;
mod ending;
mod shown;
#[cfg(test)]
mod tests;
