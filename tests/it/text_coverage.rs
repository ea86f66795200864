//! Text coverage: every step a lesson emits has its text in every language,
//! every step in a text is emitted, every fact has a label, and the English
//! and Chinese files agree on their steps and facts.

use std::collections::BTreeSet;

use procdemo::model::Lang;
use procdemo::text::Block;

use crate::common::{LessonFile, listed_lessons, read_lesson_file, run_lesson, step};

const LANGS: &[&str] = &["en", "zh"];
/// Steps every lesson may emit whose words live in procdemo, not in the lesson files.
const BUILT_IN_STEPS: &[&str] = &["done", "ended"];
/// The fact drawn as a picture rather than labelled.
const PICTURE_FACT: &str = "tree";

fn lesson_ids() -> Vec<String> {
    let ids: Vec<String> = listed_lessons("en")
        .iter()
        .map(|lesson| lesson["lesson"].as_str().expect("lesson id").to_string())
        .collect();
    assert!(!ids.is_empty(), "procdemo list names no lesson");
    ids
}

/// The argument sets that together reach every step of `lesson`, from `procdemo list --json`.
fn coverage_runs(lesson: &str) -> Vec<Vec<String>> {
    let listed = listed_lessons("en");
    let entry = listed
        .iter()
        .find(|entry| entry["lesson"] == lesson)
        .expect("listed lesson");
    entry["coverage_runs"]
        .as_array()
        .expect("coverage_runs")
        .iter()
        .map(|run| {
            run.as_array()
                .expect("a run")
                .iter()
                .map(|arg| arg.as_str().expect("an argument").to_string())
                .collect()
        })
        .collect()
}

/// The step ids and fact names the coverage runs of `lesson` in `lang` emitted, outside done/ended.
fn emitted(lesson: &str, lang: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let events: Vec<_> = coverage_runs(lesson)
        .iter()
        .flat_map(|run| {
            let args: Vec<&str> = run.iter().map(String::as_str).collect();
            run_lesson(lesson, lang, &args).1
        })
        .collect();
    check_reports(lesson, &events);
    let mut steps = BTreeSet::new();
    let mut facts = BTreeSet::new();
    for event in events
        .iter()
        .filter(|event| !BUILT_IN_STEPS.contains(&step(event)))
    {
        steps.insert(step(event).to_string());
        let names = event["facts"].as_object().expect("facts object").keys();
        facts.extend(names.filter(|name| *name != PICTURE_FACT).cloned());
    }
    (steps, facts)
}

/// Every event is exactly the typed report of its step, as the crate
/// declares it: no fact missing, none extra, each of its type.
fn check_reports(lesson: &str, events: &[serde_json::Value]) {
    let declared = procdemo::lessons::find(lesson).expect("a lesson of the course");
    for value in events {
        let event: procdemo::model::Event =
            serde_json::from_value(value.clone()).expect("an event of the JSON contract");
        match declared.read_report(&event) {
            Some(Ok(())) => {}
            Some(Err(error)) => panic!("{lesson}: {error:#}\n{value}"),
            None => panic!(
                "{lesson}: step `{}` has no typed report\n{value}",
                event.step
            ),
        }
    }
}

/// Per step: the conditions of its variants, and how many complete Python
/// programs it has with how many printed lines each must show.
fn tellings(lesson: &str, lang: Lang) -> Vec<(String, Vec<String>, Vec<usize>)> {
    let text = procdemo::lessons::find(lesson)
        .expect("a lesson of the course")
        .text(lang)
        .expect("the text parses");
    text.steps
        .iter()
        .map(|step| {
            let conditions = step
                .variants
                .iter()
                .map(|variant| variant.condition.source().to_string())
                .collect();
            let programs = step
                .all_blocks()
                .filter_map(|block| match block {
                    Block::Code(code) if code.is_python_program() => Some(code.prints.len()),
                    _ => None,
                })
                .collect();
            (step.id.clone(), conditions, programs)
        })
        .collect()
}

fn fact_names(file: &LessonFile) -> BTreeSet<String> {
    file.facts.iter().map(|(name, _)| name.clone()).collect()
}

#[test]
fn every_emitted_step_and_fact_has_text_and_every_step_is_emitted() {
    let mut problems = Vec::new();
    for lesson in lesson_ids() {
        for lang in LANGS {
            let file = read_lesson_file(lang, &lesson);
            let (steps, facts) = emitted(&lesson, lang);
            let in_file: BTreeSet<String> = file.steps.iter().cloned().collect();
            for missing in steps.difference(&in_file) {
                problems.push(format!("lessons/{lang}/{lesson}.md: step `{missing}` is emitted but has no `## {missing}:` section"));
            }
            for unused in in_file.difference(&steps) {
                problems.push(format!(
                    "lessons/{lang}/{lesson}.md: step `{unused}` is never emitted by the lesson"
                ));
            }
            let labelled = fact_names(&file);
            for unlabelled in facts.difference(&labelled) {
                problems.push(format!("lessons/{lang}/{lesson}.md: fact `{unlabelled}` is emitted but has no label in `## facts`"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "text coverage:\n{}",
        problems.join("\n")
    );
}

#[test]
fn english_and_chinese_files_have_the_same_steps_and_facts() {
    let mut problems = Vec::new();
    for lesson in lesson_ids() {
        let (english_told, chinese_told) =
            (tellings(&lesson, Lang::En), tellings(&lesson, Lang::Zh));
        if english_told != chinese_told {
            problems.push(format!(
                "{lesson}: variants or Python programs differ\n  en: {english_told:?}\n  zh: {chinese_told:?}"
            ));
        }
        let english = read_lesson_file("en", &lesson);
        let chinese = read_lesson_file("zh", &lesson);
        if english.steps != chinese.steps {
            problems.push(format!(
                "{lesson}: steps differ\n  en: {:?}\n  zh: {:?}",
                english.steps, chinese.steps
            ));
        }
        if fact_names(&english) != fact_names(&chinese) {
            problems.push(format!(
                "{lesson}: facts differ\n  en: {:?}\n  zh: {:?}",
                fact_names(&english),
                fact_names(&chinese)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn lesson_files_are_well_formed() {
    let mut problems = Vec::new();
    for lesson in lesson_ids() {
        for lang in LANGS {
            let file = read_lesson_file(lang, &lesson);
            let name = format!("lessons/{lang}/{lesson}.md");
            if file.title.is_empty() {
                problems.push(format!("{name}: the first line must be `# Title`"));
            }
            if file.summary.is_empty() {
                problems.push(format!("{name}: no summary line after the title"));
            }
            if file.steps.is_empty() {
                problems.push(format!("{name}: no `## step-id: Title` section"));
            }
            let distinct: BTreeSet<&String> = file.steps.iter().collect();
            if distinct.len() != file.steps.len() {
                problems.push(format!("{name}: a step id appears twice: {:?}", file.steps));
            }
            for built_in in BUILT_IN_STEPS {
                if file.steps.iter().any(|step| step == built_in) {
                    problems.push(format!(
                        "{name}: `{built_in}` is procdemo's own step, not a lesson step"
                    ));
                }
            }
            if file.facts.is_empty() {
                problems.push(format!(
                    "{name}: no `## facts` section with `- name: label` lines"
                ));
            }
            for (fact, label) in &file.facts {
                if fact.is_empty() || fact.contains(char::is_whitespace) || label.is_empty() {
                    problems.push(format!("{name}: bad fact line `- {fact}: {label}`"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
