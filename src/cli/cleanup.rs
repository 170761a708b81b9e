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
    let profile = match &args.target.profile {
        Some(name) => Profile::resolve(name).map_err(|e| CliError::new(e.to_string()))?,
        None => Profile::emulator_default(),
    };
    config.for_endpoint(crate::runner::remote::is_remote(args.remote, &profile, &url), &profile);
    // Whatever the target, cleanup waits for what it deletes as long as a region needs.
    config.job_deadline = crate::runner::remote::REMOTE_JOB_DEADLINE;
    config.share_fixtures = false;
    if let Some(ms) = args.poll_interval {
        config.poll_interval = Duration::from_millis(ms);
    }
    config.ledger = Some(path.clone());
    config.target = TargetConfig::Endpoint {
        url,
        project_id,
        auth: auth_of(&args.target)?,
        region: args.target.region.clone(),
        profile: Box::new(profile),
        profile_name: args.target.profile.clone(),
    };
    let runner = Runner::new(config).await.map_err(|e| CliError::new(e.to_string()))?;
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
