//! procdemo's words on the command line: the Chinese help of its commands
//! and common options (the English is in the doc comments of the clap
//! structs in cli.rs and config.rs), the headings, clap's error frame and
//! the manual page's own sections. A lesson's options are described in its
//! text (`## options`), not here.

use colored::Colorize;
use nix::errno::Errno;

use crate::model::Lang;

/// A command's Chinese help: one line, and the longer text if it has one.
pub fn command_about_zh(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match name {
        "procdemo" => (
            "看真实的进程诞生、运行、结束，一步一步讲给你听。",
            Some(
                "procdemo 在这台机器上运行真实的进程，并讲解每一步：课文、你熟悉的 Python \
                 写法，以及内核在这一次运行里报告的事实。",
            ),
        ),
        "list" => ("按顺序列出各课和你的进度，每课一行简介", None),
        "tour" => ("按课程顺序一课接一课学完，最后总结学到了什么", None),
        "reset" => (
            "清除学完的课和小测验成绩（在终端里会先问你，不在终端里要加 --yes）",
            None,
        ),
        "completions" => (
            "输出你的 shell 的补全脚本",
            Some(
                "输出你的 shell 的补全脚本，例如\n\
                 procdemo completions bash > ~/.local/share/bash-completion/completions/procdemo",
            ),
        ),
        "observe" => (
            "运行你自己的程序，讲解它创建的每个进程：fork、exec、退出、僵尸、回收、孤儿",
            Some(
                "运行你自己的程序，像各课一样讲解它创建的每个进程：每次 fork 在两边各返回了什么，\
                 每次 exec，每个线程，进程之间共享的管道和套接字，每个信号，每次结束，\
                 它当了多久僵尸进程、由谁回收。程序的标准输入、标准输出和标准错误都归它自己；\
                 讲解写到标准错误，或用 --output 写进文件。procdemo 以程序的退出状态退出。",
            ),
        ),
        "man" => (
            "输出手册页（roff），或把各页写进一个目录",
            Some("输出手册页（roff 格式），例如 procdemo man | man -l -；或把每一页写进一个目录"),
        ),
        _ => return None,
    })
}

/// The Chinese help of an option procdemo itself defines, by clap id.
pub fn option_help_zh(id: &str) -> Option<&'static str> {
    Some(match id {
        "json" => "在标准输出上每个事件输出一个 JSON 对象（给测试、评分程序和工具用），不输出文字",
        "pace" => {
            "调节每一处演示用的停顿：1 适合一个人看，0 尽快跑完，3 慢到适合课堂上跟着看（0 到 20）"
        }
        "step" => {
            "每一步之前等你按回车：在终端里本来就会等，加上它，标准输出接了管道也会等\
             （输入 q 再回车结束本课）；与 --json 同用时不起作用"
        }
        "stream" => "一口气运行下去，步与步之间不等回车，每步停顿的时长按读完它所需的时间",
        "quiz" => {
            "在某些步骤之前先问你预计会发生什么，这一步再给出实际发生的（从标准输入回答：一个数字，或 q）"
        }
        "lang" => "课文、帮助和提示的语言［默认：取自 LC_ALL、LC_MESSAGES 或 LANG］",
        "lifetime" => {
            "演示进程活过这么多秒仍未结束就杀掉它，即使 procdemo 自己被杀掉也是如此\
             ［默认：60 × 节奏（至少 60 秒），在终端里或用 --step、--quiz 时为 3600，\
             再加上本课的工作可能花的时间］（1 到 86400）"
        }
        "trace" => {
            "同时把这次运行以 Chrome Trace Event JSON 格式写入 FILE，供 Perfetto（ui.perfetto.dev）或 chrome://tracing 查看"
        }
        "color" => "何时使用颜色；auto 会遵从 NO_COLOR、CLICOLOR_FORCE，并看标准输出是不是终端",
        "python" => {
            "输出本课完整的 Python 程序，合成一个能运行它们的文件（python3 FILE），而不运行本课"
        }
        "yes" => "不再询问，立即清除（标准输入不是终端时必须加上）",
        "output" => "把讲解（或 JSON 行）写进 FILE，而不是标准错误",
        "kill_remaining" => {
            "程序的第一个进程结束后，把它留下还在运行的进程杀掉（等半秒之后），而不是任其运行"
        }
        "command" => {
            "要运行的程序及其参数，写在 -- 之后，例如 procdemo observe -- python3 my_pool.py"
        }
        "dir" => {
            "改为把 procdemo.1 和每个命令各一页（procdemo-fork.1 等）写进 DIR，例如 ~/.local/share/man/man1"
        }
        "shell" => "要补全的 shell",
        "help" => "显示帮助（-h 显示摘要）",
        "version" => "显示版本",
        _ => return None,
    })
}

