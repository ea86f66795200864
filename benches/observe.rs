//! What observing costs: `procdemo observe` against the same command
//! unobserved, in wall time, on the same machine in one run. The commands:
//! `python3 -c pass` (the issue's target: at most 2×), and a program that
//! forks 1 000 children one after another, each exiting at once and waited
//! for before the next (target: at most 5×), written in python3
//! (`os.fork`, `os._exit`, `os.waitpid`) and in C (compiled with `cc -O2`
//! into a temporary directory; skipped without a compiler).
//!
//! Each round runs the command unobserved, observed with the narration for
//! people and observed with `--json`, in turns, so that a busy moment of the
//! machine falls on all three alike; the narration goes to a file
//! (`--output`), the program's stdout and stderr to /dev/null on every side.
//! Prints min and median of the rounds, the ratios observed ÷ unobserved,
//! and whether the median ratio is within the target. The processes counted
//! by the last `--json` run's `observe-end` are printed beside, so a run that
//! saw fewer than it should does not pass unnoticed. Asserts nothing.
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
    /// Processes `observe-end` should count: the first one and its children.
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

fn workloads(dir: &Path) -> Vec<Workload> {
    let children = CHILDREN.to_string();
    let mut list = vec![
        Workload {
            label: "python3 -c pass",
            command: ["python3", "-c", "pass"].map(String::from).to_vec(),
            target: 2.0,
            processes: 1,
        },
        Workload {
            label: "python3, 1 000 forks",
            command: vec![
                "python3".to_string(),
                "-c".to_string(),
                PYTHON_FORKS.to_string(),
                children.clone(),
            ],
            target: 5.0,
            processes: CHILDREN as u64 + 1,
        },
    ];
    match compile(dir) {
        Some(binary) => list.push(Workload {
            label: "C, 1 000 forks",
            command: vec![binary.display().to_string(), children],
            target: 5.0,
            processes: CHILDREN as u64 + 1,
        }),
        None => println!("no C compiler (cc) here, or the program did not build: C row skipped"),
    }
    list
}

fn milliseconds_or_failed(figures: Option<(f64, f64)>) -> String {
    figures.map_or("failed".to_string(), |(min, median)| {
        format!("{:.1} / {:.1}", min * 1000.0, median * 1000.0)
    })
}

fn main() {
    let Ok(dir) = tempfile::tempdir() else {
        println!("observe: no temporary directory; nothing measured");
        return;
    };
    let output = dir.path().join("narration");
    println!("{ROUNDS} rounds each, wall time in ms (min / median), observed ÷ unobserved");
    println!(
        "| command | unobserved | observed | ÷ min | ÷ median | --json observed | ÷ median | processes seen | target | holds |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for workload in workloads(dir.path()) {
        let (mut plain, mut text, mut json) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen = None;
        for _ in 0..ROUNDS {
            plain.extend(run_once(&workload.command, Narration::Unobserved, &output));
            text.extend(run_once(&workload.command, Narration::Text, &output));
            json.extend(run_once(&workload.command, Narration::Json, &output));
            seen = processes_seen(&output);
        }
        let (plain, text, json) = (
            min_median(&mut plain),
            min_median(&mut text),
            min_median(&mut json),
        );
        let ratio =
            |observed: Option<(f64, f64)>, pick: fn((f64, f64)) -> f64| match (plain, observed) {
                (Some(plain), Some(observed)) => Some(pick(observed) / pick(plain)),
                _ => None,
            };
        let (text_min, text_median) = (ratio(text, |f| f.0), ratio(text, |f| f.1));
        let json_median = ratio(json, |f| f.1);
        let shown = |ratio: Option<f64>| ratio.map_or("-".to_string(), |r| format!("{r:.2}×"));
        let holds = match (text_median, json_median) {
            (Some(text), Some(json)) if text <= workload.target && json <= workload.target => "yes",
            (Some(_), Some(_)) => "NO",
            _ => "not measured",
        };
        let seen = match seen {
            Some(count) if count == workload.processes => count.to_string(),
            Some(count) => format!("{count} (expected {})", workload.processes),
            None => "unknown".to_string(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | ≤ {:.0}× | {} |",
            workload.label,
            milliseconds_or_failed(plain),
            milliseconds_or_failed(text),
            shown(text_min),
            shown(text_median),
            milliseconds_or_failed(json),
            shown(json_median),
            seen,
            workload.target,
            holds
        );
    }
}
