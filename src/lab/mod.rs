//! The lab bench a lesson runs on. It forks children and gives each a way to
//! report, renders every event through the narrator, waits and reaps, paces
//! the show, and on Ctrl-C, SIGTERM, `q` or an error kills and reaps every
//! process the lesson started.

mod child;
pub mod pool;
mod reports;
mod tree;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::{Pid, getpid};
use serde_json::{Value, json};

pub use child::{ChildSide, Gate, SpawnedSide, Tie};

use crate::config::Config;
use crate::model::{CHILD_FAILED, DONE, ENDED, Event, FORKED, Outcome, REAPED, Stop, micros_since};
use crate::narrate::{self, Answer, Ending, Narrator};
use crate::os::cleanup::kill_and_reap_all;
use crate::os::pipe::{self, wait_readable};
use crate::os::process::{
    become_subreaper, cap_lifetime, die_with_parent, exec_self, fork_child, monotonic_ns,
    send_signal,
};
use crate::os::procfs;
use crate::os::signals::{self, Signals};
use crate::os::wait::{self, ExitStatus};
use crate::text::LessonText;

pub const PARENT: &str = "parent";
/// The command word of `procdemo __spawned …`, which `spawn` execs.
pub const SPAWNED: &str = "__spawned";
pub const CHILD: &str = "child";

/// A pause between steps, so a person can read one before the next appears.
const BEAT: Duration = Duration::from_millis(350);
/// How long cleanup may take to kill and reap everything before it reports.
const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

/// One process of the run (forked by the lab, by a child, or adopted), and
/// how it ended.
struct Process {
    pid: Pid,
    role: String,
    /// The process that forked it.
    parent: Pid,
    /// A name the lesson gave it (Python's `Process-1`, …), shown instead of the role.
    label: Option<String>,
    status: Option<ExitStatus>,
}

impl Process {
    fn note(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.role)
    }
}

/// What the parent learns from a fork.
#[derive(Clone, Copy, Debug)]
pub struct Forked {
    pub pid: Pid,
    /// When the parent resumed after `fork()`, in lesson microseconds.
    pub resumed_us: u64,
}

pub struct Lab {
    lesson: &'static str,
    config: Config,
    narrator: Narrator,
    started: Instant,
    signals: &'static Signals,
    events_read: Option<OwnedFd>,
    events_write: OwnedFd,
    unread: Vec<u8>,
    received: Vec<Event>,
    /// How many of `received` `next_report` has handed out.
    handed_out: usize,
    gates: Vec<Option<OwnedFd>>,
    processes: Vec<Process>,
    /// Events kept back while `hold` is on, in arrival order.
    held: Option<Vec<Event>>,
    owner: Pid,
    cleaned_up: bool,
}

impl Lab {
    /// Runs `lesson` from start to `done`, and whatever happens, leaves no
    /// process of it behind.
    pub fn run(
        config: Config,
        lesson: &'static str,
        text: LessonText,
        body: impl FnOnce(&mut Lab) -> Result<()>,
    ) -> Result<Outcome> {
        let mut lab = Lab::new(config, lesson, text)?;
        let result = body(&mut lab).and_then(|()| lab.finish());
        let Err(error) = result else {
            return Ok(Outcome::Finished(lab.narrator.quiz_score()));
        };
        let reaped = lab.clean_up();
        for event in lab.held.take().unwrap_or_default() {
            lab.narrator.show_late(&event);
        }
        lab.show_unread();
        let (reason, ending, outcome) = match error.downcast_ref::<Stop>() {
            Some(Stop::Signal(signal)) => (
                signal.as_str().to_string(),
                Ending::Signal(signal.as_str()),
                Outcome::Stopped(Stop::Signal(*signal)),
            ),
            Some(Stop::Quit) => (
                "quit".to_string(),
                Ending::Quit,
                Outcome::Stopped(Stop::Quit),
            ),
            None => (
                "error".to_string(),
                Ending::Failed(format!("{error:#}")),
                Outcome::Failed,
            ),
        };
        let mut facts = json!({
            "reason": reason,
            "processes_started": lab.processes.len(),
            "processes_reaped": reaped,
        });
        if let Outcome::Failed = outcome {
            facts["error"] = json!(format!("{error:#}"));
        }
        let event = Event::observed(lab.lesson, lab.started, PARENT, ENDED, facts);
        lab.narrator.ended(&event, ending, reaped);
        Ok(outcome)
    }

