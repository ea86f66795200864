//! Flags, environment and terminal, folded into the one `Config` a lesson runs with.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};

use crate::model::Lang;

/// Options every lesson and the tour take, before or after the lesson's
/// name. Only `--lang` is global in clap's sense: it decides the language
/// of every command, its help and its manual page. The others are given to
/// the commands they apply to (see `cli::command`), so that `man` and
/// `completions` do not offer them.
#[derive(Args, Debug)]
pub struct GlobalArgs {
    /// Print one JSON object per event on stdout (for tests, graders and tools) instead of text
    #[arg(long)]
    pub json: bool,

    /// Scale every demonstrative pause: 1 suits a person watching, 0 runs as fast as possible, 3 is slow enough to follow in class (0 to 20)
    #[arg(long, value_name = "F", default_value = "1", value_parser = within(0.0..=PACE_LIMIT, format!("the pace must be a number from 0 to {PACE_LIMIT}: 1 is the normal speed, 0 runs without pauses, 3 is slow"), format!("节奏必须是 0 到 {PACE_LIMIT} 之间的数：1 是正常速度，0 不停顿，3 比较慢")), allow_negative_numbers = true)]
    pub pace: f64,

    /// Wait for Enter before each step, as at a terminal by default, even with stdout piped (q then Enter ends the lesson); ignored with --json
    #[arg(long)]
    pub step: bool,

    /// Run through without waiting for Enter between steps, pausing as long as each step takes to read
    #[arg(long, conflicts_with = "step")]
    pub stream: bool,

    /// Before some steps, ask what you predict will happen; the step then shows what did (answers from stdin: a number, or q)
    #[arg(long)]
    pub quiz: bool,

    /// Language of the lesson text, the help and procdemo's messages [default: from LC_ALL, LC_MESSAGES or LANG]
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,

    /// Kill any demo process still alive after this many seconds, even if procdemo itself was killed [default: 60 × pace (at least 60 s), 3600 on a terminal or with --step or --quiz, plus the time the lesson's work may take] (1 to 86400)
    #[arg(long, value_name = "SECONDS", value_parser = within(1..=LIFETIME_LIMIT, format!("the lifetime must be a whole number of seconds from 1 to {LIFETIME_LIMIT} (a day): the longest any demo process may live"), format!("存活时间必须是 1 到 {LIFETIME_LIMIT} 之间的整数秒（{LIFETIME_LIMIT} 秒是一天）：演示进程最多能活这么久")), allow_negative_numbers = true)]
    pub lifetime: Option<u64>,

    /// Also write the run as Chrome Trace Event JSON to FILE, for Perfetto (ui.perfetto.dev) or chrome://tracing
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// When to use colours; auto honours NO_COLOR, CLICOLOR_FORCE and whether stdout is a terminal
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub const PACE_LIMIT: f64 = 20.0;

/// A value parser for clap: a number within `range`, or the message in
/// the learner's language (`english` or `chinese`), which names the limit
/// and why. Every numeric option is checked this way.
pub fn within<T>(
    range: std::ops::RangeInclusive<T>,
    english: impl Into<String>,
    chinese: impl Into<String>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + Clone + Send + Sync + 'static,
{
    let (english, chinese) = (english.into(), chinese.into());
    move |text: &str| match text.parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        // clap calls this while it parses, so the language is the one the
        // command line itself asks for.
        _ => Err(match command_line_lang() {
            Lang::En => english.clone(),
            Lang::Zh => chinese.clone(),
        }),
    }
}

pub const LIFETIME_LIMIT: u64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

/// Whether a lesson waits for the reader between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepMode {
    /// `--stream`, `--json`, or not at a terminal: each step follows the
    /// last after a pause to read it.
    Continuous,
    /// The default at a terminal, and `--step`: Enter shows the next step.
    PauseBeforeEachStep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuizMode {
    Off,
    /// `--quiz`: ask before the steps that carry a question.
    Ask,
}

/// Where the language came from: a command to suggest must repeat a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangSource {
    Flag,
    Locale,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub lang: Lang,
    pub lang_source: LangSource,
    pub color: bool,
    /// `--color` as given: a command that writes elsewhere than stdout
    /// (observe's narration) weighs it against its own terminal.
    pub color_choice: ColorChoice,
    /// Factor applied to every demonstrative sleep.
    pub pace: f64,
    pub output: Output,
    pub step: StepMode,
    /// Text for people on a terminal (stdout): each step starts at the top
    /// of the screen, pages when it is taller, and is given time to be read.
    pub screen: bool,
    /// A lesson of `tour`, whose prompt before the lesson stands for the
    /// lesson's prompt before its first step.
    pub in_tour: bool,
    pub quiz: QuizMode,
    /// `--trace`: where to write the Chrome Trace Event file.
    pub trace: Option<std::path::PathBuf>,
    /// `--lifetime`: the longest any demo process may live.
    pub lifetime: Option<std::time::Duration>,
}