/// The heading over a group of a command's options or arguments.
#[derive(Clone, Copy)]
pub enum Heading {
    Options,
    LessonOptions,
    CommonOptions,
    Arguments,
    Commands,
}

pub fn heading(lang: Lang, heading: Heading) -> &'static str {
    match (lang, heading) {
        (Lang::En, Heading::Options) => "Options",
        (Lang::En, Heading::LessonOptions) => "Lesson options",
        (Lang::En, Heading::CommonOptions) => "Common options",
        (Lang::En, Heading::Arguments) => "Arguments",
        (Lang::En, Heading::Commands) => "Lessons and commands",
        (Lang::Zh, Heading::Options) => "选项",
        (Lang::Zh, Heading::LessonOptions) => "本课选项",
        (Lang::Zh, Heading::CommonOptions) => "通用选项",
        (Lang::Zh, Heading::Arguments) => "参数",
        (Lang::Zh, Heading::Commands) => "课程与命令",
    }
}

pub const HEADINGS: [Heading; 5] = [
    Heading::Options,
    Heading::LessonOptions,
    Heading::CommonOptions,
    Heading::Arguments,
    Heading::Commands,
];

/// procdemo's own after-help: what `procdemo` alone does.
pub fn after_help(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Run procdemo alone for the lessons in course order, your progress and what to run next."
        }
        Lang::Zh => {
            "只运行 procdemo（不带参数），可以按课程顺序看到各课、你的进度和下一步该运行什么。"
        }
    }
}

/// The Chinese help's frame: clap's usage heading has no setting of its own.
pub const HELP_TEMPLATE_ZH: &str =
    "{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// A default value or the possible values, said after an option's help.
pub fn default_is(value: &str) -> String {
    format!("［默认：{value}］")
}

pub fn possible_values(values: &str) -> String {
    format!("［可选值：{values}］")
}

/// Words of clap's usage line and error frame, and their Chinese.
const CLAP_WORDS: &[(&str, &str)] = &[
    ("[OPTIONS]", "[选项]"),
    ("[COMMAND]", "[命令]"),
    ("<COMMAND>", "<命令>"),
    ("error: ", "错误："),
    ("Usage: ", "用法："),
];

/// clap's last line of an error, which names no command.
const CLAP_TRY_HELP: &str = "For more information, try '--help'.";

/// clap's help (rendered by clap, with or without colours) framed in
/// Chinese: the usage line's words and the headings' colons.
pub fn help_zh(help: &str) -> String {
    let framed = CLAP_WORDS
        .iter()
        .fold(help.to_string(), |text, (english, chinese)| {
            text.replace(english, chinese)
        });
    HEADINGS.iter().fold(framed, |text, &which| {
        let name = heading(Lang::Zh, which);
        text.replace(&format!("{name}:"), &format!("{name}："))
    })
}

/// clap's messages, `{}` where a name or value stands, and their Chinese:
/// what the learner typed in Chinese quotes, clap's names of options as
/// they are.
const CLAP_MESSAGES: &[(&str, &str)] = &[
    ("unexpected argument '{}' found", "无法识别的参数“{}”"),
    ("invalid value '{}' for '{}': {}", "{1} 的值“{0}”无效：{2}"),
    ("invalid value '{}' for '{}'", "{1} 的值“{0}”无效"),
    ("unrecognized subcommand '{}'", "没有叫“{}”的课程或命令"),
    (
        "a value is required for '{}' but none was supplied",
        "{} 需要一个值，但没有给出",
    ),
    (
        "the argument '{}' cannot be used multiple times",
        "参数 {} 只能出现一次",
    ),
    (
        "the argument '{}' cannot be used with '{}'",
        "参数 {} 不能和 {} 一起用",
    ),
    (
        "the argument '{}' cannot be used with:",
        "参数 {} 不能和下面的参数一起用：",
    ),
    (
        "the following required arguments were not provided:",
        "缺少下面这些必需的参数：",
    ),
    (
        "unexpected value '{}' for '{}' found; no more were expected",
        "{1} 不需要更多的值，却多了“{0}”",
    ),
    (
        "tip: a similar argument exists: '{}'",
        "提示：有一个相近的参数：{}",
    ),
    (
        "tip: a similar subcommand exists: '{}'",
        "提示：有一个相近的课程或命令：{}",
    ),
    (
        "tip: a similar value exists: '{}'",
        "提示：有一个相近的值：{}",
    ),
    (
        "tip: some similar arguments exist: {}",
        "提示：有几个相近的参数：{}",
    ),
    (
        "tip: some similar subcommands exist: {}",
        "提示：有几个相近的课程或命令：{}",
    ),
    (
        "tip: some similar values exist: {}",
        "提示：有几个相近的值：{}",
    ),
    (
        "tip: to pass '{}' as a value, use '{}'",
        "提示：要把“{}”当作值传入，请写 {}",
    ),
    ("tip: {}", "提示：{}"),
    ("[possible values: {}]", "［可选值：{}］"),
];

