//! `readings.yaml`: the readings of ours where the reference is silent (GAP-xx), each with the
//! rule it fills in and why it is only a reading; and the rules of the code that apply our reading
//! of a contradiction of the seeds, each with the INC entries that dispute it.

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

/// A rule the code applies where the seeds contradict each other: the key of its entry in the
/// `disputes` section of readings.yaml, whose INC ids the rule's failures then carry.
///
/// The code asks [`Readings::disputing`] for a rule's ids instead of spelling them; this list is
/// the one place that says which keys the code needs, so `check-spec` names a missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputedRule {
    /// `error_body`: a not-found code answered 404 where A.1 gives 400.
    ErrorBodyNotFoundStatus,
    /// `error_body`: a code the reference uses outside appendix A.1.
    ErrorBodyOutsideTable,
    /// `pagination`: whether `count` is the page size or the total of matches.
    PaginationPageOrTotal,
    /// `pagination`: the disagreements of a list operation that dispute its `count`.
    PaginationCount,
    /// The DWS disaster-recovery page, whose resource no seed creates (probed with unknown ids only).
    DwsDisasterRecovery,
    /// A not-found case of a parameter whose page's example takes another id (`x-sdrs-not-found.note`).
    NotFoundNoted,
    /// The `too-long` negative cases.
    NegativeTooLong,
    /// The `bad-characters` negative cases.
    NegativeBadCharacters,
    /// The `wrong-type` negative cases.
    NegativeWrongType,
    /// The `missing` negative cases.
    NegativeMissing,
}

impl DisputedRule {
    /// Every rule the code applies, each of which readings.yaml must define.
    pub const ALL: [DisputedRule; 10] = [
        DisputedRule::ErrorBodyNotFoundStatus,
        DisputedRule::ErrorBodyOutsideTable,
        DisputedRule::PaginationPageOrTotal,
        DisputedRule::PaginationCount,
        DisputedRule::DwsDisasterRecovery,
        DisputedRule::NotFoundNoted,
        DisputedRule::NegativeTooLong,
        DisputedRule::NegativeBadCharacters,
        DisputedRule::NegativeWrongType,
        DisputedRule::NegativeMissing,
    ];

    /// The rule's key in readings.yaml.
    pub fn key(self) -> &'static str {
        match self {
            DisputedRule::ErrorBodyNotFoundStatus => "error_body.not_found_status",
            DisputedRule::ErrorBodyOutsideTable => "error_body.outside_table",
            DisputedRule::PaginationPageOrTotal => "pagination.page_or_total",
            DisputedRule::PaginationCount => "pagination.count",
            DisputedRule::DwsDisasterRecovery => "dws.disaster_recovery",
            DisputedRule::NotFoundNoted => "not_found.noted",
            DisputedRule::NegativeTooLong => "negative.too-long",
            DisputedRule::NegativeBadCharacters => "negative.bad-characters",
            DisputedRule::NegativeWrongType => "negative.wrong-type",
            DisputedRule::NegativeMissing => "negative.missing",
        }
    }

    /// The rule of the negative cases of mutation `slug` (`too-long`...), if their refusal is disputed.
    pub fn of_mutation(slug: &str) -> Option<DisputedRule> {
        DisputedRule::ALL.into_iter().find(|r| r.key().strip_prefix("negative.") == Some(slug))
    }
}

/// The entry of one [`DisputedRule`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispute {
    /// The INC entries of the register that dispute the rule.
    pub disagreements: Vec<String>,
    /// Why they concern it, in one line.
    pub why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    source: String,
    gaps: BTreeMap<String, RawGap>,
    #[serde(default)]
    disputes: BTreeMap<String, Dispute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGap {
    rule: String,
    reason: String,
    #[serde(rename = "where")]
    where_: Option<String>,
}

