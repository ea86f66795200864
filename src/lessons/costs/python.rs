//! Python's own figures: python3, found on `PATH`, runs as a child of the
//! lab with a time cap and prints its times; "absent" when it is not there.

use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;

use super::{Python, PythonCosts, us};
use crate::lab::{CHILD, Lab, PARENT};
use crate::model::Report;
use crate::os::costs;
use crate::os::pipe;

/// Rounds in Python: a fifth of the lesson's, from 10 to 40: each
/// `Process.start()` + `join()` takes milliseconds there.
const PYTHON_ROUNDS_AT_LEAST: usize = 10;
const PYTHON_ROUNDS_LIMIT: usize = 40;
/// Seconds python3 may take (pace does not scale it: it bounds a hang).
const CAP_S: f64 = 20.0;

/// Times in nanoseconds, min then median, one line per operation.
const SCRIPT: &str = r#"
import multiprocessing as mp, os, platform, sys, time

def nothing():
    pass

def min_median(times):
    times.sort()
    return f"{times[0]} {times[len(times) // 2]}"

if __name__ == "__main__":
    rounds = int(sys.argv[1])
    fork = mp.get_context("fork")
    process, forked = [], []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        p = fork.Process(target=nothing)
        p.start()
        p.join()
        process.append(time.perf_counter_ns() - start)
    for _ in range(rounds):
        start = time.perf_counter_ns()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        forked.append(time.perf_counter_ns() - start)
    print("version", platform.python_version())
    print("process", min_median(process))
    print("fork", min_median(forked))
"#;

pub fn measure(lab: &mut Lab, rounds: usize) -> Result<PythonCosts> {
    lab.before(PythonCosts::STEP)?;
    let Some(path) = costs::on_path("python3") else {
        return not_measured(lab, Python::Absent, None, None);
    };
    let rounds = (rounds / 5).clamp(PYTHON_ROUNDS_AT_LEAST, PYTHON_ROUNDS_LIMIT);
    let (read, write) = pipe::pipe().context("creating python3's stdout pipe")?;
    let (mut read, mut write) = (Some(read), Some(write));
    let child = lab.fork(CHILD, |side| {
        if let Some(fd) = read.take() {
            side.close(fd);
        }
        let program = &path;
        let write = write.take().context("the write end")?;
        // Its errors into the same pipe, not onto the screen procdemo
        // draws (a Ctrl-C would print a KeyboardInterrupt there).
        let errors = write.try_clone().context("dup of the write end")?;
        let error = Command::new(program)
            .args(["-c", SCRIPT, &rounds.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::from(write))
            .stderr(Stdio::from(errors))
            .exec();
        Err(error).with_context(|| format!("exec of {program}"))
    })?;
    drop(write);
    let read = read.context("the read end")?;
    lab.label(child.pid, "python3");
    let status = match lab.wait_timeout(child.pid, Some(Duration::from_secs_f64(CAP_S)))? {
        Some(status) => status,
        None => {
            lab.signal(child.pid, Signal::SIGKILL)?;
            lab.wait(child.pid)?;
            return not_measured(lab, Python::TimedOut, Some(path), Some(rounds));
        }
    };
    pipe::set_nonblocking(read.as_fd()).context("fcntl on python3's stdout")?;
    let mut output = Vec::new();
    pipe::read_available(read.as_fd(), &mut output).context("reading python3's output")?;
    let output = String::from_utf8_lossy(&output);
    if status.code() != Some(0) {
        // Ctrl-C reaches python3 too: then procdemo stops, without an error.
        lab.between_rounds()?;
        bail!("python3 ended with status {}: {output}", status.0);
    }
    let line = |name: &str| -> Result<Vec<&str>> {
        output
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(|rest| rest.split_whitespace().collect())
            .with_context(|| format!("python3 printed no `{name}` line: {output:?}"))
    };
    let pair = |name: &str| -> Result<(f64, f64)> {
        match line(name)?[..] {
            [min, median] => Ok((us(min.parse()?), us(median.parse()?))),
            _ => bail!("python3's `{name}` line is not two numbers: {output:?}"),
        }
    };
    let (process_min, process_median) = pair("process")?;
    let (fork_min, fork_median) = pair("fork")?;
    let report = PythonCosts {
        python: Python::Measured,
        python_path: Some(path),
        version: Some(line("version")?.join(" ")),
        rounds: Some(rounds),
        cap_s: CAP_S,
        process_start_join_min_us: Some(process_min),
        process_start_join_median_us: Some(process_median),
        os_fork_min_us: Some(fork_min),
        os_fork_median_us: Some(fork_median),
    };
    lab.tell(PARENT, &report)?;
    Ok(report)
}

/// The step's facts when python3 gave no figures: why, and nulls.
fn not_measured(
    lab: &mut Lab,
    python: Python,
    python_path: Option<String>,
    rounds: Option<usize>,
) -> Result<PythonCosts> {
    let report = PythonCosts {
        python,
        python_path,
        version: None,
        rounds,
        cap_s: CAP_S,
        process_start_join_min_us: None,
        process_start_join_median_us: None,
        os_fork_min_us: None,
        os_fork_median_us: None,
    };
    lab.tell(PARENT, &report)?;
    Ok(report)
}
