//! The checks: each an independent, named, pure function of what it judges, returning a
//! [`CheckResult`]. No I/O, no printing, no panics; every violation is reported, not just the first.
//!
//! The names are stable: the same string appears in the registry, the reports, the JUnit
//! classnames and the snapshot names.

mod auth_required;
mod cascade;
mod content_type;
mod error_body;
mod job_protocol;
mod negative_rejection;
mod pagination;
mod precondition;
mod refusal;
pub mod registry;
mod resource_lifecycle;
mod response_schema;
mod round_trip;
mod snapshot;
mod state_transition;
mod status_code;

pub use auth_required::auth_required;
pub use cascade::{cascade, Member};
pub use content_type::content_type;
pub use error_body::error_body;
pub use job_protocol::{
    job_protocol, judge_expected_end, ExpectedEnd, FollowUp, JobEvidence, JobWatch, PollEnd, Verdict,
};
pub use negative_rejection::{negative_rejection, ExpectedRejection};
pub use pagination::{pagination, Page, PaginationEvidence};
pub use precondition::{precondition, ExpectedRefusal};
pub use registry::{Answer, Evidence, Expectation, FieldSeen};
pub use resource_lifecycle::{judge_expected_fields, resource_lifecycle, LifecycleEvidence};
pub use response_schema::response_schema;
pub use round_trip::{gone_from_lists, read_back, Listing, ReadBackEvidence};
pub use snapshot::{shape_of, snapshot, SnapshotMode};
pub use state_transition::{judge_expected_state, state_transition};
pub use status_code::status_code;

use std::fmt;

/// Every check kind, by its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The status is the expected one and documented for the operation.
    StatusCode,
    /// JSON bodies are labelled and parse as JSON.
    ContentType,
    /// The body fits the operation's documented schema.
    ResponseSchema,
    /// Error bodies have a documented shape, a known code and the code's HTTP status.
    ErrorBody,
    /// Asynchronous operations return a job that behaves as documented.
    JobProtocol,
    /// Every observed status sequence is allowed by the state machine.
    StateTransition,
    /// An action from a state that forbids it is refused with the documented error.
    Precondition,
    /// Invalid input is refused with 400 and the documented code.
    NegativeRejection,
    /// Missing or bad credentials give 401.
    AuthRequired,
    /// What was created is shown and listed; what was deleted is gone.
    ResourceLifecycle,
    /// `limit`, `offset` and `count` behave.
    Pagination,
    /// Payloads match their recorded snapshots.
    Snapshot,
}

impl CheckName {
    /// All checks, in report order.
    pub const ALL: [CheckName; 12] = [
        CheckName::StatusCode,
        CheckName::ContentType,
        CheckName::ResponseSchema,
        CheckName::ErrorBody,
        CheckName::JobProtocol,
        CheckName::StateTransition,
        CheckName::Precondition,
        CheckName::NegativeRejection,
        CheckName::AuthRequired,
        CheckName::ResourceLifecycle,
        CheckName::Pagination,
        CheckName::Snapshot,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::StatusCode => "status_code",
            CheckName::ContentType => "content_type",
            CheckName::ResponseSchema => "response_schema",
            CheckName::ErrorBody => "error_body",
            CheckName::JobProtocol => "job_protocol",
            CheckName::StateTransition => "state_transition",
            CheckName::Precondition => "precondition",
            CheckName::NegativeRejection => "negative_rejection",
            CheckName::AuthRequired => "auth_required",
            CheckName::ResourceLifecycle => "resource_lifecycle",
            CheckName::Pagination => "pagination",
            CheckName::Snapshot => "snapshot",
        }
    }

    /// The check with this name.
    pub fn parse(name: &str) -> Option<CheckName> {
        CheckName::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Nothing wrong.
    Passed,
    /// Wrong only where the documents disagree (fails under `--strict`).
    Warned,
    /// The target is wrong.
    Failed,
    /// The check could not apply (the reason is in the message).
    Skipped,
}

impl CheckOutcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Passed => "passed",
            CheckOutcome::Warned => "warned",
            CheckOutcome::Failed => "failed",
            CheckOutcome::Skipped => "skipped",
        }
    }
}

/// Where a rule that a check enforces comes from.
///
/// A documented rule fails a target that breaks it; an inferred one (a gap of the reference
/// filled, a contradiction settled, an INC dispute) warns, and fails only under `--strict`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// The reference states the rule.
    Documented {
        /// The seed section, table or line that states it (`001 §5.4.3`, `001 A.1 SDRS.1013`).
        source: String,
    },
    /// Our reading where the reference is silent or contradicts itself.
    Inferred {
        /// Why it is only a reading.
        reason: String,
        /// The INC entries of `SEED-CONTRADICTIONS.md` behind it, if any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        disagreements: Vec<String>,
    },
}

