//! Judges recorded traffic offline: a HAR 1.2 file from any recorder (browser devtools,
//! mitmproxy, SDK logs) is matched exchange by exchange to the documented operations and judged
//! with the checks one exchange, one job or one resource supports, into the same report as `run`.
//!
//! It sends nothing and never changes a check: it only builds the checks' evidence from the
//! recording. Its main entry is [`judge`]; [`Har`] is the recording; [`Live`] judges a recording
//! that grows (the proxy's), exchange by exchange as it comes and as a whole at the end.

mod har;
mod judge;
mod matching;

pub use har::{Body, Content, Entry, Har, HarError, Header, Log, PostData, Request, Response};
pub use judge::{exchanges, judge, Live, KIND_UNMATCHED};
pub use matching::{Matched, Matcher, Unmatched};
