//! The cleanup ledger: before a create request the runner appends its intent, after the job the
//! id, after deletion that fact, one JSON object per line. `cleanup` replays it after a crash and
//! never deletes what the ledger does not name.

use super::Runner;
use crate::cases::template::Vars;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Unix milliseconds.
    pub at_ms: u64,
    /// Run id.
    pub run: String,
    /// `intent`, `created` or `deleted`.
    pub event: String,
    /// Case id (or `teardown`).
    #[serde(default)]
    pub case: String,
    /// Operation about to be sent (intents).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operation: String,
    /// Name prefix of what the case creates (intents).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Kind of the resource (`machine` is read too: ledgers of earlier versions).
    #[serde(default, alias = "machine", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Resource id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Job of an accepted creation (`job` events), so that cleanup can follow it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job_id: String,
    /// Endpoint and project, so that cleanup goes to the same place.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// Project id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_id: String,
}

/// Why a ledger file cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The file cannot be read.
    #[error("cannot read ledger {}: {source}", path.display())]
    Read {
        /// The ledger file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a ledger entry.
    #[error("{}:{line}: malformed ledger line: {source}", path.display())]
    Malformed {
        /// The ledger file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
}

/// An open ledger file.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Ledger {
    /// Opens (appending) or creates the ledger at `path`.
    pub fn open(path: &Path) -> std::io::Result<Ledger> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Ledger { path: path.to_path_buf(), file: Mutex::new(file) })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends and flushes one entry.
    pub fn append(&self, entry: &LedgerEntry) {
        let line = serde_json::to_string(entry).expect("ledger entry serializes");
        let mut f = self.file.lock().expect("ledger poisoned");
        if let Err(e) = writeln!(f, "{line}").and_then(|_| f.flush()) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write the cleanup ledger");
        }
    }

    /// Reads every entry of a ledger file; malformed lines are reported with their number.
    pub fn read(path: &Path) -> Result<Vec<LedgerEntry>, LedgerError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| LedgerError::Read { path: path.to_path_buf(), source })?;
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|source| LedgerError::Malformed {
                    path: path.to_path_buf(),
                    line: i + 1,
                    source,
                })
            })
            .collect()
    }

    /// The default ledger path, under the user's state directory.
    pub fn default_path() -> PathBuf {
        dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .unwrap_or_else(std::env::temp_dir)
            .join("sdrs-conformance")
            .join("ledger.jsonl")
    }
}

/// Resources a ledger says were created and not deleted, in creation order.
pub fn outstanding(entries: &[LedgerEntry]) -> Vec<(String, String, String, String)> {
    let mut out: Vec<(String, String, String, String)> = Vec::new();
    for e in entries {
        match e.event.as_str() {
            "created" if !out.iter().any(|(_, id, _, _)| *id == e.id) => {
                out.push((e.kind.clone(), e.id.clone(), e.endpoint.clone(), e.project_id.clone()))
            }
            "deleted" => out.retain(|(_, id, _, _)| *id != e.id),
            _ => {}
        }
    }
    out
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A ledger and what every entry of one run carries (run id, endpoint, project).
#[derive(Debug, Clone, Copy)]
pub struct LedgerStamp<'a> {
    /// The open ledger.
    pub ledger: &'a Ledger,
    /// Run id.
    pub run: &'a str,
    /// Endpoint the run is pointed at.
    pub endpoint: &'a str,
    /// Project id.
    pub project_id: &'a str,
}

impl LedgerStamp<'_> {
    fn entry(&self, event: &str) -> LedgerEntry {
        LedgerEntry {
            at_ms: now_ms(),
            run: self.run.to_owned(),
            event: event.into(),
            case: String::new(),
            operation: String::new(),
            prefix: String::new(),
            kind: String::new(),
            id: String::new(),
            job_id: String::new(),
            endpoint: self.endpoint.to_owned(),
            project_id: self.project_id.to_owned(),
        }
    }

    /// Records that `case` created the resource `id` of `kind`.
    pub fn created(&self, case: &str, kind: &str, id: &str) {
        let mut e = self.entry("created");
        e.case = case.into();
        e.kind = kind.into();
        e.id = id.into();
        self.ledger.append(&e);
    }

    /// Records that the resource `id` of `kind` is deleted.
    pub fn deleted(&self, kind: &str, id: &str) {
        let mut e = self.entry("deleted");
        e.kind = kind.into();
        e.id = id.into();
        self.ledger.append(&e);
    }
}

