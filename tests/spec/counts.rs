//! The loaded specs hold what the seeds document: 48 SDRS operations with the issue's methods
//! and paths, 256 A.1 codes (222 of HTTP 400, 1 of 404, 33 of 500), the state tables A.2-A.5
//! and the job states, the 19 job types of 5.1.1, and an async marker on every job-returning
//! operation.

use std::collections::{BTreeMap, BTreeSet};

use sdrs_conformance::spec::{Specs, StateKind};

fn specs() -> &'static Specs {
    Specs::embedded()
}

/// Every operation of the API reference: method, path, operationId, section.
const OPERATIONS: [(&str, &str, &str, &str); 48] = [
    ("GET", "/v1/{project_id}/jobs/{job_id}", "showJobStatus", "5.1.1"),
    ("GET", "/", "listApiVersions", "5.2.1"),
    ("GET", "/{api_version}", "showApiVersion", "5.2.2"),
    ("GET", "/v1/{project_id}/active-domains", "showActiveDomains", "5.3.1"),
    ("POST", "/v1/{project_id}/server-groups", "createProtectionGroup", "5.4.1"),
    ("GET", "/v1/{project_id}/server-groups", "listProtectionGroups", "5.4.2"),
    ("GET", "/v1/{project_id}/server-groups/{server_group_id}", "showProtectionGroup", "5.4.3"),
    ("DELETE", "/v1/{project_id}/server-groups/{server_group_id}", "deleteProtectionGroup", "5.4.4"),
    ("PUT", "/v1/{project_id}/server-groups/{server_group_id}", "updateProtectionGroupName", "5.4.5"),
    ("POST", "/v1/{project_id}/server-groups/{server_group_id}/action", "startProtectionGroup", "5.4.6"),
    ("POST", "/v1/{project_id}/server-groups/{server_group_id}/action", "stopProtectionGroup", "5.4.7"),
    ("POST", "/v1/{project_id}/server-groups/{server_group_id}/action", "failoverProtectionGroup", "5.4.8"),
    ("POST", "/v1/{project_id}/server-groups/{server_group_id}/action", "reverseProtectionGroup", "5.4.9"),
    ("POST", "/v1/{project_id}/protected-instances", "createProtectedInstance", "5.5.1"),
    ("DELETE", "/v1/{project_id}/protected-instances/{protected_instance_id}", "deleteProtectedInstance", "5.5.2"),
    ("GET", "/v1/{project_id}/protected-instances", "listProtectedInstances", "5.5.3"),
    ("GET", "/v1/{project_id}/protected-instances/{protected_instance_id}", "showProtectedInstance", "5.5.4"),
    ("PUT", "/v1/{project_id}/protected-instances/{protected_instance_id}", "updateProtectedInstanceName", "5.5.5"),
    (
        "POST",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/attachreplication",
        "attachReplicationPair",
        "5.5.6",
    ),
    (
        "DELETE",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/detachreplication/{replication_id}",
        "detachReplicationPair",
        "5.5.7",
    ),
    ("POST", "/v1/{project_id}/protected-instances/{protected_instance_id}/nic", "addProtectedInstanceNic", "5.5.8"),
    (
        "POST",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/nic/delete",
        "deleteProtectedInstanceNic",
        "5.5.9",
    ),
    (
        "POST",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/resize",
        "resizeProtectedInstance",
        "5.5.10",
    ),
    ("POST", "/v1/{project_id}/protected-instances/batch", "batchCreateProtectedInstances", "5.5.11"),
    ("POST", "/v1/{project_id}/protected-instances/delete", "batchDeleteProtectedInstances", "5.5.12"),
    ("POST", "/v1/{project_id}/replications", "createReplicationPair", "5.6.1"),
    ("DELETE", "/v1/{project_id}/replications/{replication_id}", "deleteReplicationPair", "5.6.2"),
    ("GET", "/v1/{project_id}/replications", "listReplicationPairs", "5.6.3"),
    ("GET", "/v1/{project_id}/replications/{replication_id}", "showReplicationPair", "5.6.4"),
    ("POST", "/v1/{project_id}/replications/{replication_id}/action", "expandReplicationPair", "5.6.5"),
    ("PUT", "/v1/{project_id}/replications/{replication_id}", "updateReplicationPairName", "5.6.6"),
    ("POST", "/v1/{project_id}/disaster-recovery-drills", "createDrDrill", "5.7.1"),
    ("DELETE", "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}", "deleteDrDrill", "5.7.2"),
    ("GET", "/v1/{project_id}/disaster-recovery-drills", "listDrDrills", "5.7.3"),
    ("GET", "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}", "showDrDrill", "5.7.4"),
    ("PUT", "/v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}", "updateDrDrillName", "5.7.5"),
    ("POST", "/v1/{project_id}/protected-instances/resource_instances/action", "listProtectedInstancesByTags", "5.8.1"),
    (
        "POST",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/tags/action",
        "batchCreateProtectedInstanceTags",
        "5.8.2",
    ),
    (
        "POST",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/tags/action",
        "batchDeleteProtectedInstanceTags",
        "5.8.3",
    ),
    (
        "POST",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/tags",
        "createProtectedInstanceTag",
        "5.8.4",
    ),
    (
        "DELETE",
        "/v1/{project_id}/protected-instances/{protected_instance_id}/tags/{key}",
        "deleteProtectedInstanceTag",
        "5.8.5",
    ),
    ("GET", "/v1/{project_id}/protected-instances/{protected_instance_id}/tags", "listProtectedInstanceTags", "5.8.6"),
    ("GET", "/v1/{project_id}/protected-instances/tags", "listProtectedInstanceProjectTags", "5.8.7"),
    ("GET", "/v1/{project_id}/task-center/failure-jobs", "listFailureJobs", "5.9.1"),
    ("DELETE", "/v1/{project_id}/task-center/failure-jobs/{failure_job_id}", "deleteFailureJob", "5.9.2"),
    ("DELETE", "/v1/{project_id}/task-center/failure-jobs/batch", "deleteAllFailureJobs", "5.9.3"),
    (
        "DELETE",
        "/v1/{project_id}/task-center/{server_group_id}/failure-jobs/batch",
        "deleteServerGroupFailureJobs",
        "5.9.4",
    ),
    ("GET", "/v1/{project_id}/sdrs/quotas", "showQuotas", "5.10.1"),
];