/// clap's error (rendered without colours) in Chinese: every message
/// procdemo knows, and at least the frame of the others. `help` is the
/// command that shows the help of what was asked (`procdemo join --help`).
pub fn clap_error_zh(rendered: &str, help: &str) -> String {
    rendered
        .lines()
        .map(|line| {
            if line == CLAP_TRY_HELP {
                return format!("想了解更多，请运行 {help}。\n");
            }
            let indent = &line[..line.len() - line.trim_start().len()];
            let (label, rest) = match line.trim_start().strip_prefix("error: ") {
                Some(rest) => ("错误：", rest),
                None => ("", line.trim_start()),
            };
            let translated = CLAP_MESSAGES
                .iter()
                .find_map(|(english, chinese)| {
                    holes(english, rest).map(|words| {
                        let words: Vec<String> = words.iter().map(|word| list_zh(word)).collect();
                        fill(chinese, &words)
                    })
                })
                .unwrap_or_else(|| rest.to_string());
            let framed = CLAP_WORDS
                .iter()
                .fold(translated, |line, (english, chinese)| {
                    line.replace(english, chinese)
                });
            format!("{indent}{label}{framed}\n")
        })
        .collect()
}

/// clap's Chinese error with the colours clap gives its English one: the
/// label bold red, the help command bold.
pub fn painted_like_clap(text: &str, help: &str) -> String {
    let text = match text.strip_prefix("错误：") {
        Some(rest) => format!("{}{rest}", "错误：".red().bold()),
        None => text.to_string(),
    };
    if help.is_empty() {
        return text;
    }
    text.replace(help, &help.bold().to_string())
}