impl Runner {
    /// The run's ledger with its stamp, when it keeps one.
    pub(crate) fn ledger_stamp(&self) -> Option<LedgerStamp<'_>> {
        self.ledger.as_ref().map(|ledger| LedgerStamp {
            ledger,
            run: &self.run_id,
            endpoint: &self.target_info.endpoint,
            project_id: &self.target_info.project_id,
        })
    }

    pub(crate) fn ledger_enabled(&self) -> bool {
        self.ledger.is_some()
    }

    pub(crate) fn ledger_intent(&self, case: &str, operation: &str, vars: &Vars) {
        if let Some(s) = self.ledger_stamp() {
            let mut e = s.entry("intent");
            e.case = case.into();
            e.operation = operation.into();
            e.prefix = vars.get("prefix").and_then(Value::as_str).unwrap_or("").into();
            s.ledger.append(&e);
        }
    }

    pub(crate) fn ledger_created(&self, case: &str, kind: &str, id: &str) {
        if let Some(s) = self.ledger_stamp() {
            s.created(case, kind, id);
        }
    }

    pub(crate) fn ledger_job(&self, case: &str, operation: &str, job_id: &str) {
        if let Some(s) = self.ledger_stamp() {
            let mut e = s.entry("job");
            e.case = case.into();
            e.operation = operation.into();
            e.job_id = job_id.into();
            s.ledger.append(&e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(event: &str, id: &str) -> LedgerEntry {
        LedgerEntry {
            at_ms: 0,
            run: "r".into(),
            event: event.into(),
            case: "c".into(),
            operation: String::new(),
            prefix: String::new(),
            kind: "server_group".into(),
            id: id.into(),
            job_id: String::new(),
            endpoint: String::new(),
            project_id: String::new(),
        }
    }

    #[test]
    fn created_and_not_deleted_resources_are_outstanding() {
        let entries = vec![entry("created", "a"), entry("created", "b"), entry("deleted", "a")];
        let left: Vec<String> = outstanding(&entries).into_iter().map(|(_, id, _, _)| id).collect();
        assert_eq!(left, vec!["b".to_owned()]);
    }

    #[test]
    fn a_ledger_round_trips_and_names_a_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.jsonl");
        let l = Ledger::open(&path).unwrap();
        l.append(&entry("created", "x"));
        assert_eq!(Ledger::read(&path).unwrap().len(), 1);
        std::fs::write(&path, "{not json\n").unwrap();
        let err = Ledger::read(&path).unwrap_err();
        assert!(matches!(err, LedgerError::Malformed { line: 1, .. }), "{err:?}");
        assert!(err.to_string().contains("l.jsonl:1: malformed ledger line: "), "{err}");
    }

    #[test]
    fn a_missing_ledger_keeps_the_io_error_as_its_source() {
        let path = std::path::Path::new("/nonexistent/ledger.jsonl");
        let err = Ledger::read(path).unwrap_err();
        let io = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<std::io::Error>()).expect("an io error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(err.to_string(), format!("cannot read ledger /nonexistent/ledger.jsonl: {io}"));
    }

    #[test]
    fn a_ledger_line_of_an_earlier_version_names_the_kind_machine() {
        let old: LedgerEntry =
            serde_json::from_str(r#"{"at_ms":1,"run":"r","event":"created","machine":"server_group","id":"g"}"#)
                .unwrap();
        assert_eq!(old.kind, "server_group");
        let written = serde_json::to_value(&old).unwrap();
        assert_eq!(written["kind"], "server_group");
        assert!(written.get("machine").is_none());
    }
}
