//! `train.threshold` through the binary, on the shipped breast-cancer config: the threshold
//! is the best on the validation split (never on test: on this split no threshold is best on
//! both, so a threshold chosen on test fails the first check), it is saved in the best
//! checkpoint, and `predict`, `eval` and `test_metrics.json` decide with it.

mod cli_support;
use cli_support::*;

use common::checkpoint::Checkpoint;

/// Class 1's F1 when predicting 1 above `t`.
fn f1_at(t: f64, p1: &[f64], y: &[bool]) -> f64 {
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (&p, &pos) in p1.iter().zip(y) {
        match (p > t, pos) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fn_ += 1.0,
            _ => {}
        }
    }
    if tp == 0.0 {
        0.0
    } else {
        2.0 * tp / (2.0 * tp + fp + fn_)
    }
}

/// Every threshold that separates the probabilities differently: midpoints of neighbours.
fn candidates(p: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = p.to_vec();
    s.sort_by(f64::total_cmp);
    s.dedup();
    s.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
}

#[test]
fn the_threshold_is_the_validation_best_and_eval_and_predict_use_it() {
    let dir = workdir();
    let train = [
        "train",
        "-c",
        "configs/breast_cancer.toml",
        "--set",
        "train.threshold=\"f1\"",
        "--out",
        "run",
    ];
    let (ok, _, err) = run(dir.path(), &train);
    assert!(ok, "{err}");
    assert!(
        err.contains("decision threshold") && err.contains("validation"),
        "{err}"
    );
    let ckpt = Checkpoint::load(&dir.path().join("run/best.safetensors")).unwrap();
    let t = ckpt
        .meta
        .threshold
        .expect("the threshold is saved in the best checkpoint");

    // Class 1's probability of every row of the file, from predict.
    let predict = [
        "predict",
        "--checkpoint",
        "run",
        "--input",
        "data/breast_cancer.csv",
        "--output",
        "preds.csv",
    ];
    let (ok, _, err) = run(dir.path(), &predict);
    assert!(ok, "{err}");
    let preds = std::fs::read_to_string(dir.path().join("preds.csv")).unwrap();
    let mut p1 = Vec::new();
    for line in preds.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let p: f64 = f[3].parse().unwrap();
        // predict decides with the threshold (its probabilities are printed to 6 places).
        if (p - t).abs() > 1e-6 {
            let want = if p > t { "malignant" } else { "benign" };
            assert_eq!(f[1], want, "row {} at p = {p}, threshold {t}", f[0]);
        }
        p1.push(p);
    }
    let data = std::fs::read_to_string(repo().join("data/breast_cancer.csv")).unwrap();
    let header: Vec<&str> = data.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "diagnosis").unwrap();
    let positive: Vec<bool> = data
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap() == "malignant")
        .collect();
    let split: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/split.json")).unwrap())
            .unwrap();
    let rows = |k: &str| -> (Vec<f64>, Vec<bool>) {
        let idx: Vec<usize> = serde_json::from_value(split[k].clone()).unwrap();
        (
            idx.iter().map(|&i| p1[i]).collect(),
            idx.iter().map(|&i| positive[i]).collect(),
        )
    };
    let (val_p, val_y) = rows("val");
    let (test_p, test_y) = rows("test");

    let best = |p: &[f64], y: &[bool]| {
        candidates(p)
            .iter()
            .map(|&c| f1_at(c, p, y))
            .fold(0.0, f64::max)
    };
    let (val_best, test_best) = (best(&val_p, &val_y), best(&test_p, &test_y));
    assert!(
        (f1_at(t, &val_p, &val_y) - val_best).abs() < 1e-12,
        "threshold {t} gives validation F1 {}, but {val_best} is reachable: not chosen on validation",
        f1_at(t, &val_p, &val_y)
    );
    // The check has teeth: no threshold is best on both splits here, so one chosen on test
    // fails the assertion above.
    let all: Vec<f64> = val_p.iter().chain(&test_p).copied().collect();
    for c in candidates(&all) {
        let both = (f1_at(c, &val_p, &val_y) - val_best).abs() < 1e-12
            && (f1_at(c, &test_p, &test_y) - test_best).abs() < 1e-12;
        assert!(
            !both,
            "{c} is best on validation and on test: pick another split"
        );
    }

    // eval and the test metrics decide with it too.
    let (ok, out, err) = run(dir.path(), &["eval", "--checkpoint", "run"]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("threshold  {t:.4}")), "{out}");
    // last.safetensors holds no threshold: eval says it decides at 0.5.
    let last = ["eval", "--checkpoint", "run/last.safetensors"];
    let (ok, out, err) = run(dir.path(), &last);
    assert!(ok, "{err}");
    assert!(
        err.contains("holds no decision threshold") && !out.contains("threshold  "),
        "{err}"
    );
    let metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("run/test_metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(metrics["threshold"].as_f64(), Some(t));
    let test_acc = test_p
        .iter()
        .zip(&test_y)
        .filter(|(&p, &y)| (p > t) == y)
        .count() as f64
        / test_y.len() as f64;
    let reported = metrics["accuracy"].as_f64().unwrap();
    assert!(
        (reported - test_acc).abs() < 1e-12,
        "{reported} vs {test_acc}"
    );
}

#[test]
fn a_threshold_on_a_multiclass_target_or_outside_zero_one_is_refused() {
    let dir = workdir();
    assert_clean_error(
        dir.path(),
        &[
            "train",
            "-c",
            "configs/penguins.toml",
            "--set",
            "train.threshold=\"f1\"",
            "--out",
            "a",
        ],
        "needs a binary target, and this one has 3 classes",
    );
    assert_clean_error(
        dir.path(),
        &[
            "train",
            "-c",
            "configs/breast_cancer.toml",
            "--set",
            "train.threshold=1.0",
            "--out",
            "b",
        ],
        "must be in (0, 1)",
    );
}
