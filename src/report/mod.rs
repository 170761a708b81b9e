//! Reports of a run: console lines, JSON, JUnit XML, HAR, HTML and a markdown compatibility
//! matrix, rendered from the run's outcome (`crate::outcome`).
//!
//! Reporters read only [`RunReport`]; they never see secrets, and they judge nothing.

mod console;
mod har;
pub mod html;
mod json;
mod junit;
mod markdown;
mod merge;
#[cfg(test)]
pub(crate) mod testdata;

pub use crate::outcome::fingerprint;
pub use crate::outcome::scrub_report;
pub use crate::outcome::{
    curl_line, shell_word, ExchangeReport, HeaderReport, Reproduce, RequestReport, ResponseReport,
};
pub use crate::outcome::{
    CaseOutcome, CaseReport, CheckReport, Finding, MergedPartition, PartitionInfo, RunReport, Summary, TargetInfo,
    FORMAT_VERSION,
};
pub use crate::redact::{scrub_secrets, Redactor, Scrubber};
pub use console::ConsoleReporter;
pub use har::{to_har, write_har, HarEntry};
pub use json::{from_json, to_json, write_json};
pub use junit::{to_junit, write_junit};
pub use markdown::{coverage_markdown, to_markdown, write_markdown};
pub use merge::{merge, MergeError};
