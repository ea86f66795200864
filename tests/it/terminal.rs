//! procdemo on a real terminal (a pty, driven with `rexpect`): a lesson
//! waits for Enter before each step by default or with `--step`, and `q`
//! ends it cleanly; `--stream` runs through; a step taller than the screen
//! pages (space for more, q ends); prompts go to the terminal, never into a
//! redirected stdout; `--quiz` asks again after a reply that is not a
//! choice, and Ctrl-D ends the questions; a tour asks once per lesson, its
//! prompt takes `q`, and a tour quit early lists the lesson seen; `reset`
//! asks first, and keeps the file on `n`.
//!
//! Every run keeps its progress in a state directory of its own, which also
//! lets the test find procdemo's pid in /proc (rexpect does not give it).

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, assert_no_leftovers, children_of, fresh_state_home, procdemo_in,
    procdemo_on_terminal, progress_path, read_progress, run,
};
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;
use serde_json::json;

/// How long one expected text may take to appear.
const TIMEOUT_MS: u64 = 10_000;

/// procdemo on a terminal, and what it printed so far.
struct Terminal {
    session: PtySession,
    what: String,
    /// Everything read so far, decoded.
    seen: String,
}

impl Terminal {
    /// Starts `procdemo <args>` on a fresh pty, its progress under `state`,
    /// on a screen of 100 columns and so many rows that nothing pages.
    fn start(state: &Path, args: &[&str]) -> Self {
        Self::start_on(screen(state, args, 1000))
    }

    /// Starts `command` on a fresh pty (which it keeps as stdin, stdout and
    /// stderr unless `command` redirects them).
    fn start_on(command: Command) -> Self {
        let what = format!("{command:?}");
        let session = rexpect::session::spawn_command(command, Some(TIMEOUT_MS))
            .unwrap_or_else(|error| panic!("{what}: cannot start on a pty: {error}"));
        Self {
            session,
            what,
            seen: String::new(),
        }
    }

    /// Waits for `text` and returns what came before it (since the last
    /// expectation). rexpect reads bytes one by one and makes each a `char`,
    /// so the text is looked for in that form and decoded back.
    fn expect(&mut self, text: &str) -> String {
        let needle: String = text.bytes().map(char::from).collect();
        let before = self.session.exp_string(&needle).unwrap_or_else(|error| {
            panic!(
                "{}: `{text}` did not come: {}\nseen so far:\n{}",
                self.what,
                decode(&error.to_string()),
                self.seen
            )
        });
        let before = decode(&before);
        self.seen.push_str(&before);
        self.seen.push_str(text);
        before
    }

    /// Presses one key, without Enter.
    fn press(&mut self, key: &str) {
        self.session
            .send(key)
            .and_then(|_| self.session.flush())
            .unwrap_or_else(|error| panic!("{}: cannot press {key:?}: {error}", self.what));
    }

    /// Presses Ctrl-`key`.
    fn control(&mut self, key: char) {
        self.session
            .send_control(key)
            .unwrap_or_else(|error| panic!("{}: cannot press Ctrl-{key}: {error}", self.what));
    }

    /// Types `line` and Enter.
    fn type_line(&mut self, line: &str) {
        self.session
            .send_line(line)
            .unwrap_or_else(|error| panic!("{}: cannot type {line:?}: {error}", self.what));
    }

