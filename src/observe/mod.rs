//! `procdemo observe -- COMMAND`: runs a program procdemo did not write,
//! traced, and narrates every process it creates. The program's stdin,
//! stdout and stderr are its own; the events go to the narrator (stderr or
//! `--output`). procdemo ends with the program's first process's status.

pub mod ending;
pub mod python;
pub mod tracer;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::Signal;

use crate::cli::ObserveArgs;
use crate::config::Config;
use crate::model::observe as facts;
use crate::narrate::watch::Watch;
use crate::os::ptrace::{self, StartError};
use crate::os::signals::{Signals, shell_exit_code};
use crate::os::{process, procfs};
use tracer::{Ending, Tracer};

/// How long processes the first one left behind get to end by themselves
/// before they are told as remaining: multiprocessing's resource tracker,
/// for one, ends when it reads the end of its pipe, just after.
const GRACE: Duration = Duration::from_millis(500);
/// How long killed remaining processes get to be reaped.
const KILLED_GRACE: Duration = Duration::from_secs(5);
/// The longest procdemo sleeps between two looks at its tracees: a wake-up
/// comes with every stop (SIGCHLD), this only bounds a missed one.
const LOOK_EVERY_MS: u16 = 100;

pub fn run(config: &Config, args: &ObserveArgs) -> Result<ExitCode> {
    let signals = Signals::get().context("installing the signal handlers")?;
    let mut watch = Watch::new(config, args.output.as_deref())?;
    let argv = args
        .command
        .iter()
        .map(|arg| CString::new(arg.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .context("an argument of the command holds a NUL byte")?;
    let command: Vec<String> = args
        .command
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    process::become_subreaper().context("prctl(PR_SET_CHILD_SUBREAPER)")?;
    let started = Instant::now();
    let main = match ptrace::start(&argv) {
        Ok(main) => main,
        Err(error) => {
            watch.cannot_start(&command, &error);
            return Ok(ExitCode::from(start_status(&error)));
        }
    };
    let status = {
        let mut emit = |event: crate::model::Event| watch.show(&event);
        let mut tracer = Tracer::new(started, main, &mut emit);
        tracer.say(
            tracer.procdemo,
            "procdemo",
            &facts::ObserveStart {
                command,
                program: procfs::link(main, "exe").ok(),
                main_pid: main.as_raw(),
                subreaper: process::is_subreaper(),
            },
        );
        follow(&mut tracer, signals, args.kill_remaining)?
    };
    watch.finish()?;
    Ok(ExitCode::from(status))
}

/// Takes the tracees' stops until the program has ended (and what it left
/// has ended, been killed, or been told as remaining); returns procdemo's
/// exit status.
fn follow(tracer: &mut Tracer<'_>, signals: &Signals, kill_remaining: bool) -> Result<u8> {
    let mut main_ended: Option<Instant> = None;
    let mut told_remaining = false;
    loop {
        signals.drain();
        let traced = tracer.take_stops()?;
        tracer.look_for_reaps();
        // Someone asked procdemo itself to end: it stops watching. The kernel
        // detaches every tracee as procdemo exits; they run on. (Ctrl-C and
        // Ctrl-\ from the terminal reach the program too: the program decides
        // what they do, and procdemo tells it.)
        if let Some(signal @ (Signal::SIGTERM | Signal::SIGHUP)) = signals.take() {
            let left_running = tracer.running().iter().map(|p| p.pid.as_raw()).collect();
            tracer.say(
                tracer.procdemo,
                "procdemo",
                &facts::ObserveStopped {
                    signal: signal.as_str().into(),
                    status: shell_exit_code(signal),
                    left_running,
                },
            );
            return Ok(shell_exit_code(signal));
        }
        if tracer.main_reaped() {
            let since = *main_ended.get_or_insert_with(Instant::now);
            if !tracer.anything_left() || !traced {
                break;
            }
            if !told_remaining && since.elapsed() >= GRACE {
                told_remaining = true;
                let processes = tracer.left();
                tracer.say(
                    tracer.procdemo,
                    "procdemo",
                    &facts::Remaining {
                        processes,
                        killed: kill_remaining,
                    },
                );
                if !kill_remaining {
                    break;
                }
                for process in tracer.running() {
                    let _ = process::send_signal(process.pid, Signal::SIGKILL);
                }
            }
            if since.elapsed() >= GRACE + KILLED_GRACE {
                break;
            }
        } else if !traced {
            anyhow::bail!("the program's first process vanished without an exit status");
        }
        ptrace::wait_for_change(signals.wake_fd(), &tracer.zombie_pidfds(), LOOK_EVERY_MS)?;
    }
    Ok(end(tracer))
}

/// Tells the summary of the run; returns procdemo's exit status.
fn end(tracer: &mut Tracer<'_>) -> u8 {
    let now = tracer.now_us();
    let records = &tracer.records;
    let first = records.iter().find(|process| process.pid == tracer.main);
    let (exit_code, signal, status) = match first.and_then(|process| process.ending) {
        Some(Ending::Code(code)) => (Some(code), None, (code & 0xff) as u8),
        Some(Ending::Signal(signal, _)) => (
            None,
            Some(signal.as_str().to_string()),
            shell_exit_code(signal),
        ),
        None => (None, None, 1),
    };
    let zombies: Vec<u64> = records
        .iter()
        .filter_map(|process| {
            let exited = process.exited_us?;
            match &process.reap {
                Some(reap) if reap.kind == "kernel" => None,
                Some(reap) => Some(reap.at_us.saturating_sub(exited)),
                None => Some(now.saturating_sub(exited)),
            }
        })
        .collect();
    let report = facts::ObserveEnd {
        exit_code,
        signal,
        status,
        processes: records.len() as u64,
        threads: records.iter().map(|p| u64::from(p.threads_created)).sum(),
        programs_run: tracer.programs_run,
        exec_failures: tracer.exec_failures,
        zombies: zombies.len() as u64,
        zombie_us_max: zombies.iter().copied().max(),
        orphans: tracer.orphans,
        signals: tracer.signals_delivered,
        signals_ignored: tracer.signals_ignored,
        kernel_reaped: records
            .iter()
            .filter(|p| p.reap.as_ref().is_some_and(|reap| reap.kind == "kernel"))
            .count() as u64,
        never_reaped: ending::never_reaped(records, tracer.main),
        remaining: tracer.running().iter().map(|p| p.pid.as_raw()).collect(),
        channels: ending::shared_channels(records),
        tree: tracer.tree(),
        timeline: ending::timeline(records, now),
    };
    tracer.say(tracer.procdemo, "procdemo", &report);
    status
}

/// The exit status of a program that could not be started, as a shell
/// gives it: 127 when it was not found, 126 when it could not be run; 1
/// when tracing was refused.
fn start_status(error: &StartError) -> u8 {
    match error {
        StartError::Exec(nix::errno::Errno::ENOENT) => 127,
        StartError::Exec(_) => 126,
        StartError::Refused(_) | StartError::Os(..) => 1,
    }
}
