//! Whether a target is a real region, and what follows from it. One decision, from the
//! `--remote` flag, the profile's `remote: true` and the endpoint's host, shapes retries,
//! sharing, the ledger, polling, deadlines and concurrency for `run` and `cleanup` alike.
//!
//! Against a remote target concurrency is bounded by what the target and the profile allow
//! (the prerequisite pool, shared setups, `--rps`, 429 and `Retry-After`), never by the cores of
//! the machine running the suite: a case spends nearly all its time waiting for jobs.

use super::config::RunConfig;
use crate::cases::prereq::Profile;
use crate::client::RetryPolicy;
use std::time::Duration;

/// Cases in flight against a remote target when `--jobs` is not given. A case waits on the
/// target far longer than it computes, so this is sized by what a region absorbs: 64 cases in
/// flight send at most 64 requests at a time, well below a region's throttling, and leave the
/// prerequisite pool and the cases that run alone as the real bounds (`benches/nightly.sh`
/// measures the protection-group cases against 2 s jobs and 30 ms answers).
pub const REMOTE_JOBS: usize = 64;

// A case mostly waits: the default must never shrink to a handful.
const _: () = assert!(REMOTE_JOBS >= 32);

/// First pause between polls of a job against a remote target (real clients poll every few
/// seconds; `--poll-interval` or the profile's `poll_interval_ms` change it).
pub const REMOTE_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// First pause between polls against an emulator on loopback.
pub const LOOPBACK_POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Bound of one job against a remote target.
pub const REMOTE_JOB_DEADLINE: Duration = Duration::from_secs(900);

/// Bound of one case against a remote target (a scenario runs many jobs).
pub const REMOTE_CASE_TIMEOUT: Duration = Duration::from_secs(3600);

