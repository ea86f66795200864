//! The words of `procdemo observe`, in each language: one line per event
//! and, the first time a kind of event appears, one sentence of teaching.
//!
//! Every piece of text comes back with marks that `narrate::observe` turns
//! into looks: [`BOLD`] around a process's name, [`CODE`] around a call, a
//! command or a lesson to run, [`BAD`] around an ending. Values from the run
//! are given here already cleaned of the marks.

use crate::model::Lang;

/// Toggles bold: a process, `name(pid)`.
pub const BOLD: char = '\u{E000}';
/// Toggles the code look: calls, commands, argv, paths.
pub const CODE: char = '\u{E001}';
/// Toggles the look of a death, a zombie, a failure.
pub const BAD: char = '\u{E002}';

/// `name(pid)`, as pstree names a process.
pub fn process(name: &str, pid: i64) -> String {
    format!("{BOLD}{name}({pid}){BOLD}")
}

/// A process procdemo has not seen start (a sender from outside the run).
pub fn unnamed(lang: Lang, pid: i64) -> String {
    format!("{BOLD}{} {pid}{BOLD}", super::pid_word(lang))
}

fn code(text: &str) -> String {
    format!("{CODE}{text}{CODE}")
}

fn bad(text: &str) -> String {
    format!("{BAD}{text}{BAD}")
}

/// "1 process", "2 processes"; Chinese counts with its measure word.
fn count(lang: Lang, count: u64, one: &str, many: &str, zh: &str) -> String {
    match lang {
        Lang::En if count == 1 => format!("1 {one}"),
        Lang::En => format!("{count} {many}"),
        Lang::Zh => format!("{count} 个{zh}"),
    }
}

/// A time in the run or a length of time: ms below ten seconds, as the
/// lessons' evidence shows it.
pub fn duration(us: u64) -> String {
    if us < 10_000_000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else {
        format!("{:.1} s", us as f64 / 1_000_000.0)
    }
}

/// How many a list had when only its first items are shown.
pub fn in_all(lang: Lang, count: usize) -> String {
    match lang {
        Lang::En => format!(", … ({count} in all)"),
        Lang::Zh => format!("……（共 {count} 个）"),
    }
}

/// Under the first channels of the ending: how many there were.
pub fn more_channels(lang: Lang, count: usize) -> String {
    match lang {
        Lang::En => format!("… ({count} in all)"),
        Lang::Zh => format!("……（共 {count} 个）"),
    }
}

pub fn start(
    lang: Lang,
    procdemo: &str,
    command: &str,
    program: &str,
    main: &str,
    subreaper: bool,
) -> String {
    let (command, program) = (code(command), code(program));
    match (lang, subreaper) {
        (Lang::En, true) => format!(
            "{procdemo} observes {command} (program {program}), first process {main}; procdemo is the subreaper: orphans come to it"
        ),
        (Lang::En, false) => {
            format!("{procdemo} observes {command} (program {program}), first process {main}")
        }
        (Lang::Zh, true) => format!(
            "{procdemo} 观察 {command}（程序 {program}），第一个进程是 {main}；procdemo 是 subreaper，孤儿进程都由它收养"
        ),
        (Lang::Zh, false) => {
            format!("{procdemo} 观察 {command}（程序 {program}），第一个进程是 {main}")
        }
    }
}

/// What multiprocessing made of a process, from the `python` fact.
pub fn python_role(lang: Lang, role: &str) -> Option<&'static str> {
    Some(match (lang, role) {
        (Lang::En, "resource-tracker") => "multiprocessing's resource tracker",
        (Lang::En, "forkserver") => "multiprocessing's forkserver",
        (Lang::En, "spawn-child") => "started by multiprocessing's spawn start method",
        (Lang::En, "forkserver-child") => "a worker forked by multiprocessing's forkserver",
        (Lang::En, "fork-child") => "a forked copy of Python: os.fork() or the fork start method",
        (Lang::Zh, "resource-tracker") => "multiprocessing 的资源跟踪进程（resource tracker）",
        (Lang::Zh, "forkserver") => "multiprocessing 的 forkserver 服务进程",
        (Lang::Zh, "spawn-child") => "由 multiprocessing 的 spawn 启动方式启动",
        (Lang::Zh, "forkserver-child") => "由 multiprocessing 的 forkserver fork 出来的工作进程",
        (Lang::Zh, "fork-child") => "fork 出来的 Python 副本：os.fork() 或 fork 启动方式",
        _ => return None,
    })
}