    /// Reads to the end of the output (every process holding the terminal
    /// is gone), then returns procdemo's exit code and everything after the
    /// last expectation.
    fn finish(mut self) -> (i32, String) {
        let rest = self.session.exp_eof().unwrap_or_else(|error| {
            panic!(
                "{}: the output did not end: {}\nseen so far:\n{}",
                self.what,
                decode(&error.to_string()),
                self.seen
            )
        });
        let rest = decode(&rest);
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.session.process().status() {
                Some(WaitStatus::StillAlive) => {}
                Some(WaitStatus::Exited(_, code)) => return (code, rest),
                other => panic!("{}: ended with {other:?}\n{}{rest}", self.what, self.seen),
            }
            assert!(
                Instant::now() < deadline,
                "{}: its output ended but it did not exit",
                self.what
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// `procdemo <args>` for a pty of 100 columns and `rows` rows (a pty that
/// rexpect opens has no size: COLUMNS and LINES give it one).
fn screen(state: &Path, args: &[&str], rows: usize) -> Command {
    let mut command = procdemo_on_terminal(state, args);
    command.env("COLUMNS", "100").env("LINES", rows.to_string());
    command
}

/// Text read by rexpect (one `char` per byte) back to UTF-8.
fn decode(read: &str) -> String {
    let bytes: Vec<u8> = read.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The pid of the procdemo whose XDG_STATE_HOME is `state`: a child of this
/// test process (rexpect forks it) with that in its environment.
pub fn procdemo_pid(state: &Path) -> i32 {
    let wanted = format!("XDG_STATE_HOME={}", state.display());
    let found: Vec<i32> = children_of(std::process::id() as i32)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|byte| *byte == 0)
                    .any(|entry| entry == wanted.as_bytes())
            })
        })
        .collect();
    assert_eq!(found.len(), 1, "procdemo with {wanted}: {found:?}");
    found[0]
}

const STEP_PROMPT: &str = "Enter: next step · q then Enter: end the lesson";

#[test]
fn step_waits_for_enter_before_each_step_and_q_ends_the_lesson() {
    let state = fresh_state_home("terminal-step");
    let mut fork = Terminal::start(
        &state,
        &[
            "fork", "--step", "--pace", "0", "--lang", "en", "--color", "never",
        ],
    );
    // Before each step its prompt, and the step only after Enter.
    for number in 1..=3 {
        let before = fork.expect(STEP_PROMPT);
        assert!(
            !before.contains(&format!("step {number} of 6")),
            "step {number} came before its Enter:\n{}",
            fork.seen
        );
        if number > 1 {
            let previous = format!("step {} of 6", number - 1);
            assert!(before.contains(&previous), "{}", fork.seen);
        }
        fork.type_line("");
    }
    let before = fork.expect(STEP_PROMPT);
    assert!(before.contains("step 3 of 6"), "{}", fork.seen);
    let pid = procdemo_pid(&state);
    let mut pids = children_of(pid);
    pids.push(pid);

    fork.type_line("q");
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(
        rest.contains(
            "Lesson ended at your request; 1 process reaped in all, nothing is left running."
        ),
        "{rest}"
    );
    assert!(!rest.contains("step 4 of 6"), "{rest}");
    assert_no_leftovers(&pids);
    assert_eq!(
        read_progress(&state),
        None,
        "a lesson ended with q is not finished"
    );
}

#[test]
fn quiz_on_a_terminal_asks_again_until_the_answer_is_a_choice() {
    let state = fresh_state_home("terminal-quiz");
    let mut fork = Terminal::start(
        &state,
        &[
            "fork", "--quiz", "--stream", "--pace", "0", "--lang", "en", "--color", "never",
        ],
    );
    fork.expect("What does fork() return in the child?");
    fork.expect("Your answer (1–4; q ends the lesson):");
    for not_a_choice in ["x", "7", ""] {
        fork.type_line(not_a_choice);
        fork.expect("Type the number of a choice, from 1 to 4, then Enter.");
        fork.expect("Your answer (1–4; q ends the lesson):");
    }
    fork.type_line("2");
    fork.expect("✔ Right: 2) 0");
    // The reveal before a step without a question stays until Enter.
    for right in ["3", "2"] {
        fork.expect("Your answer (1–3; q ends the lesson):");
        fork.type_line(right);
        fork.expect(&format!("✔ Right: {right})"));
        fork.expect(STEP_PROMPT);
        fork.type_line("");
    }
    fork.expect("Quiz in this lesson: 3 of 3 predictions right.");
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    let fork = &read_progress(&state).expect("a finished lesson is recorded")["lessons"]["fork"];
    assert_eq!(fork["quiz"], json!({"asked": 3, "right": 3}), "{fork}");
}

