//! `procdemo <id> --python`: a lesson's complete Python programs as one file
//! that runs them, each as a program of its own, one after the other.

use super::{Block, Code, LessonText};

impl LessonText {
    /// Every complete Python program of the lesson, with the step it
    /// belongs to, in text order (a variant's too); a program that a
    /// variant repeats word for word, once.
    pub fn python_programs(&self) -> Vec<(&str, &Code)> {
        let mut programs: Vec<(&str, &Code)> = Vec::new();
        for step in &self.steps {
            for block in step.all_blocks() {
                if let Block::Code(code) = block
                    && code.is_python_program()
                    && !programs.iter().any(|(_, seen)| seen.lines == code.lines)
                {
                    programs.push((step.id.as_str(), code));
                }
            }
        }
        programs
    }

    /// The newest Python 3 minor version the programs need: 8, or a later
    /// one a program's comment asks for ("Python 3.9 or newer").
    fn python_minor_needed(&self) -> u32 {
        self.python_programs()
            .iter()
            .flat_map(|(_, code)| code.lines.iter())
            .filter_map(|line| {
                let (_, after) = line.split_once("Python 3.")?;
                let (minor, rest) = after.split_once(' ')?;
                rest.starts_with("or newer").then(|| minor.parse().ok())?
            })
            .fold(8, u32::max)
    }

    /// A Python file that writes each program of the lesson to a file of
    /// its own and runs it with the same interpreter: a program that starts
    /// processes by "spawn" needs a real file for its children to import.
    pub fn python_file(&self, lesson: &str) -> String {
        let minor = self.python_minor_needed();
        let mut out = format!(
            "#!/usr/bin/env python3\n\
             # procdemo {lesson} --python: the lesson's Python programs, each complete.\n\
             # Run it with python3 (3.{minor} or newer); it runs them one after the other,\n\
             # each as its own program, and stops at the first that fails.\n\
             import os\nimport subprocess\nimport sys\nimport tempfile\n\nPROGRAMS = [\n"
        );
        for (at, (step, code)) in self.python_programs().into_iter().enumerate() {
            let source = code.lines.join("\n") + "\n";
            // A JSON string is a Python string literal too.
            let literal = serde_json::Value::from(source).to_string();
            out.push_str(&format!(
                "    ({:?}, {literal}),\n",
                format!("{}-{step}", at + 1)
            ));
        }
        out.push_str(
            "]\n\n\
             if __name__ == \"__main__\":\n\
             \x20   with tempfile.TemporaryDirectory() as folder:\n\
             \x20       for name, source in PROGRAMS:\n\
             \x20           path = os.path.join(folder, name.replace(\"-\", \"_\") + \".py\")\n\
             \x20           with open(path, \"w\", encoding=\"utf-8\") as file:\n\
             \x20               file.write(source)\n\
             \x20           print(\"--- \" + name + \" ---\", flush=True)\n\
             \x20           subprocess.run([sys.executable, path], check=True)\n",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_left_out_and_programs_kept_with_what_they_print() {
        let stray = LessonText::parse("# t: T\ns\n## a: A\nx\n## b [n == 1]: B\ny\n");
        assert!(
            stray.is_err(),
            "a variant must follow its step's first section"
        );
        let text = LessonText::parse(
            "# t: T\ns\n## a: A\n```python\nprint(\"a\")\n```\n<!-- prints: ^a$ -->\n\n```python fragment\nx()\n```\n## a [n == 1]: B\n```python\nprint('b \"q\"')\n```\n",
        )
        .expect("parses");
        let programs = text.python_programs();
        assert_eq!(programs.len(), 2);
        assert_eq!(programs[0].1.prints, ["^a$"]);
        let file = text.python_file("t");
        assert!(file.contains(r#"("1-a", "print(\"a\")\n")"#), "{file}");
        assert!(file.contains(r#"("2-a", "print('b \"q\"')\n")"#), "{file}");
        assert!(!file.contains("x()"));
        assert!(file.contains("(3.8 or newer)"), "{file}");
    }

    #[test]
    fn the_header_names_the_newest_version_a_program_asks_for() {
        let text = LessonText::parse(
            "# t: T\ns\n## a: A\n```python\nimport socket  # Python 3.9 or newer\n```\n",
        )
        .expect("parses");
        assert!(text.python_file("t").contains("(3.9 or newer)"));
    }
}
