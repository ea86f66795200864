//! procdemo: teaches how processes work by running real ones and narrating
//! every step. `main` parses the command line, builds the `Config`, runs one
//! command and turns its end into an exit code.

use std::process::ExitCode;

use anyhow::Result;

use procdemo::cli::{self, Command, Parsed};
use procdemo::config::{self, Config};
use procdemo::{course, lab, narrate};

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let result = if args.get(1).is_some_and(|word| word == lab::SPAWNED) {
        args.remove(1);
        cli::parse_spawned(args)
            .and_then(|spawned| course::run_spawned(&spawned))
            .map(|()| ExitCode::SUCCESS)
    } else {
        cli::parse(args).and_then(|(global, parsed)| run(parsed, Config::new(&global)))
    };
    let code = result.unwrap_or_else(|error| {
        narrate::procdemo_failed(config::command_line_lang(), &error);
        ExitCode::FAILURE
    });
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
