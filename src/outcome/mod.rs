//! What a run found, as data: cases, check verdicts with typed findings, the evidence of
//! failures. The runner, `check-traffic` and the proxy produce it; reporters only read it.

mod evidence;
mod model;
mod scrub;

pub use evidence::{curl_line, shell_word, ExchangeReport, HeaderReport, Reproduce, RequestReport, ResponseReport};
pub(crate) use model::first_line;
pub use model::{
    CaseOutcome, CaseReport, CheckReport, Finding, MergedPartition, PartitionInfo, RunReport, Summary, TargetInfo,
    FORMAT_VERSION,
};
pub use scrub::scrub_report;

/// A short fingerprint of a list of texts (64-bit FNV-1a, hex): stable across machines and builds.
pub fn fingerprint<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for text in texts {
        for b in text.bytes().chain(std::iter::once(0)) {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
