//! A process may first run long after `fork()` returned: on a loaded
//! machine the scheduler decides. A lesson must not depend on a new
//! process running before its parent goes on.
//!
//! To make "late" certain rather than a matter of luck, procdemo runs with
//! a small `LD_PRELOAD` library that makes the first `getppid()` of every
//! process take 100 ms (later calls are plain). The library is built here
//! with `rustc`; where it cannot be built or loaded, the test fails and
//! says why.
//!
//! In `daemon` and `orphan` the grandchild needs to know its first parent,
//! to notice when it has been adopted. Were it to learn that with a
//! `getppid()` of its own, a late start would find the parent already gone
//! and procdemo already its parent: it would wait for an adoption that has
//! happened, forever, and procdemo would wait for its report. The first
//! parent's pid is therefore handed down at the fork; these tests keep it so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    Live, assert_no_leftovers, assert_well_formed, children_of, only, pid, pids_seen, proc_stat,
    procdemo, report, step, still_running,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::daemon::{DaemonProved, DaemonReady, DaemonStopped, SecondFork};
use procdemo::lessons::orphan::Adopted;
use serde_json::Value;

/// The library: `getppid()` through the real one, 100 ms late the first
/// time in each process (a process is told apart by its pid, as a forked
/// child inherits the memory that says the parent already called it).
const SHIM: &str = r#"
use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicI32, Ordering};

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn getpid() -> c_int;
    fn usleep(usec: u32) -> c_int;
}

static CALLED_IN: AtomicI32 = AtomicI32::new(0);

#[no_mangle]
pub extern "C" fn getppid() -> c_int {
    unsafe {
        let me = getpid();
        if CALLED_IN.swap(me, Ordering::SeqCst) != me {
            usleep(100_000);
        }
        // RTLD_NEXT: the next `getppid`, glibc's.
        let real = dlsym(-1isize as *mut c_void, b"getppid\0".as_ptr() as *const c_char);
        let real: extern "C" fn() -> c_int = std::mem::transmute(real);
        real()
    }
}
"#;

/// How long a lesson may take under the library before it is called hung:
/// about a second of lesson and under a second of delays, with room to spare.
const FINISH: Duration = Duration::from_secs(6);

/// The library, in a directory of its own that is removed with it.
struct Shim {
    library: PathBuf,
}

