//! The wire form of an answer (status, content type, body bytes), and the faults that bend an
//! answer on its way out: statuses, content types, bodies, error codes and error shapes. The
//! legal variants bend it here too, through `legal`.

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::{legal, Reply};
use crate::emulator::errors::{self, ApiError, ApiResult};
use crate::emulator::router::Route;
use crate::emulator::state::State;
use crate::emulator::Fault;

const JSON: &str = "application/json;charset=UTF-8";

/// Invalid requests and unknown groups, instances, pairs and drills: the codes replaced under
/// the fault `error-code-not-in-table`.
const REPLACED: [&str; 5] = ["SDRS.0201", "SDRS.1013", "SDRS.1320", "SDRS.1608", "SDRS.1902"];

/// What the fault `non-json-body` answers instead of JSON.
const HTML: &str = "<!DOCTYPE html><html><head><title>SDRS</title></head><body><h1>Quotas</h1></body></html>";

/// An answer as it goes on the wire.
pub(super) struct Wire {
    status: u16,
    /// None: no body.
    content_type: Option<&'static str>,
    body: Vec<u8>,
    headers: Vec<(&'static str, &'static str)>,
}

impl Wire {
    fn json(status: u16, body: &Value) -> Wire {
        Wire { status, content_type: Some(JSON), body: body.to_string().into_bytes(), headers: Vec::new() }
    }

    fn empty(status: u16) -> Wire {
        Wire { status, content_type: None, body: Vec::new(), headers: Vec::new() }
    }

    /// The answer to a GET throttled by the variant `retry-after`: 429, `Retry-After: 0`.
    pub(super) fn throttled() -> Wire {
        let mut wire = Wire::json(429, &legal::throttled_body());
        wire.headers.push(("Retry-After", "0"));
        wire
    }

    /// The wiremock answer, with its `X-Request-Id`.
    pub(super) fn template(self, request_id: &str) -> ResponseTemplate {
        let template = ResponseTemplate::new(self.status);
        let template = match self.content_type {
            Some(content_type) => template.set_body_raw(self.body, content_type),
            None => template,
        };
        let template = self.headers.into_iter().fold(template, |t, (name, value)| t.insert_header(name, value));
        template.insert_header("X-Request-Id", request_id)
    }

    /// The same answer with the headers and content type of the legal variants.
    pub(super) fn bent(mut self, state: &mut State) -> Wire {
        if self.content_type == Some(JSON) {
            self.content_type = Some(legal::content_type(state, JSON));
        }
        self.headers.extend(legal::headers(state));
        self
    }
}

/// The wire form of a handler's result for `route` (None: the request was not routed).
pub(super) fn answer(state: &mut State, route: Option<Route>, result: ApiResult<Reply>) -> Wire {
    match result {
        Ok(reply) => success(state, route, reply),
        Err(error) => failure(state, route, error),
    }
}

fn success(state: &mut State, route: Option<Route>, reply: Reply) -> Wire {
    let on = |fault: Fault, at: Route| route == Some(at) && state.faulty(fault);
    let Reply { mut status, mut body } = reply;
    if on(Fault::ErrorStatus5xx, Route::ListDrills) {
        return failure(state, route, ApiError::Sdrs("SDRS.0013"));
    }
    if on(Fault::UndocumentedStatus, Route::ShowGroup) || on(Fault::AsyncWriteWrongStatus, Route::CreatePair) {
        status = 201;
    }
    if on(Fault::AsyncWriteWithoutJobId, Route::CreateGroup) {
        body = Some(json!({}));
    }
    let Some(mut body) = body else {
        return Wire::empty(status);
    };
    if state.faulty(Fault::JobBadIdFormat) {
        numeric_job_ids(&mut body);
    }
    legal::body(state, &mut body);
    let mut wire = Wire::json(status, &body);
    if on(Fault::WrongContentType, Route::ShowInstance) {
        wire.content_type = Some("text/plain;charset=UTF-8");
    }
    if on(Fault::TruncatedBody, Route::ListGroups) {
        wire.body.truncate(wire.body.len() / 2);
    }
    if on(Fault::NonJsonBody, Route::Quotas) {
        wire.content_type = Some("text/html;charset=UTF-8");
        wire.body = HTML.as_bytes().to_vec();
    }
    wire
}

fn failure(state: &mut State, route: Option<Route>, mut error: ApiError) -> Wire {
    if state.faulty(Fault::WrongRefusalCode) && matches!(error, ApiError::State(_)) {
        error = ApiError::Sdrs("SDRS.0201");
    }
    let (mut status, mut body) = error.render();
    if let Some(mut code) = error.code() {
        let mut message = errors::lookup(code).1;
        if state.faulty(Fault::ErrorCodeNotInTable) && REPLACED.contains(&code) {
            code = "SDRS.9999";
            message = "Unknown error".into();
        }
        if state.faulty(Fault::ErrorCodeWrongStatus) && code == "SDRS.0201" {
            status = 409;
        }
        status = legal::error_status(state, route, code, status);
        body = if state.faulty(Fault::ErrorBodyUnwrapped) {
            json!({ "code": code, "message": message })
        } else {
            legal::envelope(state, status, code, &message)
        };
    }
    if status == 400 && state.faulty(Fault::ErrorBodyEmpty) {
        return Wire::empty(status);
    }
    legal::body(state, &mut body);
    Wire::json(status, &body)
}

/// Turns every decimal `job_id` string into a JSON number (fault `job-bad-id-format`).
fn numeric_job_ids(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let number = match child {
                    Value::String(s) if key == "job_id" => s.parse::<u64>().ok(),
                    _ => None,
                };
                match number {
                    Some(n) => *child = json!(n),
                    None => numeric_job_ids(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(numeric_job_ids),
        _ => {}
    }
}
