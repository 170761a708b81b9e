//! Fault modes: switches that make the emulator break the SDRS contract on purpose, each in one
//! named way, so that the conformance suite can prove it catches what its checks promise.
//!
//! A fault is named in kebab case (`serve --fault NAME`, [`EmulatorConfig::faults`]), describes
//! itself in one line and names the check of the suite that should catch it. The table below is
//! the only place a fault is declared; the handlers ask `state.faulty(Fault::X)` where the
//! behaviour bends.
//!
//! ```
//! use sdrs_conformance::emulator::Fault;
//! let fault = Fault::parse("job-never-ends").unwrap();
//! assert_eq!(fault.target_check(), "job_protocol");
//! assert!(Fault::parse("job-never-end").unwrap_err().to_string().contains("did you mean `job-never-ends`"));
//! ```
//!
//! [`EmulatorConfig::faults`]: super::EmulatorConfig::faults

use std::fmt;
use std::str::FromStr;

/// Declares the faults: variant, kebab-case name, target check, one-line description.
macro_rules! faults {
    ($($variant:ident = $name:literal, $check:literal, $describe:literal;)+) => {
        /// One way of breaking the SDRS contract on purpose (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $(
                #[doc = $describe]
                $variant,
            )+
        }

        impl Fault {
            /// Every fault, in declaration order (grouped by target check).
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The kebab-case name used by `--fault`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// The check of the conformance suite that should catch this fault.
            pub fn target_check(self) -> &'static str {
                match self {
                    $(Fault::$variant => $check,)+
                }
            }

            /// What the emulator does wrong under this fault, in one line.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Fault::$variant => $describe,)+
                }
            }
        }
    };
}

faults! {
    UndocumentedStatus = "undocumented-status", "status_code",
        "GET server-groups/{id} answers 201, a status the operation does not document, instead of 200";
    AsyncWriteWrongStatus = "async-write-wrong-status", "status_code",
        "POST replications answers 201 instead of 200 (the job is still created and runs)";
    ErrorStatus5xx = "error-status-5xx", "status_code",
        "GET disaster-recovery-drills answers 500 with a valid error body (SDRS.0013) instead of the list";
    WrongContentType = "wrong-content-type", "content_type",
        "GET protected-instances/{id} labels its JSON body text/plain";
    TruncatedBody = "truncated-body", "content_type",
        "GET server-groups sends only the first half of its JSON body";
    NonJsonBody = "non-json-body", "content_type",
        "GET sdrs/quotas answers 200 with an HTML page instead of JSON";
    MissingRequiredField = "missing-required-field", "response_schema",
        "protection groups (show, list, rename) lack the required field domain_name";
    WrongFieldType = "wrong-field-type", "response_schema",
        "protected instances carry progress as a string (\"100\") instead of an integer";
    EnumOutOfSpec = "enum-out-of-spec", "response_schema",
        "replication pairs carry replication_status \"syncing\", outside its enumeration";
    NullInNonNullable = "null-in-non-nullable", "response_schema",
        "DR drills carry name null, which their schema does not allow";
    ErrorCodeNotInTable = "error-code-not-in-table", "error_body",
        "invalid-request (SDRS.0201) and not-found (SDRS.1013/1320/1608/1902) refusals carry SDRS.9999, outside A.1";
    ErrorCodeWrongStatus = "error-code-wrong-status", "error_body",
        "invalid-request refusals (SDRS.0201, 400 in A.1) are sent with HTTP 409";
    ErrorBodyUnwrapped = "error-body-unwrapped", "error_body",
        "SDRS error bodies are {\"code\", \"message\"} at the top level, without their wrapper key";
    ErrorBodyEmpty = "error-body-empty", "error_body",
        "400 refusals have an empty body";
    AsyncWriteWithoutJobId = "async-write-without-job-id", "job_protocol",
        "POST server-groups answers {} without job_id (the group is still created)";
    JobWrongType = "job-wrong-type", "job_protocol",
        "the job of POST replications has job_type deleteReplicationPairNoCG";
    JobNeverEnds = "job-never-ends", "job_protocol",
        "jobs stay RUNNING forever and their resources stay in transitional states";
    JobSuccessWithErrorState = "job-success-with-error-state", "job_protocol",
        "the start job of a protection group ends SUCCESS but leaves the group in error-starting";
    JobStatusRegresses = "job-status-regresses", "job_protocol",
        "every job falls back from RUNNING to INIT once before it ends";
    JobBadIdFormat = "job-bad-id-format", "job_protocol",
        "job ids are JSON numbers (100001, ...) instead of strings, in async answers and job bodies";
    JobEndBeforeBegin = "job-end-before-begin", "job_protocol",
        "finished jobs report an end_time one minute before their begin_time";
    JobMissingEntity = "job-missing-entity", "job_protocol",
        "the job of POST protected-instances ends SUCCESS without entities.protected_instance_id";
    StaleMemberState = "stale-member-state", "state_transition",
        "after a protection-group action its instances and pairs keep the state they had before";
    JobSuccessWithError = "job-success-with-error", "job_protocol",
        "jobs that succeed end SUCCESS with the error_code and fail_reason of a failure of their type";
    JobBeginTimeDrifts = "job-begin-time-drifts", "job_protocol",
        "a job's begin_time moves one second earlier at every poll";
    JobStatusOutOfEnum = "job-status-out-of-enum", "job_protocol",
        "job statuses are sent in lower case (\"running\", \"success\"), outside the documented enumeration";
    ForbiddenTransition = "forbidden-transition", "state_transition",
        "after a successful start a protection group reads failed-over once (starting -> failed-over), then protected";
    UnknownStatus = "unknown-status", "state_transition",
        "available protected instances show status paused, which appendix A.3 does not list";
    ActionFromForbiddenState = "action-from-forbidden-state", "precondition",
        "failover of an available protection group is accepted and runs instead of being refused";
    DeleteGroupWithMembers = "delete-group-with-members", "precondition",
        "deleting a protection group that holds instances, pairs or drills is accepted";
    WrongRefusalCode = "wrong-refusal-code", "precondition",
        "refusals because of a resource's state carry SDRS.0201 instead of their documented code";
    InvalidInputAccepted = "invalid-input-accepted", "negative_rejection",
        "descriptions with the forbidden characters '<' and '>' are accepted (groups, instances, pairs)";
    LimitNotValidated = "limit-not-validated", "negative_rejection",
        "limit above 1000 (e.g. 5000) is accepted by lists instead of refused with SDRS.0221";
    MissingFieldAccepted = "missing-field-accepted", "negative_rejection",
        "POST server-groups without source_vpc_id is accepted (the world's first VPC is used)";
    NoAuth = "no-auth", "auth_required",
        "requests without any credentials are accepted";
    BadSignatureAccepted = "bad-signature-accepted", "auth_required",
        "any credential header is accepted: wrong or empty tokens, malformed or unverifiable signatures";
    CreatedMissingFromList = "created-missing-from-list", "resource_lifecycle",
        "GET server-groups omits the most recently created group";
    DeletedStillShown = "deleted-still-shown", "resource_lifecycle",
        "deleted groups, instances, pairs and drills are still shown, with status available";
    TagNotStored = "tag-not-stored", "resource_lifecycle",
        "tag writes answer 204 but store nothing";
    QuotaNotCounted = "quota-not-counted", "resource_lifecycle",
        "quotas report used 0 whatever groups and pairs exist";
    OptionalFieldDropped = "optional-field-dropped", "resource_lifecycle",
        "protection groups forget the description they were created with (shown and listed as null)";
    RenameNotKept = "rename-not-kept", "resource_lifecycle",
        "renames answer the new name, but later shows and lists of the group, instance, pair or drill keep the old one";
    GhostInLists = "ghost-in-lists", "resource_lifecycle",
        "deleted groups, instances, pairs and drills are gone from show but still listed and counted";
    LimitIgnored = "limit-ignored", "pagination",
        "lists ignore limit and return every item from offset on";
    OffsetIgnored = "offset-ignored", "pagination",
        "lists ignore offset and always start at the first item";
    CountWrong = "count-wrong", "pagination",
        "list counts are one more than the number of matching items";
    FilterIgnored = "filter-ignored", "pagination",
        "GET protected-instances ignores its server_group_id and server_group_ids filters";
    SnapshotDrift = "snapshot-drift", "snapshot",
        "API version v1 reports status SUPPORTED instead of CURRENT (a valid value only an exact snapshot sees)";
}

