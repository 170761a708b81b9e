//! How to reproduce a failure: the `run` line that selects the case with every option that
//! shaped the run (credentials never: they come from the environment), and, against an endpoint
//! with token auth, the failing request as a `curl` line reading the token from `$HW_AUTH_TOKEN`.

use super::args::{ModeArg, RunArgs};
use crate::report::{curl_line, shell_word, CaseOutcome, CaseReport, Reproduce};

/// Builds the reproduction of each failing case of one run.
#[derive(Debug, Clone)]
pub(super) struct Reproducer {
    /// The options after `--filter <id>`.
    options: Vec<String>,
    /// Whether a `curl` line can reproduce a request: an endpoint that outlives the run, token auth.
    curl: bool,
}

impl Reproducer {
    /// The reproducer of a run with `args`; `token_endpoint` when it targets an endpoint with a token.
    pub(super) fn new(args: &RunArgs, token_endpoint: bool) -> Reproducer {
        let mut o: Vec<String> = Vec::new();
        let mut push = |flag: &str, value: Option<String>| {
            if let Some(v) = value {
                o.push(flag.to_owned());
                o.push(shell_word(&v));
            }
        };
        let t = &args.target;
        push("--profile", t.profile.clone());
        push("--endpoint", t.endpoint.clone());
        push("--project-id", t.project_id.clone());
        push("--region", t.region.clone());
        push("--cases", args.select.cases.as_ref().map(|p| p.display().to_string()));
        push("--snapshots", args.snapshots.as_ref().map(|p| p.display().to_string()));
        if args.select.mode == ModeArg::Readonly {
            push("--mode", Some("readonly".into()));
        }
        for f in &args.faults {
            push("--fault", Some(f.clone()));
        }
        for v in &args.variants {
            push("--variant", Some(v.clone()));
        }
        push("--checks", (!args.checks.is_empty()).then(|| args.checks.join(",")));
        push("--timeout", (args.timeout != 30).then(|| args.timeout.to_string()));
        push("--job-timeout", args.job_timeout.map(|j| j.to_string()));
        push("--ledger", args.ledger.as_ref().map(|p| p.display().to_string()));
        if args.strict {
            o.push("--strict".into());
        }
        if args.share_fixtures {
            o.push("--share-fixtures".into());
        }
        Reproducer { options: o, curl: token_endpoint }
    }

    /// The reproduction of `case`, when it failed or errored.
    pub(super) fn of(&self, case: &CaseReport) -> Option<Reproduce> {
        if !case.outcome.is_failure() {
            return None;
        }
        let mut words = vec!["sdrs-conformance".to_owned(), "run".into(), "--filter".into(), shell_word(&case.id)];
        words.extend(self.options.iter().cloned());
        let step = case.first_failed_check().map(|c| c.step.as_str());
        let request = match case.outcome {
            CaseOutcome::Error => case.evidence.last(),
            _ => case.evidence.iter().find(|e| step.is_none_or(|s| e.step == s)).or(case.evidence.first()),
        };
        let curl = request.filter(|_| self.curl).map(curl_line);
        Some(Reproduce { command: words.join(" "), curl })
    }

    /// Sets the reproduction of every failing case of a report.
    pub(super) fn apply(&self, cases: &mut [CaseReport]) {
        for c in cases {
            c.reproduce = self.of(c);
        }
    }
}
