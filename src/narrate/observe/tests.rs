use super::*;
use crate::narrate::layout::columns;
use serde_json::json;

mod run;

use run::{event, run};

#[test]
fn every_event_of_the_run_reads_as_its_report() {
    for event in run() {
        let read = crate::model::observe::read_report(&event).expect("an observe step");
        assert!(read.is_ok(), "{}: {read:?}", event.step);
    }
}

#[test]
fn what_proc_did_not_give_is_said_unread() {
    colored::control::set_override(false);
    let exec = event(
        0,
        4242,
        100,
        "exec",
        json!({"program": null, "name": null, "by_tid": 4242, "argv": null,
               "previous": "sh", "pid_kept": true, "python": null}),
    );
    let said = Narration::new(Lang::En, 100).lines(&exec).join(" ");
    assert!(said.contains("exec → (unreadable)"), "{said}");
    assert!(said.contains("argv (unreadable)"), "{said}");
    let said = Narration::new(Lang::Zh, 100).lines(&exec).join(" ");
    assert!(said.contains("（读不到）"), "{said}");
}

#[test]
fn facts_that_do_not_read_are_said_so_not_guessed() {
    colored::control::set_override(false);
    let unread = event(0, 4242, 100, "exited", json!({"exit_code": 0}));
    for lang in [Lang::En, Lang::Zh] {
        let said = Narration::new(lang, 60).lines(&unread).join(" ");
        assert!(said.contains("exited"), "{said}");
        assert!(!said.contains("exited 0"), "{said}");
    }
    let said = Narration::new(Lang::En, 100).lines(&unread).join(" ");
    assert!(
        said.starts_with("procdemo: the facts of step exited do not read"),
        "{said}"
    );
}

fn narrated(lang: Lang, width: usize) -> Vec<Vec<String>> {
    colored::control::set_override(false);
    let mut narration = Narration::new(lang, width);
    run().iter().map(|event| narration.lines(event)).collect()
}

#[test]
fn every_line_fits_the_width_in_both_languages() {
    for lang in [Lang::En, Lang::Zh] {
        for width in [50, 60, 100] {
            for lines in narrated(lang, width) {
                for line in lines {
                    assert!(columns(&line) <= width, "{lang:?} {width}: {line}");
                }
            }
        }
    }
}

