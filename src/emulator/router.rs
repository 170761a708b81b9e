//! Method + path -> route. Among the patterns that match a path with the request's method, the
//! most specific wins (segment by segment, a literal beats a template), so
//! `protected-instances/tags` is never taken for an instance ID and `failure-jobs/batch` never
//! for a failure-job ID. A path known under other methods only gives 405.

use percent_encoding::percent_decode_str;

/// Every operation the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    ListVersions,
    ShowVersion,
    ShowJob,
    ActiveDomains,
    Quotas,
    ListFailureJobs,
    DeleteFailureJob,
    DeleteAllFailureJobs,
    DeleteGroupFailureJobs,
    CreateGroup,
    ListGroups,
    ShowGroup,
    DeleteGroup,
    UpdateGroup,
    GroupAction,
    CreateInstance,
    ListInstances,
    ShowInstance,
    DeleteInstance,
    UpdateInstance,
    AttachPair,
    DetachPair,
    AddNic,
    DeleteNic,
    Resize,
    BatchCreateInstances,
    BatchDeleteInstances,
    CreatePair,
    ListPairs,
    ShowPair,
    DeletePair,
    UpdatePair,
    ExpandPair,
    CreateDrill,
    ListDrills,
    ShowDrill,
    DeleteDrill,
    UpdateDrill,
    QueryByTags,
    TagsAction,
    CreateTag,
    ListTags,
    DeleteTag,
    ProjectTags,
    StartDisasterRecovery,
    ListRpoStatistics,
}

/// (method, path pattern, route).
type Entry = (&'static str, &'static str, Route);

const ROUTES: &[Entry] = &[
    ("GET", "/", Route::ListVersions),
    ("GET", "/{api_version}", Route::ShowVersion),
    ("GET", "/v1/{p}/jobs/{job_id}", Route::ShowJob),
    ("GET", "/v1/{p}/active-domains", Route::ActiveDomains),
    ("GET", "/v1/{p}/sdrs/quotas", Route::Quotas),
    ("GET", "/v1/{p}/task-center/failure-jobs", Route::ListFailureJobs),
    ("DELETE", "/v1/{p}/task-center/failure-jobs/{id}", Route::DeleteFailureJob),
    ("DELETE", "/v1/{p}/task-center/failure-jobs/batch", Route::DeleteAllFailureJobs),
    ("DELETE", "/v1/{p}/task-center/{sg}/failure-jobs/batch", Route::DeleteGroupFailureJobs),
    ("POST", "/v1/{p}/server-groups", Route::CreateGroup),
    ("GET", "/v1/{p}/server-groups", Route::ListGroups),
    ("GET", "/v1/{p}/server-groups/{id}", Route::ShowGroup),
    ("DELETE", "/v1/{p}/server-groups/{id}", Route::DeleteGroup),
    ("PUT", "/v1/{p}/server-groups/{id}", Route::UpdateGroup),
    ("POST", "/v1/{p}/server-groups/{id}/action", Route::GroupAction),
    ("POST", "/v1/{p}/protected-instances", Route::CreateInstance),
    ("GET", "/v1/{p}/protected-instances", Route::ListInstances),
    ("GET", "/v1/{p}/protected-instances/{id}", Route::ShowInstance),
    ("DELETE", "/v1/{p}/protected-instances/{id}", Route::DeleteInstance),
    ("PUT", "/v1/{p}/protected-instances/{id}", Route::UpdateInstance),
    ("POST", "/v1/{p}/protected-instances/{id}/attachreplication", Route::AttachPair),
    ("DELETE", "/v1/{p}/protected-instances/{id}/detachreplication/{rid}", Route::DetachPair),
    ("POST", "/v1/{p}/protected-instances/{id}/nic", Route::AddNic),
    ("POST", "/v1/{p}/protected-instances/{id}/nic/delete", Route::DeleteNic),
    ("POST", "/v1/{p}/protected-instances/{id}/resize", Route::Resize),
    ("POST", "/v1/{p}/protected-instances/batch", Route::BatchCreateInstances),
    ("POST", "/v1/{p}/protected-instances/delete", Route::BatchDeleteInstances),
    ("POST", "/v1/{p}/replications", Route::CreatePair),
    ("GET", "/v1/{p}/replications", Route::ListPairs),
    ("GET", "/v1/{p}/replications/{id}", Route::ShowPair),
    ("DELETE", "/v1/{p}/replications/{id}", Route::DeletePair),
    ("PUT", "/v1/{p}/replications/{id}", Route::UpdatePair),
    ("POST", "/v1/{p}/replications/{id}/action", Route::ExpandPair),
    ("POST", "/v1/{p}/disaster-recovery-drills", Route::CreateDrill),
    ("GET", "/v1/{p}/disaster-recovery-drills", Route::ListDrills),
    ("GET", "/v1/{p}/disaster-recovery-drills/{id}", Route::ShowDrill),
    ("DELETE", "/v1/{p}/disaster-recovery-drills/{id}", Route::DeleteDrill),
    ("PUT", "/v1/{p}/disaster-recovery-drills/{id}", Route::UpdateDrill),
    ("POST", "/v1/{p}/protected-instances/resource_instances/action", Route::QueryByTags),
    ("POST", "/v1/{p}/protected-instances/{id}/tags/action", Route::TagsAction),
    ("POST", "/v1/{p}/protected-instances/{id}/tags", Route::CreateTag),
    ("GET", "/v1/{p}/protected-instances/{id}/tags", Route::ListTags),
    ("DELETE", "/v1/{p}/protected-instances/{id}/tags/{key}", Route::DeleteTag),
    ("GET", "/v1/{p}/protected-instances/tags", Route::ProjectTags),
    ("POST", "/v2/{p}/disaster-recovery/{id}/start", Route::StartDisasterRecovery),
    ("GET", "/v1/{p}/resource/rpo-statistics", Route::ListRpoStatistics),
];

