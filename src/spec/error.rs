//! Errors of spec loading: unreadable files and the list of problems a check found.

use super::Location;
use std::fmt;
use std::path::PathBuf;

/// A problem found in a spec file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// File and line of the offending entry.
    pub location: Location,
    /// What is wrong, in lower case, naming the offending value.
    pub message: String,
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why the specs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A spec file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The files were read but are malformed or inconsistent.
    #[error("{}", render(.0))]
    Invalid(Vec<SpecProblem>),
}

fn render(problems: &[SpecProblem]) -> String {
    let mut out = format!("{} problem(s) in the specs:", problems.len());
    for p in problems {
        out.push_str("\n  ");
        out.push_str(&p.to_string());
    }
    out
}