/// clap's list of names or values ("'a', 'b'" or "a, b") as Chinese lists
/// it: "a、b". Any other word as it is.
fn list_zh(word: &str) -> String {
    if !word.contains(", ") {
        return word.to_string();
    }
    word.split(", ")
        .map(|item| {
            item.strip_prefix('\'')
                .and_then(|item| item.strip_suffix('\''))
                .unwrap_or(item)
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The words in the holes of `pattern` (`{}`) when `text` matches it.
fn holes(pattern: &str, text: &str) -> Option<Vec<String>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let (first, rest) = pieces.split_first()?;
    let mut left = text.strip_prefix(first)?;
    let mut found = Vec::new();
    for (at, piece) in rest.iter().enumerate() {
        let end = if at + 1 == rest.len() {
            left.strip_suffix(piece).map(str::len)?
        } else {
            left.find(piece)?
        };
        found.push(left[..end].to_string());
        left = &left[end + piece.len()..];
    }
    // Without holes, the pattern is the whole text.
    (!rest.is_empty() || left.is_empty()).then_some(found)
}

/// `pattern` with `{}` (in order) or `{N}` replaced by `words`.
fn fill(pattern: &str, words: &[String]) -> String {
    let mut text = pattern.to_string();
    for (at, word) in words.iter().enumerate() {
        text = if text.contains(&format!("{{{at}}}")) {
            text.replace(&format!("{{{at}}}"), word)
        } else {
            text.replacen("{}", word, 1)
        };
    }
    text
}

/// An error the system reported (strerror's words), with its errno name
/// and, in Chinese, what it means.
pub fn system_error(lang: Lang, errno: Errno) -> String {
    let name = format!("{errno:?}");
    match (lang, gloss_zh(errno)) {
        (Lang::Zh, Some(gloss)) => format!("{gloss}（{name}）"),
        (Lang::Zh, None) => format!("{name}：{}", errno.desc()),
        (Lang::En, _) => format!("{} ({name})", errno.desc()),
    }
}

/// strerror's words for a common errno, said as `system_error` says them;
/// `None` for any other text.
pub fn strerror_word(lang: Lang, text: &str) -> Option<String> {
    GLOSSES
        .iter()
        .find(|(errno, _)| errno.desc() == text)
        .map(|(errno, _)| system_error(lang, *errno))
}

/// `error` (procdemo's text of a failure) and, in Chinese, what the system
/// error in it means, when it names a common one (`EPIPE: Broken pipe` as
/// nix says it, `(os error 32)` as std does).
pub fn with_gloss(lang: Lang, error: &str) -> String {
    let found = GLOSSES.iter().find(|(errno, _)| {
        error.contains(&format!("{errno:?}: "))
            || error.contains(&format!("(os error {})", *errno as i32))
    });
    match (lang, found) {
        (Lang::Zh, Some((errno, _))) => format!("{error}（{}）", system_error(lang, *errno)),
        _ => error.to_string(),
    }
}

fn gloss_zh(errno: Errno) -> Option<&'static str> {
    GLOSSES
        .iter()
        .find(|(known, _)| *known == errno)
        .map(|(_, gloss)| *gloss)
}

/// The system errors a learner may meet, and what they mean in Chinese.
const GLOSSES: &[(Errno, &str)] = &[
    (Errno::EPIPE, "管道已断开：读的一端已经关闭"),
    (
        Errno::ENOSPC,
        "没有剩余空间：磁盘已满，或内核的某项上限已用完（例如消息队列的个数）",
    ),
    (Errno::EACCES, "权限不足"),
    (Errno::EPERM, "不允许这样操作"),
    (Errno::ENOENT, "没有这个文件或目录"),
    (Errno::EEXIST, "同名的文件、队列或信号量已经存在"),
    (
        Errno::EMFILE,
        "这个进程打开的文件描述符太多了（达到 RLIMIT_NOFILE 上限）",
    ),
    (Errno::ENFILE, "整个系统打开的文件太多了"),
    (Errno::ENOMEM, "内存不够"),
    (
        Errno::EAGAIN,
        "资源暂时不可用（fork 时是进程数达到上限；非阻塞读写时是现在没有数据或没有空间）",
    ),
    (Errno::EINTR, "系统调用被信号打断"),
    (Errno::ENOSYS, "这个内核没有实现这个系统调用"),
    (Errno::ECHILD, "没有可等待的子进程"),
    (Errno::ESRCH, "没有这个进程"),
    (Errno::EBADF, "文件描述符无效"),
    (Errno::EINVAL, "参数无效"),
    (Errno::EROFS, "文件系统是只读的"),
    (Errno::EISDIR, "这是一个目录"),
    (Errno::ENOTDIR, "这不是一个目录"),
];

/// A section of the manual page procdemo adds to clap's: its heading and
/// its entries (a term in bold, then what it means).
pub struct ManSection {
    pub heading: &'static str,
    pub entries: Vec<(String, &'static str)>,
}

/// The manual page's EXAMPLES, FILES, ENVIRONMENT and EXIT STATUS.
/// `progress` is where the progress file is looked for.
pub fn man_sections(lang: Lang) -> [ManSection; 4] {
    let progress = "$XDG_STATE_HOME/procdemo/progress.json".to_string();
    let fallback = "~/.local/state/procdemo/progress.json".to_string();
    match lang {
        Lang::En => [
            ManSection {
                heading: "EXAMPLES",
                entries: vec![
                    (
                        "procdemo".into(),
                        "A welcome, the lessons in course order with your progress, and the command to run next.",
                    ),
                    (
                        "procdemo fork".into(),
                        "The first lesson: one process becomes two.",
                    ),
                    (
                        "procdemo fork --step | tee fork.log".into(),
                        "Waits for Enter before each step even with stdout piped; tee keeps a log of the lesson.",
                    ),
                    (
                        "procdemo pool --workers 4 --tasks 100".into(),
                        "A lesson with its own options (see procdemo pool --help).",
                    ),
                    (
                        "procdemo fork --python > fork.py".into(),
                        "The lesson's Python programs, to run with python3 fork.py.",
                    ),
                    (
                        "procdemo tour --stream --pace 0.5".into(),
                        "Every lesson in order without waiting for Enter, with every pause and reading time halved.",
                    ),
                    (
                        "procdemo fork --json --pace 0".into(),
                        "One JSON object per event, as fast as possible, for tests and tools.",
                    ),
                    ("procdemo man | man -l -".into(), "This page."),
                ],
            },
            ManSection {
                heading: "FILES",
                entries: vec![
                    (
                        progress,
                        "Your progress: the lessons you finished and your best quiz scores. procdemo reset forgets it. A damaged file is moved aside (progress.json.damaged-TIME) and a new one started.",
                    ),
                    (
                        fallback,
                        "The same file when XDG_STATE_HOME is not set, empty or not an absolute path.",
                    ),
                ],
            },
            ManSection {
                heading: "ENVIRONMENT",
                entries: vec![
                    (
                        "LC_ALL, LC_MESSAGES, LANG".into(),
                        "The first one set and not empty chooses the language when --lang is not given: a value starting with zh gives Chinese, any other English.",
                    ),
                    (
                        "NO_COLOR".into(),
                        "When set and not empty, no colours with --color auto.",
                    ),
                    (
                        "CLICOLOR_FORCE".into(),
                        "When set and not 0, colours with --color auto even when stdout is not a terminal.",
                    ),
                    (
                        "XDG_STATE_HOME".into(),
                        "Where the progress file is kept (see FILES).",
                    ),
                    (
                        "HOME".into(),
                        "Where the progress file is kept when XDG_STATE_HOME is not set, empty or not an absolute path.",
                    ),
                    (
                        "COLUMNS, LINES".into(),
                        "The size of the screen, when set, instead of the terminal's own.",
                    ),
                ],
            },
            ManSection {
                heading: "EXIT STATUS",
                entries: vec![
                    (
                        "0".into(),
                        "The lesson, tour or command finished, or you ended the lesson with q; also for --help and --version.",
                    ),
                    (
                        "1".into(),
                        "A lesson failed (its processes were stopped and reaped first), or procdemo could not do what was asked: writing its output failed (a full disk, a closed stdout), a size an option asks for is beyond the memory limit, or the --trace file cannot be written.",
                    ),
                    (
                        "2".into(),
                        "The command line is wrong: an unknown lesson or option, a value out of range, or options that do not go together. Also reset without --yes when stdin is not a terminal (there is no one to ask) or when a newer procdemo wrote the progress file.",
                    ),
                    (
                        "129".into(),
                        "Stopped by SIGHUP (the terminal was closed, an SSH connection dropped), after stopping and reaping the lesson's processes: 128 + 1.",
                    ),
                    (
                        "130".into(),
                        "Stopped by SIGINT (Ctrl-C), after stopping and reaping the lesson's processes: 128 + 2.",
                    ),
                    (
                        "131".into(),
                        "Stopped by SIGQUIT (Ctrl-\\), after stopping and reaping the lesson's processes: 128 + 3.",
                    ),
                    (
                        "141".into(),
                        "Whatever read stdout went away (a broken pipe, as in procdemo daemon | head -3): the lesson was stopped and its processes reaped, and nothing more was printed; 128 + 13, as a shell reports a process killed by SIGPIPE.",
                    ),
                    (
                        "143".into(),
                        "Stopped by SIGTERM, after stopping and reaping the lesson's processes: 128 + 15.",
                    ),
                ],
            },
        ],
        Lang::Zh => [
            ManSection {
                heading: "示例",
                entries: vec![
                    (
                        "procdemo".into(),
                        "欢迎页：按课程顺序列出各课和你的进度，并给出下一步该运行的命令。",
                    ),
                    ("procdemo fork".into(), "第一课：一个进程变成两个。"),
                    (
                        "procdemo fork --step | tee fork.log".into(),
                        "即使标准输出接了管道也在每一步之前等回车；tee 把整课记到日志里。",
                    ),
                    (
                        "procdemo pool --workers 4 --tasks 100".into(),
                        "带本课自己的选项运行（见 procdemo pool --help --lang zh）。",
                    ),
                    (
                        "procdemo fork --python > fork.py".into(),
                        "导出本课的 Python 程序，再用 python3 fork.py 运行。",
                    ),
                    (
                        "procdemo tour --stream --pace 0.5".into(),
                        "按顺序运行每一课，不等回车，所有停顿和阅读时间都减半。",
                    ),
                    (
                        "procdemo fork --json --pace 0".into(),
                        "每个事件输出一个 JSON 对象，尽快跑完，给测试和工具用。",
                    ),
                    ("procdemo man --lang zh | man -l -".into(), "本手册页。"),
                ],
            },
            ManSection {
                heading: "文件",
                entries: vec![
                    (
                        progress,
                        "你的进度：学完的课和小测验的最好成绩。procdemo reset 会清除它。文件损坏时会被挪到一旁（progress.json.damaged-时间），再重新开始记录。",
                    ),
                    (
                        fallback,
                        "没有设置 XDG_STATE_HOME、它为空或不是绝对路径时，进度文件在这里。",
                    ),
                ],
            },
            ManSection {
                heading: "环境变量",
                entries: vec![
                    (
                        "LC_ALL, LC_MESSAGES, LANG".into(),
                        "没有给出 --lang 时，由其中第一个设置了且不为空的变量决定语言：以 zh 开头的是中文，其余都是英文。",
                    ),
                    (
                        "NO_COLOR".into(),
                        "设置了且不为空时，--color auto 不使用颜色。",
                    ),
                    (
                        "CLICOLOR_FORCE".into(),
                        "设置了且不是 0 时，即使标准输出不是终端，--color auto 也使用颜色。",
                    ),
                    (
                        "XDG_STATE_HOME".into(),
                        "进度文件所在的目录（见“文件”一节）。",
                    ),
                    (
                        "HOME".into(),
                        "没有设置 XDG_STATE_HOME、它为空或不是绝对路径时，进度文件在它下面。",
                    ),
                    (
                        "COLUMNS, LINES".into(),
                        "设置了的话，就用它们作为屏幕的宽和高，而不用终端报告的大小。",
                    ),
                ],
            },
            ManSection {
                heading: "退出状态",
                entries: vec![
                    (
                        "0".into(),
                        "本课、导览或命令完成了，或者你输入 q 结束了本课；--help 和 --version 也是 0。",
                    ),
                    (
                        "1".into(),
                        "本课出错（它的进程已先被结束并回收），或者 procdemo 做不到所要求的事：输出写不出去（磁盘满了、标准输出被关闭），某个选项要的内存超出了内存限制，或者 --trace 的文件写不进去。",
                    ),
                    (
                        "2".into(),
                        "命令行有误：没有这一课或这个选项，值超出了范围，或者几个选项不能一起用。标准输入不是终端（没人可问）或进度文件是更新版本的 procdemo 写的时，reset 不加 --yes 也是 2。",
                    ),
                    (
                        "129".into(),
                        "被 SIGHUP 中止（终端被关闭、SSH 连接断开），本课的进程已被结束并回收：128 + 1。",
                    ),
                    (
                        "130".into(),
                        "被 SIGINT（Ctrl-C）中止，本课的进程已被结束并回收：128 + 2。",
                    ),
                    (
                        "131".into(),
                        "被 SIGQUIT（Ctrl-\\）中止，本课的进程已被结束并回收：128 + 3。",
                    ),
                    (
                        "141".into(),
                        "读标准输出的一方不读了（管道断开，例如 procdemo daemon | head -3）：本课已被结束、进程已被回收，之后不再输出任何东西；128 + 13，和 shell 报告被 SIGPIPE 杀死的进程一样。",
                    ),
                    (
                        "143".into(),
                        "被 SIGTERM 中止，本课的进程已被结束并回收：128 + 15。",
                    ),
                ],
            },
        ],
    }
}

/// clap_mangen's section headings, and their Chinese.
pub const MAN_HEADINGS_ZH: &[(&str, &str)] = &[
    (".SH NAME", ".SH 名称"),
    (".SH SYNOPSIS", ".SH 概要"),
    (".SH DESCRIPTION", ".SH 描述"),
    (".SH OPTIONS", ".SH 选项"),
    (".SH VERSION", ".SH 版本"),
    ("[\\fIOPTIONS\\fR]", "[\\fI选项\\fR]"),
];

/// What `man --dir` says it wrote.
pub fn man_written(lang: Lang, dir: &str, pages: &str) -> String {
    match lang {
        Lang::En => format!("procdemo: wrote the manual pages into {dir}: {pages}\n"),
        Lang::Zh => format!("procdemo：已把手册页写进 {dir}：{pages}\n"),
    }
}

pub fn cannot_create(lang: Lang, dir: &str) -> String {
    match lang {
        Lang::En => format!("cannot create {dir}"),
        Lang::Zh => format!("无法创建目录 {dir}"),
    }
}

pub fn cannot_write(lang: Lang, file: &str) -> String {
    match lang {
        Lang::En => format!("cannot write {file}"),
        Lang::Zh => format!("无法写入 {file}"),
    }
}

/// procdemo's own failure, as `main` ends with it: in Chinese, framed, and
/// a system error explained.
pub fn procdemo_failed(lang: Lang, error: &anyhow::Error) -> String {
    match (lang, errno_of(error)) {
        (Lang::En, _) => format!("procdemo: {error:#}\n"),
        (Lang::Zh, None) => format!("procdemo：出错了：{error:#}\n"),
        (Lang::Zh, Some(errno)) => format!(
            "procdemo：出错了：{error:#}（系统报告：{}）\n",
            system_error(lang, errno)
        ),
    }
}

/// Writing to stdout failed with `errno` (never `EPIPE`, which is said by
/// no word): one line; for a lesson, with how many processes it reaped.
pub fn stdout_failed(lang: Lang, errno: Errno, reaped: Option<u64>) -> String {
    let error = system_error(lang, errno);
    match (lang, reaped) {
        (Lang::En, None) => format!("procdemo: cannot write to stdout: {error}"),
        (Lang::En, Some(reaped)) => format!(
            "procdemo: cannot write the lesson to stdout: {error}; {}",
            super::cleaned_up(lang, reaped)
        ),
        (Lang::Zh, None) => format!("procdemo：无法写到标准输出：{error}"),
        (Lang::Zh, Some(reaped)) => format!(
            "procdemo：课程无法写到标准输出：{error}；{}",
            super::cleaned_up(lang, reaped)
        ),
    }
}

/// The `--trace` file could not be written: one line, the system error
/// said in `lang`.
pub fn trace_not_written(lang: Lang, file: &str, errno: Errno) -> String {
    let error = system_error(lang, errno);
    match lang {
        Lang::En => format!("cannot write the --trace file {file}: {error}"),
        Lang::Zh => format!("无法写入 --trace 文件 {file}：{error}"),
    }
}

/// The system error among `error`'s causes, if one is.
pub fn errno_of(error: &anyhow::Error) -> Option<Errno> {
    error.chain().find_map(|cause| {
        cause.downcast_ref::<Errno>().copied().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::raw_os_error)
                .map(Errno::from_raw)
        })
    })
}

