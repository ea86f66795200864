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
//! The lines `- name: help` of `## options` describe the lesson's options
//! for `--help` and the manual page (`name` is the option's long name, and
//! `name=value` one of its possible values).
//!
//! A step may have variants: more sections with the same id and a
//! condition on the facts, `## step-id [lost == 0]: Another title`, right
//! after its first section. The narrator says the first variant whose
//! condition holds for the event that opens the step, else the first
//! section (see `condition.rs`).
//!
//! A ```python block is a complete program, which `procdemo <id> --python`
//! gives and a test runs; lines `<!-- prints: REGEX -->` right after it say
//! what it must print (each regex matches a line). A block that is not a
//! whole program is marked ```python fragment, and shown as one.
//!
//! A step may end with `### quiz: Question?` for `--quiz`: choices as
//! `- [ ] wrong` and `- [x] right` lines, then the paragraphs of the reveal,
//! where `{fact}`, `{role:fact}`, `{pid}` and `{role:pid}` stand for what
//! this run's events of the step reported (every value, when several events
//! did). A reveal line `- …` is said once per event that has its facts.

mod condition;
mod python;
mod quiz;
mod section;

use anyhow::{Context, Result, bail};

use crate::model::Event;
pub use condition::Condition;
use quiz::QuizDraft;
use section::Section;

#[derive(Debug)]
pub struct LessonText {
    pub title: String,
    pub summary: String,
    pub steps: Vec<StepText>,
    fact_labels: Vec<(String, String)>,
    words: Vec<(String, String)>,
    options: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct StepText {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub quiz: Option<Quiz>,
    /// Said instead of `title` and `blocks` when their condition holds.
    pub variants: Vec<Variant>,
}

/// Another telling of a step, for runs whose facts satisfy `condition`.
#[derive(Debug)]
pub struct Variant {
    pub condition: Condition,
    pub title: String,
    pub blocks: Vec<Block>,
}

impl StepText {
    /// The title and blocks to say when `event` opens the step.
    pub fn told_for(&self, event: &Event) -> (&str, &[Block]) {
        self.variants
            .iter()
            .find(|variant| variant.condition.holds_for(event))
            .map_or((&self.title, &self.blocks), |variant| {
                (&variant.title, &variant.blocks)
            })
    }

