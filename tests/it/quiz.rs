//! `--quiz`: the questions each lesson asks (the same in English and in
//! Chinese), the answers read from stdin in `--json` mode and for people,
//! the reveals filled with this run's facts, the score in `done`, and the
//! ways to stop at a question: `q`, and Ctrl-C while procdemo waits.
//!
//! Answers are piped up front, one line per question: the questions come
//! in the order the steps are reached, which for a lesson's default run is
//! the order of its text, and so the order of `list --json`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::thread;

use crate::common::{
    self, Live, Output, answered, assert_no_leftovers, assert_no_queue_left, assert_well_formed,
    children_of, events_of, fact, fresh_state_home, interrupted_line, listed_lessons, only,
    only_report, pid, pids_seen, ppid, procdemo_in, read_lesson_file, read_progress, report,
    right_answers, role, run, run_with_input, step, whole_number,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::model::{Done, Ended, Score};
use serde_json::{Value, json};

/// The steps a quiz event can have.
const QUIZ_STEPS: &[&str] = &["quiz-question", "quiz-answer", "quiz-reveal"];

/// One quiz of `list --json`, as a comparable tuple: (step, choices, right
/// answer, placeholders as a set).
type QuizShape = (String, u64, u64, BTreeSet<String>);

fn quiz_shapes(lesson: &Value) -> Vec<QuizShape> {
    lesson["quizzes"]
        .as_array()
        .unwrap_or_else(|| panic!("`quizzes` must be a list: {lesson}"))
        .iter()
        .map(|quiz| {
            let text = |key: &str| {
                quiz[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("`{key}` must be text: {quiz}"))
                    .to_string()
            };
            let number = |key: &str| whole_number(quiz, key);
            assert!(
                !text("question").trim().is_empty(),
                "a quiz without a question: {quiz}"
            );
            let placeholders = quiz["placeholders"]
                .as_array()
                .unwrap_or_else(|| panic!("`placeholders` must be a list: {quiz}"))
                .iter()
                .map(|name| {
                    name.as_str()
                        .unwrap_or_else(|| panic!("a placeholder that is not text: {quiz}"))
                        .to_string()
                })
                .collect();
            (
                text("step"),
                number("choices"),
                number("right_answer"),
                placeholders,
            )
        })
        .collect()
}

fn lesson_id(lesson: &Value) -> &str {
    lesson["lesson"]
        .as_str()
        .unwrap_or_else(|| panic!("a listed lesson without an id: {lesson}"))
}

#[test]
fn every_lesson_has_the_same_quizzes_in_both_languages() {
    let english = listed_lessons("en");
    let chinese = listed_lessons("zh");
    let ids = |lessons: &[Value]| -> Vec<String> {
        lessons
            .iter()
            .map(|lesson| lesson_id(lesson).to_string())
            .collect()
    };
    assert_eq!(ids(&english), ids(&chinese), "the same lessons in order");
    assert_eq!(
        english.len(),
        procdemo::lessons::COURSE.len(),
        "every lesson of the course is listed"
    );
    for (en, zh) in english.iter().zip(&chinese) {
        let id = lesson_id(en);
        let (en_quizzes, zh_quizzes) = (quiz_shapes(en), quiz_shapes(zh));
        assert!(
            en_quizzes.len() >= 2,
            "`{id}` needs at least 2 quizzes in English: {en_quizzes:?}"
        );
        assert!(
            zh_quizzes.len() >= 2,
            "`{id}` needs at least 2 quizzes in Chinese: {zh_quizzes:?}"
        );
        assert_eq!(
            en_quizzes, zh_quizzes,
            "`{id}`: the English and Chinese quizzes must be at the same steps, with the same \
             number of choices, right answer and placeholders"
        );
        // The Chinese questions really are in Chinese.
        for quiz in zh["quizzes"].as_array().into_iter().flatten() {
            let question = quiz["question"].as_str().unwrap_or_default();
            assert!(
                common::has_chinese(question),
                "`{id}`: a Chinese quiz asked in another language: {quiz}"
            );
        }
    }
}

#[test]
fn every_quiz_is_at_a_step_of_its_lesson_in_text_order_with_a_right_answer_among_its_choices() {
    for lang in ["en", "zh"] {
        for lesson in listed_lessons(lang) {
            let id = lesson_id(&lesson);
            let steps = read_lesson_file(lang, id).steps;
            let mut last_position = None;
            for (quiz_step, choices, right, _) in quiz_shapes(&lesson) {
                let position = steps
                    .iter()
                    .position(|known| *known == quiz_step)
                    .unwrap_or_else(|| {
                        panic!("{lang} `{id}`: quiz at `{quiz_step}`, not a step of {steps:?}")
                    });
                assert!(
                    last_position < Some(position),
                    "{lang} `{id}`: quizzes must be listed in text order, one per step ({quiz_step})"
                );
                last_position = Some(position);
                assert!(
                    choices >= 2,
                    "{lang} `{id}` `{quiz_step}`: {choices} choice(s)"
                );
                assert!(
                    (1..=choices).contains(&right),
                    "{lang} `{id}` `{quiz_step}`: right answer {right} of {choices} choices"
                );
            }
        }
    }
}

/// The input that answers `answers` in order, one line each.
fn lines_of(answers: &[u64]) -> String {
    answers.iter().map(|answer| format!("{answer}\n")).collect()
}

/// `procdemo <lesson> --quiz --json --pace 0 --lang <lang>` with `input` on
/// stdin and its progress under `state`: a state directory of the test's
/// own, since full marks in every lesson change what other tests' welcome
/// says next.
fn quiz_run(state: &Path, lesson: &str, lang: &str, input: &str) -> Output {
    run_with_input(
        procdemo_in(
            state,
            &[lesson, "--quiz", "--json", "--pace", "0", "--lang", lang],
        ),
        input,
    )
}

/// The JSON contract on every event of a quiz run except the order of
/// `t_us` (see `quiz_events_never_go_back_in_time_within_procdemo`), and
/// that every quiz event comes from procdemo itself.
fn assert_well_formed_quiz_run(events: &[Value], lesson: &str, output: &Output) {
    let (quiz_events, others): (Vec<Value>, Vec<Value>) = events
        .iter()
        .cloned()
        .partition(|event| QUIZ_STEPS.contains(&step(event)));
    assert_well_formed(&others, lesson, output.pid);
    for event in &quiz_events {
        for key in ["t_us", "lesson", "pid", "ppid", "role", "step", "facts"] {
            assert!(event.get(key).is_some(), "event without `{key}`: {event}");
        }
        assert_eq!(event["lesson"], lesson, "{event}");
        assert!(event["t_us"].is_u64(), "{event}");
        assert_eq!(role(event), "parent", "{event}");
        assert_eq!(pid(event), output.pid, "{event}");
        assert_eq!(ppid(event), std::process::id() as i32, "{event}");
        assert!(event["facts"].is_object(), "{event}");
    }
}

/// The first event of the lesson's own step `name` (not a quiz event).
fn first_of_step(events: &[Value], name: &str) -> usize {
    events
        .iter()
        .position(|event| step(event) == name)
        .unwrap_or_else(|| panic!("no `{name}` event: {events:#?}"))
}

/// The only quiz event of `kind` about the quiz at `quiz_step`, and where it is.
fn quiz_event<'a>(events: &'a [Value], kind: &str, quiz_step: &str) -> (usize, &'a Value) {
    let found: Vec<(usize, &Value)> = events
        .iter()
        .enumerate()
        .filter(|(_, event)| step(event) == kind && fact(event, "quiz") == quiz_step)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one `{kind}` about `{quiz_step}`, got {found:?}"
    );
    found[0]
}

