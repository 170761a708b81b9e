//! The legal variants that bend an answer on its way out (see `emulator::variants`): extra and
//! omitted keys, error envelopes, 404 for unknown path IDs, content types, throttled GETs and
//! closed connections. Each variant bends in one function here; with none switched on, every
//! function leaves the answer as it is.

use serde_json::{json, Value};

use crate::emulator::errors;
use crate::emulator::model::Kind;
use crate::emulator::router::Route;
use crate::emulator::state::State;
use crate::emulator::Variant;

/// The undocumented key the variant `extra-keys` adds to every object, and its value.
pub(super) const EXTRA_KEY: (&str, &str) = ("x_vendor_note", "an undocumented key (legal variant extra-keys)");

/// Keys whose objects hold data, not fields: nothing is added inside them.
const DATA_MAPS: [&str; 1] = ["metadata"];

/// Keys whose own object takes no extra key (its keys are judged as entities), though the
/// objects below it (sub jobs) do.
const ENTITY_MAPS: [&str; 1] = ["entities"];

/// How many GETs the variant `retry-after` serves for each one it throttles.
pub(super) const THROTTLE_EVERY: u64 = 5;

/// What the variant `retry-after` answers: the gateway's throttling code (429 in its table).
pub(super) fn throttled_body() -> Value {
    json!({"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"})
}

/// Whether this request is throttled (variant `retry-after`): every 5th GET, before anything
/// else happens, so that the retry finds the same state. Until the throttled request (`target`:
/// path and query) comes back, no other one is throttled, so that its retry is served.
pub(super) fn throttles(state: &mut State, method: &str, target: &str) -> bool {
    if !state.varies(Variant::RetryAfter) || !method.eq_ignore_ascii_case("GET") {
        return false;
    }
    if let Some(pending) = &state.throttled {
        if pending == target {
            state.throttled = None;
        }
        return false;
    }
    state.gets += 1;
    if state.gets % THROTTLE_EVERY != 0 {
        return false;
    }
    state.throttled = Some(target.to_owned());
    true
}

/// The JSON body as sent: empty fields omitted (`omit-empty`), then an extra key in every
/// object (`extra-keys`).
pub(super) fn body(state: &State, body: &mut Value) {
    if state.varies(Variant::OmitEmpty) {
        omit_empty(body, true);
    }
    // The count answer of the query by tags is the one answer the reference closes (5.8.1:
    // 禁止返回其他字段), so no legal server adds a key to it.
    let count_answer = body.as_object().is_some_and(|m| m.len() == 1 && m.contains_key("total_count"));
    if state.varies(Variant::ExtraKeys) && !count_answer {
        add_extra_key(body, true);
    }
}

/// Drops null members everywhere, and empty arrays and objects below the top level (the top
/// level holds the answer's own collections, such as an empty list of groups).
fn omit_empty(value: &mut Value, top: bool) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !is_empty(v, top));
            map.values_mut().for_each(|v| omit_empty(v, false));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| omit_empty(v, false)),
        _ => {}
    }
}

fn is_empty(value: &Value, top: bool) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => !top && items.is_empty(),
        Value::Object(map) => !top && map.is_empty(),
        _ => false,
    }
}

/// Adds [`EXTRA_KEY`] to `value` (when it is an object that takes one) and to every object
/// below it, except inside data maps.
fn add_extra_key(value: &mut Value, takes_one: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if !DATA_MAPS.contains(&key.as_str()) {
                    add_extra_key(child, !ENTITY_MAPS.contains(&key.as_str()));
                }
            }
            if takes_one {
                map.insert(EXTRA_KEY.0.into(), json!(EXTRA_KEY.1));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| add_extra_key(v, true)),
        _ => {}
    }
}

