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
pub trait Served: Record {
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
pub fn show<R: Served>(state: &mut State, id: &str) -> ApiResult<Reply> {
    let record = R::table(&state.store).shown(id).ok_or(not_found(R::KIND))?;
    let key = R::KIND.wrapper();
    let reply = Reply::ok(json!({ key: R::to_json(state, record) }));
    R::after_read(state, &[id.to_string()]);
    Ok(reply)
}

/// PUT of one resource with `{wrapper: {"name": ...}}`: renames it and answers as [`show`]. Under
/// the fault `rename-not-kept` the answer has the new name but the store keeps the old one.
pub fn rename<R: Served>(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
pub fn list<R: Served>(
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
