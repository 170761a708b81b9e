//! The case model: a case is an ordered list of steps with expectations, the same for
//! generated cases and for the scenario files of `cases/` (which deserialize into it).

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What kind of property a case proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CaseKind {
    /// The documented happy path of one operation.
    Positive,
    /// Invalid input refused.
    Negative,
    /// Missing or bad credentials refused.
    Auth,
    /// Unknown path ids refused.
    NotFound,
    /// limit / offset / count.
    Pagination,
    /// An action from a state that forbids it refused.
    Precondition,
    /// A hand-written flow from `cases/`.
    #[default]
    Scenario,
}

impl CaseKind {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Positive => "positive",
            CaseKind::Negative => "negative",
            CaseKind::Auth => "auth",
            CaseKind::NotFound => "not-found",
            CaseKind::Pagination => "pagination",
            CaseKind::Precondition => "precondition",
            CaseKind::Scenario => "scenario",
        }
    }
}

/// Prerequisites a case takes exclusively for its duration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    /// Servers (bound to `${server.0}`, `${server.1}`...).
    #[serde(default)]
    pub servers: usize,
    /// Whether those servers must be SHUTOFF (resize, reverse).
    #[serde(default)]
    pub shutoff: bool,
    /// Volumes (`${volume.0}`...).
    #[serde(default)]
    pub volumes: usize,
    /// Drill VPCs (`${drill_vpc.0}`...).
    #[serde(default)]
    pub drill_vpcs: usize,
    /// Servers with a spare NIC, consumed (`${spare_server.0}`, `${spare_nic.0}`...).
    #[serde(default)]
    pub spare_nics: usize,
    /// Failing objects: `servers:<job_type>`, `volumes:<job_type>`, `vpcs:<job_type>`, `drill_vpcs:<job_type>`
    /// (bound to `${failing.servers.<job_type>}`...).
    #[serde(default)]
    pub failing: Vec<String>,
    /// Objects of the profile's `invalid` map that break a documented rule (`server_shared_disk`...),
    /// bound to `${invalid.<name>}`; a profile without one skips the case.
    #[serde(default)]
    pub invalid: Vec<String>,
}

impl Needs {
    /// Adds another case's needs to these.
    pub fn merge(&mut self, other: &Needs) {
        self.servers += other.servers;
        self.shutoff |= other.shutoff;
        self.volumes += other.volumes;
        self.drill_vpcs += other.drill_vpcs;
        self.spare_nics += other.spare_nics;
        self.add_failing(other);
    }

    /// Widens these needs to cover another case's too (cases that use the same resources).
    pub fn widen(&mut self, other: &Needs) {
        self.servers = self.servers.max(other.servers);
        self.shutoff |= other.shutoff;
        self.volumes = self.volumes.max(other.volumes);
        self.drill_vpcs = self.drill_vpcs.max(other.drill_vpcs);
        self.spare_nics = self.spare_nics.max(other.spare_nics);
        self.add_failing(other);
    }

    fn add_failing(&mut self, other: &Needs) {
        for f in &other.failing {
            if !self.failing.contains(f) {
                self.failing.push(f.clone());
            }
        }
        for i in &other.invalid {
            if !self.invalid.contains(i) {
                self.invalid.push(i.clone());
            }
        }
    }
}

pub use crate::exchange::Credentials;

/// Which named check judges the status and code of a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Judge {
    /// `status_code`: the status is one of the expected ones.
    #[default]
    StatusCode,
    /// `negative_rejection`: invalid input refused.
    NegativeRejection {
        /// What was made invalid.
        mutation: String,
    },
    /// `precondition`: an action refused from a state.
    Precondition {
        /// states.yaml action name.
        action: String,
        /// The state the resource was in.
        state: String,
    },
    /// `auth_required`: refused for credentials.
    AuthRequired,
}

/// Status expectation: one status or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum StatusSet {
    /// One status.
    One(u16),
    /// Any of these.
    Any(Vec<u16>),
}

impl StatusSet {
    /// The statuses as a list.
    pub fn to_vec(&self) -> Vec<u16> {
        match self {
            StatusSet::One(s) => vec![*s],
            StatusSet::Any(v) => v.clone(),
        }
    }
}

