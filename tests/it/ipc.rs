//! `procdemo ipc`: a FIFO between two spawned procdemos that inherited
//! nothing of it, whose reader's `open` waits for the writer; a Unix socket
//! between two more, each told the other's pid by the kernel, and a pipe's
//! read end passed over it; a signal with its sender's pid; the closing
//! table's lessons; checked from the JSON events of a real run, from `/proc`
//! while the lesson holds at a step, and after interrupts and `kill -9`
//! (no process and no private directory left).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{
    DEADLINE, LessonRun, check_interrupted, check_kill_9, held_at_question, lesson_path,
    listed_lessons, only, pid, ppid, proc_stat, report, role, run_lesson, step,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procdemo::lessons::ipc::{
    Closing, FdPassed, FifoMade, FifoMessage, FifoOpened, FifoUnlinked, ReaderBlocks, SignalSent,
    SocketConnected, SocketListening, SocketUnlinked,
};

fn ipc_run() -> &'static LessonRun {
    static RUN: OnceLock<LessonRun> = OnceLock::new();
    RUN.get_or_init(|| LessonRun::run("ipc", &[]))
}

/// The private directory of the procdemo with pid `procdemo`.
fn private_dir(procdemo: i32) -> PathBuf {
    std::env::temp_dir().join(format!("procdemo-ipc-{procdemo}"))
}

#[test]
fn the_fifo_joins_two_spawned_siblings_and_open_waits_for_the_writer() {
    let run = ipc_run();
    let made: FifoMade = run.report();
    let fifo = private_dir(run.procdemo).join("fifo");
    assert_eq!(made.path, fifo.display().to_string());
    assert_eq!(made.dir_mode, "0700");
    assert_eq!(made.file_type, "fifo");

    let blocked: ReaderBlocks = run.report();
    assert_eq!(blocked.reader_ppid, run.procdemo);
    assert_eq!(blocked.state, "S");
    let wchan = blocked.wchan.as_deref();
    assert!(
        matches!(wchan, Some("wait_for_partner" | "fifo_open" | "pipe_wait")),
        "{blocked:?}"
    );
    assert!(blocked.fifo_fds.is_empty(), "{blocked:?}");

    let (reader_event, reader): (_, FifoOpened) = run.by("reader");
    let (writer_event, writer): (_, FifoOpened) = run.by("writer");
    assert_eq!(pid(reader_event), blocked.reader_pid);
    // Siblings, both procdemo's children: neither forked the other.
    assert_eq!(ppid(reader_event), run.procdemo);
    assert_eq!(ppid(writer_event), run.procdemo);
    assert_ne!(pid(writer_event), pid(reader_event));
    for opened in [&reader, &writer] {
        assert_eq!(opened.fds_before_open, 0, "{opened:?}");
        assert_eq!(opened.fd_target, made.path, "{opened:?}");
    }
    assert_eq!(
        (reader.end.as_str(), writer.end.as_str()),
        ("read", "write")
    );
    // The reader's open slept until the writer came (a voluntary switch).
    assert!(reader.voluntary_switches_in_open >= 1, "{reader:?}");

    let unlinked: FifoUnlinked = run.report();
    assert!(!unlinked.name_left);
    assert_eq!(
        unlinked.reader_fd_target,
        format!("{} (deleted)", made.path)
    );
    assert_eq!(unlinked.reader_ppid, run.procdemo);
    assert_eq!(unlinked.writer_ppid, run.procdemo);
    // What the siblings share came from procdemo; the FIFO is not in it.
    assert!(unlinked.procdemo_holds_them_too, "{unlinked:?}");
    assert!(
        unlinked
            .shared_by_both
            .iter()
            .filter(|held| held.contains("pipe:["))
            .count()
            >= 2,
        "the event pipe and the gate: {unlinked:?}"
    );
    assert!(
        !unlinked
            .shared_by_both
            .iter()
            .any(|held| held.contains(&made.path)),
        "{unlinked:?}"
    );

    let (_, wrote): (_, FifoMessage) = run.by("writer");
    let (_, read): (_, FifoMessage) = run.by("reader");
    assert_eq!(read.text, wrote.text);
    assert_eq!(read.bytes, read.text.len());
    assert_eq!(wrote.returned, vec![wrote.bytes]);
    // The reader read to end of file: its last read() returned 0.
    assert_eq!(read.returned.last(), Some(&0), "{read:?}");
    assert_eq!(read.returned.iter().sum::<usize>(), read.bytes);
}

