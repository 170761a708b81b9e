//! `variant-matrix`: runs the full suite against the embedded emulator once without variants,
//! once per legal variant and once with all of them together, and writes what each causes
//! (docs/variant-matrix.md): the warnings, per check with a sample title, and the cases that
//! failed or erred, which a correct suite has none of.
//!
//! The output is deterministic: variants sorted by name, one case at a time by default, no
//! timings, the run id replaced in titles.

use super::args::VariantMatrixArgs;
use super::{exit, CliError};
use crate::checks::{CheckName, CheckOutcome};
use crate::emulator::Variant;
use crate::report::{CaseOutcome, RunReport};
use crate::runner::TargetConfig;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Most failure groups listed per run.
const LISTED: usize = 25;

/// A failure's check (None: the case erred) and title.
type FailureKey = (Option<CheckName>, String);

/// What one run of the full suite showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Tally {
    /// Cases in the run.
    total: usize,
    /// Cases that failed.
    failed: usize,
    /// Cases the harness could not judge.
    errors: usize,
    /// Cases that warned (and did not fail).
    warned: usize,
    /// Per check: the cases in which it warned, with the title of each warning.
    warnings: BTreeMap<CheckName, Vec<(String, String)>>,
    /// Per (check, title): the cases in which it failed; erred cases are under `None`.
    failures: BTreeMap<FailureKey, BTreeSet<String>>,
}

impl Tally {
    fn of(report: &RunReport) -> Tally {
        let run_id = report.target.run_id.as_str();
        let clean = |title: &str| {
            let title = if run_id.is_empty() { title.to_owned() } else { title.replace(run_id, "<run>") };
            shorten(&title)
        };
        let mut tally = Tally { total: report.cases.len(), ..Tally::default() };
        for case in &report.cases {
            match case.outcome {
                CaseOutcome::Failed => tally.failed += 1,
                CaseOutcome::Error => tally.errors += 1,
                CaseOutcome::Warned => tally.warned += 1,
                _ => {}
            }
            let mut warned: BTreeSet<CheckName> = BTreeSet::new();
            for check in case.checks_with(CheckOutcome::Warned) {
                if warned.insert(check.name) {
                    tally.warnings.entry(check.name).or_default().push((case.id.clone(), clean(check.title())));
                }
            }
            for check in case.checks_with(CheckOutcome::Failed) {
                tally.failures.entry((Some(check.name), clean(check.title()))).or_default().insert(case.id.clone());
            }
            if case.outcome == CaseOutcome::Error {
                let reason = case.reason.as_deref().and_then(|r| r.lines().next()).unwrap_or("no reason given");
                tally.failures.entry((None, clean(reason))).or_default().insert(case.id.clone());
            }
        }
        tally
    }

    /// `a (n), b (m)`: the cases in which each check failed (`error`: erred cases), or `nothing`.
    fn failing(&self) -> String {
        let mut by_check: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for ((check, _), cases) in &self.failures {
            let name = check.map_or("error", |c| c.as_str());
            by_check.entry(name).or_default().extend(cases.iter().map(String::as_str));
        }
        if by_check.is_empty() {
            return "nothing".into();
        }
        by_check.iter().map(|(c, n)| format!("{c} ({})", n.len())).collect::<Vec<_>>().join(", ")
    }

    fn warned_cases(&self, check: CheckName) -> usize {
        self.warnings.get(&check).map_or(0, Vec::len)
    }
}

/// Most characters of a title kept in the document (schema titles quote whole bodies).
const TITLE_CHARS: usize = 200;

fn shorten(title: &str) -> String {
    match title.char_indices().nth(TITLE_CHARS) {
        Some((i, _)) => format!("{}…", &title[..i]),
        None => title.to_owned(),
    }
}

/// One run: its label (a variant, all of them, or none) and what it showed.
struct Run {
    label: String,
    tally: Tally,
}

async fn run_once(args: &VariantMatrixArgs, variants: Vec<String>) -> Result<Tally, CliError> {
    let mut config = crate::embedded::config();
    config.scenarios = super::files_of(args.cases.as_ref());
    config.snapshots = super::files_of(args.snapshots.as_ref());
    config.jobs = args.jobs.max(1);
    config.target = TargetConfig::Embedded { faults: Vec::new(), variants };
    let report = crate::runner::run(config, |_| {}).await?;
    Ok(Tally::of(&report))
}

