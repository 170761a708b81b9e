//! Exit statuses of the command line, as named constants.

/// Every case passed (warnings allowed).
pub const OK: i32 = 0;
/// A case failed.
pub const FAILED: i32 = 1;
/// A usage, configuration, spec or connection-level error.
pub const ERROR: i32 = 2;
