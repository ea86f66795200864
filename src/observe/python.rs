//! What a command line says about Python's `multiprocessing`: the helper
//! processes it starts are recognised by the module they run.

/// The role of a process that has just exec'd `argv`, when it is one of
/// multiprocessing's own.
pub fn role_after_exec(argv: &[String]) -> Option<&'static str> {
    if !argv.first().is_some_and(|program| is_python(program)) {
        return None;
    }
    let code = argv.join(" ");
    if code.contains("multiprocessing.resource_tracker") {
        Some("resource-tracker")
    } else if code.contains("multiprocessing.forkserver") {
        Some("forkserver")
    } else if code.contains("multiprocessing.spawn") || code.contains("--multiprocessing-fork") {
        Some("spawn-child")
    } else {
        None
    }
}

/// The role of a process forked by a Python process with `parent_role`:
/// the forkserver's children are the workers it starts; any other Python
/// process's fork is a copy of it that runs on from `fork()`.
pub fn role_of_fork(parent_program: &str, parent_role: Option<&str>) -> Option<&'static str> {
    match parent_role {
        Some("forkserver") => Some("forkserver-child"),
        _ if is_python(parent_program) => Some("fork-child"),
        _ => None,
    }
}

/// Whether `program` (a path or a name) is a Python interpreter.
fn is_python(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    name.starts_with("python")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn names_multiprocessing_helpers_from_their_command_lines() {
        assert_eq!(
            role_after_exec(&words(
                "/usr/bin/python3 -c from multiprocessing.resource_tracker import main;main(5)"
            )),
            Some("resource-tracker")
        );
        assert_eq!(
            role_after_exec(&words(
                "python3 -c from multiprocessing.forkserver import main; main(6, 7, ['__main__'], **{'sys_path': []})"
            )),
            Some("forkserver")
        );
        assert_eq!(
            role_after_exec(&words(
                "python3 -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork"
            )),
            Some("spawn-child")
        );
        assert_eq!(role_after_exec(&words("python3 pool.py")), None);
        assert_eq!(role_after_exec(&words("sh -c multiprocessing.spawn")), None);
    }

    #[test]
    fn a_fork_of_python_is_a_copy_of_it() {
        assert_eq!(
            role_of_fork("/usr/bin/python3.11", None),
            Some("fork-child")
        );
        assert_eq!(
            role_of_fork("/usr/bin/python3", Some("forkserver")),
            Some("forkserver-child")
        );
        assert_eq!(role_of_fork("/usr/bin/dash", None), None);
    }
}
