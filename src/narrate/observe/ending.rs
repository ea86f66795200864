//! The ending of a run: the tree, the timeline, the channels shared and
//! the summary.

use serde_json::Value;

use super::shown::{clean, int};
use super::{CHANNELS_SHOWN, Narration, PROCESSES_SHOWN};
use crate::model::Event;
use crate::narrate::palette;
use crate::narrate::ui::observe::{self as words, Counts};
use crate::narrate::ui::{self, Words};
use crate::narrate::{timeline, tree};

impl Narration {
    /// The tree, the timeline, the channels shared and the summary.
    pub(super) fn ending(&mut self, event: &Event) -> Vec<String> {
        let lang = self.lang;
        let width = self.width;
        let pictures = Words::procdemo(lang);
        let mut lines = vec![String::new(), palette::bold(words::tree_heading(lang))];
        if let Some(tree) = event.fact("tree") {
            lines.extend(tree::draw(tree, pictures, "  ", width));
        }
        if let Some(timeline) = event.fact("timeline") {
            let drawn = timeline::draw(timeline, pictures, "  ", width);
            if !drawn.is_empty() {
                lines.push(String::new());
                lines.push(palette::bold(words::timeline_heading(lang)));
                lines.extend(drawn);
            }
        }
        let shared: Vec<String> = event
            .fact("channels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|channel| self.shared(channel))
            .collect();
        let channels = shared.len();
        if !shared.is_empty() {
            lines.push(String::new());
            lines.push(palette::bold(words::channels_heading(lang)));
            for said in shared.iter().take(CHANNELS_SHOWN) {
                lines.extend(self.laid_out(said, "  ", "    "));
            }
            if channels > CHANNELS_SHOWN {
                lines.push(format!("  {}", words::more_channels(lang, channels)));
            }
        }
        lines.push(String::new());
        lines.push(palette::bold(words::summary_heading(lang)));
        let count = |name: &str| event.fact(name).and_then(Value::as_u64).unwrap_or(0);
        let mut said = words::counts(
            lang,
            &Counts {
                processes: count("processes"),
                threads: count("threads"),
                programs: count("programs_run"),
                exec_failures: count("exec_failures"),
                signals: count("signals"),
                zombies: count("zombies"),
                zombie_us_max: count("zombie_us_max"),
                orphans: count("orphans"),
            },
        );
        said.push(words::never_reaped(
            lang,
            self.pids(event.fact("never_reaped")).as_deref(),
        ));
        said.push(words::still_running(
            lang,
            self.pids(event.fact("remaining")).as_deref(),
        ));
        let first = event
            .fact("tree")
            .and_then(|tree| tree.get("pid"))
            .and_then(Value::as_i64);
        let signal = event.fact("signal").and_then(Value::as_str);
        let ending = ui::ending(lang, int(event, "exit_code"), signal);
        if let (Some(first), Some(ending)) = (first, ending) {
            said.push(words::first_ended(
                lang,
                &self.process(first),
                &ending,
                int(event, "status").unwrap_or(0),
            ));
        }
        for sentence in said {
            lines.extend(self.laid_out(&sentence, "  ", "  "));
        }
        lines
    }

    /// One channel of `observe-end`'s `channels`: each holder once, with
    /// every descriptor it holds the channel by.
    fn shared(&self, channel: &Value) -> String {
        let lang = self.lang;
        let kind = clean(channel.get("kind").and_then(Value::as_str).unwrap_or("?"));
        let inode = channel.get("inode").and_then(Value::as_i64).unwrap_or(0);
        let mut holders: Vec<(i64, Vec<String>)> = Vec::new();
        for holder in channel
            .get("holders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(pid) = holder.get("pid").and_then(Value::as_i64) else {
                continue;
            };
            let access = clean(holder.get("access").and_then(Value::as_str).unwrap_or("?"));
            let descriptor = words::descriptor(
                lang,
                holder.get("fd").and_then(Value::as_i64).unwrap_or(-1),
                words::access(lang, &access),
            );
            match holders.iter_mut().find(|(held_by, _)| *held_by == pid) {
                Some((_, descriptors)) => descriptors.push(descriptor),
                None => holders.push((pid, vec![descriptor])),
            }
        }
        let mut said: Vec<String> = holders
            .iter()
            .take(PROCESSES_SHOWN)
            .map(|(pid, descriptors)| words::holder(lang, &self.process(*pid), descriptors))
            .collect();
        if holders.len() > PROCESSES_SHOWN {
            said.push(words::in_all(lang, holders.len()));
        }
        words::shared(
            lang,
            &words::channel(lang, &kind, inode),
            &said.join(ui::lists_separator(lang)),
        )
    }
}
