//! One `## …` section of a lesson text while its lines are read: a step's
//! first section, or a variant of it; and the fenced blocks in it.

use anyhow::{Context, Result, bail};

use super::quiz::QuizDraft;
use super::{Block, Code, Condition, StepText, Variant};

/// One `## …` section while its lines are read.
pub(super) struct Section {
    pub(super) id: String,
    condition: Option<Condition>,
    title: String,
    pub(super) blocks: Vec<Block>,
    pub(super) quiz: Option<QuizDraft>,
}

impl Section {
    /// `step-id: Title` or `step-id [condition]: Title`.
    pub(super) fn heading(heading: &str) -> Result<Self> {
        let (head, title) = heading.split_once(':').unwrap_or((heading, ""));
        let (id, condition) = match head.split_once('[') {
            Some((id, rest)) => {
                let condition = rest
                    .trim_end()
                    .strip_suffix(']')
                    .with_context(|| format!("step heading `## {heading}`: `[` without `]`"))?;
                (id.trim(), Some(Condition::parse(condition)?))
            }
            None => (head.trim(), None),
        };
        if id.is_empty() || id.contains(char::is_whitespace) {
            bail!("step heading `## {heading}`: the id must be one word before `:`");
        }
        Ok(Self {
            id: id.to_string(),
            condition,
            title: title.trim().to_string(),
            blocks: Vec::new(),
            quiz: None,
        })
    }

    /// A first section becomes a step; a variant joins the step just before,
    /// which must have the same id.
    pub(super) fn finish_into(self, steps: &mut Vec<StepText>) -> Result<()> {
        let quiz = self.quiz.map(|draft| draft.finish(&self.id)).transpose()?;
        let Some(condition) = self.condition else {
            if steps.iter().any(|step| step.id == self.id) {
                bail!("step `{}` has two sections without a condition", self.id);
            }
            steps.push(StepText {
                id: self.id,
                title: self.title,
                blocks: self.blocks,
                quiz,
                variants: Vec::new(),
            });
            return Ok(());
        };
        if quiz.is_some() {
            bail!(
                "step `{}`: a quiz belongs to the step's first section, not a variant",
                self.id
            );
        }
        match steps.last_mut() {
            Some(step) if step.id == self.id => {
                step.variants.push(Variant {
                    condition,
                    title: self.title,
                    blocks: self.blocks,
                });
                Ok(())
            }
            _ => bail!(
                "the variant `[{}]` of step `{}` must follow that step's first section",
                condition.source(),
                self.id
            ),
        }
    }
}

impl Code {
    /// A block opened by ```` ```info ````: its kind, and `fragment` after it.
    pub(super) fn opened(info: &str) -> Result<Self> {
        let mut words = info.split_whitespace();
        let kind = words.next().unwrap_or_default().to_string();
        let fragment = match words.next() {
            None => false,
            Some("fragment") => true,
            Some(other) => bail!("```{info}: unknown mark `{other}` (only `fragment`)"),
        };
        Ok(Self {
            kind,
            lines: Vec::new(),
            fragment,
            prints: Vec::new(),
        })
    }
}
