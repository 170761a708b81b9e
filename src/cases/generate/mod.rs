//! Cases generated from the specs: positive, auth, not-found, negative, pagination and the
//! precondition matrix. No hand-listing: every case comes from an operation, a constraint, a
//! documented status or a state-machine rule.

mod negative;
mod precondition;
pub mod recipes;
mod requirement;

use super::model::{Case, CaseKind, Credentials, Expect, Judge, Needs, StatusSet, Step};
use crate::spec::{DisputedRule, Operation, Readings, Specs};
use recipes::{recipe, Recipe, FIXTURE};
use serde_json::json;

/// An id that no resource has (well-formed, so that "not found" is the only thing wrong).
pub const UNKNOWN_ID: &str = "7f3c9a1e-2b4d-4e6f-8a0b-1c2d3e4f5a6b";

/// Every generated case, ordered by id.
pub fn generate(specs: &Specs) -> Vec<Case> {
    let mut cases = Vec::new();
    for op in specs.operations() {
        let rec = recipe(&specs.readings, &op.id);
        cases.push(positive(op, &rec));
        cases.extend(auth(op, &rec));
        cases.extend(not_found(&specs.readings, op, &rec));
        cases.extend(negative::cases(specs, op, &rec));
        cases.extend(pagination(op));
        cases.extend(method_not_allowed(op, &rec));
    }
    cases.extend(precondition::cases(specs));
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

fn case(op: &Operation, kind: CaseKind, detail: &str, rec: &Recipe, steps: Vec<Step>, needs: Needs) -> Case {
    let id = if detail.is_empty() {
        format!("{}/{}", op.id, kind.as_str())
    } else {
        format!("{}/{}/{detail}", op.id, kind.as_str())
    };
    Case {
        id,
        operation: op.id.clone(),
        family: op.family.clone(),
        kind,
        tags: rec.tags.iter().map(|t| (*t).to_owned()).collect(),
        description: String::new(),
        needs,
        fixture: (rec.uses_fixture && steps.iter().any(mentions_fixture)).then(|| FIXTURE.to_owned()),
        exclusive: false,
        steps,
        skip: rec.skip.clone(),
        source: None,
    }
}

/// Whether a step reads a variable of the shared fixture.
fn mentions_fixture(step: &Step) -> bool {
    let Step::Request(r) = step else { return false };
    let mut names = Vec::new();
    for v in r.path.values().chain(r.query.values()).chain(r.body.iter()) {
        super::template::names_in(v, &mut names);
    }
    names.iter().any(|n| n.starts_with("fixture."))
}

fn positive(op: &Operation, rec: &Recipe) -> Case {
    let mut steps = rec.builder.steps.clone();
    let mut test = rec.test.clone();
    if rec.snapshot {
        test.snapshot = Some(json!(true));
    }
    test.read_back = rec.read_back.clone();
    let counted = !rec.quota.is_empty();
    if counted {
        steps.push(Step::Request(Box::new(recipes::read_quotas(&rec.quota))));
    }
    steps.push(Step::Request(Box::new(test)));
    if counted {
        steps.push(Step::Request(Box::new(recipes::quotas_moved(&rec.quota))));
    }
    let mut c = case(op, CaseKind::Positive, "", rec, steps, rec.builder.needs.clone());
    // Quota counts are project-wide: only a case running alone can compare them.
    c.exclusive = counted;
    c.description = format!("{} succeeds as documented ({})", op.id, op.section);
    c
}

/// Every variable a template may use resolves to a dummy id for auth cases, which need no setup.
fn dummy_ids(step: &mut super::model::RequestStep) {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s)
                if s.contains("${") && !s.starts_with("${prefix}") && !s.starts_with("${az.") =>
            {
                *s = UNKNOWN_ID.to_owned()
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            serde_json::Value::Object(m) => m.values_mut().for_each(walk),
            _ => {}
        }
    }
    step.path.values_mut().for_each(walk);
    step.query.values_mut().for_each(walk);
    if let Some(b) = step.body.as_mut() {
        walk(b);
    }
    step.capture.clear();
    step.job = None;
    step.snapshot = None;
}

