//! `fault-matrix`: runs the full suite once against the conforming emulator and once per fault
//! mode, and writes the table fault × checks that caught it (docs/fault-matrix.md).
//!
//! The output is deterministic: faults sorted by name, counts of failing cases only, no timings,
//! no run ids, one case at a time by default (so that no count depends on how concurrent cases
//! interleave). Faults whose target check never failed are listed as known gaps, with the checks
//! that did catch them, if any.

use super::args::FaultMatrixArgs;
use super::{exit, CliError};
use crate::checks::{CheckName, CheckOutcome};
use crate::emulator::Fault;
use crate::report::{CaseOutcome, RunReport};
use crate::runner::TargetConfig;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What one run of the full suite showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    /// Cases in the run.
    total: usize,
    /// Cases that failed.
    failed: usize,
    /// Cases the harness could not judge.
    errors: usize,
    /// Per check: the number of cases in which it failed.
    by_check: BTreeMap<CheckName, usize>,
    /// Per check: the number of cases in which it warned (a disputed reading; fails under --strict).
    warned_by_check: BTreeMap<CheckName, usize>,
}

impl Row {
    fn of(report: &RunReport) -> Row {
        let mut row = Row { total: report.cases.len(), ..Row::default() };
        for case in &report.cases {
            match case.outcome {
                CaseOutcome::Failed => row.failed += 1,
                CaseOutcome::Error => row.errors += 1,
                _ => {}
            }
            let mut seen: Vec<CheckName> =
                case.checks.iter().filter(|c| c.outcome == CheckOutcome::Failed).map(|c| c.name).collect();
            seen.sort_unstable();
            seen.dedup();
            for check in seen {
                *row.by_check.entry(check).or_insert(0) += 1;
            }
            let mut warned: Vec<CheckName> =
                case.checks.iter().filter(|c| c.outcome == CheckOutcome::Warned).map(|c| c.name).collect();
            warned.sort_unstable();
            warned.dedup();
            for check in warned {
                *row.warned_by_check.entry(check).or_insert(0) += 1;
            }
        }
        row
    }

    fn failing(&self, check: CheckName) -> usize {
        self.by_check.get(&check).copied().unwrap_or(0)
    }

    /// `a (n), b (m)` in report order, or `nothing`.
    fn catchers(&self) -> String {
        let parts: Vec<String> = CheckName::ALL
            .iter()
            .filter(|c| self.failing(**c) > 0)
            .map(|c| format!("`{c}` ({})", self.failing(*c)))
            .collect();
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The faults, sorted by name.
fn sorted_faults() -> Vec<Fault> {
    let mut faults = Fault::ALL.to_vec();
    faults.sort_by_key(|f| f.name());
    faults
}

/// The target check of a fault.
fn target_of(fault: Fault) -> Result<CheckName, CliError> {
    CheckName::parse(fault.target_check()).ok_or_else(|| {
        CliError::usage(format!("fault {fault} targets `{}`, which is not a check", fault.target_check()))
    })
}

async fn run_once(args: &FaultMatrixArgs, faults: Vec<String>) -> Result<Row, CliError> {
    let mut config = crate::embedded::config();
    // A fault that breaks only a reading of ours is caught under --strict, as in tests/faults.rs.
    config.strict = faults.iter().filter_map(|f| Fault::parse(f).ok()).any(|f| f.breaks_a_reading().is_some());
    config.scenarios = super::files_of(args.cases.as_ref());
    config.snapshots = super::files_of(args.snapshots.as_ref());
    config.jobs = args.jobs.max(1);
    config.target = TargetConfig::Embedded { faults, variants: Vec::new() };
    let report = crate::runner::run(config, |_| {}).await?;
    Ok(Row::of(&report))
}

/// Runs the matrix and writes it.
pub(super) async fn fault_matrix(args: FaultMatrixArgs) -> Result<i32, CliError> {
    super::check_dirs(args.cases.as_deref(), args.snapshots.as_deref())?;
    let faults = sorted_faults();
    let runs = faults.len() + 1;
    errln!("[1/{runs}] no fault");
    let clean = run_once(&args, Vec::new()).await?;
    if clean.failed + clean.errors > 0 {
        errln!(
            "warning: the conforming emulator fails {} case(s) and errs in {}: {}",
            clean.failed,
            clean.errors,
            clean.catchers()
        );
    }
    let mut rows = Vec::with_capacity(faults.len());
    for (i, fault) in faults.iter().enumerate() {
        let target = target_of(*fault)?;
        let row = run_once(&args, vec![fault.name().to_owned()]).await?;
        let verdict = if row.failing(target) > 0 { "caught" } else { "NOT caught" };
        errln!("[{}/{runs}] {fault}: {verdict} by {target}; failing: {}", i + 2, row.catchers());
        rows.push((*fault, target, row));
    }
    let markdown = render(&clean, &rows);
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CliError::io(format!("cannot create {}", dir.display())))?;
    }
    std::fs::write(&args.out, markdown).map_err(CliError::io(format!("cannot write {}", args.out.display())))?;

