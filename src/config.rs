//! Flags, environment and terminal, folded into the one `Config` a lesson runs with.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, GlobalArgs, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepMode {
    Continuous,
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
    /// Factor applied to every demonstrative sleep.
    pub pace: f64,
    pub output: Output,
    pub step: StepMode,
    pub quiz: QuizMode,
    /// `--trace`: where to write the Chrome Trace Event file.
    pub trace: Option<std::path::PathBuf>,
    /// `--lifetime`: the longest any demo process may live.
    pub lifetime: Option<std::time::Duration>,
}

impl Config {
    pub fn new(args: &GlobalArgs) -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let output = if args.json {
            Output::Json
        } else {
            Output::Human
        };
        let color = output == Output::Human
            && match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    if env("NO_COLOR").is_some() {
                        false
                    } else if env("CLICOLOR_FORCE").is_some_and(|force| force != "0") {
                        true
                    } else {
                        std::io::stdout().is_terminal()
                    }
                }
            };
        // JSON has no prompts: a grader's pipe must never wait for Enter.
        let step = if args.step && output == Output::Human {
            StepMode::PauseBeforeEachStep
        } else {
            StepMode::Continuous
        };
        let lang = args.lang.unwrap_or_else(|| {
            let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].into_iter().find_map(env);
            lang_of_locale(locale.as_deref())
        });
        Self {
            lang,
            lang_source: if args.lang.is_some() {
                LangSource::Flag
            } else {
                LangSource::Locale
            },
            color,
            pace: args.pace,
            output,
            step,
            quiz: if args.quiz {
                QuizMode::Ask
            } else {
                QuizMode::Off
            },
            lifetime: args.lifetime.map(std::time::Duration::from_secs),
            trace: args.trace.clone(),
        }
    }

    /// True when someone may take their time between steps (Enter, or an
    /// answer), so demo processes must be allowed to live long.
    pub fn waits_for_people(&self) -> bool {
        self.step == StepMode::PauseBeforeEachStep || self.quiz == QuizMode::Ask
    }
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
}