    fn new(config: Config, lesson: &'static str, text: LessonText) -> Result<Self> {
        if let Some(path) = &config.trace {
            std::fs::File::create(path)
                .with_context(|| format!("cannot write the --trace file {}", path.display()))?;
        }
        let signals = Signals::get().context("installing the Ctrl-C and SIGCHLD handlers")?;
        become_subreaper().context("prctl(PR_SET_CHILD_SUBREAPER) failed")?;
        let (events_read, events_write) = pipe::pipe().context("creating the event pipe")?;
        pipe::set_nonblocking(events_read.as_fd()).context("making the event pipe non-blocking")?;
        let started = Instant::now();
        let mut narrator = Narrator::new(config.clone(), text, lesson, started);
        narrator.begin();
        Ok(Self {
            lesson,
            config,
            narrator,
            started,
            signals,
            events_read: Some(events_read),
            events_write,
            unread: Vec::new(),
            received: Vec::new(),
            handed_out: 0,
            gates: Vec::new(),
            processes: Vec::new(),
            held: None,
            owner: getpid(),
            cleaned_up: false,
        })
    }

    /// procdemo's own pid.
    pub fn pid(&self) -> Pid {
        self.owner
    }

    /// Microseconds since the lesson began, on the clock every process shares.
    pub fn now_us(&self) -> u64 {
        micros_since(self.started, Instant::now())
    }

    /// True once `pid` has ended, reaped or not.
    pub fn has_ended(&self, pid: Pid) -> bool {
        self.process(pid)
            .is_some_and(|process| process.status.is_some())
            || wait::has_ended(pid)
    }

    /// The `--pace` factor, for lessons whose timing is part of the lesson.
    pub fn pace(&self) -> f64 {
        self.config.pace
    }

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

    /// Forks a child that runs `body` and reports through the event pipe.
    /// The child resets SIGINT/SIGTERM to their defaults, dies with procdemo
    /// (parent-death signal), has a lifetime cap, and ends with `_exit` and
    /// the code `body` returns (1 if it fails).
    pub fn fork(
        &mut self,
        role: &'static str,
        body: impl FnOnce(&ChildSide) -> Result<i32>,
    ) -> Result<Forked> {
        self.check_signal()?;
        let parent = getpid();
        let lifetime = self.lifetime();
        let (lesson, started, pace) = (self.lesson, self.started, self.config.pace);
        let gates = &mut self.gates;
        let events_read = &mut self.events_read;
        let events = self.events_write.as_fd();
        let forked = fork_child(|returned| {
            signals::restore_defaults();
            // Close this copy of the parent's ends: a gate opens only when
            // every write end is closed, and the parent alone reads events.
            gates.clear();
            events_read.take();
            cap_lifetime(lifetime);
            if !die_with_parent(parent) {
                return 1;
            }
            let side = ChildSide {
                lesson,
                role,
                pace,
                lifetime,
                started,
                events,
                returned,
            };
            child::run_body(&side, body)
        });
        let (pid, returned) = forked.map_err(fork_failed)?;
        self.processes.push(Process {
            pid,
            role: role.to_string(),
            parent,
            label: None,
            status: None,
        });
        Ok(Forked {
            pid,
            resumed_us: micros_since(self.started, returned.at),
        })
    }

    /// Starts a child the way the "spawn" start method does: fork, then
    /// `exec` a fresh procdemo running the hidden `__spawned` command, which
    /// hands `spawned_args` to the lesson's `spawned` function.
    pub fn spawn(&mut self, role: &'static str, spawned_args: &[String]) -> Result<Forked> {
        let lesson = self.lesson.to_string();
        let elapsed = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let started_ns = monotonic_ns().saturating_sub(elapsed);
        self.fork(role, |side| {
            pipe::keep_across_exec(side.events).context("fcntl(F_SETFD) on the event pipe")?;
            let mut args: Vec<String> = vec![
                SPAWNED.into(),
                "--lesson".into(),
                lesson,
                "--role".into(),
                role.into(),
                "--events-fd".into(),
                side.events.as_raw_fd().to_string(),
                "--started-ns".into(),
                started_ns.to_string(),
                "--".into(),
            ];
            args.extend(spawned_args.iter().cloned());
            let errno = exec_self(&args);
            Err(anyhow!("execv(/proc/self/exe) failed: {errno}"))
        })
    }

