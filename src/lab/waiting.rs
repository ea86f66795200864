//! Every wait of the parent: for a child to end, for a report, for time to
//! pass. All of them are one loop, `poll_until`, so that each shows the
//! children's events and obeys a stop signal the same way.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

use super::Lab;
use crate::model::{Event, Stop};
use crate::narrate;
use crate::os;
use crate::os::pipe::wait_readable_watching;
use crate::os::procfs;

/// The state `/proc/<pid>/stat` gives a process asleep in the kernel.
const ASLEEP: char = 'S';
use crate::os::wait::{self, ExitStatus};

/// A process the kernel has put to sleep, as `wait_until_asleep` found it.
#[derive(Clone, Debug)]
pub struct Asleep {
    /// Its state letter in /proc/<pid>/stat: `S`.
    pub state: String,
    /// The kernel function it sleeps in (/proc/<pid>/wchan), e.g.
    /// `pipe_write`; `None` only if /proc never named one.
    pub wchan: Option<String>,
}

/// What ends a sleep of `poll_until` early, besides a signal (SIGCHLD too).
#[derive(Clone, Copy)]
pub(super) enum Wake<'fd> {
    /// An event on the pipe.
    Event,
    /// An event, or this long: for a change that no signal announces.
    EventOrAfter(Duration),
    /// An event, or `fd` becoming readable.
    EventOrReadable(BorrowedFd<'fd>),
    /// A signal alone, and no event is read: showing one event must never
    /// start showing another.
    SignalOnly,
}

impl Lab {
    /// The one waiting loop of the lab: reads and shows the events that
    /// came, stops at a stop signal, asks `look` for an answer, and sleeps
    /// until `wake` or `deadline`, in that order every round. `None` once
    /// `deadline` has passed without an answer.
    pub(super) fn poll_until<T>(
        &mut self,
        deadline: Option<Instant>,
        wake: Wake<'_>,
        mut look: impl FnMut(&mut Self) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        loop {
            if !matches!(wake, Wake::SignalOnly) {
                self.pump()?;
            }
            self.check_signal()?;
            self.check_output()?;
            if let Some(found) = look(self)? {
                return Ok(Some(found));
            }
            let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            if left.is_some_and(|left| left.is_zero()) {
                return Ok(None);
            }
            self.idle(wake, left)?;
        }
    }

    /// `poll_until` without a deadline.
    pub(super) fn poll<T>(
        &mut self,
        wake: Wake<'_>,
        look: impl FnMut(&mut Self) -> Result<Option<T>>,
    ) -> Result<T> {
        match self.poll_until(None, wake, look)? {
            Some(found) => Ok(found),
            None => unreachable!("poll_until gives up only at a deadline"),
        }
    }

    /// A pause until `deadline`, with nothing to look for.
    fn pause_until(&mut self, deadline: Instant, wake: Wake<'_>) -> Result<()> {
        self.poll_until(Some(deadline), wake, |_| Ok(None::<()>))
            .map(drop)
    }

    /// Waits for the child `pid` to end and reaps it, showing its events as
    /// they arrive. Returns the raw wait status.
    pub fn wait(&mut self, pid: Pid) -> Result<ExitStatus> {
        self.poll(Wake::Event, |lab| lab.try_reap(pid))
    }

    /// Like `wait`, but gives up after `timeout` (`None`: no limit) and then
    /// returns `None`: the child still runs.
    pub fn wait_timeout(
        &mut self,
        pid: Pid,
        timeout: Option<Duration>,
    ) -> Result<Option<ExitStatus>> {
        let deadline = timeout.map(|limit| Instant::now() + limit);
        self.poll_until(deadline, Wake::Event, |lab| lab.try_reap(pid))
    }

    /// How `pid` ended, reaping it now if need be; `None` while it runs.
    fn try_reap(&mut self, pid: Pid) -> Result<Option<ExitStatus>> {
        if let Some(status) = self.process(pid).and_then(|process| process.status) {
            return Ok(Some(status));
        }
        match wait::try_reap(pid) {
            Ok(Some(status)) => {
                self.reaped(pid, status)?;
                Ok(Some(status))
            }
            Ok(None) => Ok(None),
            Err(errno) => bail!("waitpid({pid}) failed: {errno}"),
        }
    }

    /// Waits for whichever child ends first (`waitpid(-1)`) and reaps it.
    pub fn wait_any(&mut self) -> Result<(Pid, ExitStatus)> {
        self.poll(Wake::Event, |lab| match wait::try_reap_any() {
            Ok(Some((pid, status))) => {
                lab.reaped(pid, status)?;
                Ok(Some((pid, status)))
            }
            Ok(None) => Ok(None),
            Err(errno) => bail!("waitpid(-1) failed: {errno}"),
        })
    }

    fn reaped(&mut self, pid: Pid, status: ExitStatus) -> Result<()> {
        self.record_end(pid, status);
        // Whatever it wrote before it ended is shown before the caller goes on.
        self.pump()
    }

    /// Waits until `pid` has ended, without reaping it: it stays a zombie.
    pub fn wait_until_ended(&mut self, pid: Pid) -> Result<()> {
        let never_gone = |_: &Self| false;
        self.until_found(
            Wake::Event,
            |_| wait::has_ended(pid).then_some(()),
            never_gone,
            || anyhow!("process {pid} did not end"),
        )
    }

