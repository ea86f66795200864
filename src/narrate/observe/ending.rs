//! The ending of a run: the tree, the timeline, the channels shared and
//! the summary.

use anyhow::Result;

use super::channels::seen_at;
use super::shown::clean;
use super::{CHANNELS_SHOWN, Narration, PROCESSES_SHOWN};
use crate::model::observe::{ObserveEnd, SharedChannel};
use crate::narrate::palette;
use crate::narrate::ui::observe::{self as words, Counts};
use crate::narrate::ui::{self, Words};
use crate::narrate::{timeline, tree};

impl Narration {
    /// The tree, the timeline, the channels shared and the summary.
    pub(super) fn ending(&mut self, end: &ObserveEnd) -> Result<Vec<String>> {
        let lang = self.lang;
        let width = self.width;
        let pictures = Words::procdemo(lang);
        let mut lines = vec![String::new(), palette::bold(words::tree_heading(lang))];
        lines.extend(tree::draw(&end.tree, pictures, "  ", width));
        let drawn = timeline::draw(&end.timeline, pictures, "  ", width);
        if !drawn.is_empty() {
            lines.push(String::new());
            lines.push(palette::bold(words::timeline_heading(lang)));
            lines.extend(drawn);
        }
        let channels = end.channels.len();
        if channels > 0 {
            lines.push(String::new());
            lines.push(palette::bold(words::channels_heading(lang)));
            for channel in end.channels.iter().take(CHANNELS_SHOWN) {
                lines.extend(self.laid_out(&self.shared(channel)?, "  ", "    "));
            }
            if channels > CHANNELS_SHOWN {
                lines.push(format!("  {}", words::more_channels(lang, channels)));
            }
        }
        lines.push(String::new());
        lines.push(palette::bold(words::summary_heading(lang)));
        let mut said = words::counts(
            lang,
            &Counts {
                processes: end.processes,
                threads: end.threads,
                programs: end.programs_run,
                exec_failures: end.exec_failures,
                signals: end.signals,
                signals_ignored: end.signals_ignored,
                kernel_reaped: end.kernel_reaped,
                zombies: end.zombies,
                zombie_us_max: end.zombie_us_max,
                orphans: end.orphans,
            },
        );
        said.push(words::never_reaped(
            lang,
            self.pids(&end.never_reaped).as_deref(),
            end.kernel_reaped > 0,
        ));
        said.push(words::still_running(
            lang,
            self.pids(&end.remaining).as_deref(),
        ));
        let ending = ui::ending(lang, end.exit_code.map(i64::from), end.signal.as_deref());
        if let (Some(first), Some(ending)) = (self.first, ending) {
            said.push(words::first_ended(
                lang,
                &self.process(first),
                &ending,
                end.status,
            ));
        }
        for sentence in said {
            lines.extend(self.laid_out(&sentence, "  ", "  "));
        }
        Ok(lines)
    }

    /// One channel of `observe-end`'s `channels`: each holder once for
    /// each moment it was seen, with every descriptor it held the channel by.
    fn shared(&self, channel: &SharedChannel) -> Result<String> {
        let lang = self.lang;
        let mut holders: Vec<(i64, &str, Vec<String>)> = Vec::new();
        for holder in &channel.holders {
            let pid = i64::from(holder.pid);
            let at = seen_at(lang, &holder.at, true)?;
            let descriptor = words::descriptor(
                lang,
                i64::from(holder.fd),
                words::access(lang, &clean(&holder.access)),
            );
            match holders
                .iter_mut()
                .find(|(held_by, seen, _)| *held_by == pid && *seen == at)
            {
                Some((_, _, descriptors)) => descriptors.push(descriptor),
                None => holders.push((pid, at, vec![descriptor])),
            }
        }
        let mut said: Vec<String> = holders
            .iter()
            .take(PROCESSES_SHOWN)
            .map(|(pid, at, descriptors)| words::holder(lang, &self.process(*pid), descriptors, at))
            .collect();
        if holders.len() > PROCESSES_SHOWN {
            said.push(words::in_all(lang, holders.len()));
        }
        Ok(words::shared(
            lang,
            &words::channel(lang, &clean(&channel.kind), channel.inode),
            &said.join(ui::lists_separator(lang)),
        ))
    }
}
