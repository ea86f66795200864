//! The command line: procdemo's own commands declared with clap's derive,
//! and one subcommand per lesson of `COURSE`, built from the lesson's `Args`
//! and its text. The doc comments are the help text.

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::GlobalArgs;
use crate::lessons::{self, COURSE, Lesson};
use crate::model::Lang;

#[derive(Parser, Debug)]
#[command(
    name = "procdemo",
    version,
    about = "Watch real processes being born, running and ending, narrated step by step.",
    long_about = "procdemo runs real processes on this machine and explains each step: \
                  the lesson text, the Python you know, and what the kernel reported in this very run.",
    after_help = "Run `procdemo` alone for the lessons in course order, your progress and what to run next."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Without one: a welcome, the lessons with your progress, and the command to run next
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// procdemo's commands besides the lessons; listed after them.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the lessons in course order, each with a one-line summary and your progress
    #[command(display_order = 100)]
    List,
    /// Every lesson in course order, one after the other, then a summary of what was covered
    #[command(display_order = 101)]
    Tour,
    /// Forget your progress: finished lessons and quiz scores (asks first on a terminal)
    #[command(display_order = 102)]
    Reset(ResetArgs),
    /// Print a completion script for your shell, e.g. `procdemo completions bash > ~/.local/share/bash-completion/completions/procdemo`
    #[command(display_order = 103)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `procdemo man | man -l -`; or write every page to a directory
    #[command(display_order = 104)]
    Man(ManArgs),
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write procdemo.1 and one page per command (procdemo-fork.1, …) into DIR instead, e.g. ~/.local/share/man/man1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct ResetArgs {
    /// Do not ask; reset at once
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What the command line asks for.
pub enum Parsed {
    /// `procdemo` alone.
    Welcome,
    Lesson(&'static Lesson, clap::ArgMatches),
    /// `procdemo <id> --python`: the lesson's Python programs, not the lesson.
    Python(&'static Lesson),
    Command(Command),
}

/// The whole command line: procdemo's commands and every lesson of the
/// course, the lessons first, in course order.
pub fn command() -> Result<clap::Command> {
    let lessons = COURSE
        .iter()
        .enumerate()
        .map(|(at, lesson)| {
            Ok(lesson
                .command(Lang::En)?
                .display_order(at)
                .arg(
                    clap::Arg::new(PYTHON)
                        .long(PYTHON)
                        .action(clap::ArgAction::SetTrue)
                        .help("Print the lesson's complete Python programs as one file that runs them (python3 FILE), instead of running the lesson"),
                ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Cli::command().subcommands(lessons))
}

/// The option every lesson has besides its own.
const PYTHON: &str = "python";

/// Parses `args`; on a usage error or `--help`, clap prints and exits.
pub fn parse(args: Vec<std::ffi::OsString>) -> Result<(GlobalArgs, Parsed)> {
    let matches = command()?.get_matches_from(args);
    let global = GlobalArgs::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let parsed = match matches.subcommand() {
        None => Parsed::Welcome,
        Some((name, options)) => match lessons::find(name) {
            Some(lesson) if options.get_flag(PYTHON) => Parsed::Python(lesson),
            Some(lesson) => Parsed::Lesson(lesson, options.clone()),
            None => {
                let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
                cli.command.map_or(Parsed::Welcome, Parsed::Command)
            }
        },
    };
    Ok((global, parsed))
}

/// The internal command `procdemo __spawned …`: the child end of a lesson's
/// "spawn". It is parsed apart from `Cli`, so that no help, completion or
/// manual page offers it.
#[derive(Parser, Debug)]
#[command(name = "procdemo __spawned")]
pub struct SpawnedCli {
    /// Accepted as everywhere, and unused: the child reports through its pipe.
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub args: SpawnedArgs,
}

/// What `Lab::spawn` passes to the fresh procdemo it runs.
#[derive(Args, Debug)]
pub struct SpawnedArgs {
    #[arg(long)]
    pub lesson: String,
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub events_fd: i32,
    #[arg(long)]
    pub started_ns: u64,
    #[arg(last = true)]
    pub rest: Vec<String>,
}

/// Parses the arguments of `procdemo __spawned`, the first word removed.
pub fn parse_spawned(args: Vec<std::ffi::OsString>) -> Result<SpawnedArgs> {
    SpawnedCli::try_parse_from(args)
        .map(|cli| cli.args)
        .context("__spawned is for procdemo's own use")
}
