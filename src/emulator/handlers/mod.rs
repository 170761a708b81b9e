//! Request handling: clock tick, routing, credentials, project check, then one handler per
//! operation (one file per resource family), then the wire form of the answer. Every answer
//! carries an `X-Request-Id`; JSON answers are `application/json;charset=UTF-8`; 204 answers
//! have no body. The legal variants bend answers in `legal` (throttled GETs before anything
//! else), the faults in `wire`.

mod drills;
mod groups;

/// The operation each key of a protection-group action body names (the emulator checks at start
/// that `states.yaml` has actions for each).
pub(super) use groups::ACTION_KEYS as GROUP_ACTION_KEYS;
mod instance_actions;
mod instances;
mod legal;
mod misc;
mod pairs;
mod resource;
mod rpo;
mod tags;
mod task_center;
mod wire;

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use super::auth;
use super::errors::{ApiError, ApiResult};
use super::jobs;
use super::model::Kind;
use super::router::{self, Route, Routed};
use super::state::State;
use super::validate::{self, Object};
use super::{Fault, Variant};
use crate::signing::SignableRequest;

/// What a handler sees of a request.
pub(super) struct Ctx<'a> {
    /// Decoded template values after the project ID (or all of them for unversioned routes).
    pub params: Vec<String>,
    /// Decoded query pairs, in order.
    pub query: &'a [(String, String)],
    /// The exact body.
    pub body: &'a [u8],
    /// The `Host` header (for version links).
    pub host: String,
}

impl Ctx<'_> {
    /// Template value `i` (after the project ID).
    pub(super) fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }
}

/// A successful answer.
pub(super) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    /// 200 with a JSON body.
    pub(super) fn ok(body: Value) -> Reply {
        Reply { status: 200, body: Some(body) }
    }

    /// 200 `{"job_id": ...}`.
    pub(super) fn job(job_id: String) -> Reply {
        Reply::ok(json!({ "job_id": job_id }))
    }

    /// 202 `{"job_id": ...}`.
    pub(super) fn accepted(job_id: String) -> Reply {
        Reply { status: 202, body: Some(json!({ "job_id": job_id })) }
    }

    /// 204 without a body.
    pub(super) fn no_content() -> Reply {
        Reply { status: 204, body: None }
    }
}

/// Answers one request.
pub(super) fn handle(state: &mut State, request: &wiremock::Request) -> ResponseTemplate {
    state.advance(1);
    jobs::tick(state);
    let request_id = state.hex32();
    let target = format!("{}?{}", request.url.path(), request.url.query().unwrap_or(""));
    if legal::throttles(state, request.method.as_str(), &target) {
        return wire::Wire::throttled().bent(state).template(&request_id);
    }
    let mut route = None;
    let result = dispatch(state, request, &mut route);
    wire::answer(state, route, result).bent(state).template(&request_id)
}

fn dispatch(state: &mut State, request: &wiremock::Request, routed: &mut Option<Route>) -> ApiResult<Reply> {
    let method = request.method.as_str().to_string();
    let path = request.url.path().to_string();
    let query: Vec<(String, String)> =
        request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let (route, mut params) = match router::route(&method, &path) {
        Routed::Found(route, params) => (route, params),
        Routed::MethodNotAllowed => return Err(ApiError::method_not_allowed()),
        Routed::NotFound => return Err(ApiError::no_such_api()),
    };
    *routed = Some(route);
    let versioned = !matches!(route, Route::ListVersions | Route::ShowVersion);
    if versioned {
        auth::authenticate(
            state,
            &SignableRequest { method: &method, path: &path, query: &query, headers: &headers, body: &request.body },
        )?;
        let project = params.remove(0);
        auth::check_project(state, &project)?;
    }
    let host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "127.0.0.1".into());
    let ctx = Ctx { params, query: &query, body: &request.body, host };
    route_to(state, route, &ctx)
}

