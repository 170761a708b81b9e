//! Tags of protected instances (5.8.x): query instances by tags, batch create and delete, add,
//! list and delete one tag, and the project's tag keys with their values.

use serde_json::{json, Value};

use super::{existing_instance, instances, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::model::Instance;
use crate::emulator::state::State;
use crate::emulator::validate::{self, Object};
use crate::emulator::Fault;

const MAX_TAGS: usize = 10;

/// One tag filter of the query by tags.
struct TagFilter {
    key: String,
    values: Vec<String>,
}

impl TagFilter {
    fn matches(&self, instance: &Instance) -> bool {
        instance.tags.iter().any(|(k, v)| *k == self.key && (self.values.is_empty() || self.values.contains(v)))
    }
}

fn tag_filters(body: &Object, field: &str) -> ApiResult<Option<Vec<TagFilter>>> {
    let items = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::Sdrs("SDRS.0201")),
    };
    if items.len() > 10 {
        return Err(ApiError::Sdrs("SDRS.2203"));
    }
    let mut filters: Vec<TagFilter> = Vec::new();
    for item in items {
        let item = item.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        let key = match item.get("key") {
            Some(Value::String(k)) if !k.trim().is_empty() => k.clone(),
            None | Some(Value::Null) | Some(Value::String(_)) => return Err(ApiError::Sdrs("SDRS.2205")),
            Some(_) => return Err(ApiError::Sdrs("SDRS.2204")),
        };
        if key.chars().count() > 127 {
            return Err(ApiError::Sdrs("SDRS.2204"));
        }
        let raw = item.get("values").and_then(Value::as_array).ok_or(ApiError::Sdrs("SDRS.0201"))?;
        if raw.len() > 10 {
            return Err(ApiError::Sdrs("SDRS.2218"));
        }
        let mut values: Vec<String> = Vec::new();
        for v in raw {
            let v = v.as_str().ok_or(ApiError::Sdrs("SDRS.2208"))?;
            if v.chars().count() > 255 || v == "*" {
                return Err(ApiError::Sdrs("SDRS.2207"));
            }
            if values.iter().any(|x| x == v) {
                return Err(ApiError::Sdrs("SDRS.2219"));
            }
            values.push(v.to_string());
        }
        if filters.iter().any(|f| f.key == key) {
            return Err(ApiError::Sdrs("SDRS.2209"));
        }
        filters.push(TagFilter { key, values });
    }
    Ok(Some(filters))
}

fn name_matches(body: &Object) -> ApiResult<Vec<String>> {
    let items = match body.get("matches") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::Sdrs("SDRS.2212")),
    };
    let mut keys: Vec<String> = Vec::new();
    let mut values = Vec::new();
    for item in items {
        let item = item.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        let key = match item.get("key") {
            Some(Value::String(k)) if !k.is_empty() => k.clone(),
            None | Some(Value::Null) | Some(Value::String(_)) => return Err(ApiError::Sdrs("SDRS.2213")),
            Some(_) => return Err(ApiError::Sdrs("SDRS.2214")),
        };
        if key != "resource_name" {
            return Err(ApiError::Sdrs("SDRS.2214"));
        }
        let value = match item.get("value") {
            Some(Value::String(v)) => v.clone(),
            _ => return Err(ApiError::Sdrs("SDRS.2216")),
        };
        if value.chars().count() > 255 {
            return Err(ApiError::Sdrs("SDRS.2217"));
        }
        if keys.contains(&key) {
            return Err(ApiError::Sdrs("SDRS.2215"));
        }
        keys.push(key);
        values.push(value);
    }
    Ok(values)
}

fn digits(value: Option<&Value>, code: &'static str) -> ApiResult<Option<usize>> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
            s.parse().map(Some).map_err(|_| ApiError::Sdrs(code))
        }
        Some(_) => Err(ApiError::Sdrs(code)),
    }
}

/// POST /v1/{project_id}/protected-instances/resource_instances/action
pub(super) fn query(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let action = match body.get("action") {
        Some(Value::String(a)) if a == "filter" || a == "count" => a.clone(),
        _ => return Err(ApiError::Sdrs("SDRS.2210")),
    };
    if action == "count" && (body.contains_key("limit") || body.contains_key("offset")) {
        return Err(ApiError::Sdrs("SDRS.2211"));
    }
    let limit = digits(body.get("limit"), "SDRS.2220")?.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::Sdrs("SDRS.2220"));
    }
    let offset = digits(body.get("offset"), "SDRS.0222")?.unwrap_or(0);
    let all = tag_filters(&body, "tags")?;
    let any = tag_filters(&body, "tags_any")?;
    let not_all = tag_filters(&body, "not_tags")?;
    let not_any = tag_filters(&body, "not_tags_any")?;
    let names = name_matches(&body)?;
    let matching: Vec<&Instance> = state
        .store
        .instances
        .iter()
        .filter(|i| all.as_ref().is_none_or(|f| f.iter().all(|f| f.matches(i))))
        .filter(|i| any.as_ref().is_none_or(|f| f.is_empty() || f.iter().any(|f| f.matches(i))))
        .filter(|i| not_all.as_ref().is_none_or(|f| f.is_empty() || !f.iter().all(|f| f.matches(i))))
        .filter(|i| not_any.as_ref().is_none_or(|f| !f.iter().any(|f| f.matches(i))))
        .filter(|i| names.iter().all(|n| validate::fuzzy(&i.name, n)))
        .collect();
    let total = matching.len();
    if action == "count" {
        return Ok(Reply::ok(json!({ "total_count": total })));
    }
    let resources: Vec<Value> = validate::page(matching, limit, offset)
        .into_iter()
        .map(|i| {
            json!({
                "resource_id": i.id,
                "resource_name": i.name,
                "resource_detail": instances::to_json(state, i),
                "tags": tags_json(i),
            })
        })
        .collect();
    Ok(Reply::ok(json!({ "resources": resources, "total_count": total })))
}