impl Provenance {
    /// A documented rule.
    pub fn documented(source: impl Into<String>) -> Provenance {
        Provenance::Documented { source: source.into() }
    }

    /// An inferred rule with its reason.
    pub fn inferred(reason: impl Into<String>) -> Provenance {
        Provenance::Inferred { reason: reason.into(), disagreements: Vec::new() }
    }

    /// Whether the rule is only our reading.
    pub fn is_inferred(&self) -> bool {
        matches!(self, Provenance::Inferred { .. })
    }

    /// The INC entries behind an inferred rule (none for a documented one).
    pub fn disagreements(&self) -> &[String] {
        match self {
            Provenance::Documented { .. } => &[],
            Provenance::Inferred { disagreements, .. } => disagreements,
        }
    }
}

/// One violation, with what was expected and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// One-line title.
    pub title: String,
    /// What the contract says.
    pub expected: String,
    /// What the target did.
    pub actual: String,
    /// Where in the specs the rule is (`specs/errors.yaml SDRS.1013`, a schema pointer...).
    pub spec: Option<String>,
    /// The JSON pointer of the offending value in the answer, when one value is at fault.
    pub pointer: Option<String>,
    /// Where the rule comes from; an inferred rule turns the failure into a warning.
    pub provenance: Provenance,
}

impl Failure {
    /// A failure of a documented rule whose source the check fills in (see [`CheckResult::from_failures`]).
    pub fn new(title: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Failure {
        Failure {
            title: title.into(),
            expected: expected.into(),
            actual: actual.into(),
            spec: None,
            pointer: None,
            provenance: Provenance::documented(""),
        }
    }

    /// Names the offending value's JSON pointer in the answer.
    pub fn pointer(mut self, pointer: impl Into<String>) -> Failure {
        self.pointer = Some(pointer.into());
        self
    }

    /// Adds the spec reference.
    pub fn at(mut self, spec: impl Into<String>) -> Failure {
        self.spec = Some(spec.into());
        self
    }

    /// Names the seed section, table or line that states the rule, unless the rule is inferred.
    pub fn source(mut self, source: impl Into<String>) -> Failure {
        if let Provenance::Documented { source: s } = &mut self.provenance {
            *s = source.into();
        }
        self
    }

    /// Marks the rule as our reading, for `reason`.
    pub fn inferred(mut self, reason: impl Into<String>) -> Failure {
        let reason = reason.into();
        match &mut self.provenance {
            Provenance::Inferred { reason: r, .. } => {
                if !r.contains(&reason) {
                    r.push_str("; ");
                    r.push_str(&reason);
                }
            }
            documented => *documented = Provenance::inferred(reason),
        }
        self
    }

    /// Marks the reading as disputed by these INC entries (none: unchanged).
    pub fn disputed(mut self, disagreements: &[String]) -> Failure {
        if disagreements.is_empty() {
            return self;
        }
        if !self.provenance.is_inferred() {
            let silent = disagreements.iter().all(|id| crate::spec::is_gap_id(id));
            self = self.inferred(if silent {
                "a reading of ours where the reference is silent"
            } else {
                "a reading of ours where the seeds contradict each other"
            });
        }
        if let Provenance::Inferred { disagreements: d, .. } = &mut self.provenance {
            for inc in disagreements {
                if !d.contains(inc) {
                    d.push(inc.clone());
                }
            }
        }
        self
    }

    /// The INC entries behind the rule.
    pub fn disagreements(&self) -> &[String] {
        self.provenance.disagreements()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  expected: {}\n  actual:   {}", self.title, self.expected, self.actual)?;
        if let Some(spec) = &self.spec {
            write!(f, "\n  spec:     {spec}")?;
        }
        match &self.provenance {
            Provenance::Documented { source } if !source.is_empty() => write!(f, "\n  stated:   {source}")?,
            Provenance::Documented { .. } => {}
            Provenance::Inferred { reason, disagreements } => {
                write!(f, "\n  inferred: {reason}")?;
                if !disagreements.is_empty() {
                    write!(f, "\n  disputed: {}", disagreements.join(", "))?;
                }
            }
        }
        Ok(())
    }
}

/// The verdict of one check on one piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// Which check.
    pub check: CheckName,
    /// Passed, warned, failed or skipped.
    pub outcome: CheckOutcome,
    /// The violations (empty when passed or skipped).
    pub failures: Vec<Failure>,
    /// Skip reason, or a short summary.
    pub message: String,
}

