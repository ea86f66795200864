//! `procdemo zombie`: a child that has ended but is not reaped yet is in
//! state `Z`, holds its exit status and no memory, survives `kill -9`, and
//! is gone once its parent's `waitpid()` reaps it; checked from the JSON
//! events of real runs, and from outside while a person steps it at a
//! terminal.

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, children_of, done_of, only, pid, ppid, proc_stat, procdemo, report, role, run_lesson,
    step, wait_with_deadline,
};
use nix::pty::{Winsize, openpty};
use procdemo::lessons::zombie::{AtScale, ChildExits, KillZombie, ProcessLimit, Reap, ZombieState};
use procdemo::model::Done;
use serde_json::Value;

struct ZombieRun {
    procdemo: i32,
    child: i32,
    events: Vec<Value>,
}

fn zombie_run() -> ZombieRun {
    let (output, events) = run_lesson("zombie", "en", &[]);
    let exits = only(&events, "child-exits");
    ZombieRun {
        procdemo: output.pid,
        child: pid(exits),
        events,
    }
}

/// True if a `ps` program can be run here (procdemo shows its line then).
fn ps_is_installed() -> bool {
    Command::new("ps")
        .args(["-o", "pid=", "-p", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[test]
fn the_child_exits_with_code_seven() {
    let run = zombie_run();
    let exits = only(&run.events, "child-exits");
    assert_eq!(role(exits), "child");
    assert_ne!(run.child, run.procdemo);
    assert_eq!(ppid(exits), run.procdemo);
    assert_eq!(report::<ChildExits>(exits).exit_code, 7);
    assert_eq!(step(&run.events[0]), "child-exits");
}

#[test]
fn the_ended_child_is_a_zombie_holding_its_exit_code() {
    let run = zombie_run();
    let zombie = only(&run.events, "zombie-state");
    assert_eq!(pid(zombie), run.procdemo);
    assert_eq!(role(zombie), "parent");
    let facts: ZombieState = report(zombie);
    assert_eq!(facts.child_pid, run.child);
    assert_eq!(facts.state, "Z", "{zombie}");
    assert_eq!(facts.held_exit_code, Some(7), "{zombie}");
    assert_eq!(facts.memory_kb, None, "no memory: {zombie}");
    assert_eq!(facts.ppid, run.procdemo, "its parent is procdemo: {zombie}");
}

#[test]
fn ps_shows_the_zombie_as_defunct() {
    let run = zombie_run();
    let zombie = only(&run.events, "zombie-state");
    let shown = report::<ZombieState>(zombie).ps_shows;
    if !ps_is_installed() {
        assert_eq!(shown, None, "no ps here: {zombie}");
        return;
    }
    let line = shown.unwrap_or_else(|| panic!("ps is installed, yet no line: {zombie}"));
    assert!(line.contains("<defunct>"), "{line:?}");
    let mut columns = line.split_whitespace();
    assert_eq!(
        columns.next(),
        Some(run.child.to_string().as_str()),
        "{line:?}"
    );
    assert_eq!(
        columns.next(),
        Some(run.procdemo.to_string().as_str()),
        "{line:?}"
    );
    assert!(
        columns.next().is_some_and(|stat| stat.starts_with('Z')),
        "{line:?}"
    );
}

#[test]
fn kill_9_does_not_remove_a_zombie() {
    let run = zombie_run();
    let kill = only(&run.events, "kill-zombie");
    assert_eq!(pid(kill), run.procdemo);
    let facts: KillZombie = report(kill);
    assert_eq!(facts.signal, "SIGKILL");
    assert!(facts.kill_succeeded, "{kill}");
    assert_eq!(facts.state_after, "Z", "{kill}");
}

#[test]
fn waitpid_reaps_it_and_collects_code_seven() {
    let run = zombie_run();
    let reap = only(&run.events, "reap");
    assert_eq!(pid(reap), run.procdemo);
    let facts: Reap = report(reap);
    assert_eq!(facts.wait_status, 1792, "7 << 8: {reap}");
    assert_eq!(facts.exit_code, Some(7), "{reap}");
    assert_eq!(facts.python_exitcode, 7, "{reap}");
    assert!(!facts.proc_entry_exists, "{reap}");
}

#[test]
fn at_scale_reads_the_machine_s_figures() {
    let run = zombie_run();
    let scale = only(&run.events, "at-scale");
    assert_eq!(pid(scale), run.procdemo);
    let facts: AtScale = report(scale);
    assert!(facts.pid_max.is_some_and(|most| most > 0), "{scale}");
    assert!(facts.processes_now > 0, "{scale}");
    assert!(facts.zombies_now <= facts.processes_now, "{scale}");
    assert!(
        match facts.user_process_limit {
            Some(ProcessLimit::Processes(limit)) => limit > 0,
            Some(ProcessLimit::Unlimited(_)) => true,
            None => false,
        },
        "{scale}"
    );
}

#[test]
fn done_counts_one_child_that_exited_with_seven() {
    let run = zombie_run();
    let Done { tree, ps_runs, .. } = done_of(&run.events, run.procdemo, 1);
    // The zombie's line as ps prints it: one run of ps, counted apart.
    assert_eq!(ps_runs, u64::from(crate::common::on_path("ps")));
    assert_eq!(tree["pid"], run.procdemo);
    let children = tree["children"].as_array().expect("children");
    assert_eq!(children.len(), 1, "{tree}");
    assert_eq!(children[0]["pid"], run.child);
    assert_eq!(children[0]["exit_code"], 7, "{tree}");
}

#[test]
fn steps_come_in_the_order_the_lesson_tells_them() {
    let run = zombie_run();
    let steps: Vec<&str> = run.events.iter().map(step).collect();
    assert_eq!(
        steps,
        [
            "child-exits",
            "zombie-state",
            "kill-zombie",
            "reap",
            "at-scale",
            "done"
        ]
    );
}

/// The text says `pid_max` is one more than the largest pid: the fact is the
/// kernel's file, and no process of the run or of the machine has a pid as
/// large.
#[test]
fn pid_max_is_one_more_than_the_largest_pid() {
    let run = zombie_run();
    let facts: AtScale = report(only(&run.events, "at-scale"));
    let Some(pid_max) = facts.pid_max else {
        eprintln!("skipped: /proc/sys/kernel/pid_max cannot be read here");
        return;
    };
    let file = std::fs::read_to_string("/proc/sys/kernel/pid_max").expect("pid_max");
    assert_eq!(file.trim().parse::<u64>().ok(), Some(pid_max));
    for pid in [run.procdemo, run.child] {
        assert!(u64::try_from(pid).is_ok_and(|pid| pid < pid_max), "{pid}");
    }
    let pids = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u64>().ok());
    for pid in pids {
        assert!(pid < pid_max, "pid {pid} with pid_max {pid_max}");
    }
}

/// Stepped by a person at a terminal (a pty, Enter for each step): while
/// `kill-zombie` waits for Enter, an observer outside procdemo still finds
/// the zombie that the step says survived `kill -9` (procdemo reaps it
/// only once people move on, `lab.before`); at the next step it is gone.
#[test]
fn stepping_at_a_terminal_the_zombie_stays_until_the_reaping_step() {
    let size = Winsize {
        ws_row: 200,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("a pty");
    let mut command = procdemo(&["zombie", "--step", "--pace", "0", "--lang", "en"]);
    let slave = File::from(pty.slave);
    command
        .env_remove("COLUMNS")
        .env_remove("LINES")
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave));
    let mut child = command.spawn().expect("spawn procdemo");
    drop(command);
    let procdemo_pid = child.id() as i32;
    let mut keys = File::from(pty.master);
    let mut screen = keys.try_clone().expect("dup");
    let (sender, chunks) = mpsc::channel();
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read @ 1..) = screen.read(&mut buffer) {
            if sender.send(buffer[..read].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + DEADLINE;
    let mut text = String::new();
    let mut prompts = 0;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(chunk) = chunks.recv_timeout(left.min(Duration::from_secs(2))) else {
            break;
        };
        text.push_str(&String::from_utf8_lossy(&chunk));
        let now = text.matches("Enter: next step").count();
        if now == prompts {
            continue;
        }
        prompts = now;
        // The last step title printed is the step on screen.
        let on_screen = [
            "kill -9 cannot remove a zombie",
            "waitpid() collects the status",
        ]
        .into_iter()
        .filter_map(|title| text.rfind(title).map(|at| (at, title)))
        .max()
        .map(|(_, title)| title);
        let states: Vec<char> = children_of(procdemo_pid)
            .into_iter()
            .filter_map(|pid| proc_stat(pid).map(|(_, state)| state))
            .collect();
        seen.push((on_screen, states));
        keys.write_all(b"\n").expect("Enter");
    }
    let status = wait_with_deadline(&mut child, deadline, "procdemo zombie --step");
    assert!(status.success(), "{status}\n{text}");
    let at = |title: &str| {
        seen.iter()
            .find(|(on_screen, _)| *on_screen == Some(title))
            .map(|(_, states)| states.clone())
            .unwrap_or_else(|| panic!("no prompt at {title}: {seen:?}"))
    };
    assert_eq!(at("kill -9 cannot remove a zombie"), ['Z'], "{seen:?}");
    assert!(at("waitpid() collects the status").is_empty(), "{seen:?}");
}