#[test]
fn the_socket_names_each_peer_and_carries_a_pipe_the_client_never_had() {
    let run = ipc_run();
    // Seen by procdemo from outside: the server asleep in accept().
    let listening: SocketListening = run.report();
    assert_eq!(listening.state, "S");
    assert!(
        matches!(
            listening.wchan.as_deref(),
            Some("__skb_wait_for_more_packets" | "skb_recv_datagram" | "unix_accept")
        ),
        "{listening:?}"
    );
    assert_eq!(
        listening.path,
        private_dir(run.procdemo)
            .join("socket")
            .display()
            .to_string()
    );
    assert_eq!(listening.file_type, "socket");
    assert!(listening.fd_target.starts_with("socket:["), "{listening:?}");

    let (server_event, at_server): (_, SocketConnected) = run.by("server");
    let (client_event, at_client): (_, SocketConnected) = run.by("client");
    let (server, client) = (listening.server_pid, pid(client_event));
    assert_eq!(pid(server_event), server);
    assert_eq!(ppid(server_event), run.procdemo);
    assert_eq!(ppid(client_event), run.procdemo);
    assert_eq!(at_server.peer_pid, client);
    assert_eq!(at_client.peer_pid, server);
    assert_eq!(at_server.message, at_client.message);
    assert_ne!(at_server.fd_target, at_client.fd_target);
    assert_ne!(at_server.fd_target, listening.fd_target);

    let unlinked: SocketUnlinked = run.report();
    assert_eq!(
        unlinked.new_connect, "ENOENT",
        "a new client cannot find the name"
    );
    assert!(!unlinked.name_left);
    assert_eq!(unlinked.server_fd_target, at_server.fd_target);
    assert_eq!(unlinked.client_fd_target, at_client.fd_target);
    assert!(unlinked.procdemo_holds_them_too, "{unlinked:?}");
    assert!(
        !unlinked
            .shared_by_both
            .iter()
            .any(|held| held.contains("socket:[")),
        "{unlinked:?}"
    );

    let (_, sent): (_, FdPassed) = run.by("server");
    let (_, received): (_, FdPassed) = run.by("client");
    assert!(sent.fd_target.starts_with("pipe:["), "{sent:?}");
    assert_eq!(received.fd_target, sent.fd_target);
    assert!(sent.fds_naming_it.is_empty(), "{sent:?}");
    assert_eq!(received.fds_naming_it, vec![received.fd]);
    assert_eq!(received.text, sent.text);

    let signal: SignalSent = run.report();
    assert_eq!(signal.signal, "SIGUSR1");
    assert_eq!(signal.sender_pid, run.procdemo);
    assert_eq!(signal.receiver_pid, client);
}

