//! Error answers: the A.1 table (`specs/errors.yaml`, embedded) and the wire shapes of errors.
//!
//! A wrapped error's HTTP status is always the code's status in the table; the key is
//! `badrequest` for 400, `itemNotFound` for 404 and `error` otherwise.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{json, Value};

const ERRORS_YAML: &str = include_str!("../../specs/errors.yaml");

#[derive(Deserialize)]
struct Table {
    codes: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    code: String,
    status: u16,
    message: String,
}

fn table() -> &'static HashMap<String, (u16, String)> {
    static TABLE: OnceLock<HashMap<String, (u16, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: Table = serde_yaml_ng::from_str(ERRORS_YAML).expect("specs/errors.yaml parses");
        table.codes.into_iter().map(|r| (r.code, (r.status, r.message))).collect()
    })
}

/// The HTTP status and English message of an A.1 code (500 and the code itself if unknown).
pub fn lookup(code: &str) -> (u16, String) {
    table().get(code).cloned().unwrap_or_else(|| (500, code.to_string()))
}

/// A refused request, rendered by [`ApiError::render`].
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
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
    pub fn render(&self) -> (u16, Value) {
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
    pub fn code(&self) -> Option<&'static str> {
        match self {
            ApiError::Sdrs(code) | ApiError::State(code) | ApiError::SdrsWithStatus(code, _) => Some(code),
            ApiError::Raw(..) => None,
        }
    }

    /// 401 from the API gateway, naming the reason (never a secret).
    pub fn unauthorized(reason: &str) -> ApiError {
        ApiError::Raw(
            401,
            json!({
                "error_code": "APIGW.0301",
                "error_msg": format!("Incorrect IAM authentication information: {reason}"),
            }),
        )
    }

    /// 404 from the API gateway for an unknown path.
    pub fn no_such_api() -> ApiError {
        ApiError::Raw(
            404,
            json!({
                "error_code": "APIGW.0101",
                "error_msg": "The API does not exist or has not been published in the environment",
            }),
        )
    }

    /// 405 from the API gateway for a known path with another method.
    pub fn method_not_allowed() -> ApiError {
        ApiError::Raw(405, json!({"error_code": "APIGW.0102", "error_msg": "Method not allowed"}))
    }
}

/// A wrapped error body: `{"<key>": {"code", "message"}}`, the key chosen by the status.
pub fn wrapped(status: u16, code: &str, message: &str) -> Value {
    let key = match status {
        400 => "badrequest",
        404 => "itemNotFound",
        _ => "error",
    };
    json!({ key: { "code": code, "message": message } })
}

/// The answer for an unknown job or failure-job ID: 400 SDRS.0408 ("Null job"), as the spec's
/// `x-sdrs-not-found` says (A.1 has no "job not found" code; the table lists SDRS.0408 as 500).
pub const UNKNOWN_JOB: ApiError = ApiError::SdrsWithStatus("SDRS.0408", 400);

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

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
