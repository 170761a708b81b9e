//! Embeds the default scenario files (`cases/*.yaml`) and payload snapshots (`snapshots/*.snap`)
//! into the binary, so that an installed binary run from any directory runs the same suite.
//!
//! It writes `$OUT_DIR/embedded_files.rs`: two `&[(file name, contents)]` tables of
//! `include_str!`s, sorted by name. Cargo reruns it when either directory changes.

use std::fmt::Write as _;
use std::path::Path;

fn table(out: &mut String, name: &str, dir: &Path, extensions: &[&str]) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && p.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)));
    files.sort();
    let _ = writeln!(out, "/// `{}`: every file, by name.", dir.file_name().unwrap_or_default().to_string_lossy());
    let _ = writeln!(out, "pub(crate) static {name}: &[(&str, &str)] = &[");
    for path in files {
        let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let _ = writeln!(out, "    ({file:?}, include_str!({:?})),", path.display().to_string());
    }
    out.push_str("];\n");
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    let mut out = String::new();
    table(&mut out, "CASES", &root.join("cases"), &["yaml", "yml"]);
    table(&mut out, "SNAPSHOTS", &root.join("snapshots"), &["snap"]);
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_files.rs");
    std::fs::write(dest, out).expect("cannot write embedded_files.rs");
}