#[test]
fn q_at_the_first_prompt_of_a_tour_ends_it() {
    let state = fresh_state_home("terminal-tour");
    let mut tour = Terminal::start(
        &state,
        &[
            "tour", "--step", "--pace", "0", "--lang", "en", "--color", "never",
        ],
    );
    tour.expect(&format!(
        "Tour · lesson 1 of {}",
        procdemo::lessons::COURSE.len()
    ));
    tour.expect("procdemo fork");
    tour.expect("Enter: start this lesson · q then Enter: end the tour");
    let pid = procdemo_pid(&state);
    tour.type_line("q");
    let (code, rest) = tour.finish();
    assert_eq!(code, 0, "after q:\n{rest}");
    assert!(
        rest.contains(&format!(
            "Tour over: 0 of {} lessons finished.",
            procdemo::lessons::COURSE.len()
        )),
        "{rest}"
    );
    assert!(!rest.contains("What you saw"), "nothing was seen:\n{rest}");
    assert!(!rest.contains("step 1 of"), "no lesson may start:\n{rest}");
    assert_no_leftovers(&[pid]);
    assert_eq!(read_progress(&state), None);
}

#[test]
fn reset_on_a_terminal_asks_first() {
    let state = fresh_state_home("terminal-reset");
    let path = progress_path(&state);
    let recorded = json!({
        "version": 1,
        "lessons": {"fork": {"finished": 1, "first_finished": 1_700_000_000,
                             "last_finished": 1_700_000_000, "quiz": null, "best_quiz": null}},
    })
    .to_string();
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("creating procdemo/");
    std::fs::write(&path, &recorded).expect("writing progress.json");

    let mut reset = Terminal::start(&state, &["reset", "--lang", "en", "--color", "never"]);
    let before = reset.expect("[y/N]");
    assert!(before.contains(&path.display().to_string()), "{before}");
    reset.type_line("n");
    reset.expect("Progress kept.");
    let (code, rest) = reset.finish();
    assert_eq!(code, 0, "{rest}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("the file is kept"),
        recorded
    );

    let mut reset = Terminal::start(&state, &["reset", "--lang", "en", "--color", "never"]);
    reset.expect("[y/N]");
    reset.type_line("y");
    reset.expect("Progress forgotten");
    let (code, rest) = reset.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(!path.exists(), "y removes the file");
}

/// The default on a terminal: each step waits for Enter, and its text
/// comes only after it. The first step shares the screen with the lesson's
/// heading; each later one starts at the top of a new screen.
#[test]
fn a_lesson_on_a_terminal_waits_for_enter_by_default() {
    let state = fresh_state_home("terminal-default");
    let mut fork = Terminal::start(&state, &["fork", "--pace", "0", "--lang", "en"]);
    let before = fork.expect(STEP_PROMPT);
    assert!(before.contains("fork: one process becomes two"), "{before}");
    assert!(!before.contains("step 1 of 6"), "{}", fork.seen);
    fork.type_line("");
    let before = fork.expect(STEP_PROMPT);
    assert!(before.contains("step 1 of 6"), "{}", fork.seen);
    assert!(!before.contains("step 2 of 6"), "{}", fork.seen);
    // Nothing more comes while it waits.
    thread::sleep(Duration::from_millis(300));
    fork.type_line("");
    let before = fork.expect("step 2 of 6");
    // The screen's rows of new lines push the last step up into the
    // scrollback, then the cursor goes to the top (the pty adds \r).
    let before = before.replace('\r', "");
    let at = before
        .find("\x1b[H")
        .unwrap_or_else(|| panic!("no ESC[H before step 2"));
    assert!(
        before[..at].ends_with(&"\n".repeat(1000)),
        "step 2 starts at the top of the screen:\n{:?}",
        &before[at.saturating_sub(40)..]
    );
    fork.expect(STEP_PROMPT);
    fork.type_line("q");
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(!rest.contains("step 3 of 6"), "{rest}");
}

/// `--stream` on a terminal runs through without a prompt.
#[test]
fn stream_on_a_terminal_does_not_wait() {
    let state = fresh_state_home("terminal-stream");
    let mut fork = Terminal::start(&state, &["fork", "--stream", "--pace", "0", "--lang", "en"]);
    fork.expect("step 6 of 6");
    let seen = fork.seen.clone();
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(!seen.contains("Enter"), "{seen}");
    assert!(!rest.contains("Enter"), "{rest}");
}

const MORE: &str = "more: Enter or space · q: end the lesson";

