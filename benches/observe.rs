//! What observing costs: `procdemo observe` against the same command
//! unobserved, in wall time, on the same machine in one run. The commands:
//! `python3 -c pass` (the issue's target: at most 2×), and a program that
//! forks 1 000 children one after another, each exiting at once and waited
//! for before the next (target: at most 5×), written in python3
//! (`os.fork`, `os._exit`, `os.waitpid`) and in C (compiled with `cc -O2`
//! into a temporary directory; skipped without a compiler).
//!
//! "python3" is the interpreter itself (`sys.executable`). Where the
//! `python3` found on PATH is another file (pyenv's shim is a bash script
//! that runs about forty processes before the interpreter), `python3 -c pass`
//! through it is measured too, in a row of its own: observing it means
//! observing the wrapper's processes as well.
//!
//! Each round runs the command unobserved, observed with the narration for
//! people and observed with `--json`, in turns, so that a busy moment of the
//! machine falls on all three alike; the narration goes to a file
//! (`--output`), the program's stdout and stderr to /dev/null on every side.
//! Prints min and median of the rounds, the ratios observed ÷ unobserved
//! (of the mins, of the medians), and whether each is within the target;
//! the load average before and after, as the machine may be shared. The
//! processes counted by the last `--json` run's `observe-end` are printed
//! beside, so a run that saw fewer than it should does not pass unnoticed.
//! Asserts nothing.
//!
//!     cargo bench --bench observe

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const ROUNDS: usize = 7;
const CHILDREN: usize = 1000;

const PYTHON_FORKS: &str = r#"
import os, sys
for _ in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
"#;

const C_FORKS: &str = r#"#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int children = argc > 1 ? atoi(argv[1]) : 1000;
    for (int i = 0; i < children; i++) {
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) _exit(0);
        if (waitpid(pid, NULL, 0) != pid) return 1;
    }
    return 0;
}
"#;

/// How procdemo narrates in a round.
#[derive(Clone, Copy)]
enum Narration {
    Unobserved,
    Text,
    Json,
}

struct Workload {
    label: &'static str,
    command: Vec<String>,
    target: f64,
    /// Processes `observe-end` should count: the first one and its
    /// children; 0 when it depends on a wrapper's script.
    processes: u64,
}

/// Wall time of one run, or None when it did not exit 0.
fn run_once(command: &[String], narration: Narration, output: &Path) -> Option<Duration> {
    let mut process = match narration {
        Narration::Unobserved => Command::new(&command[0]),
        Narration::Text | Narration::Json => {
            let mut observe = Command::new(env!("CARGO_BIN_EXE_procdemo"));
            observe.args(["observe", "--color", "never", "--lang", "en", "--output"]);
            observe.arg(output);
            if let Narration::Json = narration {
                observe.arg("--json");
            }
            observe.arg("--").arg(&command[0]);
            observe
        }
    };
    process
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let status = process.status().ok()?;
    let elapsed = start.elapsed();
    status.success().then_some(elapsed)
}

/// `processes` of the last line of a `--json` narration.
fn processes_seen(output: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(output).ok()?;
    let end: Value = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|event| event["step"] == "observe-end")?;
    end["facts"]["processes"].as_u64()
}

fn min_median(times: &mut [Duration]) -> Option<(f64, f64)> {
    times.sort();
    let min = times.first()?.as_secs_f64();
    Some((min, times[times.len() / 2].as_secs_f64()))
}

fn compile(dir: &Path) -> Option<PathBuf> {
    let source = dir.join("forks.c");
    let binary = dir.join("forks");
    std::fs::write(&source, C_FORKS).ok()?;
    let status = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&binary)
        .arg(&source)
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then_some(binary)
}

/// The file python3 runs as: `sys.executable`, as python3 reports it.
fn interpreter() -> Option<String> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    let path = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !path.is_empty()).then_some(path)
}

/// The `python3` a shell finds on PATH, when it is not the interpreter
/// itself (a wrapper such as pyenv's shim).
fn wrapper(interpreter: &str) -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("python3"))
        .find(|path| path.is_file())?;
    let same = std::fs::canonicalize(&found).ok()? == std::fs::canonicalize(interpreter).ok()?;
    (!same).then_some(found)
}

