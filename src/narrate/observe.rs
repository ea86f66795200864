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

use super::layout::Text;
use super::palette::{self, Ink};
use super::ui::observe::{self as words, BAD, BOLD, CODE, Counts, Created, Death, Lesson, Reaper};
use super::ui::{self, Words};
use super::{timeline, tree};
use crate::model::{Event, Lang};

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

    /// The tree, the timeline, the channels shared and the summary.
    fn ending(&mut self, event: &Event) -> Vec<String> {
        let lang = self.lang;
        let width = self.width;
        let pictures = Words::procdemo(lang);
        let mut lines = vec![String::new(), palette::bold(words::tree_heading(lang))];
        if let Some(tree) = event.fact("tree") {
            lines.extend(tree::draw(tree, pictures, "  ", width));
        }
        if let Some(timeline) = event.fact("timeline") {
            let drawn = timeline::draw(timeline, pictures, "  ", width);
            if !drawn.is_empty() {
                lines.push(String::new());
                lines.push(palette::bold(words::timeline_heading(lang)));
                lines.extend(drawn);
            }
        }
        let shared: Vec<String> = event
            .fact("channels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|channel| self.shared(channel))
            .collect();
        let channels = shared.len();
        if !shared.is_empty() {
            lines.push(String::new());
            lines.push(palette::bold(words::channels_heading(lang)));
            for said in shared.iter().take(CHANNELS_SHOWN) {
                lines.extend(self.laid_out(said, "  ", "    "));
            }
            if channels > CHANNELS_SHOWN {
                lines.push(format!("  {}", words::more_channels(lang, channels)));
            }
        }
        lines.push(String::new());
        lines.push(palette::bold(words::summary_heading(lang)));
        let count = |name: &str| event.fact(name).and_then(Value::as_u64).unwrap_or(0);
        let mut said = words::counts(
            lang,
            &Counts {
                processes: count("processes"),
                threads: count("threads"),
                programs: count("programs_run"),
                exec_failures: count("exec_failures"),
                signals: count("signals"),
                zombies: count("zombies"),
                zombie_us_max: count("zombie_us_max"),
                orphans: count("orphans"),
            },
        );
        said.push(words::never_reaped(
            lang,
            self.pids(event.fact("never_reaped")).as_deref(),
        ));
        said.push(words::still_running(
            lang,
            self.pids(event.fact("remaining")).as_deref(),
        ));
        let first = event
            .fact("tree")
            .and_then(|tree| tree.get("pid"))
            .and_then(Value::as_i64);
        let signal = event.fact("signal").and_then(Value::as_str);
        let ending = ui::ending(lang, int(event, "exit_code"), signal);
        if let (Some(first), Some(ending)) = (first, ending) {
            said.push(words::first_ended(
                lang,
                &self.process(first),
                &ending,
                int(event, "status").unwrap_or(0),
            ));
        }
        for sentence in said {
            lines.extend(self.laid_out(&sentence, "  ", "  "));
        }
        lines
    }

    /// One channel of `observe-end`'s `channels`: each holder once, with
    /// every descriptor it holds the channel by.
    fn shared(&self, channel: &Value) -> String {
        let lang = self.lang;
        let kind = clean(channel.get("kind").and_then(Value::as_str).unwrap_or("?"));
        let inode = channel.get("inode").and_then(Value::as_i64).unwrap_or(0);
        let mut holders: Vec<(i64, Vec<String>)> = Vec::new();
        for holder in channel
            .get("holders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(pid) = holder.get("pid").and_then(Value::as_i64) else {
                continue;
            };
            let access = clean(holder.get("access").and_then(Value::as_str).unwrap_or("?"));
            let descriptor = words::descriptor(
                lang,
                holder.get("fd").and_then(Value::as_i64).unwrap_or(-1),
                words::access(lang, &access),
            );
            match holders.iter_mut().find(|(held_by, _)| *held_by == pid) {
                Some((_, descriptors)) => descriptors.push(descriptor),
                None => holders.push((pid, vec![descriptor])),
            }
        }
        let mut said: Vec<String> = holders
            .iter()
            .take(PROCESSES_SHOWN)
            .map(|(pid, descriptors)| words::holder(lang, &self.process(*pid), descriptors))
            .collect();
        if holders.len() > PROCESSES_SHOWN {
            said.push(words::in_all(lang, holders.len()));
        }
        words::shared(
            lang,
            &words::channel(lang, &kind, inode),
            &said.join(ui::lists_separator(lang)),
        )
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

/// `said` as a text to lay out, its marks turned into looks.
fn marked(said: &str) -> Text {
    let mut text = Text::new();
    let mut piece = String::new();
    let mut open: Option<char> = None;
    for character in said.chars() {
        if ![BOLD, CODE, BAD].contains(&character) {
            piece.push(character);
            continue;
        }
        match open {
            None => {
                text.push(&piece);
                open = Some(character);
            }
            Some(mark) if mark == character => {
                let look: super::layout::Look = match mark {
                    BOLD => palette::bold,
                    CODE => palette::code,
                    _ => |text| Ink::Bad.paint(text).to_string(),
                };
                // A name(pid) stays on one line.
                if mark == BOLD {
                    text.push_whole_in(&piece, look);
                } else {
                    text.push_in(&piece, look);
                }
                open = None;
            }
            // Marks do not nest: an inner one is dropped.
            Some(_) => continue,
        }
        piece.clear();
    }
    text.push(&piece);
    text
}

fn text(event: &Event, name: &str) -> String {
    event
        .fact(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn int(event: &Event, name: &str) -> Option<i64> {
    event.fact(name).and_then(Value::as_i64)
}

fn flag(event: &Event, name: &str) -> bool {
    event.fact(name).and_then(Value::as_bool).unwrap_or(false)
}

/// A value from the run as it may be shown: control characters (a newline
/// in `sh -c`'s script) escaped, and the characters procdemo marks with
/// replaced.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|character| match character {
            BOLD | CODE | BAD => "\u{FFFD}".to_string(),
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            control if control.is_control() => control.escape_unicode().to_string(),
            other => other.to_string(),
        })
        .collect()
}