/// A damaged progress file's reason (see `model::reason`) in `lang`.
pub fn progress_reason(lang: Lang, reason: &str) -> String {
    use crate::model::reason::{NOT_A_FILE, NOT_JSON, NOT_MOVED, UNREADABLE};
    match lang {
        Lang::En => reason.to_string(),
        Lang::Zh => [
            (NOT_A_FILE, "它不是一个普通文件"),
            (NOT_JSON, "它不是有效的进度 JSON"),
            (UNREADABLE, "无法读取它"),
            (NOT_MOVED, "把它挪到一旁也失败了"),
            ("; ", "；"),
        ]
        .iter()
        .fold(
            with_gloss(lang, &json_detail_zh(reason)),
            |text, (english, chinese)| text.replace(english, chinese),
        ),
    }
}

/// serde's "(expected value at line 1 column 1)" after NOT_JSON, as
/// "（第 1 行第 1 列：expected value）".
fn json_detail_zh(reason: &str) -> String {
    use crate::model::reason::NOT_JSON;
    let Some(detail) = reason
        .strip_prefix(NOT_JSON)
        .and_then(|rest| rest.strip_prefix(" ("))
        .and_then(|rest| rest.strip_suffix(')'))
    else {
        return reason.to_string();
    };
    let place = detail.rsplit_once(" at line ").and_then(|(what, place)| {
        let (line, column) = place.split_once(" column ")?;
        Some(format!("第 {line} 行第 {column} 列：{what}"))
    });
    format!(
        "{NOT_JSON}（{}）",
        place.unwrap_or_else(|| detail.to_string())
    )
}

