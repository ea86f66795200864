//! The lab bench a lesson runs on. It forks children and gives each a way to
//! report, renders every event through the narrator, waits and reaps, paces
//! the show, and on Ctrl-C, SIGTERM, `q` or an error kills and reaps every
//! process the lesson started.
//!
//! Split by concern: `registry` (the processes of the run), `inbox` (the
//! event pipe and what is shown), `waiting` (every wait of the parent),
//! `fork` (starting children), `child` (what a child gets), `tree` (trees
//! as facts) and `pool` (a pool of workers).

mod across_exec;
mod child;
mod fork;
pub mod futures;
mod inbox;
pub mod pool;
mod registry;
mod reports;
mod rounds;
mod states;
mod threads;
mod tree;
mod waiting;

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::unistd::{Pid, getpid};
use serde_json::{Value, json};

pub use across_exec::InheritedGate;
pub use child::{ChildSide, Gate, SpawnedSide, Tie};
pub use fork::{default_lifetime, spawned_side};
pub use waiting::Asleep;
// Lessons name the signal a wait status reports; the os layer knows real-time ones too.
pub use crate::os::sigaction::signal_name;

use crate::config::Config;
use crate::model::{Done, Ended, Event, Lang, Outcome, Report, Stop, micros_since};
use crate::narrate::{self, Ending, Narrator};
use crate::os;
use crate::os::cleanup::kill_and_reap_all;
use crate::os::limits;
use crate::os::pipe;
use crate::os::process::become_subreaper;
use crate::os::procfs;
use crate::os::signals::Signals;
use crate::os::wait;
use crate::text::LessonText;
use registry::Process;
use waiting::Wake;

pub const PARENT: &str = "parent";
/// The command word of `procdemo __spawned …`, which `spawn` execs.
pub const SPAWNED: &str = "__spawned";
pub const CHILD: &str = "child";

/// How long cleanup may take to kill and reap everything before it reports.
const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