    /// Every block of every telling: the first section's, then each variant's.
    pub fn all_blocks(&self) -> impl Iterator<Item = &Block> {
        self.blocks
            .iter()
            .chain(self.variants.iter().flat_map(|variant| &variant.blocks))
    }
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
    Code(Code),
}

/// A fenced block: ```python (a complete program), ```python fragment,
/// ```os (what the kernel does).
#[derive(Debug)]
pub struct Code {
    pub kind: String,
    pub lines: Vec<String>,
    /// Marked `fragment`: a piece of a program, not one that runs alone.
    pub fragment: bool,
    /// For a complete program: what it must print, one regex per line.
    pub prints: Vec<String>,
}

impl Code {
    /// A complete Python program: one the test runs and `--python` gives.
    pub fn is_python_program(&self) -> bool {
        self.kind == "python" && !self.fragment
    }
}

const FACTS_SECTION: &str = "facts";
const WORDS_SECTION: &str = "words";
const OPTIONS_SECTION: &str = "options";
const QUIZ_HEADING: &str = "### quiz:";
const PRINTS: &str = "<!-- prints:";

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
        let mut steps: Vec<StepText> = Vec::new();
        let mut section: Option<Section> = None;
        let mut fence: Option<Code> = None;
        let mut paragraph: Vec<String> = Vec::new();
        for line in lines {
            if let Some(draft) = section.as_mut().and_then(|section| section.quiz.as_mut())
                && !line.starts_with("## ")
            {
                draft.add(line)?;
                continue;
            }
            if let Some(code) = &mut fence {
                if line.trim_start().starts_with("```") {
                    let code = fence.take().context("a fence")?;
                    section
                        .as_mut()
                        .context("code outside a step")?
                        .blocks
                        .push(Block::Code(code));
                } else {
                    code.lines.push(line.to_string());
                }
                continue;
            }
            if let Some(heading) = line.strip_prefix("## ") {
                if let Some(mut done) = section.take() {
                    if !paragraph.is_empty() {
                        done.blocks
                            .push(Block::Paragraph(std::mem::take(&mut paragraph)));
                    }
                    done.finish_into(&mut steps)?;
                }
                section = Some(Section::heading(heading)?);
                continue;
            }
            let section_now = section.as_mut().context("text before the first step")?;
            if line.trim().is_empty() {
                if !paragraph.is_empty() {
                    section_now
                        .blocks
                        .push(Block::Paragraph(std::mem::take(&mut paragraph)));
                }
            } else if let Some(question) = line.strip_prefix(QUIZ_HEADING) {
                if !paragraph.is_empty() {
                    section_now
                        .blocks
                        .push(Block::Paragraph(std::mem::take(&mut paragraph)));
                }
                section_now.quiz = Some(QuizDraft::new(question.trim()));
            } else if line.starts_with("###") {
                bail!("unknown subsection `{line}`: only `{QUIZ_HEADING} …` may follow a step");
            } else if let Some(info) = line.trim_start().strip_prefix("```") {
                if !paragraph.is_empty() {
                    section_now
                        .blocks
                        .push(Block::Paragraph(std::mem::take(&mut paragraph)));
                }
                fence = Some(Code::opened(info)?);
            } else if let Some(regex) = line.trim().strip_prefix(PRINTS) {
                let Some(Block::Code(code)) = section_now.blocks.last_mut() else {
                    bail!("`{PRINTS} …` must follow a ```python block");
                };
                if !code.is_python_program() {
                    bail!("`{PRINTS} …` follows a block that is not a complete Python program");
                }
                let regex = regex
                    .trim()
                    .strip_suffix("-->")
                    .context("`<!--` without `-->`")?;
                code.prints.push(regex.trim().to_string());
            } else if !line.trim().is_empty() {
                paragraph.push(line.trim_end().to_string());
            }
        }
        if fence.is_some() {
            bail!("a ``` block is not closed");
        }
        if let Some(mut last) = section {
            if !paragraph.is_empty() {
                last.blocks.push(Block::Paragraph(paragraph));
            }
            last.finish_into(&mut steps)?;
        }
        let fact_labels = take_labels(&mut steps, FACTS_SECTION)?;
        let words = take_labels(&mut steps, WORDS_SECTION)?;
        let options = take_labels(&mut steps, OPTIONS_SECTION)?;
        Ok(Self {
            title,
            summary,
            steps,
            fact_labels,
            words,
            options,
        })
    }

    /// The help of the lesson's option `name` (its long name, without
    /// dashes), or of one of its values (`name=value`).
    pub fn option_help(&self, name: &str) -> Option<&str> {
        look_up(&self.options, name)
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
        assert!(matches!(&step.blocks[1], Block::Code(code) if code.kind == "python"));
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
    fn a_variant_is_told_when_its_condition_holds() {
        let text = LessonText::parse(
            "# T\ns\n## lost: Updates lost\nSome were.\n## lost [lost == 0]: None lost this time\nNone was.\n## next: N\nx\n",
        )
        .expect("parses");
        assert_eq!(text.steps.len(), 2, "a variant is not a step of its own");
        let (_, step) = text.step("lost").expect("step");
        let event = |lost: u64| Event {
            t_us: 0,
            lesson: "t".into(),
            pid: 1,
            ppid: 0,
            role: "parent".into(),
            step: "lost".into(),
            facts: crate::model::facts(serde_json::json!({ "lost": lost })),
        };
        assert_eq!(step.told_for(&event(0)).0, "None lost this time");
        assert_eq!(step.told_for(&event(3)).0, "Updates lost");
        assert!(LessonText::parse("# T\ns\n## a [x == 1]: A\ny\n").is_err());
        assert!(LessonText::parse("# T\ns\n## a: A\nx\n## a: A again\ny\n").is_err());
    }

    #[test]
    fn rejects_an_unclosed_fence() {
        assert!(LessonText::parse("# T\ns\n## a: A\n```python\nx\n").is_err());
    }
}
