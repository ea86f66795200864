//! procdemo's integration tests: one test crate, so that the helpers of
//! `common` and the binary's dev-dependencies are compiled once, not once
//! per file. Each module checks one lesson or one part of the command line
//! against the real binary; `cargo test` names a test `<module>::<test>`,
//! so `cargo test --test it pool::` runs the `pool` tests alone.

mod common;

mod chinese_words;
mod cli;
mod colour;
mod costs;
mod course;
mod daemon;
mod drift;
mod exec;
mod fork;
mod fork_fails;
mod futures;
mod interrupt;
mod ipc;
mod join;
mod late_start;
mod layers;
mod leftovers;
mod lifetime;
mod limits;
mod lock;
mod memory;
mod observe;
mod orphan;
mod output;
mod pids;
mod pipe;
mod pool;
mod progress;
mod python;
mod queue;
mod quiz;
mod semaphore;
mod signals;
mod signals_lesson;
mod states;
mod steps;
mod terminal;
mod text_coverage;
mod threads;
mod trace;
mod width;
mod zombie;
