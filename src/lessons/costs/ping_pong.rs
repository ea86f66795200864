//! Two pipes between a process and an echoing child: the pipe round trip
//! and the pinned ping-pong of `costs` are the same rounds.

use std::os::fd::{AsFd, OwnedFd};

use anyhow::{Context, Result};

use super::nanos;
use crate::lab::ChildSide;
use crate::os::costs;
use crate::os::pipe;

pub struct PingPong {
    to_write: Option<OwnedFd>,
    back_read: Option<OwnedFd>,
    to_read: Option<OwnedFd>,
    back_write: Option<OwnedFd>,
}

impl PingPong {
    pub fn new() -> Result<Self> {
        let (to_read, to_write) = pipe::pipe().context("creating the pipe to the echo")?;
        let (back_read, back_write) = pipe::pipe().context("creating the pipe back")?;
        Ok(Self {
            to_write: Some(to_write),
            back_read: Some(back_read),
            to_read: Some(to_read),
            back_write: Some(back_write),
        })
    }

    /// The echo's body: closes the other side's ends, echoes until end of
    /// file.
    pub fn echo(&mut self, side: &ChildSide) -> Result<i32> {
        for fd in [self.to_write.take(), self.back_read.take()]
            .into_iter()
            .flatten()
        {
            side.close(fd);
        }
        let (from, to) = (
            self.to_read.as_ref().context("the echo's read end")?,
            self.back_write.as_ref().context("the echo's write end")?,
        );
        costs::echo(from.as_fd(), to.as_fd()).context("echoing")?;
        Ok(0)
    }

    /// In the process that forked the echo: closes the echo's ends, then
    /// times `rounds` round trips (ns), calling `between` before each.
    pub fn rounds(&mut self, rounds: usize, between: impl Fn() -> Result<()>) -> Result<Vec<u64>> {
        drop((self.to_read.take(), self.back_write.take()));
        let (to, back) = (
            self.to_write.as_ref().context("the write end")?,
            self.back_read.as_ref().context("the read end")?,
        );
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            between()?;
            let took =
                costs::time_pipe_round_trip(to.as_fd(), back.as_fd()).context("a round trip")?;
            times.push(nanos(took));
        }
        Ok(times)
    }

    /// Closes the write end: the echo reads end of file and ends.
    pub fn finish(self) {}
}
