//! Colour follows `--color`, NO_COLOR and CLICOLOR_FORCE in every command,
//! not only in the lessons: the welcome and `list` too.

use crate::common::{procdemo, run};

/// How many lines of stdout carry an escape sequence.
fn coloured_lines(args: &[&str], env: &[(&str, &str)]) -> usize {
    let mut command = procdemo(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = run(command);
    assert_eq!(output.status.code(), Some(0), "{}", output.describe());
    output
        .stdout
        .lines()
        .filter(|line| line.contains('\u{1b}'))
        .count()
}

#[test]
fn the_welcome_and_list_honour_color_and_the_environment() {
    for command in [&["list"][..], &[][..]] {
        let with = |flag: &'static str| [command, &["--color", flag]].concat();
        assert!(coloured_lines(&with("always"), &[]) > 0, "{command:?}");
        assert_eq!(coloured_lines(&with("never"), &[]), 0, "{command:?}");
        // Piped and `auto`: none, whatever CLICOLOR_FORCE says once NO_COLOR is set.
        let both = [("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")];
        assert_eq!(coloured_lines(command, &both), 0, "{command:?}");
        assert!(
            coloured_lines(command, &[("CLICOLOR_FORCE", "1")]) > 0,
            "{command:?}"
        );
    }
}
