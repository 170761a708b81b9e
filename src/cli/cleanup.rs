//! `cleanup`: deletes what an earlier run created and recorded in its ledger, and nothing else.

use super::args::CleanupArgs;
use super::{auth_of, exit, CliError};
use crate::cases::prereq::Profile;
use crate::client::{Client, ClientOptions, RetryPolicy, Target};
use crate::runner::breaker::Breaker;
use crate::runner::ledger::{outstanding, Ledger, LedgerStamp};
use crate::runner::{remote, Polling, Teardown};
use crate::spec::{SchemaSet, Specs};
use std::time::Duration;

pub(super) async fn cleanup(args: CleanupArgs) -> Result<i32, CliError> {
    let path = args.ledger.clone().unwrap_or_else(Ledger::default_path);
    let entries = Ledger::read(&path)?;
    let left = outstanding(&entries);
    let prefixes: Vec<String> = {
        let mut p: Vec<String> =
            entries.iter().filter(|e| e.event == "intent" && !e.prefix.is_empty()).map(|e| e.prefix.clone()).collect();
        p.sort();
        p.dedup();
        p
    };
    if left.is_empty() && prefixes.is_empty() && !entries.iter().any(|e| e.event == "job") {
        outln!("the ledger {} records nothing left to delete", path.display());
        return Ok(exit::OK);
    }
    let recorded = entries.iter().rev().find(|e| !e.endpoint.is_empty());
    let url = args
        .target
        .endpoint
        .clone()
        .or_else(|| recorded.map(|e| e.endpoint.clone()))
        .ok_or_else(|| CliError::usage("no endpoint: give --endpoint"))?;
    let project_id = args
        .target
        .project_id
        .clone()
        .or_else(|| recorded.map(|e| e.project_id.clone()))
        .ok_or_else(|| CliError::usage("no project id: give --project-id"))?;
    let auth = auth_of(&args.target)?;
    let target = Target { base_url: url.clone(), project_id: project_id.clone(), auth };
    let profile = match &args.target.profile {
        Some(name) => Profile::resolve(name)?,
        None => Profile::emulator_default(),
    };
    let tls = super::tls_options(&args.target, &profile.ca_certs);
    if tls.insecure {
        outln!("warning: --insecure: the TLS certificate of {url} is not verified");
    }
    let proxy = crate::client::proxy::proxy_for(&url);
    if let Some(p) = &proxy {
        outln!("note: {url} is reached through the proxy {p} named by the environment");
    }
    let options = ClientOptions {
        timeout: Duration::from_secs(args.timeout.max(1)),
        retry: RetryPolicy::none(),
        concurrency: 64,
        rps: 0.0,
        tls,
        direct: false,
    };
    let client = Client::new(target, options)?;
    crate::runner::preflight(&client, proxy.as_deref()).await?;
    let ledger = Ledger::open(&path).map_err(CliError::io(format!("cannot open the ledger {}", path.display())))?;
    let run = crate::runner::new_run_id();
    let stamp = LedgerStamp { ledger: &ledger, run: &run, endpoint: &url, project_id: &project_id };
    let interval = match args.poll_interval {
        Some(ms) => Duration::from_millis(ms),
        None => remote::poll_interval(remote::is_remote(args.remote, &profile, &url), &profile),
    };
    // Whatever the target, cleanup waits for what it deletes as long as a region needs.
    let polling = Polling { interval, max_polls: None, job_timeout: remote::REMOTE_JOB_DEADLINE };
    let specs = Specs::embedded();
    let (schemas, breaker) = (SchemaSet::new(specs), Breaker::default());
    let teardown = Teardown::new(&client, specs, &schemas, &breaker, polling, Some(stamp));
    let jobs: Vec<String> =
        entries.iter().filter(|e| e.event == "job" && !e.job_id.is_empty()).map(|e| e.job_id.clone()).collect();
    let notes = teardown.ledger(&left, &prefixes, &jobs).await;
    for n in &notes {
        errln!("could not delete {n}");
    }
    outln!("cleanup: {} resource(s) recorded, {} left behind", left.len(), notes.len());
    Ok(if notes.is_empty() { exit::OK } else { exit::FAILED })
}
