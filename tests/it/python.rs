//! The Python beside each step: every block not marked `fragment` is a
//! complete program that runs as it stands under python3 and prints what
//! its `<!-- prints: … -->` lines say; `procdemo <id> --python` gives them
//! as one file that runs them all.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use procdemo::lessons::COURSE;
use procdemo::model::Lang;
use regex::Regex;

use crate::common::{procdemo, run, wait_with_deadline};

/// A program of a lesson is small: longer than this is a hang.
const PROGRAM_DEADLINE: Duration = Duration::from_secs(20);

fn python3(program: &Path) -> (std::process::ExitStatus, String, String) {
    let mut child = Command::new("python3")
        .arg(program)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the test needs it on PATH)");
    let stdout = crate::common::read_text_on_thread(child.stdout.take().expect("stdout"));
    let stderr = crate::common::read_text_on_thread(child.stderr.take().expect("stderr"));
    let what = format!("python3 {}", program.display());
    let status = wait_with_deadline(&mut child, Instant::now() + PROGRAM_DEADLINE, &what);
    let out = stdout.recv().unwrap_or_default();
    let err = stderr.recv().unwrap_or_default();
    (status, out, err)
}

/// The programs' folder, removed however the test ends (a program that
/// hangs past its deadline panics).
struct Folder(std::path::PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
#[ignore = "runs every lesson's Python with python3: cargo test --test it python:: -- --ignored"]
fn every_python_program_runs_and_prints_what_its_text_says() {
    let folder =
        Folder(std::env::temp_dir().join(format!("procdemo-python-{}", std::process::id())));
    let folder = &folder.0;
    std::fs::create_dir_all(folder).expect("a folder for the programs");
    let mut problems = Vec::new();
    for lesson in COURSE {
        for lang in [Lang::En, Lang::Zh] {
            let text = lesson.text(lang).expect("the lesson text parses");
            for (at, (step, code)) in text.python_programs().into_iter().enumerate() {
                let name = format!("{}-{lang:?}-{at}-{step}", lesson.id);
                let path = folder.join(format!("{}.py", name.replace('-', "_")));
                std::fs::write(&path, code.lines.join("\n") + "\n").expect("writing a program");
                let (status, out, err) = python3(&path);
                if !status.success() {
                    problems.push(format!("{name}: {status}\n{err}"));
                    continue;
                }
                for pattern in &code.prints {
                    let regex = Regex::new(pattern)
                        .unwrap_or_else(|error| panic!("{name}: bad regex {pattern}: {error}"));
                    if !out.lines().any(|line| regex.is_match(line)) {
                        problems.push(format!("{name}: no line matches {pattern}\n{out}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
#[ignore = "runs every lesson's Python with python3: cargo test --test it python:: -- --ignored"]
fn the_python_file_of_a_lesson_runs_all_its_programs() {
    let output = run(procdemo(&["fork", "--python"]));
    assert!(output.status.success(), "{}", output.describe());
    let path = std::env::temp_dir().join(format!("procdemo-fork-{}.py", std::process::id()));
    std::fs::write(&path, &output.stdout).expect("writing the file");
    let (status, out, err) = python3(&path);
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "{err}");
    let programs = COURSE[0]
        .text(Lang::En)
        .expect("text")
        .python_programs()
        .len();
    assert_eq!(
        out.lines().filter(|line| line.starts_with("--- ")).count(),
        programs
    );
}