impl Drop for Shim {
    fn drop(&mut self) {
        if let Some(dir) = self.library.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Builds the library into a fresh directory, or says why it could not.
fn build_shim() -> Result<Shim, String> {
    let dir = std::env::temp_dir().join(format!(
        "procdemo-late-start-{}-{:?}",
        std::process::id(),
        thread::current().id()
    ));
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let shim = Shim {
        library: dir.join("liblate_getppid.so"),
    };
    let source = dir.join("late_getppid.rs");
    std::fs::write(&source, SHIM).map_err(|error| format!("{}: {error}", source.display()))?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let built = Command::new(&rustc)
        .args(["--edition", "2021", "--crate-type", "cdylib", "-O", "-o"])
        .arg(&shim.library)
        .arg(&source)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("running {rustc}: {error}"))?;
    if !built.status.success() {
        return Err(format!(
            "{rustc} could not build the library: {}",
            String::from_utf8_lossy(&built.stderr)
        ));
    }
    Ok(shim)
}

/// Checks that `library` is loaded and does what it should: `sh -c 'echo
/// $PPID'` reports this test's pid through it, a tenth of a second late.
fn check_shim_works(library: &Path) -> Result<(), String> {
    let started = Instant::now();
    let output = Command::new("sh")
        .args(["-c", "echo $PPID"])
        .env("LD_PRELOAD", library)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("running sh: {error}"))?;
    let took = started.elapsed();
    let said = String::from_utf8_lossy(&output.stdout);
    if said.trim() != std::process::id().to_string() || took < Duration::from_millis(100) {
        return Err(format!(
            "under LD_PRELOAD, `sh -c 'echo $PPID'` said {said:?} after {took:?} \
             (expected {} after at least 100 ms); stderr: {}",
            std::process::id(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// The library, built and shown to work; fails the test, saying why, where
/// it cannot be (no `rustc`, or a system where `LD_PRELOAD` is not honoured).
fn shim() -> Shim {
    build_shim()
        .and_then(|shim| check_shim_works(&shim.library).map(|()| shim))
        .unwrap_or_else(|why| {
            panic!(
                "this test needs rustc (on PATH or as $RUSTC) and LD_PRELOAD to make \
                 procdemo's processes start late: {why}"
            )
        })
}

/// Runs `lesson` under the library. Returns its events once it has ended
/// by itself; if it has not within `FINISH`, stops it with SIGINT (procdemo
/// then kills and reaps what it started) and fails with `diagnose`'s words.
fn run_late(lesson: &str, diagnose: fn(&[Value]) -> String) -> (i32, Vec<Value>) {
    let shim = shim();
    let mut command = procdemo(&[lesson, "--json", "--pace", "0", "--lang", "en"]);
    command.env("LD_PRELOAD", &shim.library);
    let mut live = Live::spawn_command(command);
    let procdemo_pid = live.pid();
    let deadline = Instant::now() + FINISH;
    while matches!(live.child.try_wait(), Ok(None)) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let hung = matches!(live.child.try_wait(), Ok(None));
    // What runs under procdemo at that moment, for the failure message.
    let mut seen_hung = Vec::new();
    if hung {
        for child in children_of(procdemo_pid) {
            seen_hung.push(format!(
                "{child} {:?} (its parent: procdemo)",
                proc_stat(child)
            ));
            for grandchild in children_of(child) {
                seen_hung.push(format!(
                    "{grandchild} {:?} (its parent: {child})",
                    proc_stat(grandchild)
                ));
            }
        }
        kill(Pid::from_raw(procdemo_pid), Signal::SIGINT).expect("send SIGINT");
    }
    let (status, events, stderr) = live.finish();
    drop(shim);
    let mut pids = pids_seen(&events);
    pids.extend(events.iter().filter_map(|event| {
        event["facts"]
            .get("daemon_pid")
            .and_then(Value::as_i64)
            .map(|daemon| daemon as i32)
    }));
    assert_no_leftovers(&pids);
    assert!(
        !hung,
        "`{lesson}` hung when its processes started late (stopped with SIGINT after {FINISH:?}): {}\n\
         running under procdemo then: {seen_hung:?}\nevents: {events:#?}",
        diagnose(&events)
    );
    assert_eq!(status.code(), Some(0), "{stderr}\n{events:#?}");
    assert_well_formed(&events, lesson, procdemo_pid);
    assert_eq!(events.last().map(step), Some("done"), "{events:#?}");
    (procdemo_pid, events)
}

fn diagnose_daemon(events: &[Value]) -> String {
    let Some(second) = events.iter().find(|event| step(event) == "second-fork") else {
        return "it never reached the second fork".to_string();
    };
    let leader = pid(second);
    let daemon = report::<SecondFork>(second).daemon_pid;
    format!(
        "the daemon ({daemon}) first ran after its parent, the session leader ({leader}), \
         had ended; its first getppid() already returned procdemo, so it waited for an \
         adoption that had already happened and never reported `daemon-ready`, for which \
         procdemo waited without end"
    )
}

fn diagnose_orphan(_events: &[Value]) -> String {
    "the orphan never reported its adoption".to_string()
}

#[test]
fn daemon_works_when_the_daemon_starts_late() {
    let (procdemo_pid, events) = run_late("daemon", diagnose_daemon);
    let leader = pid(only(&events, "setsid"));
    let ready = only(&events, "daemon-ready");
    let facts: DaemonReady = report(ready);
    assert_eq!(facts.ppid_before, leader, "{ready}");
    assert_eq!(facts.ppid_after, procdemo_pid, "{ready}");
    let proved = only(&events, "daemon-proved");
    assert!(report::<DaemonProved>(proved).ppid_is_procdemo, "{proved}");
    let stopped = only(&events, "daemon-stopped");
    assert_eq!(report::<DaemonStopped>(stopped).exitcode, -15, "{stopped}");
    assert!(!still_running(pid(ready)));
}

#[test]
fn orphan_works_when_the_grandchild_starts_late() {
    let (procdemo_pid, events) = run_late("orphan", diagnose_orphan);
    let child = pid(only(&events, "parent-exits"));
    let adopted: Adopted = report(only(&events, "adopted"));
    assert_eq!(adopted.ppid_before, child);
    assert_eq!(adopted.ppid_after, procdemo_pid);
}
