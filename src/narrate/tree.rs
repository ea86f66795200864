//! Process trees drawn the way `pstree -p` draws them, from a `tree` fact:
//! `{"pid": 1, "name": "init", "note": "…", "exit_code": 0, "signal": "SIGKILL", "children": [...]}`.
//! A label too long for the screen goes on under itself, beside the
//! branches that lead to its children.

use serde_json::Value;

use super::layout::Text;
use super::palette::{self, Ink};
use super::ui::{self, Words};

/// The tree's lines, each after `indent`, within `width` columns.
pub fn draw(node: &Value, words: Words, indent: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    place(node, words, indent, "", indent, width, &mut lines);
    draw_children(node, words, indent, width, &mut lines);
    lines
}

/// `node`'s label after `lead` + `branch`; more lines of it after `under`.
fn place(
    node: &Value,
    words: Words,
    lead: &str,
    branch: &str,
    under: &str,
    width: usize,
    lines: &mut Vec<String>,
) {
    let under = if children(node).is_empty() {
        format!("{under}  ")
    } else {
        format!("{under}│ ")
    };
    let first = width.saturating_sub(lead.chars().count() + branch.chars().count());
    let rest = width.saturating_sub(under.chars().count());
    for (at, line) in label(node, words).lines(first, rest).iter().enumerate() {
        if at == 0 {
            lines.push(format!(
                "{}{line}",
                palette::muted(&format!("{lead}{branch}"))
            ));
        } else {
            lines.push(format!("{}{line}", palette::muted(&under)));
        }
    }
}

fn children(node: &Value) -> &[Value] {
    node.get("children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn draw_children(node: &Value, words: Words, prefix: &str, width: usize, lines: &mut Vec<String>) {
    let children = children(node);
    for (at, child) in children.iter().enumerate() {
        let last = at + 1 == children.len();
        let (branch, carry) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        let below = format!("{prefix}{carry}");
        place(child, words, prefix, branch, &below, width, lines);
        draw_children(child, words, &below, width, lines);
    }
}

fn label(node: &Value, words: Words) -> Text {
    let name = node.get("name").and_then(Value::as_str).unwrap_or("?");
    let pid = node.get("pid").and_then(Value::as_i64).unwrap_or(0);
    let mut text = Text::new();
    text.push_in(&format!("{name}({pid})"), palette::bold);
    // As `ps` marks a zombie.
    if node.get("state").and_then(Value::as_str) == Some("Z") {
        text.push(" ")
            .push_in("<defunct>", |text| Ink::Bad.paint(text).to_string());
    }
    if let Some(note) = node.get("note").and_then(Value::as_str) {
        text.push("  ")
            .push_in(&words.of(note), |text| Ink::Good.paint(text).to_string());
    }
    let exit_code = node.get("exit_code").and_then(Value::as_i64);
    let signal = node.get("signal").and_then(Value::as_str);
    if let Some(ending) = ui::ending(words.lang, exit_code, signal) {
        text.push("  ").push_in(&ending, palette::muted);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draws_branches_like_pstree() {
        colored::control::set_override(false);
        let tree = json!({"pid": 1, "name": "init", "children": [
            {"pid": 10, "name": "sh", "children": [{"pid": 11, "name": "a"}]},
            {"pid": 12, "name": "b", "exit_code": 0}
        ]});
        assert_eq!(
            draw(&tree, Words::procdemo(crate::model::Lang::En), "", 80),
            vec![
                "init(1)",
                "├─ sh(10)",
                "│  └─ a(11)",
                "└─ b(12)  exited 0, reaped"
            ]
        );
    }
}
