//! The lesson runs most of its parts twice, without the lock and with it,
//! and each part's steps are twins: the same facts under two step ids
//! (`race-read` and `guarded-read`). A part is written once, in terms of
//! the step without the lock; `Locking` tells and reads its twin instead
//! when the lock is on.

use anyhow::Result;
use nix::unistd::Pid;

use super::reports::*;
use crate::lab::{ChildSide, Lab, PARENT};
use crate::model::Report;

/// A step without the lock whose twin with the lock is `Locked`.
pub trait Twin: Report {
    type Locked: Report + From<Self> + Into<Self>;
}

/// Pairs each step without the lock with its twin, field by field.
macro_rules! twins {
    ($($unlocked:ident => $locked:ident { $($field:ident),* $(,)? })*) => {$(
        impl Twin for $unlocked {
            type Locked = $locked;
        }

        impl From<$unlocked> for $locked {
            fn from(twin: $unlocked) -> Self {
                Self { $($field: twin.$field),* }
            }
        }

        impl From<$locked> for $unlocked {
            fn from(twin: $locked) -> Self {
                Self { $($field: twin.$field),* }
            }
        }
    )*};
}

twins! {
    UnlockedAdder => LockedAdder { adder, num, finished, spans }
    AddersInterleave => AddersInTurn { prints_in_order, interleaved, first, timeline }
    RaceRead => GuardedRead { read }
    RaceWrite => GuardedWrite { wrote }
    RaceResult => GuardedResult { expected, r#final, lost }
    UpdatesLost => CounterExact { workers, expected, r#final, lost }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Locking {
    Without,
    With,
}

impl Locking {
    /// procdemo tells `report`, or its twin with the lock.
    pub fn tell<R: Twin>(self, lab: &mut Lab, report: R) -> Result<()> {
        match self {
            Locking::Without => lab.tell(PARENT, &report),
            Locking::With => lab.tell(PARENT, &R::Locked::from(report)),
        }
    }

    /// A child tells `report`, or its twin with the lock.
    pub fn tell_from<R: Twin>(self, side: &ChildSide, report: R) -> Result<()> {
        match self {
            Locking::Without => side.tell(&report),
            Locking::With => side.tell(&R::Locked::from(report)),
        }
    }

    /// Waits until `pid` reports the step of `R`, or of its twin.
    pub fn expect<R: Twin>(self, lab: &mut Lab, pid: Pid) -> Result<R> {
        match self {
            Locking::Without => lab.expect_report(pid),
            Locking::With => Ok(lab.expect_report::<R::Locked>(pid)?.into()),
        }
    }

    /// The step of `R`, or of its twin.
    fn step<R: Twin>(self) -> &'static str {
        match self {
            Locking::Without => R::STEP,
            Locking::With => R::Locked::STEP,
        }
    }

    /// `lab.before` the step of `R`, or of its twin.
    pub fn before<R: Twin>(self, lab: &mut Lab) -> Result<()> {
        lab.before(self.step::<R>())
    }

    /// Every report any of `pids` made so far of the step of `R`, or of
    /// its twin, in the order they arrived: the order the narration shows.
    pub fn reports<R: Twin>(self, lab: &Lab, pids: &[Pid]) -> Result<Vec<R>> {
        lab.reports_from(pids, self.step::<R>())
            .iter()
            .map(|event| match self {
                Locking::Without => event.read::<R>(),
                Locking::With => Ok(event.read::<R::Locked>()?.into()),
            })
            .collect()
    }
}
