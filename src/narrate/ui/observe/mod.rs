//! The words of `procdemo observe`, in each language: one line per event
//! and, the first time a kind of event appears, one sentence of teaching.
//!
//! Every piece of text comes back with marks that `narrate::observe` turns
//! into looks: [`BOLD`] around a process's name, [`CODE`] around a call, a
//! command or a lesson to run, [`BAD`] around an ending. Values from the run
//! are given here already cleaned of the marks.

mod ending;
mod ends;
mod teaching;

pub use ending::*;
pub use ends::*;
pub use teaching::*;

use crate::model::Lang;

/// Toggles bold: a process, `name(pid)`.
pub const BOLD: char = '\u{E000}';
/// Toggles the code look: calls, commands, argv, paths.
pub const CODE: char = '\u{E001}';
/// Toggles the look of a death, a zombie, a failure.
pub const BAD: char = '\u{E002}';
/// Toggles a unit kept on one line: "fd 3", "pipe 123", "5.0 ms".
pub const WHOLE: char = '\u{E003}';

/// An event whose facts do not read as its step's report: said so, plainly.
pub fn unread(lang: Lang, step: &str, error: &str) -> String {
    match lang {
        Lang::En => format!("procdemo: the facts of step {step} do not read: {error}"),
        Lang::Zh => format!("procdemo：步骤 {step} 的事实读不出来：{error}"),
    }
}

/// `name(pid)`, as pstree names a process.
pub fn process(name: &str, pid: i64) -> String {
    format!("{BOLD}{name}({pid}){BOLD}")
}

/// In place of what `/proc` did not give.
pub fn not_read(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(unreadable)",
        Lang::Zh => "（读不到）",
    }
}

/// A process procdemo has not seen start (a sender from outside the run).
pub fn unnamed(lang: Lang, pid: i64) -> String {
    format!("{BOLD}{} {pid}{BOLD}", crate::narrate::ui::pid_word(lang))
}

fn code(text: &str) -> String {
    format!("{CODE}{text}{CODE}")
}

fn bad(text: &str) -> String {
    format!("{BAD}{text}{BAD}")
}

fn whole(text: &str) -> String {
    format!("{WHOLE}{text}{WHOLE}")
}

/// A length of time kept on one line.
pub fn span(us: u64) -> String {
    whole(&duration(us))
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
        // No line starts with the `…`.
        Lang::En => format!(",\u{a0}… ({count} in all)"),
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
            "{procdemo} observes {command} (running {program}), first process {main}; procdemo is the subreaper: orphans come to it"
        ),
        (Lang::En, false) => {
            format!("{procdemo} observes {command} (running {program}), first process {main}")
        }
        (Lang::Zh, true) => format!(
            "{procdemo} 观察 {command}（运行的是 {program}），第一个进程是 {main}；procdemo 是 subreaper，孤儿进程都由它收养"
        ),
        (Lang::Zh, false) => {
            format!("{procdemo} 观察 {command}（运行的是 {program}），第一个进程是 {main}")
        }
    }
}

/// What multiprocessing's helper processes do, said the first time one comes.
pub fn python_helper(lang: Lang, role: &str) -> Option<&'static str> {
    Some(match (lang, role) {
        (Lang::En, "resource-tracker") => {
            "multiprocessing's resource tracker: a helper process that unlinks the named semaphores and shared memory a program leaves behind (under spawn or forkserver the first lock, queue or child starts it; under any start method, shared_memory does); it ends when every process of the program has closed its pipe to it"
        }
        (Lang::En, "forkserver") => {
            "multiprocessing's forkserver: a clean Python that forks each new worker on request"
        }
        (Lang::Zh, "resource-tracker") => {
            "multiprocessing 的资源跟踪进程：负责清理程序遗留的具名信号量和共享内存的辅助进程（spawn 或 forkserver 方式下，第一个锁、队列或子进程会启动它；任何启动方式下，用 shared_memory 也会启动它）；程序的所有进程都关掉通往它的管道后，它就退出"
        }
        (Lang::Zh, "forkserver") => {
            "multiprocessing 的 forkserver：一个干净的 Python 进程，按请求 fork 出每个工作进程"
        }
        _ => return None,
    })
}

