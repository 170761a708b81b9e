//! `check-traffic`: judges a HAR recording offline and writes the same reports as `run`.

use super::args::CheckTrafficArgs;
use super::{exit, CliError};
use crate::checks::CheckContext;
use crate::report::ConsoleReporter;
use crate::spec::{SchemaSet, Specs};
use crate::traffic::{self, Har};

/// Reads, judges and reports the recording; exit 0 passed, 1 a case failed, 2 an unreadable file.
pub(super) fn check_traffic(args: &CheckTrafficArgs) -> Result<i32, CliError> {
    let har = Har::read(&args.file)?;
    let specs = Specs::embedded();
    let schemas = SchemaSet::new(specs);
    let ctx = CheckContext { specs, schemas: &schemas, strict: args.strict };
    let source = args.file.display().to_string();
    let report = traffic::judge(&har, &ctx, &source);
    for case in &report.cases {
        let line = ConsoleReporter::case_line(case)
            .or_else(|| args.verbose.then(|| format!("{} {}", case.outcome.as_str().to_uppercase(), case.id)));
        if let Some(line) = line {
            outln!("{line}");
        }
    }
    let coverage =
        args.reports.wants_coverage().then(|| crate::coverage::of_exchanges(specs, &traffic::exchanges(&har)));
    args.reports.write_with(&report, coverage.as_ref())?;
    // Not a contract failure, but never silent: every exchange of no documented operation is named.
    let unmatched: Vec<_> = report.cases.iter().filter(|c| c.kind == traffic::KIND_UNMATCHED).collect();
    if !unmatched.is_empty() {
        outln!("{} exchange(s) match no documented operation (skipped):", unmatched.len());
        for c in &unmatched {
            outln!("  {} {}", c.id, c.reason.as_deref().unwrap_or(""));
        }
    }
    if report.cases.is_empty() {
        outln!("{source}: the recording holds no entry");
    }
    if let Some(c) = &coverage {
        outln!("{}", c.summary_line());
    }
    outln!("{}", ConsoleReporter::summary(&report));
    Ok(exit::of_summary(&report.summary))
}
