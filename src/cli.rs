//! The command line: procdemo's own commands declared with clap's derive,
//! and one subcommand per lesson of `COURSE`, built from the lesson's `Args`
//! and its text. The doc comments are the help text.

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{self, GlobalArgs};
use crate::lessons::{self, COURSE, Lesson};
use crate::model::Lang;
use crate::narrate::ui::cli::{self as cli_words, Heading, heading};
use crate::text::LessonText;
use crate::{narrate, os};

#[derive(Parser, Debug)]
#[command(
    name = "procdemo",
    version,
    about = "Watch real processes being born, running and ending, narrated step by step.",
    long_about = "procdemo runs real processes on this machine and explains each step: \
                  the lesson text, the Python you know, and what the kernel reported in this very run."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

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
    /// Forget your progress: finished lessons and quiz scores (asks first on a terminal; elsewhere only with --yes)
    #[command(display_order = 102)]
    Reset(ResetArgs),
    /// Run your own program and narrate every process it creates: forks, execs, exits, zombies, reaps, orphans
    ///
    /// Run your own program and narrate every process it creates, as the lessons do: each fork with what it returned on both sides, each exec, each thread, the pipes and sockets shared, each signal, each end, how long it stayed a zombie and who reaped it. The program's stdin, stdout and stderr are its own; the narration goes to stderr, or to --output FILE. procdemo exits with the program's status.
    #[command(display_order = 99)]
    Observe(ObserveArgs),
    /// Print a completion script for your shell
    ///
    /// Print a completion script for your shell, e.g.
    /// procdemo completions bash > ~/.local/share/bash-completion/completions/procdemo
    #[command(display_order = 103)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write every page to a directory
    ///
    /// Print the manual page (roff), e.g. procdemo man | man -l -; or write every page to a directory
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
pub struct ObserveArgs {
    /// Write the narration (or the JSON lines) to FILE instead of stderr
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// When the program's first process has ended, kill the processes it left running (after half a second) instead of leaving them
    #[arg(long)]
    pub kill_remaining: bool,
    /// The program to run and its arguments, after --, e.g. procdemo observe -- python3 my_pool.py
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct ResetArgs {
    /// Do not ask; reset at once (needed when stdin is not a terminal)
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

/// The whole command line in `lang`: procdemo's commands and every lesson
/// of the course, the lessons first, in course order. Each command has the
/// common options that apply to it: all of them for the lessons and the
/// tour, `--json` and `--color` for `list` and `reset`, only the global
/// `--lang` for `man` and `completions`.
pub fn command(lang: Lang) -> Result<clap::Command> {
    command_within(lang, help_width())
}

/// The command line for a completion script: its help on one line each,
/// as shells show it beside the candidates.
pub fn for_completion(lang: Lang) -> Result<clap::Command> {
    command_within(lang, UNFITTED)
}

/// The command line with its help fitted to `width` columns.
fn command_within(lang: Lang, width: usize) -> Result<clap::Command> {
    let lessons = COURSE
        .iter()
        .enumerate()
        .map(|(at, lesson)| Ok(lesson_command(lesson, lang)?.display_order(at)))
        .collect::<Result<Vec<_>>>()?;
    let output_only = |command: clap::Command| {
        common_options(command, lang, |arg| {
            OUTPUT_OPTIONS.contains(&arg.get_id().as_str())
        })
    };
    let root = Cli::command()
        .after_help(cli_words::after_help(lang))
        .disable_help_subcommand(true)
        .subcommand_help_heading(heading(lang, Heading::Commands))
        .mut_args(|arg| arg.help_heading(heading(lang, Heading::Options)))
        .mut_subcommand("tour", |tour| common_options(tour, lang, |_| true))
        .mut_subcommand("list", output_only)
        .mut_subcommand("reset", output_only)
        .mut_subcommand("observe", |observe| {
            common_options(observe, lang, |arg| {
                OBSERVE_OPTIONS.contains(&arg.get_id().as_str())
            })
        })
        .subcommands(lessons)
        .subcommand(help_command(lang));
    // observe writes to stderr or a file: stdout is the program's. (After
    // localize, which gives every `--json` and `--color` the lessons' help;
    // narrowed as localize narrows Chinese help.)
    let fitted = |help: &str| match lang {
        Lang::En => help.to_string(),
        Lang::Zh => narrate::fit(help, width - HELP_INDENT),
    };
    let json_help = fitted(cli_words::observe_json_help(lang));
    let color_help = fitted(&cli_words::observe_color_help(lang));
    Ok(
        localize(root, lang, width, width).mut_subcommand("observe", |observe| {
            observe
                .mut_arg("json", |json| json.help(json_help))
                .mut_arg("color", |color| color.help(color_help))
        }),
    )
}

/// The common options that apply to `observe`: it has no steps to pace.
const OBSERVE_OPTIONS: [&str; 3] = ["json", "color", "trace"];

/// The common options that apply to `list` and `reset`.
const OUTPUT_OPTIONS: [&str; 2] = ["json", "color"];

/// Adds the common options `keep` chooses to `command`, under their heading.
fn common_options(
    command: clap::Command,
    lang: Lang,
    keep: impl Fn(&clap::Arg) -> bool,
) -> clap::Command {
    let heading = heading(lang, Heading::CommonOptions);
    GlobalArgs::augment_args(clap::Command::new("procdemo"))
        .get_arguments()
        .filter(|arg| keep(arg))
        .fold(command, |command, arg| {
            command.arg(arg.clone().help_heading(heading))
        })
}

/// A lesson's subcommand: its title and summary, its own options described
/// by its text, `--python`, then the common options.
fn lesson_command(lesson: &Lesson, lang: Lang) -> Result<clap::Command> {
    let text = lesson.text(lang)?;
    let own = heading(lang, Heading::LessonOptions);
    let mut described = Ok(());
    let command = lesson
        .command(lang)?
        .mut_args(|arg| {
            let arg = arg.help_heading(own);
            match option_help(&arg, &text) {
                Ok(help) => help.apply(arg, lang),
                Err(error) => {
                    described = Err(error);
                    arg
                }
            }
        })
        .arg(
            clap::Arg::new(PYTHON)
                .long(PYTHON)
                .action(clap::ArgAction::SetTrue)
                .help_heading(own)
                .help(python_help(lang)),
        );
    described.with_context(|| format!("the {lang:?} options of lesson `{}`", lesson.id))?;
    Ok(common_options(command, lang, |_| true))
}

fn python_help(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Print the lesson's complete Python programs as one file that runs them (python3 FILE), instead of running the lesson"
        }
        Lang::Zh => cli_words::option_help_zh(PYTHON).unwrap_or_default(),
    }
}

