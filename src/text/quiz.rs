//! A step's `### quiz:` while its lines are read: the question, its
//! choices, and the reveal.

use anyhow::{Result, bail};

use super::{Quiz, Reveal};

/// A quiz while its lines are read.
pub(super) struct QuizDraft {
    question: String,
    choices: Vec<(bool, String)>,
    reveal: Vec<Reveal>,
    paragraph: Vec<String>,
}

impl QuizDraft {
    pub(super) fn new(question: &str) -> Self {
        Self {
            question: question.to_string(),
            choices: Vec::new(),
            reveal: Vec::new(),
            paragraph: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, line: &str) -> Result<()> {
        let trimmed = line.trim();
        let choice = [("- [x] ", true), ("- [X] ", true), ("- [ ] ", false)]
            .into_iter()
            .find_map(|(mark, right)| Some((right, trimmed.strip_prefix(mark)?)));
        if let Some((right, choice)) = choice {
            if !self.reveal.is_empty() || !self.paragraph.is_empty() {
                bail!("quiz `{}`: a choice after the reveal", self.question);
            }
            self.choices.push((right, choice.trim().to_string()));
        } else if trimmed.starts_with("```") || trimmed.starts_with('#') {
            bail!(
                "quiz `{}`: only choices and paragraphs may follow it, not `{trimmed}`",
                self.question
            );
        } else if trimmed.is_empty() {
            self.end_paragraph();
        } else if let Some(each) = trimmed.strip_prefix("- ") {
            self.end_paragraph();
            self.reveal.push(Reveal::EachEvent(each.trim().to_string()));
        } else {
            self.paragraph.push(trimmed.to_string());
        }
        Ok(())
    }

    fn end_paragraph(&mut self) {
        if !self.paragraph.is_empty() {
            let lines = std::mem::take(&mut self.paragraph);
            self.reveal.push(Reveal::Paragraph(lines));
        }
    }

    pub(super) fn finish(mut self, step: &str) -> Result<Quiz> {
        self.end_paragraph();
        let rights: Vec<usize> = self
            .choices
            .iter()
            .enumerate()
            .filter(|(_, (right, _))| *right)
            .map(|(at, _)| at + 1)
            .collect();
        if self.question.is_empty() || self.choices.len() < 2 || rights.len() != 1 {
            bail!(
                "the quiz of step `{step}` needs a question, at least two `- [ ]` choices and exactly one `- [x]`"
            );
        }
        if self.reveal.is_empty() {
            bail!("the quiz of step `{step}` needs a reveal paragraph after its choices");
        }
        Ok(Quiz {
            question: self.question,
            choices: self.choices.into_iter().map(|(_, choice)| choice).collect(),
            right: rights[0],
            reveal: self.reveal,
        })
    }
}
