//! The config walk's value checks for a model trained on an image folder: the test images
//! named by `split.json` (its `files`), copied into a folder of class folders, give with
//! `eval --data` the same report as `test_metrics.json` (the same pixels reach the model, in
//! the same order), and with `predict` on a CSV of their paths the same accuracy and log loss;
//! `predict` on a folder classifies every image in it.

use super::{repo, run, strings};
use std::path::{Path, PathBuf};

/// A folder of images to predict for the walk, and how many images it holds.
pub fn predict_input(data: &Path) -> (PathBuf, usize) {
    let folder = repo().join(data).join("3");
    let n = std::fs::read_dir(&folder).expect("a class folder").count();
    (folder, n)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The raw-file checks of an image model (see the module documentation).
pub fn test_split_values(bin: &str, name: &str, dir: &Path, data: &Path, saved: &str) {
    let split = json(&std::fs::read_to_string(dir.join("split.json")).expect("split.json"));
    let files: Vec<String> =
        serde_json::from_value(split["files"].clone()).expect("split.json names the files");
    let test: Vec<usize> = serde_json::from_value(split["test"].clone()).expect("test rows");
    let root = repo().join(data);
    let copy = dir.join("test_images");
    let mut paths = String::from("path\n");
    for &i in &test {
        let to = copy.join(&files[i]);
        std::fs::create_dir_all(to.parent().expect("class folder")).expect("mkdir");
        std::fs::copy(root.join(&files[i]), &to).expect("copy a test image");
        paths.push_str(&format!("{}\n", root.join(&files[i]).display()));
    }
    let best = dir.join("best.safetensors").display().to_string();
    let again = run(
        bin,
        &strings(&[
            "eval",
            "--json",
            "--checkpoint",
            &best,
            "--data",
            &copy.display().to_string(),
        ]),
    );
    assert_eq!(
        json(&again),
        json(saved),
        "{name}: eval on the test images re-read from their files"
    );
    let svg = std::fs::read_to_string(dir.join("confusion.svg"))
        .expect("eval draws confusion.svg beside the checkpoint");
    assert!(
        svg.starts_with("<svg") && svg.contains(">9</text>"),
        "{name}: a confusion matrix with the class names"
    );
    let list = dir.join("test_paths.csv");
    std::fs::write(&list, &paths).expect("paths");
    let out = dir.join("test_predictions.csv");
    run(
        bin,
        &strings(&[
            "predict",
            "--checkpoint",
            &best,
            "--input",
            &list.display().to_string(),
            "--output",
            &out.display().to_string(),
        ]),
    );
    let text = std::fs::read_to_string(&out).expect("predictions");
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().expect("header").split(',').collect();
    let (mut correct, mut loss) = (0usize, 0.0f64);
    for (line, &i) in lines.zip(&test) {
        let cells: Vec<&str> = line.split(',').collect();
        let truth = files[i].split('/').next().expect("class folder");
        assert!(
            cells[0].ends_with(&files[i]),
            "{name}: rows in input order: {line}"
        );
        correct += usize::from(cells[1] == truth);
        let at = columns
            .iter()
            .position(|c| *c == format!("prob_{truth}"))
            .expect("prob column");
        loss -= cells[at]
            .parse::<f64>()
            .expect("probability")
            .max(1e-7)
            .ln();
    }
    let report = json(saved);
    let n = test.len() as f64;
    assert_eq!(
        correct as f64 / n,
        report["accuracy"].as_f64().expect("accuracy"),
        "{name}: predict's accuracy"
    );
    let log_loss = report["log_loss"].as_f64().expect("log_loss");
    assert!(
        (loss / n - log_loss).abs() < 1e-4 * (1.0 + log_loss),
        "{name}: log loss {} vs {log_loss}",
        loss / n
    );
    // The same list as `id;path` read with --delimiter: the same predictions.
    let semi: String = paths
        .lines()
        .enumerate()
        .map(|(i, p)| match i {
            0 => format!("id;{p}\n"),
            _ => format!("{i};{p}\n"),
        })
        .collect();
    let list = dir.join("test_paths_semicolon.csv");
    std::fs::write(&list, semi).expect("paths");
    let again = dir.join("test_predictions_semicolon.csv");
    let input = list.display().to_string();
    let output = again.display().to_string();
    let args = ["predict", "--checkpoint", &best, "--input", &input];
    run(
        bin,
        &strings(&[&args[..], &["--delimiter", ";", "--output", &output]].concat()),
    );
    assert_eq!(
        std::fs::read_to_string(&again).expect("predictions"),
        text,
        "{name}: --delimiter"
    );
}
