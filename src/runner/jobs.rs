//! Polls a job until its [`JobWatch`] says it ended or stopped, the per-job deadline passes
//! (for emulators also a bound on the number of polls: deterministic, no wall clock), or the
//! run's circuit breaker says jobs of this target do not finish. The watch, not the poller,
//! judges each answer.

use super::breaker::Breaker;
use super::Runner;
use crate::checks::{CheckContext, JobWatch, PollEnd, Verdict};
use crate::client::{Client, Outgoing};
use crate::exchange::Exchange;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The state machine of jobs in states.yaml: its `show` is the poll.
const JOB_MACHINE: &str = "job";

/// Every poll of one job.
#[derive(Debug)]
pub(crate) struct Polled {
    /// Answers in order.
    pub polls: Vec<Exchange>,
    /// Whether a terminal status was seen.
    pub finished: bool,
    /// The last job body.
    pub last: Option<Value>,
    /// How polling ended.
    pub end: PollEnd,
    /// The rule broken at the poll that stopped polling, if one did.
    pub stopped: Option<String>,
}

impl Default for Polled {
    fn default() -> Polled {
        Polled { polls: Vec::new(), finished: false, last: None, end: PollEnd::Ended, stopped: None }
    }
}

impl Polled {
    /// The final status, when the job ended.
    pub(crate) fn status(&self) -> Option<&str> {
        self.last.as_ref().and_then(|j| j.get("status")).and_then(Value::as_str)
    }

    /// The job's `entities`.
    pub(crate) fn entities(&self) -> Option<&Value> {
        self.last.as_ref().and_then(|j| j.get("entities"))
    }
}

/// How jobs are polled: the pause between polls, a bound on their number, the per-job deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Polling {
    /// Pause before the third and later polls (grows by half up to ten times).
    pub interval: Duration,
    /// At most this many polls (emulators: deterministic, no wall clock).
    pub max_polls: Option<u32>,
    /// Per-job deadline.
    pub job_timeout: Duration,
}

/// What polling a job needs: a client, the run's circuit breaker and the checks' context.
pub(crate) struct Poller<'a> {
    /// Sends the polls.
    pub client: &'a Client,
    /// Counts every answer; says when jobs of this target do not finish.
    pub breaker: &'a Breaker,
    /// Pauses and bounds.
    pub polling: Polling,
    /// What the job watch judges with.
    pub ctx: CheckContext<'a>,
}

impl Poller<'_> {
    /// Sends a request; the circuit breaker counts its answer.
    pub(crate) async fn send(&self, req: &Outgoing) -> Exchange {
        let ex = self.client.send(req).await;
        self.breaker.answered(&ex);
        ex
    }

    /// Polls `job_id` until it ends, breaks the job protocol, or the deadline passes.
    pub(crate) async fn poll_job(&self, job_id: &str, deadline: Option<Duration>) -> Polled {
        let mut watch = JobWatch::following(self.ctx, job_id);
        self.poll_watched(job_id, deadline, &mut watch).await
    }

    fn job_request(&self, job_id: &str) -> Outgoing {
        let show = self.ctx.specs.states.machines.get(JOB_MACHINE).and_then(|m| m.show.as_deref());
        let path = show
            .and_then(|id| self.ctx.specs.operation(id))
            .map(|op| op.path.replace("{project_id}", &self.client.target().project_id).replace("{job_id}", job_id))
            .unwrap_or_else(|| format!("/v1/{}/jobs/{}", self.client.target().project_id, job_id));
        Outgoing {
            operation: show.unwrap_or("showJobStatus").into(),
            method: "GET".into(),
            path,
            ..Outgoing::default()
        }
    }

    /// Polls `job_id`, asking `watch` after each answer whether to go on.
    pub(crate) async fn poll_watched(
        &self,
        job_id: &str,
        deadline: Option<Duration>,
        watch: &mut JobWatch<'_>,
    ) -> Polled {
        let deadline = deadline.unwrap_or(self.polling.job_timeout);
        let started = Instant::now();
        let mut out = Polled::default();
        let mut pause = self.polling.interval;
        let req = self.job_request(job_id);
        loop {
            let ex = self.send(&req).await;
            let verdict = watch.observe(&ex);
            if ex.status() == Some(200) {
                out.last = ex.json().cloned();
            }
            out.polls.push(ex);
            match verdict {
                Verdict::Ended => {
                    out.finished = true;
                    self.breaker.job_ended();
                    return out;
                }
                Verdict::Stop(failures) => {
                    out.finished = watch.ended().is_some();
                    out.stopped = failures.first().map(|f| f.title.clone());
                    return out;
                }
                Verdict::Continue => {}
            }
            let polls = out.polls.len() as u32;
            let bound = match self.polling.max_polls {
                Some(m) if polls >= m => Some(format!("{m}-poll")),
                _ if started.elapsed() >= deadline => Some(format!("{} s", deadline.as_secs())),
                _ => None,
            };
            if let Some(bound) = bound {
                out.end = PollEnd::Deadline;
                self.breaker.job_deadline(&bound);
                return out;
            }
            if self.breaker.jobs_open() {
                out.end = PollEnd::Abandoned;
                return out;
            }
            // The first re-polls go out at once: emulators advance a job one step per poll.
            if !pause.is_zero() && polls >= 2 {
                tokio::time::sleep(pause.min(deadline.saturating_sub(started.elapsed()))).await;
                pause = (pause + pause / 2).min(self.polling.interval * 10);
            }
        }
    }
}

impl Runner {
    /// The context the checks of this run judge in.
    pub(crate) fn check_context(&self) -> CheckContext<'_> {
        CheckContext { specs: self.specs, schemas: &self.schemas, strict: self.config.strict }
    }

    /// How this run polls jobs.
    pub(crate) fn polling(&self) -> Polling {
        Polling {
            interval: self.config.poll_interval,
            max_polls: self.config.max_polls,
            job_timeout: self.config.job_timeout,
        }
    }

    /// The run's poller.
    pub(crate) fn poller(&self) -> Poller<'_> {
        Poller { client: &self.client, breaker: &self.breaker, polling: self.polling(), ctx: self.check_context() }
    }

    /// Polls `job_id` until it ends, breaks the job protocol, or the deadline passes.
    pub(crate) async fn poll_job(&self, job_id: &str, deadline: Option<Duration>) -> Polled {
        self.poller().poll_job(job_id, deadline).await
    }

    /// One poll of `job_id`, unjudged: emulators advance their jobs one step per poll.
    pub(crate) async fn nudge_job(&self, job_id: &str) {
        let poller = self.poller();
        let _ = poller.send(&poller.job_request(job_id)).await;
    }

    /// Polls `job_id`, asking `watch` after each answer whether to go on.
    pub(crate) async fn poll_watched(
        &self,
        job_id: &str,
        deadline: Option<Duration>,
        watch: &mut JobWatch<'_>,
    ) -> Polled {
        self.poller().poll_watched(job_id, deadline, watch).await
    }
}
