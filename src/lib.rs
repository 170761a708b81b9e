//! sdrs-conformance: a conformance test harness and contract checker for the Huawei Cloud
//! Storage Disaster Recovery Service (SDRS) API.
//!
//! Dependencies point one way: `cli -> runner -> {checks, client, cases} -> spec`; the
//! emulator depends only on `spec` data and [`signing`].

pub mod spec;
