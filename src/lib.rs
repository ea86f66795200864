//! procdemo as a library: the binary is a thin `main` over it, and the
//! integration tests share its types (events, fact reports, lesson texts).
//!
//! Arrows run one way: `cli` → `course` → `lessons` → `lab` → `os`, with
//! `narrate`, `text`, `progress` and `config` beside and below the lessons,
//! and `model` under everything. `os` and `model` are leaves.

pub mod cli;
pub mod config;
pub mod course;
pub mod lab;
pub mod lessons;
pub mod model;
pub mod narrate;
pub mod observe;
pub mod os;
pub mod progress;
pub mod text;