/// A step taller than the screen stops at a "more" prompt; space (one key,
/// no Enter) shows the next screenful; q ends the lesson, and the terminal
/// is given back in line mode.
#[test]
fn a_tall_step_pages_and_q_ends_it() {
    let state = fresh_state_home("terminal-pages");
    let mut fork = Terminal::start_on(screen(
        &state,
        &["fork", "--pace", "0", "--lang", "en", "--color", "never"],
        12,
    ));
    fork.expect(STEP_PROMPT);
    fork.type_line("");
    let page = fork.expect(MORE);
    assert!(page.contains("step 1 of 6"), "{}", fork.seen);
    // From the top of the screen to the prompt's row, which the screen keeps free.
    let rows = page
        .rsplit("\x1b[H")
        .next()
        .unwrap_or(&page)
        .matches('\n')
        .count();
    assert!(
        rows <= 11,
        "a page of {rows} rows on a screen of 12:\n{page}"
    );
    fork.press(" ");
    let page = fork.expect(MORE);
    assert!(!page.contains("step 1 of 6"), "the next screenful:\n{page}");
    let pid = procdemo_pid(&state);
    let mut pids = children_of(pid);
    pids.push(pid);
    fork.press("q");
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("Lesson ended at your request"), "{rest}");
    assert_no_leftovers(&pids);
}

/// `--stream` runs through without a key: a step taller than the screen
/// stays for its reading time (none at pace 0) instead of asking for more.
#[test]
fn a_tall_step_with_stream_runs_through_without_a_key() {
    let state = fresh_state_home("terminal-stream-pages");
    let fork = Terminal::start_on(screen(
        &state,
        &[
            "fork", "--stream", "--pace", "0", "--lang", "en", "--color", "never",
        ],
        12,
    ));
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("step 6 of 6"), "{rest}");
    assert!(!rest.contains("more:"), "{rest}");
}

/// stdout redirected, stdin and stderr the terminal (`procdemo fork --step >
/// log`): the prompts are on the terminal, the log holds the lesson alone.
#[test]
fn prompts_go_to_the_terminal_not_to_a_redirected_stdout() {
    let state = fresh_state_home("terminal-tee");
    let log = state.join("log");
    let mut command =
        procdemo_on_terminal(&state, &["fork", "--step", "--pace", "0", "--lang", "en"]);
    command.stdout(std::fs::File::create(&log).expect("creating the log"));
    let mut fork = Terminal::start_on(command);
    for _ in 1..=6 {
        fork.expect(STEP_PROMPT);
        fork.type_line("");
    }
    let seen = fork.seen.clone();
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    let log = std::fs::read_to_string(&log).expect("reading the log");
    assert!(log.contains("step 6 of 6"), "{log}");
    assert!(!log.contains("Enter"), "a prompt in the log:\n{log}");
    assert!(
        !seen.contains("step 1 of 6"),
        "the lesson on the terminal:\n{seen}"
    );
}

/// stdout redirected, stdin the terminal, no flag: nobody reads it on a
/// screen, so the lesson runs through as in a pipe.
#[test]
fn a_redirected_stdout_runs_through_by_default() {
    let state = fresh_state_home("terminal-redirected");
    let log = state.join("log");
    let mut command = procdemo_on_terminal(&state, &["fork", "--pace", "0", "--lang", "en"]);
    command.stdout(std::fs::File::create(&log).expect("creating the log"));
    let fork = Terminal::start_on(command);
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(!rest.contains("Enter"), "a prompt:\n{rest}");
    let log = std::fs::read_to_string(&log).expect("reading the log");
    assert!(log.contains("step 6 of 6"), "{log}");
}