/// Runs the matrix and writes it.
pub(super) async fn variant_matrix(args: VariantMatrixArgs) -> Result<i32, CliError> {
    super::check_dirs(args.cases.as_deref(), args.snapshots.as_deref())?;
    let mut variants = Variant::ALL.to_vec();
    variants.sort_by_key(|v| v.name());
    let mut plans: Vec<(String, Vec<String>)> = vec![("*(no variant)*".into(), Vec::new())];
    plans.extend(variants.iter().map(|v| (format!("`{v}`"), vec![v.name().to_owned()])));
    plans.push(("*all together*".into(), variants.iter().map(|v| v.name().to_owned()).collect()));
    let mut runs = Vec::with_capacity(plans.len());
    for (i, (label, names)) in plans.into_iter().enumerate() {
        let tally = run_once(&args, names).await?;
        errln!(
            "[{}/{}] {label}: {} failed, {} error(s), {} warned; failing: {}",
            i + 1,
            variants.len() + 2,
            tally.failed,
            tally.errors,
            tally.warned,
            tally.failing()
        );
        runs.push(Run { label, tally });
    }
    let markdown = render(&runs, &variants);
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CliError::io(format!("cannot create {}", dir.display())))?;
    }
    std::fs::write(&args.out, markdown).map_err(CliError::io(format!("cannot write {}", args.out.display())))?;
    let bad: Vec<&str> =
        runs.iter().filter(|r| r.tally.failed + r.tally.errors > 0).map(|r| r.label.as_str()).collect();
    outln!(
        "variant matrix: {} variants, {} run(s) with failures{}",
        variants.len(),
        bad.len(),
        if bad.is_empty() { String::new() } else { format!(": {}", bad.join(", ")) }
    );
    outln!("written to {}", args.out.display());
    Ok(exit::OK)
}

/// The warnings cell of a run: `check n (+d)` per warning check, `d` against the first run.
fn warnings_cell(run: &Tally, base: &Tally) -> String {
    let parts: Vec<String> = CheckName::ALL
        .iter()
        .filter(|c| run.warned_cases(**c) > 0)
        .map(|c| {
            let (n, b) = (run.warned_cases(*c), base.warned_cases(*c));
            if n == b {
                format!("`{c}` {n}")
            } else {
                format!("`{c}` {n} ({:+})", n as i64 - b as i64)
            }
        })
        .collect();
    if parts.is_empty() {
        "·".into()
    } else {
        parts.join(", ")
    }
}

/// A warning title of `check` in `run` that the base run does not show, else its first one.
fn sample_warning(run: &Tally, base: &Tally, check: CheckName) -> String {
    let seen: BTreeSet<&str> = base.warnings.get(&check).into_iter().flatten().map(|(_, t)| t.as_str()).collect();
    let all = run.warnings.get(&check).map(Vec::as_slice).unwrap_or_default();
    let pick = all.iter().find(|(_, t)| !seen.contains(t.as_str())).or(all.first());
    pick.map(|(case, title)| format!("{title} (`{case}`)")).unwrap_or_default()
}

