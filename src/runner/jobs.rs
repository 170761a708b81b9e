//! Polls a job until SUCCESS or FAIL, with a per-job deadline and, for emulators, a bound on
//! the number of polls (deterministic, no wall clock).

use super::Runner;
use crate::client::Outgoing;
use crate::exchange::Exchange;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Every poll of one job.
#[derive(Debug, Default)]
pub struct Polled {
    /// Answers in order.
    pub polls: Vec<Exchange>,
    /// Whether a terminal status was seen.
    pub finished: bool,
    /// The last job body.
    pub last: Option<Value>,
}

impl Polled {
    /// The final status, when the job ended.
    pub fn status(&self) -> Option<&str> {
        self.last.as_ref().and_then(|j| j.get("status")).and_then(Value::as_str)
    }

    /// The job's `entities`.
    pub fn entities(&self) -> Option<&Value> {
        self.last.as_ref().and_then(|j| j.get("entities"))
    }
}

impl Runner {
    /// Polls `job_id` until it ends or the deadline passes.
    pub(crate) async fn poll_job(&self, job_id: &str, deadline: Option<Duration>) -> Polled {
        let deadline = deadline.unwrap_or(self.config.job_deadline);
        let started = Instant::now();
        let mut out = Polled::default();
        let mut pause = self.config.poll_interval;
        let req = Outgoing {
            operation: "showJobStatus".into(),
            method: "GET".into(),
            path: format!("/v1/{}/jobs/{}", self.project_id(), job_id),
            ..Outgoing::default()
        };
        loop {
            let ex = self.client.send(&req).await;
            let json = ex.json().cloned();
            let ok = ex.status() == Some(200);
            out.polls.push(ex);
            if ok {
                let status = json.as_ref().and_then(|j| j.get("status")).and_then(Value::as_str).unwrap_or("");
                let terminal = self.specs.states.is_terminal("job", status);
                out.last = json;
                if terminal {
                    out.finished = true;
                    return out;
                }
            }
            let polls = out.polls.len() as u32;
            if self.config.max_polls.is_some_and(|m| polls >= m) || started.elapsed() >= deadline {
                return out;
            }
            // The first re-polls go out at once: emulators advance a job one step per poll.
            if !pause.is_zero() && polls >= 2 {
                tokio::time::sleep(pause.min(deadline.saturating_sub(started.elapsed()))).await;
                pause = (pause + pause / 2).min(self.config.poll_interval * 10);
            }
        }
    }
}
