//! The sweep against scikit-learn: `scripts/sklearn_baseline.py` on a sweep's recorded
//! splits and schemas, and `scripts/paired_vs_sklearn.py`'s paired differences (REPORT §1.1).
//! A module of `cli_sweep.rs`'s test binary (its helpers are the sweep tests').

use super::cli_support::*;
use super::read;
use std::path::Path;

/// Runs `scripts/<script> ARGS` with the project's Python (`.venv`, or `$TWIN_NETS_VENV`) in `d`.
fn project_script(d: &Path, script: &str, args: &[&str]) -> std::process::Output {
    let python = std::env::var("TWIN_NETS_VENV")
        .map(|v| Path::new(&v).join("bin/python"))
        .unwrap_or_else(|_| repo().join(".venv/bin/python"));
    assert!(
        python.is_file(),
        "{} missing: run scripts/libtorch.sh (it installs scikit-learn)",
        python.display()
    );
    std::process::Command::new(&python)
        .arg(repo().join("scripts").join(script))
        .args(args)
        .current_dir(d)
        .output()
        .unwrap()
}

/// Runs `scripts/sklearn_baseline.py DIR` in `d`.
fn sklearn_script(d: &Path, dir: &str) -> std::process::Output {
    project_script(d, "sklearn_baseline.py", &[dir])
}

/// `scripts/sklearn_baseline.py` on the recorded splits: three models, one row per run.
pub fn sklearn_baseline(d: &Path) {
    let out = sklearn_script(d, "one");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = read(&d.join("one/sklearn.csv"));
    // 6 runs, 3 distinct splits (the learning rate does not change the rows): 3 models each.
    assert_eq!(csv.lines().count(), 1 + 3 * 3, "{csv}");
    let md = read(&d.join("one/sklearn.md"));
    for model in [
        "LogisticRegression",
        "MLPClassifier",
        "HistGradientBoosting",
    ] {
        assert!(md.contains(model), "{md}");
    }
}

/// The scikit-learn baseline reads the whole schema (`schema.json`): on a CSV whose column
/// names hold spaces, commas and accents, it builds as many features as the run's model has
/// inputs (the old reader split `schema.txt` on whitespace and silently lost such columns),
/// and a kept column that the data file lacks stops it, naming the column.
#[test]
fn the_sklearn_baseline_uses_every_kept_column_whatever_its_name() {
    let tmp = workdir();
    let d = tmp.path();
    let text = std::fs::read_to_string(repo().join("data/penguins.csv")).unwrap();
    let header = "species,Isla,\"Culmen Length (mm)\",\"Culmen Depth, mm\",Flipper (mm),Body Mass (g),Sexo,Año";
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    write(d, "odd.csv", &format!("{header}\n{body}"));
    let (ok, _, err) = run(
        d,
        &[
            "train",
            "-q",
            "-c",
            "configs/penguins.toml",
            "--set",
            "data.path=odd.csv",
            "--set",
            "train.epochs=2",
            "--out",
            "sw/run0",
        ],
    );
    assert!(ok, "{err}");
    let out = sklearn_script(d, "sw");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = read(&d.join("sw/sklearn.csv"));
    let mut lines = csv.lines();
    let cols: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = cols
        .iter()
        .position(|c| *c == "features")
        .expect("a features column");
    // penguins: island (3 levels) + 4 measurements + sex (2 levels) + year = 10 inputs.
    for line in lines {
        assert_eq!(line.split(',').nth(at), Some("10"), "{csv}");
    }
    // A kept column missing from the file: the script names it and fails.
    let schema_path = d.join("sw/run0/schema.json");
    let schema = read(&schema_path).replacen("\"Año\"", "\"Año 2\"", 1);
    std::fs::write(&schema_path, schema).unwrap();
    let out = sklearn_script(d, "sw");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("Año 2"), "{err}");
}

/// Column `name` of a simple CSV (no quoted commas) as a list of maps, one per row.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// REPORT §1.1's paired differences come from `scripts/paired_vs_sklearn.py`: on a small sweep
/// (3 seeds) and its scikit-learn baseline, with sklearn.csv's rows reversed (a join on row
/// order would pair the wrong splits), the script's numbers equal a join on the seed done here.
#[test]
fn paired_differences_against_sklearn_join_on_the_split() {
    let tmp = workdir();
    let d = tmp.path();
    let (ok, _, err) = run(
        d,
        &[
            "sweep",
            "--config",
            "configs/penguins.toml",
            "--set",
            "train.epochs=10",
            "--seeds",
            "1..3",
            "--jobs",
            "2",
            "--out",
            "pair",
        ],
    );
    assert!(ok, "{err}");
    let out = sklearn_script(d, "pair");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sk_path = d.join("pair/sklearn.csv");
    let text = read(&sk_path);
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    std::fs::write(&sk_path, lines.join("\n") + "\n").unwrap();
    let out = project_script(d, "paired_vs_sklearn.py", &["pair", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = csv_rows(&read(&d.join("pair/summary.csv")));
    let theirs = csv_rows(&read(&sk_path));
    for model in [
        "LogisticRegression",
        "MLPClassifier",
        "HistGradientBoosting",
    ] {
        let mut diffs: Vec<(u64, f64)> = ours
            .iter()
            .map(|r| {
                let seed: u64 = r["seed"].parse().unwrap();
                let other = theirs
                    .iter()
                    .find(|t| t["model"] == model && t["seed"].parse::<u64>().unwrap() == seed)
                    .expect("the same split in sklearn.csv");
                let acc = |row: &std::collections::HashMap<String, String>| {
                    row["test_acc"].parse::<f64>().unwrap()
                };
                (seed, acc(r) - acc(other))
            })
            .collect();
        diffs.sort_by_key(|(s, _)| *s);
        let n = diffs.len() as f64;
        let mean = diffs.iter().map(|d| d.1).sum::<f64>() / n;
        let sd = (diffs.iter().map(|d| (d.1 - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let g = &got[model];
        assert_eq!(g["n"], 3, "{model}");
        assert!(
            (g["mean"].as_f64().unwrap() - mean).abs() < 1e-12,
            "{model}: {g}"
        );
        assert!(
            (g["std"].as_f64().unwrap() - sd).abs() < 1e-12,
            "{model}: {g}"
        );
        let wins = diffs.iter().filter(|d| d.1 > 1e-12).count();
        assert_eq!(g["wins"], wins, "{model}: {g}");
    }
}
