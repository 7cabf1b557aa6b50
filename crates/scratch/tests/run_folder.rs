//! The one list of what a run folder holds (`common::fit::RUN_FILES`) against what the real
//! binary writes: a run with a test split on an image folder with a skipped file, then `eval`,
//! write exactly those files; the temporary file of
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

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Two classes of the shipped digits folder's PNG files (10 each) and one truncated file.
fn image_folder(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("pics");
    let digits = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/digits_folder");
    for class in ["0", "1"] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        let mut files: Vec<_> = std::fs::read_dir(digits.join(class))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "png"))
            .collect();
        files.sort();
        for f in &files[..10] {
            std::fs::copy(f, root.join(class).join(f.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(root.join("1/broken.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    root
}

#[test]
fn a_run_writes_only_listed_files_and_their_stale_temp_files_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // A test split, an image folder with a file that is skipped, and `eval` drawing the
    // confusion matrix beside the checkpoint: every file a run folder can hold is written.
    let pics = image_folder(dir.path());
    let path = format!("data.path={:?}", pics.display().to_string());
    let split = [
        "--set",
        "data.split={ train = 0.6, val = 0.2, test = 0.2 }",
        "--set",
        "data.source=\"images\"",
        "--set",
        &path,
        "--set",
        "data.image.bad_files=\"skip\"",
        "--set",
        "model.kind=\"cnn\"",
        "--set",
        "model.channels=[4]",
    ];
    run_ok(dir.path(), &train_args(&out, 2, &split));
    let best = out.join("best.safetensors").display().to_string();
    run_ok(dir.path(), &strings(&["eval", "--checkpoint", &best]));
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

/// Trains `config` for one epoch with `sets` from the repository root and checks `split.json`
/// against the file: the rows it names, re-read from the data file and preprocessed as the run
/// did, are exactly the rows (features and labels, in order) the run trained, validated and
/// tested on.
fn split_json_names_the_files_rows(config: &str, sets: &[&str]) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut args: Vec<String> = ["train", "-q", "-c", config, "--out"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(out.display().to_string());
    for s in ["train.epochs=1"].iter().chain(sets) {
        args.extend(["--set".to_string(), s.to_string()]);
    }
    run_ok(&repo, &args);
    let mut cfg = common::config::Config::load(&out.join("config.toml"), &[]).unwrap();
    // The data file by its absolute path (the run's is relative to the repository root).
    let path = repo.join(cfg.data.path.clone().unwrap_or("data/digits.csv".into()));
    cfg.data.path = Some(path.clone());
    let p = common::data::prepare(&cfg).unwrap();
    let frame = common::data::csv::read_for_predict(&path, &p.pre).unwrap();
    let all: Vec<usize> = (0..frame.n_rows).collect();
    let (x_file, _) = p.pre.transform(&frame, &all).unwrap();
    // The label strings of the file's data rows (the shipped files quote nothing).
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let target = p.pre.target.clone().unwrap();
    let t = header.iter().position(|h| *h == target).unwrap();
    let labels: Vec<String> = lines
        .map(|l| l.split(',').nth(t).unwrap().to_string())
        .collect();
    let split: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("split.json")).unwrap()).unwrap();
    for (name, xy) in [("train", &p.train), ("val", &p.val), ("test", &p.test)] {
        let rows: Vec<usize> = split[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(rows.len(), xy.y.len(), "{config} {name}: row count");
        for (k, &r) in rows.iter().enumerate() {
            assert_eq!(x_file.row(r), xy.x.row(k), "{config} {name}: file row {r}");
            assert_eq!(
                labels[r], p.class_names[xy.y[k]],
                "{config} {name}: label of row {r}"
            );
        }
    }
}

#[test]
fn split_json_names_the_files_rows_with_a_class_subset() {
    split_json_names_the_files_rows(
        "configs/penguins.toml",
        &[
            "data.keep_classes=[\"Chinstrap\", \"Gentoo\"]",
            "data.train_per_class=30",
        ],
    );
    // An image config whose classes are a subset (digits 0–4), capped per class.
    split_json_names_the_files_rows("configs/digits_pretrain.toml", &["data.train_per_class=20"]);
}
