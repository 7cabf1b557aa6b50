//! The walk over every shipped config through a real backend binary. For each
//! `configs/*.toml`, with its epochs
//! shortened: N epochs in one run; 1 epoch, then `--resume` to N; the two runs must be equal
//! bit for bit (weights, optimizer state, loop state, history, best checkpoint); then `eval`
//! and `predict` from the checkpoint. A new config is covered without touching a test. A
//! config that starts from another shipped config's checkpoint (`model.init_from =
//! "checkpoints/<backend>-<stem>/…"`, the transfer-learning pair) starts from this walk's own
//! run of that config, which sorts before it.

use super::{assert_same_run, repo, run, strings};
use common::checkpoint::Checkpoint;
use std::path::{Path, PathBuf};

/// Epochs of the uninterrupted run (the other stops after 1 and resumes to this).
pub const EPOCHS: usize = 3;

/// Every shipped config, sorted.
pub fn configs() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(repo().join("configs"))
        .expect("configs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    all.sort();
    assert!(all.len() >= 8, "the shipped configs are missing: {all:?}");
    all
}

/// `train -c config -q --set train.epochs=E --out dir` plus `extra`.
pub fn train(bin: &str, config: &Path, epochs: usize, out: &Path, extra: &[String]) {
    let mut args = strings(&["train", "-q", "-c"]);
    args.push(config.display().to_string());
    args.extend(strings(&[
        "--set",
        &format!("train.epochs={epochs}"),
        "--out",
    ]));
    args.push(out.display().to_string());
    args.extend(extra.iter().cloned());
    run(bin, &args);
}

/// A CSV of raw rows to predict: the config's own data file, or (synthetic data) a few rows
/// with the checkpoint's input column names.
pub fn predict_input(ckpt: &Checkpoint, dir: &Path) -> (PathBuf, usize) {
    if let Some(p) = &ckpt.meta.config.data.path {
        let path = repo().join(p);
        let rows = std::fs::read_to_string(&path)
            .expect("data")
            .lines()
            .count()
            - 1;
        return (path, rows);
    }
    let names: Vec<String> = ckpt
        .meta
        .preprocessing
        .columns
        .iter()
        .map(|c| match c {
            common::preprocess::InputColumn::Numeric { name, .. }
            | common::preprocess::InputColumn::Categorical { name, .. } => name.clone(),
        })
        .collect();
    let mut text = names.join(",") + "\n";
    for r in 0..5 {
        let row: Vec<String> = (0..names.len())
            .map(|c| format!("{:.3}", (r as f64 * 0.7 - c as f64 * 0.45).sin() * 1.3))
            .collect();
        text += &(row.join(",") + "\n");
    }
    let path = dir.join("rows.csv");
    std::fs::write(&path, text).expect("write rows");
    (path, 5)
}

/// `eval` and `predict` from `best.safetensors`: a metrics report, one prediction per input
/// row, each row's probabilities summing to 1.
fn eval_and_predict(bin: &str, name: &str, dir: &Path) {
    let best = dir.join("best.safetensors");
    let mut args = strings(&["eval", "--checkpoint"]);
    args.push(best.display().to_string());
    let out = run(bin, &args);
    assert!(out.contains("accuracy"), "{name} eval: {out}");
    let ckpt = Checkpoint::load(&best).expect("best");
    let (input, rows) = predict_input(&ckpt, dir);
    let output = dir.join("predictions.csv");
    let mut args = strings(&["predict", "--checkpoint"]);
    args.push(best.display().to_string());
    args.extend(strings(&[
        "--input",
        &input.display().to_string(),
        "--output",
    ]));
    args.push(output.display().to_string());
    run(bin, &args);
    let text = std::fs::read_to_string(&output).expect("predictions");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), rows + 1, "{name}: one prediction per row");
    for line in &lines[1..] {
        let p: f64 = line
            .split(',')
            .skip(2)
            .map(|v| v.parse::<f64>().expect("probability"))
            .sum();
        assert!(
            (p - 1.0).abs() < 1e-4,
            "{name}: probabilities sum to {p}: {line}"
        );
    }
}

/// The whole walk for one binary; `extra` are flags of that binary (e.g. torch's threads).
pub fn walk(bin: &str, extra: &[&str]) {
    let mut done: Vec<(String, tempfile::TempDir)> = Vec::new();
    for config in configs() {
        let name = config.file_stem().unwrap().to_string_lossy().into_owned();
        let mut extra = strings(extra);
        extra.extend(pretrained_from_walk(&config, &done));
        let tmp = tempfile::tempdir().expect("tempdir");
        let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
        train(bin, &config, EPOCHS, &full, &extra);
        train(bin, &config, 1, &part, &extra);
        let mut resume = extra.clone();
        resume.push("--resume".into());
        resume.push(part.join("last.safetensors").display().to_string());
        train(bin, &config, EPOCHS, &part, &resume);
        assert_same_run(&name, &full, &part);
        eval_and_predict(bin, &name, &full);
        eprintln!("{name}: {EPOCHS} epochs = 1 + resume to {EPOCHS}, eval and predict: ok");
        done.push((name, tmp));
    }
}

/// `--set model.init_from=…` pointing at the walk's run of the config whose checkpoint
/// `config` starts from, if it starts from one.
fn pretrained_from_walk(config: &Path, done: &[(String, tempfile::TempDir)]) -> Vec<String> {
    let cfg = common::config::Config::load(config, &[]).expect("a shipped config loads");
    let Some(init) = cfg.model.init_from else {
        return Vec::new();
    };
    let folder = init
        .parent()
        .and_then(|p| p.file_name())
        .expect("checkpoints/<run>/file");
    let folder = folder.to_string_lossy();
    let (_, stem) = folder.split_once('-').expect("<backend>-<config stem>");
    let (_, dir) = done.iter().find(|(n, _)| n == stem).unwrap_or_else(|| {
        panic!(
            "{}: starts from {stem}, which the walk has not run",
            config.display()
        )
    });
    let file = dir
        .path()
        .join("full")
        .join(init.file_name().expect("a file"));
    strings(&["--set", &format!("model.init_from={}", file.display())])
}
