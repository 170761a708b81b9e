//! Secrets out of a whole report, before it is written anywhere.

use super::RunReport;
use crate::redact::Scrubber;

/// [`crate::redact::scrub_secrets`] over every text of a report, before it is written anywhere.
pub fn scrub_report(report: &mut RunReport, secrets: &[&str]) {
    let scrubber = Scrubber::new(secrets);
    let scrub = |s: &mut String| *s = scrubber.scrub(s);
    let t = &mut report.target;
    for s in [&mut t.kind, &mut t.endpoint, &mut t.project_id, &mut t.auth, &mut t.mode, &mut t.run_id] {
        scrub(s);
    }
    t.region.iter_mut().chain(t.profile.iter_mut()).for_each(scrub);
    for case in &mut report.cases {
        scrub(&mut case.id);
        case.reason.iter_mut().chain(case.baseline.iter_mut()).for_each(scrub);
        for check in &mut case.checks {
            scrub(&mut check.message);
            scrub(&mut check.step);
            for finding in &mut check.findings {
                for s in [&mut finding.title, &mut finding.expected, &mut finding.actual] {
                    scrub(s);
                }
                finding.spec.iter_mut().chain(finding.pointer.iter_mut()).for_each(scrub);
            }
        }
        for ex in &mut case.evidence {
            ex.texts_mut().into_iter().for_each(scrub);
        }
        if let Some(r) = &mut case.reproduce {
            scrub(&mut r.command);
            r.curl.iter_mut().for_each(scrub);
        }
    }
}