/// Every lesson the closing list names, in the facts and in both texts'
/// blocks, is a lesson of the course; the blocks fit 60 columns (56 and
/// the code margin), the Chinese one names each mechanism in Chinese; and
/// the run leaves no directory.
#[test]
fn the_closing_list_names_lessons_of_the_course_and_nothing_is_left() {
    let run = ipc_run();
    let closing: Closing = run.report();
    assert!(closing.dir_removed);
    assert!(!private_dir(run.procdemo).exists());
    let course: BTreeSet<String> = listed_lessons("en")
        .iter()
        .map(|lesson| lesson["lesson"].as_str().expect("lesson").to_string())
        .collect();
    let in_facts: BTreeSet<String> = closing.shown_in.keys().cloned().collect();
    assert!(in_facts.is_subset(&course), "{in_facts:?} {course:?}");
    let mechanisms: usize = closing.shown_in.values().map(Vec::len).sum();
    // Seven mechanisms; the Unix socket shown in two lessons.
    assert_eq!(mechanisms, 8, "{closing:?}");
    assert_eq!(closing.shown_in["pipe"], ["pipe", "Unix socket"]);
    for lang in ["en", "zh"] {
        let text = std::fs::read_to_string(lesson_path(lang, "ipc")).expect("text");
        let table = text
            .split("## closing:")
            .nth(1)
            .and_then(|rest| rest.split("```os\n").nth(1))
            .and_then(|rest| rest.split("```").next())
            .expect("the closing list");
        for line in table.lines() {
            let width = unicode_width::UnicodeWidthStr::width(line);
            assert!(width <= 56, "{lang}: {width} columns: {line}");
        }
        // A block starts at the left edge with the mechanism; the lessons
        // are the lower-case words in its brackets.
        let headers: Vec<&str> = table
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with(' '))
            .collect();
        assert_eq!(headers.len(), 7, "{lang}: {headers:?}");
        let named: BTreeSet<String> = headers
            .iter()
            .filter_map(|line| line.split(['(', '（']).nth(1))
            .flat_map(|inside| inside.split(|c: char| !c.is_ascii_lowercase()))
            .filter(|word| !["", "lesson", "lessons", "and"].contains(word))
            .map(str::to_string)
            .collect();
        assert_eq!(named, in_facts, "{lang}: the list's lessons");
        if lang == "zh" {
            for english in [
                "pipe (",
                "message queue",
                "shared memory",
                "semaphore (",
                "signal (",
            ] {
                assert!(!table.contains(english), "zh: {english}");
            }
            for mechanism in closing.shown_in.values().flatten() {
                assert!(
                    text.contains(&format!("\n- {mechanism}: ")),
                    "zh: no word for {mechanism}"
                );
            }
        }
    }
    let steps: Vec<&str> = run.events.iter().map(step).collect();
    assert_eq!(steps.last(), Some(&"done"), "{steps:?}");
}

