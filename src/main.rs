//! procdemo: teaches how processes work by running real ones and narrating
//! every step. `main` parses the command line, builds the `Config`, runs one
//! command and turns its end into an exit code.

use std::process::ExitCode;

use anyhow::{Context, Result};

use procdemo::cli::{self, Command, Parsed};
use procdemo::config::{self, Config};
use procdemo::os::signals::{self, Signals, shell_exit_code};
use procdemo::{course, lab, narrate, observe};

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The far side of a lesson's "spawn" is a child: the stop signals kill
    // it, as they kill any program (exec left their defaults in place).
    if args.get(1).is_some_and(|word| word == lab::SPAWNED) {
        args.remove(1);
        return finish(
            cli::parse_spawned(args)
                .and_then(|spawned| course::run_spawned(&spawned))
                .map(|()| ExitCode::SUCCESS),
            None,
        );
    }
    // Before anything else: a signal that comes while the command line is
    // read, or between two lessons, must find the handlers, or it kills
    // procdemo without a chance to reap what it started.
    let signals = match Signals::get().context("installing the signal handlers") {
        Ok(signals) => signals,
        Err(error) => return finish(Err(error), None),
    };
    finish(
        cli::parse(args).and_then(|(global, parsed)| {
            // Any other command lets a stop signal kill it, as any program; one
            // that came while the command line was read ends it now.
            if !watches_stops(&parsed) {
                signals::restore_defaults();
                if let Some(signal) = signals.caught() {
                    return Ok(ExitCode::from(shell_exit_code(signal)));
                }
            }
            run(parsed, Config::new(&global))
        }),
        Some(signals),
    )
}

/// Whether `parsed` looks for a stop signal as it runs, and so ends
/// cleanly on one: a lesson, the tour, and reset at its question.
fn watches_stops(parsed: &Parsed) -> bool {
    matches!(
        parsed,
        Parsed::Lesson(..)
            | Parsed::Command(Command::Tour | Command::Reset(_) | Command::Observe(_))
    )
}

fn finish(result: Result<ExitCode>, signals: Option<&Signals>) -> ExitCode {
    let code = result.unwrap_or_else(|error| {
        narrate::procdemo_failed(config::command_line_lang(), &error);
        ExitCode::FAILURE
    });
    // When stdout failed after a stop signal, the signal is the cause:
    // after a hang-up the terminal is gone, and the writes that fail with
    // EIO are only its consequence. (A signal that came after a lesson's
    // end changes nothing: the lesson finished.)
    if narrate::stdout_failed().is_some()
        && let Some(signal) = signals.and_then(Signals::caught)
    {
        return ExitCode::from(shell_exit_code(signal));
    }
    // Output lost is never success, whichever command wrote it.
    course::after_stdout(config::command_line_lang()).unwrap_or(code)
}

fn run(parsed: Parsed, config: Config) -> Result<ExitCode> {
    // Every command, not only the lessons, honours --color, NO_COLOR and
    // CLICOLOR_FORCE as Config weighed them.
    narrate::use_colour(config.color);
    let command = match parsed {
        Parsed::Welcome => return course::welcome(&config).map(|()| ExitCode::SUCCESS),
        Parsed::Lesson(lesson, options) => {
            return course::run_lesson(lesson, &options, config)
                .map(|outcome| course::exit_code(&outcome));
        }
        Parsed::Python(lesson) => {
            let text = lesson.text(config.lang)?;
            narrate::write_bytes(text.python_file(lesson.id).as_bytes());
            return Ok(ExitCode::SUCCESS);
        }
        Parsed::Command(command) => command,
    };
    match command {
        Command::List => course::list(&config).map(|()| ExitCode::SUCCESS),
        Command::Tour => course::tour(&config),
        Command::Observe(args) => observe::run(&config, &args),
        Command::Reset(args) => course::reset(&config, &args),
        Command::Completions(args) => {
            let mut script = Vec::new();
            let mut command = cli::for_completion(config.lang)?;
            clap_complete::generate(args.shell, &mut command, "procdemo", &mut script);
            narrate::write_bytes(&script);
            Ok(ExitCode::SUCCESS)
        }
        Command::Man(args) => {
            match args.dir {
                Some(dir) => {
                    let pages = cli::write_manuals(&dir, config.lang)?;
                    narrate::manual_written(config.lang, &dir, &pages);
                }
                None => narrate::write_bytes(&cli::manual(config.lang)?),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
