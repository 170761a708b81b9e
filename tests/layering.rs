//! The crate's layering, as README's "How it is built" draws it: which top-level module may name
//! which. Counted over `src/` outside `#[cfg(test)]` code, comments left out. A new import that
//! goes the wrong way fails here with its file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module and the modules it may use. Leaves (`spec`, `signing`, `exchange`, `redact`,
/// `edit_distance`) use none but `edit_distance`; `cli` and `lib` may use anything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("spec", &["edit_distance"]),
    ("signing", &[]),
    ("exchange", &[]),
    ("redact", &[]),
    ("edit_distance", &[]),
    ("checks", &["spec", "exchange", "edit_distance"]),
    ("cases", &["spec", "exchange"]),
    ("client", &["exchange", "signing", "redact"]),
    ("emulator", &["spec", "signing", "edit_distance"]),
    ("outcome", &["checks", "client", "spec", "exchange", "redact"]),
    ("runner", &["cases", "checks", "client", "spec", "exchange", "outcome", "redact", "signing", "edit_distance"]),
    ("traffic", &["checks", "spec", "exchange", "outcome", "redact"]),
    ("coverage", &["runner", "traffic", "cases", "spec", "exchange", "outcome"]),
    ("proxy", &["traffic", "checks", "client", "spec", "exchange", "outcome", "redact", "signing"]),
    ("report", &["outcome", "coverage", "checks", "spec", "exchange", "redact"]),
    ("embedded", &["emulator", "runner"]),
];

/// The top-level module a file of `src/` belongs to.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a path under src").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// The text of a file before its first `#[cfg(test)]`, each line cut at `//`.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..end].lines().enumerate().map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_owned())).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<module>` named in `line`.
fn named_modules(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .filter(|(at, _)| !line[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| line[at + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect())
        .filter(|m: &String| !m.is_empty())
        .collect()
}

#[test]
fn no_module_imports_against_the_layering() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, BTreeSet<&str>> =
        ALLOWED.iter().map(|(m, deps)| (*m, deps.iter().copied().collect())).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let module = module_of(relative);
        if module == "cli" || module == "lib" || module == "main" {
            continue;
        }
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!("{}: module `{module}` is not in the layering table", relative.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable");
        for (line, code) in code_lines(&text) {
            for used in named_modules(&code) {
                if used != module && !may.contains(used.as_str()) {
                    wrong.push(format!("{}:{line}: {module} -> {used}", relative.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} import(s) against the layering:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_checker_sees_a_wrong_import() {
    assert_eq!(named_modules("use crate::report::{RunReport};"), vec!["report"]);
    assert_eq!(named_modules("let x = crate::runner::run(c); y = mycrate::x;"), vec!["runner"]);
    assert_eq!(code_lines("use a; // crate::report\n#[cfg(test)]\nuse crate::report;"), vec![(1, "use a; ".into())]);
}