/// An option's help from the lesson text: its line, and one line per
/// possible value for the long help.
struct OptionHelp {
    help: String,
    values: Vec<(String, String)>,
}

impl OptionHelp {
    fn apply(self, arg: clap::Arg, lang: Lang) -> clap::Arg {
        if self.values.is_empty() {
            return arg.help(self.help);
        }
        let names: Vec<&str> = self.values.iter().map(|(name, _)| name.as_str()).collect();
        let list = self
            .values
            .iter()
            .map(|(name, help)| format!("  {name}{}{help}", narrate::ui::label_colon(lang)))
            .collect::<Vec<_>>()
            .join("\n");
        arg.hide_possible_values(true)
            .help(match lang {
                Lang::En => format!("{} [{}]", self.help, names.join(", ")),
                Lang::Zh => format!(
                    "{}{}",
                    self.help,
                    cli_words::possible_values(&names.join("、"))
                ),
            })
            .long_help(format!("{}\n{list}", self.help))
    }
}

/// The help `text` gives option `arg` (`- name: help` in `## options`, and
/// `- name=value: help` for each possible value): an error if it has none,
/// so that no option goes undescribed in either language.
fn option_help(arg: &clap::Arg, text: &LessonText) -> Result<OptionHelp> {
    let name = arg.get_long().unwrap_or(arg.get_id().as_str());
    let help = text
        .option_help(name)
        .with_context(|| format!("`## options` has no line for {name}"))?
        .to_string();
    let values = arg
        .get_possible_values()
        .into_iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| {
            let key = format!("{name}={}", value.get_name());
            text.option_help(&key)
                .map(|help| (value.get_name().to_string(), help.to_string()))
                .with_context(|| format!("`## options` has no line for {key}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(OptionHelp { help, values })
}

/// Gives `command` and every command under it the help flag (and the root
/// its version flag) in `lang`, and, in Chinese, the Chinese help of
/// procdemo's own commands and options, with defaults and possible values
/// said in Chinese. `about_room` is the columns its one-line help has in its
/// parent's list of commands.
fn localize(command: clap::Command, lang: Lang, width: usize, about_room: usize) -> clap::Command {
    let is_root = command.get_name() == "procdemo";
    let help_under = if command
        .get_arguments()
        .any(|arg| arg.get_help_heading() == Some(heading(lang, Heading::CommonOptions)))
    {
        Heading::CommonOptions
    } else {
        Heading::Options
    };
    let mut command = command
        .term_width(width)
        .mut_args(|arg| {
            let own = if arg.is_positional() {
                Heading::Arguments
            } else {
                Heading::Options
            };
            match arg.get_help_heading() {
                Some(_) => arg,
                None => arg.help_heading(heading(lang, own)),
            }
        })
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help_heading(heading(lang, help_under))
                .help(match lang {
                    Lang::En => "Print help (-h for a summary)",
                    Lang::Zh => cli_words::option_help_zh("help").unwrap_or_default(),
                }),
        );
    if is_root {
        command = command.disable_version_flag(true).arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::Version)
                .help_heading(heading(lang, Heading::Options))
                .help(match lang {
                    Lang::En => "Print version",
                    Lang::Zh => cli_words::option_help_zh("version").unwrap_or_default(),
                }),
        );
    }
    if lang == Lang::Zh {
        if let Some((about, long_about)) = cli_words::command_about_zh(command.get_name()) {
            command = command.about(about).long_about(long_about);
        }
        // A command's about is also said in its parent's list, indented.
        if let Some(about) = command
            .get_about()
            .map(|about| narrate::fit(&about.to_string(), about_room))
        {
            command = command.about(about);
        }
        if let Some(after) = command
            .get_after_help()
            .map(|after| narrate::fit(&after.to_string(), width))
        {
            command = command.after_help(after);
        }
        if let Some(about) = command
            .get_long_about()
            .map(|about| narrate::fit(&about.to_string(), width))
        {
            command = command.long_about(about);
        }
        // The options' help under their names, where it has room; the
        // commands' one-line help beside their names, as in English.
        command = command
            .help_template(cli_words::HELP_TEMPLATE_ZH)
            .mut_args(|arg| chinese_option(arg, width - HELP_INDENT).next_line_help(true));
    }
    // clap lists the commands with their help beside the longest name.
    let names = command
        .get_subcommands()
        .map(|sub| sub.get_name().len())
        .max()
        .unwrap_or(0);
    let room = width.saturating_sub(names + 4).max(HELP_INDENT);
    command.mut_subcommands(|sub| localize(sub, lang, width, room))
}

