//! Average precision, ROC AUC, balanced accuracy and macro F1 against scikit-learn itself
//! (`average_precision_score`, `roc_auc_score`, `balanced_accuracy_score`,
//! `f1_score(average="macro")` in the project's `.venv`), on scores with many ties (where the
//! definitions of a precision–recall step differ between libraries) and on a three-class
//! problem of a four-class model (the fourth class neither held nor predicted).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::metrics::{balanced_accuracy, macro_f1, roc_auc_and_ap};
use ndarray::Array2;

fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("TWIN_NETS_VENV").map_or_else(|| root.join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: this check needs scikit-learn from the project's .venv; run `source scripts/libtorch.sh`",
        py.display()
    );
    py
}

/// scikit-learn's four numbers for `scores`/`labels` (binary) and `pred` (any labels).
fn sklearn(scores: &[f64], labels: &[usize], truth: &[usize], pred: &[usize]) -> [f64; 4] {
    let script = "import json,sys\n\
        from sklearn.metrics import average_precision_score as ap, roc_auc_score as auc, balanced_accuracy_score as ba, f1_score as f1\n\
        d=json.load(sys.stdin)\n\
        print(json.dumps([ap(d['y'],d['s']), auc(d['y'],d['s']), ba(d['t'],d['p']), f1(d['t'],d['p'],average='macro')]))\n";
    let mut child = Command::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python");
    let input = serde_json::json!({"s": scores, "y": labels, "t": truth, "p": pred});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn average_precision_auc_balanced_accuracy_and_macro_f1_are_scikit_learns() {
    // Scores on a coarse grid (many ties), labels drawn against them: a realistic ranking.
    let mut s = 12345u64;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for (n, grid) in [(97, 10.0), (400, 100.0), (31, 3.0)] {
        let scores: Vec<f64> = (0..n).map(|_| (next() * grid).round() / grid).collect();
        let labels: Vec<usize> = scores
            .iter()
            .map(|&v| usize::from(next() < 0.15 + 0.6 * v))
            .collect();
        let positive: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
        let (auc, ap) = roc_auc_and_ap(&scores, &positive);
        // Three classes for balanced accuracy: a confusion matrix from labels and predictions.
        let truth: Vec<usize> = (0..n).map(|i| (i * 7 + i / 5) % 3).collect();
        let pred: Vec<usize> = (0..n)
            .map(|i| {
                if next() < 0.7 {
                    truth[i]
                } else {
                    (i * 7 + 1) % 3
                }
            })
            .collect();
        // The model has a fourth class that this split neither holds nor predicts.
        let mut confusion = Array2::<usize>::zeros((4, 4));
        for (&t, &p) in truth.iter().zip(&pred) {
            confusion[[t, p]] += 1;
        }
        let want = sklearn(&scores, &labels, &truth, &pred);
        let got = [
            ap.unwrap(),
            auc.unwrap(),
            balanced_accuracy(&confusion),
            macro_f1(&confusion),
        ];
        let names = [
            "average precision",
            "ROC AUC",
            "balanced accuracy",
            "macro F1",
        ];
        for (name, (g, w)) in names.iter().zip(got.iter().zip(&want)) {
            assert!(
                (g - w).abs() <= 1e-12,
                "n={n}: {name} {g} vs scikit-learn's {w}"
            );
        }
    }
}
