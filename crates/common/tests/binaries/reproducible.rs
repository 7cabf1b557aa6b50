//! Same seed, same numbers, through a real binary: two runs of one config by the same binary
//! on the same machine (same libtorch build and thread count for `torch`) write the same
//! files, byte for byte (`history.csv` but for its wall-clock `seconds` column; checkpoints
//! whole, their header sorted: see `checkpoint::sorted_header`), and `predict` prints the
//! same; another seed gives other numbers. Penguins draws dropout masks, the digits CNN adds
//! augmentation: every random stream is exercised.

use super::{history, repo, run, strings};
use std::path::Path;

/// `train` with `args` and `extra` into `out`, quietly.
fn train_into(bin: &str, args: &[&str], extra: &[&str], out: &Path) {
    let mut all = strings(args);
    all.extend(strings(extra));
    all.extend(strings(&["--out", &out.display().to_string(), "-q"]));
    run(bin, &all);
}

/// Asserts that runs `a` and `b` wrote the same files.
fn assert_same_files(a: &Path, b: &Path) {
    let rows = history(a);
    assert!(rows.len() > 1, "{rows:?}");
    assert_eq!(rows, history(b), "history.csv");
    for file in [
        "test_metrics.json",
        "config.toml",
        "best.safetensors",
        "last.safetensors",
    ] {
        let same =
            std::fs::read(a.join(file)).expect(file) == std::fs::read(b.join(file)).expect(file);
        assert!(same, "{file} differs between two runs of one seed");
    }
}

/// Penguins twice with one seed (same files, same predictions), then with another seed.
pub fn penguins_twice(bin: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let args = [
        "train",
        "-c",
        "configs/penguins.toml",
        "--set",
        "train.epochs=4",
    ];
    train_into(bin, &args, extra, &a);
    train_into(bin, &args, extra, &b);
    assert_same_files(&a, &b);
    let predict = |run_dir: &Path| {
        let ckpt = run_dir.join("best.safetensors").display().to_string();
        let input = repo()
            .join("examples/penguins_rows.csv")
            .display()
            .to_string();
        run(
            bin,
            &strings(&["predict", "--checkpoint", &ckpt, "--input", &input]),
        )
    };
    let p = predict(&a);
    assert_eq!(p.lines().count(), 7, "{p}");
    assert_eq!(p, predict(&b));
    train_into(bin, &[&args[..], &["--set", "seed=8"]].concat(), extra, &c);
    assert_ne!(history(&a), history(&c), "another seed, other numbers");
}

/// A narrowed digits CNN with augmentation, twice with one seed.
pub fn augmented_cnn_twice(bin: &str, extra: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let args = [
        "train",
        "-c",
        "configs/digits_cnn.toml",
        "--set",
        "train.epochs=2",
        "--set",
        "model.channels=[4, 8]",
        "--set",
        "model.hidden=[16]",
    ];
    train_into(bin, &args, extra, &a);
    train_into(bin, &args, extra, &b);
    assert_same_files(&a, &b);
}
