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
    /// What the `curl` line needs to trust the target as the run did (`--cacert`, `-k`).
    curl_tls: String,
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
        for ca in &t.ca_certs {
            push("--ca-cert", Some(ca.display().to_string()));
        }
        if t.insecure {
            o.push("--insecure".into());
        }
        if args.strict {
            o.push("--strict".into());
        }
        if args.share_fixtures {
            o.push("--share-fixtures".into());
        }
        let files: Vec<String> = t.ca_certs.iter().map(|p| shell_word(&p.display().to_string())).collect();
        let mut curl_tls = match files.as_slice() {
            [] => String::new(),
            [one] => format!(" --cacert {one}"),
            // curl takes one CA file: a bash process substitution joins them.
            many => format!(" --cacert <(cat {})", many.join(" ")),
        };
        if t.insecure {
            curl_tls.push_str(" -k");
        }
        Reproducer { options: o, curl: token_endpoint, curl_tls }
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
        let curl = request.filter(|_| self.curl).map(|r| format!("{}{}", curl_line(r), self.curl_tls));
        Some(Reproduce { command: words.join(" "), curl })
    }

    /// Sets the reproduction of every failing case of a report.
    pub(super) fn apply(&self, cases: &mut [CaseReport]) {
        for c in cases {
            c.reproduce = self.of(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::case;
    use crate::report::{ExchangeReport, RequestReport};
    use clap::Parser;

    fn reproducer(argv: &[&str]) -> Reproducer {
        match super::super::Cli::try_parse_from(argv).expect("parses").command {
            super::super::args::Command::Run(args) => Reproducer::new(&args, true),
            other => panic!("{other:?}"),
        }
    }

    fn failed() -> CaseReport {
        let mut c = case("a/b", "f", "op", CaseOutcome::Error, vec![]);
        c.evidence.push(ExchangeReport {
            step: String::new(),
            operation: "op".into(),
            started: String::new(),
            elapsed_ms: 0,
            request: RequestReport {
                method: "GET".into(),
                url: "https://x:8443/v1/p".into(),
                headers: vec![],
                body: None,
            },
            response: None,
            error: Some("TLS".into()),
        });
        c
    }

    #[test]
    fn the_trust_of_the_run_is_repeated_in_the_run_and_curl_lines() {
        let r = reproducer(&[
            "sdrs-conformance",
            "run",
            "--endpoint",
            "https://x:8443",
            "--ca-cert",
            "certs/ca.pem",
            "--insecure",
        ]);
        let got = r.of(&failed()).expect("a reproduction");
        assert!(
            got.command.ends_with("--endpoint https://x:8443 --ca-cert certs/ca.pem --insecure"),
            "{}",
            got.command
        );
        assert!(got.curl.as_deref().is_some_and(|c| c.ends_with(" --cacert certs/ca.pem -k")), "{:?}", got.curl);
    }

    #[test]
    fn a_verified_run_adds_nothing_to_curl() {
        let r = reproducer(&["sdrs-conformance", "run", "--endpoint", "https://x:8443"]);
        let got = r.of(&failed()).expect("a reproduction");
        assert!(!got.command.contains("--insecure") && !got.command.contains("--ca-cert"), "{}", got.command);
        assert!(got.curl.as_deref().is_some_and(|c| !c.contains("--cacert") && !c.ends_with(" -k")), "{:?}", got.curl);
    }
}
