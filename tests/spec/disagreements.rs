//! The disagreement register: every INC entry of the seed contradictions (INC-01..INC-56) has
//! a row in `specs/README.md`, and the spec files cite no other INC id.

use std::collections::BTreeSet;

use crate::common::{read_spec, specs_dir};

const SPEC_FILES: [&str; 6] = [
    "sdrs-v1.openapi.yaml",
    "sdrs-v1-extensions.openapi.yaml",
    "dws-disaster-recovery.openapi.yaml",
    "states.yaml",
    "errors.yaml",
    "readings.yaml",
];

fn readme() -> String {
    std::fs::read_to_string(specs_dir().join("README.md")).expect("specs/README.md exists")
}

/// Every `INC-<digits>` token of `text`.
fn inc_ids(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"INC-\d+").unwrap();
    re.find_iter(text).map(|m| m.as_str().to_owned()).collect()
}

fn all_ids() -> Vec<String> {
    (1..=56).map(|n| format!("INC-{n:02}")).collect()
}

#[test]
fn every_inc_entry_from_01_to_56_appears_in_the_specs_readme() {
    let text = readme();
    let missing: Vec<String> = all_ids().into_iter().filter(|id| !text.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "specs/README.md does not mention {missing:?}");
}

#[test]
fn every_inc_entry_has_its_own_row_in_the_readme_table() {
    let text = readme();
    let rows: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect();
    let missing: Vec<String> = all_ids().into_iter().filter(|id| !rows.contains(id)).collect();
    assert!(missing.is_empty(), "no table row for {missing:?}");
}

#[test]
fn every_inc_entry_is_recorded_in_a_spec_file() {
    let cited: BTreeSet<String> = SPEC_FILES.iter().flat_map(|f| inc_ids(&read_spec(f))).collect();
    let missing: Vec<String> = all_ids().into_iter().filter(|id| !cited.contains(id)).collect();
    assert!(missing.is_empty(), "not recorded in any spec file: {missing:?}");
}

#[test]
fn the_specs_and_the_readme_cite_no_unknown_inc_id() {
    let known: BTreeSet<String> = all_ids().into_iter().collect();
    for (name, text) in
        SPEC_FILES.iter().map(|f| (f.to_string(), read_spec(f))).chain([("README.md".to_owned(), readme())])
    {
        let unknown: Vec<String> = inc_ids(&text).into_iter().filter(|id| !known.contains(id)).collect();
        assert!(unknown.is_empty(), "{name} cites unknown INC ids {unknown:?}");
    }
}