/// An option's help in Chinese, its default and possible values said in
/// Chinese after it (clap would say them in English).
fn chinese_option(arg: clap::Arg, width: usize) -> clap::Arg {
    // A lesson's options have their help from the lesson text already.
    let from_text = arg.get_help_heading() == Some(heading(Lang::Zh, Heading::LessonOptions));
    let help = cli_words::option_help_zh(arg.get_id().as_str())
        .filter(|_| !from_text)
        .map(str::to_string)
        .or_else(|| arg.get_help().map(ToString::to_string))
        .unwrap_or_default();
    let long = arg.get_long_help().map(ToString::to_string);
    if !arg.get_action().takes_values() {
        return arg.help(narrate::fit(&help, width));
    }
    let mut said = String::new();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() {
        said.push_str(&cli_words::default_is(&defaults.join("、")));
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| value.get_name().to_string())
        .collect();
    if !values.is_empty() && !arg.is_hide_possible_values_set() {
        said.push_str(&cli_words::possible_values(&values.join("、")));
    }
    let arg = arg
        .hide_default_value(true)
        .hide_possible_values(true)
        .help(narrate::fit(&format!("{help}{said}"), width));
    match long {
        Some(long) => arg.long_help(narrate::fit(&format!("{long}\n{said}"), width)),
        None => arg,
    }
}

/// The width of the help: the screen's, at most a readable measure.
fn help_width() -> usize {
    os::terminal::size().map_or(MEASURE, |size| {
        size.columns.clamp(HELP_INDENT + 20, MEASURE)
    })
}

const MEASURE: usize = 100;

/// For the manual page, which man itself fits to the screen (a line break
/// in roff is a space, which Chinese must not get in the middle of a
/// word), and for completion scripts.
const UNFITTED: usize = usize::MAX / 2;

/// How far clap indents an option's help under its name.
const HELP_INDENT: usize = 10;

/// `procdemo help [COMMAND]`, as clap has it, but in the learner's language.
fn help_command(lang: Lang) -> clap::Command {
    let (about, topic) = match lang {
        Lang::En => (
            "Print the help of procdemo, or of a lesson or command",
            "The lesson or command",
        ),
        Lang::Zh => ("显示 procdemo 或某一课、某个命令的帮助", "课程或命令"),
    };
    clap::Command::new(HELP)
        .display_order(105)
        .about(about)
        .arg(
            clap::Arg::new(HELP_TOPIC)
                .value_name("COMMAND")
                .num_args(0..)
                .help(topic),
        )
}

