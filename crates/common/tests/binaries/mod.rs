//! Tests of the real backend binaries shared by both backends: included with
//! `#[path = "../../common/tests/binaries/mod.rs"]` by the `scratch` and `torch` crates' test
//! files (this folder is no test target of its own), each passing its binary's path.
//!
//! - `walk`: every shipped config trains, resumes exactly, evaluates and predicts;
//! - `interrupt`: Ctrl-C inside a long epoch stops within a step, and the resume is exact;
//! - `reproducible`: the same seed writes the same files, byte for byte;
//! - `freeze`: fine-tuning keeps frozen tensors bit for bit; bad freeze lists are errors;
//! - `dialects`: `;`/tab/`|` delimiters, decimal commas, 8-bit and UTF-16 files read as the
//!   plain CSV;
//! - `stray`: a checkpoint with a `net.*` tensor the model lacks is refused, naming it;
//! - `csv_start`: `train --csv FILE --target COLUMN`, its resume, and `init-config`.

#![allow(dead_code)] // each including test uses part of it

pub mod csv_start;
pub mod dialects;
pub mod folders;
pub mod freeze;
pub mod images;
pub mod interrupt;
pub mod pipe;
pub mod reproducible;
pub mod stray;
pub mod walk;
pub mod walk_images;

use common::checkpoint::Checkpoint;
use common::tensor::NamedTensors;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// Runs `bin args…` in the repository root (configs name their data relative to it) and
/// returns its stdout; panics with stderr on failure.
pub fn run(bin: &str, args: &[String]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(repo())
        .env_remove("RUST_LOG")
        .output()
        .expect("start the binary");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{bin} {args:?} failed: {err}");
    assert!(!err.contains("panicked"), "{err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Tensors sorted by name (file order is safetensors'), with their bits.
pub fn tensors(ckpt: &Checkpoint) -> Vec<(String, Vec<usize>, Vec<u64>)> {
    let mut t: Vec<_> = sorted(&ckpt.tensors)
        .into_iter()
        .map(|(n, x)| {
            (
                n,
                x.shape.clone(),
                x.to_f64().iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect();
    t.sort_by(|a, b| a.0.cmp(&b.0));
    t
}

pub fn sorted(t: &NamedTensors) -> Vec<(String, common::tensor::HostTensor)> {
    let mut v = t.clone();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The history CSV without its wall-clock column.
pub fn history(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("history.csv")).expect("history.csv");
    text.lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string())
        .collect()
}

/// Asserts that two run folders hold the same run: both checkpoints' tensors bit for bit, the
/// same loop state, the same history (without timings).
pub fn assert_same_run(name: &str, a: &Path, b: &Path) {
    for file in ["last.safetensors", "best.safetensors"] {
        let (x, y) = (
            Checkpoint::load(&a.join(file)).expect("load"),
            Checkpoint::load(&b.join(file)).expect("load"),
        );
        assert_eq!(
            x.meta.train_state, y.meta.train_state,
            "{name} {file}: loop state"
        );
        let (tx, ty) = (tensors(&x), tensors(&y));
        assert_eq!(tx.len(), ty.len(), "{name} {file}: tensor count");
        for (p, q) in tx.iter().zip(&ty) {
            assert!(p == q, "{name} {file}: tensor {} differs after resume", p.0);
        }
        assert_eq!(
            x.meta.preprocessing, y.meta.preprocessing,
            "{name} {file}: preprocessing"
        );
    }
    assert_eq!(history(a), history(b), "{name}: history");
}
