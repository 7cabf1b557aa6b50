//! Same seed, same numbers: the README's reproducibility statement for the `scratch` binary.
//! Two runs of one config by the same binary on the same machine give the same `history.csv`
//! (every column but the wall-clock `seconds`), checkpoints with bit-identical tensors
//! (weights, optimizer state) and equal metadata, the same `test_metrics.json` and the same
//! `predict` output; another seed gives other numbers. The configs draw from every random
//! stream: data split, initial weights, batch order, dropout masks (penguins) and
//! augmentation (the digits CNN).

mod cli_support;
use cli_support::*;

use common::checkpoint::Checkpoint;
use std::path::Path;

/// Trains `args` (a `train` command line without `--out`) into `dir/out`.
fn train_into(dir: &Path, args: &[&str], out: &str) {
    let mut all = args.to_vec();
    all.extend(["--out", out, "-q"]);
    let (ok, _, err) = run(dir, &all);
    assert!(ok, "{all:?}: {err}");
}

/// Asserts two checkpoints hold the same tensors, bit for bit (the files' tensor sections are
/// equal byte for byte), and the same metadata. The files themselves may differ: the
/// safetensors header lists the metadata in hash-map order.
fn assert_same_checkpoint(a: &Path, b: &Path) {
    let (x, y) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    let tensors = |bytes: &[u8]| {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        bytes[8 + n..].to_vec()
    };
    assert!(
        tensors(&x) == tensors(&y),
        "{}: tensors differ",
        a.display()
    );
    let load = |p: &Path| Checkpoint::load(p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(load(a), load(b), "{}", a.display());
}

/// Asserts that runs `a` and `b` in `dir` hold the same numbers, file by file.
fn assert_same_run(dir: &Path, a: &str, b: &str) {
    let (ra, rb) = (dir.join(a), dir.join(b));
    let history = history_without_seconds(&ra);
    assert!(history.len() > 1, "{history:?}");
    assert_eq!(history, history_without_seconds(&rb), "history.csv");
    for file in ["test_metrics.json", "config.toml"] {
        let (x, y) = (ra.join(file), rb.join(file));
        let bytes = std::fs::read(&x).unwrap_or_else(|e| panic!("{}: {e}", x.display()));
        assert!(bytes == std::fs::read(&y).unwrap(), "{file} differs");
    }
    for file in ["best.safetensors", "last.safetensors"] {
        assert_same_checkpoint(&ra.join(file), &rb.join(file));
    }
}

/// `predict`'s output for the checkpoint `run/best.safetensors` on `input`.
fn predictions(dir: &Path, run_dir: &str, input: &str) -> String {
    let ckpt = format!("{run_dir}/best.safetensors");
    let (ok, out, err) = run(dir, &["predict", "--checkpoint", &ckpt, "--input", input]);
    assert!(ok, "{err}");
    out
}

#[test]
fn penguins_twice_with_one_seed_gives_identical_files_and_predictions() {
    let dir = workdir();
    let rows = dir.path().join("rows.csv");
    std::fs::copy(repo().join("examples/penguins_rows.csv"), &rows).unwrap();
    let args = [
        "train",
        "-c",
        "configs/penguins.toml",
        "--set",
        "train.epochs=4",
    ];
    train_into(dir.path(), &args, "a");
    train_into(dir.path(), &args, "b");
    assert_same_run(dir.path(), "a", "b");
    let p = predictions(dir.path(), "a", "rows.csv");
    assert_eq!(p.lines().count(), 7, "{p}");
    assert_eq!(p, predictions(dir.path(), "b", "rows.csv"));
    // Another seed: other numbers (so the equality above is not vacuous).
    train_into(dir.path(), &[&args[..], &["--set", "seed=8"]].concat(), "c");
    assert_ne!(
        history_without_seconds(&dir.path().join("a")),
        history_without_seconds(&dir.path().join("c"))
    );
}

#[test]
fn augmented_cnn_twice_with_one_seed_gives_identical_files() {
    let dir = workdir();
    // digits_cnn.toml (augmentation, dropout, Adam, cosine schedule) with a narrower network.
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
    train_into(dir.path(), &args, "a");
    train_into(dir.path(), &args, "b");
    assert_same_run(dir.path(), "a", "b");
}