/// After a line, what multiprocessing made of the process.
pub fn as_python(lang: Lang, role: &str) -> String {
    match lang {
        Lang::En => format!(" — {role}"),
        Lang::Zh => format!("——{role}"),
    }
}

/// The facts of `process-created`, as the line says them.
pub struct Created<'a> {
    pub parent: String,
    pub child: String,
    pub call: &'a str,
    /// The calling thread, when it is not the parent's first.
    pub by_thread: Option<i64>,
    pub parent_saw: Option<i64>,
    pub child_saw: Option<i64>,
}

pub fn created(lang: Lang, created: &Created) -> String {
    let Created {
        parent,
        child,
        call,
        by_thread,
        parent_saw,
        child_saw,
    } = created;
    let called = code(&format!("{call}()"));
    let thread = match (lang, by_thread) {
        (_, None) => String::new(),
        (Lang::En, Some(tid)) => format!(" (thread {tid})"),
        (Lang::Zh, Some(tid)) => format!(" 的线程 {tid}"),
    };
    let saw = match (lang, parent_saw, child_saw) {
        (Lang::En, Some(parent), Some(child)) => {
            format!(": {called} returned {parent} in the parent, {child} in the child")
        }
        (Lang::Zh, Some(parent), Some(child)) => {
            format!("：{called} 在父进程里返回 {parent}，在子进程里返回 {child}")
        }
        (Lang::En, _, _) => String::new(),
        (Lang::Zh, _, _) => String::new(),
    };
    let verb = match (lang, *call) {
        (Lang::En, "fork") => "forked".to_string(),
        (Lang::En, "vfork") => "vforked".to_string(),
        (Lang::En, other) => format!("made a process with {other}()"),
        (Lang::Zh, other) => format!("用 {other}() 创建了"),
    };
    match lang {
        Lang::En => format!("{parent}{thread} {verb} → {child}{saw}"),
        Lang::Zh => format!("{parent}{thread} {verb}子进程 {child}{saw}"),
    }
}

/// A thread of `process` started or ended, and the threads it has now.
pub fn thread(lang: Lang, process: &str, tid: i64, started: bool, threads: Option<i64>) -> String {
    let what = match (lang, started) {
        (Lang::En, true) => format!("{process} started thread {tid}"),
        (Lang::En, false) => format!("{process}: thread {tid} ended"),
        (Lang::Zh, true) => format!("{process} 新建了线程 {tid}"),
        (Lang::Zh, false) => format!("{process} 的线程 {tid} 结束了"),
    };
    let Some(threads) = threads else {
        return what;
    };
    match (lang, started) {
        (Lang::En, true) => format!(
            "{what}: {} in the process now",
            count(lang, threads as u64, "thread", "threads", "线程")
        ),
        (Lang::En, false) => format!(
            "{what}, {} left",
            count(lang, threads as u64, "thread", "threads", "线程")
        ),
        (Lang::Zh, true) => format!("{what}：这个进程现在有 {threads} 个线程"),
        (Lang::Zh, false) => format!("{what}，还剩 {threads} 个线程"),
    }
}

