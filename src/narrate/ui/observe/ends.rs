//! The words of how processes end: exits, reaps, orphans, the processes
//! left, and procdemo stopped.

use super::{bad, code, span};
use crate::model::Lang;

/// How a process ended: its exit code, or the signal that killed it.
pub enum Death<'a> {
    Code(i64),
    Signal { name: &'a str, core: bool },
}

pub fn exited(lang: Lang, process: &str, death: &Death, lived_us: u64) -> String {
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
    let lived = span(lived_us);
    match lang {
        Lang::En => format!("{process} {how} after {lived}"),
        Lang::Zh => format!("{process} 运行了 {lived} 后{how}"),
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
    zombie_us: u64,
) -> String {
    let zombie = span(zombie_us);
    let call = call.map(code);
    let role = match (lang, reaper) {
        (Lang::En, Reaper::Adopter) => " (its adopter)",
        (Lang::En, Reaper::Procdemo) => " (the subreaper)",
        (Lang::Zh, Reaper::Adopter) => "（收养者）",
        (Lang::Zh, Reaper::Procdemo) => "（subreaper）",
        _ => "",
    };
    match (lang, reaper) {
        // The kernel freed it as it ended: the moment it stayed is only
        // procdemo's tracing, not a zombie's time.
        (Lang::En, Reaper::Kernel) => format!(
            "the kernel reaped {process} as it ended: its parent {by} ignores SIGCHLD, so the parent needs no wait (the entry stayed only while procdemo, tracing it, collected its exit)"
        ),
        (Lang::Zh, Reaper::Kernel) => format!(
            "{process} 一结束就由内核回收：它的父进程 {by} 忽略了 SIGCHLD，父进程用不着 wait（进程表里那一项只在 procdemo 作为跟踪者取走它的结束状态时留了一下）"
        ),
        (Lang::En, _) => {
            let with = call.map_or(String::new(), |call| format!(" with {call}"));
            format!("{by}{role} reaped {process}{with} after {zombie} as a zombie")
        }
        (Lang::Zh, _) => {
            let with = call.map_or(String::new(), |call| format!("用 {call} "));
            // A space between a name and the Chinese after it, none after `）`.
            let space = if role.is_empty() { " " } else { "" };
            format!("{by}{role}{space}{with}回收了 {process}，它当了 {zombie} 的僵尸进程")
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

pub fn stopped(lang: Lang, signal: &str, left: &str, status: u8) -> String {
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
    crate::narrate::ui::none(lang)
}