    /// Gives process `pid` a name of the lesson's, shown in trees.
    pub fn label(&mut self, pid: Pid, label: &str) {
        if let Some(process) = self.processes.iter_mut().find(|process| process.pid == pid) {
            process.label = Some(label.to_string());
        }
    }

    /// Waits for the child `pid` to end and reaps it, showing its events as
    /// they arrive. Returns the raw wait status.
    pub fn wait(&mut self, pid: Pid) -> Result<ExitStatus> {
        loop {
            if let Some(status) = self.wait_timeout(pid, None)? {
                return Ok(status);
            }
        }
    }

    /// Like `wait`, but gives up after `timeout` (`None`: no limit) and then
    /// returns `None`: the child still runs.
    pub fn wait_timeout(
        &mut self,
        pid: Pid,
        timeout: Option<Duration>,
    ) -> Result<Option<ExitStatus>> {
        let deadline = timeout.map(|limit| Instant::now() + limit);
        loop {
            self.pump()?;
            self.check_signal()?;
            if let Some(status) = self.process(pid).and_then(|process| process.status) {
                return Ok(Some(status));
            }
            match wait::try_reap(pid) {
                Ok(Some(status)) => {
                    self.record_end(pid, status);
                    // Whatever it wrote before it ended is shown before the caller goes on.
                    self.pump()?;
                    return Ok(Some(status));
                }
                Ok(None) => {}
                Err(errno) => bail!("waitpid({pid}) failed: {errno}"),
            }
            let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            if left.is_some_and(|left| left.is_zero()) {
                return Ok(None);
            }
            self.idle(left)?;
        }
    }

    /// Waits for whichever child ends first (`waitpid(-1)`) and reaps it.
    pub fn wait_any(&mut self) -> Result<(Pid, ExitStatus)> {
        loop {
            self.pump()?;
            self.check_signal()?;
            match wait::try_reap_any() {
                Ok(Some((pid, status))) => {
                    self.record_end(pid, status);
                    self.pump()?;
                    return Ok((pid, status));
                }
                Ok(None) => self.idle(None)?,
                Err(errno) => bail!("waitpid(-1) failed: {errno}"),
            }
        }
    }

    /// Waits until `pid` has ended, without reaping it: it stays a zombie.
    pub fn wait_until_ended(&mut self, pid: Pid) -> Result<()> {
        let never_gone = |_: &Self| false;
        self.until_found(
            None,
            |_| wait::has_ended(pid).then_some(()),
            never_gone,
            || anyhow!("process {pid} did not end"),
        )
    }

    /// Waits until the kernel has put `pid` to sleep (state `S`, e.g. in a
    /// full pipe's write() or a taken lock's sem_wait), and returns that
    /// state. It is on its way there: this gives it a few seconds at most.
    pub fn wait_until_asleep(&mut self, pid: Pid) -> Result<String> {
        for _ in 0..2000 {
            let state = procfs::stat(pid)
                .with_context(|| format!("reading /proc/{pid}/stat"))?
                .state;
            if state == 'S' {
                return Ok(state.to_string());
            }
            self.sleep_for(Duration::from_millis(1))?;
        }
        bail!("process {pid} never went to sleep where the lesson expected it to wait")
    }

    /// Sends `signal` to `pid`.
    pub fn signal(&mut self, pid: Pid, signal: Signal) -> Result<()> {
        send_signal(pid, signal).with_context(|| format!("kill({pid}, {signal}) failed"))
    }

    /// Waits until process `pid` reports `step`, and returns that event.
    pub fn expect(&mut self, pid: Pid, step: &str) -> Result<Event> {
        self.until_found(
            None,
            |lab| lab.find(pid, step),
            |_| wait::has_ended(pid),
            || anyhow!("process {pid} ended without reporting step `{step}`"),
        )
    }

    /// Waits until any process reports `step`, and returns that event: for a
    /// grandchild, whose pid procdemo learns from its first report.
    pub fn expect_any(&mut self, step: &str) -> Result<Event> {
        let nobody_runs = |lab: &Self| {
            !lab.processes
                .iter()
                .any(|process| process.status.is_none() && !wait::has_ended(process.pid))
        };
        self.until_found(
            // A grandchild's end sends no SIGCHLD to procdemo: look again soon.
            Some(Duration::from_millis(50)),
            |lab| {
                lab.received
                    .iter()
                    .find(|event| event.step == step)
                    .cloned()
            },
            nobody_runs,
            || anyhow!("every process ended and none reported step `{step}`"),
        )
    }

