//! The words procdemo says around the lessons, in each language: the
//! welcome, the course's progress, the tour, `reset`, the progress file.

use super::english_count;
use crate::model::Lang;

pub fn best_quiz(lang: Lang, right: usize, asked: usize) -> String {
    match lang {
        Lang::En => format!("best quiz {right}/{asked}"),
        Lang::Zh => format!("小测验最好成绩 {right}/{asked}"),
    }
}

pub fn welcome_title(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "watch real processes being born, running and ending",
        Lang::Zh => "亲眼看真实的进程出生、运行和结束",
    }
}

pub fn welcome_text(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Each lesson runs real processes on this machine and explains every step: the idea, the Python you know, and what the kernel reported in this very run."
        }
        Lang::Zh => {
            "每一课都在这台机器上运行真实的进程，并讲解每一步：道理是什么，你熟悉的 Python 怎么写，以及这一次运行里内核实际报告了什么。"
        }
    }
}

pub fn course_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The lessons, in course order (✓ finished):",
        Lang::Zh => "课程按顺序排列（✓ 表示已学完）：",
    }
}

/// The welcome's count, worded as a lesson's last line words it.
pub fn finished_count(lang: Lang, finished: usize, total: usize) -> String {
    let count = course_so_far(lang, finished, total, true);
    match lang {
        Lang::En => format!("{count}."),
        Lang::Zh => format!("{count}。"),
    }
}

/// The welcome's suggestion before any lesson is finished.
pub fn start_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Start here: ",
        Lang::Zh => "从这里开始：",
    }
}

/// Under the first command: why one lesson first.
pub fn start_hint(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "A lesson takes a few minutes, and ends by telling you what to run next.",
        Lang::Zh => "一课只要几分钟，学完时会告诉你接下来运行什么。",
    }
}

/// The last line of a finished lesson, its first part.
pub fn lesson_done(lang: Lang, lesson: &str) -> String {
    match lang {
        Lang::En => format!("✔ Lesson `{lesson}` done"),
        Lang::Zh => format!("✔ `{lesson}` 这一课学完了"),
    }
}

/// How far through the course, counting the lesson just finished even when
/// it could not be saved, and saying so.
pub fn course_so_far(lang: Lang, finished: usize, total: usize, saved: bool) -> String {
    let count = match (lang, finished == total) {
        (Lang::En, true) => format!("All {total} lessons finished"),
        (Lang::En, false) => format!("{finished} of {total} lessons finished"),
        (Lang::Zh, true) => format!("{total} 课全部学完了"),
        (Lang::Zh, false) => format!("共 {total} 课，已学完 {finished} 课"),
    };
    match (lang, saved) {
        (_, true) => count,
        (Lang::En, false) => format!("{count} (this one not saved)"),
        (Lang::Zh, false) => format!("{count}（这一课没能保存）"),
    }
}

/// In a tour, the lesson that starts next by itself.
pub fn tour_next_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Next in the tour: ",
        Lang::Zh => "导览的下一课：",
    }
}

/// The last lesson of a tour: the tour's summary follows.
pub fn tour_last(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The last lesson of the tour",
        Lang::Zh => "这是导览的最后一课",
    }
}

/// Every lesson finished and every quiz answered in full.
pub fn course_complete(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The whole course is done, quizzes included",
        Lang::Zh => "整个课程连同小测验都完成了",
    }
}

/// A better quiz in an earlier run of the same lesson.
pub fn best_in_lesson(lang: Lang, right: usize, asked: usize) -> String {
    match lang {
        Lang::En => format!("Your best in this lesson's quiz: {right} of {asked}."),
        Lang::Zh => format!("你在本课小测验中的最好成绩：{asked} 道题对了 {right} 道。"),
    }
}

pub fn next_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Next: ",
        Lang::Zh => "下一课：",
    }
}

/// Before the next command once every lesson is finished: a quiz to answer.
pub fn quizzes_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Try the quizzes: ",
        Lang::Zh => "再试试小测验：",
    }
}

pub fn all_done(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Every lesson finished and every quiz answered in full. Well done!",
        Lang::Zh => "每一课都学完了，每个小测验也都全部答对了。太棒了！",
    }
}

/// `lang_flag` is " --lang zh" (or en) when the language came from the
/// command line, so that the commands named keep it.
pub fn more_commands(lang: Lang, lang_flag: &str) -> String {
    match lang {
        Lang::En => format!(
            "Also: `procdemo tour{lang_flag}` runs them all · `--quiz` asks you to predict · `--stream` runs without waiting for Enter · `--lang zh` · `procdemo --help{lang_flag}`"
        ),
        Lang::Zh => format!(
            "另外：`procdemo tour{lang_flag}` 依次运行全部课程 · `--quiz` 先让你预测 · `--stream` 不等回车一口气运行 · `--lang en` · `procdemo --help{lang_flag}`"
        ),
    }
}

/// How procdemo starts a line of its own on stderr.
pub fn procdemo_says(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "procdemo: ",
        Lang::Zh => "procdemo：",
    }
}