/// Checks a finished quiz run of `lesson` whose listed quizzes are `quizzes`
/// and to which `given` was piped (one entry per quiz; `None` once stdin
/// has run dry): each question before its step with the listed question and
/// choices, an answer with what was given, a reveal once the step has been
/// shown with every placeholder filled, and the score in `done`.
/// Returns the events.
fn check_quiz_run(
    output: &Output,
    lesson: &str,
    listed: &Value,
    given: &[Option<&str>],
) -> Vec<Value> {
    let shown = output.describe();
    assert_eq!(output.status.code(), Some(0), "{lesson}: {shown}");
    let events = output.events();
    assert_well_formed_quiz_run(&events, lesson, output);
    assert_eq!(
        events.last().map(step),
        Some("done"),
        "{lesson}: the last line must be `done`: {shown}"
    );
    let quizzes = listed["quizzes"]
        .as_array()
        .unwrap_or_else(|| panic!("`quizzes` must be a list: {listed}"));
    assert_eq!(
        quizzes.len(),
        given.len(),
        "one answer per quiz of {lesson}"
    );

    let asked: Vec<&str> = events_of(&events, "quiz-question")
        .into_iter()
        .map(|event| fact(event, "quiz").as_str().unwrap_or_default())
        .collect();
    let listed_steps: Vec<&str> = quizzes
        .iter()
        .map(|quiz| quiz["step"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        asked, listed_steps,
        "{lesson}: every quiz asked once, in text order"
    );

    let mut right = 0;
    for (quiz, typed) in quizzes.iter().zip(given) {
        let quiz_step = quiz["step"].as_str().unwrap_or_default();
        let right_answer = quiz["right_answer"].as_u64().unwrap_or_default();
        let step_starts = first_of_step(&events, quiz_step);

        let (at, question) = quiz_event(&events, "quiz-question", quiz_step);
        assert!(
            at < step_starts,
            "{lesson}: the question must come before the step it asks about: {question}"
        );
        assert_eq!(fact(question, "question"), &quiz["question"], "{question}");
        let choices = fact(question, "choices")
            .as_array()
            .unwrap_or_else(|| panic!("`choices` must be a list: {question}"));
        assert_eq!(Some(choices.len() as u64), quiz["choices"].as_u64());
        assert!(
            choices
                .iter()
                .all(|choice| choice.as_str().is_some_and(|text| !text.trim().is_empty())),
            "{question}"
        );

        let (answer_at, answer) = quiz_event(&events, "quiz-answer", quiz_step);
        assert_eq!(answer_at, at + 1, "the answer follows its question");
        let expected_answer = typed
            .and_then(|text| text.parse::<u64>().ok())
            .filter(|number| (1..=choices.len() as u64).contains(number));
        let correct = expected_answer == Some(right_answer);
        assert_eq!(
            answer["facts"],
            json!({
                "quiz": quiz_step,
                "answer": expected_answer,
                "given": typed,
                "right_answer": right_answer,
                "correct": correct,
            }),
            "{lesson}: {answer}"
        );
        right += usize::from(correct);

        let (reveal_at, reveal) = quiz_event(&events, "quiz-reveal", quiz_step);
        assert!(
            reveal_at > step_starts,
            "{lesson}: the reveal must come once the step has been shown: {reveal}"
        );
        assert_eq!(fact(reveal, "right_answer").as_u64(), Some(right_answer));
        assert_eq!(fact(reveal, "correct"), &json!(correct), "{reveal}");
        let explanation = fact(reveal, "explanation")
            .as_str()
            .unwrap_or_else(|| panic!("the explanation must be text: {reveal}"));
        assert!(
            !explanation.trim().is_empty(),
            "an empty explanation: {reveal}"
        );
        assert!(
            !explanation.contains('{') && !explanation.contains('}'),
            "{lesson}: a placeholder was left in the explanation: {reveal}"
        );
        assert!(
            !explanation.contains('?'),
            "{lesson}: a fact of the step never arrived (shown as `?`): {reveal}"
        );
    }

    let done = only(&events, "done");
    assert_eq!(
        report::<Done>(done).quiz,
        Some(Score {
            asked: given.len(),
            right
        }),
        "{lesson}: {done}"
    );
    assert_no_leftovers(&pids_seen(&events));
    assert_no_queue_left(output.pid);
    events
}

/// Every lesson of the course in both languages with the right answers: full
/// marks. Each lesson runs on a thread of its own (both languages one after
/// the other), so the whole takes about as long as the slowest lesson.
#[test]
fn right_answers_score_full_marks_in_every_lesson_and_language() {
    let english = listed_lessons("en");
    let chinese = listed_lessons("zh");
    let runs: Vec<_> = english
        .into_iter()
        .zip(chinese)
        .map(|(en, zh)| {
            thread::spawn(move || {
                for (lang, listed) in [("en", en), ("zh", zh)] {
                    let id = lesson_id(&listed).to_string();
                    let (_, answers) = right_answers(std::slice::from_ref(&listed))
                        .pop()
                        .expect("one lesson");
                    assert!(answers.len() >= 2, "{lang} `{id}` has {answers:?}");
                    let typed: Vec<String> =
                        answers.iter().map(|answer| answer.to_string()).collect();
                    let given: Vec<Option<&str>> =
                        typed.iter().map(|text| Some(text.as_str())).collect();
                    let state = fresh_state_home(&format!("quiz-right-{id}-{lang}"));
                    let output = quiz_run(&state, &id, lang, &lines_of(&answers));
                    check_quiz_run(&output, &id, &listed, &given);
                }
            })
        })
        .collect();
    for run in runs {
        if let Err(panic) = run.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

/// The listed lesson `id` in English.
fn listed(id: &str) -> Value {
    listed_lessons("en")
        .into_iter()
        .find(|lesson| lesson_id(lesson) == id)
        .unwrap_or_else(|| panic!("`{id}` is not listed"))
}

#[test]
fn wrong_answers_score_nothing_and_keep_what_was_given() {
    let fork = listed("fork");
    let (_, answers) = right_answers(std::slice::from_ref(&fork))
        .pop()
        .expect("fork");
    let choices: Vec<u64> = fork["quizzes"]
        .as_array()
        .expect("quizzes")
        .iter()
        .map(|quiz| quiz["choices"].as_u64().expect("choices"))
        .collect();
    // The choice after the right one, going round.
    let wrong: Vec<u64> = answers
        .iter()
        .zip(&choices)
        .map(|(right, choices)| right % choices + 1)
        .collect();
    let typed: Vec<String> = wrong.iter().map(u64::to_string).collect();
    let given: Vec<Option<&str>> = typed.iter().map(|text| Some(text.as_str())).collect();
    let state = fresh_state_home("quiz-wrong");
    let output = quiz_run(&state, "fork", "en", &lines_of(&wrong));
    let events = check_quiz_run(&output, "fork", &fork, &given);
    assert_eq!(
        only_report::<Done>(&events).quiz,
        Some(Score { asked: 3, right: 0 })
    );
}

/// From a pipe, a line that is not a choice is not asked again: it counts
/// as given, and wrong. Once stdin is closed, the questions left get no
/// answer at all (`given` null).
#[test]
fn an_answer_that_is_not_a_choice_counts_as_given_and_a_closed_stdin_as_none() {
    let fork = listed("fork");
    // "x" is not a number, " 9 " (trimmed to "9") is not among the choices,
    // and the third question finds stdin closed.
    let state = fresh_state_home("quiz-not-a-choice");
    let output = quiz_run(&state, "fork", "en", "x\n 9 \n");
    let events = check_quiz_run(&output, "fork", &fork, &[Some("x"), Some("9"), None]);
    assert_eq!(
        only_report::<Done>(&events).quiz,
        Some(Score { asked: 3, right: 0 })
    );

    // stdin closed from the start: every question is asked, none answered.
    let output = run(procdemo_in(
        &state,
        &["fork", "--quiz", "--json", "--pace", "0", "--lang", "en"],
    ));
    check_quiz_run(&output, "fork", &fork, &[None, None, None]);
}

/// The order of `t_us` within one process is part of the JSON contract
/// (docs/events.md: "Within one process, `t_us` never decreases"), and the
/// quiz events are procdemo's own.
#[test]
fn quiz_events_never_go_back_in_time_within_procdemo() {
    let state = fresh_state_home("quiz-t-us");
    let output = quiz_run(&state, "fork", "en", "2\n3\n2\n");
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let events = output.events();
    let mine: Vec<&Value> = events
        .iter()
        .filter(|event| pid(event) == output.pid)
        .collect();
    let back: Vec<String> = mine
        .windows(2)
        .filter(|pair| pair[1]["t_us"].as_u64() < pair[0]["t_us"].as_u64())
        .map(|pair| {
            format!(
                "`{}` at {} after `{}` at {}",
                step(pair[1]),
                pair[1]["t_us"],
                step(pair[0]),
                pair[0]["t_us"]
            )
        })
        .collect();
    assert!(
        back.is_empty(),
        "t_us goes back within procdemo's own events:\n{}",
        back.join("\n")
    );
    assert_well_formed(&events, "fork", output.pid);
}

/// Without `--quiz` nothing is asked, even with answers waiting on stdin.
#[test]
fn without_quiz_nothing_is_asked() {
    let state = fresh_state_home("quiz-off");
    let output = run_with_input(
        procdemo_in(&state, &["fork", "--json", "--pace", "0", "--lang", "en"]),
        "2\n3\n2\n",
    );
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    let events = output.events();
    assert_well_formed(&events, "fork", output.pid);
    for kind in QUIZ_STEPS {
        assert!(events_of(&events, kind).is_empty(), "{kind}");
    }
    // No `quiz` key at all: `Done` reads an absent and a null `quiz` alike.
    let done = only(&events, "done");
    assert!(done["facts"].get("quiz").is_none(), "{done}");
}

/// `q` as an answer ends the lesson like `q` at a `--step` prompt: exit 0,
/// `ended` with reason `quit`, everything reaped, and the lesson is not
/// recorded as finished.
#[test]
fn q_as_an_answer_ends_the_lesson_and_records_nothing() {
    let state = fresh_state_home("quiz-q");
    let output = answered(&state, &["fork"], "2\nq\n3\n");
    let shown = output.describe();
    assert_eq!(output.status.code(), Some(0), "{shown}");
    let events = output.events();
    assert_well_formed_quiz_run(&events, "fork", &output);
    // The first question was answered; the second was asked and ended it.
    assert_eq!(events_of(&events, "quiz-question").len(), 2, "{shown}");
    let answers = events_of(&events, "quiz-answer");
    assert_eq!(answers.len(), 1, "{shown}");
    assert_eq!(fact(answers[0], "given"), "2");
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{shown}");
    assert_eq!(pid(ended), output.pid);
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, "quit", "{ended}");
    assert_eq!(facts.processes_reaped, facts.processes_started, "{ended}");
    assert!(events_of(&events, "done").is_empty(), "{shown}");
    assert!(
        output.stderr.contains("Lesson ended at your request; "),
        "{shown}"
    );
    assert_eq!(read_progress(&state), None, "a quit lesson is not finished");
    assert_no_leftovers(&pids_seen(&events));
    assert_no_queue_left(output.pid);
}

/// Ctrl-C while procdemo waits for an answer (stdin a pipe that stays open
/// and empty): the lesson ends at once, as on any other wait.
#[test]
fn sigint_while_waiting_for_an_answer_ends_the_lesson_cleanly() {
    let state = fresh_state_home("quiz-sigint");
    let mut command = procdemo_in(
        &state,
        &["fork", "--quiz", "--json", "--pace", "0", "--lang", "en"],
    );
    command.stdin(Stdio::piped());
    // The write end of stdin stays in `live.child` until the end: procdemo
    // sees neither an answer nor the end of its input.
    let mut live = Live::spawn_command(command);
    let question = live.read_until("quiz-question");
    assert_eq!(fact(&question, "quiz"), "after-fork", "{question}");
    let procdemo_pid = live.pid();
    // The child is forked before the question about it is asked.
    let running = children_of(procdemo_pid);
    kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("kill -INT procdemo");

    // Every stdout line must be an event: `finish` fails on anything else.
    let (status, events, stderr) = live.finish();
    let shown = format!("status {status:?}\nevents: {events:#?}\nstderr: {stderr}");
    assert_eq!(status.code(), Some(130), "{shown}");
    let ended = events.last().expect("events");
    assert_eq!(step(ended), "ended", "{shown}");
    assert_eq!(pid(ended), procdemo_pid);
    let facts: Ended = report(ended);
    assert_eq!(facts.reason, "SIGINT", "{ended}");
    assert_eq!(facts.processes_reaped, facts.processes_started, "{ended}");
    assert!(events_of(&events, "done").is_empty(), "{shown}");
    assert!(events_of(&events, "quiz-answer").is_empty(), "{shown}");
    interrupted_line(&stderr, "SIGINT");
    assert_eq!(
        read_progress(&state),
        None,
        "an interrupted lesson is not finished"
    );
    let mut pids = pids_seen(&events);
    pids.extend(running);
    assert_no_leftovers(&pids);
    assert_no_queue_left(procdemo_pid);
}

/// For people, with the answers piped: the question, the prompt and the
/// answer the pipe gave on stderr (the conversation), the lesson with a
/// verdict of each kind and the score on stdout.
#[test]
fn human_output_with_piped_answers_shows_each_verdict() {
    let state = fresh_state_home("quiz-human");
    let human = |lesson: &str, input: &str| {
        let output = run_with_input(
            procdemo_in(
                &state,
                &[
                    lesson, "--quiz", "--pace", "0", "--lang", "en", "--color", "never",
                ],
            ),
            input,
        );
        assert_eq!(output.status.code(), Some(0), "{}", output.describe());
        output
    };
    let in_order = |stream: &str, texts: &[&str]| {
        let mut from = 0;
        for text in texts {
            let at = stream[from..]
                .find(text)
                .unwrap_or_else(|| panic!("`{text}` missing or out of order in:\n{stream}"));
            from += at + text.len();
        }
    };
    // fork: right, wrong, not a choice.
    let output = human("fork", "2\n1\nx\n");
    in_order(
        &output.stderr,
        &[
            "Predict first: what will happen?",
            "What does fork() return in the child?",
            "1)  The parent's pid",
            "2)  0",
            "Your answer (1–4; q ends the lesson): 2",
            "Right after fork(), which process runs first?",
            "Your answer (1–3; q ends the lesson): 1",
            "Your answer (1–3; q ends the lesson): x",
        ],
    );
    in_order(
        &output.stdout,
        &[
            "fork() returns twice  step 2 of 6",
            "✔ Right: 2) 0",
            "✘ You said 1) Always the parent; the answer is 3) Whichever the scheduler",
            "✘ “x” is not one of the choices; the answer is 2)",
            "Quiz in this lesson: 1 of 3 predictions right.",
        ],
    );
    assert!(
        !output.stdout.contains("Your answer") && !output.stdout.contains("Predict first"),
        "the conversation is not part of the lesson:\n{}",
        output.stdout
    );
    assert!(
        !output.stdout.contains('{'),
        "a placeholder left:\n{}",
        output.stdout
    );

    // pids with stdin closed: no answer at all.
    let output = human("pids", "");
    let stdout = &output.stdout;
    assert!(
        output.stderr.contains("(no answer: stdin is closed)"),
        "{}",
        output.stderr
    );
    assert_eq!(
        stdout
            .matches("– No answer given; the answer is 2)")
            .count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("Quiz in this lesson: 0 of 2 predictions right."),
        "{stdout}"
    );
}