fn auth(op: &Operation, rec: &Recipe) -> Vec<Case> {
    if !requires_auth(op) {
        return Vec::new();
    }
    [(Credentials::None, "no-credentials"), (Credentials::InvalidToken, "bad-credentials")]
        .into_iter()
        .map(|(creds, detail)| {
            let mut step = rec.test.clone();
            dummy_ids(&mut step);
            step.name = format!("call with {}", creds.describe());
            step.credentials = creds;
            step.expect = Expect { status: Some(StatusSet::One(401)), judge: Judge::AuthRequired, ..Expect::default() };
            let mut c = case(op, CaseKind::Auth, detail, rec, vec![Step::Request(Box::new(step))], Needs::default());
            c.fixture = None;
            c.skip = None;
            c.description = format!("{} refuses {} with 401", op.id, creds.describe());
            c
        })
        .collect()
}

/// Whether the operation documents credentials: a 401, and a security requirement (the version
/// APIs declare `security: []`).
pub fn requires_auth(op: &Operation) -> bool {
    op.responses.contains_key(&401) && !op.anonymous
}

fn not_found(readings: &Readings, op: &Operation, rec: &Recipe) -> Vec<Case> {
    if rec.skip.is_some() && op.id != "startDisasterRecovery" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in op.path_params() {
        let Some(nf) = not_found_rule(readings, op, &p.name) else { continue };
        let mut step = rec.test.clone();
        step.name = format!("call with an unknown {}", p.name);
        step.path.insert(p.name.clone(), json!(UNKNOWN_ID));
        step.job = None;
        step.capture.clear();
        step.snapshot = None;
        step.expect = Expect {
            status: Some(StatusSet::Any(nf.statuses.clone())),
            codes: nf.codes.clone(),
            disagreements: nf.disagreements.clone(),
            ..Expect::default()
        };
        let mut steps = rec.builder.steps.clone();
        steps.push(Step::Request(Box::new(step)));
        let mut c = case(op, CaseKind::NotFound, &p.name, rec, steps, rec.builder.needs.clone());
        c.skip = None;
        c.description = format!("{} with an unknown {} is refused as not found", op.id, p.name);
        out.push(c);
    }
    out
}

struct NotFoundRule {
    statuses: Vec<u16>,
    codes: Vec<String>,
    disagreements: Vec<String>,
}

fn not_found_rule(readings: &Readings, op: &Operation, param: &str) -> Option<NotFoundRule> {
    if op.id == "startDisasterRecovery" && param == "disaster_recovery_id" {
        let disagreements = readings.disputing(DisputedRule::DwsDisasterRecovery).to_vec();
        return Some(NotFoundRule { statuses: vec![404], codes: Vec::new(), disagreements });
    }
    let p = op.parameters.iter().find(|p| p.name == param)?;
    let raw = p.not_found.as_ref()?;
    let mut statuses = vec![raw.status];
    let mut disagreements = Vec::new();
    if raw.status == 400 {
        // INC-27: pages list 404 and itemNotFound while A.1 documents 400; both are accepted,
        // the code is not disputed.
        statuses.push(404);
    }
    if raw.note.is_some() {
        disagreements.extend_from_slice(readings.disputing(DisputedRule::NotFoundNoted));
    }
    let codes = if raw.code.is_empty() { Vec::new() } else { vec![raw.code.clone()] };
    Some(NotFoundRule { statuses, codes, disagreements })
}

/// An undocumented method on the operation's path must be answered 405, as every page documents.
fn method_not_allowed(op: &Operation, rec: &Recipe) -> Vec<Case> {
    let first_variant = op.shared_id.is_none() || !op.id.ends_with("Group") || op.id == "startProtectionGroup";
    let first_tag_variant =
        op.shared_id.as_deref() != Some("protectedInstanceTagsAction") || op.id.starts_with("batchCreate");
    if !op.responses.contains_key(&405) || !first_variant || !first_tag_variant {
        return Vec::new();
    }
    let mut step = rec.test.clone();
    dummy_ids(&mut step);
    step.name = "call the path with PATCH".into();
    step.method_override = Some("PATCH".into());
    step.body = None;
    step.expect = Expect { status: Some(StatusSet::One(405)), ..Expect::default() };
    let mut c =
        case(op, CaseKind::Negative, "method-not-allowed", rec, vec![Step::Request(Box::new(step))], Needs::default());
    c.fixture = None;
    c.skip = None;
    c.description = format!("{} {}: an undocumented method is answered 405", op.method, op.path);
    vec![c]
}