pub fn exec(lang: Lang, before: &str, program: &str, pid: i64, kept: bool, argv: &str) -> String {
    let program = code(program);
    let argv = code(argv);
    match (lang, kept) {
        (Lang::En, true) => format!("{before} exec → {program} (pid kept {pid}): argv {argv}"),
        (Lang::En, false) => format!("{before} exec → {program}: argv {argv}"),
        (Lang::Zh, true) => {
            format!("{before} exec → {program}（PID 不变，仍是 {pid}）：argv 为 {argv}")
        }
        (Lang::Zh, false) => format!("{before} exec → {program}：argv 为 {argv}"),
    }
}

pub fn exec_failed(lang: Lang, process: &str, call: &str, path: &str, error: &str) -> String {
    let call = code(&format!("{call}()"));
    let path = code(path);
    match lang {
        Lang::En => format!("{process} {call} of {path} {}: {error}", bad("failed")),
        Lang::Zh => format!("{process} 用 {call} 执行 {path} {}：{error}", bad("失败")),
    }
}

/// When a process's descriptors were read.
pub fn channels_at(lang: Lang, at: &str) -> &'static str {
    match (lang, at) {
        (Lang::En, "fork") => "after its fork",
        (Lang::En, "exec") => "after its exec",
        (Lang::En, _) => "at the start",
        (Lang::Zh, "fork") => "fork 之后",
        (Lang::Zh, "exec") => "exec 之后",
        (Lang::Zh, _) => "开始时",
    }
}

/// "pipe 123", "socket 456": a channel by its inode, as `/proc/<pid>/fd` names it.
pub fn channel(lang: Lang, kind: &str, inode: i64) -> String {
    match (lang, kind) {
        (Lang::En, kind) => format!("{kind} {inode}"),
        (Lang::Zh, "pipe") => format!("管道 {inode}"),
        (Lang::Zh, "socket") => format!("套接字 {inode}"),
        (Lang::Zh, other) => format!("{other} {inode}"),
    }
}

pub fn access(lang: Lang, access: &str) -> &str {
    match (lang, access) {
        (Lang::En, "read") => "read end",
        (Lang::En, "write") => "write end",
        (Lang::Zh, "read") => "读端",
        (Lang::Zh, "write") => "写端",
        (Lang::Zh, "read-write") => "读写",
        (_, other) => other,
    }
}

/// One descriptor: "fd 3 → pipe 123 (read end)".
pub fn end(lang: Lang, fd: i64, channel: &str, access: &str) -> String {
    match lang {
        Lang::En => format!("fd {fd} → {channel} ({access})"),
        Lang::Zh => format!("fd {fd} → {channel}（{access}）"),
    }
}

pub fn channels(lang: Lang, process: &str, at: &str, ends: &str) -> String {
    match lang {
        Lang::En => format!("{process} holds {at}: {ends}"),
        Lang::Zh => format!("{process} {at}持有：{ends}"),
    }
}

/// Where a signal came from, from the `origin` and `sender_pid` facts.
pub enum Sender {
    Process {
        origin: String,
        sender: String,
    },
    /// The process sent it to itself.
    Itself {
        origin: String,
    },
    Kernel,
}

pub fn signal(lang: Lang, receiver: &str, signal: &str, from: &Sender) -> String {
    let signal = code(signal);
    match (lang, from) {
        (Lang::En, Sender::Process { origin, sender }) => format!(
            "{receiver} got {signal}, sent by {sender} with {}",
            code(&format!("{origin}()"))
        ),
        (Lang::En, Sender::Itself { origin }) => format!(
            "{receiver} got {signal}, sent by itself with {}",
            code(&format!("{origin}()"))
        ),
        (Lang::Zh, Sender::Itself { origin }) => format!(
            "{receiver} 收到 {signal}，是它自己用 {} 发来的",
            code(&format!("{origin}()"))
        ),
        (Lang::En, Sender::Kernel) => format!("{receiver} got {signal} from the kernel"),
        (Lang::Zh, Sender::Process { origin, sender }) => format!(
            "{receiver} 收到 {signal}，是 {sender} 用 {} 发来的",
            code(&format!("{origin}()"))
        ),
        (Lang::Zh, Sender::Kernel) => format!("{receiver} 收到内核发来的 {signal}"),
    }
}

