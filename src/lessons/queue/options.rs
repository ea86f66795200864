//! The queue lesson's options: the queue's size, and how many producers,
//! consumers and messages the many-to-many part has.

use crate::config::within;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_name = "N", default_value = "3", value_parser = parse_queue_size, allow_negative_numbers = true)]
    pub size: usize,

    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=8_usize, "the number of producers or consumers must be a whole number from 1 to 8", "生产者或消费者的个数必须是 1 到 8 之间的整数"), allow_negative_numbers = true)]
    pub producers: usize,

    #[arg(long, value_name = "N", default_value = "2", value_parser = within(1..=8_usize, "the number of producers or consumers must be a whole number from 1 to 8", "生产者或消费者的个数必须是 1 到 8 之间的整数"), allow_negative_numbers = true)]
    pub consumers: usize,

    #[arg(long, value_name = "N", default_value = "20", value_parser = within(1..=10_000_usize, "the number of messages must be a whole number from 1 to 10000", "消息的条数必须是 1 到 10000 之间的整数"), allow_negative_numbers = true)]
    pub messages: usize,

    #[arg(long, value_name = "N", value_parser = within(0..=u64::MAX, format!("the seed must be a whole number from 0 to {}", u64::MAX), format!("种子必须是 0 到 {} 之间的整数", u64::MAX)), allow_negative_numbers = true)]
    pub seed: Option<u64>,
}

fn parse_queue_size(text: &str) -> Result<usize, String> {
    let limit = crate::os::mqueue::capacity_limit().unwrap_or(10);
    // The kernel's limit is read when a size is given, not on every start.
    within(
        1..=limit,
        format!(
            "the queue size must be a whole number from 1 to {limit}: {limit} is this kernel's limit for a message queue, \
             in /proc/sys/fs/mqueue/msg_max (root can raise it, e.g. `sysctl fs.mqueue.msg_max=64`)"
        ),
        format!(
            "队列大小必须是 1 到 {limit} 之间的整数：{limit} 是这个内核对一个消息队列的上限，\
             见 /proc/sys/fs/mqueue/msg_max（root 可以调高，例如 `sysctl fs.mqueue.msg_max=64`）"
        ),
    )(text)
}
