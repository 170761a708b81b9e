//! Error answers: the A.1 table (`specs/errors.yaml`, embedded) and the wire shapes of errors.
//!
//! A wrapped error's HTTP status is always the code's status in the table; the key is
//! `badrequest` for 400, `itemNotFound` for 404 and `error` otherwise.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::EmulatorError;
use crate::spec::{ErrorTable, SpecError, SpecProblem, SpecSources, ERRORS_FILE};

/// The A.1 table as the emulator answers it: code -> (HTTP status, English message).
pub(super) type Codes = HashMap<String, (u16, String)>;

/// Parses an A.1 table (the text of `errors.yaml`; `origin` names it in problems). Every
/// problem is reported with its file and line, as `check-spec` reports it.
pub(super) fn parse_table(text: &str, origin: &str) -> Result<Codes, Vec<SpecProblem>> {
    let mut problems = Vec::new();
    match ErrorTable::parse(text, origin, &mut problems) {
        Some(table) if problems.is_empty() => {
            Ok(table.codes.into_iter().map(|r| (r.code, (r.status, r.message))).collect())
        }
        _ => Err(problems),
    }
}

/// The embedded table, parsed once per process.
fn embedded() -> &'static Result<Codes, Vec<SpecProblem>> {
    static TABLE: OnceLock<Result<Codes, Vec<SpecProblem>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let sources = SpecSources::embedded();
        let origin = sources.dir.join(ERRORS_FILE).display().to_string();
        parse_table(&sources.errors, &origin)
    })
}

/// Whether the embedded A.1 table is usable; the emulator refuses to start otherwise.
pub(super) fn check_table() -> Result<(), EmulatorError> {
    match embedded() {
        Ok(_) => Ok(()),
        Err(problems) => Err(EmulatorError::Spec(SpecError::Invalid(problems.clone()))),
    }
}

/// The HTTP status and English message of an A.1 code (500 and the code itself if unknown).
pub(super) fn lookup(code: &str) -> (u16, String) {
    embedded().as_ref().ok().and_then(|t| t.get(code)).cloned().unwrap_or_else(|| (500, code.to_string()))
}

/// A refused request, rendered by [`ApiError::render`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ApiError {
    /// An A.1 code: status and message from the table, wrapped body.
    Sdrs(&'static str),
    /// An A.1 code answered with another HTTP status than the table's, where the spec says so
    /// (`x-sdrs-not-found`); message from the table, wrapped body.
    SdrsWithStatus(&'static str, u16),
    /// An A.1 code refusing an action because of a resource's state (a precondition); rendered
    /// as [`ApiError::Sdrs`].
    State(&'static str),
    /// A raw answer (API gateway errors): status and body as given.
    Raw(u16, Value),
}

impl ApiError {
    /// The HTTP status and JSON body of this error.
    pub(super) fn render(&self) -> (u16, Value) {
        match self {
            ApiError::Sdrs(code) | ApiError::State(code) => {
                let (status, _) = lookup(code);
                ApiError::SdrsWithStatus(code, status).render()
            }
            ApiError::SdrsWithStatus(code, status) => {
                let (_, message) = lookup(code);
                (*status, wrapped(*status, code, &message))
            }
            ApiError::Raw(status, body) => (*status, body.clone()),
        }
    }

    /// The A.1 code of this error (None for raw gateway answers).
    pub(super) fn code(&self) -> Option<&'static str> {
        match self {
            ApiError::Sdrs(code) | ApiError::State(code) | ApiError::SdrsWithStatus(code, _) => Some(code),
            ApiError::Raw(..) => None,
        }
    }

    /// 401 from the API gateway, naming the reason (never a secret).
    pub(super) fn unauthorized(reason: &str) -> ApiError {
        ApiError::Raw(
            401,
            json!({
                "error_code": "APIGW.0301",
                "error_msg": format!("Incorrect IAM authentication information: {reason}"),
            }),
        )
    }

    /// 404 from the API gateway for an unknown path.
    pub(super) fn no_such_api() -> ApiError {
        ApiError::Raw(
            404,
            json!({
                "error_code": "APIGW.0101",
                "error_msg": "The API does not exist or has not been published in the environment",
            }),
        )
    }

    /// 405 from the API gateway for a known path with another method.
    pub(super) fn method_not_allowed() -> ApiError {
        ApiError::Raw(405, json!({"error_code": "APIGW.0102", "error_msg": "Method not allowed"}))
    }
}

/// A wrapped error body: `{"<key>": {"code", "message"}}`, the key chosen by the status.
pub(super) fn wrapped(status: u16, code: &str, message: &str) -> Value {
    let key = match status {
        400 => "badrequest",
        404 => "itemNotFound",
        _ => "error",
    };
    json!({ key: { "code": code, "message": message } })
}

/// The answer for an unknown job or failure-job ID: 400 SDRS.0408 ("Null job"), as the spec's
/// `x-sdrs-not-found` says (A.1 has no "job not found" code; the table lists SDRS.0408 as 500).
pub(super) const UNKNOWN_JOB: ApiError = ApiError::SdrsWithStatus("SDRS.0408", 400);

/// Shorthand for handler results.
pub(super) type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_is_usable() {
        assert!(check_table().is_ok());
        assert_eq!(lookup("SDRS.0201").0, 400);
        assert_eq!(lookup("SDRS.NOPE"), (500, "SDRS.NOPE".to_string()));
    }

    #[test]
    fn a_broken_table_is_an_error_with_file_and_line_not_a_panic() {
        let text = "codes:\n  - code: SDRS.0201\n    status: 400\n    message: Invalid request\n  - code: SDRS.0202\n    status: [400]\n";
        let problems = parse_table(text, "specs/errors.yaml").unwrap_err();
        let shown = EmulatorError::Spec(SpecError::Invalid(problems)).to_string();
        assert!(shown.contains("specs/errors.yaml:6"), "{shown}");
        let duplicate =
            "codes:\n  - {code: SDRS.0201, status: 400, message: a}\n  - {code: SDRS.0201, status: 400, message: b}\n";
        let problems = parse_table(duplicate, "e.yaml").unwrap_err();
        assert!(problems[0].to_string().contains("duplicate code SDRS.0201"), "{problems:?}");
        assert_eq!(parse_table("codes: []\n", "e.yaml").map(|t| t.len()), Ok(0));
    }

    #[test]
    fn statuses_and_keys_follow_the_table() {
        let (status, body) = ApiError::Sdrs("SDRS.2206").render();
        assert_eq!(status, 404);
        assert_eq!(body["itemNotFound"]["code"], "SDRS.2206");
        let (status, body) = ApiError::Sdrs("SDRS.1013").render();
        assert_eq!(status, 400);
        assert_eq!(body["badrequest"]["message"], "Protection group not found");
    }
}
