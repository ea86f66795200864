//! procdemo: teaches how processes work by running real ones and narrating
//! every step. `main` parses the command line, builds the `Config`, runs one
//! command and turns its end into an exit code.

mod cli;
mod config;
mod lab;
mod lessons;
mod narrate;
mod os;
mod text;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, Command};
use config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = Config::new(&cli.global);
    match run(cli.command, config) {
        Ok(code) => code,
        Err(error) => {
            narrate::write_err(&format!("procdemo: {error:#}\n"));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, config: Config) -> Result<ExitCode> {
    match command {
        Command::List => lessons::list(&config).map(|()| ExitCode::SUCCESS),
        Command::Fork => lessons::run("fork", config, lessons::fork::run),
        Command::Pids(args) => lessons::run("pids", config, |lab| lessons::pids::run(lab, &args)),
        Command::Join(args) => lessons::run("join", config, |lab| lessons::join::run(lab, &args)),
        Command::Zombie => lessons::run("zombie", config, lessons::zombie::run),
        Command::Orphan => lessons::run("orphan", config, lessons::orphan::run),
        Command::Daemon => lessons::run("daemon", config, lessons::daemon::run),
        Command::Pipe => lessons::run("pipe", config, lessons::pipe::run),
        Command::Queue(args) => {
            lessons::run("queue", config, |lab| lessons::queue::run(lab, &args))
        }
        Command::Memory(args) => {
            lessons::run("memory", config, |lab| lessons::memory::run(lab, &args))
        }
        Command::Lock(args) => lessons::run("lock", config, |lab| lessons::lock::run(lab, &args)),
        Command::Semaphore(args) => lessons::run("semaphore", config, |lab| {
            lessons::semaphore::run(lab, &args)
        }),
        Command::Pool(args) => lessons::run("pool", config, |lab| lessons::pool::run(lab, &args)),
        Command::Spawned(args) => lessons::run_spawned(&args).map(|()| ExitCode::SUCCESS),
    }
}