/// The body of an SDRS error: wrapped under the key its status gives, or under another key or
/// flat when variants say so (several of them are taken in turn, one per error answer).
pub(super) fn envelope(state: &mut State, status: u16, code: &str, message: &str) -> Value {
    let options =
        [Variant::FlatErrors, Variant::WrapperBadrequest, Variant::WrapperItemNotFound, Variant::WrapperError];
    let key = match state.in_turn(&options) {
        None => return errors::wrapped(status, code, message),
        Some(Variant::FlatErrors) => return json!({ "error_code": code, "error_msg": message }),
        Some(Variant::WrapperBadrequest) => "badrequest",
        Some(Variant::WrapperItemNotFound) => "itemNotFound",
        Some(_) => "error",
    };
    json!({ key: { "code": code, "message": message } })
}

/// The status of an error with `code` on `route`: 404 under `not-found-404` when the code says
/// that the resource the path names does not exist, else `status`.
pub(super) fn error_status(state: &State, route: Option<Route>, code: &str, status: u16) -> u16 {
    if state.varies(Variant::NotFound404) && route.and_then(path_resource_code) == Some(code) {
        404
    } else {
        status
    }
}

/// The not-found code of the resource a route names in its path, if it names one.
fn path_resource_code(route: Route) -> Option<&'static str> {
    use Route::*;
    match route {
        ShowGroup | DeleteGroup | UpdateGroup | GroupAction | DeleteGroupFailureJobs => Some(Kind::Group),
        ShowInstance | DeleteInstance | UpdateInstance | AttachPair | DetachPair | AddNic | DeleteNic | Resize
        | TagsAction | CreateTag | ListTags | DeleteTag => Some(Kind::Instance),
        ShowPair | DeletePair | UpdatePair | ExpandPair => Some(Kind::Pair),
        ShowDrill | DeleteDrill | UpdateDrill => Some(Kind::Drill),
        _ => None,
    }
    .map(Kind::not_found)
}

