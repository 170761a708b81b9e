//! sdrs-conformance: a conformance test harness and contract checker for the Huawei Cloud
//! Storage Disaster Recovery Service (SDRS) API.
//!
//! Dependencies point one way: `cli -> runner -> {checks, client, cases} -> spec`; the
//! emulator depends only on `spec` data and [`signing`]; reports read only the runner's results.

pub mod cases;
pub mod checks;
pub mod cli;
pub mod client;
pub mod coverage;
mod edit_distance;
pub mod emulator;
pub mod exchange;
pub mod report;
pub mod runner;
pub mod signing;
pub mod spec;
pub mod traffic;
