//! What procdemo says around the lessons: the welcome, `list` with progress
//! marks, the tour's headings and summary, `reset`, and notes about the
//! progress file.

use std::os::fd::BorrowedFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use colored::Colorize;
use serde_json::{Value, json};

use super::human::rule;
use super::layout::{self, Text, wrap};
use super::palette::{self, Ink};
use super::quiz::placeholders;
use super::{Answer, Reply, Screen, read_reply, ui, write_err, write_out};
use crate::config::{Config, Output};
use crate::model::{Lang, LessonEnd, LessonProgress, Notice, Score, Stop, Then, TourEnd};
use crate::os::terminal;
use crate::text::LessonText;

/// One lesson as `list` and the welcome show it.
pub struct Listed {
    pub id: &'static str,
    pub coverage_runs: &'static [&'static [&'static str]],
    pub text: LessonText,
    pub progress: Option<LessonProgress>,
}

impl Listed {
    fn to_json(&self) -> Value {
        let quizzes: Vec<Value> = self
            .text
            .quizzes()
            .map(|(step, quiz)| {
                json!({
                    "step": step,
                    "question": quiz.question,
                    "choices": quiz.choices.len(),
                    "right_answer": quiz.right,
                    "placeholders": placeholders(quiz),
                })
            })
            .collect();
        let progress = self.progress.as_ref();
        json!({
            "lesson": self.id,
            "title": self.text.title,
            "summary": self.text.summary,
            "coverage_runs": self.coverage_runs,
            "quizzes": quizzes,
            "finished": progress.map_or(0, |entry| entry.finished),
            "quiz": progress.and_then(|entry| entry.quiz),
            "best_quiz": progress.and_then(|entry| entry.best_quiz),
        })
    }
}

pub fn list(lessons: &[Listed], output: Output, lang: Lang) {
    match output {
        Output::Json => {
            for lesson in lessons {
                write_out(&format!("{}\n", lesson.to_json()));
            }
        }
        Output::Human => write_out(&table(lessons, lang)),
    }
}

/// One row per lesson: a mark if finished, the id, the summary, the best quiz.
fn table(lessons: &[Listed], lang: Lang) -> String {
    let rows: Vec<Row> = lessons
        .iter()
        .map(|lesson| Row {
            finished: lesson.progress.is_some(),
            id: lesson.id,
            summary: &lesson.text.summary,
            note: lesson
                .progress
                .as_ref()
                .and_then(|entry| entry.best_quiz)
                .map(|best| ui::best_quiz(lang, best.right, best.asked)),
        })
        .collect();
    rows_of(&rows)
}

struct Row<'a> {
    finished: bool,
    id: &'a str,
    summary: &'a str,
    note: Option<String>,
}

/// Rows in columns: the summaries (and notes) wrapped beside the ids,
/// within the screen.
fn rows_of(rows: &[Row]) -> String {
    let width = rows.iter().map(|row| row.id.len()).max().unwrap_or(0);
    let indent = " ".repeat(width + 6);
    let room = layout::width() - indent.len();
    let mut out = String::new();
    for row in rows {
        let mark = if row.finished {
            Ink::Good.paint("✓").bold().to_string()
        } else {
            " ".to_string()
        };
        let mut text = Text::with_code(row.summary, palette::code);
        if let Some(note) = &row.note {
            text.push("  ").push_whole_in(note, palette::muted);
        }
        for (at, line) in text.lines(room, room).iter().enumerate() {
            if at == 0 {
                out.push_str(&format!(
                    "  {mark} {}  {line}\n",
                    palette::bold(&format!("{:width$}", row.id)),
                ));
            } else {
                out.push_str(&format!("{indent}{line}\n"));
            }
        }
    }
    out
}

