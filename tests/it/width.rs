//! Lessons fit the screen: on a terminal of 50, 60, 80 and 120 columns
//! (a real pty with that window size, not `COLUMNS`), every lesson in both
//! languages prints no line wider than the terminal, breaks no word, and
//! starts no line with closing punctuation. Code blocks of the lesson files
//! stay narrow in the source, since they are never reflowed.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::COURSE;
use regex::Regex;
use unicode_width::UnicodeWidthStr;

use crate::common::{DEADLINE, procdemo, read_all_on_thread, wait_with_deadline};

const WIDTHS: [u16; 4] = [50, 60, 80, 120];
/// Runs at a time: enough to finish well within the budget on 2 cores,
/// few enough that the lessons' own timing is not starved.
const RUNNERS: usize = 12;
/// Options that keep a lesson's run short: these tests read its layout, not its numbers.
const QUICK: &[(&str, &[&str])] = &[("lock", &["--increments", "20000"])];
/// Where the facts of the evidence start.
const FACT_INDENT: usize = 6;
/// The widest a line of code may be in a lesson file.
const CODE_WIDTH: usize = 72;

/// What procdemo printed on a terminal `columns` wide, without colour
/// codes or carriage returns.
fn on_terminal(args: &[&str], columns: u16) -> String {
    let size = Winsize {
        ws_row: 40,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("a pty");
    let what = format!("procdemo {} on {columns} columns", args.join(" "));
    let mut command = procdemo(args);
    command
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .stdout(Stdio::from(File::from(pty.slave)))
        .stderr(Stdio::null());
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    // The command held the only copy of the terminal's other end: once
    // procdemo exits, reading gives EIO, and the reader is done.
    drop(command);
    let screen = read_all_on_thread(File::from(pty.master));
    let status = wait_with_deadline(&mut child, Instant::now() + DEADLINE, &what);
    assert!(status.success(), "{what}: {status}");
    let bytes = screen
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|error| panic!("{what}: the terminal stayed open: {error}"));
    let escapes = Regex::new("\u{1b}\\[[0-9;?]*[A-Za-z]").expect("a regex");
    escapes
        .replace_all(&String::from_utf8_lossy(&bytes), "")
        .replace('\r', "")
}