/// Every gap, by id, and every disputed rule of the code, by key.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    /// GAP-xx to its reading.
    pub gaps: BTreeMap<String, Gap>,
    /// The key of a [`DisputedRule`] to its INC ids.
    pub disputes: BTreeMap<String, Dispute>,
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
        let line_of = |key: &str| text.lines().position(|l| l.trim_start().starts_with(&format!("{key}:")));
        let mut report = |line: Option<usize>, message: String| {
            problems.push(SpecProblem {
                location: Location { file: file.to_owned(), line: line.map_or(0, |n| n + 1) },
                message,
            });
        };
        let mut gaps = BTreeMap::new();
        for (id, raw) in parsed.gaps {
            if !is_gap_id(&id) {
                report(line_of(&id), format!("gap id `{id}` is not GAP- and two digits"));
                continue;
            }
            gaps.insert(id, Gap { rule: raw.rule, reason: raw.reason, where_: raw.where_ });
        }
        for (key, dispute) in &parsed.disputes {
            if !DisputedRule::ALL.iter().any(|r| r.key() == key) {
                let known: Vec<&str> = DisputedRule::ALL.iter().map(|r| r.key()).collect();
                report(line_of(key), format!("dispute `{key}` is no rule of the code (known: {})", known.join(", ")));
            }
            if dispute.disagreements.is_empty() {
                report(line_of(key), format!("dispute `{key}` names no INC id"));
            }
            for id in dispute.disagreements.iter().filter(|id| !is_inc_id(id)) {
                report(line_of(key), format!("dispute `{key}` cites `{id}`, which is not INC- and two digits"));
            }
        }
        for rule in DisputedRule::ALL.iter().filter(|r| !parsed.disputes.contains_key(r.key())) {
            let section = line_of("disputes").or(Some(0));
            report(section, format!("disputes has no `{}`, a rule the code applies", rule.key()));
        }
        Some(Readings { gaps, disputes: parsed.disputes })
    }

    /// The INC ids that dispute `rule` (none in readings that were not loaded from a file).
    pub fn disputing(&self, rule: DisputedRule) -> &[String] {
        self.disputes.get(rule.key()).map_or(&[], |d| d.disagreements.as_slice())
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
    numbered(id, "GAP-")
}

/// `INC-` and two or more digits: an entry of the disagreement register.
fn is_inc_id(id: &str) -> bool {
    numbered(id, "INC-")
}

fn numbered(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|n| n.len() >= 2 && n.bytes().all(|b| b.is_ascii_digit()))
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
        for rule in DisputedRule::ALL {
            assert!(!r.disputing(rule).is_empty(), "{}", rule.key());
        }
        assert_eq!(DisputedRule::of_mutation("too-long"), Some(DisputedRule::NegativeTooLong));
        assert_eq!(DisputedRule::of_mutation("empty"), None);
    }

    /// Readings with every key the code needs, and `extra` appended to the disputes section.
    fn with_disputes(extra: &str, leave_out: &str) -> String {
        let mut text = "source: s\ngaps: {}\ndisputes:\n".to_owned();
        for rule in DisputedRule::ALL.iter().filter(|r| r.key() != leave_out) {
            text.push_str(&format!("  {}:\n    disagreements: [INC-01]\n    why: w\n", rule.key()));
        }
        text + extra
    }

    #[test]
    fn a_dispute_with_a_malformed_id_an_unknown_key_or_a_missing_key_is_named_by_line() {
        let mut problems = Vec::new();
        let r = Readings::parse(&with_disputes("", ""), "r.yaml", &mut problems).expect("parses");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(r.disputing(DisputedRule::NegativeMissing), ["INC-01"]);

        let text = with_disputes("  negative.empty:\n    disagreements: [INC-1, GAP-02]\n    why: w\n", "");
        let mut problems = Vec::new();
        assert!(Readings::parse(&text, "r.yaml", &mut problems).is_some());
        let line = text.lines().position(|l| l.contains("negative.empty")).unwrap() + 1;
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().all(|p| p.location.line == line), "{problems:?}");
        assert!(problems[0].message.contains("no rule of the code"), "{problems:?}");
        assert!(problems[1].message.contains("`INC-1`") && problems[2].message.contains("`GAP-02`"), "{problems:?}");

        let mut problems = Vec::new();
        assert!(Readings::parse(&with_disputes("", "pagination.count"), "r.yaml", &mut problems).is_some());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].location.line, 3, "{problems:?}");
        assert!(problems[0].message.contains("`pagination.count`"), "{problems:?}");
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
