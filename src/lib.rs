//! sdrs-conformance: a conformance test harness and contract checker for the Huawei Cloud
//! Storage Disaster Recovery Service (SDRS) API.
//!
//! Dependencies point one way: `cli -> runner -> {checks, client, cases} -> spec`; the
//! emulator depends only on `spec` data and [`signing`]; reports read only the runner's results.
//!
//! Running part of the suite from Rust, against the embedded emulator:
//!
//! ```
//! use sdrs_conformance::{embedded, runner};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = embedded::config();
//! config.filters = vec!["listProtectionGroups".to_string()];
//! let report = runner::run(config, |_event| {}).await?;
//! assert!(report.summary.total > 0);
//! assert_eq!(report.summary.failed, 0, "the reference emulator conforms");
//! # Ok(())
//! # }
//! ```

#![warn(unreachable_pub)]

pub mod cases;
pub mod checks;
pub mod cli;
pub mod client;
pub mod coverage;
mod edit_distance;
pub mod embedded;
pub mod emulator;
pub mod exchange;
pub mod outcome;
pub mod proxy;
pub mod redact;
pub mod report;
pub mod runner;
pub mod signing;
pub mod spec;
pub mod traffic;