/// Every word that procdemo may print: those of the lesson files and of
/// its sources (its own words, fact values, process names).
fn vocabulary() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut folders = vec![root.join("lessons"), root.join("src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let word = Regex::new("[A-Za-z0-9_]+").expect("a regex");
    let mut words: BTreeSet<String> = files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("a source file");
            word.find_iter(&text)
                .map(|found| found.as_str().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // The memory lesson shows the binary's path, wherever the checkout is:
    // its pieces are words of the run (`wt-progress` may break at the dash).
    words.extend(
        word.find_iter(crate::common::bin())
            .map(|found| found.as_str().to_string()),
    );
    words
}

/// What is wrong with `screen` on a terminal `columns` wide.
fn problems(screen: &str, columns: u16, vocabulary: &BTreeSet<String>) -> Vec<String> {
    let word = Regex::new("[A-Za-z0-9_]+").expect("a regex");
    let lines: Vec<&str> = screen.lines().collect();
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        if line.width() > usize::from(columns) {
            found.push(format!("{} columns: {line}", line.width()));
        }
        let text = line.trim_start_matches([' ', '│', '┆', '├', '└', '─']);
        if text.starts_with(['，', '。', '、', '；', '：', '）', ',', '.', ';', ':', ')']) {
            found.push(format!("starts with closing punctuation: {line}"));
        }
        // Where a line ends in a letter or digit and the next starts with
        // one, a word cut in two leaves a piece that is no word of procdemo
        // (a run's own values, pids and paths, only meet there when a
        // word breaks between them).
        let Some(next) = lines.get(at + 1) else {
            continue;
        };
        // Facts and tree nodes, from the facts' indent on, are one line
        // each: what goes on from one of them is indented further.
        let indent = |line: &str| line.len() - line.trim_start_matches(' ').len();
        if indent(line) >= FACT_INDENT && indent(next) <= indent(line) {
            continue;
        }
        let next = next.trim_start_matches([' ', '│', '┆', '├', '└', '─']);
        let (Some(end), Some(start)) = (
            word.find_iter(text)
                .last()
                .filter(|end| end.end() == text.len()),
            word.find(next).filter(|start| start.start() == 0),
        ) else {
            continue;
        };
        for piece in [end.as_str(), start.as_str()] {
            // Numbers (pids, addresses, times) differ from run to run.
            if !piece.chars().any(|c| c.is_ascii_digit()) && !vocabulary.contains(piece) {
                found.push(format!("{piece:?} is no word: {line} / {next}"));
            }
        }
    }
    found
}

#[test]
fn every_lesson_fits_every_terminal_in_both_languages() {
    let mut runs: Vec<(Vec<&str>, u16)> = Vec::new();
    for columns in WIDTHS {
        for lang in ["en", "zh"] {
            for lesson in COURSE {
                let args = [lesson.id, "--stream", "--pace", "0", "--color", "never"];
                let quick = QUICK
                    .iter()
                    .find(|(id, _)| *id == lesson.id)
                    .map_or(&[][..], |(_, options)| options);
                runs.push(([&args[..], &["--lang", lang], quick].concat(), columns));
            }
            runs.push((vec!["--color", "never", "--lang", lang], columns));
            runs.push((vec!["list", "--color", "never", "--lang", lang], columns));
        }
    }
    let vocabulary = vocabulary();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..RUNNERS {
            scope.spawn(|| {
                while let Some((args, columns)) = runs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let screen = on_terminal(args, *columns);
                    let found = problems(&screen, *columns, &vocabulary);
                    if !found.is_empty() {
                        let mut failures = failures.lock().expect("no runner panicked");
                        failures.push(format!(
                            "procdemo {} on {columns} columns:\n  {}",
                            args.join(" "),
                            found.join("\n  ")
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("no runner panicked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_check_finds_a_split_word_and_a_long_line() {
    let vocabulary = vocabulary();
    assert!(problems("  ask with\n  getppid()", 50, &vocabulary).is_empty());
    assert_eq!(
        problems("  ask with getp\n  pid()", 50, &vocabulary).len(),
        1
    );
    assert_eq!(
        problems("  │ x = getp\n  ┆   pid()", 50, &vocabulary).len(),
        1
    );
    assert_eq!(problems(&"x".repeat(51), 50, &vocabulary).len(), 1);
    assert_eq!(problems("  。下一行", 50, &vocabulary).len(), 1);
    let facts = "      wchan: futex_wait_queue\n      value: 0\n        aaa";
    assert_eq!(
        problems(facts, 50, &vocabulary),
        ["\"aaa\" is no word:       value: 0 / aaa"]
    );
}

#[test]
fn every_line_of_code_in_the_lesson_files_is_narrow() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut wide = Vec::new();
    for lang in ["en", "zh"] {
        for lesson in COURSE {
            let path = root.join(lang).join(format!("{}.md", lesson.id));
            let text = std::fs::read_to_string(&path).expect("a lesson file");
            let mut in_code = false;
            for (at, line) in text.lines().enumerate() {
                if line.starts_with("```") {
                    in_code = !in_code;
                } else if in_code && line.width() > CODE_WIDTH {
                    wide.push(format!(
                        "{}:{}: {} columns: {line}",
                        path.display(),
                        at + 1,
                        line.width()
                    ));
                }
            }
        }
    }
    assert!(
        wide.is_empty(),
        "code lines wider than {CODE_WIDTH} columns (a Chinese character takes two):\n{}",
        wide.join("\n")
    );
}

/// The line an interrupted lesson ends with goes to stderr; on a narrow
/// terminal it breaks between words, as the lesson's own text does.
#[test]
fn the_line_of_an_interrupted_lesson_breaks_between_words() {
    let size = Winsize {
        ws_row: 24,
        ws_col: 50,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("a pty");
    let mut command = procdemo(&[
        "exec", "--stream", "--pace", "1", "--color", "never", "--lang", "en",
    ]);
    command
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(File::from(pty.slave)));
    let mut child = command.spawn().expect("procdemo starts");
    drop(command);
    let stderr = read_all_on_thread(File::from(pty.master));
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    // The lesson's first line: its signal handlers are in place.
    stdout.read_line(&mut first).expect("a first line");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("SIGINT");
    let drained = read_all_on_thread(stdout.into_inner());
    let status = wait_with_deadline(&mut child, Instant::now() + DEADLINE, "exec");
    assert_eq!(status.code(), Some(130));
    drop(drained);
    let bytes = stderr.recv_timeout(DEADLINE).expect("stderr closed");
    let screen = String::from_utf8_lossy(&bytes).replace('\r', "");
    let lines: Vec<&str> = screen.lines().filter(|line| !line.is_empty()).collect();
    let end = lines.len().saturating_sub(2);
    let said = Regex::new(
        "^procdemo: lesson interrupted by SIGINT; [0-9]+ process(es)? reaped in all, nothing is left running\\.$",
    )
    .expect("a regex");
    // Two lines, each within the terminal, broken where a space was.
    assert!(said.is_match(&lines[end..].join(" ")), "{screen}");
    assert!(
        lines[end..].iter().all(|line| line.width() <= 50),
        "{screen}"
    );
}