/// `procdemo pool --tasks 30 > file` with the progress bar on the terminal:
/// the file keeps every step of the lesson, as a run without a terminal does.
#[test]
fn a_redirected_stdout_keeps_every_step_while_the_bar_shows() {
    const ARGS: [&str; 9] = [
        "pool", "--tasks", "30", "--pace", "0", "--lang", "en", "--color", "never",
    ];
    let counters = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|line| Some(line[line.find("step ")?..].to_string()))
            .filter(|counter| counter.contains(" of "))
            .collect()
    };
    let state = fresh_state_home("terminal-pool");
    let out = state.join("out.txt");
    let mut command = procdemo_on_terminal(&state, &ARGS);
    command.stdout(std::fs::File::create(&out).expect("creating out.txt"));
    let pool = Terminal::start_on(command);
    let (code, rest) = pool.finish();
    assert_eq!(code, 0, "{rest}");
    let out = std::fs::read_to_string(&out).expect("reading out.txt");
    let piped = run(procdemo_in(&state, &ARGS));
    assert_eq!(piped.status.code(), Some(0), "{}", piped.describe());
    assert!(counters(&piped.stdout).len() > 1, "{}", piped.stdout);
    assert_eq!(counters(&out), counters(&piped.stdout), "{out}");
    assert!(
        out.contains("nothing of this lesson is left running"),
        "{out}"
    );
}

/// Ctrl-D at a question ends the questions for this run; the lesson goes on.
#[test]
fn ctrl_d_at_a_question_ends_the_questions() {
    let state = fresh_state_home("terminal-ctrl-d");
    let mut fork = Terminal::start(
        &state,
        &[
            "fork", "--quiz", "--stream", "--pace", "0", "--lang", "en", "--color", "never",
        ],
    );
    fork.expect("Your answer (1–4; q ends the lesson):");
    fork.control('d');
    fork.expect("no more questions in this run");
    // The reveal stays until Enter; then the lesson runs to its end.
    fork.expect("– No answer given; the answer is 2)");
    fork.expect(STEP_PROMPT);
    fork.type_line("");
    fork.expect("step 6 of 6");
    let seen = fork.seen.clone();
    let (code, rest) = fork.finish();
    assert_eq!(code, 0, "{rest}");
    let everything = format!("{seen}{rest}");
    assert_eq!(everything.matches("Your answer").count(), 1, "{everything}");
    assert!(
        everything.contains("Quiz in this lesson: 0 of 1 prediction right."),
        "{everything}"
    );
}

/// A tour asks once before each lesson (its first step comes without a
/// second prompt); quit in the middle of a lesson, it lists that lesson as
/// seen but not finished.
#[test]
fn a_tour_asks_once_per_lesson_and_lists_a_lesson_quit_early() {
    let state = fresh_state_home("terminal-tour-once");
    let mut tour = Terminal::start(
        &state,
        &["tour", "--pace", "0", "--lang", "en", "--color", "never"],
    );
    tour.expect("Enter: start this lesson · q then Enter: end the tour");
    tour.type_line("");
    let before = tour.expect(STEP_PROMPT);
    assert!(
        before.contains("step 1 of 6"),
        "one prompt only:\n{}",
        tour.seen
    );
    tour.type_line("q");
    let (code, rest) = tour.finish();
    assert_eq!(code, 0, "{rest}");
    assert!(
        rest.contains(&format!(
            "Tour over: 0 of {} lessons finished.",
            procdemo::lessons::COURSE.len()
        )),
        "{rest}"
    );
    let seen = rest
        .split("What you saw:")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of what was seen:\n{rest}"));
    let seen: Vec<&str> = seen.split_whitespace().collect();
    assert_eq!(seen.first(), Some(&"fork"), "{rest}");
    assert!(seen.join(" ").contains("(not finished)"), "{rest}");
}

/// Running through on a terminal, a step stays as long as its text takes
/// to read (about 30 s for the first step of fork at pace 1): at pace 0.02,
/// over 0.3 s, where the beat of a pipe would be 7 ms.
#[test]
fn running_through_on_a_terminal_gives_a_step_its_reading_time() {
    let state = fresh_state_home("terminal-reading");
    let mut fork = Terminal::start(
        &state,
        &[
            "fork", "--stream", "--pace", "0.02", "--lang", "en", "--color", "never",
        ],
    );
    fork.expect("step 1 of 6");
    let shown = Instant::now();
    fork.expect("step 2 of 6");
    let stayed = shown.elapsed();
    assert!(
        stayed >= Duration::from_millis(300),
        "step 1 stayed {stayed:?}"
    );
    // The rest would take seconds more: Ctrl-C ends it, cleanly.
    fork.control('c');
    let (code, rest) = fork.finish();
    assert_eq!(code, 130, "{rest}");
    assert!(rest.contains("nothing is left running"), "{rest}");
}
