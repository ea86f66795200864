//! The lock lesson's options: how many workers add to the shared counter,
//! and how often.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=16_usize, "the number of workers must be a whole number from 1 to 16, so that the locked run stays short (each worker adds its increments one at a time)", "工作进程的个数必须是 1 到 16 之间的整数，这样加锁的那次运行不会太久（每个工作进程的加法要一个接一个地做）"), allow_negative_numbers = true)]
    pub workers: usize,

    #[arg(long, value_name = "N", default_value = "200000", value_parser = within(1..=1_000_000_usize, "the increments per worker must be a whole number from 1 to 1000000, so the locked run ends in seconds", "每个工作进程的加法次数必须是 1 到 1000000 之间的整数，这样加锁的那一轮几秒内就能结束"), allow_negative_numbers = true)]
    pub increments: usize,
}
