//! The Chinese procdemo says around the lessons: its errors framed in
//! Chinese, and its help laid out as the English is, never broken inside a
//! default or a word that reads wrong broken.

use crate::common::{fresh_state_home, procdemo, run, run_args};

#[test]
fn reset_without_a_place_for_progress_says_so_in_chinese() {
    let mut command = procdemo(&["reset", "--yes", "--lang", "zh"]);
    command.env_remove("XDG_STATE_HOME").env_remove("HOME");
    let output = run(command);
    assert_eq!(output.status.code(), Some(1), "{}", output.describe());
    assert_eq!(
        output.stderr,
        "procdemo：出错了：XDG_STATE_HOME 和 HOME 都没有设置，所以没有可以清除的进度文件\n"
    );
}

#[test]
fn a_damaged_progress_file_is_reported_in_chinese() {
    let state = fresh_state_home("damaged-in-chinese");
    std::fs::create_dir_all(state.join("procdemo")).expect("creating the progress directory");
    std::fs::write(state.join("procdemo/progress.json"), "garbage")
        .expect("writing a damaged progress file");
    let mut command = procdemo(&["list", "--lang", "zh"]);
    command.env("XDG_STATE_HOME", &state);
    let output = run(command);
    assert!(output.status.success(), "{}", output.describe());
    assert!(
        output.stderr.starts_with("procdemo：进度文件 ")
            && output
                .stderr
                .contains("它不是有效的进度 JSON（第 1 行第 1 列：expected value）。"),
        "{}",
        output.describe()
    );
}

#[test]
fn a_chinese_usage_error_quotes_the_value_and_names_the_help_to_run() {
    let output = run_args(&["join", "--timeout", "0", "--lang", "zh"]);
    assert_eq!(output.status.code(), Some(2), "{}", output.describe());
    assert!(
        output
            .stderr
            .starts_with("错误：--timeout <SECONDS> 的值“0”无效："),
        "{}",
        output.describe()
    );
    assert!(
        output
            .stderr
            .ends_with("想了解更多，请运行 procdemo join --help --lang zh。\n"),
        "{}",
        output.describe()
    );
    let output = run_args(&["--lang", "zh", "--color", "sometimes"]);
    assert!(
        output.stderr.contains("［可选值：auto、always、never］"),
        "{}",
        output.describe()
    );
}

#[test]
fn chinese_help_lists_the_commands_one_a_line_and_keeps_defaults_whole() {
    for columns in ["60", "100"] {
        let mut command = procdemo(&["--help", "--lang", "zh"]);
        command.env("COLUMNS", columns);
        let output = run(command);
        assert!(output.status.success(), "{}", output.describe());
        for (name, about) in [
            ("fork", "一个进程变成两个"),
            ("pool", "由工作进程组成的进程池"),
        ] {
            assert!(
                output
                    .stdout
                    .lines()
                    .any(|line| line.starts_with(&format!("  {name} ")) && line.ends_with(about)),
                "{columns}: {name}\n{}",
                output.stdout
            );
        }
        for lesson in ["pool", "queue"] {
            let mut command = procdemo(&[lesson, "--help", "--lang", "zh"]);
            command.env("COLUMNS", columns);
            let output = run(command);
            let opened = output.stdout.matches('［').count();
            let whole = output
                .stdout
                .lines()
                .flat_map(|line| line.split('［').skip(1))
                .filter(|group| group.contains('］'))
                .count();
            assert!(opened > 0, "{}", output.stdout);
            // Only a group too long for a line of its own may break.
            let long = output
                .stdout
                .lines()
                .filter(|line| line.contains('［') && !line.contains('］'))
                .count();
            assert!(whole + long >= opened, "{columns}: {}", output.stdout);
            assert!(!output.stdout.contains("［默\n"), "{}", output.stdout);
            assert!(!output.stdout.contains("小\n"), "{}", output.stdout);
        }
    }
}
