//! Helpers shared by the spec tests: the four spec files as text, a loader run that returns
//! its problems, and line lookups in a YAML text.

use sdrs_conformance::spec::{SpecError, SpecProblem, SpecSources, Specs};
use serde_json::Value;

/// Where the spec files live, for tests that read them from disk.
pub fn specs_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

/// The text of one spec file on disk.
pub fn read_spec(name: &str) -> String {
    let path = specs_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A YAML file parsed as JSON.
pub fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}"))
}

/// The embedded sources after `edit`.
pub fn edited(edit: impl FnOnce(&mut SpecSources)) -> SpecSources {
    let mut sources = SpecSources::embedded();
    edit(&mut sources);
    sources
}

/// Replaces the single occurrence of `from` in `text` by `to`.
#[track_caller]
pub fn replace_once(text: &mut String, from: &str, to: &str) {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur exactly once");
    *text = text.replacen(from, to, 1);
}

/// The problems the loader reports for `sources`; panics when it accepts them.
#[track_caller]
pub fn problems(sources: &SpecSources) -> Vec<SpecProblem> {
    match Specs::from_sources(sources) {
        Ok(_) => panic!("the loader accepted specs that it must reject"),
        Err(SpecError::Invalid(problems)) => problems,
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// The only problem whose message contains `needle`.
#[track_caller]
pub fn problem_about<'a>(problems: &'a [SpecProblem], needle: &str) -> &'a SpecProblem {
    let found: Vec<&SpecProblem> = problems.iter().filter(|p| p.message.contains(needle)).collect();
    assert_eq!(found.len(), 1, "expected one problem mentioning `{needle}`, got: {problems:#?}");
    found[0]
}

/// The 1-based line of the first line equal to `line` (trimmed of trailing spaces) found after
/// the first line containing `after`.
#[track_caller]
pub fn line_after(text: &str, after: &str, line: &str) -> usize {
    let start = text.lines().position(|l| l.contains(after)).unwrap_or_else(|| panic!("`{after}` not found"));
    let offset = text
        .lines()
        .skip(start)
        .position(|l| l.trim_end() == line)
        .unwrap_or_else(|| panic!("`{line}` not found after `{after}`"));
    start + offset + 1
}