/// "thread 4244 of sh(4243)": the receiver of a signal sent to one thread.
pub fn thread_of(lang: Lang, tid: i64, process: &str) -> String {
    match lang {
        Lang::En => format!("thread {tid} of {process}"),
        Lang::Zh => format!("{process} 的线程 {tid}"),
    }
}

/// How a process ended: its exit code, or the signal that killed it.
pub enum Death<'a> {
    Code(i64),
    Signal { name: &'a str, core: bool },
}

pub fn exited(lang: Lang, process: &str, death: &Death, lived_us: Option<u64>) -> String {
    let how = match (lang, death) {
        (Lang::En, Death::Code(code)) => format!("exited {code}"),
        (Lang::Zh, Death::Code(code)) => format!("以退出码 {code} 退出"),
        (Lang::En, Death::Signal { name, core: false }) => format!("killed by {}", bad(name)),
        (Lang::En, Death::Signal { name, core: true }) => {
            format!("killed by {} (core dumped)", bad(name))
        }
        (Lang::Zh, Death::Signal { name, core: false }) => format!("被 {} 杀死", bad(name)),
        (Lang::Zh, Death::Signal { name, core: true }) => {
            format!("被 {} 杀死（产生了 core dump）", bad(name))
        }
    };
    match (lang, lived_us) {
        (Lang::En, Some(lived)) => format!("{process} {how} after {}", duration(lived)),
        (Lang::En, None) => format!("{process} {how}"),
        (Lang::Zh, Some(lived)) => format!("{process} 运行了 {} 后{how}", duration(lived)),
        (Lang::Zh, None) => format!("{process} {how}"),
    }
}

/// Who took a zombie's exit status, from the `reaper` fact.
pub enum Reaper {
    Parent,
    Adopter,
    Procdemo,
    /// No wait took it: the parent ignores SIGCHLD.
    Kernel,
}

pub fn reaped(
    lang: Lang,
    reaper: &Reaper,
    by: &str,
    process: &str,
    call: Option<&str>,
    zombie_us: Option<u64>,
) -> String {
    let zombie = zombie_us.map(duration);
    let call = call.map(code);
    let role = match (lang, reaper) {
        (Lang::En, Reaper::Adopter) => " (its adopter)",
        (Lang::En, Reaper::Procdemo) => " (the subreaper)",
        (Lang::Zh, Reaper::Adopter) => "（收养者）",
        (Lang::Zh, Reaper::Procdemo) => "（subreaper）",
        _ => "",
    };
    match (lang, reaper) {
        (Lang::En, Reaper::Kernel) => {
            let after = zombie.map_or(String::new(), |time| format!(" after {time}"));
            format!("the kernel reaped {process}{after}: its parent {by} ignores SIGCHLD")
        }
        (Lang::Zh, Reaper::Kernel) => {
            let after = zombie.map_or(String::new(), |time| format!("，在它结束 {time} 之后"));
            format!("内核回收了 {process}{after}：它的父进程 {by} 忽略了 SIGCHLD")
        }
        (Lang::En, _) => {
            let with = call.map_or(String::new(), |call| format!(" with {call}"));
            let after = zombie.map_or(String::new(), |time| format!(" after {time} as a zombie"));
            format!("{by}{role} reaped {process}{with}{after}")
        }
        (Lang::Zh, _) => {
            let with = call.map_or(String::new(), |call| format!("用 {call} "));
            let after = zombie.map_or(String::new(), |time| format!("，它当了 {time} 的僵尸进程"));
            // A space between a name and the Chinese after it, none after `）`.
            let space = if role.is_empty() { " " } else { "" };
            format!("{by}{role}{space}{with}回收了 {process}{after}")
        }
    }
}

