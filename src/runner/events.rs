//! The events the runner emits; every reporter consumes them on its own.

use crate::report::{CaseReport, RunReport};

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
    /// The run ended.
    RunFinished(Box<RunReport>),
}