fn route_to(state: &mut State, route: Route, ctx: &Ctx) -> ApiResult<Reply> {
    use Route::*;
    match route {
        ListVersions => misc::list_versions(state, ctx),
        ShowVersion => misc::show_version(state, ctx),
        ShowJob => misc::show_job(state, ctx),
        ActiveDomains => misc::active_domains(state),
        Quotas => misc::quotas(state),
        StartDisasterRecovery => misc::start_disaster_recovery(ctx),
        ListFailureJobs => task_center::list(state, ctx),
        DeleteFailureJob => task_center::delete_one(state, ctx),
        DeleteAllFailureJobs => task_center::delete_all(state),
        DeleteGroupFailureJobs => task_center::delete_in_group(state, ctx),
        CreateGroup => groups::create(state, ctx),
        ListGroups => groups::list(state, ctx),
        ShowGroup => groups::show(state, ctx),
        DeleteGroup => groups::delete(state, ctx),
        UpdateGroup => groups::update(state, ctx),
        GroupAction => groups::action(state, ctx),
        CreateInstance => instances::create(state, ctx),
        ListInstances => instances::list(state, ctx),
        ShowInstance => instances::show(state, ctx),
        DeleteInstance => instances::delete(state, ctx),
        UpdateInstance => instances::update(state, ctx),
        AttachPair => instance_actions::attach(state, ctx),
        DetachPair => instance_actions::detach(state, ctx),
        AddNic => instance_actions::add_nic(state, ctx),
        DeleteNic => instance_actions::delete_nic(state, ctx),
        Resize => instance_actions::resize(state, ctx),
        BatchCreateInstances => instances::batch_create(state, ctx),
        BatchDeleteInstances => instances::batch_delete(state, ctx),
        CreatePair => pairs::create(state, ctx),
        ListPairs => pairs::list(state, ctx),
        ShowPair => pairs::show(state, ctx),
        DeletePair => pairs::delete(state, ctx),
        UpdatePair => pairs::update(state, ctx),
        ExpandPair => pairs::expand(state, ctx),
        CreateDrill => drills::create(state, ctx),
        ListDrills => drills::list(state, ctx),
        ShowDrill => drills::show(state, ctx),
        DeleteDrill => drills::delete(state, ctx),
        UpdateDrill => drills::update(state, ctx),
        QueryByTags => tags::query(state, ctx),
        TagsAction => tags::batch_action(state, ctx),
        CreateTag => tags::create(state, ctx),
        ListTags => tags::list(state, ctx),
        DeleteTag => tags::delete(state, ctx),
        ProjectTags => tags::project_tags(state),
        ListRpoStatistics => rpo::list(state, ctx),
    }
}

/// The group with this ID, or 400 SDRS.1013.
pub(super) fn existing_group<'s>(state: &'s State, id: &str) -> ApiResult<&'s super::model::Group> {
    state.store.group(id).ok_or(ApiError::Sdrs(Kind::Group.not_found()))
}

/// The instance with this ID, or 400 SDRS.1320.
pub(super) fn existing_instance<'s>(state: &'s State, id: &str) -> ApiResult<&'s super::model::Instance> {
    state.store.instance(id).ok_or(ApiError::Sdrs(Kind::Instance.not_found()))
}

/// The pair with this ID, or 400 SDRS.1608.
pub(super) fn existing_pair<'s>(state: &'s State, id: &str) -> ApiResult<&'s super::model::Pair> {
    state.store.pair(id).ok_or(ApiError::Sdrs(Kind::Pair.not_found()))
}

/// The optional description of a create body (SDRS.0212); under the fault
/// `invalid-input-accepted`, `<` and `>` are let through (the length is still checked).
pub(super) fn checked_description(state: &State, map: &Object) -> ApiResult<Option<String>> {
    if !state.faulty(Fault::InvalidInputAccepted) {
        return validate::description(map);
    }
    let value = validate::opt_string(map, "description", "SDRS.0212")?;
    if value.as_ref().is_some_and(|d| d.len() > 64) {
        return Err(ApiError::Sdrs("SDRS.0212"));
    }
    Ok(value)
}

/// The value of the list filter `name` when it is one of `allowed`; another value is refused
/// with `code`, or ignored (None) under the variant `ignore-unknown-filters`.
pub(super) fn enum_filter<'q>(
    state: &State,
    ctx: &Ctx<'q>,
    name: &str,
    allowed: &[&str],
    code: &'static str,
) -> ApiResult<Option<&'q str>> {
    match validate::query(ctx.query, name) {
        Some(value) if !allowed.contains(&value) => {
            if state.varies(Variant::IgnoreUnknownFilters) {
                Ok(None)
            } else {
                Err(ApiError::Sdrs(code))
            }
        }
        value => Ok(value),
    }
}

/// `limit` and `offset` of a list, bent by the faults `limit-not-validated`, `limit-ignored`
/// and `offset-ignored`.
pub(super) fn paging(state: &State, ctx: &Ctx) -> ApiResult<(usize, usize)> {
    let (mut limit, mut offset) = if state.faulty(Fault::LimitNotValidated) {
        validate::paging_within(ctx.query, i64::MAX)?
    } else {
        validate::paging(ctx.query)?
    };
    if state.faulty(Fault::LimitIgnored) {
        limit = usize::MAX;
    }
    if state.faulty(Fault::OffsetIgnored) {
        offset = 0;
    }
    Ok((limit, offset))
}

/// The `count` of a list of `matching` items (one too many under the fault `count-wrong`).
pub(super) fn count(state: &State, matching: usize) -> usize {
    matching + usize::from(state.faulty(Fault::CountWrong))
}
