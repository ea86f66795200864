//! Lesson texts: the Markdown files under `lessons/<lang>/`, embedded in the
//! binary, parsed into steps looked up by step id.
//!
//! A file is: `# Title`, a one-line summary, then one `## step-id: Step title`
//! section per step, in the order the lesson usually reaches them. A section
//! holds paragraphs and fenced blocks (```python for the Python a learner
//! knows, ```os for what the kernel does). The sections `## facts` and
//! `## words` are not steps: the lines `- fact_name: label` of the first name
//! the facts for human output, and the lines `- word: translation` of the
//! second say the lesson's roles and fixed values in the file's language.
//!
//! A step may end with `### quiz: Question?` for `--quiz`: choices as
//! `- [ ] wrong` and `- [x] right` lines, then the paragraphs of the reveal,
//! where `{fact}`, `{role:fact}`, `{pid}` and `{role:pid}` stand for what
//! this run's events of the step reported (every value, when several events
//! did). A reveal line `- …` is said once per event that has its facts.

use anyhow::{Context, Result, bail};

#[derive(Debug)]
pub struct LessonText {
    pub title: String,
    pub summary: String,
    pub steps: Vec<StepText>,
    fact_labels: Vec<(String, String)>,
    words: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct StepText {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub quiz: Option<Quiz>,
}

/// A question asked before a step is shown, answered from this run's evidence.
#[derive(Clone, Debug)]
pub struct Quiz {
    pub question: String,
    pub choices: Vec<String>,
    /// The right choice, counted from 1 as the user types it.
    pub right: usize,
    /// The explanation of the answer, with placeholders for facts.
    pub reveal: Vec<Reveal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reveal {
    /// Lines of one paragraph.
    Paragraph(Vec<String>),
    /// A line said once for each event of the step.
    EachEvent(String),
}

#[derive(Debug)]
pub enum Block {
    Paragraph(Vec<String>),
    Code { kind: String, lines: Vec<String> },
}

const FACTS_SECTION: &str = "facts";
const WORDS_SECTION: &str = "words";
const QUIZ_HEADING: &str = "### quiz:";

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
        let mut section: Option<StepText> = None;
        let mut fence: Option<(String, Vec<String>)> = None;
        let mut paragraph: Vec<String> = Vec::new();
        let mut quiz: Option<QuizDraft> = None;
        for line in lines {
            if let Some(draft) = &mut quiz
                && !line.starts_with("## ")
            {
                draft.add(line)?;
                continue;
            }
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
                if let (Some(draft), Some(step)) = (quiz.take(), &mut section) {
                    step.quiz = Some(draft.finish(&step.id)?);
                }
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
                    quiz: None,
                });
            } else if let Some(question) = line.strip_prefix(QUIZ_HEADING) {
                flush(&mut paragraph, &mut section);
                if section.is_none() {
                    bail!("`{QUIZ_HEADING}` outside a step");
                }
                quiz = Some(QuizDraft::new(question.trim()));
            } else if line.starts_with("###") {
                bail!("unknown subsection `{line}`: only `{QUIZ_HEADING} …` may follow a step");
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
        if let (Some(draft), Some(step)) = (quiz, &mut section) {
            step.quiz = Some(draft.finish(&step.id)?);
        }
        steps.extend(section);
        let fact_labels = take_labels(&mut steps, FACTS_SECTION)?;
        let words = take_labels(&mut steps, WORDS_SECTION)?;
        Ok(Self {
            title,
            summary,
            steps,
            fact_labels,
            words,
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

    /// The steps that carry a quiz, in text order.
    pub fn quizzes(&self) -> impl Iterator<Item = (&str, &Quiz)> {
        self.steps
            .iter()
            .filter_map(|step| Some((step.id.as_str(), step.quiz.as_ref()?)))
    }

    /// Every (fact, label) of the `## facts` section, in file order.
    pub fn fact_labels(&self) -> &[(String, String)] {
        &self.fact_labels
    }

    pub fn fact_label(&self, name: &str) -> Option<&str> {
        look_up(&self.fact_labels, name)
    }

    /// The lesson's word for one of its roles or fixed values, if it has one.
    pub fn word(&self, word: &str) -> Option<&str> {
        look_up(&self.words, word)
    }
}

fn look_up<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, label)| label.as_str())
}

