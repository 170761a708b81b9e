//! Stored payload snapshots, in insta's file format under `snapshots/`, so that
//! `cargo insta review` manages the same files the `run` command compares against.

use super::files::{embedded_snapshots, readable_dir, source_snapshot_dir, Files};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The snapshots a run compares against: a directory, or the copies built into the binary.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
    embedded: bool,
}

/// The file stem of a snapshot name (`/` is not allowed in file names).
pub fn file_stem(name: &str) -> String {
    name.replace('/', "__")
}

impl SnapshotStore {
    /// A store over `dir`.
    pub fn new(dir: &Path) -> SnapshotStore {
        SnapshotStore { dir: dir.to_path_buf(), embedded: false }
    }

    /// The store `files` names; a directory given explicitly must be readable.
    pub fn from_files(files: &Files) -> std::io::Result<SnapshotStore> {
        match files {
            Files::Embedded => Ok(SnapshotStore { dir: source_snapshot_dir(), embedded: true }),
            Files::Dir(dir) => readable_dir(dir).map(|()| SnapshotStore::new(dir)),
            // No directory: every comparison finds no snapshot.
            Files::None => Ok(SnapshotStore::new(Path::new(""))),
        }
    }

    /// The directory (for built-in snapshots, the repository's, where insta writes new ones).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many snapshots the store holds.
    pub fn len(&self) -> usize {
        if self.embedded {
            return embedded_snapshots().len();
        }
        if self.dir.as_os_str().is_empty() {
            return 0;
        }
        std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "snap")).count())
            .unwrap_or(0)
    }

    /// Whether the store holds no snapshot.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The recorded payload of `name`, if any (the insta header is skipped).
    pub fn load(&self, name: &str) -> Option<Value> {
        let file = format!("{}.snap", file_stem(name));
        let text = if self.embedded {
            embedded_snapshots().iter().find(|(n, _)| *n == file).map(|(_, t)| (*t).to_owned())?
        } else if self.dir.as_os_str().is_empty() {
            return None;
        } else {
            std::fs::read_to_string(self.dir.join(file)).ok()?
        };
        let body = match text.strip_prefix("---") {
            Some(rest) => rest.split_once("\n---\n").map(|(_, b)| b.to_owned()).unwrap_or_default(),
            None => text,
        };
        serde_json::from_str(&body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_snapshots_read_as_the_files_do() {
        let built_in = SnapshotStore::from_files(&Files::Embedded).unwrap();
        let dir = SnapshotStore::new(&source_snapshot_dir());
        for name in ["createProtectionGroup/positive", "listApiVersions/positive"] {
            assert!(built_in.load(name).is_some(), "{name} not built in");
            assert_eq!(built_in.load(name), dir.load(name));
        }
        assert_eq!(built_in.len(), dir.len());
        assert!(built_in.load("noSuchOperation/positive").is_none());
    }

    #[test]
    fn an_explicit_directory_that_does_not_exist_is_refused() {
        assert!(SnapshotStore::from_files(&Files::Dir("/nonexistent/snaps".into())).is_err());
        assert!(SnapshotStore::from_files(&Files::None).unwrap().is_empty());
    }
}