    /// Waits until the kernel has put `pid` to sleep (state `S`, e.g. in a
    /// full pipe's write() or a taken lock's sem_wait) and /proc names the
    /// kernel function it sleeps in, and returns both. It is on its way
    /// there: this gives it 2 s at most. Read just as the process falls
    /// asleep, `wchan` may not name a function yet: it is read again until
    /// it does, and is `None` only if /proc never named one in that time.
    pub fn wait_until_asleep(&mut self, pid: Pid) -> Result<Asleep> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut seen_asleep = false;
        // Falling asleep sends no signal: /proc is read every millisecond.
        let named = self.poll_until(
            Some(deadline),
            Wake::EventOrAfter(Duration::from_millis(1)),
            |_| {
                let state = procfs::stat(pid)
                    .with_context(|| format!("reading /proc/{pid}/stat"))?
                    .state;
                seen_asleep |= state == ASLEEP;
                Ok((state == ASLEEP).then(|| procfs::wchan(pid)).flatten())
            },
        )?;
        if !seen_asleep {
            bail!("process {pid} never went to sleep where the lesson expected it to wait");
        }
        Ok(Asleep {
            state: ASLEEP.to_string(),
            wchan: named,
        })
    }

    /// Waits until process `pid` reports `step`, and returns that event.
    pub fn expect(&mut self, pid: Pid, step: &str) -> Result<Event> {
        self.until_found(
            Wake::Event,
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
            Wake::EventOrAfter(Duration::from_millis(50)),
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
            Wake::Event,
            |lab| Some(lab.reports(pid, step)).filter(|reports| reports.len() >= count),
            |lab| lab.has_ended(pid),
            || anyhow!("process {pid} ended before reporting `{step}` {count} times"),
        )
    }

    /// Polls until `found` has an answer. Once `gone` says no one can
    /// report it any more, looks a last time, for what was written before
    /// the end, then fails with `missing`.
    fn until_found<T>(
        &mut self,
        wake: Wake<'_>,
        found: impl Fn(&Self) -> Option<T>,
        gone: impl Fn(&Self) -> bool,
        missing: impl Fn() -> anyhow::Error,
    ) -> Result<T> {
        self.poll(wake, |lab| {
            if let Some(answer) = found(lab) {
                return Ok(Some(answer));
            }
            if !gone(lab) {
                return Ok(None);
            }
            lab.pump()?;
            found(lab).map(Some).ok_or_else(&missing)
        })
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
        self.pause_until(Instant::now() + duration, Wake::Event)
    }

    /// A pause between steps, as long as the narrator says the last one
    /// takes to read, while an event waits to be shown.
    pub(super) fn pause_to_read(&mut self, pause: Duration) -> Result<()> {
        self.pause_until(Instant::now() + pause, Wake::SignalOnly)
    }

    /// Sleeps until `wake` says, a signal comes, the reader of stdout goes
    /// away, or `timeout`.
    fn idle(&mut self, wake: Wake<'_>, timeout: Option<Duration>) -> Result<()> {
        let signal = self.signals.wake_fd();
        let out = io::stdout();
        let watched = self.watch_stdout.then(|| out.as_fd());
        let (also, timeout) = match wake {
            Wake::Event => (None, timeout),
            Wake::EventOrAfter(nap) => (None, Some(timeout.map_or(nap, |left| left.min(nap)))),
            Wake::EventOrReadable(fd) => (Some(fd), timeout),
            Wake::SignalOnly => {
                wait_readable_watching(&[signal], watched, timeout).context("poll")?;
                self.signals.drain();
                self.look_at_stdout();
                return Ok(());
            }
        };
        // Whatever waits to be printed goes out before procdemo sleeps.
        self.narrator.flush();
        let mut fds: Vec<BorrowedFd> = self.events_read.iter().map(AsFd::as_fd).collect();
        fds.push(signal);
        fds.extend(also);
        wait_readable_watching(&fds, watched, timeout).context("poll")?;
        self.signals.drain();
        self.look_at_stdout();
        self.check_lifetimes()
    }

    /// Notes that stdout's reader went away, for `check_output` to stop the
    /// lesson: a lesson that waits writes nothing that would fail.
    fn look_at_stdout(&self) {
        if self.watch_stdout && os::stdout::reader_gone() {
            narrate::stdout_reader_gone();
        }
    }

    /// Stops the lesson once stdout failed (nobody can read it any more)
    /// or the `--trace` file could not be written.
    pub(super) fn check_output(&self) -> Result<()> {
        if let Some(errno) = narrate::stdout_failed() {
            return Err(Stop::Output(errno).into());
        }
        self.narrator.trace_failed()
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
                let cap = self.lifetime().as_secs();
                let advice = if self.config.lifetime.is_some() {
                    "run the lesson again with a larger --lifetime (or without it)".to_string()
                } else {
                    format!(
                        "that is procdemo's default cap (60 s times the pace, or an hour on a terminal \
                         or with --step or --quiz, plus the time the lesson's work may take); run the lesson again with --lifetime longer \
                         than {cap} s"
                    )
                };
                bail!(
                    "the {} process {} reached its lifetime cap of {cap} s and was killed by \
                     SIGALRM; {advice}",
                    process.role,
                    process.pid,
                );
            }
        }
        Ok(())
    }

    pub(super) fn check_signal(&self) -> Result<()> {
        match self.signals.caught() {
            Some(signal) => Err(Stop::Signal(signal).into()),
            None => Ok(()),
        }
    }
}
