//! Memory that is really shared between processes: an anonymous
//! `MAP_SHARED` mapping made before `fork()`. Parent and children see the
//! same physical pages, unlike the rest of their memory.

use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

use nix::errno::Errno;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};

/// Counters in memory shared by every process that inherits it.
pub struct SharedCounters {
    start: NonNull<libc::c_void>,
    count: usize,
}

/// A fresh anonymous `MAP_SHARED` mapping of `bytes` (at least one):
/// zero-filled, page-aligned, and shared with every child forked after it.
pub fn map_shared(bytes: usize) -> Result<NonNull<libc::c_void>, Errno> {
    let bytes = NonZeroUsize::new(bytes).ok_or(Errno::EINVAL)?;
    // SAFETY: a new mapping at an address the kernel picks overlaps nothing
    // of ours, and no reference into it exists yet.
    unsafe {
        mmap_anonymous(
            None,
            bytes,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    }
}

impl SharedCounters {
    /// `count` counters, all zero, in a new shared mapping.
    pub fn new(count: usize) -> Result<Self, Errno> {
        // Zero-filled and page-aligned, so aligned for AtomicU32.
        let start = map_shared(count.max(1) * size_of::<AtomicU32>())?;
        Ok(Self { start, count })
    }

    pub fn counters(&self) -> &[AtomicU32] {
        // SAFETY: the mapping holds `count` zero-initialised, aligned
        // AtomicU32s and lives as long as `self`; atomics make the shared
        // access from several processes sound.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr().cast::<AtomicU32>(), self.count) }
    }
}

impl Drop for SharedCounters {
    fn drop(&mut self) {
        let bytes = self.count.max(1) * size_of::<AtomicU32>();
        // SAFETY: unmaps exactly the mapping made in `new`, which nothing
        // borrows any more (`counters` borrows `self`).
        let _ = unsafe { munmap(self.start, bytes) };
    }
}