impl Config {
    pub fn new(args: &GlobalArgs) -> Self {
        let output = if args.json {
            Output::Json
        } else {
            Output::Human
        };
        let color =
            output == Output::Human && colour_for(args.color, std::io::stdout().is_terminal());
        let screen = output == Output::Human && std::io::stdout().is_terminal();
        // JSON has no prompts: a grader's pipe must never wait for Enter. A
        // person at a terminal reads at their own speed unless `--stream`
        // (the prompt goes to stderr: with `2>/dev/null` nobody would see
        // it); `--step` waits even when stdout is a pipe (`| tee log`).
        let at_terminal =
            screen && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let step = match output {
            Output::Json => StepMode::Continuous,
            Output::Human if args.step => StepMode::PauseBeforeEachStep,
            Output::Human if !args.stream && at_terminal => StepMode::PauseBeforeEachStep,
            Output::Human => StepMode::Continuous,
        };
        let lang = chosen_lang(args.lang);
        Self {
            lang,
            lang_source: if args.lang.is_some() {
                LangSource::Flag
            } else {
                LangSource::Locale
            },
            color,
            color_choice: args.color,
            pace: args.pace,
            output,
            step,
            screen,
            in_tour: false,
            quiz: if args.quiz {
                QuizMode::Ask
            } else {
                QuizMode::Off
            },
            lifetime: args.lifetime.map(std::time::Duration::from_secs),
            trace: args.trace.clone(),
        }
    }

    /// True when someone may take their time between steps (Enter, an
    /// answer, a page, or the time to read a step), so demo processes must
    /// be allowed to live long.
    pub fn waits_for_people(&self) -> bool {
        self.step == StepMode::PauseBeforeEachStep || self.quiz == QuizMode::Ask || self.screen
    }
}

/// Whether to colour text for a reader at `terminal` (true when the text
/// goes to a terminal), as `choice`, NO_COLOR and CLICOLOR_FORCE say.
pub fn colour_for(choice: ColorChoice, terminal: bool) -> bool {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some() {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|force| force != "0") {
                true
            } else {
                terminal
            }
        }
    }
}

impl GlobalArgs {
    /// The options as given before the command's name (`root`) and after it
    /// (`command`, when the command takes them): after wins, as in clap's
    /// own global options.
    pub fn from_matches(
        root: &clap::ArgMatches,
        command: Option<&clap::ArgMatches>,
    ) -> Result<Self, clap::Error> {
        let mut args = <Self as clap::FromArgMatches>::from_arg_matches(root)?;
        let Some(command) = command else {
            return Ok(args);
        };
        if let Some(json) = given(command, "json") {
            args.json = json;
        }
        if let Some(pace) = given(command, "pace") {
            args.pace = pace;
        }
        if let Some(step) = given(command, "step") {
            args.step = step;
        }
        if let Some(stream) = given(command, "stream") {
            args.stream = stream;
        }
        if let Some(quiz) = given(command, "quiz") {
            args.quiz = quiz;
        }
        if let Some(lang) = given(command, "lang") {
            args.lang = Some(lang);
        }
        if let Some(lifetime) = given(command, "lifetime") {
            args.lifetime = Some(lifetime);
        }
        if let Some(trace) = given(command, "trace") {
            args.trace = Some(trace);
        }
        if let Some(color) = given(command, "color") {
            args.color = color;
        }
        Ok(args)
    }
}

/// The value of option `id` if the command line gave it to this command.
fn given<T: Clone + Send + Sync + 'static>(matches: &clap::ArgMatches, id: &str) -> Option<T> {
    matches
        .ids()
        .any(|known| known == id)
        .then(|| matches.value_source(id))
        .flatten()
        .filter(|source| *source == clap::parser::ValueSource::CommandLine)
        .and_then(|_| matches.get_one::<T>(id).cloned())
}

/// The language of the command `args` (the program's name first): the last
/// `--lang` among them, else the locale. It is decided before clap parses,
/// so that help and errors are already in it.
pub fn lang_of_args(args: &[std::ffi::OsString]) -> Lang {
    let mut flag = None;
    let mut words = args.iter().skip(1).map(|word| word.to_string_lossy());
    while let Some(word) = words.next() {
        let value = match word.as_ref() {
            "--" => break,
            "--lang" => words.next().map(|value| value.into_owned()),
            other => other.strip_prefix("--lang=").map(str::to_string),
        };
        if let Some(lang) = value.and_then(|value| Lang::from_str(&value, true).ok()) {
            flag = Some(lang);
        }
    }
    chosen_lang(flag)
}

/// The language of this process's own command line (see `lang_of_args`).
pub fn command_line_lang() -> Lang {
    lang_of_args(&std::env::args_os().collect::<Vec<_>>())
}

/// `--lang` if given, else the locale: the one rule for `Config` and for the
/// command line before it is parsed.
fn chosen_lang(flag: Option<Lang>) -> Lang {
    flag.unwrap_or_else(|| {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()));
        lang_of_locale(locale.as_deref())
    })
}

/// The first locale variable that is set decides, as in POSIX.
fn lang_of_locale(locale: Option<&str>) -> Lang {
    match locale {
        Some(name) if name.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_locales_choose_chinese() {
        assert_eq!(lang_of_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(lang_of_locale(Some("zh_TW")), Lang::Zh);
        assert_eq!(lang_of_locale(Some("C.UTF-8")), Lang::En);
        assert_eq!(lang_of_locale(None), Lang::En);
    }

    #[test]
    fn the_last_lang_flag_anywhere_decides_before_parsing() {
        let args = |words: &[&str]| words.iter().map(Into::into).collect::<Vec<_>>();
        assert_eq!(
            lang_of_args(&args(&["procdemo", "fork", "--lang", "zh"])),
            Lang::Zh
        );
        assert_eq!(
            lang_of_args(&args(&["procdemo", "--lang=zh", "fork"])),
            Lang::Zh
        );
        assert_eq!(
            lang_of_args(&args(&["procdemo", "--lang", "zh", "--lang", "en"])),
            Lang::En
        );
    }
}