/// The 19 job types of 5.1.1.
const JOB_TYPES: [&str; 19] = [
    "createProtectionGroupNoCG",
    "deleteProtectionGroupNoCG",
    "startProtectionGroupNoCG",
    "reprotectProtectionGroupNoCG",
    "stopProtectionGroupNoCG",
    "failoverProtectionGroupNoCG",
    "reverseProtectionGroupNoCG",
    "createProtectedInstanceNoCG",
    "deleteProtectedInstanceNoCG",
    "attachReplicationPairNew",
    "detachReplicationPairNew",
    "addNicNew",
    "deleteNicNew",
    "resizeProtectedInstanceNew",
    "createReplicationPairNoCG",
    "deleteReplicationPairNoCG",
    "expandReplicationPairNew",
    "createDisasterRecoveryDrill",
    "deleteDisasterRecoveryDrill",
];

/// The two asynchronous operations for which 5.1.1 documents no job type (INC-38).
const UNTYPED_ASYNC: [&str; 2] = ["batchCreateProtectedInstances", "batchDeleteProtectedInstances"];

#[test]
fn the_sdrs_document_holds_the_48_operations_of_the_reference() {
    assert_eq!(specs().sdrs.operations.len(), 48);
    let ids: BTreeSet<&str> = specs().sdrs.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), 48, "operation ids must be unique");
}

#[test]
fn every_operation_of_the_issue_has_its_method_path_and_section() {
    for (method, path, id, section) in OPERATIONS {
        let op = specs().sdrs.operations.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("{id} is missing"));
        assert_eq!((op.method.as_str(), op.path.as_str()), (method, path), "{id}");
        assert_eq!(op.section, section, "{id}");
    }
    let listed: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.2).collect();
    let extra: Vec<&str> =
        specs().sdrs.operations.iter().map(|o| o.id.as_str()).filter(|id| !listed.contains(id)).collect();
    assert!(extra.is_empty(), "operations beyond the reference: {extra:?}");
}

#[test]
fn the_shared_action_paths_are_told_apart_by_variants() {
    let shared: BTreeMap<&str, Vec<&str>> =
        specs().sdrs.operations.iter().filter_map(|o| o.shared_id.as_deref().map(|s| (s, o.id.as_str()))).fold(
            BTreeMap::new(),
            |mut m, (s, id)| {
                m.entry(s).or_default().push(id);
                m
            },
        );
    assert_eq!(
        shared["protectionGroupAction"],
        ["startProtectionGroup", "stopProtectionGroup", "failoverProtectionGroup", "reverseProtectionGroup"]
    );
    assert_eq!(
        shared["protectedInstanceTagsAction"],
        ["batchCreateProtectedInstanceTags", "batchDeleteProtectedInstanceTags"]
    );
    assert_eq!(shared.len(), 2);
    for op in specs().sdrs.operations.iter().filter(|o| o.shared_id.is_some()) {
        assert!(op.discriminator.is_some(), "{} has no discriminator", op.id);
    }
}