fn workloads(dir: &Path) -> Vec<Workload> {
    let children = CHILDREN.to_string();
    let Some(python) = interpreter() else {
        println!("python3 did not run here: the python3 rows are skipped");
        return compiled(dir).into_iter().collect();
    };
    let mut list = vec![Workload {
        label: "python3 -c pass",
        command: vec![python.clone(), "-c".to_string(), "pass".to_string()],
        target: 2.0,
        processes: 1,
    }];
    if let Some(wrapper) = wrapper(&python) {
        println!(
            "python3 on PATH is {}, not the interpreter {python}: measured in a row of its own",
            wrapper.display()
        );
        list.push(Workload {
            label: "python3 -c pass, through PATH's wrapper",
            command: vec![
                wrapper.display().to_string(),
                "-c".to_string(),
                "pass".to_string(),
            ],
            target: 2.0,
            processes: 0,
        });
    }
    list.push(Workload {
        label: "python3, 1 000 forks",
        command: vec![
            python,
            "-c".to_string(),
            PYTHON_FORKS.to_string(),
            children.clone(),
        ],
        target: 5.0,
        processes: CHILDREN as u64 + 1,
    });
    list.extend(compiled(dir));
    list
}

fn compiled(dir: &Path) -> Option<Workload> {
    let Some(binary) = compile(dir) else {
        println!("no C compiler (cc) here, or the program did not build: C row skipped");
        return None;
    };
    Some(Workload {
        label: "C, 1 000 forks",
        command: vec![binary.display().to_string(), CHILDREN.to_string()],
        target: 5.0,
        processes: CHILDREN as u64 + 1,
    })
}

fn milliseconds_or_failed(figures: Option<(f64, f64)>) -> String {
    figures.map_or("failed".to_string(), |(min, median)| {
        format!("{:.1} / {:.1}", min * 1000.0, median * 1000.0)
    })
}

/// The 1-minute load average, as a reader of the figures wants to know how
/// busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split(' ').next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// One row: the unobserved and the observed figures, both ratios, and
/// whether each is within the target.
fn row(
    workload: &Workload,
    narration: &str,
    plain: Option<(f64, f64)>,
    observed: Option<(f64, f64)>,
    seen: Option<u64>,
) {
    let ratios = plain
        .zip(observed)
        .map(|(plain, observed)| (observed.0 / plain.0, observed.1 / plain.1));
    let (by_min, by_median, holds) = match ratios {
        Some((by_min, by_median)) => {
            let verdict = |ratio: f64| {
                if ratio <= workload.target {
                    "yes"
                } else {
                    "NO"
                }
            };
            (
                format!("{by_min:.2}×"),
                format!("{by_median:.2}×"),
                format!("min {}, median {}", verdict(by_min), verdict(by_median)),
            )
        }
        None => ("-".to_string(), "-".to_string(), "not measured".to_string()),
    };
    let seen = match seen {
        Some(count) if count == workload.processes || workload.processes == 0 => count.to_string(),
        Some(count) => format!("{count} (expected {})", workload.processes),
        None => "unknown".to_string(),
    };
    println!(
        "| {} | {narration} | {} | {} | {by_min} | {by_median} | {seen} | ≤ {:.0}× | {holds} |",
        workload.label,
        milliseconds_or_failed(plain),
        milliseconds_or_failed(observed),
        workload.target,
    );
}

fn main() {
    let Ok(dir) = tempfile::tempdir() else {
        println!("observe: no temporary directory; nothing measured");
        return;
    };
    let output = dir.path().join("narration");
    let workloads = workloads(dir.path());
    println!(
        "{ROUNDS} rounds each, wall time in ms (min / median), observed ÷ unobserved; load average {} at the start",
        load_average()
    );
    println!(
        "| command | narration | unobserved | observed | ÷ min | ÷ median | processes seen | target | within it |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for workload in &workloads {
        let (mut plain, mut text, mut json) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen = None;
        for _ in 0..ROUNDS {
            plain.extend(run_once(&workload.command, Narration::Unobserved, &output));
            text.extend(run_once(&workload.command, Narration::Text, &output));
            json.extend(run_once(&workload.command, Narration::Json, &output));
            seen = processes_seen(&output);
        }
        let plain = min_median(&mut plain);
        row(workload, "text", plain, min_median(&mut text), seen);
        row(workload, "--json", plain, min_median(&mut json), seen);
    }
    println!("load average {} at the end", load_average());
}
