//! Same seed, same numbers: the README's reproducibility statement for the `torch` binary on
//! the CPU. Two runs of one config by the same binary on the same machine (same libtorch
//! build, same thread count) give the same `history.csv` (every column but the wall-clock
//! `seconds`), checkpoints with bit-identical tensors and equal metadata, the same
//! `test_metrics.json` and the same `predict` output; another seed gives other numbers.
//! penguins draws dropout masks from libtorch's generator, seeded from the config's seed; the
//! digits CNN adds augmentation.

use std::path::{Path, PathBuf};
use std::process::Command;

use common::checkpoint::Checkpoint;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs the `torch` binary in the workspace root (so that the configs' relative data paths
/// resolve) and returns its stdout; asserts success.
fn torch(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_torch"))
        .args(args)
        .current_dir(workspace())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Trains `args` (a `train` command line without `--out`) into `out`.
fn train_into(args: &[&str], out: &Path) {
    let out = out.to_str().unwrap();
    torch(&[args, &["--out", out, "-q"]].concat());
}

/// `history.csv` of `run` without its last column (`seconds`).
fn history_without_seconds(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("history.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",seconds"), "{header}");
    text.lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect()
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

/// Asserts that runs `a` and `b` hold the same numbers, file by file.
fn assert_same_run(a: &Path, b: &Path) {
    let history = history_without_seconds(a);
    assert!(history.len() > 1, "{history:?}");
    assert_eq!(history, history_without_seconds(b), "history.csv");
    for file in ["test_metrics.json", "config.toml"] {
        let bytes = std::fs::read(a.join(file)).unwrap();
        assert!(
            bytes == std::fs::read(b.join(file)).unwrap(),
            "{file} differs"
        );
    }
    for file in ["best.safetensors", "last.safetensors"] {
        assert_same_checkpoint(&a.join(file), &b.join(file));
    }
}

#[test]
fn penguins_twice_with_one_seed_gives_identical_files_and_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let args = [
        "train",
        "-c",
        "configs/penguins.toml",
        "--set",
        "train.epochs=4",
    ];
    train_into(&args, &a);
    train_into(&args, &b);
    assert_same_run(&a, &b);
    let predict = |run: &Path| {
        let ckpt = run.join("best.safetensors");
        torch(&[
            "predict",
            "--checkpoint",
            ckpt.to_str().unwrap(),
            "--input",
            "examples/penguins_rows.csv",
        ])
    };
    let p = predict(&a);
    assert_eq!(p.lines().count(), 7, "{p}");
    assert_eq!(p, predict(&b));
    train_into(&[&args[..], &["--set", "seed=8"]].concat(), &c);
    assert_ne!(history_without_seconds(&a), history_without_seconds(&c));
}

#[test]
fn augmented_cnn_twice_with_one_seed_gives_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
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
    train_into(&args, &a);
    train_into(&args, &b);
    assert_same_run(&a, &b);
}
