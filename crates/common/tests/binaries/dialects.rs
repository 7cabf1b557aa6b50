//! CSV files as people export them, through a real binary: one table (the penguins, with
//! Spanish names and accented levels, and a text column whose levels hold every delimiter, a
//! quote and a newline) written by pandas with `,` `;` tab `|`, decimal `.` or `,`, UTF-8 with
//! and without a byte-order mark, Windows-1252, Latin-1 and UTF-16, and CRLF line endings
//! (`scripts/csv_dialects.py`). Each must train to the plain file's schema and first-epoch
//! losses, bit for bit, and `predict` on its own rows, in its own dialect, must give the plain
//! file's probabilities byte for byte, and `eval --data` on it the plain file's report.

use super::{repo, run, strings};
use common::checkpoint::Checkpoint;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's Python (`$TWIN_NETS_VENV/bin/python`, else `.venv/bin/python`), which has
/// pandas (installed by `scripts/libtorch.sh`).
fn python() -> PathBuf {
    let venv =
        std::env::var_os("TWIN_NETS_VENV").map_or_else(|| repo().join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: the dialect tests write their files with pandas from the project's \
         virtual environment; run `source scripts/libtorch.sh` first",
        py.display()
    );
    py
}

/// Writes the variants into `dir`; returns `(file, --set keys)` for each, plain first.
fn write_variants(dir: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let out = Command::new(python())
        .arg(repo().join("scripts/csv_dialects.py"))
        .arg(repo().join("data/penguins.csv"))
        .arg(dir)
        .output()
        .expect("start python");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "csv_dialects.py failed: {err}");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&manifest).expect("manifest JSON");
    entries
        .iter()
        .map(|e| {
            let file = dir.join(e["file"].as_str().expect("file"));
            let sets = e["set"]
                .as_object()
                .expect("set")
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().expect("string value")))
                .collect();
            (file, sets)
        })
        .collect()
}

/// The schema's decisions on every column and the fitted preprocessing (fill values, means,
/// standard deviations, levels), as saved in the checkpoint, in JSON: what "the same schema"
/// means, bit for bit (the table for people also says how each file's numbers were written).
fn schema_and_fit(dir: &Path) -> String {
    let ckpt = Checkpoint::load(&dir.join("best.safetensors")).expect("best");
    let pre = &ckpt.meta.preprocessing;
    let json = serde_json::to_string(&(&pre.schema.columns, &pre.columns, &pre.class_names));
    json.expect("serialisable")
}

/// Trains one epoch on each variant and predicts on its rows; compares with the plain file.
pub fn every_dialect_reads_as_the_plain_file(bin: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let variants = write_variants(&tmp.path().join("csv"));
    assert!(variants.len() >= 10, "{variants:?}");
    let mut reference: Option<(String, String, String)> = None;
    for (i, (file, sets)) in variants.iter().enumerate() {
        let out = tmp.path().join(format!("run{i}"));
        let mut args = strings(&["train", "-q", "-c", "configs/penguins.toml", "--out"]);
        args.push(out.display().to_string());
        for s in [
            format!("data.path={}", file.display()),
            "data.target=Especie".into(),
            "train.epochs=1".into(),
        ]
        .iter()
        .chain(sets)
        {
            args.extend(["--set".to_string(), s.clone()]);
        }
        args.extend(strings(extra));
        run(bin, &args);
        let history = std::fs::read_to_string(out.join("history.csv")).expect("history");
        // Epoch 1's metrics, all but its wall-clock `seconds` (the last column).
        let first_epoch: String = history
            .lines()
            .take(2)
            .map(|l| l.rsplit_once(',').map_or(l, |(metrics, _)| metrics))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(first_epoch.starts_with("epoch,train_loss"), "{first_epoch}");
        let predictions = out.join("predictions.csv");
        let mut predict = strings(&["predict", "--checkpoint"]);
        predict.push(out.join("best.safetensors").display().to_string());
        predict.extend(["--input".to_string(), file.display().to_string()]);
        predict.extend(["--output".to_string(), predictions.display().to_string()]);
        predict.extend(strings(extra));
        run(bin, &predict);
        let mut probs = std::fs::read_to_string(&predictions).expect("predictions");
        // `eval --data` on the same file, in its dialect: the same report as the plain file's.
        let mut eval = strings(&["eval", "--json", "--checkpoint"]);
        eval.push(out.join("best.safetensors").display().to_string());
        eval.extend(["--data".to_string(), file.display().to_string()]);
        eval.extend(strings(extra));
        probs.push_str(&run(bin, &eval));
        let got = (schema_and_fit(&out), first_epoch, probs);
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        match &reference {
            None => {
                assert!(name == "plain.csv", "the plain file comes first");
                assert!(
                    got.0.contains("Observación") && got.0.contains("señora"),
                    "{}",
                    got.0
                );
                assert!(got.2.starts_with("row,predicted,prob_Adélie,"), "{}", got.2);
                reference = Some(got);
            }
            Some(want) => {
                assert_eq!(got.0, want.0, "{name}: schema");
                assert_eq!(got.1, want.1, "{name}: first epoch (history.csv)");
                assert_eq!(got.2, want.2, "{name}: predict probabilities, eval report");
            }
        }
    }
}
