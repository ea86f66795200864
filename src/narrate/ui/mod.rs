//! The words procdemo itself says around the lesson text, in each language.

pub mod cli;
mod course;
pub mod observe;

pub use course::*;

use crate::model::Lang;
use crate::text::LessonText;

/// The heading of a Python block: a whole program, or a piece of one.
pub fn python_heading(lang: Lang, fragment: bool) -> &'static str {
    match (lang, fragment) {
        (Lang::En, false) => "In Python (a whole program: --python prints them all)",
        (Lang::En, true) => "In Python (a fragment)",
        (Lang::Zh, false) => "Python 里的写法（完整的程序：加 --python 可以全部导出）",
        (Lang::Zh, true) => "Python 里的写法（程序片段）",
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

/// At the foot of a screenful of a step taller than the screen.
pub fn more_prompt(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "more: Enter or space · q: end the lesson",
        Lang::Zh => "未完：回车或空格继续 · q：结束本课",
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

/// `count` and its English noun: "1 process", "2 processes". Chinese
/// needs no such thing: the measure word goes with any count ("1 个进程").
fn english_count(count: impl Into<u64>, one: &str, many: &str) -> String {
    let count = count.into();
    let noun = if count == 1 { one } else { many };
    format!("{count} {noun}")
}

fn processes(count: u64) -> String {
    english_count(count, "process", "processes")
}

/// The end of a lesson: besides the `started` the tree shows, `measured`
/// processes were timed (each started and reaped at once) and `ps` ran
/// `ps_runs` times.
pub fn summary(lang: Lang, started: u64, reaped: u64, measured: u64, ps_runs: u64) -> String {
    let ps = |lang| match (lang, ps_runs) {
        (Lang::En, 1) => "1 run of ps".to_string(),
        (Lang::En, runs) => format!("{runs} runs of ps"),
        (Lang::Zh, runs) => format!("运行了 {runs} 次 ps"),
    };
    let aside = match (lang, measured, ps_runs) {
        (_, 0, 0) => String::new(),
        (Lang::En, 0, _) => format!(", and {}", ps(lang)),
        (Lang::En, _, 0) => format!(", and {measured} more started and reaped to be timed"),
        (Lang::En, _, _) => format!(
            ", {measured} more started and reaped to be timed, and {}",
            ps(lang)
        ),
        (Lang::Zh, 0, _) => format!("；另外{}", ps(lang)),
        (Lang::Zh, _, 0) => format!("；为了计时，另外启动并回收了 {measured} 个"),
        (Lang::Zh, _, _) => format!("；为了计时，另外启动并回收了 {measured} 个，还{}", ps(lang)),
    };
    match lang {
        Lang::En => format!(
            "{} started, {reaped} reaped{aside}; nothing of this lesson is left running.",
            processes(started)
        ),
        Lang::Zh => {
            format!("共启动 {started} 个进程，回收 {reaped} 个{aside}；本课没有留下任何进程。")
        }
    }
}

/// What a lesson stopped early left: every process it started reaped (the
/// count is of the whole lesson: most had ended before the stop).
pub fn cleaned_up(lang: Lang, reaped: u64) -> String {
    match lang {
        Lang::En => format!(
            "{} reaped in all, nothing is left running.",
            processes(reaped)
        ),
        Lang::Zh => format!("共回收 {reaped} 个进程，没有留下任何进程。"),
    }
}

pub fn interrupted(lang: Lang, signal: &str, reaped: u64) -> String {
    match lang {
        Lang::En => format!(
            "procdemo: lesson interrupted by {signal}; {}",
            cleaned_up(lang, reaped)
        ),
        Lang::Zh => format!(
            "procdemo：本课被 {signal} 中断；{}",
            cleaned_up(lang, reaped)
        ),
    }
}

pub fn quit(lang: Lang, reaped: u64) -> String {
    match lang {
        Lang::En => format!("Lesson ended at your request; {}", cleaned_up(lang, reaped)),
        Lang::Zh => format!("按你的要求结束本课；{}", cleaned_up(lang, reaped)),
    }
}

/// An option asked for more memory than procdemo may have: the option and
/// its value, what could not be had, the limit (`ulimit -v`, in KiB, as the
/// shell takes it) when one is set, and what to do.
pub fn no_memory(
    lang: Lang,
    option: &str,
    value: usize,
    bytes: usize,
    limit: Option<u64>,
) -> String {
    let wanted = mib(bytes as u64);
    match (lang, limit) {
        (Lang::En, Some(limit)) => format!(
            "{option} {value}: cannot allocate {wanted} under this process's memory limit (ulimit -v {}, {}): Cannot allocate memory (ENOMEM); try a smaller {option}",
            limit / 1024,
            mib(limit)
        ),
        (Lang::En, None) => format!(
            "{option} {value}: cannot allocate {wanted}: Cannot allocate memory (ENOMEM); try a smaller {option}"
        ),
        (Lang::Zh, Some(limit)) => format!(
            "{option} {value}：本进程的内存上限是 ulimit -v {}（{}），在这个上限下无法分配 {wanted}：内存不够（ENOMEM）；请把 {option} 调小",
            limit / 1024,
            mib(limit)
        ),
        (Lang::Zh, None) => {
            format!("{option} {value}：无法分配 {wanted}：内存不够（ENOMEM）；请把 {option} 调小")
        }
    }
}

/// Bytes in MiB (KiB below one MiB), as `ulimit` users count them.
fn mib(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        return format!("{} KiB", bytes.div_ceil(1024));
    }
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib.fract() == 0.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

/// One line, as for an interrupt: the cause first, then what was cleaned up.
pub fn failed(lang: Lang, error: &str, reaped: u64) -> String {
    let error = error.split_whitespace().collect::<Vec<_>>().join(" ");
    match lang {
        Lang::En => format!(
            "procdemo: the lesson failed: {error}; {}",
            cleaned_up(lang, reaped)
        ),
        Lang::Zh => format!("procdemo：本课出错：{error}；{}", cleaned_up(lang, reaped)),
    }
}

/// The words of one lesson in one language: the lesson's own roles and
/// fixed values (the `## words` section of its text), then procdemo's.
#[derive(Clone, Copy)]
pub struct Words<'a> {
    pub lang: Lang,
    lesson: Option<&'a LessonText>,
}

impl<'a> Words<'a> {
    pub fn new(lang: Lang, lesson: &'a LessonText) -> Self {
        Self {
            lang,
            lesson: Some(lesson),
        }
    }

    /// procdemo's words only, where no lesson is running.
    pub fn procdemo(lang: Lang) -> Self {
        Self { lang, lesson: None }
    }

    /// `word` in the reader's language; anything unknown unchanged.
    pub fn of(&self, word: &str) -> String {
        match self.lesson.and_then(|lesson| lesson.word(word)) {
            Some(translated) => translated.to_string(),
            None => cli::strerror_word(self.lang, word)
                .unwrap_or_else(|| procdemo_word(self.lang, word).to_string()),
        }
    }
}

/// The roles the lab itself gives processes, in every lesson.
fn procdemo_word(lang: Lang, word: &str) -> &str {
    match (lang, word) {
        (Lang::Zh, "parent") => "父进程",
        (Lang::Zh, "child") => "子进程",
        (Lang::Zh, "adopted") => "被收养的进程",
        // The spans of `procdemo observe`'s timeline.
        (Lang::Zh, "run") => "运行",
        (Lang::Zh, "zombie") => "僵尸",
        // What `procdemo observe`'s tree notes of a Python process.
        (Lang::En, "fork-child") => "forked copy of Python",
        (Lang::En, "spawn-child") => "spawned by multiprocessing",
        (Lang::En, "forkserver-child") => "forked by the forkserver",
        (Lang::En, "resource-tracker") => "resource tracker",
        (Lang::Zh, "fork-child") => "fork 出来的 Python 副本",
        (Lang::Zh, "spawn-child") => "spawn 启动的进程",
        (Lang::Zh, "forkserver-child") => "forkserver fork 出的进程",
        (Lang::Zh, "resource-tracker") => "资源跟踪进程",
        (Lang::Zh, "forkserver") => "forkserver 服务进程",
        _ => word,
    }
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
        Lang::Zh => "PPID",
    }
}