/// What a request's answer must be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Expected status(es); absent: the operation's documented success status.
    #[serde(default)]
    pub status: Option<StatusSet>,
    /// Accepted error codes (error answers).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Expected `status` field of the resource in the body.
    #[serde(default)]
    pub state: Option<String>,
    /// Expected values at JSON pointers of the body (templates allowed), judged by `resource_lifecycle`.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    /// Which check judges status and code.
    #[serde(default)]
    pub judge: Judge,
    /// INC entries that make this expectation disputed.
    #[serde(default)]
    pub disagreements: Vec<String>,
    /// Entries that make only the expected codes disputed (precondition: a wrong code warns).
    #[serde(default)]
    pub code_disagreements: Vec<String>,
}

/// What to do with the job of an asynchronous write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// Wait; the job must succeed.
    #[default]
    Success,
    /// Wait; the job must fail.
    Fail,
    /// Wait; either end is fine.
    Any,
    /// Do not wait: leave the resource in its transitional state (the runner finishes the job at teardown).
    NoWait,
}

/// Job handling of a request step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Expected end.
    #[serde(default)]
    pub outcome: JobOutcome,
    /// Variables to set from `entities`: `var: entity_key`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// The states.yaml action, when the operation has several (start vs re-protect).
    #[serde(default)]
    pub action: Option<String>,
    /// Deadline in seconds (default: the run's job deadline).
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// One HTTP request with its expectations.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    /// Step name shown in reports.
    #[serde(default)]
    pub name: String,
    /// Setup steps prepare; their failure makes the case an error, not a failure of the target.
    #[serde(default)]
    pub setup: bool,
    /// Operation id.
    pub operation: String,
    /// Another method than the operation's, to probe routing (405 cases).
    #[serde(default)]
    pub method_override: Option<String>,
    /// Path parameters (project_id is filled in).
    #[serde(default)]
    pub path: BTreeMap<String, Value>,
    /// Query parameters, in order.
    #[serde(default)]
    pub query: BTreeMap<String, Value>,
    /// JSON body template.
    #[serde(default)]
    pub body: Option<Value>,
    /// Raw body text, sent as is (malformed-JSON cases).
    #[serde(default)]
    pub raw_body: Option<String>,
    /// Credentials to send.
    #[serde(default)]
    pub credentials: Credentials,
    /// Expectations.
    #[serde(default)]
    pub expect: Expect,
    /// Variables to set from the response: `var: /json/pointer`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Job handling for asynchronous operations.
    #[serde(default)]
    pub job: Option<JobSpec>,
    /// Snapshot the response body under this name (`true`: the case id).
    #[serde(default)]
    pub snapshot: Option<Value>,
    /// Send only while a resource still shows a state; otherwise the case is skipped.
    #[serde(default)]
    pub only_while: Option<StateGuard>,
    /// After the answer (and its job's SUCCESS): read the resource back and compare what was written.
    #[serde(default)]
    pub read_back: Option<ReadBack>,
}

/// A resource to read back through show, list and filtered lists after a write, with the
/// fields the write set (judged by `resource_lifecycle`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadBack {
    /// Kind of the resource (server_group, protected_instance, replication_pair, dr_drill);
    /// `resource:` is read too, the key of earlier case files.
    #[serde(alias = "resource")]
    pub kind: String,
    /// Id template (rendered after the job's captures).
    pub id: String,
    /// Values (templates allowed) at pointers inside the resource object: `/description`, `/tags`.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

/// A state a resource must still show when a request is sent: transitional states end by
/// themselves on real regions, sometimes before the request that needs them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateGuard {
    /// Kind of the resource (server_group, protected_instance, replication_pair, dr_drill);
    /// `resource:` is read too, the key of earlier case files.
    #[serde(alias = "resource")]
    pub kind: String,
    /// Id template.
    pub id: String,
    /// The state it must show.
    pub status: String,
}