pub fn progress_set_aside(lang: Lang, path: &str, reason: &str, moved_to: &str) -> String {
    match lang {
        Lang::En => format!(
            "the progress file {path} is damaged: {reason}. It was moved to {moved_to}, and progress starts afresh."
        ),
        Lang::Zh => {
            format!("进度文件 {path} 已损坏：{reason}。已把它移到 {moved_to}，进度从头记起。")
        }
    }
}

pub fn progress_unusable(lang: Lang, path: &str, reason: &str) -> String {
    match lang {
        Lang::En => format!(
            "the progress file {path} cannot be used: {reason}. Progress is neither shown nor saved until it is fixed or removed."
        ),
        Lang::Zh => format!(
            "进度文件 {path} 无法使用：{reason}。在修好或删除它之前，进度既不显示也不保存。"
        ),
    }
}

pub fn progress_no_place(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "neither XDG_STATE_HOME nor HOME is set, so your progress cannot be saved (the lesson itself ran normally)."
        }
        Lang::Zh => "XDG_STATE_HOME 和 HOME 都没有设置，所以无法保存进度（这一课照常运行完了）。",
    }
}

/// `reset` with nowhere to look for the progress file.
pub fn reset_no_place(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "neither XDG_STATE_HOME nor HOME is set, so there is no progress file to reset",
        Lang::Zh => "XDG_STATE_HOME 和 HOME 都没有设置，所以没有可以清除的进度文件",
    }
}

pub fn progress_newer(lang: Lang, path: &str, version: u32) -> String {
    match lang {
        Lang::En => format!(
            "the progress file {path} was written by a newer procdemo (format {version}, newer than this one reads). It is left as it is, and this run is not recorded."
        ),
        Lang::Zh => format!(
            "进度文件 {path} 是更新版本的 procdemo 写的（格式 {version}，比这个版本认得的新）。文件保持原样，这次运行不记进度。"
        ),
    }
}

pub fn reset_cannot_ask(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "stdin is not a terminal, so reset cannot ask before forgetting your progress: to forget it without asking, run procdemo reset --yes"
        }
        Lang::Zh => {
            "标准输入不是终端，reset 没法先问你再清除进度：要不经询问直接清除，请运行 procdemo reset --yes"
        }
    }
}

pub fn reset_newer(lang: Lang, path: &str) -> String {
    match lang {
        Lang::En => format!(
            "the progress file {path} was written by a newer procdemo: reset it with that procdemo, or run procdemo reset --yes to remove it anyway"
        ),
        Lang::Zh => format!(
            "进度文件 {path} 是更新版本的 procdemo 写的：请用那个版本的 procdemo 清除，或者运行 procdemo reset --yes 直接删除它"
        ),
    }
}

pub fn progress_not_saved(lang: Lang, error: &str) -> String {
    match lang {
        Lang::En => format!("your progress was not saved: {error}"),
        Lang::Zh => format!("进度没有保存：{error}"),
    }
}

pub fn tour_lesson(lang: Lang, position: usize, total: usize) -> String {
    match lang {
        Lang::En => format!("Tour · lesson {position} of {total}"),
        Lang::Zh => format!("课程导览 · 第 {position} 课 / 共 {total} 课"),
    }
}

pub fn tour_prompt(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Enter: start this lesson · q then Enter: end the tour",
        Lang::Zh => "回车：开始这一课 · 输入 q 再回车：结束导览",
    }
}

pub fn tour_covered(lang: Lang, finished: usize, total: usize) -> String {
    match lang {
        Lang::En => format!("Tour over: {finished} of {total} lessons finished."),
        Lang::Zh => format!("导览结束：共 {total} 课，学完了 {finished} 课。"),
    }
}

/// Above the lessons a tour started, when it started any.
pub fn tour_seen(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What you saw:",
        Lang::Zh => "你看到了：",
    }
}

/// Beside a lesson of the tour that was started but not finished.
pub fn tour_not_finished(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(not finished)",
        Lang::Zh => "（未学完）",
    }
}

pub fn tour_failed(lang: Lang, lessons: &str) -> String {
    match lang {
        Lang::En => format!("Failed (see the messages above): {lessons}"),
        Lang::Zh => format!("出错的课（见上面的提示）：{lessons}"),
    }
}

pub fn reset_question(lang: Lang, lessons: usize, path: &str) -> String {
    match lang {
        Lang::En => format!(
            "Forget your progress ({} finished, with their quiz scores) in {path}? [y/N]",
            english_count(lessons as u64, "lesson", "lessons")
        ),
        Lang::Zh => {
            format!("要清除 {path} 里的学习进度吗（已学完 {lessons} 课及其小测验成绩）？[y/N]")
        }
    }
}

pub fn reset_nothing(lang: Lang, path: &str) -> String {
    match lang {
        Lang::En => format!("Nothing to reset: no progress is recorded ({path} does not exist)."),
        Lang::Zh => format!("没有需要清除的进度（{path} 不存在）。"),
    }
}

pub fn reset_kept(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Progress kept.",
        Lang::Zh => "进度保留，没有清除。",
    }
}

pub fn reset_done(lang: Lang, path: &str) -> String {
    match lang {
        Lang::En => format!("Progress forgotten: {path} removed."),
        Lang::Zh => format!("进度已清除：已删除 {path}。"),
    }
}
