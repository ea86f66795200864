//! The queue calls the lesson makes as Python does: a queue that leaves no
//! name behind, a put that waits and still lets Ctrl-C through, and
//! messages as text.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use nix::errno::Errno;

use crate::lab::Lab;
use crate::model::Lang;
use crate::narrate::ui::cli::system_error;
use crate::os::limits;
use crate::os::mqueue::{Queue, Refused};

/// Large enough for every message of this lesson.
const MESSAGE_SIZE: usize = 64;

/// A queue of `capacity` messages; when the kernel refuses it, the error
/// names what happened (the errno) first, then the limit that explains it,
/// only when one does.
pub fn open(lab: &Lab, capacity: usize) -> Result<Queue> {
    Queue::open_unlinked(capacity, MESSAGE_SIZE).map_err(|errno| {
        let lang = lab.lang();
        let mut line = match lang {
            Lang::En => format!(
                "mq_open() failed for a queue of {capacity} messages: {}",
                system_error(lang, errno)
            ),
            Lang::Zh => format!(
                "mq_open() 无法创建容量为 {capacity} 条消息的队列：{}",
                system_error(lang, errno)
            ),
        };
        if let Some(hint) = why_refused(lang, errno) {
            line.push_str(&hint);
        }
        anyhow!(line)
    })
}

/// The limit behind a refused `mq_open()`, when one explains `errno`.
fn why_refused(lang: Lang, errno: Errno) -> Option<String> {
    match errno {
        // Descriptors and the queues' memory (`ulimit -q`) both end in
        // EMFILE; descriptors are the one to blame if none is left.
        Errno::EMFILE => {
            let files = limits::open_files();
            let all_taken = limits::descriptors_open()
                .is_none_or(|open| files.is_some_and(|files| open as u64 >= files));
            match (all_taken, files, limits::queue_bytes(), lang) {
                (true, Some(files), _, Lang::En) => Some(format!(
                    "; procdemo has all {files} descriptors it may open in use (ulimit -n {files}), and a queue takes one more"
                )),
                (true, Some(files), _, Lang::Zh) => Some(format!(
                    "；procdemo 能打开的 {files} 个描述符已经全部用上了（ulimit -n {files}），而队列还要再占一个"
                )),
                (false, _, Some(bytes), Lang::En) => Some(format!(
                    "; the queue would take this user's queues past their memory limit (ulimit -q {bytes} bytes)"
                )),
                (false, _, Some(bytes), Lang::Zh) => Some(format!(
                    "；这个队列会让本用户的消息队列超出内存上限（ulimit -q {bytes} 字节）"
                )),
                _ => None,
            }
        }
        Errno::ENOSPC => Some(match lang {
            Lang::En => {
                "; the system has as many queues as it allows (/proc/sys/fs/mqueue/queues_max)"
                    .to_string()
            }
            Lang::Zh => {
                "；系统里的消息队列已经达到上限（/proc/sys/fs/mqueue/queues_max）".to_string()
            }
        }),
        _ => None,
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What Python raises for a refused put, and for a refused get.
pub const FULL: &str = "queue.Full";
pub const EMPTY: &str = "queue.Empty";

/// A put that waits at most `limit` (`None`: as long as it takes) and
/// still lets Ctrl-C through: it waits in short slices, showing events and
/// checking for signals between them.
pub fn put_waiting(
    lab: &mut Lab,
    queue: &Queue,
    message: &[u8],
    limit: Option<Duration>,
) -> Result<Result<(), Refused>> {
    let deadline = limit.map(|limit| Instant::now() + limit);
    loop {
        let left = deadline.map_or(SLICE, |deadline| {
            deadline.saturating_duration_since(Instant::now())
        });
        match queue
            .put_within(message, left.min(SLICE))
            .context("mq_timedsend()")?
        {
            Ok(()) => return Ok(Ok(())),
            Err(refused) if left <= SLICE && deadline.is_some() => return Ok(Err(refused)),
            Err(_) => lab.sleep_for(Duration::ZERO)?,
        }
    }
}

/// How long one wait inside `put_waiting` lasts before it looks for signals.
const SLICE: Duration = Duration::from_millis(50);
