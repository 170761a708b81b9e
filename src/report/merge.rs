//! Merging the reports of `run --partition I/N` into the report of the whole run: the cases of
//! every partition in id order (as a whole run orders them), totals recomputed, created
//! resources added up. The merged duration is the slowest partition's, the wall time of workers
//! running side by side; each partition's own stays in `merged_from`.
//!
//! Reports that do not make one run are refused: another format version, harness or specs,
//! another target or selection, a partition given twice or missing, a case in two partitions.

use crate::outcome::{fingerprint, MergedPartition, PartitionInfo, RunReport, TargetInfo};
use std::collections::BTreeMap;

/// Why partition reports cannot be merged into one run's report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no report to merge")]
    NoInput,
    /// A report of another format version than the first.
    #[error(
        "{file} has report format version {version}, {first} has {expected}: merge reports of one harness version"
    )]
    FormatVersion {
        /// The report.
        file: String,
        /// Its version.
        version: u32,
        /// The first report.
        first: String,
        /// The first report's version.
        expected: u32,
    },
    /// A report of a run without `--partition`.
    #[error("{file} is not the report of a partition (run it with --partition I/N)")]
    NotAPartition {
        /// The report.
        file: String,
    },
    /// The reports disagree on something a run has one value of.
    #[error("{file} and {first} are not partitions of one run: {what} differs ({actual} against {expected})")]
    Differs {
        /// The report.
        file: String,
        /// The first report.
        first: String,
        /// What differs.
        what: &'static str,
        /// Its value in `file`.
        actual: String,
        /// Its value in `first`.
        expected: String,
    },
    /// One partition given twice.
    #[error("partition {partition} is given twice: {first} and {file}")]
    PartitionTwice {
        /// `I/N`.
        partition: String,
        /// The first report holding it.
        first: String,
        /// The second one.
        file: String,
    },
    /// One case in two reports.
    #[error("the case {id} is in {first} and in {file}: the partitions overlap")]
    CaseTwice {
        /// The case id.
        id: String,
        /// The first report holding it.
        first: String,
        /// The second one.
        file: String,
    },
    /// Partitions not given.
    #[error("partition(s) {missing} of {count} missing (given: {given})")]
    Missing {
        /// The missing indices, `2/3, 3/3`.
        missing: String,
        /// The count.
        count: usize,
        /// What was given, `1/3 (a.json)`.
        given: String,
    },
    /// Every partition is there, yet the cases are not the selection's.
    #[error("the partitions hold {held} case(s), not the {selected} case(s) of their selection{detail}")]
    Incomplete {
        /// Cases the reports hold.
        held: usize,
        /// Cases of the selection.
        selected: usize,
        /// What else is known.
        detail: String,
    },
}

