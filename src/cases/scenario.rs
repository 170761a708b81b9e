//! Scenario files: hand-written flows in `cases/*.yaml`, one flow per file, deserialized into
//! the same [`Case`](super::Case) model as generated cases. The format is documented in
//! `cases/README.md`.

use super::model::{Case, CaseKind, Step};
use crate::spec::Specs;
use std::path::Path;

/// Why a scenario file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Unreadable directory or file.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File or directory.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Malformed YAML or unknown keys.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// File.
        path: String,
        /// Line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Well-formed but names something that does not exist.
    #[error("{path}: {message}")]
    Invalid {
        /// File.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Parses one scenario text.
pub fn parse(text: &str, origin: &str, specs: &Specs) -> Result<Case, ScenarioError> {
    let mut case: Case = serde_yaml_ng::from_str(text).map_err(|e| ScenarioError::Parse {
        path: origin.to_owned(),
        line: e.location().map(|l| l.line()).unwrap_or(0),
        message: e.to_string(),
    })?;
    let stem = Path::new(origin).file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
    if case.id.is_empty() {
        case.id = format!("scenario/{stem}");
    }
    case.kind = CaseKind::Scenario;
    case.source = Some(origin.to_owned());
    if case.steps.is_empty() {
        return Err(ScenarioError::Invalid {
            path: origin.to_owned(),
            message: "a scenario needs at least one step".into(),
        });
    }
    for (i, step) in case.steps.iter().enumerate() {
        let op = match step {
            Step::Request(r) => Some(r.operation.as_str()),
            Step::Paginate(p) => Some(p.operation.as_str()),
            _ => None,
        };
        if let Some(op) = op {
            if specs.operation(op).is_none() {
                let hint = specs
                    .operations()
                    .map(|o| o.id.as_str())
                    .find(|id| {
                        id.to_ascii_lowercase().contains(&op.to_ascii_lowercase())
                            || op.to_ascii_lowercase().contains(&id.to_ascii_lowercase())
                    })
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                return Err(ScenarioError::Invalid {
                    path: origin.to_owned(),
                    message: format!("step {} names unknown operation `{op}`{hint}", i + 1),
                });
            }
        }
    }
    if case.operation.is_empty() {
        case.operation = case
            .steps
            .iter()
            .find_map(|s| match s {
                Step::Request(r) if !r.setup => Some(r.operation.clone()),
                _ => None,
            })
            .unwrap_or_default();
    }
    if case.family.is_empty() {
        case.family = specs.operation(&case.operation).map(|o| o.family.clone()).unwrap_or_default();
    }
    Ok(case)
}

/// Loads every `*.yaml` file of a directory (sorted by name).
pub fn load_dir(dir: &Path, specs: &Specs) -> Result<Vec<Case>, ScenarioError> {
    let entries =
        std::fs::read_dir(dir).map_err(|source| ScenarioError::Read { path: dir.display().to_string(), source })?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .map_err(|source| ScenarioError::Read { path: p.display().to_string(), source })?;
            parse(&text, &p.display().to_string(), specs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Case, ScenarioError> {
        parse(text, "cases/probe.yaml", Specs::embedded())
    }

    #[test]
    fn every_shipped_scenario_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let cases = load_dir(&dir, Specs::embedded()).expect("the shipped scenarios load");
        assert!(cases.len() >= 9, "{} scenarios", cases.len());
        assert!(cases.iter().all(|c| c.id.starts_with("scenario/") && !c.operation.is_empty()));
    }

    #[test]
    fn a_request_may_be_sent_only_while_a_state_lasts() {
        let case = parsed(
            "steps:\n  - request:\n      operation: startProtectionGroup\n      path: {server_group_id: \"${g}\"}\n      \
             only_while: {resource: server_group, id: \"${g}\", status: creating}\n",
        )
        .expect("parses");
        let Step::Request(r) = &case.steps[0] else { panic!("a request step") };
        let guard = r.only_while.as_ref().expect("a guard");
        assert_eq!((guard.kind.as_str(), guard.status.as_str()), ("server_group", "creating"));
        assert_eq!(case.id, "scenario/probe");
        assert_eq!(case.operation, "startProtectionGroup");
    }

    #[test]
    fn malformed_yaml_and_unknown_keys_name_the_file_and_line() {
        let err = parsed("steps:\n  - request: [unclosed\n").unwrap_err().to_string();
        assert!(err.starts_with("cases/probe.yaml:"), "{err}");
        let err = parsed("steps:\n  - request:\n      operation: listProtectionGroups\n      retries: 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cases/probe.yaml:4:") && err.contains("retries"), "{err}");
    }

    #[test]
    fn unknown_operations_and_empty_flows_are_refused() {
        let err = parsed("steps:\n  - request: {operation: listProtectionGroup}\n").unwrap_err().to_string();
        assert!(err.contains("unknown operation `listProtectionGroup`"), "{err}");
        assert!(err.contains("did you mean"), "{err}");
        let err = parsed("steps: []\n").unwrap_err().to_string();
        assert!(err.contains("at least one step"), "{err}");
    }
}
