//! The lock lesson's options: how many workers add to the shared counter,
//! and how often.

use crate::config::number_in;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Processes adding to the shared counter (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_lock_workers, allow_negative_numbers = true)]
    pub workers: usize,

    /// Increments each worker makes (1 to 1000000)
    #[arg(long, value_name = "N", default_value = "200000", value_parser = parse_increments, allow_negative_numbers = true)]
    pub increments: usize,
}

fn parse_lock_workers(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=16,
        "the number of workers must be a whole number from 1 to 16 (this machine has few cores; more only queue up)",
    )
}

fn parse_increments(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=1_000_000,
        "the increments per worker must be a whole number from 1 to 1000000, so the locked run ends in seconds",
    )
}
