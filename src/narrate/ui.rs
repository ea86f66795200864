//! The words procdemo itself says around the lesson text, in each language.

use crate::cli::Lang;

pub fn python_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "In Python",
        Lang::Zh => "Python 里的写法",
    }
}

pub fn os_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What the OS does",
        Lang::Zh => "操作系统实际做的事",
    }
}

pub fn step_of(lang: Lang, position: usize, total: usize) -> String {
    match lang {
        Lang::En => format!("step {position} of {total}"),
        Lang::Zh => format!("第 {position} 步 / 共 {total} 步"),
    }
}

pub fn back_to(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "back to",
        Lang::Zh => "回到",
    }
}

pub fn prompt(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Enter: next step · q then Enter: end the lesson",
        Lang::Zh => "回车：下一步 · 输入 q 再回车：结束本课",
    }
}

pub fn step_needs_terminal(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "--step waits for Enter on a terminal, and stdin is not one: running without pauses."
        }
        Lang::Zh => "--step 需要在终端里按回车，但标准输入不是终端：本次不暂停，直接运行。",
    }
}

pub fn what_ran(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What ran in this lesson",
        Lang::Zh => "本课运行过的进程",
    }
}

pub fn summary(lang: Lang, started: u64, reaped: u64) -> String {
    match lang {
        Lang::En => format!(
            "{started} process(es) started, {reaped} reaped; nothing of this lesson is left running."
        ),
        Lang::Zh => format!("共启动 {started} 个进程，回收 {reaped} 个；本课没有留下任何进程。"),
    }
}

pub fn interrupted(lang: Lang, signal: &str, reaped: u64) -> String {
    match lang {
        Lang::En => format!(
            "procdemo: lesson interrupted by {signal}; stopped and reaped {reaped} process(es), nothing is left running."
        ),
        Lang::Zh => format!(
            "procdemo：课程被 {signal} 中断；已结束并回收 {reaped} 个进程，没有留下任何进程。"
        ),
    }
}

pub fn quit(lang: Lang, reaped: u64) -> String {
    match lang {
        Lang::En => {
            format!("Lesson ended at your request; stopped and reaped {reaped} process(es).")
        }
        Lang::Zh => format!("按你的要求结束本课；已结束并回收 {reaped} 个进程。"),
    }
}

pub fn failed(lang: Lang, error: &str, reaped: u64) -> String {
    match lang {
        Lang::En => format!(
            "procdemo: the lesson failed: {error}\n(stopped and reaped {reaped} process(es); nothing is left running)"
        ),
        Lang::Zh => format!(
            "procdemo：课程出错：{error}\n（已结束并回收 {reaped} 个进程，没有留下任何进程）"
        ),
    }
}

/// A role, or a fact whose value is one of procdemo's fixed words, in the
/// reader's language; anything else unchanged.
pub fn word(lang: Lang, word: &str) -> String {
    let translated = match (lang, word) {
        (Lang::Zh, "parent") => "父进程",
        (Lang::Zh, "child") => "子进程",
        (Lang::Zh, "grandchild") => "孙进程",
        (Lang::Zh, "adopted") => "被收养的进程",
        (Lang::Zh, "daemonic") => "daemon=True 的子进程",
        (Lang::Zh, "non-daemonic") => "非 daemon 的子进程",
        (Lang::Zh, "daemon") => "Unix 守护进程",
        (Lang::Zh, "producer") => "生产者",
        (Lang::Zh, "consumer") => "消费者",
        (Lang::Zh, "writer") => "写进程",
        (Lang::Zh, "reader") => "读进程",
        (Lang::Zh, "spawned") => "spawn 出来的子进程",
        (Lang::Zh, "adder") => "加法进程",
        (Lang::Zh, "killed") => "被杀死",
        (Lang::Zh, "worker") => "工作进程",
        (Lang::Zh, "semaphore value") => "信号量的值",
        (Lang::Zh, "buffer fill") => "缓冲区里的数据项",
        (Lang::Zh, "tie") => "同一微秒，不分先后",
        (Lang::Zh, "target returns") => "target 函数正常返回",
        (Lang::Zh, "uncaught exception") => "抛出未捕获的异常",
        (Lang::En, "tie") => "both in the same microsecond",
        _ => word,
    };
    translated.to_string()
}

/// A state in a timeline's legend.
pub fn span_state(lang: Lang, state: &str) -> String {
    let words = match (lang, state) {
        (Lang::En, "wait") => "waiting",
        (Lang::En, "hold") => "holding the lock",
        (Lang::En, "inside") => "inside (has a permit)",
        (Lang::En, "run") => "running",
        (Lang::En, "task") => "a task (its number when it fits)",
        (Lang::Zh, "task") => "一个任务（放得下时标出编号）",
        (Lang::Zh, "run") => "运行中",
        (Lang::Zh, "wait") => "等待",
        (Lang::Zh, "hold") => "持有锁",
        (Lang::Zh, "inside") => "在里面（拿到了许可）",
        _ => state,
    };
    words.to_string()
}

/// Who an event came from: the process's own id…
pub fn pid_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "pid",
        Lang::Zh => "PID",
    }
}

/// …and its parent's.
pub fn ppid_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "ppid",
        Lang::Zh => "它的父进程",
    }
}

/// After the size of a list shown in part.
pub fn in_all(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "in all",
        Lang::Zh => "个，只列出前面的",
    }
}

/// An empty list of facts.
pub fn none(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "none",
        Lang::Zh => "无",
    }
}

pub fn yes_no(lang: Lang, value: bool) -> &'static str {
    match (lang, value) {
        (Lang::En, true) => "yes",
        (Lang::En, false) => "no",
        (Lang::Zh, true) => "是",
        (Lang::Zh, false) => "否",
    }
}

/// How a process ended, from the `exit_code`/`signal` facts of a tree node.
pub fn ending(lang: Lang, exit_code: Option<i64>, signal: Option<&str>) -> Option<String> {
    match (lang, exit_code, signal) {
        (Lang::En, Some(code), _) => Some(format!("exited {code}, reaped")),
        (Lang::Zh, Some(code), _) => Some(format!("退出码 {code}，已回收")),
        (Lang::En, None, Some(signal)) => Some(format!("killed by {signal}, reaped")),
        (Lang::Zh, None, Some(signal)) => Some(format!("被 {signal} 杀死，已回收")),
        (_, None, None) => None,
    }
}
