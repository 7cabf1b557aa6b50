//! The sweep's statistics against an independent computation (NumPy and SciPy in the project's
//! `.venv`, `scripts/sweep_stats_check.py`): mean, sample standard deviation and the 95 %
//! t-interval's half-width over random samples of 2 to 61 values (df 1…60), and the best grid
//! point for a metric to maximise and one to minimise, with a planted inversion that the check
//! must catch.

use common::app::sweep::report::{best_point, stats, PointStats};
use common::app::sweep::METRICS;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("TWIN_NETS_VENV").map_or_else(|| root.join(".venv"), PathBuf::from);
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} not found: this check needs SciPy from the project's .venv; run `source scripts/libtorch.sh`",
        py.display()
    );
    py
}

/// SciPy's `[mean, std, half-width]` of each sample.
fn scipy_stats(samples: &[Vec<f64>]) -> Vec<[f64; 3]> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut child = Command::new(python())
        .arg(root.join("scripts/sweep_stats_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    let input = serde_json::to_string(samples).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the script")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

#[test]
fn mean_std_and_t_interval_match_scipy_for_df_1_to_60() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let samples: Vec<Vec<f64>> = (2..=61)
        .map(|n| (0..n).map(|_| rng.gen_range(0.55..0.99)).collect())
        .collect();
    let want = scipy_stats(&samples);
    for (sample, w) in samples.iter().zip(&want) {
        let (mean, sd, half) = stats(sample).expect("finite values");
        let df = sample.len() - 1;
        assert!(close(mean, w[0]), "df {df}: mean {mean} vs {}", w[0]);
        assert!(close(sd, w[1]), "df {df}: std {sd} vs {}", w[1]);
        assert!(close(half, w[2]), "df {df}: half-width {half} vs {}", w[2]);
    }
    // A single value has no interval; non-finite values are left out.
    assert!(stats(&[0.5]).unwrap().2.is_nan());
    assert_eq!(
        stats(&[0.5, f64::NAN, 0.7]).map(|s| s.0),
        stats(&[0.5, 0.7]).map(|s| s.0)
    );
}

/// The best point by an independent reading: the mean of `metric` highest (or lowest).
fn expected_best(points: &[PointStats], i: usize, maximize: bool) -> usize {
    let means: Vec<f64> = points.iter().map(|p| p.2[i].unwrap().0).collect();
    let mut order: Vec<usize> = (0..means.len()).collect();
    order.sort_by(|&a, &b| means[a].total_cmp(&means[b]).then(b.cmp(&a)));
    if maximize {
        *order.last().unwrap()
    } else {
        order[0]
    }
}

#[test]
fn the_best_point_maximises_accuracy_and_minimises_loss() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (acc, loss) = (
        METRICS.iter().position(|m| *m == "val_acc").unwrap(),
        METRICS.iter().position(|m| *m == "val_loss").unwrap(),
    );
    for _ in 0..50 {
        let points: Vec<PointStats> = (0..5)
            .map(|k| {
                let metrics = (0..METRICS.len())
                    .map(|_| {
                        let v: Vec<f64> = (0..3).map(|_| rng.gen_range(0.0..1.0)).collect();
                        stats(&v)
                    })
                    .collect();
                (format!("p{k}"), 3, metrics)
            })
            .collect();
        for (name, i, maximize) in [("val_acc", acc, true), ("val_loss", loss, false)] {
            let want = expected_best(&points, i, maximize);
            assert_eq!(best_point(&points, name, maximize), Some(want), "{name}");
            // The planted inversion (the comparison the other way round) is caught.
            assert_ne!(
                best_point(&points, name, !maximize),
                Some(want),
                "{name} inverted"
            );
        }
    }
}