/// Merges the reports of every partition of one run, each named (by its file) for the messages.
pub fn merge(inputs: &[(String, RunReport)]) -> Result<RunReport, MergeError> {
    let (first_name, first) = inputs.first().ok_or(MergeError::NoInput)?;
    for (name, r) in inputs {
        if r.format_version != first.format_version {
            return Err(MergeError::FormatVersion {
                file: name.clone(),
                version: r.format_version,
                first: first_name.clone(),
                expected: first.format_version,
            });
        }
    }
    let info = |name: &String, r: &RunReport| -> Result<PartitionInfo, MergeError> {
        r.partition.clone().ok_or_else(|| MergeError::NotAPartition { file: name.clone() })
    };
    let base = info(first_name, first)?;
    let mut by_index: BTreeMap<usize, &str> = BTreeMap::new();
    for (name, r) in inputs {
        let p = info(name, r)?;
        let differs = |what: &'static str, actual: String, expected: String| MergeError::Differs {
            file: name.clone(),
            first: first_name.clone(),
            what,
            actual,
            expected,
        };
        if p.specs != base.specs {
            return Err(differs("the harness and specs version", p.specs, base.specs.clone()));
        }
        if let Some((what, actual, expected)) = target_difference(&r.target, &first.target) {
            return Err(differs(what, actual, expected));
        }
        if p.count != base.count {
            return Err(differs("the partition count", p.count.to_string(), base.count.to_string()));
        }
        if (p.cases_selected, &p.selection) != (base.cases_selected, &base.selection) {
            let cases = |i: &PartitionInfo| format!("{} selected cases, selection {}", i.cases_selected, i.selection);
            return Err(differs("the selection (filters, mode, scenario files)", cases(&p), cases(&base)));
        }
        if let Some(before) = by_index.insert(p.index, name) {
            return Err(MergeError::PartitionTwice {
                partition: format!("{}/{}", p.index, p.count),
                first: before.to_owned(),
                file: name.clone(),
            });
        }
    }
    let missing: Vec<String> =
        (1..=base.count).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{}", base.count)).collect();
    if !missing.is_empty() {
        let given: Vec<String> = by_index.iter().map(|(i, f)| format!("{i}/{} ({f})", base.count)).collect();
        return Err(MergeError::Missing { missing: missing.join(", "), count: base.count, given: given.join(", ") });
    }
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, r) in inputs {
        for c in &r.cases {
            if let Some(first) = owner.insert(&c.id, name) {
                return Err(MergeError::CaseTwice { id: c.id.clone(), first: first.to_owned(), file: name.clone() });
            }
        }
    }
    let mut cases: Vec<_> = inputs.iter().flat_map(|(_, r)| r.cases.iter().cloned()).collect();
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let held = fingerprint(cases.iter().map(|c| c.id.as_str()));
    if cases.len() != base.cases_selected || held != base.selection {
        let detail = if cases.len() == base.cases_selected { " (same count, other ids)".into() } else { String::new() };
        return Err(MergeError::Incomplete { held: cases.len(), selected: base.cases_selected, detail });
    }
    let mut ordered: Vec<&RunReport> = inputs.iter().map(|(_, r)| r).collect();
    ordered.sort_by_key(|r| r.partition.as_ref().map_or(0, |p| p.index));
    let mut created: BTreeMap<String, usize> = BTreeMap::new();
    for r in &ordered {
        for (kind, n) in &r.created_resources {
            *created.entry(kind.clone()).or_insert(0) += n;
        }
    }
    let joined = |of: fn(&TargetInfo) -> Option<&str>| {
        let mut values: Vec<&str> = Vec::new();
        for v in ordered.iter().filter_map(|r| of(&r.target)) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
        values.join("+")
    };
    let target = TargetInfo {
        run_id: joined(|t| Some(t.run_id.as_str())),
        project_id: joined(|t| Some(t.project_id.as_str())),
        profile: Some(joined(|t| t.profile.as_deref())).filter(|p| !p.is_empty()),
        ..first.target.clone()
    };
    let mut merged = RunReport {
        format_version: first.format_version,
        target,
        cases,
        created_resources: created.into_iter().collect(),
        merged_from: ordered
            .iter()
            .map(|r| MergedPartition {
                index: r.partition.as_ref().map_or(0, |p| p.index),
                count: base.count,
                run_id: r.target.run_id.clone(),
                total: r.summary.total,
                duration_ms: r.summary.duration_ms,
            })
            .collect(),
        ..RunReport::default()
    };
    let slowest = ordered.iter().map(|r| r.summary.duration_ms).max().unwrap_or(0);
    merged.summarize(slowest);
    Ok(merged)
}