/// What multiprocessing made of a process, from the `python` fact.
pub fn python_role(lang: Lang, role: &str) -> Option<&'static str> {
    Some(match (lang, role) {
        (Lang::En, "resource-tracker") => "multiprocessing's resource tracker",
        (Lang::En, "forkserver") => "multiprocessing's forkserver",
        (Lang::En, "spawn-child") => "started by multiprocessing's spawn start method",
        (Lang::En, "forkserver-child") => "a worker forked by multiprocessing's forkserver",
        (Lang::En, "fork-child") => {
            "a forked copy of this Python process (os.fork(), the fork start method, or subprocess)"
        }
        (Lang::Zh, "resource-tracker") => "multiprocessing 的资源跟踪进程（resource tracker）",
        (Lang::Zh, "forkserver") => "multiprocessing 的 forkserver 服务进程",
        (Lang::Zh, "spawn-child") => "由 multiprocessing 的 spawn 启动方式启动",
        (Lang::Zh, "forkserver-child") => "由 multiprocessing 的 forkserver fork 出来的工作进程",
        (Lang::Zh, "fork-child") => {
            "fork 出来的 Python 副本（os.fork()、fork 启动方式或 subprocess）"
        }
        _ => return None,
    })
}

/// After a line, what multiprocessing made of the process.
pub fn as_python(lang: Lang, role: &str) -> String {
    match lang {
        // No line starts with the dash.
        Lang::En => format!("\u{a0}— {role}"),
        Lang::Zh => format!("\u{2060}——{role}"),
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
        (Lang::En, Some(parent), None) => format!(
            ": {called} returned {parent} in the parent; the child was {} before it ran",
            bad("killed")
        ),
        (Lang::Zh, Some(parent), None) => format!(
            "：{called} 在父进程里返回 {parent}；子进程还没运行就被{}",
            bad("杀死了")
        ),
        (Lang::En, None, None) => format!("; the child was {} before it ran", bad("killed")),
        (Lang::Zh, None, None) => format!("；子进程还没运行就被{}", bad("杀死了")),
        (_, None, Some(_)) => String::new(),
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
pub fn thread(lang: Lang, process: &str, tid: i64, started: bool, threads: u32) -> String {
    let threads = u64::from(threads);
    match (lang, started) {
        (Lang::En, true) => format!(
            "{process} started thread {tid}: {} in the process now",
            count(lang, threads, "thread", "threads", "线程")
        ),
        (Lang::En, false) => format!(
            "{process}: thread {tid} ended, {} left",
            count(lang, threads, "thread", "threads", "线程")
        ),
        (Lang::Zh, true) => format!("{process} 新建了线程 {tid}：这个进程现在有 {threads} 个线程"),
        (Lang::Zh, false) => format!("{process} 的线程 {tid} 结束了，还剩 {threads} 个线程"),
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

/// When a process's descriptors were read, from the `at` fact; `None`
/// for a value the contract does not have. `past` for the ending, which
/// looks back on the run.
pub fn channels_at(lang: Lang, at: &str, past: bool) -> Option<&'static str> {
    Some(match (lang, at, past) {
        (Lang::En, "fork", _) => "after its fork",
        (Lang::En, "exec", _) => "after its exec",
        (Lang::En, "forked", false) => "as it forks a child",
        (Lang::En, "forked", true) => "as it forked a child",
        (Lang::Zh, "fork", _) => "fork 之后",
        (Lang::Zh, "exec", _) => "exec 之后",
        (Lang::Zh, "forked", _) => "fork 子进程时",
        _ => return None,
    })
}

/// "pipe 123", "socket 456": a channel by its inode, as `/proc/<pid>/fd` names it.
pub fn channel(lang: Lang, kind: &str, inode: u64) -> String {
    whole(&match (lang, kind) {
        (Lang::En, kind) => format!("{kind} {inode}"),
        (Lang::Zh, "pipe") => format!("管道 {inode}"),
        (Lang::Zh, "socket") => format!("套接字 {inode}"),
        (Lang::Zh, other) => format!("{other} {inode}"),
    })
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
        Lang::En => format!(
            "{} → {channel} {}",
            whole(&format!("fd {fd}")),
            whole(&format!("({access})"))
        ),
        Lang::Zh => format!(
            "{} → {channel}{}",
            whole(&format!("fd {fd}")),
            whole(&format!("（{access}）"))
        ),
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
    /// The kernel, for a write to a pipe or socket nobody reads any more.
    Pipe,
}

/// `python`: the receiver runs Python, which ignores SIGPIPE from its start.
pub fn signal(
    lang: Lang,
    receiver: &str,
    signal: &str,
    from: &Sender,
    ignored: bool,
    python: bool,
) -> String {
    let mut said = sent(lang, receiver, signal, from);
    if let Sender::Kernel = from {
        said.push_str(terminal(lang, signal));
    }
    match (lang, ignored, from) {
        (_, false, _) => said,
        // The write that raised it fails instead.
        (Lang::En, true, Sender::Pipe) => format!(
            "{said}; it ignores SIGPIPE, so a write that raised it fails with EPIPE instead{}",
            if python {
                " (Python sets SIGPIPE to be ignored as it starts; such a write raises BrokenPipeError)"
            } else {
                ""
            }
        ),
        (Lang::Zh, true, Sender::Pipe) => format!(
            "{said}；它忽略 SIGPIPE，所以引发它的那次写入会改为以 EPIPE 失败{}",
            if python {
                "（Python 启动时就把 SIGPIPE 设为忽略，这样的写入会抛出 BrokenPipeError）"
            } else {
                ""
            }
        ),
        (Lang::En, true, _) => format!("{said}; it ignores it: nothing happens"),
        (Lang::Zh, true, _) => format!("{said}；它忽略这个信号，什么也不会发生"),
    }
}

/// The keys of the terminal that make the kernel send `signal`.
fn terminal(lang: Lang, signal: &str) -> &'static str {
    match (lang, signal) {
        (Lang::En, "SIGINT") => " (the terminal: Ctrl-C)",
        (Lang::En, "SIGQUIT") => " (the terminal: Ctrl-\\)",
        (Lang::En, "SIGTSTP") => " (the terminal: Ctrl-Z)",
        (Lang::Zh, "SIGINT") => "（是终端上的 Ctrl-C）",
        (Lang::Zh, "SIGQUIT") => "（是终端上的 Ctrl-\\）",
        (Lang::Zh, "SIGTSTP") => "（是终端上的 Ctrl-Z）",
        _ => "",
    }
}

/// After a Python's SIGINT to itself that follows the terminal's.
pub fn keyboard_interrupt(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "\u{a0}— Python (3.8+) ends an uncaught KeyboardInterrupt this way, so its parent sees it killed by SIGINT"
        }
        Lang::Zh => {
            "\u{2060}——Python（3.8 起）用这种方式结束未捕获的 KeyboardInterrupt，好让父进程看到它是被 SIGINT 杀死的"
        }
    }
}

