//! The check registry: one table of every check, by its stable name, with what it proves, where
//! the reference states it, and the function that judges [`Evidence`].
//!
//! The runner dispatches through [`judge`] (a job it polls too: the `JobWatch` judges each poll
//! as it comes so that polling can stop early, and gives its final verdict as
//! [`Evidence::Watched`]), `check-traffic` and the proxy through [`verdict`]; the reports take
//! their column order from [`REGISTRY`], the command line lists and selects checks by
//! [`parse_names`], and the fault tests cross-check the emulator's target names against it.
//! Adding a check is one file and one row.

use super::{
    auth_required, content_type, error_body, job_protocol, negative_rejection, pagination, precondition,
    resource_lifecycle, response_schema, snapshot, state_transition, status_code,
};
use super::{
    CheckContext, CheckName, CheckResult, ExpectedRefusal, ExpectedRejection, JobEvidence, LifecycleEvidence, Listing,
    Member, PaginationEvidence, ReadBackEvidence, SnapshotMode, WatchedJob,
};
use crate::exchange::Exchange;
use crate::spec::{Action, Operation};
use serde_json::Value;

/// What the runner collected for the checks: one piece of evidence, judged by every check it
/// concerns.
pub enum Evidence<'a> {
    /// One answer to a case's request, with what the case expects of it.
    Answer(Answer<'a>),
    /// An asynchronous write and the polls of its job (`job_protocol`).
    Job(&'a JobEvidence<'a>),
    /// A job polled live under a `JobWatch`, once polling ended (`job_protocol`).
    Watched(&'a WatchedJob<'a>),
    /// Every status observed of one resource, in order (`state_transition`).
    Statuses {
        /// Kind of the resource.
        kind: &'a str,
        /// Its id.
        id: &'a str,
        /// The statuses, in the order they were seen.
        observed: &'a [String],
    },
    /// The members of a group before and after an action with a cascade (`state_transition`).
    Cascade {
        /// The group's action.
        action: &'a Action,
        /// The group.
        group_id: &'a str,
        /// Its members, read before and after.
        members: &'a [Member],
        /// Whether the job ended SUCCESS (otherwise FAIL).
        succeeded: bool,
    },
    /// The state a scenario expects an answer to show (`state_transition`).
    ExpectedState {
        /// The state the scenario names.
        expected: &'a str,
        /// The status the answer shows, if any.
        actual: Option<&'a str>,
    },
    /// Show and list after a creation or deletion (`resource_lifecycle`).
    Lifecycle(&'a LifecycleEvidence<'a>),
    /// A written resource read back through show and lists (`resource_lifecycle`).
    ReadBack(&'a ReadBackEvidence<'a>),
    /// The lists filtered by a deleted resource's former name and group (`resource_lifecycle`).
    GoneFromLists {
        /// Kind of the resource.
        kind: &'a str,
        /// Its id.
        id: &'a str,
        /// The filtered lists.
        lists: &'a [Listing<'a>],
        /// Where a list answer holds its items.
        items_pointer: &'a str,
    },
    /// The fields a scenario expects an answer to show (`resource_lifecycle`).
    ExpectedFields(&'a [FieldSeen]),
    /// A list read whole and page by page (`pagination`).
    Pages(&'a PaginationEvidence<'a>),
    /// A redacted payload and its recorded snapshot (`snapshot`).
    Snapshot {
        /// The snapshot's name.
        name: &'a str,
        /// Exact, or keys and types only.
        mode: SnapshotMode,
        /// The payload, redacted.
        actual: &'a Value,
        /// The recorded snapshot, if there is one.
        stored: Option<&'a Value>,
    },
}

/// One answer and what the case expects of it: the evidence of the per-answer checks.
pub struct Answer<'a> {
    /// The operation called.
    pub op: &'a Operation,
    /// The request and its answer.
    pub exchange: &'a Exchange,
    /// The statuses the case accepts.
    pub statuses: &'a [u16],
    /// Which check gives the case's verdict, with what it needs.
    pub expect: Expectation<'a>,
    /// INC or GAP entries disputing what the case expects (its verdict then warns).
    pub disputed: &'a [String],
}

