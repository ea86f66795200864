//! The semaphore lesson's options: how many workers compete for how many
//! permits.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", default_value = "5", value_parser = within(1..=16_usize, "the number of workers must be a whole number from 1 to 16, so that the timeline, a lane per worker, stays readable", "工作进程的个数必须是 1 到 16 之间的整数，这样时间线（每个工作进程一行）才看得清"), allow_negative_numbers = true)]
    pub workers: usize,

    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=16_usize, "the permits must be a whole number from 1 to 16: Semaphore(0) would let no one in", "许可数必须是 1 到 16 之间的整数：Semaphore(0) 谁也进不去"), allow_negative_numbers = true)]
    pub permits: usize,
}