/// Whether `url` names this machine (an emulator, a tunnel or a port-forward).
pub fn is_loopback(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)) else {
        return false;
    };
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Whether the target at `url` is treated as a real region: asked for (`--remote`, or
/// `remote: true` in the profile), or off loopback.
pub fn is_remote(flag: bool, profile: &Profile, url: &str) -> bool {
    flag || profile.remote || !is_loopback(url)
}

/// The first pause between polls of a job: the profile's, else by whether the target is remote.
pub fn poll_interval(remote: bool, profile: &Profile) -> Duration {
    match profile.poll_interval_ms {
        Some(ms) => Duration::from_millis(ms),
        None if remote => REMOTE_POLL_INTERVAL,
        None => LOOPBACK_POLL_INTERVAL,
    }
}

/// Cases in flight by default: [`REMOTE_JOBS`] against a remote target, the number of cores
/// against the embedded emulator or one on loopback (their work is CPU-bound).
pub fn default_jobs(remote: bool) -> usize {
    if remote {
        REMOTE_JOBS
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
    }
}

/// Orders the units of a remote run: the cases that must run alone first, then the longest
/// (most steps) first. A case that runs alone waits for every case in flight and holds back
/// the rest, so in the middle of a run each one costs the longest case in flight; first, it costs
/// only itself. Long units started early do not end the run alone. The spare-NIC rule of
/// [`super::shared_setup::plan`] still comes before length.
pub(crate) fn order_units(units: &mut [super::shared_setup::Unit], cases: &[crate::cases::Case]) {
    let nic_first = |unit: &super::shared_setup::Unit| {
        unit.iter().all(|&i| super::shared_setup::key_of(&cases[i]).is_some() && cases[i].needs.spare_nics > 0)
    };
    // A unit builds its setup once and then sends one request per further case.
    let cost = |unit: &super::shared_setup::Unit| unit.first().map_or(0, |&i| cases[i].steps.len()) + unit.len();
    units.sort_by_key(|unit| {
        let alone = unit.iter().any(|&i| cases[i].exclusive);
        (!alone, !nic_first(unit), std::cmp::Reverse(cost(unit)))
    });
}

impl RunConfig {
    /// Sets what an existing endpoint implies: retries of safe requests always (whatever answers
    /// is not known to be our plain emulator); for a remote one also sharing, real polling and
    /// deadlines and [`REMOTE_JOBS`]; for one on loopback, fast polling. Flags given explicitly
    /// are applied after this.
    pub fn for_endpoint(&mut self, remote: bool, profile: &Profile) {
        self.remote = remote;
        self.retry = RetryPolicy::default();
        self.max_polls = None;
        self.poll_interval = poll_interval(remote, profile);
        if remote {
            self.job_timeout = REMOTE_JOB_DEADLINE;
            self.case_timeout = REMOTE_CASE_TIMEOUT;
            self.share_fixtures = true;
            self.jobs = default_jobs(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(remote: bool) -> Profile {
        Profile { remote, ..Profile::emulator_default() }
    }

    #[test]
    fn loopback_hosts_are_recognised_in_every_spelling() {
        for url in
            ["http://127.0.0.1:9000", "http://localhost:1/", "http://LOCALHOST", "http://[::1]:80", "http://127.1.2.3"]
        {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://sdrs.cn-north-4.myhuaweicloud.com",
            "http://10.0.0.1:9000",
            "http://localhost.example.com",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn a_target_is_remote_off_loopback_or_when_the_flag_or_the_profile_says_so() {
        let local = "http://127.0.0.1:9000";
        assert!(!is_remote(false, &profile(false), local));
        assert!(is_remote(true, &profile(false), local), "--remote makes a tunnel a region");
        assert!(is_remote(false, &profile(true), local), "the profile can say it");
        assert!(is_remote(false, &profile(false), "https://sdrs.example.com"));
    }

    #[test]
    fn remote_concurrency_does_not_follow_the_cores() {
        assert_eq!(default_jobs(true), REMOTE_JOBS);
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        assert_eq!(default_jobs(false), cores);
    }

    #[test]
    fn a_remote_endpoint_gets_sharing_real_polling_deadlines_and_remote_concurrency() {
        let mut c = RunConfig::embedded();
        c.for_endpoint(true, &profile(false));
        assert!(c.remote && c.share_fixtures && c.retry.max_retries > 0);
        assert_eq!((c.poll_interval, c.job_timeout, c.jobs), (REMOTE_POLL_INTERVAL, REMOTE_JOB_DEADLINE, REMOTE_JOBS));
        assert_eq!(c.max_polls, None);
        let mut l = RunConfig::embedded();
        l.for_endpoint(false, &profile(false));
        assert!(!l.remote && !l.share_fixtures && l.retry.max_retries > 0);
        assert_eq!((l.poll_interval, l.jobs), (LOOPBACK_POLL_INTERVAL, RunConfig::embedded().jobs));
    }

    #[test]
    fn a_remote_run_starts_the_cases_that_run_alone_then_the_longest() {
        let specs = crate::spec::Specs::embedded();
        let mut cases = crate::cases::all(specs, Vec::new());
        cases.retain(|c| c.operation.contains("ProtectionGroup") && c.skip.is_none());
        let mut units = super::super::shared_setup::plan(&cases, true);
        let planned = units.len();
        order_units(&mut units, &cases);
        assert_eq!(units.len(), planned);
        let alone: Vec<bool> = units.iter().map(|u| u.iter().any(|&i| cases[i].exclusive)).collect();
        let first_shared = alone.iter().position(|a| !a).expect("cases that share");
        assert!(first_shared > 0, "some protection-group cases run alone");
        assert!(alone[first_shared..].iter().all(|a| !a), "every case that runs alone comes first");
        let steps: Vec<usize> = units[first_shared..].iter().map(|u| cases[u[0]].steps.len() + u.len()).collect();
        assert!(steps.windows(2).all(|w| w[0] >= w[1]), "then the longest first: {steps:?}");
    }

    #[test]
    fn the_profile_sets_the_poll_interval() {
        let mut c = RunConfig::embedded();
        c.for_endpoint(true, &Profile { poll_interval_ms: Some(250), ..profile(true) });
        assert_eq!(c.poll_interval, Duration::from_millis(250));
    }
}