/// The result of routing a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Routed {
    /// A route, with the decoded values of its templates in order.
    Found(Route, Vec<String>),
    /// The path is known, but not with this method.
    MethodNotAllowed,
    /// No such path.
    NotFound,
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Specificity of `pattern` for `path` (one flag per segment, literal = true), if it matches.
fn matches(pattern: &[&str], path: &[&str]) -> Option<Vec<bool>> {
    if pattern.len() != path.len() {
        return None;
    }
    let mut score = Vec::with_capacity(pattern.len());
    for (p, s) in pattern.iter().zip(path) {
        if p.starts_with('{') {
            score.push(false);
        } else if p == s {
            score.push(true);
        } else {
            return None;
        }
    }
    Some(score)
}

/// Routes `method path` (path as sent, percent-encoded).
pub(super) fn route(method: &str, path: &str) -> Routed {
    let path_segments = segments(path);
    let mut best: Option<(Vec<bool>, &Entry)> = None;
    let mut path_known = false;
    for entry in ROUTES {
        let pattern = segments(entry.1);
        let Some(score) = matches(&pattern, &path_segments) else {
            continue;
        };
        path_known = true;
        if !entry.0.eq_ignore_ascii_case(method) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, entry));
        }
    }
    match best {
        Some((_, entry)) => {
            let pattern = segments(entry.1);
            let params = pattern
                .iter()
                .zip(&path_segments)
                .filter(|(p, _)| p.starts_with('{'))
                .map(|(_, s)| percent_decode_str(s).decode_utf8_lossy().into_owned())
                .collect();
            Routed::Found(entry.2, params)
        }
        None if path_known => Routed::MethodNotAllowed,
        None => Routed::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_templates() {
        assert_eq!(route("GET", "/v1/p/protected-instances/tags"), Routed::Found(Route::ProjectTags, vec!["p".into()]));
        assert_eq!(
            route("DELETE", "/v1/p/task-center/failure-jobs/batch"),
            Routed::Found(Route::DeleteAllFailureJobs, vec!["p".into()])
        );
        assert_eq!(
            route("GET", "/v1/p/protected-instances/abc"),
            Routed::Found(Route::ShowInstance, vec!["p".into(), "abc".into()])
        );
        assert_eq!(route("GET", "/v1"), Routed::Found(Route::ShowVersion, vec!["v1".into()]));
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        assert_eq!(route("GET", "/v1/p/nothing/here"), Routed::NotFound);
        assert_eq!(route("PATCH", "/v1/p/server-groups"), Routed::MethodNotAllowed);
    }

    #[test]
    fn template_values_are_percent_decoded() {
        assert_eq!(
            route("DELETE", "/v1/p/protected-instances/i/tags/my%20key"),
            Routed::Found(Route::DeleteTag, vec!["p".into(), "i".into(), "my key".into()])
        );
    }
}