pub struct Lab {
    lesson: &'static str,
    config: Config,
    narrator: Narrator,
    started: Instant,
    signals: &'static Signals,
    /// The parent's read end; `None` in a child's copy of the lab, whose
    /// fork took it out (and so closed it): the parent alone reads events.
    events_read: Option<OwnedFd>,
    events_write: OwnedFd,
    unread: Vec<u8>,
    received: Vec<Event>,
    /// How many of `received` `next_report` has handed out.
    handed_out: usize,
    gates: Vec<Option<OwnedFd>>,
    processes: Vec<Process>,
    /// Processes a lesson started and reaped at once to time them (see
    /// [`Lab::measured`]): counted, not drawn.
    measured: u64,
    /// Events kept back while `hold` is on, in arrival order.
    held: Option<Vec<Event>>,
    owner: Pid,
    cleaned_up: bool,
    /// How long the lesson's own work may take at pace 1, as the lesson
    /// said (`expect_work`): added to the default lifetime cap.
    work: Duration,
    /// stdout is a pipe or a socket, whose reader may go away while the
    /// lesson waits: every wait watches it.
    watch_stdout: bool,
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
        let rest = lab.clean_up();
        // For the record (JSON only; people have read the last line).
        for event in lab.held.take().unwrap_or_default().iter().chain(&rest) {
            lab.narrator.show_late(event);
        }
        let reaped = lab.reaped_count();
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
            Some(Stop::Output(errno)) => (
                "stdout".to_string(),
                Ending::Output(*errno),
                Outcome::Stopped(Stop::Output(*errno)),
            ),
            None => (
                "error".to_string(),
                Ending::Failed(format!("{error:#}")),
                Outcome::Failed,
            ),
        };
        let ended = Ended {
            reason,
            processes_started: lab.started_count(),
            processes_reaped: reaped,
            processes_measured: lab.measured,
            ps_runs: procfs::ps_runs(),
            error: matches!(outcome, Outcome::Failed | Outcome::Stopped(Stop::Output(_)))
                .then(|| format!("{error:#}")),
        };
        let event = Event::observed(
            lab.lesson,
            lab.started,
            PARENT,
            Ended::STEP,
            Value::Object(ended.facts()?),
        );
        // People are told every process reaped: the timed ones and ps too.
        lab.narrator
            .ended(&event, ending, reaped + lab.measured + procfs::ps_runs());
        Ok(outcome)
    }

    fn new(config: Config, lesson: &'static str, text: LessonText) -> Result<Self> {
        if let Some(path) = &config.trace {
            // An empty trace now, so that a file that cannot be written
            // (`/dev/full`) stops procdemo before the lesson begins.
            narrate::empty_trace(path, config.lang)?;
        }
        let signals = Signals::get().context("installing the Ctrl-C and SIGCHLD handlers")?;
        become_subreaper().context("prctl(PR_SET_CHILD_SUBREAPER) failed")?;
        crate::os::private_dir::sweep_left_by_dead_runs();
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
            measured: 0,
            held: None,
            owner: getpid(),
            cleaned_up: false,
            work: Duration::ZERO,
            watch_stdout: os::stdout::is_pipe_or_socket(),
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

    /// The learner's language, for what a lesson says itself (an option
    /// that cannot be followed).
    pub fn lang(&self) -> Lang {
        self.config.lang
    }

    /// `option value` asked for `bytes` that procdemo could not have: the
    /// error that ends the lesson, naming the option and the limit.
    pub fn no_memory(&self, option: &str, value: usize, bytes: usize) -> anyhow::Error {
        anyhow!(narrate::ui::no_memory(
            self.config.lang,
            option,
            value,
            bytes,
            limits::address_space()
        ))
    }

    /// The `--pace` factor, for lessons whose timing is part of the lesson.
    pub fn pace(&self) -> f64 {
        self.config.pace
    }

    /// The steps this run will report, in order, for the narrator's "step
    /// N of M" (see `Lesson::plan`).
    pub fn plan(&mut self, steps: Vec<String>) {
        self.narrator.plan(steps);
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
        // Then orphans, adopted by procdemo as subreaper, until none is left.
        // Each end is a SIGCHLD; looking every 10 ms as well costs nothing.
        self.poll(Wake::EventOrAfter(Duration::from_millis(10)), |lab| {
            loop {
                match wait::try_reap_any() {
                    Ok(Some((pid, status))) => lab.record_end(pid, status),
                    Ok(None) => return Ok(None),
                    Err(Errno::ECHILD) => return Ok(Some(())),
                    Err(errno) => bail!("waitpid(-1) failed: {errno}"),
                }
            }
        })?;
        self.pump()?;
        let left =
            procfs::children_of(self.owner).context("listing procdemo's children in /proc")?;
        if !left.is_empty() {
            bail!("processes still running after the lesson: {left:?}");
        }
        let done = Done {
            processes_started: self.started_count(),
            processes_reaped: self.reaped_count(),
            processes_measured: self.measured,
            ps_runs: procfs::ps_runs(),
            tree: tree::of_run(self.owner, &self.processes),
            quiz: self.narrator.quiz_score(),
        };
        self.tell(PARENT, &done)?;
        self.cleaned_up = true;
        Ok(())
    }

    /// Kills and reaps everything the lesson started, and takes in what the
    /// children wrote before they were stopped; returns their events not
    /// shown yet.
    fn clean_up(&mut self) -> Vec<Event> {
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
        // after adoption, or by their parent, which told how they ended
        // first: those notes may still be in the pipe.
        self.read_the_rest()
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

/// One span of a lane in a `timeline` fact.
pub fn span(state: &str, from_us: u64, to_us: u64) -> Value {
    json!({ "state": state, "from_us": from_us, "to_us": to_us })
}

/// Pids as the numbers facts carry.
pub fn raw_pids(pids: &[Pid]) -> Vec<i32> {
    pids.iter().map(|pid| pid.as_raw()).collect()
}
