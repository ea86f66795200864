//! The semaphore lesson's options: how many workers compete for how many
//! permits.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Worker processes competing for the permits (1 to 16)
    #[arg(long, value_name = "N", default_value = "5", value_parser = within(1..=16_usize, "the number of workers must be a whole number from 1 to 16 (this machine has few cores; more only queue up)"), allow_negative_numbers = true)]
    pub workers: usize,

    /// Permits: how many workers may be inside at once, Semaphore(N) (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=16_usize, "the permits must be a whole number from 1 to 16: Semaphore(0) would let no one in"), allow_negative_numbers = true)]
    pub permits: usize,
}
