//! Recordings of exchanges, so that a failure can show the requests and answers behind it.
//!
//! A [`Tape`] belongs to one case: the runner sets it for the case's task (a task-local, so that
//! no recorder is threaded through every call) and names the step in progress; every exchange
//! the client completes in that task is appended with the step's name. A client can also keep a
//! log of every exchange of a run (`--har-all`), each tagged with the case and step of the tape
//! in force.

use crate::exchange::Exchange;
use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static TAPE: Arc<Mutex<Tape>>;
}

/// One recorded exchange: when it started, the case and step that sent it, and the exchange.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Start of the request.
    pub started: std::time::SystemTime,
    /// The case that sent it (empty outside any case: preflight, shared fixture).
    pub case: String,
    /// The step of that case (`teardown` for the deletions after it).
    pub step: String,
    /// The request and its answer, credentials already redacted.
    pub exchange: Exchange,
}

/// The exchanges of one case, in the order they completed.
#[derive(Debug, Default)]
pub struct Tape {
    case: String,
    step: String,
    entries: Vec<Recorded>,
}

impl Tape {
    /// An empty tape for `case`.
    pub fn new(case: &str) -> Arc<Mutex<Tape>> {
        Arc::new(Mutex::new(Tape { case: case.to_owned(), ..Tape::default() }))
    }

    /// Names the step whose exchanges follow.
    pub fn set_step(&mut self, step: &str) {
        step.clone_into(&mut self.step);
    }

    /// The step named last.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// Everything recorded so far.
    pub fn entries(&self) -> &[Recorded] {
        &self.entries
    }
}

/// Runs `fut` with `tape` recording the exchanges the client completes in it.
pub async fn recording<F: Future>(tape: &Arc<Mutex<Tape>>, fut: F) -> F::Output {
    TAPE.scope(Arc::clone(tape), fut).await
}

/// Names the step in progress on the current task's tape, if one records.
pub fn set_step(step: &str) {
    let _ = TAPE.try_with(|t| t.lock().expect("poisoned").set_step(step));
}

/// Appends `exchange` to the current task's tape (if any) and returns it as recorded.
pub(super) fn record(exchange: &Exchange) -> Recorded {
    let now = std::time::SystemTime::now();
    // The parsed JSON is left out: evidence shows the body as received, and cloning every
    // answer's tree would cost the whole run a tenth of its time.
    let response = exchange.response.as_ref().map(|r| crate::exchange::ResponseRecord {
        status: r.status,
        headers: r.headers.clone(),
        body: r.body.clone(),
        json: None,
    });
    let mut recorded = Recorded {
        started: now.checked_sub(exchange.elapsed).unwrap_or(now),
        case: String::new(),
        step: String::new(),
        exchange: Exchange {
            operation: exchange.operation.clone(),
            request: exchange.request.clone(),
            response: response.map_err(Clone::clone),
            elapsed: exchange.elapsed,
        },
    };
    let _ = TAPE.try_with(|t| {
        let mut tape = t.lock().expect("poisoned");
        recorded.case.clone_from(&tape.case);
        recorded.step.clone_from(&tape.step);
        tape.entries.push(recorded.clone());
    });
    recorded
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn exchanges_inside_the_scope_are_recorded_with_their_step_and_others_are_not() {
        let ex = Exchange::fake("op", "GET", "/", 200, json!({}));
        let tape = Tape::new("case/a");
        recording(&tape, async {
            set_step("create");
            record(&ex);
            set_step("show");
            record(&ex);
        })
        .await;
        let outside = record(&ex);
        assert_eq!(outside.case, "");
        let t = tape.lock().unwrap();
        let steps: Vec<(&str, &str)> = t.entries().iter().map(|r| (r.case.as_str(), r.step.as_str())).collect();
        assert_eq!(steps, [("case/a", "create"), ("case/a", "show")]);
    }
}
