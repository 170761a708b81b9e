//! Where a run's scenario files and snapshots come from: the copies built into the binary (so
//! that the installed binary runs the same suite from any directory), or a directory the user
//! names, which must then exist and be readable.

use crate::cases::{scenario, Case};
use crate::spec::Specs;
use std::path::{Path, PathBuf};

mod tables {
    include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));
}

/// A source of scenario files or of snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Files {
    /// The repository's `cases/` or `snapshots/`, as built into the binary.
    Embedded,
    /// A directory given explicitly: an error when it is missing or unreadable.
    Dir(PathBuf),
    /// Nothing (a run of the generated cases only, or without snapshots).
    None,
}

/// The scenario files built into the binary: (file name, contents), sorted by name.
pub fn embedded_scenarios() -> &'static [(&'static str, &'static str)] {
    tables::CASES
}

/// The snapshots built into the binary: (file name, contents), sorted by name.
pub fn embedded_snapshots() -> &'static [(&'static str, &'static str)] {
    tables::SNAPSHOTS
}

/// The repository's snapshot directory at build time: where `cargo insta review` writes.
pub(super) fn source_snapshot_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"))
}

/// The scenario cases of `files`, in file-name order.
pub fn load_scenarios(files: &Files, specs: &Specs) -> Result<Vec<Case>, scenario::ScenarioError> {
    match files {
        Files::Embedded => embedded_scenarios()
            .iter()
            .map(|(name, text)| scenario::parse(text, &format!("cases/{name}"), specs))
            .collect(),
        Files::Dir(dir) => {
            readable_dir(dir)
                .map_err(|source| scenario::ScenarioError::Read { path: dir.display().to_string(), source })?;
            scenario::load_dir(dir, specs)
        }
        Files::None => Ok(Vec::new()),
    }
}

/// Checks that `dir` is a directory whose entries can be listed.
pub fn readable_dir(dir: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"));
    }
    std::fs::read_dir(dir).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_repository_directories_is_built_in() {
        let on_disk = |dir: &str, ext: &str| {
            let mut names: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(ext))
                .collect();
            names.sort();
            names
        };
        let names = |t: &[(&str, &str)]| t.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(names(embedded_scenarios()), on_disk("cases", ".yaml"));
        assert_eq!(names(embedded_snapshots()), on_disk("snapshots", ".snap"));
        assert!(embedded_snapshots().len() >= 34, "only {} snapshots built in", embedded_snapshots().len());
    }

    #[test]
    fn embedded_scenarios_parse_like_the_directory() {
        let specs = Specs::embedded();
        let built_in = load_scenarios(&Files::Embedded, specs).unwrap();
        let dir = load_scenarios(&Files::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")), specs).unwrap();
        assert_eq!(built_in.iter().map(|c| &c.id).collect::<Vec<_>>(), dir.iter().map(|c| &c.id).collect::<Vec<_>>());
        assert!(built_in.len() >= 9);
    }

    #[test]
    fn a_missing_directory_given_explicitly_is_an_error() {
        let err = load_scenarios(&Files::Dir("/nonexistent/cases".into()), Specs::embedded()).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cases"), "{err}");
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        assert!(readable_dir(&file).is_err());
    }
}
