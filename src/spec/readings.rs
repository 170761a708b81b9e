//! `readings.yaml`: the readings of ours where the reference is silent (GAP-xx), each with the
//! rule it fills in and why it is only a reading.

use super::{Location, SpecProblem};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One gap of the reference and the reading the checks apply there.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// The rule applied.
    pub rule: String,
    /// Why it is a reading, not a documented rule.
    pub reason: String,
    /// Where it is applied (spec nodes, checks).
    pub where_: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    source: String,
    gaps: BTreeMap<String, RawGap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGap {
    rule: String,
    reason: String,
    #[serde(rename = "where")]
    where_: Option<String>,
}

/// Every gap, by id.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    /// GAP-xx to its reading.
    pub gaps: BTreeMap<String, Gap>,
}

impl Readings {
    /// Parses `readings.yaml`; problems are appended with file:line.
    pub fn parse(text: &str, file: &str, problems: &mut Vec<SpecProblem>) -> Option<Readings> {
        let parsed: File = match serde_yaml_ng::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let line = e.location().map(|l| l.line()).unwrap_or(0);
                problems.push(SpecProblem {
                    location: Location { file: file.to_owned(), line },
                    message: format!("invalid readings: {e}"),
                });
                return None;
            }
        };
        let mut gaps = BTreeMap::new();
        for (id, raw) in parsed.gaps {
            if !is_gap_id(&id) {
                let line =
                    text.lines().position(|l| l.trim_start().starts_with(&format!("{id}:"))).map_or(0, |n| n + 1);
                problems.push(SpecProblem {
                    location: Location { file: file.to_owned(), line },
                    message: format!("gap id `{id}` is not GAP- and two digits"),
                });
                continue;
            }
            gaps.insert(id, Gap { rule: raw.rule, reason: raw.reason, where_: raw.where_ });
        }
        Some(Readings { gaps })
    }

    /// Why the rule behind `id` is a reading: the gap's reason, or a pointer to the register for INC ids.
    pub fn explain(&self, id: &str) -> String {
        match self.gaps.get(id) {
            Some(gap) => format!("{id}: {} ({})", gap.rule, gap.reason),
            None if id.starts_with("OWN-") => format!("{id}: a disagreement we noted (specs/states.yaml `noted`)"),
            None => format!("{id}: the seeds contradict each other here (specs/README.md, disagreement register)"),
        }
    }
}

/// `GAP-` and two or more digits.
pub fn is_gap_id(id: &str) -> bool {
    id.strip_prefix("GAP-").is_some_and(|n| n.len() >= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_readings_parse_and_explain_their_gaps() {
        let mut problems = Vec::new();
        let r = Readings::parse(include_str!("../../specs/readings.yaml"), "specs/readings.yaml", &mut problems)
            .expect("parses");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(r.gaps.len() >= 5);
        assert!(r.explain("GAP-01").starts_with("GAP-01: a field listed in a response table"));
        assert!(r.explain("INC-27").contains("disagreement register"));
    }

    #[test]
    fn a_malformed_or_misnamed_gap_is_named_by_line() {
        let mut problems = Vec::new();
        assert!(Readings::parse("source: s\ngaps:\n  GAP-1:\n    rule: r\n    reason: x\n", "r.yaml", &mut problems)
            .is_some());
        assert_eq!(problems[0].location.line, 3, "{problems:?}");
        let mut problems = Vec::new();
        assert!(Readings::parse("source: s\ngaps:\n  GAP-01:\n    rule: r\n    wrong: x\n", "r.yaml", &mut problems)
            .is_none());
        assert!(problems[0].location.line > 0, "{problems:?}");
    }
}