fn tags_json(instance: &Instance) -> Vec<Value> {
    instance.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect()
}

fn upsert(tags: &mut Vec<(String, String)>, key: String, value: String) -> ApiResult<()> {
    if let Some(existing) = tags.iter_mut().find(|(k, _)| *k == key) {
        existing.1 = value;
        return Ok(());
    }
    if tags.len() >= MAX_TAGS {
        return Err(ApiError::Sdrs("SDRS.2203"));
    }
    tags.push((key, value));
    Ok(())
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/tags/action
pub(super) fn batch_action(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let mut tags = existing_instance(state, ctx.param(0))?.tags.clone();
    let body = validate::body(ctx.body, true)?;
    let action = match body.get("action") {
        Some(Value::String(a)) if a == "create" || a == "delete" => a.clone(),
        _ => return Err(ApiError::Sdrs("SDRS.2201")),
    };
    let items = match body.get("tags") {
        None | Some(Value::Null) => return Err(ApiError::Sdrs("SDRS.2202")),
        Some(Value::Array(items)) if items.is_empty() => return Err(ApiError::Sdrs("SDRS.2202")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::Sdrs("SDRS.0201")),
    };
    if action == "create" {
        for (key, value) in validate::tag_list(&Value::Array(items.clone()))? {
            upsert(&mut tags, key, value)?;
        }
    } else {
        let mut seen: Vec<String> = Vec::new();
        let mut removals = Vec::new();
        for item in items {
            let item = item.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
            let key = match item.get("key") {
                Some(Value::String(k)) if !k.trim().is_empty() => k.clone(),
                _ => return Err(ApiError::Sdrs("SDRS.2205")),
            };
            if key.chars().count() > 36 {
                return Err(ApiError::Sdrs("SDRS.2204"));
            }
            let value = match item.get("value") {
                None => None,
                Some(Value::String(v)) if v.chars().count() > 43 => return Err(ApiError::Sdrs("SDRS.2207")),
                Some(Value::String(v)) => Some(v.clone()),
                Some(_) => return Err(ApiError::Sdrs("SDRS.2208")),
            };
            if seen.contains(&key) {
                return Err(ApiError::Sdrs("SDRS.2209"));
            }
            seen.push(key.clone());
            removals.push((key, value));
        }
        for (key, value) in removals {
            tags.retain(|(k, v)| !(*k == key && value.as_ref().is_none_or(|want| want == v)));
        }
    }
    store(state, ctx.param(0), tags);
    Ok(Reply::no_content())
}

/// Stores an instance's new tags (nothing under the fault `tag-not-stored`).
fn store(state: &mut State, instance_id: &str, tags: Vec<(String, String)>) {
    if state.faulty(Fault::TagNotStored) {
        return;
    }
    if let Some(instance) = state.store.instance_mut(instance_id) {
        instance.tags = tags;
    }
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/tags
pub(super) fn create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let mut tags = existing_instance(state, ctx.param(0))?.tags.clone();
    let body = validate::body(ctx.body, true)?;
    let tag = validate::object(&body, "tag", "SDRS.0201")?;
    let key = validate::tag_key(tag.get("key"))?;
    let value = validate::tag_value(tag.get("value"))?;
    upsert(&mut tags, key, value)?;
    store(state, ctx.param(0), tags);
    Ok(Reply::no_content())
}

/// GET /v1/{project_id}/protected-instances/{protected_instance_id}/tags
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?;
    Ok(Reply::ok(json!({ "tags": tags_json(instance) })))
}

/// DELETE /v1/{project_id}/protected-instances/{protected_instance_id}/tags/{key}
pub(super) fn delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let mut tags = existing_instance(state, ctx.param(0))?.tags.clone();
    let key = ctx.param(1);
    if key.trim().is_empty() {
        return Err(ApiError::Sdrs("SDRS.2205"));
    }
    let before = tags.len();
    tags.retain(|(k, _)| k != key);
    if tags.len() == before {
        return Err(ApiError::Sdrs("SDRS.2206"));
    }
    store(state, ctx.param(0), tags);
    Ok(Reply::no_content())
}

/// GET /v1/{project_id}/protected-instances/tags
pub(super) fn project_tags(state: &mut State) -> ApiResult<Reply> {
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in state.store.instances.iter().flat_map(|i| &i.tags) {
        match keys.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) if !values.contains(value) => values.push(value.clone()),
            Some(_) => {}
            None => keys.push((key.clone(), vec![value.clone()])),
        }
    }
    let tags: Vec<Value> = keys.into_iter().map(|(key, values)| json!({"key": key, "values": values})).collect();
    Ok(Reply::ok(json!({ "tags": tags })))
}
