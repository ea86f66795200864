//! Timelines drawn in the terminal, one lane per process, from a `timeline`
//! fact: `{"lanes": [{"label": "…", "pid": 1, "spans": [{"state": "wait",
//! "from_us": 0, "to_us": 10}]}], "counters": [{"name": "…", "samples":
//! [[t_us, value], …]}]}`. The same fact feeds `--trace`.

use serde_json::Value;
use unicode_width::UnicodeWidthChar;

use super::layout::{self, Text};
use super::palette;
use super::ui::Words;

/// Columns for the bars at most: with the labels and the indent, a line
/// fits in 80. A narrower screen gets shorter bars, down to BAR_NARROWEST.
const BAR_WIDTH: usize = 50;
const BAR_NARROWEST: usize = 12;
/// Columns for a lane's label at most.
const LABEL_WIDTH: usize = 18;

/// The lanes' and the counters' lines, each after `indent`, within `width`
/// columns.
pub fn draw(timeline: &Value, words: Words, indent: &str, width: usize) -> Vec<String> {
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
    let labels: Vec<String> = lanes.iter().map(|lane| lane_label(lane, words)).collect();
    let counter_names = counter_names(timeline, words);
    let label_width = labels
        .iter()
        .chain(&counter_names)
        .map(|label| layout::columns(label))
        .max()
        .unwrap_or(0)
        .min(LABEL_WIDTH);
    // The indent, the label, a space and the two ends of the bar.
    let bar_width = width
        .saturating_sub(indent.len() + label_width + 3)
        .clamp(BAR_NARROWEST, BAR_WIDTH);
    let places = Layout {
        indent,
        label_width,
        bar_width,
    };
    let counters = draw_counters(timeline, &counter_names, &places);
    let (Some(start), Some(end)) = (
        bounds.iter().map(|b| b.0).min(),
        bounds.iter().map(|b| b.1).max(),
    ) else {
        return counters;
    };
    let length = (end - start).max(1) as f64;
    let column = |t: u64| (((t - start) as f64 / length) * bar_width as f64).round() as usize;
    let mut lines = vec![palette::muted(&format!(
        "{indent}{:label_width$} {:<half$}{:>rest$}",
        "",
        "0 ms",
        format!("{:.1} ms", length / 1000.0),
        half = bar_width / 2 + 1,
        rest = bar_width - bar_width / 2 + 1,
    ))];
    let mut states: Vec<String> = Vec::new();
    for (lane, label) in lanes.iter().zip(&labels) {
        let mut bar = vec![' '; bar_width];
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
                column(to).max(column(from) + 1).min(bar_width),
            );
            let first = first.min(bar_width - 1);
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
        let bar: String = bar.into_iter().collect();
        lines.push(format!(
            "{indent}{} {}{bar}{}",
            places.pad(label),
            palette::muted("│"),
            palette::muted("│")
        ));
    }
    let legend: Vec<String> = states
        .iter()
        .map(|state| format!("{} {}", symbol(state), words.of(state)))
        .collect();
    let mut text = Text::new();
    text.push_in(&legend.join("   "), palette::muted);
    let lead = format!("{indent}{} ", places.pad(""));
    let room = width.saturating_sub(layout::columns(&lead));
    for line in text.lines(room, room) {
        lines.push(format!("{lead}{line}"));
    }
    lines.extend(counters);
    lines
}

/// Where the parts of a timeline's lines go.
struct Layout<'a> {
    indent: &'a str,
    label_width: usize,
    bar_width: usize,
}

impl Layout<'_> {
    /// `label` cut or padded to the labels' column.
    fn pad(&self, label: &str) -> String {
        let mut width = 0;
        let mut out = String::new();
        for character in label.chars() {
            let wide = character.width().unwrap_or(0);
            if width + wide > self.label_width {
                break;
            }
            width += wide;
            out.push(character);
        }
        out + &" ".repeat(self.label_width - width)
    }
}

/// "worker 4242": the role in the reader's language, then the pid.
fn lane_label(lane: &Value, words: Words) -> String {
    let label = lane.get("label").and_then(Value::as_str).unwrap_or("");
    match label.rsplit_once(' ') {
        Some((role, pid)) => format!("{} {pid}", words.of(role)),
        None => label.to_string(),
    }
}

fn counters(timeline: &Value) -> &[Value] {
    timeline
        .get("counters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn counter_names(timeline: &Value, words: Words) -> Vec<String> {
    counters(timeline)
        .iter()
        .map(|counter| words.of(counter.get("name").and_then(Value::as_str).unwrap_or("")))
        .collect()
}

/// Each counter as its values in time order, as many as fit on a line.
fn draw_counters(timeline: &Value, names: &[String], places: &Layout<'_>) -> Vec<String> {
    counters(timeline)
        .iter()
        .zip(names)
        .map(|(counter, name)| {
            let values: Vec<String> = counter
                .get("samples")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|sample| sample.get(1).map(Value::to_string))
                .collect();
            let mut shown = String::new();
            for value in &values {
                if layout::columns(&shown) + layout::columns(value) + 1 > places.bar_width {
                    shown.push('…');
                    break;
                }
                shown.push_str(value);
                shown.push(' ');
            }
            format!(
                "{}{} {}",
                places.indent,
                palette::muted(&places.pad(name)),
                palette::bold(shown.trim_end())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lanes_fit_the_screen_and_show_each_state() {
        colored::control::set_override(false);
        let timeline = json!({"lanes": [
            {"label": "worker 101", "pid": 101, "spans": [{"state": "wait", "from_us": 0, "to_us": 500}, {"state": "hold", "from_us": 500, "to_us": 1000}]},
            {"label": "子进程 102", "pid": 102, "spans": [{"state": "hold", "from_us": 0, "to_us": 500}]}
        ]});
        let lesson = crate::text::LessonText::parse("# t\ns\n## words\n- worker: 工作进程\n")
            .expect("a lesson text");
        let words = Words::new(crate::model::Lang::Zh, &lesson);
        assert_eq!(words.of("worker"), "工作进程");
        for width in [50, 60, 80, 120] {
            let lines = draw(&timeline, words, "      ", width);
            assert_eq!(lines.len(), 4);
            assert!(lines[1].contains('░') && lines[1].contains('█'));
            for line in &lines {
                assert!(layout::columns(line) <= width.min(80), "{width}: {line}");
            }
        }
        // Below 76 columns the lanes are narrower, and as wide as the screen.
        let bars = |width| draw(&timeline, words, "      ", width)[1].chars().count();
        assert!(bars(60) < bars(80));
        assert_eq!(
            layout::columns(&draw(&timeline, words, "      ", 60)[1]),
            60
        );
    }
}