/// The markdown document.
fn render(runs: &[Run], variants: &[Variant]) -> String {
    let mut md = String::new();
    let base = &runs[0].tally;
    let clean = runs.iter().filter(|r| r.tally.failed + r.tally.errors == 0).count();
    let _ = writeln!(md, "# Variant matrix");
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "<!-- Generated by `sdrs-conformance variant-matrix --out docs/variant-matrix.md`; do not edit by hand. -->"
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "Each row is one run of the full suite ({} cases) against the embedded emulator answering in one legal \
         variant (`serve --variant NAME`, `src/emulator/variants.rs`): a way the SDRS reference allows but the \
         emulator does not show by default. The first row has no variant, the last all of them together. A correct \
         suite fails no case under any of them; warnings are allowed. A warning count in parentheses is the \
         difference from the run without variants.",
        base.total
    );
    let _ = writeln!(md);
    let _ = writeln!(md, "{} runs, {clean} without any failed or erred case.", runs.len());
    let _ = writeln!(md);
    let _ = writeln!(md, "## Matrix");
    let _ = writeln!(md);
    let _ = writeln!(md, "| variant | failed cases | errors | warned cases | warnings (cases per check) |");
    let _ = writeln!(md, "|---|---:|---:|---:|---|");
    for run in runs {
        let t = &run.tally;
        let _ =
            writeln!(md, "| {} | {} | {} | {} | {} |", run.label, t.failed, t.errors, t.warned, warnings_cell(t, base));
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "## Failures");
    let _ = writeln!(md);
    if clean == runs.len() {
        let _ = writeln!(md, "None: the suite passes under every variant.");
    }
    for run in runs.iter().filter(|r| !r.tally.failures.is_empty()) {
        let t = &run.tally;
        let _ = writeln!(md, "### {} ({} failed, {} error(s))", run.label, t.failed, t.errors);
        let _ = writeln!(md);
        let mut groups: Vec<(&FailureKey, &BTreeSet<String>)> = t.failures.iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
        for ((check, title), cases) in groups.iter().take(LISTED) {
            let check = check.map(|c| c.as_str()).unwrap_or("error");
            let first = cases.first().map(String::as_str).unwrap_or_default();
            let _ = writeln!(md, "- `{check}` in {} case(s), e.g. `{first}`: {title}", cases.len());
        }
        if groups.len() > LISTED {
            let _ = writeln!(md, "- … and {} more distinct failure(s)", groups.len() - LISTED);
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Warnings");
    let _ = writeln!(md);
    for run in runs.iter().filter(|r| !r.tally.warnings.is_empty()) {
        let _ = writeln!(md, "### {}", run.label);
        let _ = writeln!(md);
        for check in CheckName::ALL.iter().filter(|c| run.tally.warned_cases(**c) > 0) {
            let _ = writeln!(
                md,
                "- `{check}` in {} case(s): {}",
                run.tally.warned_cases(*check),
                sample_warning(&run.tally, base, *check)
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Variants");
    let _ = writeln!(md);
    for variant in variants {
        let _ = writeln!(md, "- `{variant}`: {}", variant.describe());
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(failed: &[(CheckName, &str, &str)], warned: &[(CheckName, &str, &str)]) -> Tally {
        let mut t = Tally { total: 10, failed: failed.len(), warned: warned.len(), ..Tally::default() };
        for (check, title, case) in failed {
            t.failures.entry((Some(*check), (*title).into())).or_default().insert((*case).into());
        }
        for (check, title, case) in warned {
            t.warnings.entry(*check).or_default().push(((*case).into(), (*title).into()));
        }
        t
    }

    #[test]
    fn the_document_lists_failures_and_new_warnings_per_variant() {
        let base = tally(&[], &[(CheckName::ErrorBody, "old warning", "a")]);
        let extra = tally(
            &[(CheckName::JobProtocol, "unknown entities", "c1"), (CheckName::JobProtocol, "unknown entities", "c2")],
            &[(CheckName::ErrorBody, "old warning", "a"), (CheckName::ErrorBody, "new warning", "b")],
        );
        let runs = vec![
            Run { label: "*(no variant)*".into(), tally: base },
            Run { label: "`sdk-entity-keys`".into(), tally: extra },
        ];
        let md = render(&runs, &[Variant::SdkEntityKeys]);
        assert!(md.contains("| *(no variant)* | 0 | 0 | 1 | `error_body` 1 |"), "{md}");
        assert!(md.contains("| `sdk-entity-keys` | 2 | 0 | 2 | `error_body` 2 (+1) |"), "{md}");
        assert!(md.contains("### `sdk-entity-keys` (2 failed, 0 error(s))"), "{md}");
        assert!(md.contains("- `job_protocol` in 2 case(s), e.g. `c1`: unknown entities"), "{md}");
        assert!(md.contains("- `error_body` in 2 case(s): new warning (`b`)"), "{md}");
        assert!(md.contains("1 without any failed or erred case"), "{md}");
        assert_eq!(md, render(&runs, &[Variant::SdkEntityKeys]), "deterministic");
        assert_eq!(runs[1].tally.failing(), "job_protocol (2)");
    }

    #[test]
    fn long_titles_are_shortened() {
        assert_eq!(shorten("short"), "short");
        let long = "x".repeat(300);
        assert_eq!(shorten(&long).chars().count(), TITLE_CHARS + 1);
    }

    #[test]
    fn a_clean_matrix_says_so() {
        let runs = vec![Run { label: "*(no variant)*".into(), tally: tally(&[], &[]) }];
        let md = render(&runs, &[]);
        assert!(md.contains("None: the suite passes under every variant."), "{md}");
        assert!(md.contains("| *(no variant)* | 0 | 0 | 0 | · |"), "{md}");
    }
}
