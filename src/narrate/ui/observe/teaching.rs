//! One sentence of teaching for each kind of event, and the lesson to run
//! for more.

use super::{code, whole};

const ZH_TERMS: [&str; 4] = ["读端", "写端", "僵尸进程", "孤儿进程"];
use crate::model::Lang;

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
            "A socket is an endpoint for two-way communication (a listening one accepts connections); a child inherits its parent's descriptors, so both hold the same socket (the same inode).",
            "ipc",
        ),
        (Lang::En, Lesson::Signal) => (
            "A signal is a small number the kernel delivers to a process: by default it ends, stops or resumes it, or is ignored (SIGCHLD); a handler can run instead.",
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
            "套接字是双向通信的端点（监听套接字用来接受连接）；子进程继承父进程的文件描述符，所以两个进程拿着同一个套接字（inode 相同）。",
            "ipc",
        ),
        (Lang::Zh, Lesson::Signal) => (
            "信号是内核送给进程的一个小小的数字：默认动作是结束、暂停、继续这个进程，或者忽略（如 SIGCHLD）；也可以改为运行一个处理函数。",
            "signals",
        ),
    };
    let command = whole(&code(&format!("procdemo {more}")));
    match lang {
        Lang::En => format!("{sentence} More: {command}"),
        Lang::Zh => {
            // Terms that read wrong when a line breaks inside them.
            let sentence = ZH_TERMS.iter().fold(sentence.to_string(), |said, term| {
                said.replace(term, &whole(term))
            });
            format!("{sentence}{}，请运行 {command}。", whole("想了解更多"))
        }
    }
}
