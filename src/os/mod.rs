//! Everything that talks to the kernel about processes lives here, and this is
//! the only module allowed to use `unsafe`. Lessons and the lab call these
//! functions; they never call `libc` themselves.

#![allow(unsafe_code)]

pub mod cleanup;
pub mod costs;
pub mod exec;
pub mod ipc;
pub mod limits;
pub mod mqueue;
pub mod pipe;
pub mod private_dir;
pub mod process;
pub mod procfs;
pub mod ptrace;
pub mod semaphore;
pub mod shm;
pub mod sigaction;
pub mod signals;
pub mod states;
pub mod stdout;
pub mod terminal;
pub mod threads;
pub mod wait;

use nix::errno::Errno;

/// Makes `call` again for as long as it fails with `EINTR`: a signal handler
/// ran while it blocked, and the handlers only note the signal, for the lab to
/// act on once the call is done.
fn retry<T>(mut call: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match call() {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}
