//! Timelines drawn in the terminal, one lane per process, from a `timeline`
//! fact: `{"lanes": [{"label": "…", "pid": 1, "spans": [{"state": "wait",
//! "from_us": 0, "to_us": 10}]}], "counters": [{"name": "…", "samples":
//! [[t_us, value], …]}]}`. The same fact feeds `--trace`.

use colored::Colorize;
use serde_json::Value;

use super::ui::Words;

/// Columns for the bars: with the label and the indent, a line fits in 80.
const BAR_WIDTH: usize = 50;
const LABEL_WIDTH: usize = 18;

pub fn draw(timeline: &Value, words: Words, indent: &str) -> Vec<String> {
    let lanes = timeline
        .get("lanes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    fn spans(lane: &Value) -> &[Value] {
        lane.get("spans")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    let bounds: Vec<(u64, u64)> = lanes
        .iter()
        .flat_map(spans)
        .filter_map(|span| Some((span.get("from_us")?.as_u64()?, span.get("to_us")?.as_u64()?)))
        .collect();
    let counters = draw_counters(timeline, words, indent);
    let (Some(start), Some(end)) = (
        bounds.iter().map(|b| b.0).min(),
        bounds.iter().map(|b| b.1).max(),
    ) else {
        return counters;
    };
    let length = (end - start).max(1) as f64;
    let column = |t: u64| (((t - start) as f64 / length) * BAR_WIDTH as f64).round() as usize;
    let mut lines = vec![
        format!(
            "{indent}{:LABEL_WIDTH$} {:<half$}{:>rest$}",
            "",
            "0 ms",
            format!("{:.1} ms", length / 1000.0),
            half = BAR_WIDTH / 2 + 1,
            rest = BAR_WIDTH - BAR_WIDTH / 2 + 1,
        )
        .dimmed()
        .to_string(),
    ];
    let mut states: Vec<String> = Vec::new();
    for lane in lanes {
        let mut bar = vec![' '; BAR_WIDTH];
        for span in spans(lane) {
            let (Some(from), Some(to)) = (
                span.get("from_us").and_then(Value::as_u64),
                span.get("to_us").and_then(Value::as_u64),
            ) else {
                continue;
            };
            let state = span.get("state").and_then(Value::as_str).unwrap_or("");
            if !states.iter().any(|seen| seen == state) {
                states.push(state.to_string());
            }
            let (first, last) = (
                column(from),
                column(to).max(column(from) + 1).min(BAR_WIDTH),
            );
            let first = first.min(BAR_WIDTH - 1);
            for cell in bar.iter_mut().take(last).skip(first) {
                *cell = symbol(state);
            }
            // A span's label (a task's number) goes inside its bar when it fits.
            if let Some(text) = span.get("label").and_then(Value::as_str)
                && text.chars().count() < last - first
            {
                for (cell, character) in bar.iter_mut().skip(first).zip(text.chars()) {
                    *cell = character;
                }
            }
        }
        // "worker 4242": the role in the reader's language, then the pid.
        let label = lane.get("label").and_then(Value::as_str).unwrap_or("");
        let label = match label.rsplit_once(' ') {
            Some((role, pid)) => format!("{} {pid}", words.of(role)),
            None => label.to_string(),
        };
        let label = label.as_str();
        let bar: String = bar.into_iter().collect();
        lines.push(format!(
            "{indent}{} {}{}{}",
            pad(label),
            "│".dimmed(),
            bar.cyan(),
            "│".dimmed()
        ));
    }
    let legend: Vec<String> = states
        .iter()
        .map(|state| format!("{} {}", symbol(state), words.of(state)))
        .collect();
    lines.push(format!(
        "{indent}{} {}",
        pad(""),
        legend.join("   ").dimmed()
    ));
    lines.extend(counters);
    lines
}

/// Each counter as its values in time order, as many as fit on a line.
fn draw_counters(timeline: &Value, words: Words, indent: &str) -> Vec<String> {
    let counters = timeline
        .get("counters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    counters
        .iter()
        .map(|counter| {
            let name = words.of(counter.get("name").and_then(Value::as_str).unwrap_or(""));
            let values: Vec<String> = counter
                .get("samples")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|sample| sample.get(1).map(Value::to_string))
                .collect();
            let mut shown = String::new();
            for value in &values {
                if shown.len() + value.len() + 1 > BAR_WIDTH {
                    shown.push('…');
                    break;
                }
                shown.push_str(value);
                shown.push(' ');
            }
            format!(
                "{indent}{} {}",
                pad(&name).dimmed(),
                shown.trim_end().bold()
            )
        })
        .collect()
}

fn symbol(state: &str) -> char {
    match state {
        "wait" => '░',
        "hold" | "inside" | "run" => '█',
        "task" => '▓',
        _ => '▒',
    }
}

/// Pads to LABEL_WIDTH terminal columns; CJK characters take two.
fn pad(label: &str) -> String {
    let mut width = 0;
    let mut out = String::new();
    for character in label.chars() {
        let wide = super::human::columns(character);
        if width + wide > LABEL_WIDTH {
            break;
        }
        width += wide;
        out.push(character);
    }
    out + &" ".repeat(LABEL_WIDTH - width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lanes_fit_in_eighty_columns_and_show_each_state() {
        colored::control::set_override(false);
        let timeline = json!({"lanes": [
            {"label": "worker 101", "pid": 101, "spans": [{"state": "wait", "from_us": 0, "to_us": 500}, {"state": "hold", "from_us": 500, "to_us": 1000}]},
            {"label": "子进程 102", "pid": 102, "spans": [{"state": "hold", "from_us": 0, "to_us": 500}]}
        ]});
        let lesson = crate::text::LessonText::parse("# t\ns\n## words\n- worker: 工作进程\n")
            .expect("a lesson text");
        let words = Words::new(crate::model::Lang::Zh, &lesson);
        assert_eq!(words.of("worker"), "工作进程");
        let lines = draw(&timeline, words, "      ");
        assert_eq!(lines.len(), 4);
        assert!(lines[1].contains('░') && lines[1].contains('█'));
        for line in &lines {
            let columns: usize = line
                .chars()
                .map(|c| {
                    if ('\u{1100}'..='\u{ffdc}').contains(&c) && c != '░' && c != '█' && c != '│'
                    {
                        2
                    } else {
                        1
                    }
                })
                .sum();
            assert!(columns <= 80, "{line}");
        }
    }
}