/// `procdemo` alone.
/// `lang_flag` is what the commands it names add to keep the language.
pub fn welcome(
    lessons: &[Listed],
    next: &Option<String>,
    lang_flag: &str,
    output: Output,
    lang: Lang,
) {
    let finished = lessons
        .iter()
        .filter(|lesson| lesson.progress.is_some())
        .count();
    if output == Output::Json {
        list(lessons, output, lang);
        let line = json!({ "next": next, "finished": finished, "lessons": lessons.len() });
        write_out(&format!("{line}\n"));
        return;
    }
    let width = layout::width();
    let mut title = Text::new();
    title
        .push_in("procdemo ·", palette::muted)
        .push(" ")
        .push_in(ui::welcome_title(lang), palette::bold);
    let mut out = String::from("\n");
    for line in title.lines(width, width) {
        out.push_str(&format!("{line}\n"));
    }
    out.push('\n');
    for line in wrap(ui::welcome_text(lang), width, palette::code) {
        out.push_str(&format!("{line}\n"));
    }
    out.push_str(&format!("\n{}\n", ui::course_heading(lang).bold()));
    out.push_str(&table(lessons, lang));
    out.push_str(&format!(
        "\n  {}\n",
        ui::finished_count(lang, finished, lessons.len())
    ));
    // A newcomer starts with the first lesson, not the tour: one lesson
    // teaches the way every lesson goes in minutes, and ends by naming the next.
    let first_time = finished == 0;
    match next {
        Some(command) => {
            let word = if first_time {
                ui::start_word(lang)
            } else if finished == lessons.len() {
                ui::quizzes_word(lang)
            } else {
                ui::next_word(lang)
            };
            out.push_str(&next_command(word, command))
        }
        None => out.push_str(&format!(
            "  {}\n",
            Ink::Good.paint(ui::all_done(lang)).bold()
        )),
    }
    if first_time {
        for line in wrap(ui::start_hint(lang), width - 2, palette::code) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for line in wrap(
        &ui::more_commands(lang, lang_flag),
        width - 2,
        palette::code,
    ) {
        out.push_str(&format!("  {line}\n"));
    }
    out.push('\n');
    write_out(&out);
}

/// After a finished lesson, for people: a better quiz of an earlier run,
/// then one line: done, how far through the course, what comes next.
pub fn lesson_end(end: &LessonEnd, lang: Lang) {
    let mut out = String::new();
    if let (Some(quiz), Some(best)) = (end.quiz, end.best_quiz)
        && best.right > quiz.right
    {
        out.push_str(&format!(
            "{}\n",
            palette::muted(&ui::best_in_lesson(lang, best.right, best.asked))
        ));
    }
    let command = palette::code_bold;
    let next = match &end.then {
        Then::Command(next) => {
            // Every lesson finished: what is left is a quiz.
            let word = if end.finished == end.total {
                ui::quizzes_word(lang)
            } else {
                ui::next_word(lang)
            };
            format!("{}{}", palette::bold(word), command(next))
        }
        Then::CourseDone => Ink::Good
            .paint(ui::course_complete(lang))
            .bold()
            .to_string(),
        Then::TourGoesOn(lesson) => format!(
            "{}{}",
            ui::tour_next_word(lang),
            command(&format!("procdemo {lesson}"))
        ),
        Then::TourEnds => ui::tour_last(lang).to_string(),
    };
    let pieces = [
        Ink::Good
            .paint(&ui::lesson_done(lang, end.lesson).replace('`', ""))
            .bold()
            .to_string(),
        ui::course_so_far(lang, end.finished, end.total, end.saved),
        next,
    ];
    // One line when it fits; else a line for each part, so that no part,
    // the command least of all, is broken.
    let line = pieces.join(" · ");
    let columns = terminal::size().map_or_else(layout::width, |size| size.columns);
    if layout::columns(&line) <= columns {
        out.push_str(&format!("{line}\n"));
    } else {
        for piece in pieces {
            out.push_str(&format!("{piece}\n"));
        }
    }
    write_out(&format!("\n{out}"));
}

/// A newer procdemo's file stays for the whole run: said once, not after
/// each lesson of a tour.
static NEWER_SAID: AtomicBool = AtomicBool::new(false);

/// Says what is wrong with the progress file, if anything.
pub fn progress_notice(notice: Option<&Notice>, lang: Lang) {
    let Some(notice) = notice else {
        return;
    };
    let line = match notice {
        Notice::Newer { .. } if NEWER_SAID.swap(true, Ordering::Relaxed) => return,
        Notice::Newer { path, version } => {
            ui::progress_newer(lang, &path.display().to_string(), *version)
        }
        Notice::SetAside {
            path,
            moved_to,
            reason,
        } => ui::progress_set_aside(
            lang,
            &path.display().to_string(),
            &ui::cli::progress_reason(lang, reason),
            &moved_to.display().to_string(),
        ),
        Notice::Unusable { path, reason } => ui::progress_unusable(
            lang,
            &path.display().to_string(),
            &ui::cli::progress_reason(lang, reason),
        ),
        Notice::NoPlace => ui::progress_no_place(lang).to_string(),
    };
    write_err(&format!(
        "{}\n",
        Ink::Bad.paint(&format!("{}{line}", ui::procdemo_says(lang)))
    ));
}

/// Why `reset` forgets nothing without `--yes`: no terminal to ask on, or
/// a file that a newer procdemo wrote.
pub fn reset_needs_yes(path: &Path, newer: bool, lang: Lang) {
    let line = if newer {
        ui::reset_newer(lang, &path.display().to_string())
    } else {
        ui::reset_cannot_ask(lang).to_string()
    };
    write_err(&format!(
        "{}\n",
        Ink::Bad.paint(&format!("procdemo: {line}"))
    ));
}

pub fn progress_not_saved(error: &anyhow::Error, lang: Lang) {
    write_err(&format!(
        "{}\n",
        Ink::Bad.paint(&format!(
            "{}{}",
            ui::procdemo_says(lang),
            ui::progress_not_saved(lang, &format!("{error:#}"))
        ))
    ));
}

/// Before each lesson of a tour, below the end of the last one: the
/// lesson starts a new screen once the reader goes on.
pub fn tour_heading(position: usize, total: usize, id: &str, text: &LessonText, config: &Config) {
    if config.output != Output::Human {
        return;
    }
    let width = layout::width();
    let mut heading = Text::new();
    heading
        .push_in(
            &ui::tour_lesson(config.lang, position, total),
            palette::bold,
        )
        .push("  ")
        .push_in(&format!("procdemo {id}"), palette::code_bold);
    let mut out = format!("\n{}\n", rule("═", width));
    for line in
        heading
            .lines(width, width)
            .into_iter()
            .chain(wrap(&text.title, width, palette::code))
    {
        out.push_str(&format!("{line}\n"));
    }
    Screen::of(config).write(&out);
}

/// Between two lessons of a tour that steps, on stderr: Enter goes on,
/// `q` ends the tour.
pub fn tour_prompt(
    config: &Config,
    wake: BorrowedFd<'_>,
    interrupted: impl Fn() -> bool,
) -> Answer {
    let prompt = super::human::prompt(
        &format!("⏎ {}", ui::tour_prompt(config.lang)),
        palette::muted,
    );
    write_err(&prompt);
    // With its Enter, the prompt takes a row of the lesson's first screen.
    Screen::of(config).count(&format!("{prompt}\n"));
    match read_reply(wake, interrupted) {
        Reply::Quit => Answer::Quit,
        Reply::Interrupted => {
            write_err("\n");
            Answer::Woken
        }
        Reply::Line(_) | Reply::Closed => Answer::Next,
    }
}

/// The tour's last words: what was seen, and in JSON one summary line.
/// `covered` holds the texts of the lessons started, each with whether it
/// was finished.
pub fn tour_end(
    end: &TourEnd,
    covered: &[(&str, LessonText, bool)],
    stop: Option<Stop>,
    next: Option<(&str, bool)>,
    config: &Config,
) {
    let lang = config.lang;
    let reason = match stop {
        None => None,
        Some(Stop::Quit) => Some("quit".to_string()),
        Some(Stop::Signal(signal)) => Some(signal.as_str().to_string()),
        Some(Stop::Output(_)) => Some("stdout".to_string()),
    };
    if config.output == Output::Json {
        let line = json!({
            "lesson": "tour",
            "step": if stop.is_none() { "done" } else { "ended" },
            "facts": {
                "reason": reason,
                "lessons_finished": end.finished,
                "lessons_failed": end.failed,
                "quiz": end.quiz,
            },
        });
        write_out(&format!("{line}\n"));
        return;
    }
    let mut out = format!(
        "\n{}\n{}\n",
        rule("═", layout::width()),
        ui::tour_covered(lang, end.finished.len(), end.total).bold()
    );
    if !covered.is_empty() {
        out.push_str(&format!("{}\n", ui::tour_seen(lang).bold()));
    }
    let rows: Vec<Row> = covered
        .iter()
        .map(|(id, text, finished)| Row {
            finished: *finished,
            id,
            summary: &text.summary,
            note: (!finished).then(|| ui::tour_not_finished(lang).to_string()),
        })
        .collect();
    out.push_str(&rows_of(&rows));
    if !end.failed.is_empty() {
        out.push_str(&format!(
            "  {}\n",
            Ink::Bad.paint(&ui::tour_failed(lang, &end.failed.join(", ")))
        ));
    }
    if let Some(Score { asked, right }) = end.quiz {
        out.push_str(&format!(
            "  {}\n",
            ui::quiz_score(lang, right, asked).bold()
        ));
    }
    if let Some((command, all_finished)) = next {
        let word = if all_finished {
            ui::quizzes_word(lang)
        } else {
            ui::next_word(lang)
        };
        out.push_str(&next_command(word, command));
    }
    write_out(&out);
}

/// "Next: procdemo fork", the command whole on its line.
fn next_command(word: &str, command: &str) -> String {
    let width = layout::width();
    let mut text = Text::new();
    text.push_in(word, palette::bold)
        .push_in(command, palette::code_bold);
    let mut out = String::new();
    for line in text.lines(width - 2, width - 4) {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// True when someone can answer a question on stdin.
pub fn can_ask() -> bool {
    terminal::stdin_is_terminal()
}

/// Asks before forgetting the progress; true for yes.
pub fn ask_reset(
    path: &Path,
    lessons: usize,
    lang: Lang,
    wake: BorrowedFd<'_>,
    interrupted: impl Fn() -> bool,
) -> bool {
    write_err(&format!(
        "{} ",
        ui::reset_question(lang, lessons, &path.display().to_string())
    ));
    match read_reply(wake, interrupted) {
        Reply::Line(line) => matches!(
            line.trim().to_lowercase().as_str(),
            "y" | "yes" | "是" | "好"
        ),
        Reply::Interrupted => {
            write_err("\n");
            false
        }
        Reply::Quit | Reply::Closed => false,
    }
}

pub fn reset_nothing(path: &Path, lang: Lang) {
    write_out(&format!(
        "{}\n",
        ui::reset_nothing(lang, &path.display().to_string())
    ));
}

pub fn reset_kept(lang: Lang) {
    write_out(&format!("{}\n", ui::reset_kept(lang)));
}

pub fn reset_done(path: &Path, removed: bool, lang: Lang) {
    let line = if removed {
        ui::reset_done(lang, &path.display().to_string())
    } else {
        ui::reset_nothing(lang, &path.display().to_string())
    };
    write_out(&format!("{line}\n"));
}
