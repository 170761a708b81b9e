//! The dashboard's RPO-exceeded trend records (`GET /v1/{project_id}/resource/rpo-statistics`,
//! documented outside the seeds): the world's seeded records, filtered by period and type.

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use super::{count, paging, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::state::State;
use crate::emulator::validate;
use crate::emulator::world::{parse_rpo_time, RpoRecord};

/// The only documented `resource_type`.
const RESOURCE_TYPES: &[&str] = &["replication"];

fn to_json(r: &RpoRecord) -> Value {
    json!({
        "id": r.id,
        "point_time": r.point_time,
        "resource_num": r.resource_num,
        "resource_type": r.resource_type,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

/// A `start_time`/`end_time` bound; a value that is not a time is refused with SDRS.0201.
fn bound(ctx: &Ctx, key: &str) -> ApiResult<Option<NaiveDateTime>> {
    match validate::query(ctx.query, key) {
        None => Ok(None),
        Some(text) => parse_rpo_time(text).map(Some).ok_or(ApiError::Sdrs("SDRS.0201")),
    }
}

/// GET /v1/{project_id}/resource/rpo-statistics: records whose point time lies within
/// [start_time, end_time] (both optional), of the type asked for; `count` is the number of all
/// matches, as for the other lists.
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let (limit, offset) = paging(state, ctx)?;
    let start = bound(ctx, "start_time")?;
    let end = bound(ctx, "end_time")?;
    let resource_type = validate::query(ctx.query, "resource_type");
    if resource_type.is_some_and(|t| !RESOURCE_TYPES.contains(&t)) {
        return Err(ApiError::Sdrs("SDRS.0201"));
    }
    let matching: Vec<&RpoRecord> = state
        .world
        .rpo_statistics
        .iter()
        .filter(|r| resource_type.is_none_or(|t| r.resource_type == t))
        .filter(|r| {
            // The world's point times were checked when it was loaded.
            let Some(at) = parse_rpo_time(&r.point_time) else { return false };
            start.is_none_or(|s| at >= s) && end.is_none_or(|e| at <= e)
        })
        .collect();
    let count = count(state, matching.len());
    let items: Vec<Value> = validate::page(matching, limit, offset).into_iter().map(to_json).collect();
    Ok(Reply::ok(json!({ "resource_rpo_statistics": items, "count": count })))
}