/// Held at the question of `fifo-opened`: the reader sleeps in `open`
/// with no descriptor of the FIFO, which exists, and no writer runs.
#[test]
fn an_outside_observer_sees_the_reader_blocked_in_open() {
    let (live, answers) = held_at_question(&["ipc"], "fifo-opened");
    let procdemo = live.pid();
    let blocked: ReaderBlocks = report(
        live.events
            .iter()
            .rev()
            .find(|event| step(event) == "reader-blocks")
            .expect("reader-blocks before fifo-opened's question"),
    );
    let fifo = private_dir(procdemo).join("fifo");
    for _ in 0..2 {
        assert_eq!(
            proc_stat(blocked.reader_pid).map(|(_, state)| state),
            Some('S')
        );
        let wchan =
            std::fs::read_to_string(format!("/proc/{}/wchan", blocked.reader_pid)).expect("wchan");
        assert!(
            ["wait_for_partner", "fifo_open", "pipe_wait"].contains(&wchan.trim()),
            "{wchan}"
        );
        assert!(fds_naming(blocked.reader_pid, &fifo).is_empty());
        assert!(fifo.exists(), "{}", fifo.display());
        // Called procdemo, as the text and the tree call it, not `exe`.
        let comm =
            std::fs::read_to_string(format!("/proc/{}/comm", blocked.reader_pid)).expect("comm");
        assert_eq!(comm.trim(), "procdemo");
        assert_eq!(
            crate::common::children_of(procdemo),
            vec![blocked.reader_pid]
        );
        thread::sleep(Duration::from_millis(30));
    }
    drop(answers);
    let (status, events, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    assert!(events.iter().any(|event| step(event) == "done"));
    assert!(!private_dir(procdemo).exists());
}

/// Held at the question of `fifo-unlinked` (and so while `fifo-opened` is
/// on screen): the FIFO still has its name, and both descriptors, read
/// from outside, point at that path, not yet `(deleted)`.
#[test]
fn an_outside_observer_sees_the_fifo_named_while_the_step_says_so() {
    let (live, answers) = held_at_question(&["ipc"], "fifo-unlinked");
    let procdemo = live.pid();
    let fifo = private_dir(procdemo).join("fifo");
    let opened: Vec<(i32, FifoOpened)> = live
        .events
        .iter()
        .filter(|event| step(event) == "fifo-opened")
        .map(|event| (pid(event), report(event)))
        .collect();
    assert_eq!(opened.len(), 2, "{opened:?}");
    checked_twice_then_finished(live, answers, || {
        assert!(fifo.exists(), "{}", fifo.display());
        for (pid, end) in &opened {
            let link = std::fs::read_link(format!("/proc/{pid}/fd/{}", end.fd)).expect("fd");
            assert_eq!(link, fifo, "{end:?}");
        }
    });
}

/// Runs `check` twice, 30 ms apart, while the lesson holds; then lets it
/// go on and checks that it ends well.
fn checked_twice_then_finished(
    live: crate::common::Live,
    answers: std::process::ChildStdin,
    check: impl Fn(),
) {
    for _ in 0..2 {
        check();
        thread::sleep(Duration::from_millis(30));
    }
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}

/// Held at the question of `socket-unlinked` (while `socket-connected` is
/// on screen): the socket file is still there.
#[test]
fn an_outside_observer_sees_the_socket_named_while_the_step_says_so() {
    let (live, answers) = held_at_question(&["ipc"], "socket-unlinked");
    let socket = private_dir(live.pid()).join("socket");
    checked_twice_then_finished(live, answers, || {
        let kind = std::fs::symlink_metadata(&socket).expect("the socket file");
        assert!(std::os::unix::fs::FileTypeExt::is_socket(&kind.file_type()));
    });
}

/// Held at the question of `signal`: the client holds the received pipe
/// end under the number it reported, and waits in `sigwaitinfo`.
#[test]
fn an_outside_observer_sees_the_passed_descriptor_in_the_client() {
    let (live, answers) = held_at_question(&["ipc"], "signal");
    let received = live
        .events
        .iter()
        .rev()
        .find(|event| step(event) == "fd-passed" && role(event) == "client")
        .expect("the client's fd-passed before signal's question");
    let client = pid(received);
    let passed: FdPassed = report(received);
    for _ in 0..2 {
        let link = std::fs::read_link(format!("/proc/{client}/fd/{}", passed.fd))
            .expect("the passed descriptor");
        assert_eq!(link.display().to_string(), passed.fd_target);
        assert_eq!(proc_stat(client).map(|(_, state)| state), Some('S'));
        thread::sleep(Duration::from_millis(30));
    }
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
}

/// SIGINT while the reader waits in `open` (FIFO on disk) and SIGTERM
/// while server and client are connected: exit 130 or 143, no process and
/// no private directory left; and a signal just after the answer that lets
/// the writer start (the run says `answered`): whatever the writer had
/// reached, it ends before the directory goes, so stderr holds only the
/// interrupted line (`check_interrupted` checks it).
#[test]
fn interrupts_leave_no_process_and_no_fifo_or_socket() {
    let runs: Vec<_> = [
        (Signal::SIGINT, 130, "fifo-opened"),
        (Signal::SIGTERM, 143, "fd-passed"),
        (Signal::SIGTERM, 143, "signal"),
        (Signal::SIGINT, 130, "answered"),
    ]
    .into_iter()
    .map(|(signal, code, quiz)| {
        thread::spawn(move || {
            let (live, mut answers) = match quiz {
                "answered" => held_at_question(&["ipc"], "fifo-opened"),
                _ => held_at_question(&["ipc"], quiz),
            };
            if quiz == "answered" {
                std::io::Write::write_all(&mut answers, b"2\n").expect("answer");
            }
            let procdemo = live.pid();
            let running = crate::common::children_of(procdemo);
            assert!(!running.is_empty(), "{quiz}: children run");
            assert!(private_dir(procdemo).exists());
            kill(Pid::from_raw(procdemo), signal).expect("signal");
            check_interrupted(live, signal, code, 1, &running);
            drop(answers);
            assert!(
                !private_dir(procdemo).exists(),
                "{quiz}: {} left",
                private_dir(procdemo).display()
            );
        })
    })
    .collect();
    for run in runs {
        run.join().expect("an interrupt run");
    }
}

/// `kill -9` while the FIFO is on disk: the spawned reader dies with
/// procdemo; the directory stays, and the next run of any lesson sweeps it.
#[test]
fn kill_9_leaves_a_directory_that_the_next_run_of_any_lesson_sweeps() {
    let (live, answers) = held_at_question(&["ipc"], "fifo-opened");
    let procdemo = live.pid();
    let running = crate::common::children_of(procdemo);
    check_kill_9(live, &running, "the spawned reader");
    drop(answers);
    let left = private_dir(procdemo);
    assert!(
        left.join("fifo").exists(),
        "kill -9 left {}",
        left.display()
    );
    let deadline = Instant::now() + DEADLINE;
    while proc_stat(procdemo).is_some() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let (output, _) = run_lesson("fork", "en", &[]);
    assert!(output.status.success());
    assert!(!left.exists(), "the next run left {}", left.display());
}

/// The descriptors of `pid` that name `path` (opened, or deleted since).
fn fds_naming(pid: i32, path: &std::path::Path) -> Vec<String> {
    let wanted = path.display().to_string();
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| std::fs::read_link(entry.path()).ok())
                .map(|link| link.display().to_string())
                .filter(|link| link.starts_with(&wanted))
                .collect()
        })
        .unwrap_or_default()
}

