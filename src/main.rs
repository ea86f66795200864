//! procdemo: teaches how processes work by running real ones and narrating
//! every step. `main` parses the command line, builds the `Config`, runs one
//! command and turns its end into an exit code.

mod cli;
mod config;
mod course;
mod lab;
mod lessons;
mod narrate;
mod os;
mod progress;
mod text;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, Parser};

use cli::{Cli, Command};
use config::Config;
use lessons::Outcome;

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|word| word == cli::SPAWNED) {
        args.remove(1);
        let spawned = cli::SpawnedCli::parse_from(args);
        return match lessons::run_spawned(&spawned.args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                narrate::write_err(&format!("procdemo: {error:#}\n"));
                ExitCode::FAILURE
            }
        };
    }
    let cli = Cli::parse_from(args);
    let config = Config::new(&cli.global);
    match run(cli.command, config) {
        Ok(code) => code,
        Err(error) => {
            narrate::write_err(&format!("procdemo: {error:#}\n"));
            ExitCode::FAILURE
        }
    }
}

fn run(command: Option<Command>, config: Config) -> Result<ExitCode> {
    let Some(command) = command else {
        return course::welcome(&config).map(|()| ExitCode::SUCCESS);
    };
    match command {
        Command::List => course::list(&config).map(|()| ExitCode::SUCCESS),
        Command::Tour => course::tour(&config, lesson_by_id),
        Command::Reset(args) => course::reset(&config, &args),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "procdemo", &mut script);
            narrate::write_bytes(&script);
            Ok(ExitCode::SUCCESS)
        }
        Command::Man(args) => {
            match args.dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    clap_mangen::generate_to(Cli::command(), &dir).with_context(|| {
                        format!("cannot write the manual pages into {}", dir.display())
                    })?;
                }
                None => {
                    let mut page = Vec::new();
                    clap_mangen::Man::new(Cli::command())
                        .render(&mut page)
                        .context("rendering the manual page")?;
                    narrate::write_bytes(&page);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        lesson => run_lesson(lesson, config).map(|outcome| lessons::exit_code(&outcome)),
    }
}

fn run_lesson(command: Command, config: Config) -> Result<Outcome> {
    match command {
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
        other => bail!("`{other:?}` is not a lesson"),
    }
}

/// A lesson of the course with its default options, as `procdemo <id>` runs it.
fn lesson_by_id(id: &str, config: Config) -> Result<Outcome> {
    let cli = Cli::try_parse_from(["procdemo", id])
        .with_context(|| format!("the course names `{id}`, which is not a command"))?;
    run_lesson(cli.command.context("no lesson given")?, config)
}