/// The content type of a JSON answer: `default`, or the variants' labels taken in turn.
pub(super) fn content_type(state: &mut State, default: &'static str) -> &'static str {
    match state.in_turn(&[Variant::PlainJsonContentType, Variant::SpacedCharset]) {
        None => default,
        Some(Variant::PlainJsonContentType) => "application/json",
        Some(_) => "application/json; charset=utf-8",
    }
}

/// Headers every answer carries under the variants (`connection-close`).
pub(super) fn headers(state: &State) -> Vec<(&'static str, &'static str)> {
    if state.varies(Variant::ConnectionClose) {
        vec![("Connection", "close")]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::EmulatorConfig;

    fn state(variants: &[Variant]) -> State {
        State::new(EmulatorConfig { variants: variants.to_vec(), ..EmulatorConfig::default() })
    }

    #[test]
    fn without_variants_nothing_bends() {
        let mut s = state(&[]);
        let mut answer = json!({"protected_instance": {"tags": [], "description": null}});
        let before = answer.clone();
        body(&s, &mut answer);
        assert_eq!(answer, before);
        assert_eq!(envelope(&mut s, 400, "SDRS.1013", "m"), errors::wrapped(400, "SDRS.1013", "m"));
        assert_eq!(error_status(&s, Some(Route::ShowGroup), "SDRS.1013", 400), 400);
        assert_eq!(content_type(&mut s, "x"), "x");
        assert!(headers(&s).is_empty());
        assert!(!(0..10).any(|_| throttles(&mut s, "GET", "/")));
    }

    #[test]
    fn extra_keys_go_everywhere_but_into_data_and_entity_maps() {
        let s = state(&[Variant::ExtraKeys]);
        let mut answer = json!({
            "status": "SUCCESS",
            "entities": {"server_group_id": "g", "sub_jobs": [{"entities": {"replication_pair_id": "r"}}]},
            "metadata": {"__system__frozen": "false"},
            "items": [{"id": "a"}, "text"],
        });
        body(&s, &mut answer);
        let extra = EXTRA_KEY.0;
        assert_eq!(answer[extra], EXTRA_KEY.1);
        assert!(answer["entities"].get(extra).is_none(), "{answer}");
        assert_eq!(answer["entities"]["sub_jobs"][0][extra], EXTRA_KEY.1);
        assert!(answer["entities"]["sub_jobs"][0]["entities"].get(extra).is_none(), "{answer}");
        assert!(answer["metadata"].get(extra).is_none(), "{answer}");
        assert_eq!(answer["items"][0][extra], EXTRA_KEY.1);
        assert_eq!(answer["items"][1], "text");
    }

    #[test]
    fn omit_empty_keeps_the_top_level_collections() {
        let s = state(&[Variant::OmitEmpty]);
        let mut answer = json!({
            "protected_instances": [{"id": "i", "tags": [], "metadata": {}, "description": null, "progress": 0}],
            "count": 0,
            "end_time": null,
            "server_groups": [],
        });
        body(&s, &mut answer);
        assert_eq!(
            answer,
            json!({"protected_instances": [{"id": "i", "progress": 0}], "count": 0, "server_groups": []})
        );
    }

    #[test]
    fn several_envelope_variants_take_turns() {
        let mut s = state(&[Variant::FlatErrors, Variant::WrapperError]);
        assert_eq!(envelope(&mut s, 400, "SDRS.0201", "m"), json!({"error_code": "SDRS.0201", "error_msg": "m"}));
        assert_eq!(envelope(&mut s, 400, "SDRS.0201", "m"), json!({"error": {"code": "SDRS.0201", "message": "m"}}));
        assert_eq!(envelope(&mut s, 400, "SDRS.0201", "m")["error_code"], "SDRS.0201");
        let mut s = state(&[Variant::WrapperItemNotFound]);
        assert!(envelope(&mut s, 400, "SDRS.0201", "m").get("itemNotFound").is_some());
    }

    #[test]
    fn only_the_path_resource_becomes_404() {
        let s = state(&[Variant::NotFound404]);
        assert_eq!(error_status(&s, Some(Route::ShowGroup), "SDRS.1013", 400), 404);
        assert_eq!(error_status(&s, Some(Route::DeleteTag), "SDRS.1320", 400), 404);
        // An unknown group named in a body is a bad request, not a missing path resource.
        assert_eq!(error_status(&s, Some(Route::CreateInstance), "SDRS.1013", 400), 400);
        assert_eq!(error_status(&s, Some(Route::AttachPair), "SDRS.1608", 400), 400);
        assert_eq!(error_status(&s, None, "SDRS.1013", 400), 400);
    }

    #[test]
    fn every_fifth_get_is_throttled_its_retry_served_and_writes_never() {
        let mut s = state(&[Variant::RetryAfter]);
        let seen: Vec<bool> = (0..4).map(|i| throttles(&mut s, "GET", &format!("/a/{i}"))).collect();
        assert_eq!(seen, [false, false, false, false]);
        assert!(throttles(&mut s, "GET", "/b"));
        // Others meanwhile are served, and not counted, until the throttled one comes back.
        assert!(!(0..10).any(|i| throttles(&mut s, "GET", &format!("/c/{i}"))));
        assert!(!throttles(&mut s, "GET", "/b"));
        let seen: Vec<bool> = (0..5).map(|i| throttles(&mut s, "GET", &format!("/d/{i}"))).collect();
        assert_eq!(seen, [false, false, false, false, true]);
        let mut s = state(&[Variant::RetryAfter]);
        assert!(!(0..10).any(|_| throttles(&mut s, "POST", "/b")));
    }

    #[test]
    fn content_types_and_headers_follow_their_variants() {
        let mut s = state(&[Variant::PlainJsonContentType, Variant::SpacedCharset, Variant::ConnectionClose]);
        assert_eq!(content_type(&mut s, "d"), "application/json");
        assert_eq!(content_type(&mut s, "d"), "application/json; charset=utf-8");
        assert_eq!(headers(&s), vec![("Connection", "close")]);
    }
}
