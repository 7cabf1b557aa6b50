//! The one list of what a run folder holds (`common::fit::RUN_FILES`) against what the real
//! binary writes: a run with a test split writes exactly those files; the temporary file of
//! every one of them, left by a dead writer, is removed by the next run in the folder; and a
//! folder holding a run is never replaced without `--overwrite`.

mod robust_support;

use common::fit::RUN_FILES;
use robust_support::*;
use std::path::Path;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A pid that existed and is gone: a child that has been waited for.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_run_writes_only_listed_files_and_their_stale_temp_files_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // A test split, so that every file a run can write is written.
    let split = ["--set", "data.split={ train = 0.6, val = 0.2, test = 0.2 }"];
    run_ok(dir.path(), &train_args(&out, 2, &split));
    let mut listed: Vec<String> = RUN_FILES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        names(&out),
        listed,
        "a finished run holds exactly RUN_FILES"
    );

    let dead = dead_pid();
    for f in RUN_FILES {
        std::fs::write(out.join(format!("{f}.tmp-{dead}")), b"torn").unwrap();
    }
    // A file a later version might add is cleaned too: the cleaner knows no names.
    std::fs::write(out.join(format!("events.out.tmp-{dead}")), b"torn").unwrap();
    let last = out.join("last.safetensors").display().to_string();
    run_ok(
        dir.path(),
        &train_args(&out, 3, &[&split[..], &["--resume", &last]].concat()),
    );
    assert_eq!(
        names(&out),
        listed,
        "the resumed run removed every stale temp file"
    );
}

#[test]
fn a_folder_holding_a_run_is_refused_then_replaced_only_with_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run_ok(dir.path(), &train_args(&out, 2, &[]));
    let before = std::fs::read(out.join("last.safetensors")).unwrap();
    let mut child = spawn(dir.path(), &train_args(&out, 3, &["--set", "optim.lr=0.1"]));
    let (status, err) = finish(&mut child, std::time::Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{err}");
    for needle in [
        "already holds a trained run",
        "--resume",
        "--out",
        "--overwrite",
    ] {
        assert!(err.contains(needle), "'{needle}' not in: {err}");
    }
    assert_eq!(
        std::fs::read(out.join("last.safetensors")).unwrap(),
        before,
        "the refused run changed nothing"
    );
    run_ok(
        dir.path(),
        &train_args(&out, 3, &["--set", "optim.lr=0.1", "--overwrite"]),
    );
    let f = check_folder(&out);
    assert_eq!((f.rows, f.last), (Some(vec![1, 2, 3]), Some(3)));
}

#[test]
fn without_out_a_taken_default_folder_moves_to_a_numbered_one() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "train",
        "-q",
        "--set",
        "data.n=400",
        "--set",
        "train.epochs=2",
    ]
    .map(String::from)
    .to_vec();
    run_ok(dir.path(), &args);
    let first = dir.path().join("checkpoints/scratch-chapter");
    let kept = std::fs::read(first.join("last.safetensors")).unwrap();
    let mut child = spawn(dir.path(), &args);
    let (status, err) = finish(&mut child, std::time::Duration::from_secs(120));
    assert!(status.success(), "{err}");
    assert!(
        err.contains("holds an earlier run (kept)") && err.contains("scratch-chapter-2"),
        "{err}"
    );
    assert_eq!(std::fs::read(first.join("last.safetensors")).unwrap(), kept);
    assert_eq!(
        check_folder(&dir.path().join("checkpoints/scratch-chapter-2")).last,
        Some(2)
    );
}