/// The narration of the run as one text per event, at 100 columns.
fn said(lang: Lang) -> Vec<String> {
    narrated(lang, 100)
        .into_iter()
        .map(|lines| {
            lines
                .iter()
                .flat_map(|line| line.split_whitespace())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The text said for the event at `t_us`.
fn at(said: &[String], t_us: u64) -> &str {
    let position = run()
        .iter()
        .position(|event| event.t_us == t_us)
        .expect("an event at that time");
    &said[position]
}

#[test]
fn names_processes_as_pstree_does_and_follows_their_execs() {
    let en = said(Lang::En);
    // `sh` as started (comm), not the `dash` it links to.
    assert!(at(&en, 0).contains("first process sh(4242)"));
    assert!(at(&en, 800).starts_with(
        "+0.8 ms sh(4242) forked → sh(4243): fork() returned 4243 in the parent, 0 in the child"
    ));
    assert!(at(&en, 5100).starts_with(
        "+5.1 ms sh(4244) exec → /usr/bin/sort (pid kept 4244): argv sort -r 'a file'"
    ));
    assert!(at(&en, 9500).starts_with("+9.5 ms sort(4244) killed by SIGTERM"));
    assert!(at(&en, 5950).starts_with("+6.0 ms pool.py(4253) exited 0"));
    assert!(
        at(&en, 5900).starts_with("+5.9 ms thread 4255 of sh(4253) exec → /usr/bin/python3.12")
    );
    assert!(at(&en, 7150).ends_with("with tgkill(); it ignores it: nothing happens"));
    assert!(
        at(&en, 12_600_000).contains(
            "3 signals delivered and 1 ignored (SIGCHLD, on no line above, counted too)."
        )
    );
    assert!(
        at(&en, 12_600_000)
            .contains("1 process reaped by the kernel as it ended: its parent ignores SIGCHLD.")
    );
    assert!(
        at(&en, 5960)
            .contains("fork() returned 4254 in the parent; the child was killed before it ran")
    );
    let zh = said(Lang::Zh);
    assert!(
        at(&zh, 5960).contains("子进程还没运行就被"),
        "{}",
        at(&zh, 5960)
    );
    assert!(
        at(&en, 9400)
            .starts_with("+9.4 ms sh(4242) reaped sh(4243) with wait4 after 0.4 ms as a zombie")
    );
    assert!(at(&en, 0).contains(r"'echo hi | cat\nsleep 1'"));
    let zh = said(Lang::Zh);
    assert!(at(&zh, 9400).contains("sh(4242) 用 wait4 回收了 sh(4243)，它当了 0.4 ms 的僵尸进程"));
    assert!(at(&zh, 900).contains("sh(4242) 的线程 4250 用 vfork() 创建了子进程 sh(4244)"));
}

#[test]
fn each_variant_says_what_its_facts_say() {
    for (lang, said) in [(Lang::En, said(Lang::En)), (Lang::Zh, said(Lang::Zh))] {
        // A SIGCHLD is not shown; another signal is, with its sender.
        assert_eq!(at(&said, 7000), "");
        assert!(at(&said, 7100).contains("sh(4242)") && at(&said, 7100).contains("SIGTERM"));
        // Reaped: the call when procdemo saw it, none when it saw only the pid go.
        assert!(at(&said, 9400).contains("wait4"));
        assert!(!at(&said, 9600).contains("wait4"));
        assert!(at(&said, 9800).contains("SIGCHLD"));
        assert!(
            at(&said, 10_100).contains("procdemo(100)") && at(&said, 10_100).contains("waitid")
        );
        // An exit code, or the signal and the core dump.
        assert!(at(&said, 9000).contains(" 0"));
        assert!(at(&said, 9700).contains("SIGSEGV") && at(&said, 9700).contains("core"));
        assert!(at(&said, 9950).contains(if lang == Lang::En {
            "already a zombie"
        } else {
            "已经是僵尸进程"
        }));
        assert!(at(&said, 12_500_000).contains("<defunct>"));
        assert!(at(&said, 12_500_100).contains("SIGKILL"));
        assert!(at(&said, 5300).ends_with("EWEIRD"));
        assert!(at(&said, 12_700_000).contains("143"));
    }
    let en = said(Lang::En);
    assert!(at(&en, 5200).contains("No such file or directory (ENOENT)"));
    assert!(at(&en, 5400).contains(
        "— a forked copy of this Python process (os.fork(), the fork start method, or subprocess)"
    ));
    assert!(at(&en, 5500).contains("— started by multiprocessing's spawn start method"));
    assert!(at(&en, 5800).contains("— a worker forked by multiprocessing's forkserver"));
    assert!(at(&en, 5600).contains("— multiprocessing's resource tracker"));
    assert!(at(&en, 5700).contains("— multiprocessing's forkserver"));
    assert!(at(&en, 9800).starts_with("+9.8 ms the kernel reaped python3(4246)"));
    assert!(at(&en, 9900).contains("adopted by procdemo(100), the subreaper"));
    assert!(
        at(&en, 12_000_100).starts_with(
            "+12.0 s procdemo(100) reaped sh(4242) with wait4 after 0.4 ms as a zombie"
        )
    );
    assert!(at(&en, 7100).contains("got SIGTERM, sent by sh(4242) with kill()"));
    assert!(at(&en, 12_500_000).contains("procdemo leaves them be"));
    assert!(at(&en, 12_500_100).contains("procdemo sends it SIGKILL"));
    assert!(at(&en, 7150).contains("got SIGUSR1, sent by itself with tgkill()"));
    assert!(at(&en, 10_200).contains("python3(4249) (its adopter) reaped python3(4248)"));
    let end = at(&en, 12_600_000);
    for part in [
        "sh(4242) exited 0, reaped",
        "█ run ▒ zombie",
        "Pipes and sockets shared (as last seen)",
        "pipe 9001: sh(4243) fd 1 (write end) after its fork; sort(4244) fd 0 (read end) after its exec",
        "8 processes, 1 extra thread, 5 programs run, 2 failed execs",
        "5 processes were zombies until reaped, the longest for 0.4 ms; 2 orphans adopted.",
        "Not reaped by their own parent: python3(4247), python3(4248), sh(4245).",
        "Left running: python3(4249).",
        "The first process, sh(4242): exited 0, reaped; procdemo exits 0.",
    ] {
        assert!(end.contains(part), "{part} not in {end}");
    }
    assert!(at(&said(Lang::Zh), 12_600_000).contains("█ 运行 ▒ 僵尸"));
}

#[test]
fn teaches_each_kind_of_event_once() {
    for (lang, more) in [
        (Lang::En, "More: procdemo "),
        (Lang::Zh, "想了解更多，请运行 procdemo "),
    ] {
        let said = said(lang);
        let taught: usize = said.iter().map(|said| said.matches(more).count()).sum();
        // Created, exec, pipe, socket, exec-failed, a PATH search,
        // thread, signal, zombie, reaped, orphan: once each.
        assert_eq!(taught, 11, "{lang:?}: {said:#?}");
        assert!(at(&said, 5250).contains("PATH"));
        assert!(!at(&said, 5300).contains("PATH"));
        assert!(at(&said, 800).contains(&format!("{more}fork")));
        assert!(at(&said, 850).contains(&format!("{more}pipe")));
        assert!(at(&said, 850).contains(&format!("{more}ipc")));
        assert!(!at(&said, 900).contains(more));
        assert!(!at(&said, 9500).contains(more));
    }
}

#[test]
fn says_what_the_kernel_and_the_terminal_did() {
    let en = said(Lang::En);
    assert!(at(&en, 300).starts_with("+0.3 ms procdemo's child(4242) exec → /usr/bin/dash"));
    assert!(at(&en, 7300).ends_with("got SIGINT from the kernel (the terminal: Ctrl-C)"));
    assert!(at(&en, 7310).contains("Python (3.8+) ends an uncaught KeyboardInterrupt this way"));
    assert!(at(&en, 7320).contains(
        "got SIGPIPE, marked as sent by itself: that is how the kernel sends it to a process that writes to a pipe or socket nobody reads any more"
    ));
    assert!(!at(&en, 7320).contains("pipe()"));
    assert!(at(&en, 7330).contains("holds as it forks a child: fd 3 → pipe 9005 (read end)"));
    assert!(at(&en, 7340).starts_with("procdemo: the facts of step channels do not read"));
    // The kernel's reap: no zombie time, no zombie taught.
    assert!(at(&en, 9800).contains("reaped python3(4246) as it ended"));
    assert!(!at(&en, 9800).contains("after"));
    assert!(at(&en, 9800).contains("so the parent needs no wait"));
    assert!(!at(&en, 9700).contains("More:"));
    let zh = said(Lang::Zh);
    assert!(at(&zh, 300).contains("procdemo 的子进程(4242) exec → /usr/bin/dash"));
    assert!(at(&zh, 7300).ends_with("收到内核发来的 SIGINT（是终端上的 Ctrl-C）"));
    assert!(at(&zh, 7320).contains("标记为它自己发的"));
    assert!(at(&zh, 7330).contains("fork 子进程时持有"));
    assert!(at(&zh, 9800).contains("python3(4246) 一结束就由内核回收"));
    assert!(at(&zh, 12_600_000).contains(
        "管道 9001：sh(4243) fork 之后的 fd 1（写端）；sort(4244) exec 之后的 fd 0（读端）"
    ));
}

#[test]
fn the_kernel_reaps_are_not_denied_by_the_summary() {
    use crate::narrate::ui::observe::never_reaped;
    assert_eq!(
        never_reaped(Lang::En, None, true),
        "Every process that ended and that the kernel did not reap was reaped by its own parent."
    );
    assert_eq!(
        never_reaped(Lang::En, None, false),
        "Every process that ended was reaped by its own parent."
    );
    assert!(never_reaped(Lang::Zh, None, true).contains("由内核回收"));
}

#[test]
fn units_stay_whole_at_line_ends() {
    for lang in [Lang::En, Lang::Zh] {
        for width in [40, 50, 60, 70] {
            for lines in narrated(lang, width) {
                for pair in lines.windows(2) {
                    let (end, next) = (pair[0].trim_end(), pair[1].trim_start());
                    let number = next.starts_with(|c: char| c.is_ascii_digit());
                    for unit in ["fd", "pipe", "socket", "管道", "套接字"] {
                        assert!(
                            !(end.ends_with(unit) && number),
                            "{lang:?} {width}: {end}⏎{next}"
                        );
                    }
                    assert!(
                        !end.ends_with("(write") && !end.ends_with("(read"),
                        "{lang:?} {width}: {end}⏎{next}"
                    );
                    assert!(
                        !next.starts_with('…') && !next.starts_with('—'),
                        "{lang:?} {width}: {end}⏎{next}"
                    );
                    assert!(!next.starts_with("ms"), "{lang:?} {width}: {end}⏎{next}");
                }
            }
        }
    }
}
