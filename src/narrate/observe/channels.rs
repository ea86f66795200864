//! The pipe and socket ends a process holds, told when they change.

use anyhow::{Result, anyhow};

use super::shown::clean;
use super::{ENDS_SHOWN, Narration};
use crate::model::observe::Channels;
use crate::narrate::ui;
use crate::narrate::ui::observe::{self as words, Lesson};

impl Narration {
    pub(super) fn channels(
        &mut self,
        t_us: u64,
        pid: i64,
        channels: Channels,
    ) -> Result<Vec<String>> {
        let lang = self.lang;
        let Channels { at, ends } = channels;
        let when = seen_at(lang, &at, false)?;
        // What a process holds is told when it changes: after a fork, from
        // what its parent was last seen holding; after an exec, from its own.
        let before = match at.as_str() {
            "fork" => self.parents.get(&pid).copied().unwrap_or(pid),
            _ => pid,
        };
        let unchanged = self.held.get(&before).is_some_and(|held| *held == ends);
        self.held.insert(pid, ends.clone());
        if ends.is_empty() || unchanged {
            return Ok(Vec::new());
        }
        let said: Vec<String> = ends
            .iter()
            .take(ENDS_SHOWN)
            .map(|end| {
                words::end(
                    lang,
                    i64::from(end.fd),
                    &words::channel(lang, &clean(&end.kind), end.inode),
                    words::access(lang, &clean(&end.access)),
                )
            })
            .collect();
        let mut ends_said = said.join(ui::list_separator(lang));
        if ends.len() > ENDS_SHOWN {
            ends_said.push_str(&words::in_all(lang, ends.len()));
        }
        let line = words::channels(lang, &self.process(pid), when, &ends_said);
        let mut lines = self.event_line(t_us, &line);
        // Taught only for an end the line shows.
        for (kind, lesson) in [("pipe", Lesson::Pipe), ("socket", Lesson::Socket)] {
            if ends.iter().take(ENDS_SHOWN).any(|end| end.kind == kind) {
                lines.extend(self.teaching(lesson));
            }
        }
        Ok(lines)
    }
}

/// When descriptors were read, from an `at` fact; an error for a value
/// the contract does not have.
pub(super) fn seen_at(lang: crate::model::Lang, at: &str, past: bool) -> Result<&'static str> {
    words::channels_at(lang, at, past)
        .ok_or_else(|| anyhow!("`at` is `{}`, not fork, exec or forked", clean(at)))
}
