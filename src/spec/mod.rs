//! The typed model of `specs/`: the OpenAPI documents (the seed reference, its extension of
//! operations documented elsewhere, and the DWS page), the error-code table and the state
//! machines, loaded with `file:line` locations and cross-checked.
//!
//! Everything else in the crate reads the contract through [`Specs`]; nothing here performs
//! I/O beyond reading the spec files, and nothing judges a target.

mod error;
mod errors_table;
mod job_id;
mod locate;
mod openapi;
mod readings;
mod resources;
mod schema;
mod states;
mod validate;

pub use error::{SpecError, SpecProblem};
pub use errors_table::{ErrorCode, ErrorTable};
pub use job_id::{JobIdShape, JOB_ID_POINTER};
pub use locate::Location;
pub use openapi::{
    resolve_ref, ApiSpec, AsyncJob, Discriminator, NotFound, Operation, ParamLocation, Parameter, RequestKeyedSchema,
    ResponseSpec,
};
pub use readings::{is_gap_id, Dispute, DisputedRule, Gap, Readings};
pub use resources::{fill, DeleteRecipe, Placeholder, PrepStep, ResourceKind, ResourceTable};
pub use schema::{SchemaCache, SchemaError, SchemaSet, SchemaViolation};
pub use states::{Action, Cascade, EndState, Machine, Noted, ParentRule, Refusal, Requirement, StateKind, StateModel};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// File names inside a specs directory.
pub const SDRS_FILE: &str = "sdrs-v1.openapi.yaml";
/// SDRS v1 operations documented outside the seeds (other editions, the official SDK).
pub const EXTENSIONS_FILE: &str = "sdrs-v1-extensions.openapi.yaml";
/// The seed-002 (DWS) document.
pub const DWS_FILE: &str = "dws-disaster-recovery.openapi.yaml";
/// The A.1 error-code table.
pub const ERRORS_FILE: &str = "errors.yaml";
/// The state machines and actions.
pub const STATES_FILE: &str = "states.yaml";
/// The readings of ours where the reference is silent.
pub const READINGS_FILE: &str = "readings.yaml";

/// All specs of the project, loaded and cross-checked.
#[derive(Debug)]
pub struct Specs {
    /// The SDRS v1 OpenAPI document of the seed reference.
    pub sdrs: ApiSpec,
    /// The SDRS v1 operations that the seeds lack (`info.x-sdrs-origin` says where they come from).
    pub extensions: ApiSpec,
    /// The separate DWS disaster-recovery document (seed 002).
    pub dws: ApiSpec,
    /// Appendix A.1.
    pub errors: ErrorTable,
    /// Appendix A.2-A.5 and every action.
    pub states: StateModel,
    /// The readings of ours where the reference is silent (GAP-xx).
    pub readings: Readings,
    /// Where each resource kind lives in the API (from `states.yaml` and the documents).
    pub resources: ResourceTable,
    /// The documented shape of job ids (`x-sdrs-job-id-pattern`), when the document gives one.
    pub job_id: Option<JobIdShape>,
}

/// The raw text of each spec file, with the name used in messages.
pub struct SpecSources {
    /// Directory shown in locations (such as `specs`).
    pub dir: PathBuf,
    /// Text of `sdrs-v1.openapi.yaml`.
    pub sdrs: String,
    /// Text of `sdrs-v1-extensions.openapi.yaml`.
    pub extensions: String,
    /// Text of `dws-disaster-recovery.openapi.yaml`.
    pub dws: String,
    /// Text of `errors.yaml`.
    pub errors: String,
    /// Text of `states.yaml`.
    pub states: String,
    /// Text of `readings.yaml`.
    pub readings: String,
}

impl SpecSources {
    /// The specs compiled into the binary, as they were in `specs/` at build time.
    pub fn embedded() -> SpecSources {
        SpecSources {
            dir: PathBuf::from("specs"),
            sdrs: include_str!("../../specs/sdrs-v1.openapi.yaml").to_owned(),
            extensions: include_str!("../../specs/sdrs-v1-extensions.openapi.yaml").to_owned(),
            dws: include_str!("../../specs/dws-disaster-recovery.openapi.yaml").to_owned(),
            errors: include_str!("../../specs/errors.yaml").to_owned(),
            states: include_str!("../../specs/states.yaml").to_owned(),
            readings: include_str!("../../specs/readings.yaml").to_owned(),
        }
    }

    /// Reads the five files from `dir`.
    pub fn read_dir(dir: &Path) -> Result<SpecSources, SpecError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| SpecError::Read { path, source })
        };
        Ok(SpecSources {
            dir: dir.to_path_buf(),
            sdrs: read(SDRS_FILE)?,
            extensions: read(EXTENSIONS_FILE)?,
            dws: read(DWS_FILE)?,
            errors: read(ERRORS_FILE)?,
            states: read(STATES_FILE)?,
            readings: read(READINGS_FILE)?,
        })
    }
}

