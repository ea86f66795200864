//! POSIX message queues (`mq_*`): a kernel queue of whole messages with a
//! fixed capacity. procdemo's queues leave no name behind: each is unlinked
//! right after it is opened, and its name carries procdemo's pid so that a
//! start-up sweep can remove any left by a procdemo that died in between.

use std::fs;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::mqueue::{
    MQ_OFlag, MqAttr, MqdT, mq_getattr, mq_open, mq_receive, mq_remove_nonblock, mq_send,
    mq_set_nonblock, mq_unlink,
};
use nix::sys::stat::Mode;
use nix::unistd::getpid;

use super::retry;

/// The kernel's ceiling on a queue's capacity for unprivileged users.
pub const MSG_MAX_FILE: &str = "/proc/sys/fs/mqueue/msg_max";
/// Where the queues' names are listed, when the mqueue filesystem is mounted.
const MOUNT: &str = "/dev/mqueue";
const PREFIX: &str = "procdemo-";

static OPENED: AtomicU32 = AtomicU32::new(0);

pub struct Queue {
    descriptor: MqdT,
    pub name: String,
    pub capacity: usize,
    pub message_size: usize,
}

impl Drop for Queue {
    fn drop(&mut self) {
        // nix's MqdT does not close itself: without this every queue of the
        // lesson would keep a descriptor until procdemo exits.
        // SAFETY: the descriptor is this queue's own, open since
        // `open_unlinked`, and nothing uses it after the queue is dropped.
        let _ = unsafe { libc::close(self.descriptor.as_raw_fd()) };
    }
}

/// Why a put or a get did not happen: what Python raises as `Full`/`Empty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `EAGAIN`: the call would have had to wait, and was told not to.
    WouldBlock,
    /// `ETIMEDOUT`: it waited as long as it was allowed to.
    TimedOut,
}

impl Refused {
    pub fn errno_name(self) -> &'static str {
        match self {
            Refused::WouldBlock => "EAGAIN",
            Refused::TimedOut => "ETIMEDOUT",
        }
    }
}

impl Queue {
    /// Creates a queue of `capacity` messages of at most `message_size`
    /// bytes, and removes its name at once: it lives on only through this
    /// descriptor and the copies children inherit.
    pub fn open_unlinked(capacity: usize, message_size: usize) -> Result<Self, Errno> {
        let name = format!(
            "/{PREFIX}{}-{}",
            getpid(),
            OPENED.fetch_add(1, Ordering::SeqCst)
        );
        let attr = MqAttr::new(0, capacity as _, message_size as _, 0);
        let flags = MQ_OFlag::O_CREAT | MQ_OFlag::O_EXCL | MQ_OFlag::O_RDWR;
        let descriptor = mq_open(
            name.as_str(),
            flags,
            Mode::S_IRUSR | Mode::S_IWUSR,
            Some(&attr),
        )?;
        mq_unlink(name.as_str())?;
        Ok(Self {
            descriptor,
            name,
            capacity,
            message_size,
        })
    }

    /// How many messages wait in the queue (`mq_curmsgs`): exact, the kernel counts them.
    pub fn qsize(&self) -> Result<usize, Errno> {
        mq_getattr(&self.descriptor).map(|attr| attr.curmsgs() as usize)
    }

    /// Blocks while the queue is full.
    pub fn put(&self, message: &[u8]) -> Result<(), Errno> {
        retry(|| mq_send(&self.descriptor, message, 0))
    }

    /// Waits at most `timeout` for room (zero: not at all).
    pub fn put_within(
        &self,
        message: &[u8],
        timeout: Duration,
    ) -> Result<Result<(), Refused>, Errno> {
        let deadline = deadline_after(timeout);
        let sent = retry(|| {
            // SAFETY: the message pointer and length describe `message`, alive
            // for the call; `deadline` is a valid timespec; the descriptor is open.
            Errno::result(unsafe {
                libc::mq_timedsend(
                    self.descriptor.as_raw_fd(),
                    message.as_ptr().cast(),
                    message.len(),
                    0,
                    &deadline,
                )
            })
            .map(drop)
        });
        refusal(sent)
    }

    /// Sends only if there is room now (`O_NONBLOCK` for this one call):
    /// Python's `put_nowait`. The flag belongs to the open queue, which
    /// children share: call it while no child uses the queue.
    pub fn try_put(&self, message: &[u8]) -> Result<Result<(), Refused>, Errno> {
        mq_set_nonblock(&self.descriptor)?;
        let sent = retry(|| mq_send(&self.descriptor, message, 0));
        mq_remove_nonblock(&self.descriptor)?;
        refusal(sent)
    }

    /// Receives only if a message is there now: Python's `get_nowait`.
    /// Same caveat as `try_put`.
    pub fn try_get(&self) -> Result<Result<Vec<u8>, Refused>, Errno> {
        mq_set_nonblock(&self.descriptor)?;
        let mut buffer = vec![0u8; self.message_size];
        let mut priority = 0;
        let received = retry(|| mq_receive(&self.descriptor, &mut buffer, &mut priority));
        mq_remove_nonblock(&self.descriptor)?;
        Ok(refusal(received)?.map(|length| {
            buffer.truncate(length);
            buffer
        }))
    }

    /// Blocks while the queue is empty.
    pub fn get(&self) -> Result<Vec<u8>, Errno> {
        let mut buffer = vec![0u8; self.message_size];
        let mut priority = 0;
        let length = retry(|| mq_receive(&self.descriptor, &mut buffer, &mut priority))?;
        buffer.truncate(length);
        Ok(buffer)
    }

    /// True once the queue's name is gone: opening it by name fails with ENOENT.
    pub fn name_is_gone(&self) -> bool {
        matches!(
            mq_open(self.name.as_str(), MQ_OFlag::O_RDONLY, Mode::empty(), None),
            Err(Errno::ENOENT)
        )
    }
}

/// The capacity limit in `/proc/sys/fs/mqueue/msg_max`.
pub fn capacity_limit() -> Option<usize> {
    fs::read_to_string(MSG_MAX_FILE).ok()?.trim().parse().ok()
}

/// Removes queues that a procdemo which is no longer running left behind
/// (it was killed between creating a queue and unlinking it). Only possible
/// where the mqueue filesystem is mounted at /dev/mqueue.
pub fn sweep_orphaned_queues() {
    let Ok(entries) = fs::read_dir(MOUNT) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if fs::metadata(format!("/proc/{owner}")).is_err() {
            let _ = mq_unlink(format!("/{name}").as_str());
        }
    }
}

/// mq_timedsend and mq_timedreceive take an absolute time on CLOCK_REALTIME.
/// A zero timeout gives a deadline already past: the call does not wait.
fn deadline_after(timeout: Duration) -> libc::timespec {
    let at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        + timeout;
    libc::timespec {
        tv_sec: at.as_secs() as libc::time_t,
        tv_nsec: at.subsec_nanos() as libc::c_long,
    }
}

fn refusal<T>(result: Result<T, Errno>) -> Result<Result<T, Refused>, Errno> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(Errno::EAGAIN) => Ok(Err(Refused::WouldBlock)),
        Err(Errno::ETIMEDOUT) => Ok(Err(Refused::TimedOut)),
        Err(error) => Err(error),
    }
}
