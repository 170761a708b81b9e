//! The run's circuit breaker: when a part of the target keeps failing (its jobs pass their
//! deadline, its requests get 5xx or no answer, or one operation's requests get no answer),
//! cases that depend on that part are not started, so that a broken target costs minutes, not
//! the sum of every case's deadline.
//!
//! One operation that answers 5xx at once does not open it: each such answer costs nothing to
//! wait for, and the cases that call the operation are the ones that show the defect.
//!
//! The breaker only counts; the runner feeds it every job's end and every answer, asks it
//! before starting a case, and reports the cases it holds back as not run (outcome `error`: the
//! harness could not judge them, and the run exits 1).

use crate::cases::{Case, JobOutcome, Step};
use crate::exchange::Exchange;
use crate::spec::Specs;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Consecutive job deadlines that open the breaker for jobs.
pub const JOB_DEADLINES: u32 = 3;
/// Consecutive unanswered requests of one operation that open the breaker for it, and
/// consecutive 5xx or unanswered requests of several operations that open it for the target.
pub const FAILED_REQUESTS: u32 = 5;

/// The part of the target the breaker stopped trusting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Asynchronous jobs do not finish.
    Jobs,
    /// One operation does not answer.
    Operation(String),
    /// Requests to several operations answer 5xx or nothing.
    Target,
}

/// Why the breaker opened: the part, and the one line the console prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    /// What no longer works.
    pub part: Part,
    /// `jobs of this target are not finishing: 3 in a row passed their 60 s deadline`.
    pub reason: String,
}

#[derive(Debug, Default)]
struct Counts {
    job_deadlines: u32,
    /// The current run of failed requests, by operation, across operations.
    failed_run: Vec<String>,
    unanswered_by_operation: BTreeMap<String, u32>,
    trips: Vec<Trip>,
    announced: usize,
}

/// Counts consecutive failures of each part of the target (see the module docs).
#[derive(Debug, Default)]
pub struct Breaker {
    counts: Mutex<Counts>,
}

impl Breaker {
    /// A job ended (SUCCESS or FAIL): jobs do finish.
    pub fn job_ended(&self) {
        self.lock().job_deadlines = 0;
    }

    /// A job still ran at its deadline, `deadline` described (`60 s`, `50 polls`).
    pub fn job_deadline(&self, deadline: &str) {
        let mut c = self.lock();
        c.job_deadlines += 1;
        if c.job_deadlines >= JOB_DEADLINES && !c.trips.iter().any(|t| t.part == Part::Jobs) {
            let reason = format!(
                "jobs of this target are not finishing: {} in a row passed their {deadline} deadline",
                c.job_deadlines
            );
            c.trips.push(Trip { part: Part::Jobs, reason });
        }
    }

    /// An answer (or its absence) to a request of `exchange.operation`.
    pub fn answered(&self, exchange: &Exchange) {
        let (failed, unanswered) = match &exchange.response {
            Ok(resp) => (resp.status >= 500, false),
            Err(_) => (true, true),
        };
        let operation = exchange.operation.clone();
        let mut c = self.lock();
        if !unanswered {
            c.unanswered_by_operation.remove(&operation);
        }
        if !failed {
            c.failed_run.clear();
            return;
        }
        c.failed_run.push(operation.clone());
        if unanswered {
            let n = {
                let n = c.unanswered_by_operation.entry(operation.clone()).or_insert(0);
                *n += 1;
                *n
            };
            if n >= FAILED_REQUESTS && !c.trips.iter().any(|t| t.part == Part::Operation(operation.clone())) {
                let reason = format!("requests to {operation} are not answered: {n} in a row got no answer");
                c.trips.push(Trip { part: Part::Operation(operation), reason });
            }
        }
        let what = "a 5xx answer or none";
        let run = c.failed_run.len() as u32;
        let mut operations = c.failed_run.clone();
        operations.sort();
        operations.dedup();
        if run >= FAILED_REQUESTS && operations.len() > 1 && !c.trips.iter().any(|t| t.part == Part::Target) {
            let reason =
                format!("the target is failing: {run} requests in a row ({}) got {what}", operations.join(", "));
            c.trips.push(Trip { part: Part::Target, reason });
        }
    }

    /// Whether jobs are known not to finish (pollers stop waiting).
    pub fn jobs_open(&self) -> bool {
        self.jobs_trip().is_some()
    }

    /// Why jobs are known not to finish, if they are.
    pub fn jobs_trip(&self) -> Option<String> {
        let c = self.lock();
        c.trips.iter().find(|t| matches!(t.part, Part::Jobs | Part::Target)).map(|t| t.reason.clone())
    }

    /// Why `case` must not start, if it depends on a part that keeps failing.
    pub fn holds_back(&self, case: &Case, specs: &Specs) -> Option<String> {
        let c = self.lock();
        c.trips.iter().find(|t| depends_on(case, &t.part, specs)).map(|t| format!("not run: {}", t.reason))
    }

