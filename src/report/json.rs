//! The JSON report: [`RunReport`] serialised as pretty JSON, fields in their declared order.
//!
//! The shape is the guide's, versioned by `format_version`; [`from_json`] reads it back (for
//! baselines and comparisons between runs).

use crate::outcome::RunReport;
use std::path::Path;

/// The report as pretty-printed JSON.
pub fn to_json(report: &RunReport) -> String {
    // Every map in the model has string keys, so serialisation cannot fail.
    serde_json::to_string_pretty(report).expect("a run report always serialises to JSON")
}

/// Writes [`to_json`] to `path`, with a final newline.
pub fn write_json(report: &RunReport, path: &Path) -> std::io::Result<()> {
    let mut text = to_json(report);
    text.push('\n');
    std::fs::write(path, text)
}

/// Reads a JSON report back.
pub fn from_json(text: &str) -> serde_json::Result<RunReport> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample;
    use serde_json::Value;

    fn keys(value: &Value) -> Vec<&str> {
        value.as_object().expect("an object").keys().map(String::as_str).collect()
    }

    #[test]
    fn a_report_survives_a_round_trip_through_json() {
        let report = sample();
        assert_eq!(from_json(&to_json(&report)).unwrap(), report);
    }

    #[test]
    fn the_top_level_and_summary_keys_are_the_guides_in_order() {
        let value: Value = serde_json::from_str(&to_json(&sample())).unwrap();
        assert_eq!(keys(&value), ["format_version", "summary", "target", "cases"]);
        assert_eq!(
            keys(&value["summary"]),
            ["total", "passed", "failed", "warned", "skipped", "expected_fail", "errored", "duration_ms"]
        );
        assert_eq!(
            keys(&value["target"]),
            ["kind", "endpoint", "project_id", "region", "auth", "mode", "strict", "run_id"]
        );
    }

    #[test]
    fn cases_and_checks_carry_exactly_the_documented_keys() {
        let value: Value = serde_json::from_str(&to_json(&sample())).unwrap();
        let cases = value["cases"].as_array().unwrap();
        let base = ["id", "operation", "family", "kind", "outcome", "duration_ms", "checks"];
        assert_eq!(keys(&cases[0]), base);
        assert_eq!(keys(&cases[3]), [&base[..], &["baseline"]].concat());
        assert_eq!(keys(&cases[4]), [&base[..], &["reason"]].concat());
        assert_eq!(keys(&cases[0]["checks"][0]), ["name", "outcome", "message", "step"]);
    }

    #[test]
    fn outcomes_and_check_names_use_their_stable_strings() {
        let value: Value = serde_json::from_str(&to_json(&sample())).unwrap();
        assert_eq!(value["format_version"], 1);
        assert_eq!(value["cases"][3]["outcome"], "expected-fail");
        assert_eq!(value["cases"][1]["checks"][2]["name"], "negative_rejection");
        assert_eq!(value["cases"][1]["checks"][2]["outcome"], "failed");
        assert_eq!(value["summary"]["failed"], 1);
        assert_eq!(value["summary"]["errored"], 1);
    }

    #[test]
    fn write_json_writes_the_same_text_with_a_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_json(&sample(), &path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), to_json(&sample()) + "\n");
    }
}