#[test]
fn the_dws_document_holds_its_single_operation() {
    let ops: Vec<(&str, &str)> = specs().dws.operations.iter().map(|o| (o.method.as_str(), o.path.as_str())).collect();
    assert_eq!(ops, [("POST", "/v2/{project_id}/disaster-recovery/{disaster_recovery_id}/start")]);
}

#[test]
fn the_extension_document_holds_the_49th_sdrs_operation_of_the_official_sdk() {
    let ops: Vec<(&str, &str, &str)> =
        specs().extensions.operations.iter().map(|o| (o.method.as_str(), o.path.as_str(), o.id.as_str())).collect();
    assert_eq!(ops, [("GET", "/v1/{project_id}/resource/rpo-statistics", "listRpoStatistics")]);
    assert_eq!(specs().sdrs_operations().count(), 49);
    let op = &specs().extensions.operations[0];
    let query: Vec<&str> = op.query_params().map(|p| p.name.as_str()).collect();
    assert_eq!(query, ["limit", "offset", "start_time", "end_time", "resource_type"]);
    assert_eq!(op.success_status, 200);
    let abnormal: Vec<u16> = op.responses.keys().copied().filter(|s| *s >= 400).collect();
    assert_eq!(abnormal, [400, 401, 403, 404, 405, 406, 407, 408, 409, 500, 501, 502, 503, 504]);
    // The page names no error code: every code the parameters get is marked as our inference.
    for p in op.query_params() {
        assert!(
            p.error_code.is_some() && p.inferred.is_some(),
            "{}: code {:?}, inferred {:?}",
            p.name,
            p.error_code,
            p.inferred
        );
    }
    assert!(op.inferred.is_some(), "x-sdrs-errors of listRpoStatistics must say it is inferred");
}

#[test]
fn the_error_table_holds_256_codes_222_of_400_1_of_404_and_33_of_500() {
    let errors = &specs().errors;
    assert_eq!(errors.codes.len(), 256);
    let by_status = errors.count_by_status();
    assert_eq!(by_status, BTreeMap::from([(400, 222), (404, 1), (500, 33)]));
    assert_eq!(errors.get("SDRS.2206").map(|c| c.status), Some(404), "SDRS.2206 is the only 404");
}

#[test]
fn the_not_found_codes_are_http_400_except_the_tag_key() {
    for code in ["SDRS.1013", "SDRS.1320", "SDRS.1608", "SDRS.1902"] {
        assert_eq!(specs().errors.get(code).map(|c| c.status), Some(400), "{code}");
    }
}

#[test]
fn the_state_machines_have_the_states_of_the_appendix_and_of_jobs() {
    let machines = &specs().states.machines;
    let counts: BTreeMap<&str, (usize, usize)> = machines
        .iter()
        .map(|(name, m)| {
            let named_only = m.states.values().filter(|s| s.named_only_in.is_some()).count();
            (name.as_str(), (m.states.len() - named_only, named_only))
        })
        .collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("server_group", (17, 3)),
            ("protected_instance", (23, 0)),
            ("replication_pair", (25, 0)),
            ("dr_drill", (5, 0)),
            ("job", (4, 0)),
        ])
    );
    let job: BTreeSet<&str> = machines["job"].states.keys().map(String::as_str).collect();
    assert_eq!(job, BTreeSet::from(["SUCCESS", "RUNNING", "FAIL", "INIT"]));
    let terminal: BTreeSet<&str> =
        machines["job"].states.iter().filter(|(_, s)| s.terminal).map(|(n, _)| n.as_str()).collect();
    assert_eq!(terminal, BTreeSet::from(["SUCCESS", "FAIL"]));
}

#[test]
fn the_three_failback_states_are_named_only_in_appendix_a1() {
    let group = &specs().states.machines["server_group"];
    let named: BTreeMap<&str, &str> =
        group.states.iter().filter_map(|(n, s)| s.named_only_in.as_deref().map(|w| (n.as_str(), w))).collect();
    assert_eq!(
        named,
        BTreeMap::from([
            ("error-failing-back", "A.1 SDRS.1023"),
            ("error-failing-over-back", "A.1 SDRS.1022"),
            ("failed-over-back", "A.1 SDRS.1021"),
        ])
    );
    assert!(group.states["failed-over-back"].disagreements.contains(&"INC-07".to_owned()));
}

