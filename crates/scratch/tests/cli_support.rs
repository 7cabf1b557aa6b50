//! Helpers shared by the `scratch` CLI tests: the real binary run in a temporary folder that
//! holds a copy of `data/` and `configs/`, so relative paths resolve as in the repository.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The repository root (two levels above this crate).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A temporary working folder with `data/` and `configs/` copied in.
pub fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["data", "configs"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(repo().join(sub)).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

/// The `scratch` binary, run in `dir`.
pub fn scratch(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("scratch").unwrap();
    cmd.current_dir(dir).env_remove("RUST_LOG");
    cmd
}

/// Runs the binary and returns (exit success, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = scratch(dir).args(args).output().unwrap();
    let so = String::from_utf8_lossy(&out.stdout).into_owned();
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), so, se)
}

/// Asserts a clean failure: exit status 1 (what the docs promise for any error), one `error:`
/// line naming `needle`, no panic.
pub fn assert_clean_error(dir: &Path, args: &[&str], needle: &str) -> String {
    let out = scratch(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit status for {args:?}: {err}"
    );
    assert!(!err.contains("panicked"), "panic for {args:?}: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line for {args:?}: {err}"));
    assert!(
        line.contains(needle),
        "error for {args:?} should name '{needle}': {line}"
    );
    line.to_string()
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// The history CSV of a run folder without the timing column, for exact comparisons.
pub fn history_without_seconds(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("history.csv")).unwrap();
    text.lines()
        .map(|l| {
            l.rsplit_once(',')
                .map(|(a, _)| a.to_string())
                .unwrap_or_default()
        })
        .collect()
}