/// The first property of the target in which two partitions differ: what, and both values.
/// Project and profile may differ: partitions side by side in one region keep their quotas and
/// prerequisites apart with a project or a profile each.
fn target_difference(a: &TargetInfo, b: &TargetInfo) -> Option<(&'static str, String, String)> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let pairs = [
        ("the target kind", a.kind.clone(), b.kind.clone()),
        ("the region", opt(&a.region), opt(&b.region)),
        ("the authentication", a.auth.clone(), b.auth.clone()),
        ("the mode", a.mode.clone(), b.mode.clone()),
        ("strictness", a.strict.to_string(), b.strict.to_string()),
    ];
    if let Some(d) = pairs.into_iter().find(|(_, x, y)| x != y) {
        return Some(d);
    }
    // Each embedded emulator listens on a port of its own: only other endpoints must agree.
    (a.kind != "embedded-emulator" && a.endpoint != b.endpoint)
        .then(|| ("the endpoint", a.endpoint.clone(), b.endpoint.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;
    use crate::report::{to_junit, CaseOutcome};

    /// The sample report cut into `count` partitions by case position, as `run --partition` would
    /// report them.
    fn partitions(count: usize) -> Vec<(String, RunReport)> {
        let whole = sample();
        let mut ids: Vec<&str> = whole.cases.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        let info = |index| PartitionInfo {
            index,
            count,
            cases_selected: whole.cases.len(),
            selection: fingerprint(ids.iter().copied()),
            specs: "0.1.0 specs 1234".into(),
        };
        (1..=count)
            .map(|index| {
                let mut part = RunReport {
                    cases: whole.cases.iter().skip(index - 1).step_by(count).cloned().collect(),
                    target: TargetInfo { run_id: format!("abc-p{index}of{count}"), ..whole.target.clone() },
                    created_resources: vec![("server_group".into(), index)],
                    partition: Some(info(index)),
                    ..whole.clone()
                };
                part.summarize(1000 * index as u64);
                (format!("p{index}.json"), part)
            })
            .collect()
    }

    #[test]
    fn a_fingerprint_depends_on_every_text_and_its_boundaries() {
        assert_eq!(fingerprint(["a", "b"]), fingerprint(["a", "b"]));
        assert_ne!(fingerprint(["a", "b"]), fingerprint(["ab"]));
        assert_ne!(fingerprint(["a", "b"]), fingerprint(["b", "a"]));
    }

    #[test]
    fn merged_partitions_equal_the_whole_run_in_totals_cases_and_junit() {
        let whole = sample();
        let mut parts = partitions(3);
        parts.reverse();
        let merged = merge(&parts).expect("merges");
        let mut by_id = whole.cases.clone();
        by_id.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(merged.cases, by_id, "cases in the whole run's order");
        let totals = |r: &RunReport| crate::report::Summary { duration_ms: 0, ..r.summary.clone() };
        assert_eq!(totals(&merged), totals(&whole));
        assert_eq!(merged.summary.duration_ms, 3000, "the slowest partition's wall time");
        assert_eq!(merged.created_resources, vec![("server_group".to_owned(), 6)]);
        assert_eq!(merged.target.run_id, "abc-p1of3+abc-p2of3+abc-p3of3");
        assert_eq!(merged.merged_from.iter().map(|m| m.index).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(merged.partition, None);
        let tests = |xml: &str| xml.split("tests=\"").nth(1).and_then(|t| t.split('"').next()).map(str::to_owned);
        assert_eq!(tests(&to_junit(&merged)), tests(&to_junit(&whole)));
        assert!(to_junit(&merged).contains(r#"<property name="merged_from" value="1/3,2/3,3/3"/>"#));
        let line = merged.partition_line().expect("a line");
        assert_eq!(line, "merged from 3 partitions: 1/3 2 cases in 1.0s, 2/3 2 cases in 2.0s, 3/3 2 cases in 3.0s");
        assert!(crate::report::to_markdown(&merged).contains("- Merged from 3 partitions: 1/3 2 cases"));
    }

    #[test]
    fn a_partition_report_says_which_part_it_is() {
        let (_, part) = &partitions(3)[1];
        assert_eq!(part.partition_line().as_deref(), Some("partition 2/3 (2 of 6 selected cases)"));
        let xml = to_junit(part);
        assert!(xml.contains(r#"<property name="partition" value="2/3"/>"#), "{xml}");
        assert!(crate::report::ConsoleReporter::summary(part).contains("partition 2/3 (2 of 6 selected cases)\n"));
        assert!(crate::report::to_markdown(part).contains("- Partition 2/3 (2 of 6 selected cases)\n"));
        assert_eq!(sample().partition_line(), None);
    }

    #[test]
    fn a_missing_partition_is_named_with_what_was_given() {
        let mut parts = partitions(3);
        parts.remove(1);
        let e = merge(&parts).expect_err("missing");
        assert_eq!(e.to_string(), "partition(s) 2/3 of 3 missing (given: 1/3 (p1.json), 3/3 (p3.json))");
    }

    #[test]
    fn overlapping_partitions_are_refused_naming_the_case_or_partition() {
        let mut parts = partitions(3);
        let extra = parts[0].1.cases[0].clone();
        parts[1].1.cases.push(extra.clone());
        let e = merge(&parts).expect_err("overlap");
        assert_eq!(e, MergeError::CaseTwice { id: extra.id, first: "p1.json".into(), file: "p2.json".into() });
        let mut parts = partitions(3);
        let copy = parts[0].clone();
        parts.push(("again.json".into(), copy.1));
        let e = merge(&parts).expect_err("twice");
        assert_eq!(e.to_string(), "partition 1/3 is given twice: p1.json and again.json");
    }

    #[test]
    fn reports_of_other_versions_targets_or_selections_are_refused() {
        let refused = |change: fn(&mut RunReport)| {
            let mut parts = partitions(3);
            change(&mut parts[2].1);
            merge(&parts).expect_err("refused").to_string()
        };
        let e = refused(|r| r.format_version = 2);
        assert!(e.starts_with("p3.json has report format version 2, p1.json has 1"), "{e}");
        let e = refused(|r| r.partition.as_mut().unwrap().specs = "0.2.0 specs 9".into());
        assert!(e.contains("the harness and specs version differs (0.2.0 specs 9 against 0.1.0 specs 1234)"), "{e}");
        let e = refused(|r| r.target.region = Some("eu-west-0".into()));
        assert!(e.starts_with("p3.json and p1.json are not partitions of one run: the region differs"), "{e}");
        assert!(e.ends_with("(eu-west-0 against ap-southeast-1)"), "{e}");
        let e = refused(|r| r.target.mode = "readonly".into());
        assert!(e.contains("the mode differs (readonly against full)"), "{e}");
        let e = refused(|r| r.partition.as_mut().unwrap().selection = "ffff".into());
        assert!(e.contains("the selection"), "{e}");
        let e = refused(|r| r.partition.as_mut().unwrap().count = 4);
        assert!(e.contains("the partition count differs (4 against 3)"), "{e}");
        let e = refused(|r| r.partition = None);
        assert_eq!(e, "p3.json is not the report of a partition (run it with --partition I/N)");
        let e = refused(|r| {
            r.target.kind = "endpoint".into();
        });
        assert!(e.contains("the target kind differs"), "{e}");
    }

    #[test]
    fn embedded_partitions_may_differ_in_port_and_endpoints_may_not() {
        let mut parts = partitions(2);
        parts[1].1.target.endpoint = "http://127.0.0.1:1".into();
        assert!(merge(&parts).is_ok(), "each embedded emulator has its own port");
        for (_, r) in &mut parts {
            r.target.kind = "endpoint".into();
        }
        let e = merge(&parts).expect_err("two endpoints").to_string();
        assert!(e.contains("the endpoint differs (http://127.0.0.1:1 against http://127.0.0.1:9000)"), "{e}");
    }

    #[test]
    fn partitions_in_projects_or_profiles_of_their_own_merge_naming_each() {
        let mut parts = partitions(3);
        for (i, (_, r)) in parts.iter_mut().enumerate() {
            r.target.profile = Some(format!("staging-p{}", i + 1));
        }
        parts[2].1.target.project_id = "project-3".into();
        let merged = merge(&parts).expect("merges");
        assert_eq!(merged.target.profile.as_deref(), Some("staging-p1+staging-p2+staging-p3"));
        assert_eq!(merged.target.project_id, "0605767b5780d5762fc5c0118072a564+project-3");
    }

    #[test]
    fn partitions_that_lost_a_case_are_refused() {
        let mut parts = partitions(3);
        parts[0].1.cases.pop();
        let e = merge(&parts).expect_err("lost").to_string();
        assert_eq!(e, "the partitions hold 5 case(s), not the 6 case(s) of their selection");
        let mut parts = partitions(3);
        parts[0].1.cases[0].id = "renamed".into();
        parts[0].1.cases[0].outcome = CaseOutcome::Passed;
        let e = merge(&parts).expect_err("other ids").to_string();
        assert!(e.ends_with("(same count, other ids)"), "{e}");
        assert_eq!(merge(&[]), Err(MergeError::NoInput));
    }
}