const HELP: &str = "help";
const HELP_TOPIC: &str = "topic";

/// The option every lesson has besides its own.
const PYTHON: &str = "python";

/// Parses `args` in the language they ask for (see `config::lang_of_args`).
/// On a usage error, `--help` or `--version`, says so and exits: 2 for a
/// usage error, 0 otherwise, as clap does.
pub fn parse(args: Vec<std::ffi::OsString>) -> Result<(GlobalArgs, Parsed)> {
    let lang = config::lang_of_args(&args);
    let cli = command(lang)?;
    let help = help_of(&cli, &args, lang);
    let matches = cli
        .try_get_matches_from(args)
        .unwrap_or_else(|error| exit(&error, lang, &help));
    let parsed = match matches.subcommand() {
        None => Parsed::Welcome,
        Some((HELP, options)) => {
            let mut asked: Vec<String> = vec!["procdemo".into()];
            asked.extend(
                options
                    .get_many::<String>(HELP_TOPIC)
                    .into_iter()
                    .flatten()
                    .map(Into::into),
            );
            asked.push("--help".into());
            let error = command(lang)?
                .try_get_matches_from(asked)
                .err()
                .context("--help always ends the parse")?;
            exit(&error, lang, &help)
        }
        Some((name, options)) => match lessons::find(name) {
            Some(lesson) if options.get_flag(PYTHON) => Parsed::Python(lesson),
            Some(lesson) => {
                if let Some(reason) = lesson.refusal(options, lang)? {
                    let mut root = command(lang)?;
                    // Built, so that the usage line names `procdemo <id>`.
                    root.build();
                    let error = match root.find_subcommand_mut(name) {
                        Some(sub) => sub.error(clap::error::ErrorKind::ArgumentConflict, reason),
                        None => root.error(clap::error::ErrorKind::ArgumentConflict, reason),
                    };
                    exit(&error, lang, &help)
                }
                Parsed::Lesson(lesson, options.clone())
            }
            None => {
                let cli = Cli::from_arg_matches(&matches)
                    .unwrap_or_else(|error| exit(&error, lang, &help));
                cli.command.map_or(Parsed::Welcome, Parsed::Command)
            }
        },
    };
    let global = GlobalArgs::from_matches(&matches, matches.subcommand().map(|(_, sub)| sub))
        .unwrap_or_else(|error| exit(&error, lang, &help));
    Ok((global, parsed))
}

/// The command that shows the help of the lesson or command `args` name
/// (`procdemo join --help`), with `--lang` when they give it.
fn help_of(cli: &clap::Command, args: &[std::ffi::OsString], lang: Lang) -> String {
    let words: Vec<_> = args
        .iter()
        .skip(1)
        .map(|arg| arg.to_string_lossy())
        .collect();
    let named = words.iter().find(|word| {
        cli.get_subcommands()
            .any(|sub| sub.get_name() == word.as_ref())
    });
    let flag = words
        .iter()
        .any(|word| word == "--lang" || word.starts_with("--lang="));
    let mut help = String::from("procdemo");
    if let Some(name) = named {
        help.push_str(&format!(" {name}"));
    }
    help.push_str(" --help");
    if flag {
        help.push_str(match lang {
            Lang::En => " --lang en",
            Lang::Zh => " --lang zh",
        });
    }
    help
}

/// Whether clap paints its errors on stderr (its `ColorChoice::Auto`, as
/// anstream decides it): forced by CLICOLOR_FORCE, else on a terminal that
/// is not `TERM=dumb`, unless NO_COLOR. `--color` is not parsed yet.
fn clap_paints_stderr() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|value| !value.is_empty() && value != "0") {
        return true;
    }
    !set("NO_COLOR")
        && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
        && os::terminal::stderr_is_terminal()
}

