//! The limits a user may set on procdemo (`ulimit -v`, `ulimit -n`,
//! `ulimit -q`), and memory taken without aborting: Rust's `vec!` aborts
//! the whole process when an allocation fails, where a lesson must end
//! cleanly and say which option asked for too much.

use std::collections::TryReserveError;

use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit};

/// A limit on procdemo, as its soft value says; `None` when unlimited or
/// unknown.
fn soft(resource: Resource) -> Option<u64> {
    getrlimit(resource)
        .ok()
        .map(|(soft, _)| soft)
        .filter(|soft| *soft != RLIM_INFINITY)
}

/// The most address space procdemo may have, in bytes (`ulimit -v` × 1024).
pub fn address_space() -> Option<u64> {
    soft(Resource::RLIMIT_AS)
}

/// How many descriptors procdemo may have open at once (`ulimit -n`).
pub fn open_files() -> Option<u64> {
    soft(Resource::RLIMIT_NOFILE)
}

/// How many bytes this user's message queues may take (`ulimit -q`).
pub fn queue_bytes() -> Option<u64> {
    soft(Resource::RLIMIT_MSGQUEUE)
}

/// How many descriptors procdemo has open now (`/proc/self/fd`, less the
/// one its listing takes); `None` when it cannot tell, as when no
/// descriptor is left to list it with.
pub fn descriptors_open() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count().saturating_sub(1))
}

/// `len` copies of `value`, or the error if the memory cannot be had.
pub fn try_filled<T: Clone>(len: usize, value: T) -> Result<Vec<T>, TryReserveError> {
    let mut filled = Vec::new();
    filled.try_reserve_exact(len)?;
    filled.resize(len, value);
    Ok(filled)
}

/// Whether `bytes` more could be allocated now: taken and given back at
/// once, before a lesson whose later allocations (many small ones, which
/// cannot all be made fallible) would need about that much.
pub fn room_for(bytes: usize) -> Result<(), TryReserveError> {
    Vec::<u8>::new().try_reserve_exact(bytes)
}