/// An argv as a command line: the words joined by spaces, any word with a
/// space or nothing in it quoted.
fn argv(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|word| {
            if word.is_empty() || word.contains([' ', '\'', '"']) {
                format!("'{}'", word.replace('\'', "'\\''"))
            } else {
                word.to_string()
            }
        })
        .map(|word| clean(&word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `said` cut to ARGV_SHOWN characters, with `…` when it was longer.
fn cut(said: &str) -> String {
    if said.chars().count() <= ARGV_SHOWN {
        return said.to_string();
    }
    let mut kept: String = said.chars().take(ARGV_SHOWN - 1).collect();
    kept.push('…');
    kept
}

/// The first word of an argv: the name the program was started by.
fn first_argv(argv: Option<&Value>) -> Option<&str> {
    argv.and_then(|argv| argv.get(0))
        .and_then(Value::as_str)
        .filter(|word| !word.is_empty())
}

/// A process's name from the path it was started by, as `comm` takes it
/// (the last part, 15 bytes at most): `sh`, not the `dash` it links to.
fn base_name(program: &str) -> String {
    let name = clean(program.rsplit('/').next().unwrap_or(program));
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// A signal's number from its name, for procdemo's own exit status.
fn signal_number(name: &str) -> i64 {
    name.parse::<nix::sys::signal::Signal>()
        .map_or(0, |signal| signal as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrate::layout::columns;
    use serde_json::json;

    const PROCDEMO: i32 = 100;

    fn event(t_us: u64, pid: i32, ppid: i32, step: &str, facts: Value) -> Event {
        let role = if step.starts_with("observe-") || step == "remaining" {
            "procdemo"
        } else {
            "observed"
        };
        let Value::Object(facts) = facts else {
            panic!("facts are a map");
        };
        Event {
            t_us,
            lesson: "observe".to_string(),
            pid,
            ppid,
            role: role.to_string(),
            step: step.to_string(),
            facts,
        }
    }

    fn exited(t_us: u64, pid: i32, ppid: i32, code: Option<i64>, signal: Option<&str>) -> Event {
        event(
            t_us,
            pid,
            ppid,
            "exited",
            json!({"exit_code": code, "signal": signal, "core_dumped": signal == Some("SIGSEGV"),
                   "lived_us": 9000, "threads_created": 0}),
        )
    }

    fn signal(
        t_us: u64,
        pid: i32,
        ppid: i32,
        tid: i32,
        (signal, number): (&str, i32),
        origin: &str,
        sender: Option<i32>,
    ) -> Event {
        event(
            t_us,
            pid,
            ppid,
            "signal",
            json!({"tid": tid, "signal": signal, "number": number, "origin": origin,
                   "sender_pid": sender, "delivered": true}),
        )
    }

    fn reaped(t_us: u64, pid: i32, ppid: i32, by: i32, reaper: &str, call: Option<&str>) -> Event {
        event(
            t_us,
            pid,
            ppid,
            "reaped",
            json!({"reaper_pid": by, "reaper": reaper, "call": call, "zombie_us": 400}),
        )
    }

    /// A run with every step of docs/events.md and every variant of its facts.
    fn run() -> Vec<Event> {
        let created = |t_us, pid, parent, call: &str, by_tid, name: &str, python: Value| {
            event(
                t_us,
                pid,
                parent,
                "process-created",
                json!({"parent_pid": parent, "by_tid": by_tid, "call": call, "parent_saw": pid,
                       "child_saw": 0, "name": name, "python": python}),
            )
        };
        let exec = |t_us, pid, ppid, program: &str, argv: Value, previous: &str, python: Value| {
            event(
                t_us,
                pid,
                ppid,
                "exec",
                json!({"program": program, "argv": argv, "previous": previous, "pid_kept": true,
                       "python": python}),
            )
        };
        let pipe =
            |fd, inode, access| json!({"fd": fd, "kind": "pipe", "inode": inode, "access": access});
        vec![
            event(
                0,
                PROCDEMO,
                1,
                "observe-start",
                json!({"command": ["sh", "-c", "echo hi | cat\nsleep 1"], "program": "/usr/bin/dash",
                       "main_pid": 4242, "subreaper": true}),
            ),
            exec(
                300,
                4242,
                PROCDEMO,
                "/usr/bin/dash",
                json!(["sh", "-c", "echo hi | cat\nsleep 1"]),
                "procdemo",
                Value::Null,
            ),
            created(800, 4243, 4242, "fork", 4242, "sh", Value::Null),
            event(
                850,
                4243,
                4242,
                "channels",
                json!({"at": "fork", "ends": [
                pipe(3, 9001, "read"), pipe(4, 9001, "write"),
                {"fd": 5, "kind": "socket", "inode": 9002, "access": "read-write"},
                pipe(6, 9003, "read"), pipe(7, 9003, "write")]}),
            ),
            created(900, 4244, 4242, "vfork", 4250, "sh", Value::Null),
            created(950, 4245, 4242, "clone", 4242, "sh", Value::Null),
            exec(
                5100,
                4244,
                4242,
                "/usr/bin/sort",
                json!(["sort", "-r", "a file"]),
                "sh",
                Value::Null,
            ),
            event(
                5200,
                4245,
                4242,
                "exec-failed",
                json!({"path": "/usr/local/bin/nope", "errno": "ENOENT", "call": "execve"}),
            ),
            event(
                5250,
                4245,
                4242,
                "exec-failed",
                json!({"path": "/usr/bin/nope", "errno": "ENOENT", "call": "execve"}),
            ),
            event(
                5300,
                4245,
                4242,
                "exec-failed",
                json!({"path": "/tmp/x", "errno": "EWEIRD", "call": "execveat"}),
            ),
            created(
                5400,
                4246,
                4242,
                "fork",
                4242,
                "python3",
                json!("fork-child"),
            ),
            exec(
                5500,
                4247,
                4246,
                "/usr/bin/python3.12",
                json!([
                    "/usr/bin/python3",
                    "-c",
                    "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)",
                    "--multiprocessing-fork"
                ]),
                "python3",
                json!("spawn-child"),
            ),
            exec(
                5600,
                4248,
                4246,
                "/usr/bin/python3.12",
                json!([
                    "/usr/bin/python3",
                    "-c",
                    "from multiprocessing.resource_tracker import main;main(4)"
                ]),
                "python3",
                json!("resource-tracker"),
            ),
            exec(
                5700,
                4249,
                4246,
                "/usr/bin/python3.12",
                json!([
                    "/usr/bin/python3",
                    "-c",
                    "from multiprocessing.forkserver import main; main(5, 6, ['__main__'], **{'sys_path': []})"
                ]),
                "python3",
                json!("forkserver"),
            ),
            created(
                5800,
                4252,
                4249,
                "fork",
                4249,
                "python3",
                json!("forkserver-child"),
            ),
            event(
                6000,
                4246,
                4242,
                "thread-created",
                json!({"tid": 4251, "by_tid": 4246, "threads": 2}),
            ),
            event(
                6100,
                4246,
                4242,
                "thread-ended",
                json!({"tid": 4251, "threads": 1}),
            ),
            signal(
                7000,
                4242,
                PROCDEMO,
                4242,
                ("SIGCHLD", 17),
                "child",
                Some(4243),
            ),
            signal(7100, 4244, 4242, 4244, ("SIGTERM", 15), "kill", Some(4242)),
            signal(
                7150,
                4244,
                4242,
                4244,
                ("SIGUSR1", 10),
                "tgkill",
                Some(4244),
            ),
            signal(7200, 4246, 4242, 4251, ("SIGSEGV", 11), "kernel", None),
            exited(9000, 4243, 4242, Some(0), None),
            reaped(9400, 4243, 4242, 4242, "parent", Some("wait4")),
            exited(9500, 4244, 4242, None, Some("SIGTERM")),
            reaped(9600, 4244, 4242, 4242, "parent", None),
            exited(9700, 4246, 4242, None, Some("SIGSEGV")),
            reaped(9800, 4246, 4242, 4242, "kernel", None),
            event(
                9900,
                4247,
                PROCDEMO,
                "adopted",
                json!({"old_parent_pid": 4246, "new_parent_pid": PROCDEMO,
                "by_procdemo": true, "zombie": false}),
            ),
            event(
                9950,
                4248,
                4249,
                "adopted",
                json!({"old_parent_pid": 4246, "new_parent_pid": 4249,
                "by_procdemo": false, "zombie": true}),
            ),
            exited(10_000, 4247, PROCDEMO, Some(1), None),
            reaped(10_100, 4247, PROCDEMO, PROCDEMO, "procdemo", Some("waitid")),
            reaped(10_200, 4248, 4249, 4249, "adopter", Some("wait4")),
            exited(12_000_000, 4242, PROCDEMO, Some(0), None),
            reaped(
                12_000_100,
                4242,
                PROCDEMO,
                PROCDEMO,
                "procdemo",
                Some("wait4"),
            ),
            event(
                12_500_000,
                PROCDEMO,
                1,
                "remaining",
                json!({"processes": [
                {"pid": 4249, "name": "python3.12", "state": "S"},
                {"pid": 4245, "name": "sh", "state": "Z"}], "killed": false}),
            ),
            event(
                12_500_100,
                PROCDEMO,
                1,
                "remaining",
                json!({"processes": [
                {"pid": 4249, "name": "python3.12", "state": "S"}], "killed": true}),
            ),
            event(
                12_600_000,
                PROCDEMO,
                1,
                "observe-end",
                json!({
                "exit_code": 0, "signal": null, "status": 0, "processes": 8, "threads": 1,
                "programs_run": 5, "exec_failures": 2, "zombies": 5, "zombie_us_max": 400,
                "orphans": 2, "signals": 3, "never_reaped": [4247, 4248, 4245], "remaining": [4249],
                "channels": [{"kind": "pipe", "inode": 9001, "holders": [
                    {"pid": 4243, "fd": 1, "access": "write"}, {"pid": 4244, "fd": 0, "access": "read"}]}],
                "tree": {"pid": 4242, "name": "sh", "exit_code": 0, "children": [
                    {"pid": 4243, "name": "sh", "exit_code": 0},
                    {"pid": 4244, "name": "sort", "signal": "SIGTERM"},
                    {"pid": 4245, "name": "sh", "state": "Z"}]},
                "timeline": {"lanes": [
                    {"label": "sh 4242", "pid": 4242, "spans": [{"state": "run", "from_us": 0, "to_us": 12_000_000}]},
                    {"label": "sh 4243", "pid": 4243, "spans": [{"state": "run", "from_us": 800, "to_us": 9000},
                        {"state": "zombie", "from_us": 9000, "to_us": 9400}]}]}}),
            ),
            event(
                12_700_000,
                PROCDEMO,
                1,
                "observe-stopped",
                json!({"signal": "SIGTERM", "left_running": [4249]}),
            ),
        ]
    }

    fn narrated(lang: Lang, width: usize) -> Vec<Vec<String>> {
        colored::control::set_override(false);
        let mut narration = Narration::new(lang, width);
        run().iter().map(|event| narration.lines(event)).collect()
    }

    #[test]
    fn every_line_fits_the_width_in_both_languages() {
        for lang in [Lang::En, Lang::Zh] {
            for width in [50, 60, 100] {
                for lines in narrated(lang, width) {
                    for line in lines {
                        assert!(columns(&line) <= width, "{lang:?} {width}: {line}");
                    }
                }
            }
        }
    }

    /// The narration of the run as one text per event, at 100 columns.
    fn said(lang: Lang) -> Vec<String> {
        narrated(lang, 100)
            .into_iter()
            .map(|lines| {
                lines
                    .iter()
                    .flat_map(|line| line.split_whitespace())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The text said for the event at `t_us`.
    fn at(said: &[String], t_us: u64) -> &str {
        let position = run()
            .iter()
            .position(|event| event.t_us == t_us)
            .expect("an event at that time");
        &said[position]
    }

    #[test]
    fn names_processes_as_pstree_does_and_follows_their_execs() {
        let en = said(Lang::En);
        // `sh` as started (comm), not the `dash` it links to.
        assert!(at(&en, 0).contains("first process sh(4242)"));
        assert!(at(&en, 800).starts_with(
            "+0.8 ms sh(4242) forked → sh(4243): fork() returned 4243 in the parent, 0 in the child"
        ));
        assert!(at(&en, 5100).starts_with(
            "+5.1 ms sh(4244) exec → /usr/bin/sort (pid kept 4244): argv sort -r 'a file'"
        ));
        assert!(at(&en, 9500).starts_with("+9.5 ms sort(4244) killed by SIGTERM"));
        assert!(
            at(&en, 9400).starts_with(
                "+9.4 ms sh(4242) reaped sh(4243) with wait4 after 0.4 ms as a zombie"
            )
        );
        assert!(at(&en, 0).contains(r"'echo hi | cat\nsleep 1'"));
        let zh = said(Lang::Zh);
        assert!(
            at(&zh, 9400).contains("sh(4242) 用 wait4 回收了 sh(4243)，它当了 0.4 ms 的僵尸进程")
        );
        assert!(at(&zh, 900).contains("sh(4242) 的线程 4250 用 vfork() 创建了子进程 sh(4244)"));
    }

    #[test]
    fn each_variant_says_what_its_facts_say() {
        for (lang, said) in [(Lang::En, said(Lang::En)), (Lang::Zh, said(Lang::Zh))] {
            // A SIGCHLD is not shown; another signal is, with its sender.
            assert_eq!(at(&said, 7000), "");
            assert!(at(&said, 7100).contains("sh(4242)") && at(&said, 7100).contains("SIGTERM"));
            // Reaped: the call when procdemo saw it, none when it saw only the pid go.
            assert!(at(&said, 9400).contains("wait4"));
            assert!(!at(&said, 9600).contains("wait"));
            assert!(at(&said, 9800).contains("SIGCHLD"));
            assert!(
                at(&said, 10_100).contains("procdemo(100)") && at(&said, 10_100).contains("waitid")
            );
            // An exit code, or the signal and the core dump.
            assert!(at(&said, 9000).contains(" 0"));
            assert!(at(&said, 9700).contains("SIGSEGV") && at(&said, 9700).contains("core"));
            assert!(at(&said, 9950).contains(if lang == Lang::En {
                "already a zombie"
            } else {
                "已经是僵尸进程"
            }));
            assert!(at(&said, 12_500_000).contains("<defunct>"));
            assert!(at(&said, 12_500_100).contains("SIGKILL"));
            assert!(at(&said, 5300).ends_with("EWEIRD"));
            assert!(at(&said, 12_700_000).contains("143"));
        }
        let en = said(Lang::En);
        assert!(at(&en, 5200).contains("No such file or directory (ENOENT)"));
        assert!(at(&en, 5400).contains("— a forked copy of Python"));
        assert!(at(&en, 5500).contains("— started by multiprocessing's spawn start method"));
        assert!(at(&en, 5800).contains("— a worker forked by multiprocessing's forkserver"));
        assert!(at(&en, 5600).contains("— multiprocessing's resource tracker"));
        assert!(at(&en, 5700).contains("— multiprocessing's forkserver"));
        assert!(at(&en, 9800).starts_with("+9.8 ms the kernel reaped python3(4246)"));
        assert!(at(&en, 9900).contains("adopted by procdemo(100), the subreaper"));
        assert!(at(&en, 12_000_100).starts_with(
            "+12.0 s procdemo(100) reaped sh(4242) with wait4 after 0.4 ms as a zombie"
        ));
        assert!(at(&en, 7100).contains("got SIGTERM, sent by sh(4242) with kill()"));
        assert!(at(&en, 12_500_000).contains("procdemo leaves them be"));
        assert!(at(&en, 12_500_100).contains("procdemo sends it SIGKILL"));
        assert!(at(&en, 7150).contains("got SIGUSR1, sent by itself with tgkill()"));
        assert!(at(&en, 10_200).contains("python3(4249) (its adopter) reaped python3(4248)"));
        let end = at(&en, 12_600_000);
        for part in [
            "sh(4242) exited 0, reaped",
            "█ run ▒ zombie",
            "pipe 9001: sh(4243) fd 1 (write end); sort(4244) fd 0 (read end)",
            "8 processes, 1 extra thread, 5 programs run, 2 failed execs",
            "5 zombies, the longest for 0.4 ms; 2 orphans adopted.",
            "Not reaped by their own parent: python3(4247), python3(4248), sh(4245).",
            "Left running: python3(4249).",
            "The first process, sh(4242): exited 0, reaped; procdemo exits 0.",
        ] {
            assert!(end.contains(part), "{part} not in {end}");
        }
        assert!(at(&said(Lang::Zh), 12_600_000).contains("█ 运行 ▒ 僵尸"));
    }

    #[test]
    fn teaches_each_kind_of_event_once() {
        for (lang, more) in [
            (Lang::En, "More: procdemo "),
            (Lang::Zh, "想了解更多，请运行 procdemo "),
        ] {
            let said = said(lang);
            let taught: usize = said.iter().map(|said| said.matches(more).count()).sum();
            // Created, exec, pipe, socket, exec-failed, a PATH search,
            // thread, signal, zombie, reaped, orphan: once each.
            assert_eq!(taught, 11, "{lang:?}: {said:#?}");
            assert!(at(&said, 5250).contains("PATH"));
            assert!(!at(&said, 5300).contains("PATH"));
            assert!(at(&said, 800).contains(&format!("{more}fork")));
            assert!(at(&said, 850).contains(&format!("{more}pipe")));
            assert!(at(&said, 850).contains(&format!("{more}ipc")));
            assert!(!at(&said, 900).contains(more));
            assert!(!at(&said, 9500).contains(more));
        }
    }
}
