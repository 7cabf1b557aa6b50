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
use common::config::Source;
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
    let data = &ckpt.meta.config.data;
    if let (Source::Images, Some(p)) = (data.source, &data.path) {
        return super::walk_images::predict_input(p);
    }
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
            | common::preprocess::InputColumn::Categorical { name, .. }
            | common::preprocess::InputColumn::Embedded { name, .. } => name.clone(),
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
/// row, each row's probabilities summing to 1; then the values (`test_split_values`).
fn eval_and_predict(bin: &str, name: &str, dir: &Path) -> (bool, bool) {
    let best = dir.join("best.safetensors");
    let mut args = strings(&["eval", "--checkpoint"]);
    args.push(best.display().to_string());
    let out = run(bin, &args);
    assert!(out.contains("accuracy"), "{name} eval: {out}");
    let checked = test_split_values(bin, name, dir);
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
    checked
}

/// JSON text parsed.
fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The values, not just the exit codes, on a config with a test split:
/// - `eval --json` on the checkpoint's own test split is `test_metrics.json`, exactly;
/// - the test rows re-read from the raw data file through `split.json` (header + those lines)
///   give, with `eval --data`, the same report, and with `predict`, the same accuracy and
///   probabilities whose log loss is the report's (to the 6 printed decimals).
///
/// Generated data (circle, moons, …) has no raw file: only the first check applies there.
/// Returns which checks ran: (the test split's report, the raw rows).
fn test_split_values(bin: &str, name: &str, dir: &Path) -> (bool, bool) {
    let Ok(saved) = std::fs::read_to_string(dir.join("test_metrics.json")) else {
        return (false, false); // no test split in this config
    };
    let best = dir.join("best.safetensors").display().to_string();
    let own = run(bin, &strings(&["eval", "--json", "--checkpoint", &best]));
    assert_eq!(
        json(&own),
        json(&saved),
        "{name}: eval on the test split vs test_metrics.json"
    );
    let ckpt = Checkpoint::load(&dir.join("best.safetensors")).expect("best");
    let cfg = &ckpt.meta.config;
    if let (Source::Images, Some(folder)) = (cfg.data.source, &cfg.data.path) {
        super::walk_images::test_split_values(bin, name, dir, folder, &saved);
        return (true, true);
    }
    let Some(file) = cfg.data.path.clone().or_else(|| {
        (cfg.data.source == common::config::Source::Digits).then(|| "data/digits.csv".into())
    }) else {
        return (true, false);
    };
    let split = json(&std::fs::read_to_string(dir.join("split.json")).expect("split.json"));
    let text = std::fs::read_to_string(repo().join(&file)).expect("data file");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let test: Vec<usize> = split["test"]
        .as_array()
        .expect("test rows")
        .iter()
        .map(|v| v.as_u64().expect("row") as usize)
        .collect();
    let picked: String = test.iter().map(|&r| format!("{}\n", rows[r])).collect();
    let input = dir.join("test_rows.csv");
    std::fs::write(&input, format!("{header}\n{picked}")).expect("test rows");
    let input = input.display().to_string();
    let again = run(
        bin,
        &strings(&["eval", "--json", "--checkpoint", &best, "--data", &input]),
    );
    assert_eq!(
        json(&again),
        json(&saved),
        "{name}: eval on the raw test rows"
    );
    let output = dir.join("test_predictions.csv");
    let out = output.display().to_string();
    run(
        bin,
        &strings(&[
            "predict",
            "--checkpoint",
            &best,
            "--input",
            &input,
            "--output",
            &out,
        ]),
    );
    let predictions = std::fs::read_to_string(&output).expect("predictions");
    let mut lines = predictions.lines();
    let columns: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let target = ckpt
        .meta
        .preprocessing
        .target
        .clone()
        .expect("a target column");
    let t = header
        .split(',')
        .position(|h| h == target)
        .expect("target in header");
    let (mut correct, mut loss) = (0usize, 0.0f64);
    for (line, &r) in lines.zip(&test) {
        let cells: Vec<&str> = line.split(',').collect();
        let truth = rows[r].split(',').nth(t).expect("label");
        correct += usize::from(cells[1] == truth);
        let p = columns
            .iter()
            .position(|c| *c == format!("prob_{truth}"))
            .map(|i| cells[i].parse::<f64>().expect("probability"))
            .expect("a probability column per class");
        loss -= p.max(1e-7).ln();
    }
    let report = json(&saved);
    let n = test.len() as f64;
    let accuracy = report["accuracy"].as_f64().expect("accuracy");
    assert_eq!(
        correct as f64 / n,
        accuracy,
        "{name}: predict's accuracy on the test rows"
    );
    let log_loss = report["log_loss"].as_f64().expect("log_loss");
    assert!(
        (loss / n - log_loss).abs() < 1e-4 * (1.0 + log_loss),
        "{name}: predict's probabilities give log loss {} against {log_loss}",
        loss / n
    );
    (true, true)
}

/// The whole walk for one binary; `extra` are flags of that binary (e.g. torch's threads).
pub fn walk(bin: &str, extra: &[&str]) {
    let mut done: Vec<(String, tempfile::TempDir)> = Vec::new();
    let (mut reports, mut raw) = (Vec::new(), Vec::new());
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
        let (report, rows) = eval_and_predict(bin, &name, &full);
        if report {
            reports.push(name.clone());
        }
        if rows {
            raw.push(name.clone());
        }
        eprintln!("{name}: {EPOCHS} epochs = 1 + resume to {EPOCHS}, eval and predict: ok");
        done.push((name, tmp));
    }
    // The value checks ran where they can: every config with a test split, and on the raw
    // rows of each one read from a file (penguins, breast cancer, the digits configs).
    eprintln!("test-split values checked: {reports:?}; on raw file rows: {raw:?}");
    assert!(
        raw.len() >= 4 && reports.len() >= raw.len(),
        "{reports:?} {raw:?}"
    );
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
