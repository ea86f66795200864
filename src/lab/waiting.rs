//! Every wait of the parent: for a child to end, for a report, for time to
//! pass. Children's events are shown and stop signals obeyed all the while.

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

use super::{Lab, Stop};
use crate::narrate::Event;
use crate::os::pipe::wait_readable;
use crate::os::procfs;
use crate::os::wait::{self, ExitStatus};

/// A pause between steps, so a person can read one before the next appears.
const BEAT: Duration = Duration::from_millis(350);

impl Lab {
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

    /// A pause for the eye; it does not read events, so showing one never
    /// starts showing another.
    pub(super) fn beat(&mut self) -> Result<()> {
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
    pub(super) fn idle(&mut self, timeout: Option<Duration>) -> Result<()> {
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
    pub(super) fn check_lifetimes(&self) -> Result<()> {
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

    pub(super) fn check_signal(&self) -> Result<()> {
        match self.signals.caught() {
            Some(signal) => Err(Stop::Signal(signal).into()),
            None => Ok(()),
        }
    }
}
