//! What procdemo says around the lessons: the welcome, `list` with progress
//! marks, the tour's headings and summary, `reset`, and notes about the
//! progress file.

use std::os::fd::BorrowedFd;
use std::path::Path;

use colored::Colorize;
use serde_json::{Value, json};

use super::human::{inline_code, wrap};
use super::quiz::placeholders;
use super::{Answer, Reply, Screen, read_reply, ui, write_err, write_out};
use crate::config::{Config, Output};
use crate::model::{Lang, LessonProgress, Notice, Score, Stop, TourEnd};
use crate::os::terminal;
use crate::text::LessonText;

/// Columns the lesson table keeps within.
const TABLE_WIDTH: usize = 80;

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

/// Rows in columns: the summaries wrapped beside the ids, within TABLE_WIDTH.
fn rows_of(rows: &[Row]) -> String {
    let width = rows.iter().map(|row| row.id.len()).max().unwrap_or(0);
    let indent = " ".repeat(width + 6);
    let mut out = String::new();
    for row in rows {
        let mark = if row.finished {
            "✓".green().bold().to_string()
        } else {
            " ".to_string()
        };
        let summary = wrap(row.summary, TABLE_WIDTH.saturating_sub(width + 6).max(20));
        for (at, line) in summary.iter().enumerate() {
            if at == 0 {
                out.push_str(&format!(
                    "  {mark} {}  {}",
                    format!("{:width$}", row.id).bold(),
                    inline_code(line)
                ));
            } else {
                out.push_str(&format!("\n{indent}{}", inline_code(line)));
            }
        }
        if let Some(note) = &row.note {
            out.push_str(&format!("  {}", note.dimmed()));
        }
        out.push('\n');
    }
    out
}

/// `procdemo` alone.
pub fn welcome(lessons: &[Listed], next: &Option<String>, output: Output, lang: Lang) {
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
    let mut out = format!(
        "\n{} {}\n\n",
        "procdemo ·".dimmed(),
        ui::welcome_title(lang).bold()
    );
    for line in wrap(ui::welcome_text(lang), TABLE_WIDTH) {
        out.push_str(&format!("{}\n", inline_code(&line)));
    }
    out.push_str(&format!("\n{}\n", ui::course_heading(lang).bold()));
    out.push_str(&table(lessons, lang));
    out.push_str(&format!(
        "\n  {}\n",
        ui::finished_count(lang, finished, lessons.len())
    ));
    match next {
        Some(command) => out.push_str(&format!(
            "  {}{}\n",
            ui::next_word(lang).bold(),
            command.cyan().bold()
        )),
        None => out.push_str(&format!("  {}\n", ui::all_done(lang).green().bold())),
    }
    for line in wrap(ui::more_commands(lang), TABLE_WIDTH - 2) {
        out.push_str(&format!("  {}\n", inline_code(&line).dimmed()));
    }
    out.push('\n');
    write_out(&out);
}

/// Says what is wrong with the progress file, if anything.
pub fn progress_notice(notice: Option<&Notice>, lang: Lang) {
    let Some(notice) = notice else {
        return;
    };
    let line = match notice {
        Notice::SetAside {
            path,
            moved_to,
            reason,
        } => ui::progress_set_aside(
            lang,
            &path.display().to_string(),
            reason,
            &moved_to.display().to_string(),
        ),
        Notice::Unusable { path, reason } => {
            ui::progress_unusable(lang, &path.display().to_string(), reason)
        }
        Notice::NoPlace => ui::progress_no_place(lang).to_string(),
    };
    write_err(&format!("{}\n", format!("procdemo: {line}").yellow()));
}

pub fn progress_not_saved(error: &anyhow::Error, lang: Lang) {
    write_err(&format!(
        "{}\n",
        format!(
            "procdemo: {}",
            ui::progress_not_saved(lang, &format!("{error:#}"))
        )
        .yellow()
    ));
}

/// Before each lesson of a tour, below the end of the last one: the
/// lesson starts a new screen once the reader goes on.
pub fn tour_heading(position: usize, total: usize, id: &str, text: &LessonText, config: &Config) {
    if config.output != Output::Human {
        return;
    }
    let screen = Screen::new(config.lang, config.screen);
    let rule = "═".repeat(60);
    screen.write(&format!(
        "\n{}\n{}  {}\n{}\n",
        rule.dimmed(),
        ui::tour_lesson(config.lang, position, total).bold(),
        format!("procdemo {id}").cyan().bold(),
        inline_code(&text.title)
    ));
}

/// Between two lessons of a tour that steps, on stderr: Enter goes on,
/// `q` ends the tour.
pub fn tour_prompt(
    config: &Config,
    wake: BorrowedFd<'_>,
    interrupted: impl Fn() -> bool,
) -> Answer {
    let prompt = format!(
        "  {} ",
        format!("⏎ {}", ui::tour_prompt(config.lang)).dimmed()
    );
    write_err(&prompt);
    // With its Enter, the prompt takes a row of the lesson's first screen.
    Screen::new(config.lang, config.screen).count(&format!("{prompt}\n"));
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
    next: Option<&str>,
    config: &Config,
) {
    let lang = config.lang;
    let reason = match stop {
        None => None,
        Some(Stop::Quit) => Some("quit".to_string()),
        Some(Stop::Signal(signal)) => Some(signal.as_str().to_string()),
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
        "═".repeat(60).dimmed(),
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
            ui::tour_failed(lang, &end.failed.join(", ")).red()
        ));
    }
    if let Some(Score { asked, right }) = end.quiz {
        out.push_str(&format!(
            "  {}\n",
            ui::quiz_score(lang, right, asked).bold()
        ));
    }
    if let Some(command) = next {
        out.push_str(&format!(
            "  {}{}\n",
            ui::next_word(lang).bold(),
            command.cyan().bold()
        ));
    }
    write_out(&out);
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
