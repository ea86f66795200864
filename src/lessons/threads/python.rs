//! python3 as a child of procdemo, if it is on PATH: the same CPU-bound
//! test with Python threads and processes, under a time cap.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::signal::Signal;

use super::PythonGil;
use crate::lab::Lab;
use crate::os::pipe;
use crate::os::process::cap_lifetime;
use crate::os::states::usable_cpus;

/// The program, as the text shows it in `python-gil`.
const PROGRAM: &str = include_str!("gil.py");
/// Turns of its loop per unit of work (about 8 ms in CPython 3.11, on a quiet machine).
const TURNS: &str = "200000";
/// python3 is ended (SIGKILL) if it runs longer than this.
const CAP_S: u64 = 20;
/// Exit code of the child when `exec` finds no python3, as a shell's.
const NOT_FOUND: i32 = 127;
/// Two workers are "faster" when one's time ÷ theirs is at least this.
const FASTER: f64 = 1.5;
/// With a GIL (threads) or on one CPU (processes), two workers cannot be
/// faster than one: a speed-up above this (15% for noise) is disturbance.
const NOISE: f64 = 1.15;

pub fn run(lab: &mut Lab) -> Result<PythonGil> {
    let (read, write) = pipe::pipe().context("pipe()")?;
    let python = lab.fork("python", move |_| {
        // The alarm outlives exec: python3 ends at the cap even if
        // procdemo could not kill it.
        cap_lifetime(Duration::from_secs(CAP_S + 1));
        let error = Command::new("python3")
            .args(["-c", PROGRAM, TURNS])
            .stdin(Stdio::null())
            .stdout(Stdio::from(write))
            .stderr(Stdio::null())
            .exec();
        Ok(match error.kind() {
            std::io::ErrorKind::NotFound => NOT_FOUND,
            _ => 1,
        })
    })?;
    // Waiting through the lab: a stop signal or a vanished reader of
    // procdemo's stdout ends the wait at once. python3 prints five short
    // lines: the pipe holds them until it has ended.
    let (status, timed_out) =
        match lab.wait_timeout(python.pid, Some(Duration::from_secs(CAP_S)))? {
            Some(status) => (status, false),
            None => {
                lab.signal(python.pid, Signal::SIGKILL)?;
                (lab.wait(python.pid)?, true)
            }
        };
    let fd = std::os::fd::AsFd::as_fd(&read);
    pipe::set_nonblocking(fd).context("fcntl(O_NONBLOCK)")?;
    let mut output = Vec::new();
    pipe::read_available(fd, &mut output).context("reading python3's output")?;
    let text = String::from_utf8_lossy(&output);
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(|rest| rest.trim_end_matches(" ms").to_string())
    };
    let ms = |name: &str| value(name).and_then(|number| number.parse::<f64>().ok());
    let (one, threads, processes) = (ms("one"), ms("threads"), ms("processes"));
    let speedup = |two: Option<f64>| Some((one? / two? * 100.0).round() / 100.0);
    let (threads_speedup, processes_speedup) = (speedup(threads), speedup(processes));
    let faster = |speedup: Option<f64>| speedup.map(|times| times >= FASTER);
    let over = |speedup: Option<f64>| speedup.is_some_and(|times| times > NOISE);
    let usable = usable_cpus().context("sched_getaffinity")?;
    let gil_enabled = value("gil").and_then(|word| match word.as_str() {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    });
    Ok(PythonGil {
        present: status.code() != Some(NOT_FOUND),
        python_pid: python.pid.as_raw(),
        exit_code: status.code(),
        timed_out,
        cap_s: CAP_S,
        version: value("version"),
        usable_cpus: usable,
        one_ms: one,
        threads_ms: threads,
        processes_ms: processes,
        python_threads_speedup: threads_speedup,
        python_processes_speedup: processes_speedup,
        threads_sped_up: faster(threads_speedup),
        processes_sped_up: faster(processes_speedup),
        gil_enabled,
        // With a GIL two threads cannot be faster than one, nor two
        // processes on one CPU: figures that say so were disturbed.
        python_disturbed: (gil_enabled == Some(true) && over(threads_speedup))
            || (usable == 1 && over(processes_speedup)),
    })
}