fn pagination(op: &Operation) -> Vec<Case> {
    let has = |n: &str| op.query_params().any(|p| p.name == n);
    if !(has("limit") && has("offset")) {
        return Vec::new();
    }
    let Some(rec) = pagination_recipe(op) else { return Vec::new() };
    let mut c = case(op, CaseKind::Pagination, "", &rec.0, rec.0.builder.steps.clone(), rec.0.builder.needs.clone());
    c.steps.push(Step::Paginate(rec.1));
    c.description = format!("{} honours limit, offset and count", op.id);
    vec![c]
}

fn pagination_recipe(op: &Operation) -> Option<(Recipe, super::model::PaginateStep)> {
    use super::build::Builder;
    let mut b = Builder::new();
    let mut query = std::collections::BTreeMap::new();
    let min_items = match op.id.as_str() {
        "listProtectionGroups" => {
            for _ in 0..3 {
                b.group();
            }
            query.insert("name".to_owned(), json!("${prefix}-g"));
            3
        }
        "listProtectedInstances" => {
            let g = b.group();
            for _ in 0..3 {
                b.instance(&g);
            }
            query.insert("server_group_id".to_owned(), json!(g.id()));
            3
        }
        "listReplicationPairs" => {
            let g = b.group();
            for _ in 0..3 {
                b.pair(&g);
            }
            query.insert("server_group_id".to_owned(), json!(g.id()));
            3
        }
        "listDrDrills" => {
            let g = b.group();
            for _ in 0..2 {
                b.drill(&g);
            }
            query.insert("server_group_id".to_owned(), json!(g.id()));
            2
        }
        "listFailureJobs" => {
            let g = b.group();
            let v = b.failing("volumes", "createReplicationPairNoCG");
            b.pair_with(&g, &v, super::model::JobOutcome::Fail);
            query.insert("server_group_id".to_owned(), json!(g.id()));
            1
        }
        // Records no client can create: the target's own must be enough (the emulator seeds four).
        "listRpoStatistics" => 3,
        _ => return None,
    };
    let pages =
        vec![(Some(1), Some(0)), (Some(1), Some(1)), (Some(2), Some(1)), (None, Some(1)), (Some(1000), Some(1000))];
    let step = super::model::PaginateStep {
        name: "read the list in pages".into(),
        operation: op.id.clone(),
        query,
        pages,
        min_items,
    };
    let rec = Recipe {
        builder: b,
        uses_fixture: false,
        test: super::build::request("", &op.id),
        snapshot: false,
        skip: None,
        tags: Vec::new(),
        read_back: None,
        quota: Vec::new(),
    };
    Some((rec, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_yield_at_least_400_cases_with_unique_ids() {
        let specs = Specs::embedded();
        let cases = generate(specs);
        let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let total = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), total, "duplicate case ids");
        assert!(total >= 400, "only {total} cases");
        let mut by_kind = std::collections::BTreeMap::new();
        for c in &cases {
            *by_kind.entry(c.kind.as_str()).or_insert(0) += 1;
        }
        eprintln!("{total} cases: {by_kind:?}");
    }

    #[test]
    fn every_operation_has_a_positive_and_a_refusing_case() {
        let specs = Specs::embedded();
        let cases = generate(specs);
        for op in specs.operations() {
            assert!(cases.iter().any(|c| c.operation == op.id && c.kind == CaseKind::Positive), "{}", op.id);
            assert!(
                cases
                    .iter()
                    .any(|c| c.operation == op.id && c.kind != CaseKind::Positive && c.kind != CaseKind::Pagination),
                "{} has no negative case",
                op.id
            );
        }
    }
}