fn sent(lang: Lang, receiver: &str, signal: &str, from: &Sender) -> String {
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
        (Lang::En, Sender::Pipe) => format!(
            "{receiver} got {signal}, marked as sent by itself: that is how the kernel sends it to a process that writes to a pipe or socket nobody reads any more (a kill() it sends itself looks the same)"
        ),
        (Lang::Zh, Sender::Pipe) => format!(
            "{receiver} 收到 {signal}，标记为它自己发的：进程往一个已经没有读者的管道或套接字里写数据时，内核就是这样发出 SIGPIPE 的（如果它用 kill() 给自己发，看起来也一样）"
        ),
        (Lang::Zh, Sender::Process { origin, sender }) => format!(
            "{receiver} 收到 {signal}，是 {sender} 用 {} 发来的",
            code(&format!("{origin}()"))
        ),
        (Lang::Zh, Sender::Kernel) => format!("{receiver} 收到内核发来的 {signal}"),
    }
}

/// The program's first process before its exec: procdemo's own child.
pub fn first_child(lang: Lang, pid: i64) -> String {
    match lang {
        Lang::En => format!("{BOLD}procdemo's child({pid}){BOLD}"),
        Lang::Zh => format!("{BOLD}procdemo 的子进程({pid}){BOLD}"),
    }
}

/// "thread 4244 of sh(4243)": the receiver of a signal sent to one thread.
pub fn thread_of(lang: Lang, tid: i64, process: &str) -> String {
    match lang {
        Lang::En => format!("thread {tid} of {process}"),
        Lang::Zh => format!("{process} 的线程 {tid}"),
    }
}