    /// The trips not yet announced, each once.
    pub fn announce(&self) -> Vec<Trip> {
        let mut c = self.lock();
        let new = c.trips[c.announced..].to_vec();
        c.announced = c.trips.len();
        new
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Counting cannot leave the counts half-written: a poisoned lock still holds them.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether `case` needs `part` of the target: it waits for a job, or calls the operation.
fn depends_on(case: &Case, part: &Part, specs: &Specs) -> bool {
    match part {
        Part::Target => true,
        Part::Operation(id) => case.steps.iter().any(|step| match step {
            Step::Request(r) => r.operation == *id,
            Step::Paginate(p) => p.operation == *id,
            Step::WaitJob(_) => id == "showJobStatus",
            Step::WaitStatus(_) => false,
        }),
        Part::Jobs => case.steps.iter().any(|step| match step {
            Step::Request(r) => {
                let waits = r.job.as_ref().is_some_and(|j| j.outcome != JobOutcome::NoWait);
                waits && specs.operation(&r.operation).is_some_and(|op| op.async_job.is_some())
            }
            Step::WaitJob(_) | Step::WaitStatus(_) => true,
            Step::Paginate(_) => false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(operation: &str, status: u16) -> Exchange {
        Exchange::fake(operation, "GET", "/", status, serde_json::json!({}))
    }

    fn case_of(name: &str) -> Case {
        let specs = Specs::embedded();
        crate::cases::all(specs, Vec::new()).into_iter().find(|c| c.id == name).expect("case")
    }

    #[test]
    fn three_job_deadlines_in_a_row_open_it_for_cases_that_wait_for_jobs() {
        let b = Breaker::default();
        b.job_deadline("60 s");
        b.job_deadline("60 s");
        b.job_ended();
        b.job_deadline("60 s");
        b.job_deadline("60 s");
        assert!(!b.jobs_open());
        assert!(b.announce().is_empty());
        b.job_deadline("60 s");
        assert!(b.jobs_open());
        let trips = b.announce();
        assert_eq!(trips.len(), 1);
        assert_eq!(trips[0].reason, "jobs of this target are not finishing: 3 in a row passed their 60 s deadline");
        assert!(b.announce().is_empty(), "announced once");
        b.job_deadline("60 s");
        assert!(b.announce().is_empty(), "one trip per part");

        let specs = Specs::embedded();
        let waits = case_of("createProtectionGroup/positive");
        assert_eq!(
            b.holds_back(&waits, specs).as_deref(),
            Some("not run: jobs of this target are not finishing: 3 in a row passed their 60 s deadline")
        );
        let reads = case_of("listProtectionGroups/positive");
        assert_eq!(b.holds_back(&reads, specs), None);
    }

    fn unanswered(operation: &str) -> Exchange {
        let mut ex = answer(operation, 200);
        ex.response = Err(crate::exchange::TransportError {
            kind: crate::exchange::TransportErrorKind::Timeout,
            message: "no answer within 30s".into(),
        });
        ex
    }

    #[test]
    fn five_unanswered_requests_of_one_operation_open_it_for_that_operation() {
        let b = Breaker::default();
        for _ in 0..4 {
            b.answered(&unanswered("listProtectionGroups"));
            b.answered(&answer("showQuotas", 200));
        }
        assert!(b.announce().is_empty());
        b.answered(&unanswered("listProtectionGroups"));
        let trips = b.announce();
        assert_eq!(trips.len(), 1, "{trips:?}");
        assert_eq!(trips[0].part, Part::Operation("listProtectionGroups".into()));
        assert_eq!(trips[0].reason, "requests to listProtectionGroups are not answered: 5 in a row got no answer");
        let specs = Specs::embedded();
        assert!(b.holds_back(&case_of("listProtectionGroups/positive"), specs).is_some());
        assert_eq!(b.holds_back(&case_of("showQuotas/positive"), specs), None);
        assert!(!b.jobs_open());
    }

    #[test]
    fn one_operation_answering_5xx_does_not_open_it() {
        // Its cases show the defect (status_code), and cost no waiting.
        let b = Breaker::default();
        for _ in 0..20 {
            b.answered(&answer("listDrDrills", 500));
        }
        assert!(b.announce().is_empty());
        assert_eq!(b.holds_back(&case_of("listDrDrills/positive"), Specs::embedded()), None);
    }

    #[test]
    fn a_good_answer_ends_a_run_and_errors_below_500_do_not_count() {
        let b = Breaker::default();
        for _ in 0..10 {
            b.answered(&answer("showQuotas", 400));
            b.answered(&answer("showQuotas", 429));
        }
        for _ in 0..4 {
            b.answered(&answer("showQuotas", 500));
        }
        b.answered(&answer("showQuotas", 200));
        b.answered(&answer("showQuotas", 500));
        assert!(b.announce().is_empty());
    }

    #[test]
    fn failed_requests_of_several_operations_in_a_row_open_it_for_the_whole_target() {
        let b = Breaker::default();
        b.answered(&unanswered("showQuotas"));
        for op in ["listProtectionGroups", "showQuotas", "listReplicationPairs", "showQuotas"] {
            b.answered(&answer(op, 502));
        }
        let trips = b.announce();
        assert_eq!(trips.len(), 1, "{trips:?}");
        assert_eq!(trips[0].part, Part::Target);
        assert!(trips[0].reason.starts_with("the target is failing: 5 requests in a row ("), "{}", trips[0].reason);
        assert!(b.jobs_open());
        assert!(b.holds_back(&case_of("showQuotas/positive"), Specs::embedded()).is_some());
    }
}