/// Removes the section `id` (not a step: its lines are `- name: label`)
/// from `steps` and returns its pairs.
fn take_labels(steps: &mut Vec<StepText>, id: &str) -> Result<Vec<(String, String)>> {
    let Some(at) = steps.iter().position(|step| step.id == id) else {
        return Ok(Vec::new());
    };
    let section = steps.remove(at);
    let mut labels = Vec::new();
    for block in section.blocks {
        let Block::Paragraph(lines) = block else {
            bail!("the `## {id}` section holds only `- name: label` lines");
        };
        for line in lines {
            let (name, label) = line
                .trim_start_matches(['-', ' '])
                .split_once(':')
                .with_context(|| format!("{id} line `{line}` needs `- name: label`"))?;
            labels.push((name.trim().to_string(), label.trim().to_string()));
        }
    }
    Ok(labels)
}

/// A quiz while its lines are read.
struct QuizDraft {
    question: String,
    choices: Vec<(bool, String)>,
    reveal: Vec<Reveal>,
    paragraph: Vec<String>,
}

impl QuizDraft {
    fn new(question: &str) -> Self {
        Self {
            question: question.to_string(),
            choices: Vec::new(),
            reveal: Vec::new(),
            paragraph: Vec::new(),
        }
    }

    fn add(&mut self, line: &str) -> Result<()> {
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

    fn finish(mut self, step: &str) -> Result<Quiz> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_blocks_and_fact_labels() {
        let text = LessonText::parse(
            "# Fork\nOne becomes two.\n\n## before: Before\nSome `code`.\nMore.\n\n```python\nx = 1\n```\n\n## words\n- worker: 工作进程\n\n## facts\n- w: the value of w\n",
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
        assert_eq!(text.word("worker"), Some("工作进程"));
        assert_eq!(text.word("child"), None);
    }

    #[test]
    fn parses_a_quiz_after_the_step_text() {
        let text = LessonText::parse(
            "# T\ns\n## a: A\nText.\n\n### quiz: Which?\n- [ ] one\n- [x] two\n\nIt is {role:fact}.\nReally.\n\n- {pid} said {fact}\n## b: B\nx\n",
        )
        .expect("parses");
        let (_, step) = text.step("a").expect("step a");
        assert_eq!(step.blocks.len(), 1);
        let quiz = step.quiz.as_ref().expect("quiz");
        assert_eq!(quiz.question, "Which?");
        assert_eq!(quiz.choices, ["one", "two"]);
        assert_eq!(quiz.right, 2);
        assert_eq!(
            quiz.reveal,
            [
                Reveal::Paragraph(vec!["It is {role:fact}.".into(), "Really.".into()]),
                Reveal::EachEvent("{pid} said {fact}".into())
            ]
        );
        assert!(text.step("b").expect("step b").1.quiz.is_none());
    }

    #[test]
    fn rejects_a_quiz_without_exactly_one_right_choice() {
        assert!(
            LessonText::parse("# T\ns\n## a: A\n### quiz: Q?\n- [ ] x\n- [ ] y\n\nR.\n").is_err()
        );
        assert!(
            LessonText::parse("# T\ns\n## a: A\n### quiz: Q?\n- [x] x\n- [x] y\n\nR.\n").is_err()
        );
        assert!(LessonText::parse("# T\ns\n## a: A\n### quiz: Q?\n- [x] x\n- [ ] y\n").is_err());
    }

    #[test]
    fn headings_inside_code_are_code() {
        let text = LessonText::parse(
            "# T\nSummary.\n\n## one: One\ntext\n```python\n## not-a-step: x\n- nope: no\n```\n## two: Two\n\n## facts\n- w: the w\n- cpu: CPU\n",
        )
        .expect("parses");
        let ids: Vec<&str> = text.steps.iter().map(|step| step.id.as_str()).collect();
        assert_eq!(ids, ["one", "two"]);
        assert_eq!(text.fact_labels().len(), 2);
        assert_eq!(text.fact_label("cpu"), Some("CPU"));
    }

    #[test]
    fn rejects_an_unclosed_fence() {
        assert!(LessonText::parse("# T\ns\n## a: A\n```python\nx\n").is_err());
    }
}