impl CheckResult {
    /// A pass.
    pub fn passed(check: CheckName) -> CheckResult {
        CheckResult { check, outcome: CheckOutcome::Passed, failures: Vec::new(), message: String::new() }
    }

    /// A skip with its reason.
    pub fn skipped(check: CheckName, reason: impl Into<String>) -> CheckResult {
        CheckResult { check, outcome: CheckOutcome::Skipped, failures: Vec::new(), message: reason.into() }
    }

    /// Passed when `failures` is empty; warned when every failure breaks an inferred rule and not
    /// `strict`; else failed. A documented failure without a source gets the check's default one.
    pub fn from_failures(check: CheckName, mut failures: Vec<Failure>, strict: bool) -> CheckResult {
        for f in &mut failures {
            if let Provenance::Documented { source } = &mut f.provenance {
                if source.is_empty() {
                    *source = default_source(check).to_owned();
                }
            }
        }
        let outcome = if failures.is_empty() {
            CheckOutcome::Passed
        } else if !strict && failures.iter().all(|f| f.provenance.is_inferred()) {
            CheckOutcome::Warned
        } else {
            CheckOutcome::Failed
        };
        let message = failures.first().map(|f| f.title.clone()).unwrap_or_default();
        CheckResult { check, outcome, failures, message }
    }

    /// The same verdict with every failure that names no disagreement of its own disputed by
    /// `disputed` (a case's expectation the seeds contradict): those failures then only warn.
    pub fn disputed_by(self, disputed: &[String], strict: bool) -> CheckResult {
        if self.outcome != CheckOutcome::Failed || disputed.is_empty() {
            return self;
        }
        let failures = self
            .failures
            .into_iter()
            .map(|f| if f.disagreements().is_empty() { f.disputed(disputed) } else { f })
            .collect();
        CheckResult::from_failures(self.check, failures, strict)
    }

    /// The full text of every failure.
    pub fn details(&self) -> String {
        self.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    }
}

/// What every check may read besides its evidence.
#[derive(Clone, Copy)]
pub struct CheckContext<'a> {
    /// The loaded specs.
    pub specs: &'a crate::spec::Specs,
    /// Compiled schemas of every document.
    pub schemas: &'a crate::spec::SchemaSet,
    /// Whether disputed readings fail instead of warn.
    pub strict: bool,
}

/// What a check proves, in one line (its row of the [`registry`]).
pub fn describe(check: CheckName) -> &'static str {
    registry::entry(check).description
}

/// Where the reference states what a check enforces, for failures whose check names no closer
/// source (a section of the operation's own page, a row of A.1).
pub fn default_source(check: CheckName) -> &'static str {
    registry::entry(check).source
}

// ---------------------------------------------------------------- shared helpers of the checks

/// Longest excerpt of a body or value quoted in a failure.
const EXCERPT_CHARS: usize = 200;

/// `text` on one line, cut to at most `max` characters (the cut marked by `...`).
fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let keep = max.saturating_sub(3);
    let mut out: String = one_line.chars().take(keep).collect();
    out.push_str("...");
    out
}

/// A response body for messages: `(empty body)` or its first characters.
fn body_excerpt(resp: &crate::exchange::ResponseRecord) -> String {
    if resp.body.is_empty() {
        "(empty body)".to_owned()
    } else {
        excerpt(&resp.body_text(), EXCERPT_CHARS)
    }
}

/// `status N: <body excerpt>`, the `actual` line of every wrong-status failure.
fn status_excerpt(resp: &crate::exchange::ResponseRecord) -> String {
    format!("status {}: {}", resp.status, body_excerpt(resp))
}

/// A JSON value for messages, cut to a short excerpt.
fn value_excerpt(value: &serde_json::Value) -> String {
    excerpt(&value.to_string(), EXCERPT_CHARS)
}

/// The error code of an error body, flat (`{"error_code": ...}`) or wrapped (`{"<type>": {"code": ...}}`);
/// lenient about the shape, which `error_body` judges.
fn error_code_of(body: &serde_json::Value) -> Option<&str> {
    let obj = body.as_object()?;
    if let Some(code) = obj.get("error_code").and_then(serde_json::Value::as_str) {
        return Some(code);
    }
    // Wrapped: the single key's object; leniently, any top-level object carrying a string code.
    obj.values().find_map(|v| v.as_object()?.get("code")?.as_str())
}

/// `a, b, c`, or `(none)` for an empty list.
fn list<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }
}

