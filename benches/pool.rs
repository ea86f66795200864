//! procdemo's pool against Python's `multiprocessing.Pool`, on the same
//! machine in one run: trivial tasks (`x * x`), 3 workers, chunksize 1 and
//! each pool's default chunksize. Prints figures; asserts nothing.
//!
//! procdemo is timed as a whole command (start-up, pool, 20 000 tasks, join,
//! exit); Python inside the interpreter, from creating the pool to joining
//! it (its interpreter start-up is not counted). Best of three runs each.
//!
//!     cargo bench --bench pool

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TASKS: usize = 20_000;
const WORKERS: usize = 3;
const RUNS: usize = 3;

const PYTHON: &str = r#"
import sys, time, multiprocessing as mp
def square(x):
    return x * x
if __name__ == "__main__":
    tasks, workers = int(sys.argv[1]), int(sys.argv[2])
    chunksize = int(sys.argv[3]) if len(sys.argv) > 3 else None
    start = time.perf_counter()
    with mp.Pool(workers) as pool:
        results = pool.map(square, range(tasks), chunksize) if chunksize else pool.map(square, range(tasks))
        pool.close()
        pool.join()
    assert len(results) == tasks
    print(time.perf_counter() - start)
"#;

fn best(mut run: impl FnMut() -> Option<Duration>) -> Option<Duration> {
    (0..RUNS).filter_map(|_| run()).min()
}

fn procdemo(chunksize: Option<usize>) -> Option<Duration> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procdemo"));
    command.args([
        "pool", "--work", "none", "--pace", "0", "--color", "never", "--lang", "en",
    ]);
    command.args([
        "--tasks",
        &TASKS.to_string(),
        "--workers",
        &WORKERS.to_string(),
    ]);
    if let Some(size) = chunksize {
        command.args(["--chunksize", &size.to_string()]);
    }
    let start = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}

fn python(chunksize: Option<usize>) -> Option<Duration> {
    let mut command = Command::new("python3");
    command.args(["-c", PYTHON, &TASKS.to_string(), &WORKERS.to_string()]);
    if let Some(size) = chunksize {
        command.arg(size.to_string());
    }
    let output = command.stderr(Stdio::null()).output().ok()?;
    let seconds: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .ok()?;
    output
        .status
        .success()
        .then(|| Duration::from_secs_f64(seconds))
}

fn main() {
    println!("{TASKS} trivial tasks, {WORKERS} workers, best of {RUNS}");
    println!(
        "{:<22} {:>12} {:>14} {:>12} {:>14} {:>8}",
        "chunksize", "procdemo s", "procdemo t/s", "python s", "python t/s", "ratio"
    );
    for (label, chunksize) in [("1", Some(1)), ("default of each pool", None)] {
        let ours = best(|| procdemo(chunksize));
        let theirs = best(|| python(chunksize));
        let rate =
            |time: Option<Duration>| time.map_or(0.0, |time| TASKS as f64 / time.as_secs_f64());
        let seconds = |time: Option<Duration>| {
            time.map_or("failed".to_string(), |time| {
                format!("{:.3}", time.as_secs_f64())
            })
        };
        let ratio = match (ours, theirs) {
            (Some(ours), Some(theirs)) => {
                format!("{:.2}x", theirs.as_secs_f64() / ours.as_secs_f64())
            }
            _ => "-".to_string(),
        };
        println!(
            "{label:<22} {:>12} {:>14.0} {:>12} {:>14.0} {:>8}",
            seconds(ours),
            rate(ours),
            seconds(theirs),
            rate(theirs),
            ratio
        );
    }
}
