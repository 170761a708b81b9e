//! `cleanup`: deletes what an earlier run created and recorded in its ledger, and nothing else.

use super::args::CleanupArgs;
use super::{auth_of, exit, CliError};
use crate::cases::prereq::Profile;
use crate::runner::ledger::{outstanding, Ledger};
use crate::runner::{RunConfig, Runner, TargetConfig};
use std::time::Duration;

pub(super) async fn cleanup(args: CleanupArgs) -> Result<i32, CliError> {
    let path = args.ledger.clone().unwrap_or_else(Ledger::default_path);
    let entries = Ledger::read(&path).map_err(CliError::new)?;
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
        .ok_or_else(|| CliError::new("no endpoint: give --endpoint"))?;
    let project_id = args
        .target
        .project_id
        .clone()
        .or_else(|| recorded.map(|e| e.project_id.clone()))
        .ok_or_else(|| CliError::new("no project id: give --project-id"))?;
    let mut config = RunConfig::embedded();
    config.filters = vec!["\u{0}no case matches".into()];
    config.scenarios = crate::runner::Files::None;
    config.timeout = Duration::from_secs(args.timeout.max(1));
    config.poll_interval = Duration::from_millis(if super::is_loopback(&url) { 5 } else { 2000 });
    config.max_polls = None;
    config.job_deadline = Duration::from_secs(900);
    config.ledger = Some(path.clone());
    config.target = TargetConfig::Endpoint {
        url,
        project_id,
        auth: auth_of(&args.target)?,
        region: args.target.region.clone(),
        profile: Box::new(Profile::emulator_default()),
        profile_name: None,
    };
    config.tls = super::tls_options(&args.target, &config.target);
    let runner = Runner::new(config).await.map_err(|e| CliError::new(e.to_string()))?;
    super::print_network(runner.target_info());
    runner.preflight().await.map_err(|e| CliError::new(e.to_string()))?;
    let jobs: Vec<String> =
        entries.iter().filter(|e| e.event == "job" && !e.job_id.is_empty()).map(|e| e.job_id.clone()).collect();
    let notes = runner.cleanup_ledger(&left, &prefixes, &jobs).await;
    for n in &notes {
        errln!("could not delete {n}");
    }
    outln!("cleanup: {} resource(s) recorded, {} left behind", left.len(), notes.len());
    Ok(if notes.is_empty() { exit::OK } else { exit::FAILED })
}
