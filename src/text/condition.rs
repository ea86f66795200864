//! The condition of a step's variant: `## who-ran-first [first == child]: …`
//! is said instead of the step's first section when the event that opens
//! the step reported `first` equal to `child`. A condition compares one fact
//! (`fact`, or `role:fact` for an event of that role only) with a value by
//! `==`, `!=`, `<`, `<=`, `>` or `>=`; several are joined with ` and `. The
//! value is a number, `true`, `false`, `null` or a word (a string).

use std::cmp::Ordering;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::model::Event;

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    source: String,
    tests: Vec<Test>,
}

#[derive(Clone, Debug, PartialEq)]
struct Test {
    role: Option<String>,
    fact: String,
    compare: Compare,
    value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compare {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// Longest first, so that `<=` is not read as `<`.
const COMPARISONS: &[(&str, Compare)] = &[
    ("==", Compare::Equal),
    ("!=", Compare::NotEqual),
    ("<=", Compare::LessOrEqual),
    (">=", Compare::GreaterOrEqual),
    ("<", Compare::Less),
    (">", Compare::Greater),
];

impl Condition {
    pub fn parse(source: &str) -> Result<Self> {
        let tests = source
            .split(" and ")
            .map(|test| parse_test(test.trim()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            source: source.trim().to_string(),
            tests,
        })
    }

    /// As written in the lesson text, for checks that both languages agree.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when `event` reported facts for which every test holds; a fact
    /// the event does not carry makes the condition false.
    pub fn holds_for(&self, event: &Event) -> bool {
        self.tests.iter().all(|test| test.holds_for(event))
    }
}

fn parse_test(test: &str) -> Result<Test> {
    let Some((at, symbol, compare)) = COMPARISONS
        .iter()
        .find_map(|(symbol, compare)| Some((test.find(symbol)?, *symbol, *compare)))
    else {
        bail!("condition `{test}`: no comparison (==, !=, <, <=, >, >=)");
    };
    let name = test[..at].trim();
    let value = test[at + symbol.len()..].trim();
    let (role, fact) = match name.split_once(':') {
        Some((role, fact)) => (Some(role.to_string()), fact),
        None => (None, name),
    };
    if fact.is_empty() || fact.contains(char::is_whitespace) || value.is_empty() {
        bail!("condition `{test}` must read `fact == value` (or `role:fact`)");
    }
    // A number, true, false or null as JSON has them; any other word is a string.
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
    Ok(Test {
        role,
        fact: fact.to_string(),
        compare,
        value,
    })
}

impl Test {
    fn holds_for(&self, event: &Event) -> bool {
        if self.role.as_deref().is_some_and(|role| role != event.role) {
            return false;
        }
        let Some(fact) = event.fact(&self.fact) else {
            return false;
        };
        let order = match (fact.as_f64(), self.value.as_f64()) {
            (Some(fact), Some(value)) => fact.partial_cmp(&value),
            _ => None,
        };
        match self.compare {
            Compare::Equal => order.map_or(fact == &self.value, Ordering::is_eq),
            Compare::NotEqual => order.map_or(fact != &self.value, Ordering::is_ne),
            Compare::Less => order.is_some_and(Ordering::is_lt),
            Compare::LessOrEqual => order.is_some_and(Ordering::is_le),
            Compare::Greater => order.is_some_and(Ordering::is_gt),
            Compare::GreaterOrEqual => order.is_some_and(Ordering::is_ge),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(role: &str, facts: Value) -> Event {
        Event {
            t_us: 0,
            lesson: "test".into(),
            pid: 2,
            ppid: 1,
            role: role.into(),
            step: "step".into(),
            facts: crate::model::facts(facts),
        }
    }

    #[test]
    fn compares_numbers_words_and_booleans() {
        let run = event(
            "parent",
            serde_json::json!({ "lost": 0, "first": "child", "timed_out": true }),
        );
        let holds = |source: &str| Condition::parse(source).expect(source).holds_for(&run);
        assert!(holds("lost == 0"));
        assert!(!holds("lost > 0"));
        assert!(holds("lost <= 0"));
        assert!(holds("first == child"));
        assert!(holds("first != parent"));
        assert!(holds("timed_out == true"));
        assert!(holds("parent:lost == 0 and first == child"));
        assert!(!holds("child:lost == 0"));
        assert!(!holds("missing == 0"), "a fact not reported never holds");
        assert!(!holds("first > 3"), "a word has no order");
    }

    #[test]
    fn refuses_what_is_not_a_comparison() {
        assert!(Condition::parse("lost").is_err());
        assert!(Condition::parse("== 3").is_err());
        assert!(Condition::parse("lost ==").is_err());
    }
}