/// The help of `observe --color`: the narration goes to stderr or a file.
pub fn observe_color_help(lang: Lang) -> String {
    match lang {
        Lang::En => "When to use colours; auto honours NO_COLOR, CLICOLOR_FORCE and whether stderr is a terminal (an --output file is not one)".into(),
        Lang::Zh => format!(
            "何时使用颜色；auto 会遵从 NO_COLOR、CLICOLOR_FORCE，并看标准错误是不是终端（--output 的文件不是终端）{}{}",
            default_is("auto"),
            possible_values("auto、always、never")
        ),
    }
}

/// The help of `observe --json`, whose lines go to stderr, not stdout.
pub fn observe_json_help(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Write one JSON object per event (for tests, graders and tools) instead of text, on stderr or to --output FILE: stdout is the program's"
        }
        Lang::Zh => {
            "每个事件输出一个 JSON 对象（给测试、评分程序和工具用），不输出文字；写到标准错误或 --output 的文件：标准输出归程序所有"
        }
    }
}

/// `--output FILE` cannot be written.
pub fn output_not_written(lang: Lang, file: &str, errno: Errno) -> String {
    let error = system_error(lang, errno);
    match lang {
        Lang::En => format!("cannot write the --output file {file}: {error}"),
        Lang::Zh => format!("无法写入 --output 文件 {file}：{error}"),
    }
}