/// After the first items of a list too long to show whole: how many it has.
pub fn more_of(lang: Lang, count: usize) -> String {
    match lang {
        Lang::En => format!(", … ({count} in all)"),
        Lang::Zh => format!("……（共 {count} 个，只列出前面的）"),
    }
}

/// After a fact's label, before its value.
pub fn label_colon(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ": ",
        Lang::Zh => "：",
    }
}

/// Between the items of a list of values, and between the values of one
/// fact reported by several events.
pub fn list_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", ",
        Lang::Zh => "、",
    }
}

/// Between the values of one fact reported by several events when they
/// are lists themselves.
pub fn lists_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "; ",
        Lang::Zh => "；",
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

pub fn quiz_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Predict first: what will happen?",
        Lang::Zh => "先预测一下：接下来会发生什么？",
    }
}

pub fn quiz_prompt(lang: Lang, choices: usize) -> String {
    match lang {
        Lang::En => format!("Your answer (1–{choices}; q ends the lesson):"),
        Lang::Zh => format!("你的答案（1–{choices}；输入 q 结束本课）："),
    }
}

pub fn quiz_retry(lang: Lang, choices: usize) -> String {
    match lang {
        Lang::En => format!("Type the number of a choice, from 1 to {choices}, then Enter."),
        Lang::Zh => format!("请输入选项的编号（1 到 {choices}），再按回车。"),
    }
}

