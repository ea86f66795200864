//! The semaphore lesson's options: how many workers compete for how many
//! permits.

use crate::config::number_in;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Worker processes competing for the permits (1 to 16)
    #[arg(long, value_name = "N", default_value = "5", value_parser = parse_workers, allow_negative_numbers = true)]
    pub workers: usize,

    /// Permits: how many workers may be inside at once, Semaphore(N) (1 to 16)
    #[arg(long, value_name = "N", default_value = "2", value_parser = parse_permits, allow_negative_numbers = true)]
    pub permits: usize,
}

fn parse_workers(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=16,
        "the number of workers must be a whole number from 1 to 16 (this machine has few cores; more only queue up)",
    )
}

fn parse_permits(text: &str) -> Result<usize, String> {
    number_in(
        text,
        1..=16,
        "the permits must be a whole number from 1 to 16: Semaphore(0) would let no one in",
    )
}