/// The check that gives a request its verdict, with its expectation.
#[derive(Clone, Copy)]
pub enum Expectation<'a> {
    /// `status_code`: the status is one of the accepted ones; an error carries one of `codes`.
    Status {
        /// Error codes the case expects (none: any documented one).
        codes: &'a [String],
    },
    /// `negative_rejection`: invalid input refused.
    Rejection(&'a ExpectedRejection),
    /// `precondition`: an action refused from a state that forbids it.
    Refusal(&'a ExpectedRefusal),
    /// `auth_required`: missing or bad credentials refused with 401.
    Credentials(&'a str),
}

/// A field a scenario expects, with what the answer holds there.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSeen {
    /// JSON pointer into the answer.
    pub pointer: String,
    /// The value the scenario expects.
    pub expected: Value,
    /// The value the answer holds (null when absent).
    pub actual: Value,
}

impl Evidence<'_> {
    /// The check the evidence was gathered for, whose verdict comes first.
    pub fn primary(&self) -> Option<CheckName> {
        match self {
            Evidence::Answer(a) => Some(match a.expect {
                Expectation::Status { .. } => CheckName::StatusCode,
                Expectation::Rejection(_) => CheckName::NegativeRejection,
                Expectation::Refusal(_) => CheckName::Precondition,
                Expectation::Credentials(_) => CheckName::AuthRequired,
            }),
            _ => None,
        }
    }
}

/// How a check judges: `None` when the evidence is not of a kind it judges.
pub type JudgeFn = fn(&CheckContext, &Evidence) -> Option<CheckResult>;

/// One row of the registry.
pub struct Entry {
    /// The stable name.
    pub name: CheckName,
    /// What the check proves, in one line.
    pub description: &'static str,
    /// Where the reference states what it enforces, for failures that name no closer source.
    pub source: &'static str,
    /// The function that judges.
    pub judge: JudgeFn,
}

/// Every check, in report order.
pub static REGISTRY: [Entry; 12] = [
    Entry {
        name: CheckName::StatusCode,
        description: "the response status is the one the case expects and is documented for the operation",
        source: "001: the status-code table (状态码) of the operation's page",
        judge: status_code::judge,
    },
    Entry {
        name: CheckName::ContentType,
        description: "non-empty bodies are labelled application/json and parse as JSON; 204 and JSON-bodied statuses have the right body",
        source: "001 §3.3 (响应消息体 in the format of Content-Type), §3.1 (application/json)",
        judge: content_type::judge,
    },
    Entry {
        name: CheckName::ResponseSchema,
        description: "the response body validates against the schema documented for its status",
        source: "001: the response-parameter table of the operation's page",
        judge: response_schema::judge,
    },
    Entry {
        name: CheckName::ErrorBody,
        description: "error bodies have a documented envelope and a code from A.1 whose table status is the HTTP status",
        source: "001 §3.3 (错误响应 body) and appendix A.1 (错误码)",
        judge: error_body::judge,
    },
    Entry {
        name: CheckName::JobProtocol,
        description: "an asynchronous write returns a job_id whose job moves through the job state machine to SUCCESS or FAIL in time, with fitting job_type, times, error fields and entities",
        source: "001 §5.1.1 (查询job状态) and §2 (异步API 返回 job_id)",
        judge: job_protocol::judge,
    },
    Entry {
        name: CheckName::StateTransition,
        description: "every observed sequence of resource statuses is allowed by the resource's state machine",
        source: "001 appendix A.2-A.5 (status tables) and the actions' pages",
        judge: state_transition::judge,
    },
    Entry {
        name: CheckName::Precondition,
        description: "an action from a state that forbids it is refused with the documented status and code",
        source: "001: the constraints (约束与限制) of the action's page and A.1",
        judge: precondition::judge,
    },
    Entry {
        name: CheckName::NegativeRejection,
        description: "invalid input is refused with the documented status and code",
        source: "001: the request-parameter table of the operation's page and A.1",
        judge: negative_rejection::judge,
    },
    Entry {
        name: CheckName::AuthRequired,
        description: "a request with missing or bad credentials is refused with 401",
        source: "001 §3.2 (认证鉴权) and the 401 row of every status-code table",
        judge: auth_required::judge,
    },
    Entry {
        name: CheckName::ResourceLifecycle,
        description: "a created resource is shown and listed; a deleted one is gone from show and list",
        source: "001: the create, query and delete pages of the resource",
        judge: resource_lifecycle::judge,
    },
    Entry {
        name: CheckName::Pagination,
        description: "limit and offset select the right slice of the full list, and count is the total matching the filter",
        source: "001: limit, offset and count of the list page's tables",
        judge: pagination::judge,
    },
    Entry {
        name: CheckName::Snapshot,
        description: "the payload matches its recorded snapshot, exactly or in shape",
        source: "the payload recorded from the reference emulator",
        judge: snapshot::judge,
    },
];

