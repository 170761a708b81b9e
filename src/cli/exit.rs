//! Exit statuses of the command line, as named constants.

/// Every case passed (warnings allowed).
pub const OK: i32 = 0;
/// A case failed.
pub const FAILED: i32 = 1;
/// A usage, configuration, spec or connection-level error.
pub const ERROR: i32 = 2;

/// The exit status of a run with these totals: a case the harness could not judge makes it an
/// error (2) even when others failed, since the run is incomplete; else a failure makes it 1.
pub fn of_summary(summary: &crate::report::Summary) -> i32 {
    if summary.errored > 0 {
        ERROR
    } else if summary.failed > 0 {
        FAILED
    } else {
        OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Summary;

    #[test]
    fn errors_outrank_failures_which_outrank_passes() {
        let s = |failed, errored| Summary { failed, errored, passed: 3, ..Summary::default() };
        assert_eq!(of_summary(&s(0, 0)), OK);
        assert_eq!(of_summary(&s(2, 0)), FAILED);
        assert_eq!(of_summary(&s(0, 1)), ERROR);
        assert_eq!(of_summary(&s(2, 1)), ERROR);
    }
}
