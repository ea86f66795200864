//! The arrows between procdemo's top-level modules run one way
//! (docs/architecture.md): read from the source, not trusted to review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level module each source file belongs to.
fn module_of(file: &Path, src: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{dir:?}: {error}"));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}

/// Which top-level modules each one names (`crate::x`, or `procdemo::x`
/// from the binary), outside its tests.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&file, &src) else {
            continue;
        };
        let source = std::fs::read_to_string(&file).expect("a source file");
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let named = graph.entry(module.clone()).or_default();
        for prefix in ["crate::", "procdemo::"] {
            for (at, _) in code.match_indices(prefix) {
                named.extend(first_names(&code[at + prefix.len()..]));
            }
        }
    }
    // Only modules count: `crate::report!` is a macro at the root.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, named) in graph.iter_mut() {
        named.retain(|name| modules.contains(name) && name != module);
    }
    graph
}

/// The first name of each path in `rest`: `lab::Lab` gives `lab`,
/// `{course, lab::Lab}` gives `course` and `lab`.
fn first_names(rest: &str) -> Vec<String> {
    let ident = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut names = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if item_start && !c.is_whitespace() => {
                names.push(ident(&group[at..]));
                item_start = false;
            }
            _ => {}
        }
    }
    names
}

#[test]
fn leaves_import_nothing_of_procdemo() {
    let graph = imports();
    for leaf in ["model", "os"] {
        assert_eq!(graph[leaf], BTreeSet::new(), "{leaf} must be a leaf");
    }
}

#[test]
fn the_narrator_and_progress_stay_below_the_lessons() {
    let graph = imports();
    for above in ["lab", "course", "progress", "lessons", "cli"] {
        assert!(
            !graph["narrate"].contains(above),
            "narrate imports {above}: {:?}",
            graph["narrate"]
        );
    }
    assert!(!graph["progress"].contains("narrate"));
    for above in ["course", "lessons", "cli"] {
        assert!(!graph["lab"].contains(above), "lab imports {above}");
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    // Depth-first search for a way back to where it started.
    fn reaches(
        graph: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        graph
            .get(from)
            .into_iter()
            .flatten()
            .any(|next| next == to || (seen.insert(next.clone()) && reaches(graph, next, to, seen)))
    }
    for module in graph.keys() {
        assert!(
            !reaches(&graph, module, module, &mut BTreeSet::new()),
            "{module} is part of an import cycle: {graph:#?}"
        );
    }
}
