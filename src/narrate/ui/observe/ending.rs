//! The words of the ending of `procdemo observe`: headings, the channels
//! shared and the summary.

use super::{count, span, whole};
use crate::model::Lang;

/// Under the first channels of the ending: how many there were.
pub fn more_channels(lang: Lang, count: usize) -> String {
    match lang {
        Lang::En => format!("… ({count} in all)"),
        Lang::Zh => format!("……（共 {count} 个）"),
    }
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
        Lang::En => "Pipes and sockets shared (as last seen)",
        Lang::Zh => "共享的管道和套接字（各进程最后一次被查看时）",
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

/// A process, the descriptors it holds one channel by, and when they were seen.
pub fn holder(lang: Lang, process: &str, descriptors: &[String], at: &str) -> String {
    let descriptors = descriptors.join(crate::narrate::ui::list_separator(lang));
    match lang {
        Lang::En => format!("{process} {descriptors} {at}"),
        Lang::Zh => format!("{process} {at}的 {descriptors}"),
    }
}

/// "fd 3 (read end)".
pub fn descriptor(lang: Lang, fd: i64, access: &str) -> String {
    let fd = whole(&format!("fd {fd}"));
    match lang {
        Lang::En => format!("{fd} {}", whole(&format!("({access})"))),
        Lang::Zh => format!("{fd}{}", whole(&format!("（{access}）"))),
    }
}

/// The counts of the summary.
pub struct Counts {
    pub processes: u64,
    pub threads: u64,
    pub programs: u64,
    pub exec_failures: u64,
    pub signals: u64,
    pub signals_ignored: u64,
    pub kernel_reaped: u64,
    pub zombies: u64,
    /// None when no process was a zombie.
    pub zombie_us_max: Option<u64>,
    pub orphans: u64,
}

pub fn counts(lang: Lang, counts: &Counts) -> Vec<String> {
    let Counts {
        processes,
        threads,
        programs,
        exec_failures,
        signals,
        signals_ignored,
        kernel_reaped,
        zombies,
        zombie_us_max,
        orphans,
    } = *counts;
    let mut said = match lang {
        Lang::En => vec![
            format!(
                "{}, {}, {} run, {}, {} delivered and {signals_ignored} ignored (SIGCHLD, on no line above, counted too).",
                count(lang, processes, "process", "processes", ""),
                count(lang, threads, "extra thread", "extra threads", ""),
                count(lang, programs, "program", "programs", ""),
                count(lang, exec_failures, "failed exec", "failed execs", ""),
                count(lang, signals, "signal", "signals", ""),
            ),
            match zombie_us_max {
                None => format!(
                    "No zombie; {} adopted.",
                    count(lang, orphans, "orphan", "orphans", "")
                ),
                Some(longest) => format!(
                    "{} until reaped, the longest for {}; {} adopted.",
                    if zombies == 1 {
                        "1 process was a zombie".to_string()
                    } else {
                        format!("{zombies} processes were zombies")
                    },
                    span(longest),
                    count(lang, orphans, "orphan", "orphans", "")
                ),
            },
        ],
        Lang::Zh => vec![
            format!(
                "共 {processes} 个进程，另外新建了 {threads} 个线程；exec 成功 {programs} 次、失败 {exec_failures} 次；送达 {signals} 个信号，另有 {signals_ignored} 个被忽略（SIGCHLD 也算在内，上面没有单独列出）。"
            ),
            match zombie_us_max {
                None => format!("没有僵尸进程；收养了 {orphans} 个{}。", whole("孤儿进程")),
                Some(longest) => format!(
                    "{zombies} 个进程当过{}，最长的一个当了 {}；收养了 {orphans} 个{}。",
                    whole("僵尸进程"),
                    span(longest),
                    whole("孤儿进程")
                ),
            },
        ],
    };
    if kernel_reaped > 0 {
        said.push(match lang {
            Lang::En => format!(
                "{} by the kernel as {} ended: {} SIGCHLD.",
                count(
                    lang,
                    kernel_reaped,
                    "process reaped",
                    "processes reaped",
                    ""
                ),
                if kernel_reaped == 1 { "it" } else { "they" },
                if kernel_reaped == 1 {
                    "its parent ignores"
                } else {
                    "each one's parent ignores"
                },
            ),
            Lang::Zh => format!("{kernel_reaped} 个进程一结束就由内核回收：父进程忽略了 SIGCHLD。"),
        });
    }
    said
}

/// `kernel`: the kernel reaped some, for a parent that ignores SIGCHLD.
pub fn never_reaped(lang: Lang, processes: Option<&str>, kernel: bool) -> String {
    match (lang, processes) {
        (Lang::En, None) if kernel => "Every process that ended and that the kernel did not reap was reaped by its own parent.".to_string(),
        (Lang::Zh, None) if kernel => "除了由内核回收的，每个结束了的进程都由自己的父进程回收。".to_string(),
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

pub fn first_ended(lang: Lang, process: &str, ending: &str, status: u8) -> String {
    match lang {
        Lang::En => format!("The first process, {process}: {ending}; procdemo exits {status}."),
        Lang::Zh => format!("第一个进程 {process}：{ending}；procdemo 的退出状态是 {status}。"),
    }
}
