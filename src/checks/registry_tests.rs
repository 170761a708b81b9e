//! The registry's own rules: one row per check, in report order, each dispatched.

use super::super::test_support::{ctx, op, raw};
use super::*;
use crate::checks::{CheckOutcome, JobWatch, LifecycleEvidence, Page, PollEnd};
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn every_name_is_registered_once_in_report_order() {
    let names: Vec<CheckName> = REGISTRY.iter().map(|e| e.name).collect();
    assert_eq!(names, CheckName::ALL.to_vec());
    let unique: BTreeSet<&str> = REGISTRY.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(unique.len(), REGISTRY.len());
    for check in CheckName::ALL {
        assert_eq!(entry(check).name, check);
    }
}

#[test]
fn every_check_has_a_one_line_description_and_a_source() {
    for e in &REGISTRY {
        assert!(!e.description.trim().is_empty() && !e.description.contains('\n'), "{}", e.name);
        assert!(!e.source.trim().is_empty() && !e.source.contains('\n'), "{}", e.name);
    }
}

/// Runs `f` over one piece of evidence of every kind the runner collects.
fn with_every_kind_of_evidence(f: &mut dyn FnMut(&Evidence)) {
    let quotas = op("showQuotas");
    let ok = raw("showQuotas", 200, Some("application/json"), br#"{"quotas": {"resources": []}}"#);
    let refused =
        raw("showQuotas", 401, Some("application/json"), br#"{"error_code": "APIGW.0301", "error_msg": "x"}"#);
    let rejection =
        ExpectedRejection { mutation: "limit=-1".into(), status: 400, codes: Vec::new(), disagreements: Vec::new() };
    let refusal = ExpectedRefusal {
        action: "start-protection".into(),
        state: "protected".into(),
        status: 400,
        codes: Vec::new(),
        disagreements: Vec::new(),
        code_disagreements: Vec::new(),
    };
    let expectations = [
        Expectation::Status { codes: &[] },
        Expectation::Rejection(&rejection),
        Expectation::Refusal(&refusal),
        Expectation::Credentials("no credentials"),
    ];
    for expect in expectations {
        for exchange in [&ok, &refused] {
            f(&Evidence::Answer(Answer { op: quotas, exchange, statuses: &[200], expect, disputed: &[] }));
        }
    }
    let submit = raw("createProtectionGroup", 200, Some("application/json"), br#"{"job_id": "x"}"#);
    let job = JobEvidence {
        submit: &submit,
        job_types: Vec::new(),
        entity: None,
        polls: &[],
        finished: false,
        follow_up: None,
    };
    f(&Evidence::Job(&job));
    let watch = JobWatch::new(ctx(), &submit, Vec::new(), None);
    let watched = WatchedJob { watch: &watch, end: PollEnd::Deadline, follow_up: None, expected: None, last: None };
    f(&Evidence::Watched(&watched));
    let observed = ["creating".to_owned(), "available".to_owned()];
    f(&Evidence::Statuses { kind: "server_group", id: "g", observed: &observed });
    f(&Evidence::ExpectedState { expected: "available", actual: Some("available") });
    let list = raw("listProtectionGroups", 200, Some("application/json"), br#"{"server_groups": [], "count": 0}"#);
    let lifecycle = LifecycleEvidence::Created {
        kind: "server_group".into(),
        id: "g".into(),
        show: &ok,
        show_id_pointer: "/server_group/id".into(),
        list: &list,
        list_items_pointer: "/server_groups".into(),
    };
    f(&Evidence::Lifecycle(&lifecycle));
    let fields = [FieldSeen { pointer: "/a".into(), expected: json!(1), actual: json!(1) }];
    f(&Evidence::ExpectedFields(&fields));
    let lists = [Listing { query: "name=x".into(), exchange: &list, exact_count: true }];
    f(&Evidence::GoneFromLists { kind: "server_group", id: "g", lists: &lists, items_pointer: "/server_groups" });
    let pages = PaginationEvidence {
        items_pointer: "/server_groups".into(),
        count_pointer: None,
        count_disputed: Vec::new(),
        full: &list,
        pages: vec![Page { limit: Some(1), offset: None, exchange: &list }],
        filters: Vec::new(),
    };
    f(&Evidence::Pages(&pages));
    let payload = json!({"a": 1});
    f(&Evidence::Snapshot { name: "s", mode: SnapshotMode::Exact, actual: &payload, stored: Some(&payload) });
}

#[test]
fn every_registered_check_is_dispatched_and_answers_only_for_itself() {
    let ctx = ctx();
    let mut answered = BTreeSet::new();
    with_every_kind_of_evidence(&mut |ev| {
        for e in &REGISTRY {
            if let Some(r) = (e.judge)(&ctx, ev) {
                assert_eq!(r.check, e.name, "the judge of {} answered for another check", e.name);
                answered.insert(e.name);
            }
        }
    });
    let missing: Vec<CheckName> = CheckName::ALL.into_iter().filter(|c| !answered.contains(c)).collect();
    assert!(missing.is_empty(), "no evidence reaches {missing:?}");
}

#[test]
fn an_answer_is_judged_by_its_case_s_check_first_then_in_registry_order() {
    let refusal = ExpectedRefusal {
        action: "start-protection".into(),
        state: "protected".into(),
        status: 400,
        codes: Vec::new(),
        disagreements: Vec::new(),
        code_disagreements: Vec::new(),
    };
    let ex = raw("showQuotas", 400, Some("application/json"), br#"{"error_code": "SDRS.1013", "error_msg": "x"}"#);
    let answer = Answer {
        op: op("showQuotas"),
        exchange: &ex,
        statuses: &[400],
        expect: Expectation::Refusal(&refusal),
        disputed: &[],
    };
    let names: Vec<CheckName> = judge(&ctx(), &Evidence::Answer(answer)).iter().map(|r| r.check).collect();
    assert_eq!(
        names,
        [CheckName::Precondition, CheckName::ContentType, CheckName::ResponseSchema, CheckName::ErrorBody]
    );
}

#[test]
fn a_success_answer_is_not_judged_by_error_body() {
    let ex = raw("showQuotas", 200, Some("application/json"), br#"{"quotas": {"resources": []}}"#);
    let answer = Answer {
        op: op("showQuotas"),
        exchange: &ex,
        statuses: &[200],
        expect: Expectation::Status { codes: &[] },
        disputed: &[],
    };
    let names: Vec<CheckName> = judge(&ctx(), &Evidence::Answer(answer)).iter().map(|r| r.check).collect();
    assert_eq!(names, [CheckName::StatusCode, CheckName::ContentType, CheckName::ResponseSchema]);
}

#[test]
fn a_disputed_expectation_softens_a_refusal_but_not_an_acceptance() {
    let disputed = ["INC-27".to_owned()];
    let judge_status = |status: u16, body: &[u8]| {
        let ex = raw("showQuotas", status, Some("application/json"), body);
        let answer = Answer {
            op: op("showQuotas"),
            exchange: &ex,
            statuses: &[404],
            expect: Expectation::Status { codes: &[] },
            disputed: &disputed,
        };
        judge(&ctx(), &Evidence::Answer(answer))[0].outcome
    };
    assert_eq!(judge_status(400, br#"{"error_code": "SDRS.1013", "error_msg": "x"}"#), CheckOutcome::Warned);
    assert_eq!(judge_status(200, br#"{"quotas": {"resources": []}}"#), CheckOutcome::Failed);
}

#[test]
fn check_names_parse_from_comma_lists_and_unknown_ones_get_a_suggestion() {
    assert_eq!(
        parse_names(&["status_code,job_protocol", "status_code"]),
        Ok(vec![CheckName::StatusCode, CheckName::JobProtocol])
    );
    let err = parse_names(&["job_protocl"]).unwrap_err().to_string();
    assert!(err.contains("\"job_protocl\"") && err.contains("did you mean job_protocol?"), "{err}");
    let err = parse_names(&["zzzzzzzzzzzzzzzz"]).unwrap_err().to_string();
    assert!(!err.contains("did you mean"), "{err}");
}
