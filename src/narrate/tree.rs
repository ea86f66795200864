//! Process trees drawn the way `pstree -p` draws them, from a `tree` fact:
//! `{"pid": 1, "name": "init", "note": "…", "exit_code": 0, "signal": "SIGKILL", "children": [...]}`.

use colored::Colorize;
use serde_json::Value;

use super::ui::{self, Words};

pub fn draw(node: &Value, words: Words, indent: &str) -> Vec<String> {
    let mut lines = vec![format!("{indent}{}", label(node, words))];
    draw_children(node, words, indent, &mut lines);
    lines
}

fn draw_children(node: &Value, words: Words, prefix: &str, lines: &mut Vec<String>) {
    let children = node
        .get("children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (at, child) in children.iter().enumerate() {
        let last = at + 1 == children.len();
        let (branch, carry) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        lines.push(format!(
            "{prefix}{}{}",
            branch.dimmed(),
            label(child, words)
        ));
        draw_children(child, words, &format!("{prefix}{carry}"), lines);
    }
}

fn label(node: &Value, words: Words) -> String {
    let name = node.get("name").and_then(Value::as_str).unwrap_or("?");
    let pid = node.get("pid").and_then(Value::as_i64).unwrap_or(0);
    let mut text = format!("{}({})", name.bold(), pid.to_string().cyan());
    // As `ps` marks a zombie.
    if node.get("state").and_then(Value::as_str) == Some("Z") {
        text.push_str(&format!(" {}", "<defunct>".red()));
    }
    if let Some(note) = node.get("note").and_then(Value::as_str) {
        text.push_str(&format!("  {}", words.of(note).green()));
    }
    let exit_code = node.get("exit_code").and_then(Value::as_i64);
    let signal = node.get("signal").and_then(Value::as_str);
    if let Some(ending) = ui::ending(words.lang, exit_code, signal) {
        text.push_str(&format!("  {}", ending.dimmed()));
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
            draw(&tree, Words::procdemo(crate::model::Lang::En), ""),
            vec![
                "init(1)",
                "├─ sh(10)",
                "│  └─ a(11)",
                "└─ b(12)  exited 0, reaped"
            ]
        );
    }
}