/// Why `procdemo observe` could not start `command`, and what to do, in
/// one line.
pub fn observe_cannot_start(
    lang: Lang,
    command: &str,
    error: &crate::os::ptrace::StartError,
) -> String {
    use crate::os::ptrace::StartError;
    match (lang, error) {
        (Lang::En, StartError::Exec(errno)) => format!(
            "procdemo observe: cannot run {command}: {}{}\n",
            system_error(lang, *errno),
            match errno {
                Errno::ENOENT =>
                    " (no such program: a name without / is looked for in the directories of PATH)",
                Errno::EACCES =>
                    " (the file is not executable, or a directory on its path cannot be searched)",
                _ => "",
            }
        ),
        (Lang::Zh, StartError::Exec(errno)) => format!(
            "procdemo observe：无法运行 {command}：{}{}\n",
            system_error(lang, *errno),
            match errno {
                Errno::ENOENT =>
                    "（没有这个程序：名字里没有 / 时，会到 PATH 列出的各个目录里去找）",
                Errno::EACCES => "（这个文件不可执行，或者它路径上的某个目录无权进入）",
                _ => "",
            }
        ),
        (Lang::En, StartError::Refused(errno)) => format!(
            "procdemo observe: the kernel refuses to let procdemo trace {command}: PTRACE_SEIZE failed with {}. If procdemo itself runs under a tracer (strace -f, a debugger), that tracer took the program first: run procdemo without it. In a container, allow ptrace (docker run --cap-add SYS_PTRACE, or a seccomp profile that permits it); with Yama, set /proc/sys/kernel/yama/ptrace_scope to 1 or lower (scope 3 forbids ptrace until reboot)\n",
            system_error(lang, *errno)
        ),
        (Lang::Zh, StartError::Refused(errno)) => format!(
            "procdemo observe：内核不允许 procdemo 跟踪 {command}：PTRACE_SEIZE 失败，{}。如果 procdemo 自己正被别的跟踪者跟踪（strace -f、调试器），程序已先被那个跟踪者接管：请不用它来运行 procdemo。在容器里要允许 ptrace（docker run --cap-add SYS_PTRACE，或允许它的 seccomp 配置）；有 Yama 时把 /proc/sys/kernel/yama/ptrace_scope 设为 1 或更小（设为 3 后要重启才能再用 ptrace）\n",
            system_error(lang, *errno)
        ),
        (Lang::En, StartError::Os(call, errno)) => format!(
            "procdemo observe: cannot start {command}: {call} failed: {}\n",
            system_error(lang, *errno)
        ),
        (Lang::Zh, StartError::Os(call, errno)) => format!(
            "procdemo observe：无法启动 {command}：{call} 失败：{}\n",
            system_error(lang, *errno)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_messages_keep_their_names_and_values_in_chinese() {
        let said = clap_error_zh(
            "error: invalid value '0' for '--workers <N>': too few\n\nFor more information, try '--help'.\n",
            "procdemo pool --help --lang zh",
        );
        assert_eq!(
            said,
            "错误：--workers <N> 的值“0”无效：too few\n\n想了解更多，请运行 procdemo pool --help --lang zh。\n"
        );
        assert_eq!(
            clap_error_zh("  tip: some similar values exist: 'map', 'imap'\n", ""),
            "  提示：有几个相近的值：map、imap\n"
        );
    }

    #[test]
    fn a_message_procdemo_does_not_know_keeps_its_words_in_the_chinese_frame() {
        assert_eq!(
            clap_error_zh("error: something new\n\n  tip: try this\n", ""),
            "错误：something new\n\n  提示：try this\n"
        );
        assert_eq!(
            clap_error_zh("  [possible values: en, zh]\n", ""),
            "  ［可选值：en、zh］\n"
        );
    }

    #[test]
    fn system_errors_are_named_and_explained_in_chinese() {
        assert_eq!(
            strerror_word(Lang::Zh, "Broken pipe").as_deref(),
            Some("管道已断开：读的一端已经关闭（EPIPE）")
        );
        assert_eq!(
            strerror_word(Lang::En, "Broken pipe").as_deref(),
            Some("Broken pipe (EPIPE)")
        );
        assert!(with_gloss(Lang::Zh, "open: Permission denied (os error 13)").contains("权限不足"));
        assert_eq!(with_gloss(Lang::En, "fork: EAGAIN: x"), "fork: EAGAIN: x");
    }
}