/// The registry's row of `check`.
pub fn entry(check: CheckName) -> &'static Entry {
    // REGISTRY follows CheckName::ALL, which the unit tests hold it to.
    &REGISTRY[check as usize]
}

/// Every verdict on `evidence`: the check it was gathered for first, then the others that judge
/// it, in registry order.
pub fn judge(ctx: &CheckContext, evidence: &Evidence) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = REGISTRY.iter().filter_map(|e| (e.judge)(ctx, evidence)).collect();
    if let Some(primary) = evidence.primary() {
        results.sort_by_key(|r| r.check != primary);
    }
    results
}

/// The verdict of `check` alone on `evidence`, through its row: `None` when the check does not
/// judge evidence of this kind (as `error_body` passes over an answer that is not an error).
pub fn verdict(ctx: &CheckContext, check: CheckName, evidence: &Evidence) -> Option<CheckResult> {
    (entry(check).judge)(ctx, evidence)
}

/// The checks named in `list` (comma-separated, repeatable), or what is wrong with a name: the
/// error names the unknown one and the closest registered names.
pub fn parse_names<S: AsRef<str>>(list: &[S]) -> Result<Vec<CheckName>, UnknownCheck> {
    let mut out = Vec::new();
    for name in list.iter().flat_map(|s| s.as_ref().split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        match CheckName::parse(name) {
            Some(check) if !out.contains(&check) => out.push(check),
            Some(_) => {}
            None => return Err(UnknownCheck::of(name)),
        }
    }
    Ok(out)
}

/// A `--checks` name that names no registered check, with the closest registered names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownCheck {
    /// The name as given.
    pub name: String,
    /// Up to three registered names close to it, closest first.
    pub closest: Vec<&'static str>,
}

impl UnknownCheck {
    fn of(name: &str) -> UnknownCheck {
        let wanted = name.to_ascii_lowercase().replace('-', "_");
        let mut scored: Vec<(usize, &'static str)> = REGISTRY
            .iter()
            .map(|e| (crate::edit_distance::distance(&wanted, e.name.as_str()), e.name.as_str()))
            .filter(|(d, n)| *d <= (n.len() / 3).max(2))
            .collect();
        scored.sort();
        UnknownCheck { name: name.to_owned(), closest: scored.iter().take(3).map(|(_, n)| *n).collect() }
    }
}

/// `no check named …`, with the closest registered names.
impl std::fmt::Display for UnknownCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no check named {:?}", self.name)?;
        if !self.closest.is_empty() {
            write!(f, " (did you mean {}?)", self.closest.join(", "))?;
        }
        f.write_str("; `sdrs-conformance list --checks` shows every check")
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
