//! Reports of a run: console lines, JSON, JUnit XML and a markdown compatibility matrix, plus the
//! redaction shared with snapshots.
//!
//! Reporters read only [`RunReport`]; they never see secrets, and they judge nothing.

mod console;
mod evidence;
mod har;
pub mod html;
mod json;
mod junit;
mod markdown;
mod merge;
mod model;
mod redact;
#[cfg(test)]
pub(crate) mod testdata;

pub use console::ConsoleReporter;
pub use evidence::{curl_line, shell_word, ExchangeReport, HeaderReport, Reproduce, RequestReport, ResponseReport};
pub use har::{to_har, write_har, HarEntry};
pub use json::{from_json, to_json, write_json};
pub use junit::{to_junit, write_junit};
pub use markdown::{coverage_markdown, to_markdown, write_markdown};
pub use merge::{fingerprint, merge, MergeError};
pub use model::{
    CaseOutcome, CaseReport, CheckReport, Finding, MergedPartition, PartitionInfo, RunReport, Summary, TargetInfo,
    FORMAT_VERSION,
};
pub use redact::{scrub_report, scrub_secrets, Redactor, Scrubber};
