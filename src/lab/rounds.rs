//! For lessons that repeat an operation many times outside the lab's own
//! calls (the `costs` lesson's timed rounds): a stop signal ends the
//! rounds at once instead of after the last one.

use anyhow::Result;

use super::Lab;

impl Lab {
    /// `Err` once SIGINT or SIGTERM has arrived: call it between rounds,
    /// never inside a timed region.
    pub fn between_rounds(&self) -> Result<()> {
        self.check_signal()
    }
}