    let gaps: Vec<&str> = rows.iter().filter(|(_, t, r)| r.failing(*t) == 0).map(|(f, _, _)| f.name()).collect();
    let unnoticed: Vec<&str> =
        rows.iter().filter(|(_, _, r)| r.failed + r.errors == 0).map(|(f, _, _)| f.name()).collect();
    outln!(
        "fault matrix: {} faults, {} caught by their target check, {} known gap(s){}",
        rows.len(),
        rows.len() - gaps.len(),
        gaps.len(),
        if gaps.is_empty() { String::new() } else { format!(": {}", gaps.join(", ")) }
    );
    if !unnoticed.is_empty() {
        outln!("no case failed at all under: {}", unnoticed.join(", "));
    }
    outln!("no fault: {} failed, {} error(s) out of {} cases", clean.failed, clean.errors, clean.total);
    outln!("written to {}", args.out.display());
    Ok(exit::OK)
}

/// A count cell: `·` for none, bold for the target check.
fn cell(n: usize, target: bool) -> String {
    match (n, target) {
        (0, false) => "·".into(),
        (0, true) => "**0**".into(),
        (n, false) => n.to_string(),
        (n, true) => format!("**{n}**"),
    }
}

/// The markdown document.
fn render(clean: &Row, rows: &[(Fault, CheckName, Row)]) -> String {
    let mut md = String::new();
    let caught = rows.iter().filter(|(_, t, r)| r.failing(*t) > 0).count();
    let _ = writeln!(md, "# Fault matrix");
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "<!-- Generated by `sdrs-conformance fault-matrix --out docs/fault-matrix.md`; do not edit by hand. -->"
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "Each row is one run of the full suite ({} cases) against the embedded emulator with one fault mode \
         switched on (`serve --fault NAME`, `src/emulator/faults.rs`); the first row is the conforming emulator. \
         A cell is the number of cases in which that check failed (`·`: none); the fault's target check is in bold. \
         *caught* says whether the target check failed in at least one case.",
        clean.total
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "{} faults, {caught} caught by their target check, {} known gap(s).",
        rows.len(),
        rows.len() - caught
    );
    if clean.failed + clean.errors > 0 {
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "**The conforming emulator does not pass cleanly** ({} failed, {} error(s)): the counts of the \
             faulted runs include those failures ({}).",
            clean.failed,
            clean.errors,
            clean.catchers()
        );
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "## Matrix");
    let _ = writeln!(md);
    let mut header = String::from("| fault | target | caught | failed cases | errors |");
    let mut rule = String::from("|---|---|---|---:|---:|");
    for check in CheckName::ALL {
        let _ = write!(header, " {check} |");
        rule.push_str("---:|");
    }
    let _ = writeln!(md, "{header}");
    let _ = writeln!(md, "{rule}");
    let mut line = format!("| *(no fault)* | | | {} | {} |", clean.failed, clean.errors);
    for check in CheckName::ALL {
        let _ = write!(line, " {} |", cell(clean.failing(check), false));
    }
    let _ = writeln!(md, "{line}");
    for (fault, target, row) in rows {
        let yes = if row.failing(*target) > 0 { "yes" } else { "**no**" };
        let mut line = format!("| `{fault}` | {target} | {yes} | {} | {} |", row.failed, row.errors);
        for check in CheckName::ALL {
            let _ = write!(line, " {} |", cell(row.failing(check), check == *target));
        }
        let _ = writeln!(md, "{line}");
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "## Faults");
    let _ = writeln!(md);
    for (fault, target, _) in rows {
        let _ = writeln!(md, "- `{fault}` (target `{target}`): {}", fault.describe());
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "## Known gaps");
    let _ = writeln!(md);
    let gaps: Vec<_> = rows.iter().filter(|(_, t, r)| r.failing(*t) == 0).collect();
    if gaps.is_empty() {
        let _ = writeln!(md, "None: every fault is caught by its target check.");
    } else {
        let _ = writeln!(
            md,
            "Faults whose target check failed in no case of the full suite. `tests/faults.rs` ignores the \
             trial of a fault only while it is listed here."
        );
        let _ = writeln!(md);
        for (fault, target, row) in gaps {
            let mut reason = if row.failed + row.errors == 0 {
                "no case failed: nothing in the suite notices this fault".to_owned()
            } else {
                format!("caught only by {}", row.catchers())
            };
            let warned = row.warned_by_check.get(target).copied().unwrap_or(0);
            if warned > 0 {
                let _ = write!(reason, "; `{target}` warned in {warned} case(s): a reading the documents dispute, which fails only under `--strict`");
            }
            let _ = writeln!(md, "- `{fault}` (target `{target}`): `{target}` failed in no case; {reason}.");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(failed: usize, checks: &[(CheckName, usize)]) -> Row {
        Row {
            total: 10,
            failed,
            errors: 0,
            by_check: checks.iter().copied().collect(),
            warned_by_check: BTreeMap::new(),
        }
    }

    #[test]
    fn faults_are_sorted_by_name() {
        let names: Vec<&str> = sorted_faults().iter().map(|f| f.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), Fault::ALL.len());
        for f in Fault::ALL {
            assert!(target_of(*f).is_ok(), "{f}");
        }
    }

    #[test]
    fn the_document_marks_targets_and_lists_gaps() {
        let clean = row(0, &[]);
        let rows = vec![
            (Fault::NoAuth, CheckName::AuthRequired, row(3, &[(CheckName::AuthRequired, 3)])),
            (Fault::CountWrong, CheckName::Pagination, row(1, &[(CheckName::Snapshot, 1)])),
            (
                Fault::TagNotStored,
                CheckName::ResourceLifecycle,
                Row { warned_by_check: [(CheckName::ResourceLifecycle, 2)].into(), ..row(0, &[]) },
            ),
        ];
        let md = render(&clean, &rows);
        assert!(md.contains("| `no-auth` | auth_required | yes | 3 | 0 | · |"), "{md}");
        assert!(md.contains("| `count-wrong` | pagination | **no** | 1 | 0 |"), "{md}");
        assert!(md.contains("**0** | 1 |"), "{md}");
        let gaps = md.split("## Known gaps").nth(1).unwrap();
        assert!(
            gaps.contains(
                "- `count-wrong` (target `pagination`): `pagination` failed in no case; caught only by `snapshot` (1)."
            ),
            "{gaps}"
        );
        assert!(gaps.contains("- `tag-not-stored` (target `resource_lifecycle`)"), "{gaps}");
        assert!(
            gaps.contains("nothing in the suite notices this fault; `resource_lifecycle` warned in 2 case(s)"),
            "{gaps}"
        );
        assert!(!gaps.contains("no-auth"), "{gaps}");
        assert!(!md.contains("does not pass cleanly"));
        assert_eq!(md, render(&clean, &rows), "deterministic");
    }
}
