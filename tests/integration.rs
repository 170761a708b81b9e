//! Integration tests of the command line and the client, one module per concern, all in one
//! binary: real `serve` and `run` processes on loopback ports, misbehaving servers, secrets
//! searched for in every output, a run killed mid-way and cleaned up from its ledger.
//!
//! Children are read line by line (never waited for with sleeps) and killed when their guard is
//! dropped; every test is bounded.

#[path = "integration/common.rs"]
mod common;
#[path = "interop/sdk.rs"]
mod sdk;

#[path = "integration/cli.rs"]
mod cli;
#[path = "integration/corpus.rs"]
mod corpus;
#[path = "integration/e2e.rs"]
mod e2e;
#[path = "integration/evidence.rs"]
mod evidence;
#[path = "integration/ledger.rs"]
mod ledger;
#[path = "integration/nightly.rs"]
mod nightly;
#[path = "integration/partition.rs"]
mod partition;
#[path = "integration/proxy.rs"]
mod proxy;
#[path = "integration/report_html.rs"]
mod report_html;
#[path = "integration/robustness.rs"]
mod robustness;
#[path = "integration/secrets.rs"]
mod secrets;
#[path = "integration/selection.rs"]
mod selection;
#[path = "integration/serve.rs"]
mod serve;
#[path = "integration/sharing.rs"]
mod sharing;
#[path = "integration/tls.rs"]
mod tls;
#[path = "integration/traffic.rs"]
mod traffic;
#[path = "integration/variants.rs"]
mod variants;
