//! Unnamed POSIX semaphores shared between processes: a `sem_t` placed in
//! an anonymous `MAP_SHARED` page and initialised with `pshared = 1`
//! (nix has no wrapper). Python's `multiprocessing.Lock` and `Semaphore`
//! are semaphores of this kind.

use std::ptr::NonNull;

use nix::errno::Errno;
use nix::sys::mman::munmap;
use nix::unistd::{Pid, getpid};

use super::retry;
use super::shm::map_shared;

pub struct SharedSemaphore {
    raw: NonNull<libc::sem_t>,
    /// Only the process that made it destroys it.
    owner: Pid,
}

const SIZE: usize = size_of::<libc::sem_t>();

impl SharedSemaphore {
    pub fn new(value: u32) -> Result<Self, Errno> {
        // Page-aligned, so aligned for sem_t, and large enough.
        let page = map_shared(SIZE)?;
        let raw = page.cast::<libc::sem_t>();
        // SAFETY: `raw` points to writable memory of sem_t's size that no one
        // else uses yet; pshared = 1 because children will share it.
        if unsafe { libc::sem_init(raw.as_ptr(), 1, value) } != 0 {
            let error = Errno::last();
            // SAFETY: unmapping the page mapped above, never handed out.
            let _ = unsafe { munmap(page, SIZE) };
            return Err(error);
        }
        Ok(Self {
            raw,
            owner: getpid(),
        })
    }

    /// `sem_wait`: takes one unit, sleeping while the value is 0.
    pub fn acquire(&self) -> Result<(), Errno> {
        retry(|| {
            // SAFETY: `raw` is an initialised semaphore for the life of `self`.
            succeeded(unsafe { libc::sem_wait(self.raw.as_ptr()) })
        })
    }

    /// `sem_trywait`: takes one unit only if that needs no waiting.
    pub fn try_acquire(&self) -> Result<bool, Errno> {
        let taken = retry(|| {
            // SAFETY: `raw` is an initialised semaphore for the life of `self`.
            succeeded(unsafe { libc::sem_trywait(self.raw.as_ptr()) })
        });
        match taken {
            Ok(()) => Ok(true),
            Err(Errno::EAGAIN) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `sem_post`: gives one unit back, waking one waiter if any.
    pub fn release(&self) -> Result<(), Errno> {
        retry(|| {
            // SAFETY: `raw` is an initialised semaphore for the life of `self`.
            succeeded(unsafe { libc::sem_post(self.raw.as_ptr()) })
        })
    }

    /// `sem_getvalue`: the units available now.
    pub fn value(&self) -> Result<i32, Errno> {
        let mut value = 0;
        retry(|| {
            // SAFETY: `raw` is an initialised semaphore for the life of `self`,
            // and `value` a valid place for the result.
            succeeded(unsafe { libc::sem_getvalue(self.raw.as_ptr(), &mut value) })
        })?;
        Ok(value)
    }
}

// SAFETY: a process-shared semaphore is made to be used from several
// processes (and threads) at once; every access goes through sem_* calls.
unsafe impl Sync for SharedSemaphore {}

impl Drop for SharedSemaphore {
    fn drop(&mut self) {
        if getpid() != self.owner {
            return;
        }
        // SAFETY: the semaphore was initialised in `new` and is destroyed and
        // unmapped once, here. Children that still use it (a lesson stopped
        // early) have their own mapping of the page, which this does not
        // touch, and the lab kills them next.
        unsafe {
            libc::sem_destroy(self.raw.as_ptr());
            let _ = munmap(self.raw.cast(), SIZE);
        }
    }
}

/// The sem_* calls return 0, or -1 with the error in errno.
fn succeeded(returned: libc::c_int) -> Result<(), Errno> {
    Errno::result(returned).map(drop)
}