pub fn adopted(
    lang: Lang,
    orphan: &str,
    old: &str,
    new: &str,
    by_procdemo: bool,
    zombie: bool,
) -> String {
    let subreaper = match (lang, by_procdemo) {
        (Lang::En, true) => ", the subreaper",
        (Lang::Zh, true) => "（subreaper）",
        (Lang::Zh, false) => " ",
        _ => "",
    };
    match (lang, zombie) {
        (Lang::En, false) => {
            format!("{orphan} is an orphan: its parent {old} ended; adopted by {new}{subreaper}")
        }
        (Lang::En, true) => format!(
            "{orphan}, already a {}, is an orphan: its parent {old} ended; adopted by {new}{subreaper}",
            bad("zombie")
        ),
        (Lang::Zh, false) => {
            format!("{orphan} 成了孤儿进程：父进程 {old} 已经结束；由 {new}{subreaper}收养")
        }
        (Lang::Zh, true) => format!(
            "{orphan} 已经是{}，又成了孤儿进程：父进程 {old} 已经结束；由 {new}{subreaper}收养",
            bad("僵尸进程")
        ),
    }
}

/// A process left after the first one ended; a zombie is marked as `ps` marks it.
pub fn left(process: &str, zombie: bool) -> String {
    if zombie {
        format!("{process} {}", bad("<defunct>"))
    } else {
        process.to_string()
    }
}

/// The processes left when the first one ended (`count` of them), and
/// what procdemo does about them.
pub fn remaining(lang: Lang, processes: &str, count: usize, killed: bool) -> String {
    let one = count == 1;
    match (lang, killed) {
        (Lang::En, false) => format!(
            "The first process has ended; still here: {processes}; procdemo leaves {} be (--kill-remaining would end {})",
            if one { "it" } else { "them" },
            if one { "it" } else { "them" },
        ),
        (Lang::En, true) => format!(
            "The first process has ended; still here: {processes}; --kill-remaining: procdemo sends {} SIGKILL",
            if one { "it" } else { "each" },
        ),
        (Lang::Zh, false) => format!(
            "第一个进程已经结束，还在的进程：{processes}；procdemo 不去结束{}（加 --kill-remaining 才会）",
            if one { "它" } else { "它们" },
        ),
        (Lang::Zh, true) => format!(
            "第一个进程已经结束，还在的进程：{processes}；因为加了 --kill-remaining，procdemo 向{}发送 SIGKILL",
            if one { "它" } else { "每一个" },
        ),
    }
}

pub fn stopped(lang: Lang, signal: &str, left: &str, status: i64) -> String {
    match lang {
        Lang::En => format!(
            "procdemo got {signal} and stopped observing; no longer traced, still running: {left}; procdemo exits {status}"
        ),
        Lang::Zh => format!(
            "procdemo 收到 {signal}，不再观察；这些进程不再被跟踪，仍在运行：{left}；procdemo 的退出状态是 {status}"
        ),
    }
}

pub fn nothing(lang: Lang) -> &'static str {
    super::none(lang)
}

/// The headings of the ending.
pub fn tree_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The processes of this run",
        Lang::Zh => "这次运行的进程",
    }
}

pub fn timeline_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Timeline",
        Lang::Zh => "时间线",
    }
}

pub fn channels_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Pipes and sockets shared",
        Lang::Zh => "共享的管道和套接字",
    }
}

pub fn summary_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Summary",
        Lang::Zh => "小结",
    }
}

/// One shared channel: "pipe 123: sh(1) fd 1 (write end); sort(2) fd 0 (read end)".
pub fn shared(lang: Lang, channel: &str, holders: &str) -> String {
    match lang {
        Lang::En => format!("{channel}: {holders}"),
        Lang::Zh => format!("{channel}：{holders}"),
    }
}

/// A process and the descriptors it holds one channel by.
pub fn holder(lang: Lang, process: &str, descriptors: &[String]) -> String {
    let descriptors = descriptors.join(super::list_separator(lang));
    match lang {
        Lang::En => format!("{process} {descriptors}"),
        Lang::Zh => format!("{process} 的 {descriptors}"),
    }
}

