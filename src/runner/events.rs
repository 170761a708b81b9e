//! The events the runner emits; every reporter consumes them on its own.

use crate::outcome::{CaseReport, RunReport};

/// Something that happened during a run.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// The run begins with this many cases.
    RunStarted {
        /// Number of cases.
        total: usize,
    },
    /// A case begins.
    CaseStarted {
        /// Case id.
        id: String,
        /// Operation under test.
        operation: String,
    },
    /// A case ended.
    CaseFinished(Box<CaseReport>),
    /// The circuit breaker stopped trusting a part of the target: cases that depend on it are
    /// not started.
    BreakerTripped {
        /// One line: what fails, and how often in a row.
        reason: String,
    },
    /// The run ended.
    RunFinished(Box<RunReport>),
}
