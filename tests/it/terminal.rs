//! procdemo on a real terminal (a pty, driven with `rexpect`): `--step`
//! waits for Enter before each step and `q` ends the lesson cleanly;
//! `--quiz` asks again after a reply that is not a choice; a tour's
//! `--step` prompt takes `q`; `reset` asks first, and keeps the file on `n`.
//!
//! Every run keeps its progress in a state directory of its own, which also
//! lets the test find procdemo's pid in /proc (rexpect does not give it).

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, assert_no_leftovers, children_of, fresh_state_home, procdemo_on_terminal,
    progress_path, read_progress,
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
    /// Starts `procdemo <args>` on a fresh pty, its progress under `state`.
    fn start(state: &Path, args: &[&str]) -> Self {
        let command = procdemo_on_terminal(state, args);
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

/// Text read by rexpect (one `char` per byte) back to UTF-8.
fn decode(read: &str) -> String {
    let bytes: Vec<u8> = read.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The pid of the procdemo whose XDG_STATE_HOME is `state`: a child of this
/// test process (rexpect forks it) with that in its environment.
fn procdemo_pid(state: &Path) -> i32 {
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
        rest.contains("Lesson ended at your request; stopped and reaped 1 process."),
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
            "fork", "--quiz", "--pace", "0", "--lang", "en", "--color", "never",
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
    for right in ["3", "2"] {
        fork.expect("Your answer (1–3; q ends the lesson):");
        fork.type_line(right);
        fork.expect(&format!("✔ Right: {right})"));
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
    tour.expect("Tour · lesson 1 of 12");
    tour.expect("procdemo fork");
    tour.expect("Enter: start this lesson · q then Enter: end the tour");
    let pid = procdemo_pid(&state);
    tour.type_line("q");
    let (code, rest) = tour.finish();
    assert_eq!(code, 0, "after q:\n{rest}");
    assert!(
        rest.contains("Tour over: 0 of 12 lessons finished."),
        "{rest}"
    );
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
