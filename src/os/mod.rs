//! Everything that talks to the kernel about processes lives here, and this is
//! the only module allowed to use `unsafe`. Lessons and the lab call these
//! functions; they never call `libc` themselves.

pub mod cleanup;
pub mod mqueue;
pub mod pipe;
pub mod process;
pub mod procfs;
pub mod semaphore;
pub mod shm;
pub mod signals;
pub mod terminal;
pub mod wait;
