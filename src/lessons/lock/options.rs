//! The lock lesson's options: how many workers add to the shared counter,
//! and how often.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Processes adding to the shared counter (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=16_usize, "the number of workers must be a whole number from 1 to 16 (this machine has few cores; more only queue up)"), allow_negative_numbers = true)]
    pub workers: usize,

    /// Increments each worker makes (1 to 1000000)
    #[arg(long, value_name = "N", default_value = "200000", value_parser = within(1..=1_000_000_usize, "the increments per worker must be a whole number from 1 to 1000000, so the locked run ends in seconds"), allow_negative_numbers = true)]
    pub increments: usize,
}
