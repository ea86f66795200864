//! Lesson texts: the Markdown files under `lessons/<lang>/`, embedded in the
//! binary, parsed into steps looked up by step id.
//!
//! A file is: `# Title`, a one-line summary, then one `## step-id: Step title`
//! section per step, in the order the lesson usually reaches them. A section
//! holds paragraphs and fenced blocks (```python for the Python a learner
//! knows, ```os for what the kernel does). The section `## facts` is not a
//! step: its lines `- fact_name: label` name the facts for human output.

use anyhow::{Context, Result, bail};

#[derive(Debug)]
pub struct LessonText {
    pub title: String,
    pub summary: String,
    pub steps: Vec<StepText>,
    fact_labels: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct StepText {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug)]
pub enum Block {
    Paragraph(Vec<String>),
    Code { kind: String, lines: Vec<String> },
}

const FACTS_SECTION: &str = "facts";

impl LessonText {
    pub fn parse(source: &str) -> Result<Self> {
        let mut lines = source.lines().peekable();
        let title = lines
            .next()
            .and_then(|line| line.strip_prefix("# "))
            .context("a lesson text must start with `# Title`")?
            .trim()
            .to_string();
        let mut summary = String::new();
        while let Some(line) = lines.next_if(|line| !line.starts_with("## ")) {
            if summary.is_empty() && !line.trim().is_empty() {
                summary = line.trim().to_string();
            }
        }
        let mut steps = Vec::new();
        let mut fact_labels = Vec::new();
        let mut section: Option<StepText> = None;
        let mut fence: Option<(String, Vec<String>)> = None;
        let mut paragraph: Vec<String> = Vec::new();
        for line in lines {
            if let Some((kind, code)) = &mut fence {
                if line.trim_start().starts_with("```") {
                    let block = Block::Code {
                        kind: std::mem::take(kind),
                        lines: std::mem::take(code),
                    };
                    section
                        .as_mut()
                        .context("code outside a step")?
                        .blocks
                        .push(block);
                    fence = None;
                } else {
                    code.push(line.to_string());
                }
                continue;
            }
            let flush = |paragraph: &mut Vec<String>, section: &mut Option<StepText>| {
                if !paragraph.is_empty()
                    && let Some(step) = section
                {
                    step.blocks
                        .push(Block::Paragraph(std::mem::take(paragraph)));
                }
                paragraph.clear();
            };
            if let Some(heading) = line.strip_prefix("## ") {
                flush(&mut paragraph, &mut section);
                steps.extend(section.take());
                let (id, step_title) = heading.split_once(':').unwrap_or((heading, ""));
                let id = id.trim();
                if id.is_empty() || id.contains(char::is_whitespace) {
                    bail!("step heading `## {heading}`: the id must be one word before `:`");
                }
                section = Some(StepText {
                    id: id.to_string(),
                    title: step_title.trim().to_string(),
                    blocks: Vec::new(),
                });
            } else if let Some(kind) = line.trim_start().strip_prefix("```") {
                flush(&mut paragraph, &mut section);
                fence = Some((kind.trim().to_string(), Vec::new()));
            } else if line.trim().is_empty() {
                flush(&mut paragraph, &mut section);
            } else {
                paragraph.push(line.trim_end().to_string());
            }
        }
        if fence.is_some() {
            bail!("a ``` block is not closed");
        }
        if !paragraph.is_empty()
            && let Some(step) = &mut section
        {
            step.blocks.push(Block::Paragraph(paragraph));
        }
        steps.extend(section);
        if let Some(at) = steps.iter().position(|step| step.id == FACTS_SECTION) {
            let facts = steps.remove(at);
            for block in facts.blocks {
                let Block::Paragraph(lines) = block else {
                    continue;
                };
                for line in lines {
                    let (name, label) = line
                        .trim_start_matches(['-', ' '])
                        .split_once(':')
                        .with_context(|| {
                            format!("fact label line `{line}` needs `- name: label`")
                        })?;
                    fact_labels.push((name.trim().to_string(), label.trim().to_string()));
                }
            }
        }
        Ok(Self {
            title,
            summary,
            steps,
            fact_labels,
        })
    }

    /// The step's position (from 1) and text.
    pub fn step(&self, id: &str) -> Option<(usize, &StepText)> {
        self.steps
            .iter()
            .enumerate()
            .find(|(_, step)| step.id == id)
            .map(|(at, step)| (at + 1, step))
    }

    pub fn fact_label(&self, name: &str) -> Option<&str> {
        self.fact_labels
            .iter()
            .find(|(fact, _)| fact == name)
            .map(|(_, label)| label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_blocks_and_fact_labels() {
        let text = LessonText::parse(
            "# Fork\nOne becomes two.\n\n## before: Before\nSome `code`.\nMore.\n\n```python\nx = 1\n```\n\n## facts\n- w: the value of w\n",
        )
        .expect("parses");
        assert_eq!(text.title, "Fork");
        assert_eq!(text.summary, "One becomes two.");
        assert_eq!(text.steps.len(), 1);
        let (position, step) = text.step("before").expect("step");
        assert_eq!(position, 1);
        assert_eq!(step.title, "Before");
        assert!(matches!(&step.blocks[0], Block::Paragraph(lines) if lines.len() == 2));
        assert!(matches!(&step.blocks[1], Block::Code { kind, .. } if kind == "python"));
        assert_eq!(text.fact_label("w"), Some("the value of w"));
    }

    #[test]
    fn rejects_an_unclosed_fence() {
        assert!(LessonText::parse("# T\ns\n## a: A\n```python\nx\n").is_err());
    }
}
