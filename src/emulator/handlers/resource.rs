//! The handlers every resource kind shares, written once: show (which still finds a deleted
//! resource a fault keeps), rename and list. What differs between kinds is data of [`Kind`]
//! (wrapper key, list key, not-found code) and the [`Served`] methods; a list's filters are a
//! closure of its handler.

use serde_json::{json, Value};

use super::{count, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::model::Kind;
use crate::emulator::state::State;
use crate::emulator::store::{Record, Store, Table};
use crate::emulator::validate;
use crate::emulator::Fault;

/// A record the generic handlers serve.
pub(super) trait Served: Record {
    /// The record's table in the store.
    fn table(store: &Store) -> &Table<Self>;
    /// The record's table in the store, mutable.
    fn table_mut(store: &mut Store) -> &mut Table<Self>;
    /// The record's JSON in show, rename and list answers.
    fn to_json(state: &State, record: &Self) -> Value;
    /// Told the IDs an answer showed (a group forgets the status it showed once).
    fn after_read(_state: &mut State, _ids: &[String]) {}
}

fn not_found(kind: Kind) -> ApiError {
    ApiError::Sdrs(kind.not_found())
}

/// GET of one resource: `{wrapper: record}`; a deleted record kept by a fault is still shown.
pub(super) fn show<R: Served>(state: &mut State, id: &str) -> ApiResult<Reply> {
    let record = R::table(&state.store).shown(id).ok_or(not_found(R::KIND))?;
    let key = R::KIND.wrapper();
    let reply = Reply::ok(json!({ key: R::to_json(state, record) }));
    R::after_read(state, &[id.to_string()]);
    Ok(reply)
}

/// PUT of one resource with `{wrapper: {"name": ...}}`: renames it and answers as [`show`]. Under
/// the fault `rename-not-kept` the answer has the new name but the store keeps the old one.
pub(super) fn rename<R: Served>(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let id = ctx.param(0);
    if R::table(&state.store).get(id).is_none() {
        return Err(not_found(R::KIND));
    }
    let key = R::KIND.wrapper();
    let name = validate::new_name(ctx.body, key)?;
    if state.faulty(Fault::RenameNotKept) {
        let mut renamed = R::table(&state.store).get(id).ok_or(not_found(R::KIND))?.clone();
        renamed.set_name(name);
        return Ok(Reply::ok(json!({ key: R::to_json(state, &renamed) })));
    }
    let now = state.now();
    let record = R::table_mut(&mut state.store).get_mut(id).ok_or(not_found(R::KIND))?;
    record.set_name(name);
    record.touch(now);
    show::<R>(state, id)
}

/// GET of a list: the listed records that `keep` keeps, one page of them (`paging`: limit and
/// offset), and the count of all that match.
pub(super) fn list<R: Served>(
    state: &mut State,
    (limit, offset): (usize, usize),
    keep: impl Fn(&State, &R) -> bool,
) -> ApiResult<Reply> {
    let matching: Vec<&R> = R::table(&state.store).listed().filter(|r| keep(state, r)).collect();
    let count = count(state, matching.len());
    let page = validate::page(matching, limit, offset);
    let ids: Vec<String> = page.iter().map(|r| r.id().to_string()).collect();
    let items: Vec<Value> = page.into_iter().map(|r| R::to_json(state, r)).collect();
    R::after_read(state, &ids);
    let key = R::KIND.list_key();
    Ok(Reply::ok(json!({ key: items, "count": count })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::model::Drill;
    use crate::emulator::store::Leftovers;
    use crate::emulator::EmulatorConfig;

    fn drill(id: &str, name: &str) -> Drill {
        Drill {
            id: id.into(),
            name: name.into(),
            group_id: "g1".into(),
            drill_vpc_id: "vpc".into(),
            status: "available".into(),
            drill_servers: Vec::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn state(faults: &[Fault]) -> State {
        let mut state = State::new(EmulatorConfig { faults: faults.to_vec(), ..EmulatorConfig::default() });
        state.store.drills.push(drill("d1", "first"));
        state.store.drills.push(drill("d2", "second"));
        state
    }

    fn rename_ctx(body: &[u8]) -> Ctx<'_> {
        Ctx { params: vec!["d1".into()], query: &[], body, host: String::new() }
    }

    fn names(reply: &Reply) -> Vec<String> {
        let items = reply.body.as_ref().and_then(|b| b["disaster_recovery_drills"].as_array().cloned());
        items.unwrap_or_default().iter().map(|d| d["name"].as_str().unwrap_or("").to_string()).collect()
    }

    #[test]
    fn show_wraps_the_record_and_refuses_an_unknown_id_with_its_kinds_code() {
        let mut s = state(&[]);
        let reply = show::<Drill>(&mut s, "d2").unwrap();
        assert_eq!(reply.body.unwrap()["disaster_recovery_drill"]["name"], "second");
        assert_eq!(show::<Drill>(&mut s, "nope").err(), Some(ApiError::Sdrs("SDRS.1902")));
    }

    #[test]
    fn show_still_finds_a_deleted_record_kept_by_a_fault_and_lists_do_not() {
        let mut s = state(&[]);
        s.store.remove(Kind::Drill, "d1", Leftovers { shown: true, listed: false }, 5);
        let reply = show::<Drill>(&mut s, "d1").unwrap();
        assert_eq!(reply.body.unwrap()["disaster_recovery_drill"]["status"], "available");
        let reply = list::<Drill>(&mut s, (1000, 0), |_, _| true).unwrap();
        assert_eq!(names(&reply), ["second"]);
    }

    #[test]
    fn rename_keeps_the_new_name_unless_the_fault_forgets_it() {
        let body = br#"{"disaster_recovery_drill": {"name": "renamed"}}"#;
        let mut s = state(&[]);
        s.advance(3);
        let reply = rename::<Drill>(&mut s, &rename_ctx(body)).unwrap();
        assert_eq!(reply.body.unwrap()["disaster_recovery_drill"]["name"], "renamed");
        let d = s.store.drill("d1").unwrap();
        assert_eq!((d.name.as_str(), d.updated_at), ("renamed", 3));
        let mut s = state(&[Fault::RenameNotKept]);
        let reply = rename::<Drill>(&mut s, &rename_ctx(body)).unwrap();
        assert_eq!(reply.body.unwrap()["disaster_recovery_drill"]["name"], "renamed");
        assert_eq!(s.store.drill("d1").unwrap().name, "first");
        let refused = rename::<Drill>(&mut s, &rename_ctx(br#"{"disaster_recovery_drill": {"name": "a b"}}"#));
        assert_eq!(refused.err(), Some(ApiError::Sdrs("SDRS.0202")));
    }

    #[test]
    fn list_filters_then_pages_and_counts_every_match() {
        let mut s = state(&[]);
        s.store.drills.push(drill("d3", "third"));
        let reply = list::<Drill>(&mut s, (1, 1), |_, d| d.id != "d2").unwrap();
        assert_eq!(names(&reply), ["third"]);
        assert_eq!(reply.body.unwrap()["count"], 2);
        let mut s = state(&[Fault::CountWrong]);
        let reply = list::<Drill>(&mut s, (1000, 0), |_, _| true).unwrap();
        assert_eq!(reply.body.unwrap()["count"], 3);
    }
}
