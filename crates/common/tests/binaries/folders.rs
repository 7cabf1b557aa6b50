//! A run folder stands for its checkpoints: `train --resume DIR` continues `DIR/last.safetensors`
//! with the config it holds (no `--config` needed), and `eval` / `predict --checkpoint DIR` use
//! `DIR/best.safetensors`.

use super::{repo, run, strings};

/// Penguins for 2 epochs, resumed from its folder to 4, then evaluated and used from it.
pub fn a_run_folder_resumes_and_predicts(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run").display().to_string();
    let cfg = repo().join("configs/penguins.toml").display().to_string();
    run(
        bin,
        &strings(&[
            "train",
            "-q",
            "-c",
            &cfg,
            "--set",
            "train.epochs=2",
            "--out",
            &out,
        ]),
    );
    run(
        bin,
        &strings(&["train", "-q", "--resume", &out, "--set", "train.epochs=4"]),
    );
    let history = std::fs::read_to_string(dir.path().join("run/history.csv")).unwrap();
    assert_eq!(history.lines().count(), 5, "resumed to 4 epochs: {history}");
    let report = run(bin, &strings(&["eval", "--checkpoint", &out]));
    assert!(report.contains("accuracy"), "{report}");
    let input = repo().join("data/penguins.csv").display().to_string();
    let rows = run(
        bin,
        &strings(&["predict", "--checkpoint", &out, "--input", &input]),
    );
    assert_eq!(
        rows.lines().count(),
        std::fs::read_to_string(&input).unwrap().lines().count()
    );
}
