//! Typed reports: each step's facts as a struct (`model::Report`), written
//! by the process that observed them and read back by the parent as the
//! same struct. A missing or misspelt fact is an error naming the step and
//! the key, never a default.

use anyhow::Result;
use nix::unistd::Pid;
use serde_json::Value;

use super::{ChildSide, Lab, SpawnedSide};
use crate::model::Report;

impl Lab {
    /// Reports a step observed by procdemo itself.
    pub fn tell<R: Report>(&mut self, role: &str, report: &R) -> Result<()> {
        self.emit(role, R::STEP, Value::Object(report.facts()?))
    }

    /// Waits until process `pid` reports the step of `R`, and returns its facts.
    pub fn expect_report<R: Report>(&mut self, pid: Pid) -> Result<R> {
        self.expect(pid, R::STEP)?.read()
    }

    /// Waits until any process reports the step of `R` (a grandchild, whose
    /// pid procdemo learns from this report), and returns who and its facts.
    pub fn expect_any_report<R: Report>(&mut self) -> Result<(Pid, R)> {
        let event = self.expect_any(R::STEP)?;
        Ok((Pid::from_raw(event.pid), event.read()?))
    }

    /// Waits until `pid` has reported the step of `R` `count` times.
    pub fn expect_reports_of<R: Report>(&mut self, pid: Pid, count: usize) -> Result<Vec<R>> {
        self.expect_reports(pid, R::STEP, count)?
            .iter()
            .map(|event| event.read())
            .collect()
    }

    /// Every report of the step of `R` that `pid` made so far.
    pub fn reports_of<R: Report>(&self, pid: Pid) -> Result<Vec<R>> {
        self.reports(pid, R::STEP)
            .iter()
            .map(|event| event.read())
            .collect()
    }
}

impl ChildSide<'_> {
    /// Sends the report of one step to the parent.
    pub fn tell<R: Report>(&self, report: &R) -> Result<()> {
        self.report(R::STEP, Value::Object(report.facts()?))
    }
}

impl SpawnedSide {
    /// Sends the report of one step to the parent.
    pub fn tell<R: Report>(&self, report: &R) -> Result<()> {
        self.report(R::STEP, Value::Object(report.facts()?))
    }
}
