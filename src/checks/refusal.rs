//! The rule `precondition` and `negative_rejection` share: an answer that must refuse with one
//! status and one of some error codes. Each check words the failures its own way.

use super::{error_code_of, list, status_excerpt, Failure};
use crate::exchange::ResponseRecord;

/// How a refusal check titles each way an answer can miss the refusal.
pub(super) trait RefusalWording {
    /// The request was accepted.
    fn accepted(&self) -> String;
    /// Refused, with another status than `wanted`.
    fn wrong_status(&self, got: u16, wanted: u16) -> String;
    /// Refused with an error code not among the accepted ones.
    fn wrong_code(&self, code: &str) -> String;
    /// Refused without an error code.
    fn no_code(&self) -> String;
}

/// The failures of `resp` against a refusal with `status` and one of `codes` (empty: any code),
/// each marked disputed by `disagreements`; a wrong or missing code is also disputed by
/// `code_disagreements` (a documented refusal whose code is our reading).
pub(super) fn refusal_failures(
    resp: &ResponseRecord,
    status: u16,
    codes: &[String],
    (disagreements, code_disagreements): (&[String], &[String]),
    spec: &str,
    wording: &impl RefusalWording,
) -> Vec<Failure> {
    let wanted =
        if codes.is_empty() { format!("status {status}") } else { format!("status {status} with {}", list(codes)) };
    let mut failures = Vec::new();
    if resp.is_success() {
        failures.push(Failure::new(wording.accepted(), wanted, status_excerpt(resp)).at(spec));
    } else {
        if resp.status != status {
            failures
                .push(Failure::new(wording.wrong_status(resp.status, status), wanted, status_excerpt(resp)).at(spec));
        }
        if !codes.is_empty() {
            match resp.json.as_ref().and_then(error_code_of) {
                Some(code) if codes.iter().any(|c| c == code) => {}
                Some(code) => failures.push(
                    Failure::new(
                        wording.wrong_code(code),
                        format!("one of {}", list(codes)),
                        format!("{code} with status {}", resp.status),
                    )
                    .at(spec)
                    .disputed(code_disagreements),
                ),
                None => failures.push(
                    Failure::new(wording.no_code(), format!("one of {}", list(codes)), status_excerpt(resp))
                        .at(spec)
                        .disputed(code_disagreements),
                ),
            }
        }
    }
    failures.into_iter().map(|f| f.disputed(disagreements)).collect()
}