    /// Waits until `pid` has reported `step` `count` times, and returns those events.
    pub fn expect_reports(&mut self, pid: Pid, step: &str, count: usize) -> Result<Vec<Event>> {
        self.until_found(
            None,
            |lab| Some(lab.reports(pid, step)).filter(|reports| reports.len() >= count),
            |lab| lab.has_ended(pid),
            || anyhow!("process {pid} ended before reporting `{step}` {count} times"),
        )
    }

    /// Shows events and watches for signals until `found` has an answer,
    /// sleeping between looks (at most `poll` at a time; `None`: until
    /// something happens). Once `gone` says no one can report it any more,
    /// looks a last time, for what was written before the end, then fails
    /// with `missing`.
    fn until_found<T>(
        &mut self,
        poll: Option<Duration>,
        found: impl Fn(&Self) -> Option<T>,
        gone: impl Fn(&Self) -> bool,
        missing: impl FnOnce() -> anyhow::Error,
    ) -> Result<T> {
        loop {
            self.pump()?;
            self.check_signal()?;
            if let Some(answer) = found(self) {
                return Ok(answer);
            }
            if gone(self) {
                self.pump()?;
                return found(self).ok_or_else(missing);
            }
            self.idle(poll)?;
        }
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

    /// The next event any child reported that this function has not returned
    /// yet, waiting at most `timeout` for one (`None` then).
    pub fn next_report(&mut self, timeout: Duration) -> Result<Option<Event>> {
        let deadline = Instant::now() + timeout;
        loop {
            // Events already read are handed out without another read().
            if self.handed_out == self.received.len() {
                self.pump()?;
            }
            self.check_signal()?;
            if let Some(event) = self.received.get(self.handed_out) {
                self.handed_out += 1;
                return Ok(Some(event.clone()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.idle(Some(left))?;
        }
    }

    /// Sleeps until `fd` is readable, an event arrives, a signal comes, or
    /// `timeout`; shows events meanwhile.
    pub fn idle_on(&mut self, fd: BorrowedFd<'_>, timeout: Duration) -> Result<()> {
        self.pump()?;
        self.check_signal()?;
        self.narrator.flush();
        if let Some(read_end) = &self.events_read {
            wait_readable(
                &[read_end.as_fd(), self.signals.wake_fd(), fd],
                Some(timeout),
            )
            .context("poll")?;
        }
        self.signals.drain();
        self.check_lifetimes()?;
        self.pump()
    }

    /// Reaps a child that has ended, if any has, without waiting.
    pub fn try_wait_any(&mut self) -> Result<Option<(Pid, ExitStatus)>> {
        match wait::try_reap_any() {
            Ok(Some((pid, status))) => {
                self.record_end(pid, status);
                Ok(Some((pid, status)))
            }
            Ok(None) | Err(Errno::ECHILD) => Ok(None),
            Err(errno) => bail!("waitpid(-1) failed: {errno}"),
        }
    }

    /// Reports a bulk step observed by procdemo (see `in_bulk`); the facts
    /// are only built when someone reads them (JSON or `--trace`).
    pub fn emit_bulk(&mut self, step: &str, facts: impl FnOnce() -> Value) -> Result<()> {
        if self.narrator.needs_every_event() {
            let event = Event::observed(self.lesson, self.started, PARENT, step, facts());
            self.narrator.show(&event);
        } else {
            self.narrator.count(step);
        }
        Ok(())
    }

    /// Events at these steps come in bulk: people see a progress bar that
    /// advances with each `counted` event (out of `total`) instead of a line
    /// per event; JSON still carries every one.
    pub fn in_bulk(&mut self, steps: &[&str], counted: &str, total: u64) {
        self.narrator.in_bulk(steps, counted, total);
    }

    /// Every event `pid` reported so far at `step`.
    pub fn reports(&self, pid: Pid, step: &str) -> Vec<Event> {
        self.received
            .iter()
            .filter(|event| event.pid == pid.as_raw() && event.step == step)
            .cloned()
            .collect()
    }

    fn find(&self, pid: Pid, step: &str) -> Option<Event> {
        self.received
            .iter()
            .find(|event| event.pid == pid.as_raw() && event.step == step)
            .cloned()
    }

    /// A demonstrative pause of `seconds` at pace 1, scaled by `--pace`.
    /// Children's events are shown while it lasts; Ctrl-C cuts it short.
    pub fn sleep(&mut self, seconds: f64) -> Result<()> {
        self.sleep_for(Duration::from_secs_f64(
            (seconds * self.config.pace).max(0.0),
        ))
    }

    /// A pause of exactly `duration`, for lessons about time itself.
    pub fn sleep_for(&mut self, duration: Duration) -> Result<()> {
        let deadline = Instant::now() + duration;
        loop {
            self.pump()?;
            self.check_signal()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            self.idle(Some(left))?;
        }
    }

    /// A new closed gate.
    pub fn gate(&mut self) -> Result<Gate> {
        let (read, write) = pipe::pipe().context("creating a gate pipe")?;
        self.gates.push(Some(write));
        Ok(Gate {
            index: self.gates.len() - 1,
            read,
        })
    }

    /// Lets every child waiting at `gate` go on.
    pub fn open(&mut self, gate: &Gate) {
        if let Some(slot) = self.gates.get_mut(gate.index) {
            slot.take();
        }
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

    /// procdemo and its descendants as `/proc` shows them now, as a `tree` fact.
    pub fn live_tree(&mut self) -> Result<Value> {
        self.pump()?;
        let mut root = tree::live(self.owner, &self.processes)
            .context("reading procdemo's descendants in /proc")?;
        root["note"] = json!(PARENT);
        Ok(root)
    }

    /// Reaps every child, checks that none is left, and emits `done`.
    fn finish(&mut self) -> Result<()> {
        // procdemo's own children first: each reaps its children before it ends.
        let running: Vec<Pid> = self
            .processes
            .iter()
            .filter(|process| process.status.is_none() && process.parent == self.owner)
            .map(|process| process.pid)
            .collect();
        for pid in running {
            self.wait(pid)?;
        }
        // Then orphans, adopted by procdemo as subreaper.
        loop {
            self.check_signal()?;
            match wait::try_reap_any() {
                Ok(Some((pid, status))) => self.record_end(pid, status),
                Ok(None) => self.idle(Some(Duration::from_millis(10)))?,
                Err(Errno::ECHILD) => break,
                Err(errno) => bail!("waitpid(-1) failed: {errno}"),
            }
        }
        self.pump()?;
        let left =
            procfs::children_of(self.owner).context("listing procdemo's children in /proc")?;
        if !left.is_empty() {
            bail!("processes still running after the lesson: {left:?}");
        }
        let mut facts = json!({
            "processes_started": self.processes.len(),
            "processes_reaped": self.reaped_count(),
            "tree": tree::of_run(self.owner, &self.processes),
        });
        if let Some(score) = self.narrator.quiz_score() {
            facts["quiz"] = json!(score);
        }
        self.emit(PARENT, DONE, facts)?;
        self.cleaned_up = true;
        Ok(())
    }

    /// Kills and reaps everything the lesson started; returns how many
    /// processes were reaped in all.
    fn clean_up(&mut self) -> u64 {
        self.gates.clear();
        match kill_and_reap_all(CLEANUP_LIMIT) {
            Ok(ended) => {
                for (pid, status) in ended {
                    self.record_end(pid, status);
                }
            }
            Err(left) => narrate::write_err(&format!(
                "procdemo: could not reap processes {left:?} within {CLEANUP_LIMIT:?}; end them with `kill -9`.\n"
            )),
        }
        self.cleaned_up = true;
        // Grandchildren that died with their parent were reaped by procdemo
        // after adoption, or by their parent before it died.
        self.reaped_count()
    }

    fn reaped_count(&self) -> u64 {
        self.processes
            .iter()
            .filter(|process| process.status.is_some())
            .count() as u64
    }

    /// After an early end: the events the children wrote before they were
    /// stopped, for the record (JSON only; people have read the last line).
    fn show_unread(&mut self) {
        if let Some(read_end) = &self.events_read {
            let _ = pipe::read_available(read_end.as_fd(), &mut self.unread);
        }
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

    /// Reads every complete event line the children wrote so far and shows them.
    fn pump(&mut self) -> Result<()> {
        let Some(read_end) = &self.events_read else {
            return Ok(());
        };
        pipe::read_available(read_end.as_fd(), &mut self.unread)
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

    /// A pause for the eye; it does not read events, so showing one never
    /// starts showing another.
    fn beat(&mut self) -> Result<()> {
        let deadline = Instant::now() + BEAT.mul_f64(self.config.pace);
        loop {
            self.check_signal()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            wait_readable(&[self.signals.wake_fd()], Some(left)).context("poll")?;
            self.signals.drain();
        }
    }

    /// Sleeps until an event arrives, a signal comes (SIGCHLD included), or `timeout`.
    fn idle(&mut self, timeout: Option<Duration>) -> Result<()> {
        // Whatever waits to be printed goes out before procdemo sleeps.
        self.narrator.flush();
        if let Some(read_end) = &self.events_read {
            wait_readable(&[read_end.as_fd(), self.signals.wake_fd()], timeout).context("poll")?;
        }
        self.signals.drain();
        self.check_lifetimes()
    }

    /// A child killed by SIGALRM reached its lifetime cap: the lesson cannot
    /// go on as written, so it stops and says which limit to raise.
    fn check_lifetimes(&self) -> Result<()> {
        for process in self
            .processes
            .iter()
            .filter(|process| process.status.is_none())
        {
            if let Some(WaitStatus::Signaled(_, Signal::SIGALRM, _)) =
                wait::held_status(process.pid)
            {
                bail!(
                    "the {} process {} reached its lifetime cap of {} s and was killed by SIGALRM; \
                     run the lesson again with a larger --lifetime (or without it)",
                    process.role,
                    process.pid,
                    self.lifetime().as_secs()
                );
            }
        }
        Ok(())
    }

    fn check_signal(&self) -> Result<()> {
        match self.signals.caught() {
            Some(signal) => Err(Stop::Signal(signal).into()),
            None => Ok(()),
        }
    }

    fn process(&self, pid: Pid) -> Option<&Process> {
        self.processes.iter().find(|process| process.pid == pid)
    }

    fn record_end(&mut self, pid: Pid, status: ExitStatus) {
        match self.processes.iter_mut().find(|process| process.pid == pid) {
            Some(process) => process.status = Some(status),
            None => self.processes.push(Process {
                pid,
                role: "adopted".to_string(),
                parent: self.owner,
                label: None,
                status: Some(status),
            }),
        }
    }

    /// How long any demo process may live: `--lifetime` if given, else long
    /// enough for the slowest pace, and for a teacher who pauses at a step.
    fn lifetime(&self) -> Duration {
        if let Some(limit) = self.config.lifetime {
            return limit;
        }
        if self.config.waits_for_people() {
            Duration::from_secs(3600)
        } else {
            Duration::from_secs(60).mul_f64(self.config.pace.max(1.0))
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Only the process that owns the lab cleans up: a child's copy of the
        // lab must never kill its siblings.
        if !self.cleaned_up && getpid() == self.owner {
            let _ = kill_and_reap_all(CLEANUP_LIMIT);
        }
    }
}

/// The far side of `Lab::spawn`, in the new program: a reporter on the
/// event pipe inherited across `exec`, whose number came on the command line.
pub fn spawned_side(
    lesson: &str,
    role: &str,
    events_fd: i32,
    started_ns: u64,
) -> Result<SpawnedSide> {
    let events = pipe::adopt_inherited_pipe(events_fd).with_context(|| {
        format!(
            "descriptor {events_fd} is not an inherited pipe: __spawned is for procdemo's own use"
        )
    })?;
    Ok(SpawnedSide {
        lesson: lesson.to_string(),
        role: role.to_string(),
        started_ns,
        events,
    })
}

/// One span of a lane in a `timeline` fact.
pub fn span(state: &str, from_us: u64, to_us: u64) -> Value {
    json!({ "state": state, "from_us": from_us, "to_us": to_us })
}

/// Pids as the numbers facts carry.
pub fn raw_pids(pids: &[Pid]) -> Vec<i32> {
    pids.iter().map(|pid| pid.as_raw()).collect()
}

pub fn signal_name(number: i32) -> String {
    Signal::try_from(number)
        .map(|signal| signal.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {number}"))
}

fn fork_failed(errno: Errno) -> anyhow::Error {
    let advice = match errno {
        Errno::EAGAIN => {
            "this user has reached its limit on processes (see `ulimit -u`) or the system ran out of pids; \
             close some programs or raise the limit, then run the lesson again"
        }
        Errno::ENOMEM => {
            "the kernel had no memory left for a new process; close some programs and try again"
        }
        _ => "the kernel refused to create a process",
    };
    anyhow!("fork() failed with {errno}: {advice}")
}