/// A pointer for titles: the empty pointer (the whole document) reads `(root)`.
fn show_pointer(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// Where the error table lives, for spec references.
const ERRORS_SPEC: &str = "specs/errors.yaml";

/// Where the state machines live, for spec references.
const STATES_SPEC: &str = "specs/states.yaml";

/// Fixtures shared by the unit tests of the checks: real specs, fake exchanges.
#[cfg(test)]
mod test_support {
    use super::CheckContext;
    use crate::exchange::{Exchange, RequestRecord, ResponseRecord, TransportError, TransportErrorKind};
    use crate::spec::{Operation, SchemaSet, Specs};
    use std::sync::OnceLock;
    use std::time::Duration;

    /// A context over the embedded specs.
    pub(super) fn ctx() -> CheckContext<'static> {
        static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
        let specs = Specs::embedded();
        CheckContext { specs, schemas: SCHEMAS.get_or_init(|| SchemaSet::new(specs)), strict: false }
    }

    /// The same context with `--strict`.
    pub(super) fn strict() -> CheckContext<'static> {
        CheckContext { strict: true, ..ctx() }
    }

    /// An operation of the embedded specs.
    pub(super) fn op(id: &str) -> &'static Operation {
        Specs::embedded().operation(id).unwrap_or_else(|| panic!("no operation {id}"))
    }

    /// The display of every failure, spec line numbers replaced so that snapshots survive spec edits.
    pub(super) fn display(result: &super::CheckResult) -> String {
        let lines = regex::Regex::new(r"\.yaml:\d+").expect("static regex");
        let text = format!("{}: {}\n{}", result.outcome.as_str(), result.message, result.details());
        lines.replace_all(&text, ".yaml:<line>").into_owned()
    }

    /// An exchange that got no answer.
    pub(super) fn no_response(operation: &str) -> Exchange {
        Exchange {
            operation: operation.to_owned(),
            request: RequestRecord { method: "GET".into(), path: "/v1/p/x".into(), ..RequestRecord::default() },
            response: Err(TransportError { kind: TransportErrorKind::Timeout, message: "no answer within 30s".into() }),
            elapsed: Duration::from_secs(30),
        }
    }

    /// An exchange with exactly these response headers and body bytes.
    pub(super) fn raw(operation: &str, status: u16, content_type: Option<&str>, body: &[u8]) -> Exchange {
        let headers = content_type.map(|c| vec![("Content-Type".to_owned(), c.to_owned())]).unwrap_or_default();
        Exchange {
            operation: operation.to_owned(),
            request: RequestRecord { method: "GET".into(), path: "/v1/p/x".into(), ..RequestRecord::default() },
            response: Ok(ResponseRecord::new(status, headers, body.to_vec())),
            elapsed: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_a_one_line_description() {
        for check in CheckName::ALL {
            let text = describe(check);
            assert!(!text.is_empty() && !text.contains('\n'), "{check}");
        }
    }

    #[test]
    fn excerpts_are_cut_on_character_boundaries() {
        let text = "保护组".repeat(100);
        let cut = excerpt(&text, EXCERPT_CHARS);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS);
        assert!(cut.ends_with("..."));
        assert_eq!(excerpt("a\nb", 10), "a b");
    }

    #[test]
    fn error_codes_are_read_from_both_envelopes() {
        let flat = serde_json::json!({"error_code": "SDRS.0001", "error_msg": "m"});
        let wrapped = serde_json::json!({"itemNotFound": {"code": "SDRS.1013", "message": "m"}});
        assert_eq!(error_code_of(&flat), Some("SDRS.0001"));
        assert_eq!(error_code_of(&wrapped), Some("SDRS.1013"));
        assert_eq!(error_code_of(&serde_json::json!([1])), None);
    }
}

/// The items array of a list answer, or a failure saying why there is none to look at.
fn list_items<'e>(
    resp: &'e crate::exchange::ResponseRecord,
    what: &str,
    pointer: &str,
    spec: &str,
    failures: &mut Vec<Failure>,
) -> Option<&'e Vec<serde_json::Value>> {
    if resp.status != 200 {
        failures.push(
            Failure::new(format!("{what} answered {}", resp.status), "status 200 with the items", status_excerpt(resp))
                .at(spec),
        );
        return None;
    }
    match resp.json.as_ref().and_then(|j| j.pointer(pointer)) {
        Some(serde_json::Value::Array(items)) => Some(items),
        other => {
            failures.push(
                Failure::new(
                    format!("{what} has no items array at {}", show_pointer(pointer)),
                    format!("an array at {}", show_pointer(pointer)),
                    other.map(value_excerpt).unwrap_or_else(|| body_excerpt(resp)),
                )
                .at(spec),
            );
            None
        }
    }
}