/// "fd 3 (read end)".
pub fn descriptor(lang: Lang, fd: i64, access: &str) -> String {
    match lang {
        Lang::En => format!("fd {fd} ({access})"),
        Lang::Zh => format!("fd {fd}（{access}）"),
    }
}

/// The counts of the summary.
pub struct Counts {
    pub processes: u64,
    pub threads: u64,
    pub programs: u64,
    pub exec_failures: u64,
    pub signals: u64,
    pub zombies: u64,
    pub zombie_us_max: u64,
    pub orphans: u64,
}

pub fn counts(lang: Lang, counts: &Counts) -> Vec<String> {
    let Counts {
        processes,
        threads,
        programs,
        exec_failures,
        signals,
        zombies,
        zombie_us_max,
        orphans,
    } = *counts;
    match lang {
        Lang::En => vec![
            format!(
                "{}, {}, {} run, {}, {} delivered (SIGCHLD counted too).",
                count(lang, processes, "process", "processes", ""),
                count(lang, threads, "extra thread", "extra threads", ""),
                count(lang, programs, "program", "programs", ""),
                count(lang, exec_failures, "failed exec", "failed execs", ""),
                count(lang, signals, "signal", "signals", ""),
            ),
            match zombies {
                0 => format!(
                    "No zombie; {} adopted.",
                    count(lang, orphans, "orphan", "orphans", "")
                ),
                _ => format!(
                    "{}, the longest for {}; {} adopted.",
                    count(lang, zombies, "zombie", "zombies", ""),
                    duration(zombie_us_max),
                    count(lang, orphans, "orphan", "orphans", "")
                ),
            },
        ],
        Lang::Zh => vec![
            format!(
                "共 {processes} 个进程，另外新建了 {threads} 个线程，成功 exec 了 {programs} 次，失败 {exec_failures} 次，递送了 {signals} 个信号（SIGCHLD 也算在内）。"
            ),
            match zombies {
                0 => format!("没有僵尸进程；收养了 {orphans} 个孤儿进程。"),
                _ => format!(
                    "{zombies} 个进程当过僵尸进程，最长的一个当了 {}；收养了 {orphans} 个孤儿进程。",
                    duration(zombie_us_max)
                ),
            },
        ],
    }
}

pub fn never_reaped(lang: Lang, processes: Option<&str>) -> String {
    match (lang, processes) {
        (Lang::En, None) => "Every process that ended was reaped by its own parent.".to_string(),
        (Lang::En, Some(processes)) => format!("Not reaped by their own parent: {processes}."),
        (Lang::Zh, None) => "每个结束了的进程都由自己的父进程回收。".to_string(),
        (Lang::Zh, Some(processes)) => format!("没有被自己的父进程回收的：{processes}。"),
    }
}

pub fn still_running(lang: Lang, processes: Option<&str>) -> String {
    match (lang, processes) {
        (Lang::En, None) => "Nothing of the program is left running.".to_string(),
        (Lang::En, Some(processes)) => format!("Left running: {processes}."),
        (Lang::Zh, None) => "程序没有留下还在运行的进程。".to_string(),
        (Lang::Zh, Some(processes)) => format!("仍在运行的：{processes}。"),
    }
}

pub fn first_ended(lang: Lang, process: &str, ending: &str, status: i64) -> String {
    match lang {
        Lang::En => format!("The first process, {process}: {ending}; procdemo exits {status}."),
        Lang::Zh => format!("第一个进程 {process}：{ending}；procdemo 的退出状态是 {status}。"),
    }
}

/// The kinds of event taught once, each with the lesson that says more.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lesson {
    Fork,
    Vfork,
    Clone,
    Thread,
    Exec,
    ExecFailed,
    PathSearch,
    Zombie,
    ReapedByParent,
    ReapedByAdopter,
    ReapedByKernel,
    Orphan,
    Pipe,
    Socket,
    Signal,
}