/// Ends procdemo with clap's `error` (or help, or version), in `lang`;
/// `help` is the command that shows the help of what was asked.
fn exit(error: &clap::Error, lang: Lang, help: &str) -> ! {
    if error.use_stderr() && lang == Lang::En {
        error.exit()
    }
    let rendered = error.render();
    if error.use_stderr() {
        let text = cli_words::clap_error_zh(&rendered.to_string(), help);
        let text = if clap_paints_stderr() {
            narrate::use_colour(true);
            cli_words::painted_like_clap(&text, help)
        } else {
            text
        };
        narrate::write_err(&text);
        std::process::exit(error.exit_code())
    }
    let text = if os::terminal::stdout_is_terminal() {
        rendered.ansi().to_string()
    } else {
        rendered.to_string()
    };
    let text = match lang {
        Lang::En => text,
        Lang::Zh => cli_words::help_zh(&text),
    };
    // Help and version through procdemo's stdout, so that losing them is
    // an error as for any other output.
    narrate::write_bytes(text.as_bytes());
    let status = narrate::stdout_exit_status(lang).map_or(error.exit_code(), i32::from);
    std::process::exit(status)
}

/// procdemo's manual page (roff) in `lang`: clap's sections, then
/// EXAMPLES, FILES, ENVIRONMENT and EXIT STATUS.
pub fn manual(lang: Lang) -> Result<Vec<u8>> {
    let mut root = command_within(lang, UNFITTED)?;
    root.build();
    manual_of(root, lang)
}

fn manual_of(command: clap::Command, lang: Lang) -> Result<Vec<u8>> {
    use clap_mangen::roff::{Roff, bold, roman};
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    let mut roff = Roff::default();
    for section in cli_words::man_sections(lang) {
        roff.control("SH", [section.heading]);
        for (term, meaning) in section.entries {
            roff.control("TP", []);
            roff.text([bold(term)]);
            roff.text([roman(meaning)]);
        }
    }
    roff.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(in_language(page, lang))
}

/// A page clap_mangen rendered, its own headings in `lang`.
fn in_language(page: Vec<u8>, lang: Lang) -> Vec<u8> {
    let page = String::from_utf8_lossy(&page).into_owned();
    if lang == Lang::En {
        // Section headings are in capitals in a manual page; clap_mangen
        // takes the help's "Lessons and commands" as it is.
        let mut page = page
            .lines()
            .map(|line| match line.strip_prefix(".SH ") {
                Some(heading) => format!(".SH {}", heading.to_uppercase()),
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        page.push('\n');
        return page.into_bytes();
    }
    let page = cli_words::MAN_HEADINGS_ZH
        .iter()
        .fold(page, |page, (english, chinese)| {
            page.replace(english, chinese)
        });
    // groff breaks lines at spaces unless told where Chinese may break (its
    // own zh.tmac), and justifying Chinese stretches the few spaces it has.
    let mut lines: Vec<&str> = page.lines().collect();
    if let Some(title) = lines.iter().position(|line| line.starts_with(".TH ")) {
        lines.splice(title + 1..title + 1, [".mso zh.tmac", ".ad l"]);
    }
    let mut page = lines.join("\n");
    page.push('\n');
    page.into_bytes()
}

/// Writes procdemo.1 and one page per command into `dir`, in `lang`, and
/// returns the files' names.
pub fn write_manuals(dir: &std::path::Path, lang: Lang) -> Result<Vec<String>> {
    let mut root = command_within(lang, UNFITTED)?;
    root.build();
    let mut pages = vec![("procdemo.1".to_string(), manual_of(root.clone(), lang)?)];
    for command in root
        .get_subcommands()
        .filter(|command| command.get_name() != HELP)
    {
        let man = clap_mangen::Man::new(command.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        pages.push((man.get_filename(), in_language(page, lang)));
    }
    std::fs::create_dir_all(dir)
        .with_context(|| cli_words::cannot_create(lang, &dir.display().to_string()))?;
    pages
        .into_iter()
        .map(|(name, page)| {
            let path = dir.join(&name);
            std::fs::write(&path, page)
                .with_context(|| cli_words::cannot_write(lang, &path.display().to_string()))?;
            Ok(name)
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option of every lesson is described in both languages (the
    /// command line would not build otherwise), and the Chinese help of
    /// procdemo's own options is not left English.
    #[test]
    fn every_option_has_help_in_both_languages() {
        for lang in [Lang::En, Lang::Zh] {
            let mut root = command(lang).expect("the command line builds");
            root.build();
            for command in std::iter::once(&root).chain(root.get_subcommands()) {
                for arg in command.get_arguments() {
                    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                    assert!(
                        !help.trim().is_empty(),
                        "{lang:?}: {} {}",
                        command.get_name(),
                        arg.get_id()
                    );
                    if lang == Lang::Zh {
                        assert!(
                            help.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                            "{}: {} has English help: {help}",
                            command.get_name(),
                            arg.get_id()
                        );
                    }
                }
            }
        }
    }
}