impl Specs {
    /// Parses and cross-checks the sources; every problem found is reported, not just the first.
    pub fn from_sources(src: &SpecSources) -> Result<Specs, SpecError> {
        let file = |name: &str| src.dir.join(name).display().to_string();
        let mut problems = Vec::new();
        let sdrs = ApiSpec::parse(&src.sdrs, &file(SDRS_FILE), &mut problems);
        let extensions = ApiSpec::parse(&src.extensions, &file(EXTENSIONS_FILE), &mut problems);
        let dws = ApiSpec::parse(&src.dws, &file(DWS_FILE), &mut problems);
        let errors = ErrorTable::parse(&src.errors, &file(ERRORS_FILE), &mut problems);
        let states = StateModel::parse(&src.states, &file(STATES_FILE), &mut problems);
        let readings = Readings::parse(&src.readings, &file(READINGS_FILE), &mut problems);
        let (Some(sdrs), Some(extensions), Some(dws), Some(errors), Some(states), Some(readings)) =
            (sdrs, extensions, dws, errors, states, readings)
        else {
            return Err(SpecError::Invalid(problems));
        };
        let job_id = JobIdShape::read(&sdrs, &mut problems);
        let mut specs =
            Specs { sdrs, extensions, dws, errors, states, readings, resources: ResourceTable::default(), job_id };
        validate::cross_check(&specs, &mut problems);
        specs.resources = ResourceTable::build(&specs, &src.states, &file(STATES_FILE), &mut problems);
        if problems.is_empty() {
            Ok(specs)
        } else {
            Err(SpecError::Invalid(problems))
        }
    }

    /// Loads the specs of a directory.
    pub fn load_dir(dir: &Path) -> Result<Specs, SpecError> {
        Specs::from_sources(&SpecSources::read_dir(dir)?)
    }

    /// The embedded specs, parsed once per process, or every problem found in them (file:line).
    ///
    /// The files under `specs/` are compiled in, so an edit there that breaks them shows here: the
    /// command line calls this first and exits 2 with the problems, instead of panicking later.
    pub fn try_embedded() -> Result<&'static Specs, &'static SpecError> {
        static SPECS: OnceLock<Result<Specs, SpecError>> = OnceLock::new();
        SPECS.get_or_init(|| Specs::from_sources(&SpecSources::embedded())).as_ref()
    }

    /// The embedded specs, for code that runs after [`Specs::try_embedded`] succeeded.
    ///
    /// # Panics
    /// If the embedded specs are invalid; the command line has refused to start by then.
    pub fn embedded() -> &'static Specs {
        Specs::try_embedded().unwrap_or_else(|e| panic!("the embedded specs are invalid (run check-spec): {e}"))
    }

    /// The OpenAPI documents: the seed reference, its extension, the DWS page.
    pub fn apis(&self) -> [&ApiSpec; 3] {
        [&self.sdrs, &self.extensions, &self.dws]
    }

    /// Every operation of every document.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.apis().into_iter().flat_map(|api| api.operations.iter())
    }

    /// Every SDRS operation: the seed reference's and the extension's.
    pub fn sdrs_operations(&self) -> impl Iterator<Item = &Operation> {
        self.sdrs.operations.iter().chain(self.extensions.operations.iter())
    }

    /// The document that defines `op` (the seed document for an operation of no document).
    pub fn api_of(&self, op: &Operation) -> &ApiSpec {
        self.apis().into_iter().find(|api| api.file == op.location.file).unwrap_or(&self.sdrs)
    }

    /// The operation with this id, in either document.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations().find(|op| op.id == id)
    }
}

/// The reading of ours (a GAP id of readings.yaml) that a node of a spec marks as a whole with
/// `x-sdrs-inferred: GAP-xx`; `None` when the node is not marked so (or marks single keywords).
pub fn inferred_gap(node: &serde_json::Value) -> Option<String> {
    node.get("x-sdrs-inferred")?.as_str().map(str::to_owned)
}

/// The strings the nodes record under the extension `key` (one string or a list of them), each
/// once, in the order met: the INC ids of `x-sdrs-disagreements` along a schema chain, say.
pub fn strings_under<'a>(nodes: impl IntoIterator<Item = &'a serde_json::Value>, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for node in nodes {
        let values: Vec<&str> = match node.get(key) {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(items)) => items.iter().filter_map(serde_json::Value::as_str).collect(),
            _ => Vec::new(),
        };
        for v in values {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_specs_load_and_cross_check() {
        let specs = Specs::from_sources(&SpecSources::embedded()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs.sdrs.operations.len(), 48);
        assert_eq!(specs.sdrs_operations().count(), 49);
        assert_eq!(specs.errors.codes.len(), 256);
    }
}