impl Lesson {
    /// Lessons that teach the same thing are taught once between them.
    pub fn topic(self) -> &'static str {
        match self {
            Lesson::Fork | Lesson::Vfork | Lesson::Clone => "created",
            Lesson::ReapedByParent | Lesson::ReapedByAdopter | Lesson::ReapedByKernel => "reaped",
            Lesson::Thread => "thread",
            Lesson::Exec => "exec",
            Lesson::ExecFailed => "exec-failed",
            Lesson::PathSearch => "path-search",
            Lesson::Zombie => "zombie",
            Lesson::Orphan => "orphan",
            Lesson::Pipe => "pipe",
            Lesson::Socket => "socket",
            Lesson::Signal => "signal",
        }
    }
}

/// One sentence of teaching, and the lesson to run for more.
pub fn teach(lang: Lang, lesson: Lesson) -> String {
    let (sentence, more) = match (lang, lesson) {
        (Lang::En, Lesson::Fork) => (
            "fork() copies the running process: both copies carry on from the same line, and each tells which it is by what fork() returned, the child's pid in the parent and 0 in the child.",
            "fork",
        ),
        (Lang::En, Lesson::Vfork) => (
            "vfork() makes a child that borrows its parent's memory; the parent waits until the child runs a program (exec) or exits, which makes it cheaper than fork() when a program comes next.",
            "exec",
        ),
        (Lang::En, Lesson::Clone) => (
            "clone() is the system call behind fork() and threads; here it made a process of its own, a child that returned 0 while its parent got its pid.",
            "fork",
        ),
        (Lang::En, Lesson::Thread) => (
            "A thread is another line of execution inside the same process: same pid, same memory; it is shown here as a thread of its process, not as a process.",
            "threads",
        ),
        (Lang::En, Lesson::Exec) => (
            "exec replaces the program a process runs and keeps the process: the same pid, the same parent, and every descriptor not marked close-on-exec.",
            "exec",
        ),
        (Lang::En, Lesson::ExecFailed) => (
            "A failed exec changes nothing: the call returns an error and the process goes on running the program it had.",
            "exec",
        ),
        (Lang::En, Lesson::PathSearch) => (
            "The same name tried in one directory after another is a search along PATH: a program named without a slash is looked for this way, and each miss is one failed exec.",
            "exec",
        ),
        (Lang::En, Lesson::Zombie) => (
            "An ended process keeps its entry in the process table, its pid and exit status, as a zombie until it is reaped.",
            "zombie",
        ),
        (Lang::En, Lesson::ReapedByParent) => (
            "Reaping is the parent's wait call taking a zombie's exit status: only then does the entry go.",
            "zombie",
        ),
        (Lang::En, Lesson::ReapedByAdopter) => (
            "A process whose parent has ended is reaped by its adopter, which waits for it as a parent would.",
            "orphan",
        ),
        (Lang::En, Lesson::ReapedByKernel) => (
            "A parent that ignores SIGCHLD tells the kernel to reap its children itself: no wait call, and no zombie left.",
            "zombie",
        ),
        (Lang::En, Lesson::Orphan) => (
            "A process whose parent ends is adopted by the nearest subreaper ancestor, or by pid 1 when there is none; the adopter is the one that reaps it.",
            "orphan",
        ),
        (Lang::En, Lesson::Pipe) => (
            "A pipe is a buffer in the kernel with a write end and a read end; a child inherits its parent's descriptors, so both hold the same pipe (the same inode) until one closes its end.",
            "pipe",
        ),
        (Lang::En, Lesson::Socket) => (
            "A socket is a channel that carries bytes both ways; a child inherits its parent's descriptors, so both hold the same socket (the same inode).",
            "ipc",
        ),
        (Lang::En, Lesson::Signal) => (
            "A signal is a small number the kernel delivers to a process: by default it ends, stops or resumes it, or a handler runs instead.",
            "signals",
        ),
        (Lang::Zh, Lesson::Fork) => (
            "fork() 把正在运行的进程复制一份，两份都从同一行继续往下执行；各自靠 fork() 的返回值分辨自己是谁：父进程拿到子进程的 PID，子进程拿到 0。",
            "fork",
        ),
        (Lang::Zh, Lesson::Vfork) => (
            "vfork() 创建的子进程借用父进程的内存；父进程一直等到子进程运行新程序（exec）或者退出，所以接下来要运行别的程序时，它比 fork() 开销小。",
            "exec",
        ),
        (Lang::Zh, Lesson::Clone) => (
            "clone() 是 fork() 和线程背后的系统调用；这一次它创建的是一个独立的进程：子进程拿到 0，父进程拿到它的 PID。",
            "fork",
        ),
        (Lang::Zh, Lesson::Thread) => (
            "线程是同一个进程里的又一条执行流：PID 相同，内存共享；所以这里把它算作所属进程的线程，而不是一个新进程。",
            "threads",
        ),
        (Lang::Zh, Lesson::Exec) => (
            "exec 换掉的是进程运行的程序，进程还是原来那个：PID 不变，父进程不变，没有标记 close-on-exec 的文件描述符也都还在。",
            "exec",
        ),
        (Lang::Zh, Lesson::ExecFailed) => (
            "exec 失败时什么也不会改变：调用返回一个错误，进程接着运行原来的程序。",
            "exec",
        ),
        (Lang::Zh, Lesson::PathSearch) => (
            "同一个名字在一个又一个目录里尝试，这是在沿着 PATH 找程序：不带斜杠的程序名就是这样查找的，每落空一次就是一次失败的 exec。",
            "exec",
        ),
        (Lang::Zh, Lesson::Zombie) => (
            "进程结束以后，它在进程表里的那一项（PID 和退出状态）还留着：在被回收之前，它是一个僵尸进程。",
            "zombie",
        ),
        (Lang::Zh, Lesson::ReapedByParent) => (
            "回收就是父进程调用 wait 系列函数，取走僵尸进程的退出状态；直到这时，进程表里的那一项才会消失。",
            "zombie",
        ),
        (Lang::Zh, Lesson::ReapedByAdopter) => (
            "父进程已经结束的进程，由收养它的进程来回收：收养者像父进程一样等待它。",
            "orphan",
        ),
        (Lang::Zh, Lesson::ReapedByKernel) => (
            "父进程把 SIGCHLD 设为忽略，就等于让内核替它回收子进程：不用调用 wait，也不会留下僵尸进程。",
            "zombie",
        ),
        (Lang::Zh, Lesson::Orphan) => (
            "父进程先结束的进程会被收养：收养者是离它最近的 subreaper 祖先，没有的话就是 PID 1；之后由收养者回收它。",
            "orphan",
        ),
        (Lang::Zh, Lesson::Pipe) => (
            "管道是内核里的一块缓冲区，一头是写端，一头是读端；子进程继承父进程的文件描述符，所以两个进程拿着同一个管道（inode 相同），直到一方关掉自己那一头。",
            "pipe",
        ),
        (Lang::Zh, Lesson::Socket) => (
            "套接字是一条双向传送字节的通道；子进程继承父进程的文件描述符，所以两个进程拿着同一个套接字（inode 相同）。",
            "ipc",
        ),
        (Lang::Zh, Lesson::Signal) => (
            "信号是内核送给进程的一个小小的数字：默认动作是结束、暂停或继续这个进程，也可以改为运行一个处理函数。",
            "signals",
        ),
    };
    let command = code(&format!("procdemo {more}"));
    match lang {
        Lang::En => format!("{sentence} More: {command}"),
        Lang::Zh => format!("{sentence}想了解更多，请运行 {command}。"),
    }
}
