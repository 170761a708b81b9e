//! Stored payload snapshots, in insta's file format under `snapshots/`, so that
//! `cargo insta review` manages the same files the `run` command compares against.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The snapshot directory.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
}

/// The file stem of a snapshot name (`/` is not allowed in file names).
pub fn file_stem(name: &str) -> String {
    name.replace('/', "__")
}

impl SnapshotStore {
    /// A store over `dir`.
    pub fn new(dir: &Path) -> SnapshotStore {
        SnapshotStore { dir: dir.to_path_buf() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The recorded payload of `name`, if any (the insta header is skipped).
    pub fn load(&self, name: &str) -> Option<Value> {
        let path = self.dir.join(format!("{}.snap", file_stem(name)));
        let text = std::fs::read_to_string(path).ok()?;
        let body = match text.strip_prefix("---") {
            Some(rest) => rest.split_once("\n---\n").map(|(_, b)| b.to_owned()).unwrap_or_default(),
            None => text,
        };
        serde_json::from_str(&body).ok()
    }
}
