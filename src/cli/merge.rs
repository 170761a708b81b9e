//! `merge`: reads the JSON reports of `run --partition I/N` and writes the whole run's reports
//! with the writers `run` uses; exit statuses as `run` (2 when the reports cannot be merged).

use super::args::MergeArgs;
use super::{exit, CliError};
use crate::report::{self, ConsoleReporter, RunReport};

/// Reads, merges and writes; a missing or malformed input names its file.
pub(super) fn merge(args: &MergeArgs) -> Result<i32, CliError> {
    let mut inputs: Vec<(String, RunReport)> = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(CliError::io(format!("cannot read the report {name}")))?;
        let parsed = report::from_json(&text).map_err(|source| CliError::NotAReport { name: name.clone(), source })?;
        inputs.push((name, parsed));
    }
    let merged = report::merge(&inputs).map_err(CliError::Merge)?;
    args.reports.write(&merged)?;
    outln!("{}", ConsoleReporter::summary(&merged));
    Ok(exit::of_summary(&merged.summary))
}