/// A directory of procdemo's own pid already there (left by a process that
/// had the pid before and was killed with `kill -9`): procdemo removes it
/// and makes its own, and leaves nothing in `$TMPDIR`. `sh` makes it, then
/// execs procdemo under the same pid.
#[test]
fn a_leftover_under_procdemos_own_pid_is_replaced_and_removed() {
    let tmpdir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ipc-own-pid");
    let _ = std::fs::remove_dir_all(&tmpdir);
    std::fs::create_dir_all(&tmpdir).expect("a TMPDIR for the test");
    let script = format!(
        "mkdir -p \"$TMPDIR/procdemo-ipc-$$/stale\" && touch \"$TMPDIR/procdemo-ipc-$$/fifo\" \
         && exec '{}' ipc --json --pace 0 --lang en",
        crate::common::bin()
    );
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", &script])
        .env("TMPDIR", &tmpdir)
        .env("XDG_STATE_HOME", crate::common::shared_state_home());
    let output = crate::common::run(command);
    assert!(output.status.success(), "{}", output.describe());
    let made: FifoMade = report(only(&output.events(), "fifo-made"));
    assert_eq!(
        made.path,
        tmpdir
            .join(format!("procdemo-ipc-{}", output.pid))
            .join("fifo")
            .display()
            .to_string()
    );
    let left: Vec<_> = std::fs::read_dir(&tmpdir).expect("TMPDIR").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Held at the question of `socket-connected`: the server is asleep (in
/// `accept`), its socket file is there, and no client runs yet.
#[test]
fn an_outside_observer_sees_the_server_waiting_for_a_client() {
    let (live, answers) = held_at_question(&["ipc"], "socket-connected");
    let procdemo = live.pid();
    let listening = live
        .events
        .iter()
        .rev()
        .find(|event| step(event) == "socket-listening")
        .expect("socket-listening before socket-connected's question");
    let server = report::<SocketListening>(listening).server_pid;
    let socket = private_dir(procdemo).join("socket");
    for _ in 0..2 {
        assert_eq!(proc_stat(server).map(|(_, state)| state), Some('S'));
        let kind = std::fs::symlink_metadata(&socket).expect("the socket file");
        assert!(
            std::os::unix::fs::FileTypeExt::is_socket(&kind.file_type()),
            "{kind:?}"
        );
        assert_eq!(crate::common::children_of(procdemo), vec![server]);
        thread::sleep(Duration::from_millis(30));
    }
    drop(answers);
    let (status, _, stderr) = live.finish();
    assert!(status.success(), "{stderr}");
    assert!(!socket.exists());
}