/// Said when stdin gives no more answers (closed, or not a terminal and empty).
pub fn quiz_stdin_closed(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(no answer: stdin is closed)",
        Lang::Zh => "（没有答案：标准输入已关闭）",
    }
}

/// Ctrl-D at a question on a terminal: no more questions in this run.
pub fn quiz_ended(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(Ctrl-D: no more questions in this run; the lesson goes on)",
        Lang::Zh => "（Ctrl-D：本次不再提问，课程继续）",
    }
}

pub fn quiz_right(lang: Lang, right: &str) -> String {
    match lang {
        Lang::En => format!("Right: {right}"),
        Lang::Zh => format!("答对了：{right}"),
    }
}

pub fn quiz_wrong(lang: Lang, given: &str, right: &str) -> String {
    match lang {
        Lang::En => format!("You said {given}; the answer is {right}"),
        Lang::Zh => format!("你选的是 {given}；正确答案是 {right}"),
    }
}

pub fn quiz_not_a_choice(lang: Lang, typed: &str, right: &str) -> String {
    match lang {
        Lang::En => format!("“{typed}” is not one of the choices; the answer is {right}"),
        Lang::Zh => format!("“{typed}”不是任何一个选项；正确答案是 {right}"),
    }
}

pub fn quiz_unanswered(lang: Lang, right: &str) -> String {
    match lang {
        Lang::En => format!("No answer given; the answer is {right}"),
        Lang::Zh => format!("没有作答；正确答案是 {right}"),
    }
}

pub fn quiz_score(lang: Lang, right: usize, asked: usize) -> String {
    match lang {
        Lang::En => format!("Quiz: {}.", predictions_right(lang, right, asked)),
        Lang::Zh => format!("小测验：{}。", predictions_right(lang, right, asked)),
    }
}

fn predictions_right(lang: Lang, right: usize, asked: usize) -> String {
    match lang {
        Lang::En => format!(
            "{right} of {} right",
            english_count(asked as u64, "prediction", "predictions")
        ),
        Lang::Zh => format!("{asked} 道题里预测对了 {right} 道"),
    }
}

/// This lesson's quiz, after its `done`: the tour and the welcome speak of
/// many lessons' quizzes.
pub fn lesson_quiz_score(lang: Lang, right: usize, asked: usize) -> String {
    match lang {
        Lang::En => format!(
            "Quiz in this lesson: {}.",
            predictions_right(lang, right, asked)
        ),
        Lang::Zh => format!("本课小测验：{}。", predictions_right(lang, right, asked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_singular_for_one_and_no_plural_in_chinese() {
        assert_eq!(
            summary(Lang::En, 1, 1, 0, 0),
            "1 process started, 1 reaped; nothing of this lesson is left running."
        );
        assert!(summary(Lang::En, 3, 3, 0, 0).starts_with("3 processes started, 3 reaped;"));
        assert!(summary(Lang::En, 0, 0, 0, 0).starts_with("0 processes started"));
        assert!(summary(Lang::Zh, 1, 1, 0, 0).starts_with("共启动 1 个进程，回收 1 个；"));
        assert!(summary(Lang::En, 8, 8, 100, 0).starts_with(
            "8 processes started, 8 reaped, and 100 more started and reaped to be timed;"
        ));
        assert!(quit(Lang::En, 1).contains("; 1 process reaped in all,"));
        assert!(quit(Lang::En, 2).contains("; 2 processes reaped in all,"));
        assert!(interrupted(Lang::En, "SIGINT", 1).contains("; 1 process reaped in all,"));
        assert!(failed(Lang::En, "x", 4).contains("; 4 processes reaped in all,"));
        assert!(!failed(Lang::En, "first\nsecond", 1).contains('\n'));
        assert!(!failed(Lang::Zh, "x", 1).contains("(s)"));
        assert_eq!(quiz_score(Lang::En, 1, 1), "Quiz: 1 of 1 prediction right.");
        assert_eq!(
            quiz_score(Lang::En, 2, 3),
            "Quiz: 2 of 3 predictions right."
        );
        assert_eq!(
            lesson_quiz_score(Lang::En, 0, 1),
            "Quiz in this lesson: 0 of 1 prediction right."
        );
        assert_eq!(
            lesson_quiz_score(Lang::Zh, 2, 3),
            "本课小测验：3 道题里预测对了 2 道。"
        );
    }
}
