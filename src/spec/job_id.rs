//! The documented shape of job ids: `x-sdrs-job-id-pattern` on `Job.job_id`, advisory only (its
//! `x-sdrs-disagreements` say why: some examples are not hex, INC-50).

use super::openapi::ApiSpec;
use super::{Location, SpecProblem};

/// Where the job id's pattern is written in the SDRS document.
pub const JOB_ID_POINTER: &str = "/components/schemas/Job/properties/job_id";

/// The pattern documented job ids follow, and the disagreements that make it advisory.
#[derive(Debug, Clone)]
pub struct JobIdShape {
    /// The pattern as written.
    pub pattern: String,
    /// INC ids disputing it (a mismatch warns unless `--strict`).
    pub disagreements: Vec<String>,
    regex: regex::Regex,
}

impl JobIdShape {
    /// Whether `id` has the documented shape.
    pub fn matches(&self, id: &str) -> bool {
        self.regex.is_match(id)
    }

    /// Reads the shape from `Job.job_id`; `None` (no check) when the document gives none.
    pub(super) fn read(api: &ApiSpec, problems: &mut Vec<SpecProblem>) -> Option<JobIdShape> {
        let node = api.document.pointer(JOB_ID_POINTER)?;
        let pattern = node.get("x-sdrs-job-id-pattern")?.as_str()?.to_owned();
        let disagreements = super::strings_under([node], "x-sdrs-disagreements");
        match regex::Regex::new(&pattern) {
            Ok(regex) => Some(JobIdShape { pattern, disagreements, regex }),
            Err(e) => {
                problems.push(SpecProblem {
                    location: Location { file: api.file.clone(), line: 0 },
                    message: format!(
                        "#{JOB_ID_POINTER}: x-sdrs-job-id-pattern `{pattern}` is no regular expression: {e}"
                    ),
                });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::Specs;

    #[test]
    fn the_job_id_shape_is_read_from_the_document_with_its_disagreement() {
        let shape = Specs::embedded().job_id.as_ref().expect("Job.job_id documents a pattern");
        assert!(shape.matches("0123456789abcdef0123456789abcdef"));
        assert!(!shape.matches("0123456789ABCDEF0123456789abcdef"));
        assert!(!shape.matches("ff80808288d41e1b018990260955686a-x"));
        assert_eq!(shape.disagreements, ["INC-50"]);
    }

    #[test]
    fn a_broken_pattern_is_a_problem_of_the_file() {
        let mut src = crate::spec::SpecSources::embedded();
        src.sdrs =
            src.sdrs.replacen("x-sdrs-job-id-pattern: ^[0-9a-f]{32}$", "x-sdrs-job-id-pattern: ^[0-9a-f{32}$", 3);
        let e = Specs::from_sources(&src).unwrap_err().to_string();
        assert!(e.contains("x-sdrs-job-id-pattern `^[0-9a-f{32}$` is no regular expression"), "{e}");
    }
}