#[test]
fn every_state_has_a_kind_and_every_machine_a_stable_state() {
    for (name, m) in &specs().states.machines {
        assert!(m.states.values().any(|s| s.kind == StateKind::Stable), "{name} has no stable state");
    }
}

#[test]
fn the_19_job_types_of_section_5_1_1_are_documented() {
    let documented: BTreeSet<&str> =
        specs().states.job_types.iter().filter(|(_, t)| t.documented).map(|(n, _)| n.as_str()).collect();
    assert_eq!(documented, BTreeSet::from(JOB_TYPES));
}

#[test]
fn every_async_operation_names_a_documented_job_type_or_none_for_the_two_batch_operations() {
    let mut seen = Vec::new();
    for op in specs().sdrs.operations.iter() {
        let Some(job) = &op.async_job else { continue };
        seen.push(op.id.as_str());
        match &job.job_type {
            Some(t) => assert!(JOB_TYPES.contains(&t.as_str()), "{}: job_type {t} is not one of the 19", op.id),
            None => assert!(UNTYPED_ASYNC.contains(&op.id.as_str()), "{} has no job_type", op.id),
        }
        for alt in &job.alt_job_types {
            assert!(JOB_TYPES.contains(&alt.as_str()), "{}: alternative job_type {alt} is not one of the 19", op.id);
        }
        assert!(job.entity.is_some(), "{} names no entities key", op.id);
    }
    assert_eq!(seen.len(), 20, "asynchronous operations: {seen:?}");
    for id in UNTYPED_ASYNC {
        assert!(seen.contains(&id), "{id} must be asynchronous");
    }
}

#[test]
fn exactly_the_operations_answering_a_job_id_are_marked_asynchronous() {
    let document = &specs().sdrs.document;
    for op in specs().sdrs.operations.iter() {
        let success = &op.responses[&op.success_status];
        let answers_job =
            success.schema_pointer.as_deref().and_then(|p| document.pointer(p)).and_then(|s| s.get("$ref"))
                == Some(&serde_json::json!("#/components/schemas/AsyncJobResponse"));
        assert_eq!(answers_job, op.async_job.is_some(), "{}", op.id);
    }
}

#[test]
fn the_normal_statuses_are_200_202_for_batch_instances_and_204_for_tag_writes_and_task_center_deletes() {
    let expected = |id: &str| match id {
        "batchCreateProtectedInstances" | "batchDeleteProtectedInstances" => 202,
        "batchCreateProtectedInstanceTags"
        | "batchDeleteProtectedInstanceTags"
        | "createProtectedInstanceTag"
        | "deleteProtectedInstanceTag"
        | "deleteFailureJob"
        | "deleteAllFailureJobs"
        | "deleteServerGroupFailureJobs" => 204,
        _ => 200,
    };
    for op in specs().sdrs.operations.iter() {
        assert_eq!(op.success_status, expected(&op.id), "{}", op.id);
    }
}

#[test]
fn every_documented_abnormal_status_is_declared() {
    let tag_page = [400, 401, 403, 404, 500];
    let most = [400, 401, 403, 404, 405, 406, 407, 408, 409, 500, 501, 502, 503, 504];
    for op in specs().sdrs.operations.iter() {
        let abnormal: Vec<u16> = op.responses.keys().copied().filter(|s| *s >= 400).collect();
        let want: &[u16] = if op.section.starts_with("5.8.") { &tag_page } else { &most };
        assert_eq!(abnormal, want, "{}", op.id);
    }
}

#[test]
fn the_actions_cover_every_state_changing_operation() {
    let model = &specs().states;
    assert_eq!(model.actions.len(), 21);
    for op in specs().sdrs.operations.iter().filter(|o| o.async_job.is_some()) {
        assert!(model.actions_of(&op.id).next().is_some(), "{} triggers no action", op.id);
    }
}

#[test]
fn every_id_path_parameter_documents_its_not_found_answer() {
    for op in specs().sdrs.operations.iter() {
        for p in op.path_params().filter(|p| p.name != "project_id") {
            assert!(p.not_found.is_some(), "{} {}: no x-sdrs-not-found", op.id, p.name);
        }
    }
}