impl Fault {
    /// The reading of ours (a GAP of `specs/readings.yaml`) this fault breaks, for a fault that
    /// breaks no documented rule: the suite warns about it and fails it only under `--strict`.
    pub fn breaks_a_reading(self) -> Option<&'static str> {
        match self {
            // No text says a group always carries domain_name (the tables have no mandatory column).
            Fault::MissingRequiredField => Some("GAP-01"),
            _ => None,
        }
    }

    /// The fault named `name` (kebab case; case and `_` for `-` are forgiven). The error names
    /// the closest fault, if one is close, and lists every valid name.
    pub fn parse(name: &str) -> Result<Fault, super::UnknownName> {
        super::names::parse_named("fault", name, Fault::ALL, Fault::name)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = super::UnknownName;

    fn from_str(s: &str) -> Result<Fault, super::UnknownName> {
        Fault::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKS: [&str; 12] = [
        "status_code",
        "content_type",
        "response_schema",
        "error_body",
        "job_protocol",
        "state_transition",
        "precondition",
        "negative_rejection",
        "auth_required",
        "resource_lifecycle",
        "pagination",
        "snapshot",
    ];

    #[test]
    fn every_name_is_unique_kebab_case_and_parses_back() {
        let mut names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        for fault in Fault::ALL {
            let name = fault.name();
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
            assert_eq!(Fault::parse(name), Ok(*fault));
            assert_eq!(name.parse::<Fault>(), Ok(*fault));
            assert_eq!(fault.to_string(), name);
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
    }

    #[test]
    fn every_check_is_targeted_and_every_target_is_a_check() {
        assert!(Fault::ALL.len() >= 28, "{} faults", Fault::ALL.len());
        for fault in Fault::ALL {
            assert!(CHECKS.contains(&fault.target_check()), "{fault}: {}", fault.target_check());
            assert!(!fault.describe().is_empty() && !fault.describe().contains('\n'), "{fault}");
        }
        for check in CHECKS {
            assert!(Fault::ALL.iter().any(|f| f.target_check() == check), "no fault targets {check}");
        }
    }

    #[test]
    fn parsing_forgives_case_and_underscores() {
        assert_eq!(Fault::parse(" No_Auth "), Ok(Fault::NoAuth));
    }

    #[test]
    fn an_unknown_name_suggests_the_closest_and_lists_all() {
        let message = Fault::parse("count-wrnog").unwrap_err().to_string();
        assert!(message.starts_with("unknown fault `count-wrnog`: did you mean `count-wrong`?"), "{message}");
        assert!(message.contains("snapshot-drift") && message.contains("no-auth"), "{message}");
        let message = Fault::parse("zzzzzzzzzzzzzzzzzzzz").unwrap_err().to_string();
        assert!(!message.contains("did you mean"), "{message}");
        assert!(message.contains("valid faults: undocumented-status, "), "{message}");
        let message = Fault::parse("regresses").unwrap_err().to_string();
        assert!(message.contains("did you mean `job-status-regresses`"), "{message}");
    }
}