/// Poll a job until it ends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitJobStep {
    /// Step name.
    #[serde(default)]
    pub name: String,
    /// Job id template.
    pub job: String,
    /// Expected end.
    #[serde(default)]
    pub outcome: JobOutcome,
    /// Deadline in seconds.
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// Poll a resource until it shows one of the states.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitStatusStep {
    /// Step name.
    #[serde(default)]
    pub name: String,
    /// Kind of the resource (server_group, protected_instance, replication_pair, dr_drill);
    /// `resource:` is read too, the key of earlier case files.
    #[serde(alias = "resource")]
    pub kind: String,
    /// Id template.
    pub id: String,
    /// Accepted states.
    pub status: Vec<String>,
    /// Deadline in seconds.
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// Read a list in pages and compare with the whole list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginateStep {
    /// Step name.
    #[serde(default)]
    pub name: String,
    /// List operation id.
    pub operation: String,
    /// Filter query applied to every request.
    #[serde(default)]
    pub query: BTreeMap<String, Value>,
    /// (limit, offset) pairs to read.
    pub pages: Vec<(Option<u64>, Option<u64>)>,
    /// Minimum number of items the full list must have for the check to mean something.
    #[serde(default)]
    pub min_items: usize,
}

/// One step of a case (in YAML, a map with exactly one of `request`, `wait_job`, `wait_status`, `paginate`).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send a request.
    Request(Box<RequestStep>),
    /// Wait for a job.
    WaitJob(WaitJobStep),
    /// Wait for a resource status.
    WaitStatus(WaitStatusStep),
    /// Check pagination of a list.
    Paginate(PaginateStep),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    request: Option<Box<RequestStep>>,
    #[serde(default)]
    wait_job: Option<WaitJobStep>,
    #[serde(default)]
    wait_status: Option<WaitStatusStep>,
    #[serde(default)]
    paginate: Option<PaginateStep>,
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawStep::deserialize(d)?;
        let mut found = Vec::new();
        if let Some(r) = raw.request {
            found.push(Step::Request(r));
        }
        if let Some(w) = raw.wait_job {
            found.push(Step::WaitJob(w));
        }
        if let Some(w) = raw.wait_status {
            found.push(Step::WaitStatus(w));
        }
        if let Some(p) = raw.paginate {
            found.push(Step::Paginate(p));
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(serde::de::Error::custom(format!(
                "a step holds exactly one of request, wait_job, wait_status, paginate (found {n})"
            ))),
        }
    }
}

impl Step {
    /// The step's name.
    pub fn name(&self) -> &str {
        match self {
            Step::Request(r) => &r.name,
            Step::WaitJob(w) => &w.name,
            Step::WaitStatus(w) => &w.name,
            Step::Paginate(p) => &p.name,
        }
    }
}

/// A test case.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Stable id (`<operation>/<kind>/<detail>` for generated cases, `scenario/<file>` for files).
    #[serde(default)]
    pub id: String,
    /// Operation under test (the main one, for scenarios).
    #[serde(default)]
    pub operation: String,
    /// Resource family.
    #[serde(default)]
    pub family: String,
    /// Kind.
    #[serde(default)]
    pub kind: CaseKind,
    /// Free tags for filtering.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the case is about.
    #[serde(default)]
    pub description: String,
    /// Prerequisites taken exclusively.
    #[serde(default)]
    pub needs: Needs,
    /// Shared fixture the case reads (its ids are bound as `${fixture.*}`).
    #[serde(default)]
    pub fixture: Option<String>,
    /// Runs alone: no other case runs at the same time (quota accounting).
    #[serde(default)]
    pub exclusive: bool,
    /// Ordered steps.
    pub steps: Vec<Step>,
    /// Why the case cannot run against this target (missing prerequisite...).
    #[serde(skip)]
    pub skip: Option<String>,
    /// The scenario file it came from.
    #[serde(skip)]
    pub source: Option<String>,
}

impl Case {
    /// Whether the case sends only GET requests (kept by `--mode readonly`).
    pub fn is_read_only(&self, specs: &crate::spec::Specs) -> bool {
        // In readonly mode the shared fixture is discovered among existing resources, not built.
        self.steps.iter().all(|s| match s {
            Step::Request(r) => {
                let method =
                    r.method_override.clone().or_else(|| specs.operation(&r.operation).map(|op| op.method.clone()));
                method.as_deref() == Some("GET")
            }
            Step::WaitJob(_) | Step::WaitStatus(_) | Step::Paginate(_) => true,
        })
    }
}
